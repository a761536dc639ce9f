//! msgbus_destination: sending to one destination without a name lookup
//! per send (msgbus_core::DestinationHandle).

use std::ffi::c_char;

use msgbus_abi::*;
use msgbus_core::{DestinationHandle, Message, Value};

use crate::boundary::*;
use crate::bus::with_bus;
use crate::message::cloned;
use crate::value::{utf8, viewed};

impl Castable for msgbus_destination {
    type Rust = DestinationHandle;
}

/// A handle that sends to the destination `name`, which must exist
/// (MSGBUS_RESULT_NO_SUCH_DESTINATION). Free it with
/// msgbus_destination_free; it does not keep the bus alive, and after
/// the bus shut down its sends are refused as the bus's are.
///
/// # Safety
/// `bus` NULL or live; `name` NULL or NUL-terminated; `out_destination`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_destination(
    bus: *const msgbus_bus,
    name: *const c_char,
    out_destination: *mut *mut msgbus_destination,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            let out_destination = out(out_destination, "out_destination")?;
            let handle = bus.destination(crate::boundary::name(name, "name")?)?;
            put(
                out_destination,
                to_owned_handle::<msgbus_destination>(handle),
            );
            Ok(())
        })
    }
}

/// Frees a destination handle; NULL does nothing.
///
/// # Safety
/// `destination` NULL or from msgbus_bus_destination, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_free(destination: *mut msgbus_destination) {
    // SAFETY: per the contract.
    guard_or((), || unsafe { free_handle(destination) })
}

/// msgbus_bus_send of a copy of `message` (which stays the caller's) to
/// the handle's destination.
///
/// # Safety
/// Pointers NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_send(
    destination: *const msgbus_destination,
    message: *const msgbus_message,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let destination = unsafe { borrow(destination, "destination") }?;
        // SAFETY: per the contract.
        Ok(destination.send(unsafe { cloned(message) }?)?)
    })
}

/// Sends a message whose payload is a copy of the `len` bytes at `data`
/// and which has no values, without a msgbus_message to make and free.
/// `data` may be NULL when `len` is 0.
///
/// # Safety
/// `destination` NULL or live; `data` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_send_bytes(
    destination: *const msgbus_destination,
    data: *const u8,
    len: usize,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let destination = unsafe { borrow(destination, "destination") }?;
        // SAFETY: per the contract.
        let bytes = unsafe { slice(data, len, "data") }?;
        Ok(destination.send(Message::with_payload(Value::Bytes(bytes.into())))?)
    })
}

/// Sends a message of the payload `payload` and the `count` values at
/// `values`, described in place: one call, with no msgbus_message or
/// msgbus_value to make and free (what a binding's send of a bare payload
/// with values uses). A key given twice keeps its last value. Nothing is
/// sent when an argument is refused.
///
/// # Safety
/// `destination` NULL or live; `payload` NULL or a valid view; `values`
/// NULL (only when `count` is 0) or `count` readable entries, each with
/// `key_len` readable bytes at `key` and a valid view.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_send_view(
    destination: *const msgbus_destination,
    payload: *const msgbus_value_view,
    values: *const msgbus_entry_view,
    count: usize,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let destination = unsafe { borrow(destination, "destination") }?;
        // SAFETY: per the contract.
        let mut message = Message::with_payload(unsafe { viewed(payload) }?);
        // SAFETY: per the contract.
        for entry in unsafe { slice(values, count, "values") }? {
            // SAFETY: per the contract.
            let key = unsafe { utf8(entry.key.cast(), entry.key_len, "key") }?;
            if key.contains('\0') {
                return Err(Failure::new(
                    MSGBUS_RESULT_INVALID_ARGUMENT,
                    format!("key {key:?} holds a NUL byte, which no C string can"),
                ));
            }
            // SAFETY: per the contract.
            message.put(key, unsafe { viewed(&entry.value) }?);
        }
        Ok(destination.send(message)?)
    })
}

/// Sends copies of the `count` messages at `messages` in order, as
/// msgbus_destination_send does, and stops at the first one refused:
/// `*out_sent` is then how many were sent before it, and the result that
/// one's error. Every pointer in `messages` is checked before any is sent.
///
/// # Safety
/// `destination` NULL or live; `messages` NULL (only when `count` is 0) or
/// `count` readable pointers, each NULL or a live message; `out_sent`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_send_many(
    destination: *const msgbus_destination,
    messages: *const *const msgbus_message,
    count: usize,
    out_sent: *mut usize,
) -> msgbus_result {
    guard(|| {
        let out_sent = out(out_sent, "out_sent")?;
        // SAFETY: checked by `out`.
        unsafe { put(out_sent, 0) };
        // SAFETY: per the contract.
        let destination = unsafe { borrow(destination, "destination") }?;
        // SAFETY: per the contract.
        let messages = unsafe { slice(messages, count, "messages") }?;
        let borrowed = messages
            .iter()
            .enumerate()
            // SAFETY: per the contract.
            .map(|(i, &m)| unsafe { borrow(m, &format!("messages[{i}]")) })
            .collect::<Outcome<Vec<&Message>>>()?;
        let sent = destination.send_many(borrowed.into_iter().cloned());
        let (count, result) = match sent {
            Ok(count) => (count, Ok(())),
            Err((count, error)) => (count, Err(error.into())),
        };
        // SAFETY: checked by `out`.
        unsafe { put(out_sent, count) };
        result
    })
}

/// msgbus_bus_send_direct of a copy of `message` to the handle's
/// destination; `*out_response` then owns the response.
///
/// # Safety
/// Pointers NULL or live; `out_response` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_send_direct(
    destination: *const msgbus_destination,
    message: *const msgbus_message,
    out_response: *mut *mut msgbus_value,
) -> msgbus_result {
    guard(|| {
        let out_response = out(out_response, "out_response")?;
        // SAFETY: per the contract.
        let destination = unsafe { borrow(destination, "destination") }?;
        // SAFETY: per the contract.
        let response = destination.send_direct(unsafe { cloned(message) }?)?;
        // SAFETY: checked by `out`.
        unsafe { put(out_response, to_owned_handle::<msgbus_value>(response)) };
        Ok(())
    })
}
