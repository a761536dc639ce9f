//! Owned handles of the core's objects, freed through its table on drop;
//! and C strings from Python's.

use std::ffi::{CString, c_char};
use std::ops::Deref;
use std::ptr::NonNull;

use msgbus_abi::*;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::core::api;
use crate::errors::invalid_argument;

/// An object of the core that this extension owns.
pub(crate) trait Handle {
    /// Frees it through the core's table.
    ///
    /// # Safety
    /// `ptr` is an owned handle of this type, not freed before.
    unsafe fn free(ptr: *mut Self);
}

macro_rules! handle {
    ($($ty:ident => $free:ident),* $(,)?) => {$(
        impl Handle for $ty {
            unsafe fn free(ptr: *mut Self) {
                // SAFETY: per the trait's contract.
                unsafe { (api().$free)(ptr) }
            }
        }
    )*};
}

handle! {
    msgbus_bus => bus_free,
    msgbus_message => message_free,
    msgbus_value => value_free,
    msgbus_request => request_free,
    msgbus_destination_config => destination_config_free,
}

/// An owned handle, freed when dropped.
pub(crate) struct Owned<T: Handle>(NonNull<T>);

// SAFETY: the core's buses, values and requests may be used and freed on
// any thread; messages and configurations are only used by one thread at
// a time (the owning pyclass is borrow-checked under the GIL).
unsafe impl<T: Handle> Send for Owned<T> {}
unsafe impl<T: Handle> Sync for Owned<T> {}

impl<T: Handle> Owned<T> {
    /// Takes ownership of `ptr`, which a successful call just wrote.
    ///
    /// # Safety
    /// `ptr` is NULL or an owned handle of type `T` nobody else frees.
    pub(crate) unsafe fn from_raw(ptr: *mut T) -> Option<Self> {
        NonNull::new(ptr).map(Owned)
    }

    pub(crate) fn as_ptr(&self) -> *mut T {
        self.0.as_ptr()
    }

    /// Gives the handle up without freeing it (for an object a forked
    /// child inherited, whose core state may be locked by a thread that
    /// stayed in the parent).
    pub(crate) fn leak(self) {
        std::mem::forget(self);
    }
}

impl<T: Handle> Drop for Owned<T> {
    fn drop(&mut self) {
        // SAFETY: owned, and freed only here.
        unsafe { T::free(self.0.as_ptr()) }
    }
}

/// A `str` argument as UTF-8, as every name, key, id and type name is
/// (they cross into C): one with a lone surrogate, which has no UTF-8, is
/// an `InvalidArgumentError` like any other name C cannot take, not a
/// `UnicodeEncodeError`.
pub(crate) struct Utf8<'a>(&'a str);

impl<'a> FromPyObject<'a, '_> for Utf8<'a> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, '_, PyAny>) -> PyResult<Self> {
        let text = obj.cast::<PyString>()?;
        <&'a str>::extract(obj).map(Utf8).map_err(|_| {
            let shown = text.repr().map_or_else(|_| "it".into(), |r| r.to_string());
            invalid_argument(format!(
                "names and keys are UTF-8, and {shown} holds a lone surrogate, which has none"
            ))
        })
    }
}

impl<'a> From<&'a str> for Utf8<'a> {
    fn from(text: &'a str) -> Self {
        Utf8(text)
    }
}

impl Deref for Utf8<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        self.0
    }
}

/// Calls `f` with `text` as a NUL-terminated string; `what` names the
/// argument when `text` holds a NUL byte, which no C string can.
pub(crate) fn with_c_str<R>(
    text: &str,
    what: &str,
    f: impl FnOnce(*const c_char) -> R,
) -> PyResult<R> {
    const ON_STACK: usize = 128;
    let bytes = text.as_bytes();
    if bytes.contains(&0) {
        return Err(invalid_argument(format!(
            "{what} {text:?} contains a NUL byte"
        )));
    }
    if bytes.len() < ON_STACK {
        let mut buffer = [0u8; ON_STACK];
        buffer[..bytes.len()].copy_from_slice(bytes);
        return Ok(f(buffer.as_ptr().cast()));
    }
    let owned = CString::new(bytes).expect("checked for NUL bytes");
    Ok(f(owned.as_ptr()))
}
