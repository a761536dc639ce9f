//! msgbus_bus: the bus handle, and what its functions take.

use core::ffi::{c_char, c_void};

/// A message bus. Every function may be called on it from any thread at
/// once. msgbus_bus_free drops this handle: the last handle shuts the bus
/// down gracefully (every queued message is delivered first).
pub struct msgbus_bus {
    _private: [u8; 0],
}

/// Called by msgbus_bus_destination_names with each name, borrowed for the
/// call, on the calling thread.
pub type msgbus_name_visitor =
    Option<unsafe extern "C" fn(user_data: *mut c_void, name: *const c_char)>;

/// Waits as long as it takes (msgbus_bus_shutdown).
pub const MSGBUS_WAIT_FOREVER: u64 = u64::MAX;
