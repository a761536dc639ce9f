//! Interceptors for C: callables every send passes before the destination
//! lookup (Liferay's MessageBusInterceptor).

use std::borrow::Cow;
use std::ffi::{CString, c_char, c_void};
use std::sync::Arc;

use msgbus_core::{InterceptorFn, InterceptorId, MessageBus, Runtime};

use msgbus_abi::*;

use crate::boundary::*;
use crate::callback::{UserData, handing_over, reported};

/// Adds `callback` as an interceptor, after those already there: every
/// send of the bus (of any kind, scheduled ones and replies included; dead
/// letters excepted) calls it, on the sending thread, before the
/// destination lookup. It may change the message, or consume it (see
/// msgbus_interceptor_fn). `*out_id` gets its id. `user_data_free` (may be
/// NULL) is called with `user_data` exactly once, after the last possible
/// call: when the interceptor is removed, or when the bus is freed; not if
/// this fails. MSGBUS_RESULT_CLOSED for a bus inherited through fork().
///
/// # Safety
/// `bus` NULL or live; `callback` and `user_data_free` callable with
/// `user_data` from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_add_interceptor(
    bus: *const msgbus_bus,
    callback: msgbus_interceptor_fn,
    user_data: *mut c_void,
    user_data_free: msgbus_free_fn,
    out_id: *mut u64,
) -> msgbus_result {
    guard(|| {
        let out_id = out(out_id, "out_id")?;
        // SAFETY: per the contract.
        let bus = unsafe { borrow(bus, "bus") }?;
        add(bus, None, callback, (user_data, user_data_free), out_id)
    })
}

/// msgbus_bus_add_interceptor for an interceptor of `runtime` (see
/// msgbus_runtime_register): it is called holding the runtime's lock, as
/// msgbus_bus_register_listener_in_runtime's listeners are.
///
/// # Safety
/// As msgbus_bus_add_interceptor; `runtime` NULL or from
/// msgbus_runtime_register.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_add_interceptor_in_runtime(
    bus: *const msgbus_bus,
    runtime: *const msgbus_runtime,
    callback: msgbus_interceptor_fn,
    user_data: *mut c_void,
    user_data_free: msgbus_free_fn,
    out_id: *mut u64,
) -> msgbus_result {
    guard(|| {
        let out_id = out(out_id, "out_id")?;
        // SAFETY: per the contract.
        let (bus, runtime) = unsafe { (borrow(bus, "bus")?, borrow(runtime, "runtime")?) };
        let user_data = (user_data, user_data_free);
        add(bus, Some(runtime), callback, user_data, out_id)
    })
}

/// The body of the two adding functions.
fn add(
    bus: &MessageBus,
    runtime: Option<&Runtime>,
    callback: msgbus_interceptor_fn,
    (user_data, user_data_free): (*mut c_void, msgbus_free_fn),
    out_id: *mut u64,
) -> Outcome {
    let callback = required(callback, "callback")?;
    let id = handing_over(UserData::new(user_data, user_data_free), |user_data| {
        Ok(bus.add_interceptor_boxed(runtime, interceptor(callback, user_data))?)
    })?;
    // SAFETY: checked by `out`.
    unsafe { put(out_id, id.as_u64()) };
    Ok(())
}

type CInterceptor = unsafe extern "C" fn(
    *mut c_void,
    *const c_char,
    *mut msgbus_message,
    *mut bool,
) -> msgbus_result;

/// Wraps a C interceptor as a Rust one; dropping it frees the user data.
fn interceptor(callback: CInterceptor, user_data: Arc<UserData>) -> Box<InterceptorFn> {
    Box::new(move |destination, message| {
        // Interceptors run before the lookup: a Rust sender's name may
        // hold a NUL byte, which no destination has. Shown escaped.
        let destination = match destination.contains('\0') {
            true => Cow::Owned(destination.replace('\0', "\\0")),
            false => Cow::Borrowed(destination),
        };
        let destination = CString::new(destination.as_bytes()).expect("NUL bytes escaped");
        let mut consume = false;
        reported("interceptor", || {
            // SAFETY: the registrant's callback; the name, the message
            // (mutably) and `consume` are borrowed for the call.
            unsafe {
                callback(
                    user_data.ptr(),
                    destination.as_ptr(),
                    to_handle_mut::<msgbus_message>(message),
                    &mut consume,
                )
            }
        })?;
        Ok(consume)
    })
}

/// Removes an interceptor. Unless called from inside that interceptor,
/// waits for its running calls to finish and calls its user_data_free
/// before returning; from inside, user_data_free runs as the call returns.
/// MSGBUS_RESULT_NO_SUCH_LISTENER for an unknown id.
///
/// # Safety
/// `bus` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_remove_interceptor(
    bus: *const msgbus_bus,
    id: u64,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let bus = unsafe { borrow(bus, "bus") }?;
        Ok(bus.remove_interceptor(InterceptorId::from_u64(id))?)
    })
}
