//! C callbacks with their user data: the function pointer types, and the
//! owner that frees user data exactly once, after the last call.

use std::ffi::c_void;

use msgbus_core::{ListenerError, Message};

use crate::boundary::to_handle;
use crate::message::msgbus_message;
use crate::result::*;

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
    user_data: UserData,
) -> impl Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static {
    move |message| {
        // SAFETY: the registrant's callback; the message is borrowed for the call.
        let code = unsafe { callback(user_data.ptr(), to_handle::<msgbus_message>(message)) };
        if code == MSGBUS_RESULT_OK {
            Ok(())
        } else {
            Err(ListenerError::new(format!(
                "the listener returned {code} ({})",
                text_of(code)
            )))
        }
    }
}
