//! msgbus_request: a default-synchronous request in flight.

use core::ffi::c_void;

use crate::value::msgbus_value;

/// A default-synchronous request in flight, made by msgbus_bus_request:
/// wait for its reply with msgbus_request_wait, or have the reply handed
/// to a callback with msgbus_request_on_reply. msgbus_request_free stops
/// waiting: a reply that arrives later is ignored. Not for concurrent use.
pub struct msgbus_request {
    _private: [u8; 0],
}

/// Receives a request's reply (msgbus_request_on_reply): `payload` is
/// borrowed for the call, which runs on the thread that delivers the reply.
pub type msgbus_reply_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, payload: *const msgbus_value)>;
