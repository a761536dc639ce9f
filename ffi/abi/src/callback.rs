//! The function-pointer types callbacks share.

use core::ffi::{c_char, c_void};

use crate::message::msgbus_message;
use crate::result::msgbus_result;

/// Frees user data (or a pointer value). Called exactly once.
pub type msgbus_free_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// A message listener. `message` is borrowed for the call: copy what must
/// outlive it (msgbus_message_clone). Return MSGBUS_RESULT_OK, or any other
/// code to report a failure (logged and counted; delivery goes on).
/// Called on a worker thread, or on the sender's thread for synchronous
/// destinations and direct sends, possibly concurrently with itself.
pub type msgbus_listener_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, message: *const msgbus_message) -> msgbus_result,
>;

/// An interceptor (msgbus_bus_add_interceptor): called on the sender's
/// thread for every send, before the destination lookup, with the
/// destination name and the message about to be sent, both borrowed for
/// the call. The message may be changed (msgbus_message_put and the other
/// setters; not freed, not kept). Return MSGBUS_RESULT_OK, setting
/// `*out_consume` (false on entry) to true to consume the message: it goes
/// no further, and the send succeeds. Any other code reports a failure
/// (logged and counted; the message goes on as if the interceptor had not
/// been there); msgbus_listener_set_failure describes it, as for
/// listeners. Called from any number of threads at once.
pub type msgbus_interceptor_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        destination: *const c_char,
        message: *mut msgbus_message,
        out_consume: *mut bool,
    ) -> msgbus_result,
>;

/// Receives a text (msgbus_bus_metrics_text, _json) in one call, on the
/// calling thread: `text` is NUL-terminated, `len` bytes long without the
/// NUL, UTF-8, and borrowed for the call.
pub type msgbus_text_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, text: *const c_char, len: usize)>;
