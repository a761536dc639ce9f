//! msgbus_value: payloads, message values and responses.

use std::ffi::{c_char, c_void};
use std::ptr;

use msgbus_core::{Object, Value};

use msgbus_abi::*;

use crate::boundary::*;

impl Castable for msgbus_value {
    type Rust = Value;
}

/// A C pointer with the function that frees it, freed with the last value
/// that refers to it.
struct CPointer {
    ptr: *mut c_void,
    free: msgbus_free_fn,
}

// SAFETY: msgbus_value_new_pointer documents that the pointer may be freed
// on any thread; the bus itself never dereferences it.
unsafe impl Send for CPointer {}
unsafe impl Sync for CPointer {}

impl Drop for CPointer {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the caller of msgbus_value_new_pointer provided both.
            unsafe { free(self.ptr) };
        }
    }
}

/// A new null value. Never NULL (except after a panic). Free it with
/// msgbus_value_free.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_value_new_null() -> *mut msgbus_value {
    guard_or(ptr::null_mut(), || to_owned_handle(Value::Null))
}

/// A new bool value; as msgbus_value_new_null.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_value_new_bool(value: bool) -> *mut msgbus_value {
    guard_or(ptr::null_mut(), || to_owned_handle(Value::Bool(value)))
}

/// A new 64-bit integer value; as msgbus_value_new_null.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_value_new_int(value: i64) -> *mut msgbus_value {
    guard_or(ptr::null_mut(), || to_owned_handle(Value::Int(value)))
}

/// A new double value; as msgbus_value_new_null.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_value_new_double(value: f64) -> *mut msgbus_value {
    guard_or(ptr::null_mut(), || to_owned_handle(Value::Double(value)))
}

/// A new string value copied from the `len` bytes at `text`, which must be
/// UTF-8 and may contain NUL bytes; `text` may be NULL when `len` is 0.
/// On success `*out_value` owns the new value.
///
/// # Safety
/// `text` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_new_string(
    text: *const c_char,
    len: usize,
    out_value: *mut *mut msgbus_value,
) -> msgbus_result {
    guard(|| {
        let out_value = out(out_value, "out_value")?;
        // SAFETY: per the contract.
        let text = unsafe { utf8(text.cast(), len, "text") }?;
        // SAFETY: checked by `out`.
        unsafe { put(out_value, to_owned_handle(Value::String(text.into()))) };
        Ok(())
    })
}

/// A new bytes value copied from the `len` bytes at `data`; `data` may be
/// NULL when `len` is 0. On success `*out_value` owns the new value.
///
/// # Safety
/// `data` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_new_bytes(
    data: *const u8,
    len: usize,
    out_value: *mut *mut msgbus_value,
) -> msgbus_result {
    guard(|| {
        let out_value = out(out_value, "out_value")?;
        // SAFETY: per the contract.
        let bytes = unsafe { slice(data, len, "data") }?;
        // SAFETY: checked by `out`.
        unsafe { put(out_value, to_owned_handle(Value::Bytes(bytes.into()))) };
        Ok(())
    })
}

/// A new value holding `pointer`, which the bus never dereferences.
/// `pointer_free` (may be NULL) is called with it exactly once, on whichever
/// thread drops the last value or message that refers to it. If this fails,
/// `pointer_free` is not called. The pointer never leaves the process.
///
/// # Safety
/// `pointer_free`, if not NULL, may be called with `pointer` on any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_new_pointer(
    pointer: *mut c_void,
    pointer_free: msgbus_free_fn,
    out_value: *mut *mut msgbus_value,
) -> msgbus_result {
    guard(|| {
        let out_value = out(out_value, "out_value")?;
        if pointer.is_null() {
            return Err(null("pointer"));
        }
        let object = Object::new(CPointer {
            ptr: pointer,
            free: pointer_free,
        });
        // SAFETY: checked by `out`.
        unsafe { put(out_value, to_owned_handle(Value::Object(object))) };
        Ok(())
    })
}

/// Frees an owned value; NULL does nothing. Never pass a borrowed value.
///
/// # Safety
/// `value` is NULL or an owned value not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_free(value: *mut msgbus_value) {
    // SAFETY: per the contract.
    guard_or((), || unsafe { free_handle(value) })
}

/// A new owned copy of `value` (strings, bytes and pointers are shared, not
/// copied). NULL when `value` is NULL.
///
/// # Safety
/// `value` is NULL or a live value.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_clone(value: *const msgbus_value) -> *mut msgbus_value {
    guard_or(ptr::null_mut(), || {
        // SAFETY: per the contract.
        match unsafe { borrow(value, "value") } {
            Ok(value) => to_owned_handle(value.clone()),
            Err(_) => ptr::null_mut(),
        }
    })
}

/// The type of `value`; MSGBUS_VALUE_TYPE_NULL when `value` is NULL.
///
/// # Safety
/// `value` is NULL or a live value.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_type(value: *const msgbus_value) -> msgbus_value_kind {
    guard_or(MSGBUS_VALUE_TYPE_NULL, || {
        // SAFETY: per the contract.
        let Ok(value) = (unsafe { borrow(value, "value") }) else {
            return MSGBUS_VALUE_TYPE_NULL;
        };
        kind(value)
    })
}

fn kind(value: &Value) -> msgbus_value_kind {
    match value {
        Value::Null => MSGBUS_VALUE_TYPE_NULL,
        Value::Bool(_) => MSGBUS_VALUE_TYPE_BOOL,
        Value::Int(_) => MSGBUS_VALUE_TYPE_INT,
        Value::Double(_) => MSGBUS_VALUE_TYPE_DOUBLE,
        Value::String(_) => MSGBUS_VALUE_TYPE_STRING,
        Value::Bytes(_) => MSGBUS_VALUE_TYPE_BYTES,
        Value::Object(o) if o.downcast_ref::<CPointer>().is_some() => MSGBUS_VALUE_TYPE_POINTER,
        Value::Object(_) => MSGBUS_VALUE_TYPE_OBJECT,
    }
}

/// `value` described in place, borrowing its contents: a string's UTF-8
/// (without its NUL) or bytes as `data` and `len`. A pointer or object
/// has only its type: it is read through its msgbus_value.
pub(crate) fn view_of(value: &Value) -> msgbus_value_view {
    let mut view = msgbus_value_view {
        value_type: kind(value),
        boolean: false,
        integer: 0,
        number: 0.0,
        data: ptr::null(),
        len: 0,
    };
    match value {
        Value::Bool(b) => view.boolean = *b,
        Value::Int(i) => view.integer = *i,
        Value::Double(d) => view.number = *d,
        Value::String(text) => (view.data, view.len) = (text.as_ptr(), text.len()),
        Value::Bytes(bytes) => (view.data, view.len) = (bytes.as_ptr(), bytes.len()),
        Value::Null | Value::Object(_) => {}
    }
    view
}

/// Reads a value of the type `read` accepts (`wanted`, for the detail);
/// MSGBUS_RESULT_WRONG_TYPE otherwise. Writes `*out_ptr` (the argument
/// `out_name`) only on success.
unsafe fn read<T>(
    value: *const msgbus_value,
    (out_ptr, out_name): (*mut T, &str),
    wanted: &str,
    read: impl FnOnce(&Value) -> Option<T>,
) -> msgbus_result {
    guard(|| {
        let out_ptr = out(out_ptr, out_name)?;
        // SAFETY: the exported callers' contract.
        let value = unsafe { borrow(value, "value") }?;
        let read = read(value).ok_or_else(|| {
            Failure::new(
                MSGBUS_RESULT_WRONG_TYPE,
                format!("expected a {wanted} value, found {}", value.value_type()),
            )
        })?;
        // SAFETY: checked by `out`.
        unsafe { put(out_ptr, read) };
        Ok(())
    })
}

/// Reads a bool value.
///
/// # Safety
/// `value` is NULL or a live value; `out_bool` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_as_bool(
    value: *const msgbus_value,
    out_bool: *mut bool,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe { read(value, (out_bool, "out_bool"), "bool", Value::as_bool) }
}

/// Reads an int value.
///
/// # Safety
/// As msgbus_value_as_bool.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_as_int(
    value: *const msgbus_value,
    out_int: *mut i64,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe { read(value, (out_int, "out_int"), "int", Value::as_int) }
}

/// Reads a double value.
///
/// # Safety
/// As msgbus_value_as_bool.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_as_double(
    value: *const msgbus_value,
    out_double: *mut f64,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        read(
            value,
            (out_double, "out_double"),
            "double",
            Value::as_double,
        )
    }
}

/// Reads a string value: `*out_text` points to its UTF-8 bytes followed by
/// a NUL byte, `*out_len` (may be NULL) gets its length without the NUL.
/// The text is borrowed from `value` and lives as long as it does.
///
/// # Safety
/// `value` is NULL or a live value; out-parameters NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_as_string(
    value: *const msgbus_value,
    out_text: *mut *const c_char,
    out_len: *mut usize,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        read(value, (out_text, "out_text"), "string", |v| match v {
            Value::String(t) => {
                if !out_len.is_null() {
                    out_len.write(t.len());
                }
                Some(t.as_bytes_with_nul().as_ptr().cast())
            }
            _ => None,
        })
    }
}

/// Reads a bytes value: `*out_data` points to its bytes (borrowed from
/// `value`; not NULL, even when empty) and `*out_len` gets their number.
///
/// # Safety
/// As msgbus_value_as_string; `out_len` must not be NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_as_bytes(
    value: *const msgbus_value,
    out_data: *mut *const u8,
    out_len: *mut usize,
) -> msgbus_result {
    if out_len.is_null() {
        return guard(|| Err(null("out_len")));
    }
    // SAFETY: per the contract.
    unsafe {
        read(value, (out_data, "out_data"), "bytes", |v| {
            let bytes = v.as_bytes()?;
            out_len.write(bytes.len());
            Some(bytes.as_ptr())
        })
    }
}

/// Reads a pointer value made by msgbus_value_new_pointer; the pointer still
/// belongs to the value.
///
/// # Safety
/// As msgbus_value_as_bool.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_as_pointer(
    value: *const msgbus_value,
    out_pointer: *mut *mut c_void,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        read(value, (out_pointer, "out_pointer"), "pointer", |v| {
            Some(v.as_object()?.downcast_ref::<CPointer>()?.ptr)
        })
    }
}

/// Reads a pointer value as msgbus_value_as_pointer does, and the free
/// function it was made with (NULL if none): a binding tells the pointers
/// it made (its own objects) from others by that function.
///
/// # Safety
/// `value` NULL or live; out-parameters NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_as_pointer_with_free(
    value: *const msgbus_value,
    out_pointer: *mut *mut c_void,
    out_free: *mut msgbus_free_fn,
) -> msgbus_result {
    if out_free.is_null() {
        return guard(|| Err(null("out_free")));
    }
    // SAFETY: per the contract.
    unsafe {
        read(value, (out_pointer, "out_pointer"), "pointer", |v| {
            let pointer = v.as_object()?.downcast_ref::<CPointer>()?;
            out_free.write(pointer.free);
            Some(pointer.ptr)
        })
    }
}

/// The twin of a string or bytes value (see msgbus_value_set_twin) and the
/// free function it was offered with; NULL and NULL when it has none.
///
/// # Safety
/// `value` NULL or live; out-parameters NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_twin(
    value: *const msgbus_value,
    out_twin: *mut *mut c_void,
    out_free: *mut msgbus_free_fn,
) -> msgbus_result {
    guard(|| {
        let (out_twin, out_free) = (out(out_twin, "out_twin")?, out(out_free, "out_free")?);
        // SAFETY: per the contract.
        let value = unsafe { borrow(value, "value") }?;
        let twinned = twinned(value)?;
        // SAFETY: checked by `out`.
        unsafe { write_twin(twinned.twin(), out_twin, out_free) };
        Ok(())
    })
}

/// Offers `twin`, an object of a language runtime with the contents of the
/// string or bytes `value` (for Python, a `str` or a `bytes`), so that the
/// runtime hands every listener that one object rather than a copy each.
/// The first offer to a value, or to any of its clones, is kept, and freed
/// with `free(twin)` on whichever thread drops the last of them; a later
/// offer, and one to a value short enough to be stored in place (22 bytes,
/// or 21 bytes of text), is freed before this returns. `*out_twin` and
/// `*out_free` are then the twin in place (NULL and NULL if none): the
/// offer was kept when `*out_twin == twin`. On an error nothing is taken.
///
/// # Safety
/// `value` NULL or live; `free(twin)` may be called on any thread;
/// out-parameters NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_value_set_twin(
    value: *const msgbus_value,
    twin: *mut c_void,
    free: msgbus_free_fn,
    out_twin: *mut *mut c_void,
    out_free: *mut msgbus_free_fn,
) -> msgbus_result {
    guard(|| {
        let (out_twin, out_free) = (out(out_twin, "out_twin")?, out(out_free, "out_free")?);
        // SAFETY: per the contract.
        let value = unsafe { borrow(value, "value") }?;
        if twin.is_null() {
            return Err(null("twin"));
        }
        let kept = twinned(value)?.set_twin(Object::new(CPointer { ptr: twin, free }));
        // SAFETY: checked by `out`.
        unsafe { write_twin(kept, out_twin, out_free) };
        Ok(())
    })
}

/// `value` if it is a string or bytes value, which may have a twin.
fn twinned(value: &Value) -> Outcome<&Value> {
    match value {
        Value::String(_) | Value::Bytes(_) => Ok(value),
        other => Err(Failure::new(
            MSGBUS_RESULT_WRONG_TYPE,
            format!(
                "expected a string or bytes value, found {}",
                other.value_type()
            ),
        )),
    }
}

/// Writes a twin's pointer and free function.
///
/// # Safety
/// Both out-parameters writable.
unsafe fn write_twin(
    twin: Option<&Object>,
    out_twin: *mut *mut c_void,
    out_free: *mut msgbus_free_fn,
) {
    let twin = twin.and_then(|t| t.downcast_ref::<CPointer>());
    // SAFETY: per the contract.
    unsafe {
        put(out_twin, twin.map_or(ptr::null_mut(), |t| t.ptr));
        put(out_free, twin.and_then(|t| t.free));
    }
}

/// The value the argument `view` describes (see msgbus_value_view).
///
/// # Safety
/// `view` NULL or readable; its `data` points to `len` readable bytes.
pub(crate) unsafe fn viewed(view: *const msgbus_value_view) -> Outcome<Value> {
    // SAFETY: per the contract.
    let view = unsafe { view.as_ref() }.ok_or_else(|| null("view"))?;
    let name = "view.data";
    Ok(match view.value_type {
        MSGBUS_VALUE_TYPE_NULL => Value::Null,
        MSGBUS_VALUE_TYPE_BOOL => Value::Bool(view.boolean),
        MSGBUS_VALUE_TYPE_INT => Value::Int(view.integer),
        MSGBUS_VALUE_TYPE_DOUBLE => Value::Double(view.number),
        // SAFETY: per the contract.
        MSGBUS_VALUE_TYPE_STRING => Value::from(unsafe { utf8(view.data, view.len, name) }?),
        // SAFETY: per the contract.
        MSGBUS_VALUE_TYPE_BYTES => Value::from(unsafe { slice(view.data, view.len, name) }?),
        other => {
            return Err(Failure::new(
                MSGBUS_RESULT_INVALID_ARGUMENT,
                format!(
                    "view has type {other}: a view holds null, bool, int, double, string or bytes"
                ),
            ));
        }
    })
}

/// The `len` bytes at `data` as UTF-8 text.
///
/// # Safety
/// As [`slice`].
pub(crate) unsafe fn utf8<'a>(data: *const u8, len: usize, name: &str) -> Outcome<&'a str> {
    // SAFETY: per the contract.
    let bytes = unsafe { slice(data, len, name) }?;
    std::str::from_utf8(bytes).map_err(|e| {
        Failure::new(
            MSGBUS_RESULT_INVALID_ARGUMENT,
            format!("{name} is not UTF-8: {e}"),
        )
    })
}
