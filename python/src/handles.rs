//! Owned handles of the core's objects, freed through its table on drop;
//! and C strings from Python's.

use std::ffi::{CString, c_char};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ops::Deref;
use std::ptr::{self, NonNull};
use std::time::Duration;

use msgbus_abi::*;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::config::duration;
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
    msgbus_destination => destination_free,
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

/// The name of `obj`'s type, for error messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".into(), |name| name.to_string())
}

/// `obj` as UTF-8, as every name, key, id and type name is (they cross
/// into C); `what` names the argument in the errors: a `TypeError` for
/// another type, an `InvalidArgumentError` (not a `UnicodeEncodeError`) for
/// a lone surrogate, which has no UTF-8.
pub(crate) fn utf8<'a>(obj: Borrowed<'a, '_, PyAny>, what: &str, hint: &str) -> PyResult<&'a str> {
    let Ok(text) = obj.cast::<PyString>() else {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a str{hint}, not {}",
            type_name(&obj)
        )));
    };
    <&'a str>::extract(obj).map_err(|_| {
        let shown = text.repr().map_or_else(|_| "it".into(), |r| r.to_string());
        invalid_argument(format!(
            "{what} must be UTF-8 (it crosses into C), and {shown} holds a lone surrogate, \
             which has none"
        ))
    })
}

/// A `str` argument as UTF-8 (see [`utf8`]).
pub(crate) struct Utf8<'a>(&'a str);

impl<'a> FromPyObject<'a, '_> for Utf8<'a> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, '_, PyAny>) -> PyResult<Self> {
        utf8(obj, "a name, key or id", "").map(Utf8)
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

/// What a [`Text`] argument is called, and what it holds.
pub(crate) trait Argument {
    const NAME: &'static str;
    /// Appended to "must be a str".
    const HINT: &'static str;
}

macro_rules! arguments {
    ($($ty:ident => $name:literal, $hint:literal;)*) => {$(
        pub(crate) struct $ty;
        impl Argument for $ty {
            const NAME: &'static str = $name;
            const HINT: &'static str = $hint;
        }
    )*};
}

arguments! {
    NameArg => "name", " (a destination name such as 'acme/orders')";
    DestinationArg => "destination", " (a destination name such as 'acme/orders')";
    DestinationTypeArg => "destination_type",
        " ('serial', 'parallel' or 'synchronous') or a msgbus.DestinationType";
    KeyArg => "key", "";
    ResponseDestinationNameArg => "response_destination_name", " or None";
    ResponseIdArg => "response_id", " or None";
}

/// A `str` argument as UTF-8 whose errors name it (`A`).
pub(crate) struct Text<'a, A>(Utf8<'a>, PhantomData<A>);

impl<'a, A: Argument> FromPyObject<'a, '_> for Text<'a, A> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, '_, PyAny>) -> PyResult<Self> {
        utf8(obj, A::NAME, A::HINT).map(|text| Text(Utf8(text), PhantomData))
    }
}

impl<A> Deref for Text<'_, A> {
    type Target = str;

    fn deref(&self) -> &str {
        self.0.0
    }
}

impl<'a, A> From<Text<'a, A>> for Utf8<'a> {
    fn from(text: Text<'a, A>) -> Self {
        text.0
    }
}

/// A `timeout` argument: seconds, or `None` (here `None` too) to wait as
/// long as it takes.
pub(crate) struct Timeout(pub(crate) Option<Duration>);

impl Timeout {
    /// The default of the calls that wait for a reply.
    pub(crate) const TEN_SECONDS: Timeout = Timeout(Some(Duration::from_secs(10)));
}

impl FromPyObject<'_, '_> for Timeout {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        if obj.is_none() {
            return Ok(Timeout(None));
        }
        let seconds = obj.extract::<f64>().map_err(|_| {
            PyTypeError::new_err(format!(
                "timeout must be a number of seconds, or None to wait as long as it takes, \
                 not {}",
                type_name(&obj)
            ))
        })?;
        duration("timeout", seconds).map(|t| Timeout(Some(t)))
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
        // Only the text and its NUL are written: zeroing the whole buffer
        // cost more than the copy on every key a listener reads.
        let mut buffer = [MaybeUninit::<u8>::uninit(); ON_STACK];
        let start = buffer.as_mut_ptr().cast::<u8>();
        // SAFETY: the text and its NUL fit in the buffer (checked above).
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr(), start, bytes.len());
            start.add(bytes.len()).write(0);
        }
        return Ok(f(buffer.as_ptr().cast()));
    }
    let owned = CString::new(bytes).expect("checked for NUL bytes");
    Ok(f(owned.as_ptr()))
}
