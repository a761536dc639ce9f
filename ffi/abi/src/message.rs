//! msgbus_message: a payload, named values, and the reply fields.

use core::ffi::{c_char, c_void};

use crate::value::msgbus_value;

/// A message. Made by msgbus_message_new or _clone and freed with
/// msgbus_message_free. Sending copies no large payload or value (they are
/// shared, small ones are stored in the message): changes made after a
/// send are not seen by its listeners. A message given to a
/// listener is borrowed for the call and read-only, except for its
/// response (msgbus_message_set_response); one given to an interceptor is
/// borrowed for the call and may be changed. Not for concurrent mutation.
pub struct msgbus_message {
    _private: [u8; 0],
}

/// Called by msgbus_message_for_each_value for each value, in insertion
/// order, on the calling thread; `key` and `value` are borrowed from the
/// message, as msgbus_message_get's value is, until it is changed or freed.
pub type msgbus_value_visitor = Option<
    unsafe extern "C" fn(user_data: *mut c_void, key: *const c_char, value: *const msgbus_value),
>;
