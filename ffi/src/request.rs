//! msgbus_request: waiting for the reply of a request, or having it handed
//! to a callback.

use std::ffi::c_void;
use std::time::Duration;

use msgbus_abi::*;
use msgbus_core::PendingReply;

use crate::boundary::*;
use crate::callback::{UserData, handing_over};

impl Castable for msgbus_request {
    type Rust = PendingReply;
}

/// Waits up to `timeout_ms` for the request's reply; `*out_response` then
/// owns its payload (a null value is a reply). MSGBUS_RESULT_TIMEOUT when
/// none came in time: the request still waits, and may be waited on
/// again. The reply is handed out once: a wait after it times out at once.
/// MSGBUS_RESULT_LISTENER_FAILED, with the failure's detail, once every
/// listener the request reached has returned, one failed and none
/// replied; every later wait says the same.
///
/// # Safety
/// `request` NULL or live; `out_response` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_request_wait(
    request: *const msgbus_request,
    timeout_ms: u64,
    out_response: *mut *mut msgbus_value,
) -> msgbus_result {
    guard(|| {
        let out_response = out(out_response, "out_response")?;
        // SAFETY: per the contract.
        let request = unsafe { borrow(request, "request") }?;
        let payload = request.wait(Duration::from_millis(timeout_ms))?;
        // SAFETY: checked by `out`.
        unsafe { put(out_response, to_owned_handle::<msgbus_value>(payload)) };
        Ok(())
    })
}

/// Hands the reply's payload to `callback` instead of keeping it for
/// msgbus_request_wait: `callback` runs once, on the thread that delivers
/// the reply, or in this call if the reply is here already (and was not
/// taken by msgbus_request_wait); the payload
/// is borrowed for the call. `user_data_free` (may be NULL) runs exactly
/// once after that, or when the request is freed before any reply came.
/// For event loops: the callback should only schedule work. A second
/// callback replaces the first, which is freed uncalled.
///
/// # Safety
/// `request` NULL or live; `callback` and `user_data_free` callable with
/// `user_data` from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_request_on_reply(
    request: *const msgbus_request,
    callback: msgbus_reply_fn,
    user_data: *mut c_void,
    user_data_free: msgbus_free_fn,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let request = unsafe { borrow(request, "request") }?;
        let callback = required(callback, "callback")?;
        handing_over(UserData::new(user_data, user_data_free), |user_data| {
            Ok(request.on_reply(move |payload| {
                // SAFETY: the caller's callback; the payload is borrowed for the call.
                unsafe { callback(user_data.ptr(), to_handle::<msgbus_value>(&payload)) };
            })?)
        })
    })
}

/// Frees a request: it stops waiting, and a reply arriving later is
/// ignored (a callback not called yet never is). NULL does nothing.
///
/// # Safety
/// `request` NULL or from msgbus_bus_request, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_request_free(request: *mut msgbus_request) {
    // SAFETY: per the contract.
    guard_or((), || unsafe { free_handle(request) })
}
