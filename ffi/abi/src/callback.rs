//! The function-pointer types callbacks share.

use core::ffi::c_void;

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
