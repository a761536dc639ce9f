//! Registration events for C event listeners.

use std::ffi::{CString, c_char, c_void};

use msgbus_core::{BusEvent, EventListenerId};

use msgbus_abi::*;

use crate::boundary::*;
use crate::callback::{UserData, handing_over};

/// Registers `callback` for the registration events of the whole bus
/// (`destination` NULL) or of one destination name; `*out_id` gets its id.
/// `user_data_free` (may be NULL) runs exactly once after the last possible
/// call: on removal or when the bus is freed; not if this fails.
///
/// # Safety
/// `bus` NULL or live; `destination` NULL or NUL-terminated; `callback` and
/// `user_data_free` callable with `user_data` from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_add_event_listener(
    bus: *const msgbus_bus,
    destination: *const c_char,
    callback: msgbus_event_listener_fn,
    user_data: *mut c_void,
    user_data_free: msgbus_free_fn,
    out_id: *mut u64,
) -> msgbus_result {
    guard(|| {
        let out_id = out(out_id, "out_id")?;
        // SAFETY: per the contract.
        let bus = unsafe { borrow(bus, "bus") }?;
        let destination = if destination.is_null() {
            None
        } else {
            // SAFETY: per the contract.
            Some(unsafe { name(destination, "destination") }?)
        };
        let callback = required(callback, "callback")?;
        let user_data = UserData::new(user_data, user_data_free);
        let id = handing_over(user_data, |user_data| {
            Ok(bus.add_event_listener(destination, move |event| {
                let (event_type, listener_id) = match event {
                    BusEvent::DestinationAdded { .. } => (MSGBUS_EVENT_DESTINATION_ADDED, 0),
                    BusEvent::DestinationRemoved { .. } => (MSGBUS_EVENT_DESTINATION_REMOVED, 0),
                    BusEvent::ListenerRegistered { listener, .. } => {
                        (MSGBUS_EVENT_LISTENER_REGISTERED, listener.as_u64())
                    }
                    BusEvent::ListenerUnregistered { listener, .. } => {
                        (MSGBUS_EVENT_LISTENER_UNREGISTERED, listener.as_u64())
                    }
                };
                let destination =
                    CString::new(event.destination()).expect("names have no NUL byte");
                let event = msgbus_event {
                    event_type,
                    destination: destination.as_ptr(),
                    listener_id,
                };
                // SAFETY: the registrant's callback; the event is borrowed for the call.
                unsafe { callback(user_data.ptr(), &event) };
            })?)
        })?;
        // SAFETY: checked by `out`.
        unsafe { put(out_id, id.as_u64()) };
        Ok(())
    })
}

/// Removes an event listener; waits for its running calls (unless called
/// from inside one) and calls its user_data_free.
/// MSGBUS_RESULT_NO_SUCH_LISTENER for an unknown id.
///
/// # Safety
/// `bus` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_remove_event_listener(
    bus: *const msgbus_bus,
    id: u64,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let bus = unsafe { borrow(bus, "bus") }?;
        Ok(bus.remove_event_listener(EventListenerId::from_u64(id))?)
    })
}
