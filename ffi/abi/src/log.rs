//! Log levels and the log handler's type.

use core::ffi::{c_char, c_void};

/// A log level: one of the MSGBUS_LOG_LEVEL_* constants.
pub type msgbus_log_level = u32;
pub const MSGBUS_LOG_LEVEL_ERROR: msgbus_log_level = 1;
pub const MSGBUS_LOG_LEVEL_WARN: msgbus_log_level = 2;
pub const MSGBUS_LOG_LEVEL_INFO: msgbus_log_level = 3;
pub const MSGBUS_LOG_LEVEL_DEBUG: msgbus_log_level = 4;
pub const MSGBUS_LOG_LEVEL_TRACE: msgbus_log_level = 5;

/// A log handler: `target` names the part of msgbus that logs, `message`
/// the event; both are borrowed for the call. Called on any thread, from
/// any number of threads at once.
pub type msgbus_log_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: msgbus_log_level,
        target: *const c_char,
        message: *const c_char,
    ),
>;
