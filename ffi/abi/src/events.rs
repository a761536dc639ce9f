//! Registration events, as event listeners receive them.

use core::ffi::{c_char, c_void};

/// The kind of a registration event: one of the MSGBUS_EVENT_* constants.
pub type msgbus_event_type = u32;
pub const MSGBUS_EVENT_DESTINATION_ADDED: msgbus_event_type = 0;
pub const MSGBUS_EVENT_DESTINATION_REMOVED: msgbus_event_type = 1;
pub const MSGBUS_EVENT_LISTENER_REGISTERED: msgbus_event_type = 2;
pub const MSGBUS_EVENT_LISTENER_UNREGISTERED: msgbus_event_type = 3;

/// A registration event, borrowed for the call of an event listener.
#[repr(C)]
pub struct msgbus_event {
    pub event_type: msgbus_event_type,
    /// The destination name, NUL-terminated.
    pub destination: *const c_char,
    /// The listener concerned, for LISTENER_* events; 0 otherwise.
    pub listener_id: u64,
}

/// An event listener, called in the thread that made the change, with no
/// lock held: it may call back into the bus.
pub type msgbus_event_listener_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const msgbus_event)>;
