//! What every exported function does at the border: check its arguments,
//! catch panics, turn errors into result codes and remember this thread's
//! last error message. Also the casts between opaque C handles and the
//! Rust values behind them (after rustls-ffi's `Castable`).

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use msgbus_abi::*;

use crate::result::*;

/// A failed call: its code and the detail for msgbus_last_error_message.
pub(crate) struct Failure {
    code: msgbus_result,
    message: String,
}

impl Failure {
    pub(crate) fn new(code: msgbus_result, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<msgbus_core::Error> for Failure {
    fn from(error: msgbus_core::Error) -> Self {
        Failure::new(code_of(&error), error.to_string())
    }
}

pub(crate) type Outcome<T = ()> = Result<T, Failure>;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn remember(message: &str) {
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|last| *last.borrow_mut() = text);
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-string payload");
    format!("panic in libmsgbus: {what}")
}

/// Runs the body of a fallible exported function.
pub(crate) fn guard(body: impl FnOnce() -> Outcome) -> msgbus_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => MSGBUS_RESULT_OK,
        Ok(Err(failure)) => {
            remember(&failure.message);
            failure.code
        }
        Err(panic) => {
            remember(&panic_message(&*panic));
            MSGBUS_RESULT_PANIC
        }
    }
}

/// Runs the body of an exported function that returns no result code;
/// `fallback` stands in for what a panic prevented.
pub(crate) fn guard_or<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        remember(&panic_message(&*panic));
        fallback
    })
}

/// This thread's detail for its last failed call: a NUL-terminated string,
/// empty when no call has failed. Valid until the next failing call on
/// this thread; never free it. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_last_error_message() -> *const c_char {
    LAST_ERROR.with(|last| last.borrow().as_ptr())
}

pub(crate) fn null(name: &str) -> Failure {
    Failure::new(MSGBUS_RESULT_NULL_PARAMETER, format!("{name} is NULL"))
}

/// A function-pointer (or other optional) argument that must be given.
pub(crate) fn required<T>(arg: Option<T>, name: &str) -> Outcome<T> {
    arg.ok_or_else(|| null(name))
}

/// A C handle whose pointer is really a pointer to `Rust`.
pub(crate) trait Castable {
    type Rust;
}

/// Borrows the value behind a handle argument.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`.
pub(crate) unsafe fn borrow<'a, C: Castable>(ptr: *const C, name: &str) -> Outcome<&'a C::Rust> {
    // SAFETY: per the contract, non-null means a live `C::Rust`.
    unsafe { ptr.cast::<C::Rust>().as_ref() }.ok_or_else(|| null(name))
}

/// Borrows the value behind a handle argument, mutably.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C` not used elsewhere meanwhile.
pub(crate) unsafe fn borrow_mut<'a, C: Castable>(
    ptr: *mut C,
    name: &str,
) -> Outcome<&'a mut C::Rust> {
    // SAFETY: per the contract.
    unsafe { ptr.cast::<C::Rust>().as_mut() }.ok_or_else(|| null(name))
}

/// A handle for a Rust value the caller will own (and `_free`).
pub(crate) fn to_owned_handle<C: Castable>(value: C::Rust) -> *mut C {
    Box::into_raw(Box::new(value)).cast()
}

/// A borrowed handle onto a Rust value.
pub(crate) fn to_handle<C: Castable>(value: &C::Rust) -> *const C {
    (value as *const C::Rust).cast()
}

/// A borrowed handle onto a Rust value the callee may change (for the
/// length of the borrow it came from).
pub(crate) fn to_handle_mut<C: Castable>(value: &mut C::Rust) -> *mut C {
    (value as *mut C::Rust).cast()
}

/// Frees a handle made by [`to_owned_handle`]; NULL does nothing.
///
/// # Safety
/// `ptr` is NULL or an owned handle of type `C` not freed before.
pub(crate) unsafe fn free_handle<C: Castable>(ptr: *mut C) {
    if !ptr.is_null() {
        // SAFETY: per the contract, made by `to_owned_handle`.
        drop(unsafe { Box::from_raw(ptr.cast::<C::Rust>()) });
    }
}

/// Reads a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string.
pub(crate) unsafe fn text<'a>(ptr: *const c_char, name: &str) -> Outcome<&'a str> {
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: per the contract.
    unsafe { CStr::from_ptr(ptr) }.to_str().map_err(|e| {
        Failure::new(
            MSGBUS_RESULT_INVALID_ARGUMENT,
            format!("{name} is not UTF-8: {e}"),
        )
    })
}

/// Reads an optional string argument: NULL is `None`.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn optional_text<'a>(ptr: *const c_char, name: &str) -> Outcome<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: per the contract.
    unsafe { text(ptr, name) }.map(Some)
}

/// Reads a destination name: a non-empty UTF-8 string.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn name<'a>(ptr: *const c_char, what: &str) -> Outcome<&'a str> {
    // SAFETY: per the contract.
    let name = unsafe { text(ptr, what) }?;
    if name.is_empty() {
        return Err(Failure::new(
            MSGBUS_RESULT_INVALID_ARGUMENT,
            format!("{what} is empty"),
        ));
    }
    Ok(name)
}

/// Checks an out-parameter before any work, so that a NULL one does not
/// cost a side effect; returns it for [`put`].
pub(crate) fn out<T>(ptr: *mut T, name: &str) -> Outcome<*mut T> {
    if ptr.is_null() {
        Err(null(name))
    } else {
        Ok(ptr)
    }
}

/// Writes an out-parameter checked by [`out`].
///
/// # Safety
/// `ptr` came from [`out`] and points to writable memory for a `T`.
pub(crate) unsafe fn put<T>(ptr: *mut T, value: T) {
    // SAFETY: per the contract.
    unsafe { ptr.write(value) }
}

/// The `len` items at `data`; NULL is allowed only when `len` is 0.
///
/// # Safety
/// `data` points to `len` readable items.
pub(crate) unsafe fn slice<'a, T>(data: *const T, len: usize, name: &str) -> Outcome<&'a [T]> {
    match (data.is_null(), len) {
        (true, 0) => Ok(&[]),
        (true, _) => Err(null(name)),
        (false, len)
            if len
                .checked_mul(size_of::<T>())
                .is_none_or(|n| n > isize::MAX as usize) =>
        {
            Err(Failure::new(
                MSGBUS_RESULT_INVALID_ARGUMENT,
                format!("{name}: length {len} is too large"),
            ))
        }
        // SAFETY: per the contract.
        (false, len) => Ok(unsafe { std::slice::from_raw_parts(data, len) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        // SAFETY: msgbus_last_error_message never returns NULL.
        unsafe { CStr::from_ptr(msgbus_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_becomes_a_result_code_and_a_message() {
        assert_eq!(guard(|| panic!("boom")), MSGBUS_RESULT_PANIC);
        assert_eq!(last_error(), "panic in libmsgbus: boom");
        assert_eq!(guard_or(7, || panic!("{}", String::from("again"))), 7);
        assert_eq!(last_error(), "panic in libmsgbus: again");
    }

    #[test]
    fn failures_set_the_last_error_and_success_keeps_it() {
        let code = guard(|| Err(Failure::new(MSGBUS_RESULT_CLOSED, "closed: acme/x")));
        assert_eq!(code, MSGBUS_RESULT_CLOSED);
        assert_eq!(guard(|| Ok(())), MSGBUS_RESULT_OK);
        assert_eq!(last_error(), "closed: acme/x");
    }

    #[test]
    fn text_arguments_are_checked() {
        // SAFETY: literals are NUL-terminated.
        unsafe {
            assert!(
                matches!(text(std::ptr::null(), "name"), Err(f) if f.code == MSGBUS_RESULT_NULL_PARAMETER)
            );
            assert!(
                matches!(text(c"\xff".as_ptr(), "name"), Err(f) if f.code == MSGBUS_RESULT_INVALID_ARGUMENT)
            );
            assert!(
                matches!(name(c"".as_ptr(), "name"), Err(f) if f.code == MSGBUS_RESULT_INVALID_ARGUMENT)
            );
            assert_eq!(optional_text(std::ptr::null(), "name").ok(), Some(None));
            assert_eq!(name(c"acme/x".as_ptr(), "name").ok(), Some("acme/x"));
        }
    }
}
