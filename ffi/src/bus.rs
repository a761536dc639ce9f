//! msgbus_bus: destinations, listeners, sending, statistics and shutdown.

use std::ffi::{c_char, c_void};
use std::ptr;
use std::time::Duration;

use msgbus_core::{DestinationConfig, ListenerId, Message, MessageBus, Runtime, Value};

use msgbus_abi::*;

use crate::boundary::*;
use crate::callback::{UserData, handing_over, listener};
use crate::config::destination_type;
use crate::log::install_logger;
use crate::message::cloned;

impl Castable for msgbus_bus {
    type Rust = MessageBus;
}

/// A new bus, with its built-in synchronous destination
/// "msgbus/default_response". On success `*out_bus` owns it: free it with
/// msgbus_bus_free.
///
/// # Safety
/// `out_bus` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_new(out_bus: *mut *mut msgbus_bus) -> msgbus_result {
    guard(|| {
        let out_bus = out(out_bus, "out_bus")?;
        install_logger();
        // SAFETY: checked by `out`.
        unsafe { put(out_bus, to_owned_handle(MessageBus::new())) };
        Ok(())
    })
}

/// A second handle to `bus`, owned by `*out_bus`: each handle is freed
/// once (msgbus_bus_free), and the last one shuts the bus down. A handle
/// to the default bus may be cloned too; the default bus stays.
///
/// # Safety
/// `bus` NULL or live; `out_bus` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_clone(
    bus: *const msgbus_bus,
    out_bus: *mut *mut msgbus_bus,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            let out_bus = out(out_bus, "out_bus")?;
            put(out_bus, to_owned_handle(bus.clone()));
            Ok(())
        })
    }
}

/// The process-wide bus, created on first use (Liferay's MessageBusUtil).
/// It lives until the process exits; msgbus_bus_free on it does nothing,
/// and msgbus_bus_shutdown drains it. In a child made by fork() it is a
/// new bus: the parent's has no workers there. C, C++ and Python code of
/// one process share it. NULL only after a panic.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_default_bus() -> *mut msgbus_bus {
    guard_or(ptr::null_mut(), || {
        install_logger();
        to_handle::<msgbus_bus>(msgbus_core::default_bus()).cast_mut()
    })
}

/// Drops a bus handle; NULL and the default bus do nothing. The last handle
/// shuts the bus down gracefully, waiting for queued messages; do not call
/// it from a listener of that bus.
///
/// # Safety
/// `bus` is NULL, the default bus, or from msgbus_bus_new or
/// msgbus_bus_clone and not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_free(bus: *mut msgbus_bus) {
    guard_or((), || {
        // SAFETY: per the contract, NULL or a live handle.
        let is_default = unsafe { borrow(bus, "bus") }.is_ok_and(msgbus_core::is_default_bus);
        if !is_default {
            // SAFETY: per the contract.
            unsafe { free_handle(bus) }
        }
    })
}

/// Runs `body` with the bus behind `bus`; one inherited through fork()
/// is closed.
pub(crate) unsafe fn with_bus(
    bus: *const msgbus_bus,
    body: impl FnOnce(&MessageBus) -> Outcome,
) -> msgbus_result {
    // SAFETY: the exported callers' contract.
    guard(|| {
        let bus = unsafe { borrow(bus, "bus") }?;
        bus.check_live()?;
        body(bus)
    })
}

/// Writes the answer to a yes-or-no question about the destination `name`.
unsafe fn answer(
    bus: *const msgbus_bus,
    name: *const c_char,
    out_answer: *mut bool,
    question: impl FnOnce(&MessageBus, &str) -> bool,
) -> msgbus_result {
    // SAFETY: the exported callers' contract.
    unsafe {
        with_bus(bus, |bus| {
            let out_answer = out(out_answer, "out_has")?;
            let name = crate::boundary::name(name, "name")?;
            put(out_answer, question(bus, name));
            Ok(())
        })
    }
}

/// Sends a copy of `message` in a way that answers with a value, and hands
/// the caller that value through `out_value`.
unsafe fn send_for_value(
    bus: *const msgbus_bus,
    destination: *const c_char,
    message: *const msgbus_message,
    out_value: *mut *mut msgbus_value,
    send: impl FnOnce(&MessageBus, &str, Message) -> msgbus_core::Result<Value>,
) -> msgbus_result {
    // SAFETY: the exported callers' contract.
    unsafe {
        with_bus(bus, |bus| {
            let out_value = out(out_value, "out_response")?;
            let destination = crate::boundary::name(destination, "destination")?;
            let value = send(bus, destination, cloned(message)?)?;
            put(out_value, to_owned_handle::<msgbus_value>(value));
            Ok(())
        })
    }
}

/// Adds a destination of type `kind` with Liferay's defaults. Listeners
/// already registered on `name` become its listeners.
/// MSGBUS_RESULT_DESTINATION_EXISTS if the name is taken;
/// MSGBUS_RESULT_CLOSED for a queued type after shutdown.
///
/// # Safety
/// `bus` NULL or live; `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_add_destination(
    bus: *const msgbus_bus,
    name: *const c_char,
    kind: msgbus_destination_type,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            let name = crate::boundary::name(name, "name")?;
            Ok(bus.add_destination(name, destination_type(kind)?)?)
        })
    }
}

/// Runs `body` with the destination name and configuration arguments.
unsafe fn with_config(
    bus: *const msgbus_bus,
    name: *const c_char,
    config: *const msgbus_destination_config,
    body: impl FnOnce(&MessageBus, &str, DestinationConfig) -> msgbus_core::Result<()>,
) -> msgbus_result {
    // SAFETY: the exported callers' contract.
    unsafe {
        with_bus(bus, |bus| {
            let name = crate::boundary::name(name, "name")?;
            let config = borrow(config, "config")?.clone();
            Ok(body(bus, name, config)?)
        })
    }
}

/// Adds a destination configured by `config` (copied; it stays the caller's).
/// Errors as msgbus_bus_add_destination, and MSGBUS_RESULT_INVALID_ARGUMENT
/// for a configuration that cannot work.
///
/// # Safety
/// Pointers NULL or live; `name` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_add_destination_with_config(
    bus: *const msgbus_bus,
    name: *const c_char,
    config: *const msgbus_destination_config,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe { with_config(bus, name, config, MessageBus::add_destination_with_config) }
}

/// Adds a destination, or replaces the one named `name`: its listeners
/// stay, its queued messages are delivered before any of the new one's.
///
/// # Safety
/// As msgbus_bus_add_destination_with_config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_replace_destination(
    bus: *const msgbus_bus,
    name: *const c_char,
    config: *const msgbus_destination_config,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe { with_config(bus, name, config, MessageBus::replace_destination) }
}

/// Removes a destination. Its queued messages are still delivered; its
/// listeners stay registered on the name, inactive until it is added again.
///
/// # Safety
/// `bus` NULL or live; `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_remove_destination(
    bus: *const msgbus_bus,
    name: *const c_char,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            Ok(bus.remove_destination(crate::boundary::name(name, "name")?)?)
        })
    }
}

/// Whether a destination named `name` exists.
///
/// # Safety
/// `bus` NULL or live; `name` NULL or NUL-terminated; `out_has` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_has_destination(
    bus: *const msgbus_bus,
    name: *const c_char,
    out_has: *mut bool,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe { answer(bus, name, out_has, MessageBus::has_destination) }
}

/// Calls `visitor` with each destination name, sorted, on this thread.
///
/// # Safety
/// `bus` NULL or live; `visitor` callable with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_destination_names(
    bus: *const msgbus_bus,
    visitor: msgbus_name_visitor,
    user_data: *mut c_void,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            let visitor = required(visitor, "visitor")?;
            for name in bus.destination_names() {
                let name = std::ffi::CString::new(name).expect("names have no NUL byte");
                visitor(user_data, name.as_ptr());
            }
            Ok(())
        })
    }
}

/// Registers `callback` on the destination `name` (which need not exist
/// yet), after the listeners already there; `*out_id` gets its id.
/// `user_data_free` (may be NULL) is called with `user_data` exactly once,
/// after the last possible call: when the listener is unregistered, or when
/// the bus is freed. If this fails, it is not called.
///
/// # Safety
/// `bus` NULL or live; `name` NULL or NUL-terminated; `callback` and
/// `user_data_free` callable with `user_data` from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_register_listener(
    bus: *const msgbus_bus,
    name: *const c_char,
    callback: msgbus_listener_fn,
    user_data: *mut c_void,
    user_data_free: msgbus_free_fn,
    out_id: *mut u64,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            register(
                bus,
                name,
                None,
                callback,
                (user_data, user_data_free),
                out_id,
            )
        })
    }
}

/// msgbus_bus_register_listener for a listener of `runtime` (see
/// msgbus_runtime_register): it is called holding the runtime's lock, and
/// only it is.
///
/// # Safety
/// As msgbus_bus_register_listener; `runtime` NULL or from
/// msgbus_runtime_register.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_register_listener_in_runtime(
    bus: *const msgbus_bus,
    name: *const c_char,
    runtime: *const msgbus_runtime,
    callback: msgbus_listener_fn,
    user_data: *mut c_void,
    user_data_free: msgbus_free_fn,
    out_id: *mut u64,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            let runtime = borrow(runtime, "runtime")?;
            let user_data = (user_data, user_data_free);
            register(bus, name, Some(runtime), callback, user_data, out_id)
        })
    }
}

/// The body of the two registering functions.
unsafe fn register(
    bus: &MessageBus,
    name: *const c_char,
    runtime: Option<&Runtime>,
    callback: msgbus_listener_fn,
    (user_data, user_data_free): (*mut c_void, msgbus_free_fn),
    out_id: *mut u64,
) -> Outcome {
    let out_id = out(out_id, "out_id")?;
    // SAFETY: the exported callers' contract.
    let name = unsafe { crate::boundary::name(name, "name") }?;
    let callback = required(callback, "callback")?;
    let id = handing_over(UserData::new(user_data, user_data_free), |user_data| {
        Ok(bus.register_boxed(name, runtime, Box::new(listener(callback, user_data)))?)
    })?;
    // SAFETY: checked by `out`.
    unsafe { put(out_id, id.as_u64()) };
    Ok(())
}

/// Unregisters a listener. Unless called from inside that listener, waits
/// for its running calls to finish and calls its user_data_free before
/// returning; from inside, user_data_free runs as the call returns.
/// MSGBUS_RESULT_NO_SUCH_LISTENER for an unknown id.
///
/// # Safety
/// `bus` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_unregister_listener(
    bus: *const msgbus_bus,
    id: u64,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            Ok(bus.unregister_listener(ListenerId::from_u64(id))?)
        })
    }
}

/// Whether the destination `name` exists and has at least one listener.
///
/// # Safety
/// `bus` NULL or live; `name` NULL or NUL-terminated; `out_has` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_has_listener(
    bus: *const msgbus_bus,
    name: *const c_char,
    out_has: *mut bool,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe { answer(bus, name, out_has, MessageBus::has_listener) }
}

/// Asynchronous send of a copy of `message` (which stays the caller's):
/// returns once it is queued, or delivered for a synchronous destination.
/// A destination without listeners drops it (counted) and this succeeds.
/// Errors: MSGBUS_RESULT_NO_SUCH_DESTINATION, _CLOSED, _QUEUE_FULL.
///
/// # Safety
/// Pointers NULL or live; `destination` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_send(
    bus: *const msgbus_bus,
    destination: *const c_char,
    message: *const msgbus_message,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            let destination = crate::boundary::name(destination, "destination")?;
            Ok(bus.send(destination, cloned(message)?)?)
        })
    }
}

/// Default synchronous send: sends a copy of `message` with a fresh
/// response id (its response destination becomes "msgbus/default_response"
/// unless it names an existing one) and waits up to `timeout_ms` for the
/// first reply carrying that id. `*out_response` then owns the reply's
/// payload (a null value is a reply). Errors: MSGBUS_RESULT_TIMEOUT,
/// _LISTENER_FAILED as soon as every listener the request reached has
/// returned, one failed and none replied (the detail is its failure's),
/// _NO_SUCH_DESTINATION, _NO_LISTENERS, and those of msgbus_bus_send.
///
/// # Safety
/// Pointers NULL or live; `destination` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_send_synchronous(
    bus: *const msgbus_bus,
    destination: *const c_char,
    message: *const msgbus_message,
    timeout_ms: u64,
    out_response: *mut *mut msgbus_value,
) -> msgbus_result {
    let timeout = Duration::from_millis(timeout_ms);
    // SAFETY: per the contract.
    unsafe {
        send_for_value(
            bus,
            destination,
            message,
            out_response,
            |bus, destination, message| bus.send_synchronous(destination, message, timeout),
        )
    }
}

/// msgbus_bus_send_synchronous without the wait: sends a copy of
/// `message` as a request and returns at once; `*out_request` owns the
/// request, to wait on (msgbus_request_wait) or to have the reply handed
/// to a callback (msgbus_request_on_reply). Errors: those of
/// msgbus_bus_send_synchronous but MSGBUS_RESULT_TIMEOUT.
///
/// # Safety
/// Pointers NULL or live; `destination` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_request(
    bus: *const msgbus_bus,
    destination: *const c_char,
    message: *const msgbus_message,
    out_request: *mut *mut msgbus_request,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            let out_request = out(out_request, "out_request")?;
            let destination = crate::boundary::name(destination, "destination")?;
            let pending = bus.request(destination, cloned(message)?)?;
            put(out_request, to_owned_handle::<msgbus_request>(pending));
            Ok(())
        })
    }
}

/// Direct synchronous send: calls the destination's listeners with a copy
/// of `message` in this thread, bypassing its queue; `*out_response` owns
/// the response the last of them set (a null value if none did). The first
/// failing listener stops the call: MSGBUS_RESULT_LISTENER_FAILED.
///
/// # Safety
/// Pointers NULL or live; `destination` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_send_direct(
    bus: *const msgbus_bus,
    destination: *const c_char,
    message: *const msgbus_message,
    out_response: *mut *mut msgbus_value,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        send_for_value(
            bus,
            destination,
            message,
            out_response,
            MessageBus::send_direct,
        )
    }
}

/// Replies to `request` (typically the message a listener received): sends
/// a copy of `payload` to its response destination with its response id.
/// MSGBUS_RESULT_INVALID_ARGUMENT when the request names no response
/// destination.
///
/// # Safety
/// Pointers NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_reply(
    bus: *const msgbus_bus,
    request: *const msgbus_message,
    payload: *const msgbus_value,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            let (request, payload) = (borrow(request, "request")?, borrow(payload, "payload")?);
            Ok(bus.reply(request, payload.clone())?)
        })
    }
}

/// Shuts the bus down: serial and parallel destinations stop accepting
/// messages (MSGBUS_RESULT_CLOSED); synchronous ones keep working.
/// Graceful (`force` false): queued messages are delivered first. Forced:
/// they are counted as discarded; running calls are waited for. Waits up to
/// `timeout_ms` (MSGBUS_WAIT_FOREVER: no limit) and returns
/// MSGBUS_RESULT_TIMEOUT if workers are still busy then (they go on
/// draining). From a listener of this bus it starts without waiting.
///
/// # Safety
/// `bus` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_shutdown(
    bus: *const msgbus_bus,
    force: bool,
    timeout_ms: u64,
) -> msgbus_result {
    let timeout = (timeout_ms != MSGBUS_WAIT_FOREVER).then(|| Duration::from_millis(timeout_ms));
    // SAFETY: per the contract.
    unsafe { with_bus(bus, |bus| Ok(bus.shutdown(force, timeout)?)) }
}
