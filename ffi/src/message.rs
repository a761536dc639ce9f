//! msgbus_message: a payload, named values, and the reply fields.

use std::ffi::{c_char, c_void};
use std::ptr;

use msgbus_core::{Message, Text};

use msgbus_abi::*;

use crate::boundary::*;
use crate::value::{utf8, view_of, viewed};

impl Castable for msgbus_message {
    type Rust = Message;
}

/// A new empty message (null payload). Free it with msgbus_message_free.
/// Never NULL (except after a panic).
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_message_new() -> *mut msgbus_message {
    guard_or(ptr::null_mut(), || to_owned_handle(Message::new()))
}

/// Frees a message; NULL does nothing. Never pass a borrowed message.
///
/// # Safety
/// `message` is NULL or a message from msgbus_message_new/_clone not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_free(message: *mut msgbus_message) {
    // SAFETY: per the contract.
    guard_or((), || unsafe { free_handle(message) })
}

/// A new message equal to `message` (values shared, not copied); NULL when
/// `message` is NULL. Use it to keep a message a listener borrowed.
///
/// # Safety
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_clone(
    message: *const msgbus_message,
) -> *mut msgbus_message {
    guard_or(ptr::null_mut(), || {
        // SAFETY: per the contract.
        match unsafe { borrow(message, "message") } {
            Ok(message) => to_owned_handle(message.clone()),
            Err(_) => ptr::null_mut(),
        }
    })
}

/// Sets the payload to a copy of `value` (which stays the caller's).
///
/// # Safety
/// `message` and `value` are NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_set_payload(
    message: *mut msgbus_message,
    value: *const msgbus_value,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let (message, value) =
            unsafe { (borrow_mut(message, "message")?, borrow(value, "value")?) };
        message.set_payload(value.clone());
        Ok(())
    })
}

/// The payload, borrowed from the message until it is changed or freed.
/// NULL when `message` is NULL.
///
/// # Safety
/// `message` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_payload(
    message: *const msgbus_message,
) -> *const msgbus_value {
    guard_or(ptr::null(), || {
        // SAFETY: per the contract.
        unsafe { borrow(message, "message") }
            .map_or(ptr::null(), |m| to_handle::<msgbus_value>(m.payload()))
    })
}

/// The payload described in place, in one call (see msgbus_value_view):
/// `data` borrows the message's contents until it is changed or freed. A
/// pointer or object payload gives only its type; read it with
/// msgbus_message_payload.
///
/// # Safety
/// `message` NULL or live; `out_view` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_payload_view(
    message: *const msgbus_message,
    out_view: *mut msgbus_value_view,
) -> msgbus_result {
    guard(|| {
        let out_view = out(out_view, "out_view")?;
        // SAFETY: per the contract.
        let message = unsafe { borrow(message, "message") }?;
        // SAFETY: checked by `out`.
        unsafe { put(out_view, view_of(message.payload())) };
        Ok(())
    })
}

/// Sets the payload to a copy of the NUL-terminated UTF-8 string `text`.
///
/// # Safety
/// `message` is NULL or live; `text` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_set_payload_string(
    message: *mut msgbus_message,
    text: *const c_char,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let (message, text) = unsafe {
            (
                borrow_mut(message, "message")?,
                crate::boundary::text(text, "text")?,
            )
        };
        message.set_payload(text);
        Ok(())
    })
}

/// Reads a string payload (as msgbus_value_as_string): borrowed from the
/// message; `out_len` may be NULL. MSGBUS_RESULT_WRONG_TYPE if the payload
/// is not a string.
///
/// # Safety
/// `message` is NULL or live; out-parameters NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_payload_string(
    message: *const msgbus_message,
    out_text: *mut *const c_char,
    out_len: *mut usize,
) -> msgbus_result {
    if message.is_null() {
        return guard(|| Err(null("message")));
    }
    // SAFETY: per the contract.
    unsafe {
        crate::value::msgbus_value_as_string(msgbus_message_payload(message), out_text, out_len)
    }
}

/// Sets `key` to a copy of `value`; a null value removes the key.
///
/// # Safety
/// Pointers NULL or live; `key` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_put(
    message: *mut msgbus_message,
    key: *const c_char,
    value: *const msgbus_value,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let (message, key, value) = unsafe {
            (
                borrow_mut(message, "message")?,
                text(key, "key")?,
                borrow(value, "value")?,
            )
        };
        message.put(key, value.clone());
        Ok(())
    })
}

/// msgbus_message_set_payload for a value described in place: no
/// msgbus_value is made.
///
/// # Safety
/// `message` NULL or live; `view` NULL or readable, its `data` pointing to
/// `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_set_payload_view(
    message: *mut msgbus_message,
    view: *const msgbus_value_view,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let (message, value) = unsafe { (borrow_mut(message, "message")?, viewed(view)?) };
        message.set_payload(value);
        Ok(())
    })
}

/// msgbus_message_put for a value described in place: no msgbus_value is
/// made; a null view removes the key.
///
/// # Safety
/// As msgbus_message_set_payload_view; `key` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_put_view(
    message: *mut msgbus_message,
    key: *const c_char,
    view: *const msgbus_value_view,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let (message, key, value) = unsafe {
            (
                borrow_mut(message, "message")?,
                text(key, "key")?,
                viewed(view)?,
            )
        };
        message.put(key, value);
        Ok(())
    })
}

/// The value under `key`, borrowed from the message until it is changed or
/// freed. MSGBUS_RESULT_NOT_FOUND when absent.
///
/// # Safety
/// Pointers NULL or live; `key` NUL-terminated; `out_value` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_get(
    message: *const msgbus_message,
    key: *const c_char,
    out_value: *mut *const msgbus_value,
) -> msgbus_result {
    guard(|| {
        let out_value = out(out_value, "out_value")?;
        // SAFETY: per the contract.
        let (message, key) = unsafe { (borrow(message, "message")?, text(key, "key")?) };
        let value = message.get(key).ok_or_else(|| not_found(key))?;
        // SAFETY: checked by `out`.
        unsafe { put(out_value, to_handle::<msgbus_value>(value)) };
        Ok(())
    })
}

/// The value under the `key_len` bytes of UTF-8 at `key` (no NUL needed)
/// described in place, in one call, as msgbus_message_payload_view does;
/// MSGBUS_RESULT_NOT_FOUND when absent.
///
/// # Safety
/// `message` NULL or live; `key` has `key_len` readable bytes; `out_view`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_get_view(
    message: *const msgbus_message,
    key: *const c_char,
    key_len: usize,
    out_view: *mut msgbus_value_view,
) -> msgbus_result {
    guard(|| {
        let out_view = out(out_view, "out_view")?;
        // SAFETY: per the contract.
        let (message, key) = unsafe {
            (
                borrow(message, "message")?,
                utf8(key.cast(), key_len, "key")?,
            )
        };
        let value = message.get(key).ok_or_else(|| not_found(key))?;
        // SAFETY: checked by `out`.
        unsafe { put(out_view, view_of(value)) };
        Ok(())
    })
}

fn not_found(key: &str) -> Failure {
    Failure::new(MSGBUS_RESULT_NOT_FOUND, format!("no value under {key:?}"))
}

/// Removes `key`; MSGBUS_RESULT_NOT_FOUND when absent.
///
/// # Safety
/// Pointers NULL or live; `key` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_remove(
    message: *mut msgbus_message,
    key: *const c_char,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let (message, key) = unsafe { (borrow_mut(message, "message")?, text(key, "key")?) };
        message.remove(key).map(drop).ok_or_else(|| not_found(key))
    })
}

/// Whether the message has a value under `key`.
///
/// # Safety
/// Pointers NULL or live; `key` NUL-terminated; `out_contains` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_contains(
    message: *const msgbus_message,
    key: *const c_char,
    out_contains: *mut bool,
) -> msgbus_result {
    guard(|| {
        let out_contains = out(out_contains, "out_contains")?;
        // SAFETY: per the contract.
        let (message, key) = unsafe { (borrow(message, "message")?, text(key, "key")?) };
        // SAFETY: checked by `out`.
        unsafe { put(out_contains, message.contains(key)) };
        Ok(())
    })
}

/// Calls `visitor` with each key and value, in insertion order, on this
/// thread. The visitor must not change the message.
///
/// # Safety
/// `message` NULL or live; `visitor` callable with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_for_each_value(
    message: *const msgbus_message,
    visitor: msgbus_value_visitor,
    user_data: *mut c_void,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let message = unsafe { borrow(message, "message") }?;
        let visitor = required(visitor, "visitor")?;
        for (key, value) in message.values() {
            // SAFETY: the caller's visitor; key and value are the message's own.
            unsafe { visitor(user_data, c_text(key), to_handle::<msgbus_value>(value)) };
        }
        Ok(())
    })
}

pub(crate) fn c_text(text: &Text) -> *const c_char {
    text.as_bytes_with_nul().as_ptr().cast()
}

fn optional_c_text(text: Option<&Text>) -> *const c_char {
    text.map_or(ptr::null(), c_text)
}

/// Sets (or, with NULL `name`, clears) where replies to this message go.
///
/// # Safety
/// `message` NULL or live; `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_set_response_destination_name(
    message: *mut msgbus_message,
    name: *const c_char,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let (message, name) = unsafe {
            (
                borrow_mut(message, "message")?,
                optional_text(name, "name")?,
            )
        };
        message.set_response_destination_name(name);
        Ok(())
    })
}

/// Where replies go: a NUL-terminated string borrowed from the message, or
/// NULL when unset (or `message` is NULL).
///
/// # Safety
/// `message` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_response_destination_name(
    message: *const msgbus_message,
) -> *const c_char {
    // SAFETY: per the contract.
    guard_or(ptr::null(), || {
        unsafe { borrow(message, "message") }.map_or(ptr::null(), |m| {
            optional_c_text(m.response_destination_name())
        })
    })
}

/// The correlation id set by a default-synchronous send (or by
/// msgbus_message_set_response_id), borrowed; NULL when unset.
///
/// # Safety
/// `message` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_response_id(
    message: *const msgbus_message,
) -> *const c_char {
    // SAFETY: per the contract.
    guard_or(ptr::null(), || {
        unsafe { borrow(message, "message") }
            .map_or(ptr::null(), |m| optional_c_text(m.response_id()))
    })
}

/// Sets (or, with NULL `id`, clears) the correlation id, for a reply built
/// by hand.
///
/// # Safety
/// `message` NULL or live; `id` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_set_response_id(
    message: *mut msgbus_message,
    id: *const c_char,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let (message, id) = unsafe { (borrow_mut(message, "message")?, optional_text(id, "id")?) };
        message.set_response_id(id);
        Ok(())
    })
}

/// The destination the message was sent to (set by the bus), borrowed;
/// NULL before it was sent.
///
/// # Safety
/// `message` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_destination_name(
    message: *const msgbus_message,
) -> *const c_char {
    // SAFETY: per the contract.
    guard_or(ptr::null(), || {
        unsafe { borrow(message, "message") }
            .map_or(ptr::null(), |m| optional_c_text(m.destination_name()))
    })
}

/// Sets the response slot to a copy of `value`. Allowed on the borrowed
/// message a listener receives: that is how a listener answers a direct
/// synchronous send.
///
/// # Safety
/// Pointers NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_set_response(
    message: *const msgbus_message,
    value: *const msgbus_value,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let (message, value) = unsafe { (borrow(message, "message")?, borrow(value, "value")?) };
        message.set_response(value.clone());
        Ok(())
    })
}

/// The response slot: `*out_value` owns a copy (free it with
/// msgbus_value_free); a null value when unset.
///
/// # Safety
/// `message` NULL or live; `out_value` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_message_response(
    message: *const msgbus_message,
    out_value: *mut *mut msgbus_value,
) -> msgbus_result {
    guard(|| {
        let out_value = out(out_value, "out_value")?;
        // SAFETY: per the contract.
        let message = unsafe { borrow(message, "message") }?;
        // SAFETY: checked by `out`.
        unsafe {
            put(
                out_value,
                to_owned_handle::<msgbus_value>(message.response()),
            )
        };
        Ok(())
    })
}

/// Shorthand used by sends: the message (cloned) or a NULL-parameter failure.
///
/// # Safety
/// `message` NULL or live.
pub(crate) unsafe fn cloned(message: *const msgbus_message) -> Outcome<Message> {
    // SAFETY: per the contract.
    unsafe { borrow(message, "message") }.cloned()
}
