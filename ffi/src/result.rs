//! Result codes. Their numbers are fixed and never reused.

use std::ffi::c_char;

use msgbus_abi::*;
use msgbus_core::Error;

pub(crate) fn code_of(error: &Error) -> msgbus_result {
    match error {
        Error::InvalidArgument(_) => MSGBUS_RESULT_INVALID_ARGUMENT,
        Error::NoSuchDestination(_) => MSGBUS_RESULT_NO_SUCH_DESTINATION,
        Error::DestinationExists(_) => MSGBUS_RESULT_DESTINATION_EXISTS,
        Error::NoSuchListener => MSGBUS_RESULT_NO_SUCH_LISTENER,
        Error::QueueFull(_) => MSGBUS_RESULT_QUEUE_FULL,
        Error::Closed(_) => MSGBUS_RESULT_CLOSED,
        Error::NoListeners(_) => MSGBUS_RESULT_NO_LISTENERS,
        Error::Timeout(_) => MSGBUS_RESULT_TIMEOUT,
        Error::Listener(_) => MSGBUS_RESULT_LISTENER_FAILED,
        Error::Interrupted => MSGBUS_RESULT_INTERRUPTED,
    }
}

/// The text of a result code, without the NUL.
pub(crate) fn text_of(code: msgbus_result) -> &'static str {
    let text = describe(code);
    &text[..text.len() - 1]
}

fn describe(code: msgbus_result) -> &'static str {
    match code {
        MSGBUS_RESULT_OK => "ok\0",
        MSGBUS_RESULT_NULL_PARAMETER => "null parameter\0",
        MSGBUS_RESULT_INVALID_ARGUMENT => "invalid argument\0",
        MSGBUS_RESULT_NO_SUCH_DESTINATION => "no such destination\0",
        MSGBUS_RESULT_DESTINATION_EXISTS => "destination exists\0",
        MSGBUS_RESULT_NO_SUCH_LISTENER => "no such listener\0",
        MSGBUS_RESULT_QUEUE_FULL => "queue full\0",
        MSGBUS_RESULT_CLOSED => "closed\0",
        MSGBUS_RESULT_NO_LISTENERS => "no listeners\0",
        MSGBUS_RESULT_TIMEOUT => "timeout\0",
        MSGBUS_RESULT_LISTENER_FAILED => "listener failed\0",
        MSGBUS_RESULT_WRONG_TYPE => "wrong type\0",
        MSGBUS_RESULT_NOT_FOUND => "not found\0",
        MSGBUS_RESULT_PANIC => "panic\0",
        MSGBUS_RESULT_INTERRUPTED => "interrupted\0",
        _ => "unknown result code\0",
    }
}

/// A static, NUL-terminated name for `result` ("unknown result code" for a
/// number that is not one). Never NULL; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_result_str(result: msgbus_result) -> *const c_char {
    describe(result).as_ptr().cast()
}
