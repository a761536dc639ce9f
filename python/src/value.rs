//! Python objects ↔ the core's values.
//!
//! Objects of exactly the types `None`, `bool`, `int` (within 64 bits),
//! `float`, `str` and `bytes` become the shared value types, which a
//! listener in any language can read. Every other object, subclasses of
//! those types included, travels by reference as a pointer value: a
//! Python listener receives the very object that was sent, a C listener
//! sees `MSGBUS_VALUE_TYPE_POINTER`, and the object is released, with the
//! GIL, when the last value referring to it goes. A C pointer value
//! reaches Python as a `Pointer`, never dereferenced.

use std::ffi::{c_char, c_void};
use std::ptr;

use msgbus_abi::*;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString};

use crate::core::api;
use crate::errors::check;
use crate::gil::with_python;
use crate::handles::Owned;

/// The free function of every pointer value holding a Python object: read
/// from this one static both when such a value is made and when one is
/// recognised, so the two addresses are the same by construction.
static RELEASE_OBJECT: unsafe extern "C" fn(*mut c_void) = release_object;

/// Releases a Python object a pointer value held.
unsafe extern "C" fn release_object(object: *mut c_void) {
    // Once the interpreter is finalizing, the object goes with it.
    with_python(|_| {
        // SAFETY: the reference `to_value` gave the value.
        unsafe { pyo3::ffi::Py_DECREF(object.cast()) }
    });
}

/// The length from which the core stores a string or bytes value out of
/// place, where it keeps a twin (`msgbus_value_set_twin`): from there on a
/// value carries its Python object, which every Python listener is handed.
/// Shorter ones are copied, cheaply, per conversion.
const TWINNED_FROM: usize = 22;

/// A new value from a successful constructor's out-parameter.
fn made(
    call: impl FnOnce(*mut *mut msgbus_value) -> msgbus_result,
) -> PyResult<Owned<msgbus_value>> {
    let mut value = ptr::null_mut();
    check(call(&mut value))?;
    // SAFETY: the constructor succeeded and handed the value over.
    Ok(unsafe { Owned::from_raw(value) }.expect("a value on success"))
}

/// A value of the constructors that cannot fail.
fn infallible(value: *mut msgbus_value) -> Owned<msgbus_value> {
    // SAFETY: owned, new.
    unsafe { Owned::from_raw(value) }.expect("the core made the value")
}

/// What a Python object becomes on the bus.
enum Carried {
    /// A value of a shared type, described in place (borrowing the
    /// object's contents).
    View(msgbus_value_view),
    /// A pointer value (the object by reference, or a `Pointer` sent on).
    Value(Owned<msgbus_value>),
}

fn view(value_type: msgbus_value_kind) -> msgbus_value_view {
    msgbus_value_view {
        value_type,
        boolean: false,
        integer: 0,
        number: 0.0,
        data: ptr::null(),
        len: 0,
    }
}

/// `obj` described in place: `None`, a `bool`, an `int` of 64 bits, a
/// `float`, and a `str` or `bytes` short enough to be stored in place
/// (longer ones carry their object as a twin; see [`TWINNED_FROM`]).
/// `None` for anything else.
pub(crate) fn view_of(obj: &Bound<'_, PyAny>) -> Option<msgbus_value_view> {
    if obj.is_none() {
        return Some(view(MSGBUS_VALUE_TYPE_NULL));
    }
    if let Ok(b) = obj.cast_exact::<PyBool>() {
        let boolean = b.is_true();
        return Some(msgbus_value_view {
            boolean,
            ..view(MSGBUS_VALUE_TYPE_BOOL)
        });
    }
    if let Ok(s) = obj.cast_exact::<PyString>() {
        // The str's own UTF-8, which lives as long as `obj`.
        let text = s.to_str().ok().filter(|text| text.len() < TWINNED_FROM)?;
        return Some(msgbus_value_view {
            data: text.as_ptr(),
            len: text.len(),
            ..view(MSGBUS_VALUE_TYPE_STRING)
        });
    }
    if let Ok(i) = obj.cast_exact::<PyInt>() {
        let integer = i.extract::<i64>().ok()?;
        return Some(msgbus_value_view {
            integer,
            ..view(MSGBUS_VALUE_TYPE_INT)
        });
    }
    if let Ok(f) = obj.cast_exact::<PyFloat>() {
        return Some(msgbus_value_view {
            number: f.value(),
            ..view(MSGBUS_VALUE_TYPE_DOUBLE)
        });
    }
    if let Ok(b) = obj.cast_exact::<PyBytes>() {
        let bytes = Some(b.as_bytes()).filter(|bytes| bytes.len() < TWINNED_FROM)?;
        return Some(msgbus_value_view {
            data: bytes.as_ptr(),
            len: bytes.len(),
            ..view(MSGBUS_VALUE_TYPE_BYTES)
        });
    }
    None
}

/// How `obj` travels.
fn carry(obj: &Bound<'_, PyAny>) -> PyResult<Carried> {
    let api = api();
    if let Some(view) = view_of(obj) {
        return Ok(Carried::View(view));
    }
    if let Ok(s) = obj.cast_exact::<PyString>() {
        if let Ok(text) = s.to_str() {
            // SAFETY: `len` bytes of UTF-8 at `data`.
            let value = made(|out| unsafe {
                (api.value_new_string)(text.as_ptr().cast::<c_char>(), text.len(), out)
            })?;
            return Ok(Carried::Value(twinned(value, obj)));
        }
    } else if let Ok(b) = obj.cast_exact::<PyBytes>() {
        let bytes = b.as_bytes();
        // SAFETY: `len` readable bytes at `data`.
        let value = made(|out| unsafe { (api.value_new_bytes)(bytes.as_ptr(), bytes.len(), out) })?;
        return Ok(Carried::Value(twinned(value, obj)));
    } else if let Ok(pointer) = obj.cast_exact::<Pointer>() {
        // SAFETY: a live value; cloning shares what it points to.
        return Ok(Carried::Value(infallible(unsafe {
            (api.value_clone)(pointer.get().value.as_ptr())
        })));
    }
    // Anything else, strings that are not valid UTF-8 (lone surrogates)
    // and integers beyond 64 bits included, goes by reference: nothing is
    // lost.
    let object = obj.clone().into_ptr();
    // SAFETY: the object's reference goes to the value, which releases it.
    made(|out| unsafe { (api.value_new_pointer)(object.cast(), Some(RELEASE_OBJECT), out) })
        .inspect_err(|_| {
            // SAFETY: refused, so the reference is still ours.
            unsafe { pyo3::ffi::Py_DECREF(object) }
        })
        .map(Carried::Value)
}

/// Puts `obj` into a message with `set` (for a view) or `set_value` (for a
/// value), making no value where a view serves.
pub(crate) fn store(
    obj: &Bound<'_, PyAny>,
    set: impl FnOnce(&msgbus_value_view) -> msgbus_result,
    set_value: impl FnOnce(*const msgbus_value) -> msgbus_result,
) -> PyResult<()> {
    check(match carry(obj)? {
        Carried::View(view) => set(&view),
        Carried::Value(value) => set_value(value.as_ptr()),
    })
}

/// The value that carries `obj`, owned by the caller.
pub(crate) fn to_value(obj: &Bound<'_, PyAny>) -> PyResult<Owned<msgbus_value>> {
    let api = api();
    let view = match carry(obj)? {
        Carried::Value(value) => return Ok(value),
        Carried::View(view) => view,
    };
    // SAFETY (every call below): the core's constructors, given the view's
    // valid pointers and lengths.
    Ok(match view.value_type {
        MSGBUS_VALUE_TYPE_BOOL => infallible(unsafe { (api.value_new_bool)(view.boolean) }),
        MSGBUS_VALUE_TYPE_INT => infallible(unsafe { (api.value_new_int)(view.integer) }),
        MSGBUS_VALUE_TYPE_DOUBLE => infallible(unsafe { (api.value_new_double)(view.number) }),
        MSGBUS_VALUE_TYPE_STRING => made(|out| unsafe {
            (api.value_new_string)(view.data.cast::<c_char>(), view.len, out)
        })?,
        MSGBUS_VALUE_TYPE_BYTES => {
            made(|out| unsafe { (api.value_new_bytes)(view.data, view.len, out) })?
        }
        _ => infallible(unsafe { (api.value_new_null)() }),
    })
}

/// The Python object for a value described in place (msgbus_message_get_view,
/// msgbus_message_payload_view): `None` for one read through its
/// msgbus_value instead, a pointer, an object, or a string or bytes long
/// enough to carry its twin (see [`TWINNED_FROM`]).
pub(crate) fn from_view<'py>(
    py: Python<'py>,
    view: &msgbus_value_view,
) -> Option<Bound<'py, PyAny>> {
    // SAFETY (both): a view of a string or bytes value has `len` bytes
    // at `data`, UTF-8 for a string.
    let contents = || unsafe { std::slice::from_raw_parts(view.data, view.len) };
    Some(match view.value_type {
        MSGBUS_VALUE_TYPE_NULL => py.None().into_bound(py),
        MSGBUS_VALUE_TYPE_BOOL => PyBool::new(py, view.boolean).to_owned().into_any(),
        MSGBUS_VALUE_TYPE_INT => PyInt::new(py, view.integer).into_any(),
        MSGBUS_VALUE_TYPE_DOUBLE => PyFloat::new(py, view.number).into_any(),
        MSGBUS_VALUE_TYPE_STRING if view.len < TWINNED_FROM => {
            PyString::new(py, unsafe { std::str::from_utf8_unchecked(contents()) }).into_any()
        }
        MSGBUS_VALUE_TYPE_BYTES if view.len < TWINNED_FROM => {
            PyBytes::new(py, contents()).into_any()
        }
        _ => return None,
    })
}

/// The Python object for the value at `value`, borrowed for the call.
pub(crate) fn to_py<'py>(py: Python<'py>, value: *const msgbus_value) -> Bound<'py, PyAny> {
    let api = api();
    // SAFETY (every call below): `value` is live; out-parameters are
    // written only when the value has the type read.
    unsafe {
        match (api.value_type)(value) {
            MSGBUS_VALUE_TYPE_BOOL => {
                let mut b = false;
                (api.value_as_bool)(value, &mut b);
                PyBool::new(py, b).to_owned().into_any()
            }
            MSGBUS_VALUE_TYPE_INT => {
                let mut i = 0;
                (api.value_as_int)(value, &mut i);
                PyInt::new(py, i).into_any()
            }
            MSGBUS_VALUE_TYPE_DOUBLE => {
                let mut d = 0.0;
                (api.value_as_double)(value, &mut d);
                PyFloat::new(py, d).into_any()
            }
            MSGBUS_VALUE_TYPE_STRING => {
                let (mut text, mut len) = (ptr::null(), 0);
                (api.value_as_string)(value, &mut text, &mut len);
                let bytes = std::slice::from_raw_parts(text.cast::<u8>(), len);
                let convert = || PyString::new(py, std::str::from_utf8_unchecked(bytes)).into_any();
                twin(py, value, len, convert)
            }
            MSGBUS_VALUE_TYPE_BYTES => {
                let (mut data, mut len) = (ptr::null(), 0);
                (api.value_as_bytes)(value, &mut data, &mut len);
                let bytes = std::slice::from_raw_parts(data, len);
                twin(py, value, len, || PyBytes::new(py, bytes).into_any())
            }
            MSGBUS_VALUE_TYPE_POINTER | MSGBUS_VALUE_TYPE_OBJECT => object(py, value),
            _ => py.None().into_bound(py),
        }
    }
}

/// Whether `free` marks an object of this module (a reference it gave).
fn ours(free: msgbus_free_fn) -> bool {
    free.is_some_and(|free| std::ptr::fn_addr_eq(free, RELEASE_OBJECT))
}

/// Offers `obj` as the twin of the new string or bytes `value` it was
/// copied into: a Python listener then gets `obj` itself.
fn twinned(value: Owned<msgbus_value>, obj: &Bound<'_, PyAny>) -> Owned<msgbus_value> {
    let (mut kept, mut free) = (ptr::null_mut(), None);
    // SAFETY: a live value; the offer is a reference of its own, which the
    // value keeps or releases.
    unsafe {
        (api().value_set_twin)(
            value.as_ptr(),
            obj.clone().into_ptr().cast(),
            Some(RELEASE_OBJECT),
            &mut kept,
            &mut free,
        )
    };
    value
}

/// The one Python object of the string or bytes `value` of `len` bytes:
/// its twin, or `convert()`, offered as the twin so the next listener gets
/// it too. A value stored in place (shorter than [`TWINNED_FROM`]) takes
/// no twin, so it is converted without asking.
fn twin<'py>(
    py: Python<'py>,
    value: *const msgbus_value,
    len: usize,
    convert: impl FnOnce() -> Bound<'py, PyAny>,
) -> Bound<'py, PyAny> {
    if len < TWINNED_FROM {
        return convert();
    }
    let (mut twin, mut free) = (ptr::null_mut(), None);
    // SAFETY: a live string or bytes value; out-parameters writable.
    unsafe { (api().value_twin)(value, &mut twin, &mut free) };
    if !twin.is_null() && ours(free) {
        // SAFETY: a twin this module offered holds a reference.
        return unsafe { Bound::from_borrowed_ptr(py, twin.cast()) };
    }
    let converted = convert();
    if twin.is_null() {
        // SAFETY: as above; the offer is a reference of its own.
        unsafe {
            (api().value_set_twin)(
                value,
                converted.clone().into_ptr().cast(),
                Some(RELEASE_OBJECT),
                &mut twin,
                &mut free,
            )
        };
        if !twin.is_null() && ours(free) {
            // SAFETY: as above.
            return unsafe { Bound::from_borrowed_ptr(py, twin.cast()) };
        }
    }
    converted
}

/// A Python object that travelled by reference, or a `Pointer` to what C
/// (or Rust) code sent.
fn object<'py>(py: Python<'py>, value: *const msgbus_value) -> Bound<'py, PyAny> {
    let (mut pointer, mut free) = (ptr::null_mut(), None);
    // SAFETY: a live value; out-parameters written for pointer values.
    unsafe { (api().value_as_pointer_with_free)(value, &mut pointer, &mut free) };
    if ours(free) {
        // SAFETY: a pointer this module made holds a reference to the object.
        return unsafe { Bound::from_borrowed_ptr(py, pointer.cast()) };
    }
    // SAFETY: a live value; the clone keeps what it points to alive.
    let value = infallible(unsafe { (api().value_clone)(value) });
    Bound::new(py, Pointer { value })
        .map(Bound::into_any)
        .unwrap_or_else(|_| py.None().into_bound(py))
}

/// An object another language put on the bus: a C pointer (with the
/// function that frees it, when it was given one), or an object of
/// another runtime. Python cannot use what it points to; sending it on
/// hands the very same pointer to the next listener.
#[pyclass(frozen, name = "Pointer", module = "msgbus")]
pub struct Pointer {
    value: Owned<msgbus_value>,
}

#[pymethods]
impl Pointer {
    /// The address the pointer holds, or `None` for an object of another
    /// runtime, which has none to give.
    #[getter]
    fn address(&self) -> Option<usize> {
        let mut pointer = ptr::null_mut();
        // SAFETY: a live value; `pointer` is written for pointer values.
        let code = unsafe { (api().value_as_pointer)(self.value.as_ptr(), &mut pointer) };
        (code == MSGBUS_RESULT_OK).then_some(pointer as usize)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Pointer>()
            .is_ok_and(|other| other.get().address() == self.address())
    }

    fn __hash__(&self) -> usize {
        self.address().unwrap_or(0)
    }

    fn __repr__(&self) -> String {
        match self.address() {
            Some(address) => format!("msgbus.Pointer(address={address:#x})"),
            None => "msgbus.Pointer(address=None)".into(),
        }
    }
}
