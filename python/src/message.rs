//! `msgbus.Message`: the fields of a message as attributes, and its values
//! as a mapping (`message["key"]`, `put`/`get`/`remove`/`contains`).
//!
//! Sending copies nothing but reference counts: the bus takes a snapshot,
//! so later changes to the sender's `Message` stay its own. A listener
//! receives its own `Message` for each call; setting its `response` is how
//! it answers a direct synchronous send.

use msgbus_core::Message;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyIterator, PyList, PyMapping, PyString};

use crate::value::{to_py, to_value};

#[pyclass(name = "Message", module = "msgbus")]
pub struct PyMessage {
    pub(crate) inner: Message,
    /// Whether Python code set `response` on this object.
    response_set: bool,
}

impl PyMessage {
    /// The `Message` a listener receives.
    pub(crate) fn delivered(message: Message) -> Self {
        PyMessage {
            inner: message,
            response_set: false,
        }
    }

    /// The response a listener set on this object, if it set one.
    pub(crate) fn response_set(&self) -> Option<msgbus_core::Value> {
        self.response_set.then(|| self.inner.response())
    }
}

/// A message from what `send` and friends accept: a `Message`, or any
/// object, which becomes the payload of a new message.
pub(crate) fn message_from(obj: &Bound<'_, PyAny>) -> Message {
    match obj.cast::<PyMessage>() {
        Ok(message) => message.borrow().inner.clone(),
        Err(_) => Message::with_payload(to_value(obj)),
    }
}

fn missing(key: &str) -> PyErr {
    PyKeyError::new_err(key.to_string())
}

#[pymethods]
impl PyMessage {
    #[new]
    #[pyo3(signature = (payload = None, *, values = None, response_destination_name = None, response_id = None))]
    fn new(
        payload: Option<&Bound<'_, PyAny>>,
        values: Option<&Bound<'_, PyMapping>>,
        response_destination_name: Option<&str>,
        response_id: Option<&str>,
    ) -> PyResult<Self> {
        let mut inner = Message::new();
        if let Some(payload) = payload {
            inner.set_payload(to_value(payload));
        }
        if let Some(values) = values {
            for item in values.items()?.iter() {
                let (key, value): (String, Bound<'_, PyAny>) = item.extract()?;
                inner.put(&key, to_value(&value));
            }
        }
        inner.set_response_destination_name(response_destination_name);
        inner.set_response_id(response_id);
        Ok(PyMessage::delivered(inner))
    }

    /// The destination the message was sent to (set by the bus).
    #[getter]
    fn destination_name(&self) -> Option<&str> {
        self.inner.destination_name().map(|t| t.as_str())
    }

    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        to_py(py, self.inner.payload())
    }

    #[setter]
    fn set_payload(&mut self, payload: &Bound<'_, PyAny>) {
        self.inner.set_payload(to_value(payload));
    }

    #[getter]
    fn response_destination_name(&self) -> Option<&str> {
        self.inner.response_destination_name().map(|t| t.as_str())
    }

    #[setter]
    fn set_response_destination_name(&mut self, name: Option<&str>) {
        self.inner.set_response_destination_name(name);
    }

    #[getter]
    fn response_id(&self) -> Option<&str> {
        self.inner.response_id().map(|t| t.as_str())
    }

    #[setter]
    fn set_response_id(&mut self, id: Option<&str>) {
        self.inner.set_response_id(id);
    }

    /// What a listener answers to a direct synchronous send.
    #[getter]
    fn response<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        to_py(py, &self.inner.response())
    }

    #[setter]
    fn set_response(&mut self, response: &Bound<'_, PyAny>) {
        self.inner.set_response(to_value(response));
        self.response_set = true;
    }

    /// A new dict of the message's values.
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (key, value) in self.inner.values() {
            dict.set_item(key.as_str(), to_py(py, value))?;
        }
        Ok(dict)
    }

    /// Sets a value; `None` removes the key (as in Liferay).
    fn put(&mut self, key: &str, value: &Bound<'_, PyAny>) {
        self.inner.put(key, to_value(value));
    }

    #[pyo3(signature = (key, default = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: &str,
        default: Option<Bound<'py, PyAny>>,
    ) -> Bound<'py, PyAny> {
        match self.inner.get(key) {
            Some(value) => to_py(py, value),
            None => default.unwrap_or_else(|| py.None().into_bound(py)),
        }
    }

    /// Removes a key; returns its value, or `None` if it had none.
    fn remove<'py>(&mut self, py: Python<'py>, key: &str) -> Bound<'py, PyAny> {
        match self.inner.remove(key) {
            Some(value) => to_py(py, &value),
            None => py.None().into_bound(py),
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.inner.contains(key)
    }

    fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        self.inner
            .get(key)
            .map(|value| to_py(py, value))
            .ok_or_else(|| missing(key))
    }

    fn __setitem__(&mut self, key: &str, value: &Bound<'_, PyAny>) {
        self.put(key, value);
    }

    fn __delitem__(&mut self, key: &str) -> PyResult<()> {
        self.inner.remove(key).map(drop).ok_or_else(|| missing(key))
    }

    fn __contains__(&self, key: &str) -> bool {
        self.inner.contains(key)
    }

    fn __len__(&self) -> usize {
        self.inner.values().count()
    }

    /// Iterates over the keys of the values.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        let keys: Vec<&str> = self.inner.values().map(|(key, _)| key.as_str()).collect();
        PyList::new(py, keys)?.try_iter()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let payload = to_py(py, self.inner.payload()).repr()?;
        let mut repr = format!("Message(payload={payload}");
        if self.inner.values().next().is_some() {
            repr.push_str(&format!(", values={}", self.values(py)?.repr()?));
        }
        for (field, text) in [
            ("destination_name", self.inner.destination_name()),
            (
                "response_destination_name",
                self.inner.response_destination_name(),
            ),
            ("response_id", self.inner.response_id()),
        ] {
            if let Some(text) = text {
                let text = PyString::new(py, text).repr()?;
                repr.push_str(&format!(", {field}={text}"));
            }
        }
        repr.push(')');
        Ok(repr)
    }
}
