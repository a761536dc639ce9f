//! msgbus_api: every function of libmsgbus in one table, for bindings
//! that load the library at run time (the Python package does).

use core::ffi::{c_char, c_void};

use crate::*;

/// Bumped on every incompatible change of the C ABI; the SONAME
/// (libmsgbus.so.MSGBUS_ABI_VERSION) carries it.
pub const MSGBUS_ABI_VERSION: u32 = 0;

/// The functions of libmsgbus, from msgbus_api_get: field `x` is the
/// function msgbus_x. A binding that loads libmsgbus at run time (dlopen)
/// calls it through this table; it checks `abi_version` against the
/// MSGBUS_ABI_VERSION it was built with, and that `size` covers every
/// field it uses: fields are only ever added at the end.
#[repr(C)]
pub struct msgbus_api {
    /// The size of this table, in bytes.
    pub size: usize,
    /// MSGBUS_ABI_VERSION of the library.
    pub abi_version: u32,
    pub version: unsafe extern "C" fn() -> *const c_char,
    pub core_path: unsafe extern "C" fn() -> *const c_char,
    pub result_str: unsafe extern "C" fn(result: msgbus_result) -> *const c_char,
    pub last_error_message: unsafe extern "C" fn() -> *const c_char,
    pub set_log_handler: unsafe extern "C" fn(
        max_level: msgbus_log_level,
        callback: msgbus_log_fn,
        user_data: *mut c_void,
        user_data_free: msgbus_free_fn,
    ) -> msgbus_result,
    pub thread_name: unsafe extern "C" fn() -> *const c_char,
    pub runtime_register: unsafe extern "C" fn(
        hooks: *const msgbus_runtime_hooks,
        out_runtime: *mut *const msgbus_runtime,
    ) -> msgbus_result,
    pub bus_new: unsafe extern "C" fn(out_bus: *mut *mut msgbus_bus) -> msgbus_result,
    pub bus_clone: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        out_bus: *mut *mut msgbus_bus,
    ) -> msgbus_result,
    pub default_bus: unsafe extern "C" fn() -> *mut msgbus_bus,
    pub bus_free: unsafe extern "C" fn(bus: *mut msgbus_bus),
    pub bus_add_destination: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        name: *const c_char,
        kind: msgbus_destination_type,
    ) -> msgbus_result,
    pub bus_add_destination_with_config: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        name: *const c_char,
        config: *const msgbus_destination_config,
    ) -> msgbus_result,
    pub bus_replace_destination: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        name: *const c_char,
        config: *const msgbus_destination_config,
    ) -> msgbus_result,
    pub bus_remove_destination:
        unsafe extern "C" fn(bus: *const msgbus_bus, name: *const c_char) -> msgbus_result,
    pub bus_has_destination: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        name: *const c_char,
        out_has: *mut bool,
    ) -> msgbus_result,
    pub bus_destination_names: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        visitor: msgbus_name_visitor,
        user_data: *mut c_void,
    ) -> msgbus_result,
    pub bus_register_listener: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        name: *const c_char,
        callback: msgbus_listener_fn,
        user_data: *mut c_void,
        user_data_free: msgbus_free_fn,
        out_id: *mut u64,
    ) -> msgbus_result,
    pub bus_register_listener_in_runtime: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        name: *const c_char,
        runtime: *const msgbus_runtime,
        callback: msgbus_listener_fn,
        user_data: *mut c_void,
        user_data_free: msgbus_free_fn,
        out_id: *mut u64,
    ) -> msgbus_result,
    pub bus_unregister_listener:
        unsafe extern "C" fn(bus: *const msgbus_bus, id: u64) -> msgbus_result,
    pub bus_has_listener: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        name: *const c_char,
        out_has: *mut bool,
    ) -> msgbus_result,
    pub bus_send: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        destination: *const c_char,
        message: *const msgbus_message,
    ) -> msgbus_result,
    pub bus_send_synchronous: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        destination: *const c_char,
        message: *const msgbus_message,
        timeout_ms: u64,
        out_response: *mut *mut msgbus_value,
    ) -> msgbus_result,
    pub bus_request: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        destination: *const c_char,
        message: *const msgbus_message,
        out_request: *mut *mut msgbus_request,
    ) -> msgbus_result,
    pub bus_send_direct: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        destination: *const c_char,
        message: *const msgbus_message,
        out_response: *mut *mut msgbus_value,
    ) -> msgbus_result,
    pub bus_reply: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        request: *const msgbus_message,
        payload: *const msgbus_value,
    ) -> msgbus_result,
    pub bus_shutdown:
        unsafe extern "C" fn(bus: *const msgbus_bus, force: bool, timeout_ms: u64) -> msgbus_result,
    pub destination_config_new: unsafe extern "C" fn(
        kind: msgbus_destination_type,
        out_config: *mut *mut msgbus_destination_config,
    ) -> msgbus_result,
    pub destination_config_free: unsafe extern "C" fn(config: *mut msgbus_destination_config),
    pub destination_config_set_max_queue_size: unsafe extern "C" fn(
        config: *mut msgbus_destination_config,
        max_queue_size: usize,
    ) -> msgbus_result,
    pub destination_config_set_workers: unsafe extern "C" fn(
        config: *mut msgbus_destination_config,
        core_size: usize,
        max_size: usize,
    ) -> msgbus_result,
    pub destination_config_set_keep_alive: unsafe extern "C" fn(
        config: *mut msgbus_destination_config,
        keep_alive_ms: u64,
    ) -> msgbus_result,
    pub destination_config_set_rejection_policy: unsafe extern "C" fn(
        config: *mut msgbus_destination_config,
        policy: msgbus_rejection_policy,
        block_timeout_ms: u64,
    ) -> msgbus_result,
    pub bus_add_event_listener: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        destination: *const c_char,
        callback: msgbus_event_listener_fn,
        user_data: *mut c_void,
        user_data_free: msgbus_free_fn,
        out_id: *mut u64,
    ) -> msgbus_result,
    pub bus_remove_event_listener:
        unsafe extern "C" fn(bus: *const msgbus_bus, id: u64) -> msgbus_result,
    pub bus_destination_statistics: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        name: *const c_char,
        out_statistics: *mut msgbus_destination_statistics,
    ) -> msgbus_result,
    pub request_wait: unsafe extern "C" fn(
        request: *const msgbus_request,
        timeout_ms: u64,
        out_response: *mut *mut msgbus_value,
    ) -> msgbus_result,
    pub request_on_reply: unsafe extern "C" fn(
        request: *const msgbus_request,
        callback: msgbus_reply_fn,
        user_data: *mut c_void,
        user_data_free: msgbus_free_fn,
    ) -> msgbus_result,
    pub request_free: unsafe extern "C" fn(request: *mut msgbus_request),
    pub message_new: unsafe extern "C" fn() -> *mut msgbus_message,
    pub message_free: unsafe extern "C" fn(message: *mut msgbus_message),
    pub message_clone: unsafe extern "C" fn(message: *const msgbus_message) -> *mut msgbus_message,
    pub message_set_payload: unsafe extern "C" fn(
        message: *mut msgbus_message,
        value: *const msgbus_value,
    ) -> msgbus_result,
    pub message_payload:
        unsafe extern "C" fn(message: *const msgbus_message) -> *const msgbus_value,
    pub message_set_payload_string:
        unsafe extern "C" fn(message: *mut msgbus_message, text: *const c_char) -> msgbus_result,
    pub message_payload_string: unsafe extern "C" fn(
        message: *const msgbus_message,
        out_text: *mut *const c_char,
        out_len: *mut usize,
    ) -> msgbus_result,
    pub message_put: unsafe extern "C" fn(
        message: *mut msgbus_message,
        key: *const c_char,
        value: *const msgbus_value,
    ) -> msgbus_result,
    pub message_get: unsafe extern "C" fn(
        message: *const msgbus_message,
        key: *const c_char,
        out_value: *mut *const msgbus_value,
    ) -> msgbus_result,
    pub message_remove:
        unsafe extern "C" fn(message: *mut msgbus_message, key: *const c_char) -> msgbus_result,
    pub message_contains: unsafe extern "C" fn(
        message: *const msgbus_message,
        key: *const c_char,
        out_contains: *mut bool,
    ) -> msgbus_result,
    pub message_for_each_value: unsafe extern "C" fn(
        message: *const msgbus_message,
        visitor: msgbus_value_visitor,
        user_data: *mut c_void,
    ) -> msgbus_result,
    pub message_set_response_destination_name:
        unsafe extern "C" fn(message: *mut msgbus_message, name: *const c_char) -> msgbus_result,
    pub message_response_destination_name:
        unsafe extern "C" fn(message: *const msgbus_message) -> *const c_char,
    pub message_response_id: unsafe extern "C" fn(message: *const msgbus_message) -> *const c_char,
    pub message_set_response_id:
        unsafe extern "C" fn(message: *mut msgbus_message, id: *const c_char) -> msgbus_result,
    pub message_destination_name:
        unsafe extern "C" fn(message: *const msgbus_message) -> *const c_char,
    pub message_set_response: unsafe extern "C" fn(
        message: *const msgbus_message,
        value: *const msgbus_value,
    ) -> msgbus_result,
    pub message_response: unsafe extern "C" fn(
        message: *const msgbus_message,
        out_value: *mut *mut msgbus_value,
    ) -> msgbus_result,
    pub value_new_null: unsafe extern "C" fn() -> *mut msgbus_value,
    pub value_new_bool: unsafe extern "C" fn(value: bool) -> *mut msgbus_value,
    pub value_new_int: unsafe extern "C" fn(value: i64) -> *mut msgbus_value,
    pub value_new_double: unsafe extern "C" fn(value: f64) -> *mut msgbus_value,
    pub value_new_string: unsafe extern "C" fn(
        text: *const c_char,
        len: usize,
        out_value: *mut *mut msgbus_value,
    ) -> msgbus_result,
    pub value_new_bytes: unsafe extern "C" fn(
        data: *const u8,
        len: usize,
        out_value: *mut *mut msgbus_value,
    ) -> msgbus_result,
    pub value_new_pointer: unsafe extern "C" fn(
        pointer: *mut c_void,
        pointer_free: msgbus_free_fn,
        out_value: *mut *mut msgbus_value,
    ) -> msgbus_result,
    pub value_free: unsafe extern "C" fn(value: *mut msgbus_value),
    pub value_clone: unsafe extern "C" fn(value: *const msgbus_value) -> *mut msgbus_value,
    pub value_type: unsafe extern "C" fn(value: *const msgbus_value) -> msgbus_value_kind,
    pub value_as_bool:
        unsafe extern "C" fn(value: *const msgbus_value, out_bool: *mut bool) -> msgbus_result,
    pub value_as_int:
        unsafe extern "C" fn(value: *const msgbus_value, out_int: *mut i64) -> msgbus_result,
    pub value_as_double:
        unsafe extern "C" fn(value: *const msgbus_value, out_double: *mut f64) -> msgbus_result,
    pub value_as_string: unsafe extern "C" fn(
        value: *const msgbus_value,
        out_text: *mut *const c_char,
        out_len: *mut usize,
    ) -> msgbus_result,
    pub value_as_bytes: unsafe extern "C" fn(
        value: *const msgbus_value,
        out_data: *mut *const u8,
        out_len: *mut usize,
    ) -> msgbus_result,
    pub value_as_pointer: unsafe extern "C" fn(
        value: *const msgbus_value,
        out_pointer: *mut *mut c_void,
    ) -> msgbus_result,
    pub value_as_pointer_with_free: unsafe extern "C" fn(
        value: *const msgbus_value,
        out_pointer: *mut *mut c_void,
        out_free: *mut msgbus_free_fn,
    ) -> msgbus_result,
    pub listener_set_failure:
        unsafe extern "C" fn(detail: *const c_char, logged: bool) -> msgbus_result,
    pub message_set_payload_view: unsafe extern "C" fn(
        message: *mut msgbus_message,
        view: *const msgbus_value_view,
    ) -> msgbus_result,
    pub message_put_view: unsafe extern "C" fn(
        message: *mut msgbus_message,
        key: *const c_char,
        view: *const msgbus_value_view,
    ) -> msgbus_result,
    pub destination_config_set_stack_size: unsafe extern "C" fn(
        config: *mut msgbus_destination_config,
        stack_size: usize,
    ) -> msgbus_result,
    pub value_twin: unsafe extern "C" fn(
        value: *const msgbus_value,
        out_twin: *mut *mut c_void,
        out_free: *mut msgbus_free_fn,
    ) -> msgbus_result,
    pub value_set_twin: unsafe extern "C" fn(
        value: *const msgbus_value,
        twin: *mut c_void,
        free: msgbus_free_fn,
        out_twin: *mut *mut c_void,
        out_free: *mut msgbus_free_fn,
    ) -> msgbus_result,
    pub bus_set_dead_letter_destination:
        unsafe extern "C" fn(bus: *const msgbus_bus, name: *const c_char) -> msgbus_result,
    pub destination_config_set_dead_letter_destination: unsafe extern "C" fn(
        config: *mut msgbus_destination_config,
        name: *const c_char,
    ) -> msgbus_result,
    pub destination_config_set_timing_every:
        unsafe extern "C" fn(config: *mut msgbus_destination_config, every: u32) -> msgbus_result,
    pub bus_add_interceptor: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        callback: msgbus_interceptor_fn,
        user_data: *mut c_void,
        user_data_free: msgbus_free_fn,
        out_id: *mut u64,
    ) -> msgbus_result,
    pub bus_add_interceptor_in_runtime: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        runtime: *const msgbus_runtime,
        callback: msgbus_interceptor_fn,
        user_data: *mut c_void,
        user_data_free: msgbus_free_fn,
        out_id: *mut u64,
    ) -> msgbus_result,
    pub bus_remove_interceptor:
        unsafe extern "C" fn(bus: *const msgbus_bus, id: u64) -> msgbus_result,
    pub bus_schedule: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        name: *const c_char,
        message: *const msgbus_message,
        delay_ms: u64,
        period_ms: u64,
        out_id: *mut u64,
    ) -> msgbus_result,
    pub bus_cancel_schedule: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        id: u64,
        out_cancelled: *mut bool,
    ) -> msgbus_result,
    pub bus_metrics_text: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        visitor: msgbus_text_fn,
        user_data: *mut c_void,
    ) -> msgbus_result,
    pub bus_metrics_json: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        visitor: msgbus_text_fn,
        user_data: *mut c_void,
    ) -> msgbus_result,
    pub bus_destination: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        name: *const c_char,
        out_destination: *mut *mut msgbus_destination,
    ) -> msgbus_result,
    pub destination_free: unsafe extern "C" fn(destination: *mut msgbus_destination),
    pub destination_send: unsafe extern "C" fn(
        destination: *const msgbus_destination,
        message: *const msgbus_message,
    ) -> msgbus_result,
    pub destination_send_bytes: unsafe extern "C" fn(
        destination: *const msgbus_destination,
        data: *const u8,
        len: usize,
    ) -> msgbus_result,
    pub destination_send_many: unsafe extern "C" fn(
        destination: *const msgbus_destination,
        messages: *const *const msgbus_message,
        count: usize,
        out_sent: *mut usize,
    ) -> msgbus_result,
    pub destination_send_direct: unsafe extern "C" fn(
        destination: *const msgbus_destination,
        message: *const msgbus_message,
        out_response: *mut *mut msgbus_value,
    ) -> msgbus_result,
    pub destination_send_view: unsafe extern "C" fn(
        destination: *const msgbus_destination,
        payload: *const msgbus_value_view,
        values: *const msgbus_entry_view,
        count: usize,
    ) -> msgbus_result,
    pub message_payload_view: unsafe extern "C" fn(
        message: *const msgbus_message,
        out_view: *mut msgbus_value_view,
    ) -> msgbus_result,
    pub message_get_view: unsafe extern "C" fn(
        message: *const msgbus_message,
        key: *const c_char,
        key_len: usize,
        out_view: *mut msgbus_value_view,
    ) -> msgbus_result,
    pub bridge_connect: unsafe extern "C" fn(
        bus: *const msgbus_bus,
        options: *const msgbus_bridge_options,
        out_bridge: *mut *mut msgbus_bridge,
    ) -> msgbus_result,
    pub bridge_add: unsafe extern "C" fn(
        bridge: *const msgbus_bridge,
        name: *const c_char,
        mode: msgbus_bridge_mode,
    ) -> msgbus_result,
    pub bridge_remove:
        unsafe extern "C" fn(bridge: *const msgbus_bridge, name: *const c_char) -> msgbus_result,
    pub bridge_statistics: unsafe extern "C" fn(
        bridge: *const msgbus_bridge,
        out_statistics: *mut msgbus_bridge_counters,
    ) -> msgbus_result,
    pub bridge_node_id: unsafe extern "C" fn(bridge: *const msgbus_bridge) -> *const c_char,
    pub bridge_close: unsafe extern "C" fn(bridge: *const msgbus_bridge) -> msgbus_result,
    pub bridge_free: unsafe extern "C" fn(bridge: *mut msgbus_bridge),
}
