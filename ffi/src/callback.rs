//! C callbacks with their user data: the owner that frees user data
//! exactly once, after the last call, and C listeners with the failures
//! they report.

use std::cell::RefCell;
use std::ffi::{c_char, c_void};
use std::sync::Arc;

use msgbus_abi::*;
use msgbus_core::{ListenerError, Message};

use crate::boundary::*;
use crate::result::*;

thread_local! {
    /// The failure a listener running on this thread described with
    /// msgbus_listener_set_failure, for the code it is about to return.
    static FAILURE: RefCell<Option<ListenerError>> = const { RefCell::new(None) };
}

/// User data handed to the bus with its free function.
pub(crate) struct UserData {
    ptr: *mut c_void,
    free: msgbus_free_fn,
}

// SAFETY: registering a callback documents that the callback and its user
// data may be used, and the data freed, on any thread.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl UserData {
    pub(crate) fn new(ptr: *mut c_void, free: msgbus_free_fn) -> Self {
        UserData { ptr, free }
    }

    pub(crate) fn ptr(&self) -> *mut c_void {
        self.ptr
    }
}

/// Runs `register` with `user_data` shared: what `register` hands the bus
/// owns it from then on, and frees it after its last call. If `register`
/// fails, the user data is not freed, whatever the bus dropped: the C
/// contract says a failed registration does not call user_data_free.
pub(crate) fn handing_over<T>(
    user_data: UserData,
    register: impl FnOnce(Arc<UserData>) -> Outcome<T>,
) -> Outcome<T> {
    let ours = Arc::new(user_data);
    let result = register(ours.clone());
    if result.is_err()
        && let Some(mut refused) = Arc::into_inner(ours)
    {
        refused.free = None;
    }
    result
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the registrant gave us this pair.
            unsafe { free(self.ptr) };
        }
    }
}

/// Wraps a C listener as a Rust listener; dropping it frees the user data.
pub(crate) fn listener(
    callback: unsafe extern "C" fn(*mut c_void, *const msgbus_message) -> msgbus_result,
    user_data: Arc<UserData>,
) -> impl Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static {
    move |message| {
        reported("listener", || {
            // SAFETY: the registrant's callback; the message is borrowed for the call.
            unsafe { callback(user_data.ptr(), to_handle::<msgbus_message>(message)) }
        })
    }
}

/// Runs `call`, a C callback returning a result code that it may describe
/// first with msgbus_listener_set_failure: `Ok` for MSGBUS_RESULT_OK, else
/// the failure it described, or one naming the code (and `what` returned
/// it). A description an enclosing callback on this thread gave before
/// the send that led here stays for that callback.
pub(crate) fn reported(
    what: &str,
    call: impl FnOnce() -> msgbus_result,
) -> Result<(), ListenerError> {
    let enclosing = FAILURE.take();
    let code = call();
    let described = FAILURE.replace(enclosing);
    if code == MSGBUS_RESULT_OK {
        return Ok(());
    }
    Err(described.unwrap_or_else(|| {
        ListenerError::new(format!("the {what} returned {code} ({})", text_of(code)))
    }))
}

/// Describes the failure the calling listener (or interceptor) is about to
/// report: call it from inside one just before it returns an error code. `detail`
/// replaces "the listener returned N (...)" in the bus's log record and in
/// the msgbus_last_error_message of a direct send; `logged` says the
/// listener logged the failure itself, so the bus counts it without
/// logging it again. Outside a listener, or followed by MSGBUS_RESULT_OK,
/// it has no effect.
///
/// # Safety
/// `detail` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_listener_set_failure(
    detail: *const c_char,
    logged: bool,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let detail = unsafe { text(detail, "detail") }?;
        let failure = ListenerError::new(detail);
        FAILURE.set(Some(if logged { failure.reported() } else { failure }));
        Ok(())
    })
}
