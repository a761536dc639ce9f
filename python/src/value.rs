//! Python objects ↔ the bus's values.
//!
//! Objects of exactly the types `None`, `bool`, `int` (within 64 bits),
//! `float`, `str` and `bytes` become the shared value types, which a
//! listener in any language can read. Every other object, subclasses of
//! those types included, travels by reference as an opaque object: a
//! Python listener receives the very object that was sent.

use msgbus_core::{Object, Value};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString};

/// The value that carries `obj`.
pub(crate) fn to_value(obj: &Bound<'_, PyAny>) -> Value {
    if obj.is_none() {
        return Value::Null;
    }
    if let Ok(b) = obj.cast_exact::<PyBool>() {
        return Value::Bool(b.is_true());
    }
    if let Ok(s) = obj.cast_exact::<PyString>() {
        if let Ok(text) = s.to_cow() {
            return Value::from(&*text);
        }
    } else if let Ok(i) = obj.cast_exact::<PyInt>() {
        if let Ok(i) = i.extract::<i64>() {
            return Value::Int(i);
        }
    } else if let Ok(f) = obj.cast_exact::<PyFloat>() {
        return Value::Double(f.value());
    } else if let Ok(b) = obj.cast_exact::<PyBytes>() {
        return Value::from(b.as_bytes());
    }
    // Anything else, strings that are not valid UTF-8 (lone surrogates)
    // and integers beyond 64 bits included, goes by reference: nothing is
    // lost.
    Value::Object(Object::new(obj.clone().unbind()))
}

/// The Python object for `value`.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &Value) -> Bound<'py, PyAny> {
    match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => PyInt::new(py, *i).into_any(),
        Value::Double(d) => PyFloat::new(py, *d).into_any(),
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any(),
        Value::Object(o) => match o.downcast_ref::<Py<PyAny>>() {
            Some(obj) => obj.bind(py).clone(),
            // Only Python code puts objects on this bus.
            None => py.None().into_bound(py),
        },
    }
}
