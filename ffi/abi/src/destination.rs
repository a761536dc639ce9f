//! msgbus_destination: a handle that sends to one destination.

use core::ffi::c_char;

use crate::value::msgbus_value_view;

/// Sends to the destination of one name without looking the name up per
/// send; made by msgbus_bus_destination, freed by msgbus_destination_free.
/// Once that destination is replaced or removed it sends by the name (to
/// the replacement, or as to an unknown name). It does not keep its bus
/// alive. Every function may be called on it from any thread at once.
pub struct msgbus_destination {
    _private: [u8; 0],
}

/// A value under a key, for msgbus_destination_send_view: the `key_len`
/// bytes of UTF-8 at `key` (no NUL needed) and the value's view.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct msgbus_entry_view {
    pub key: *const c_char,
    pub key_len: usize,
    pub value: msgbus_value_view,
}
