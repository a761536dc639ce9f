//! `Destination`: sends to one destination without converting and looking
//! up its name per send (the core's msgbus_destination), and sends of a
//! bare payload with values that make no `Message` object.

use std::mem::MaybeUninit;
use std::ptr;

use msgbus_abi::*;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyIterator, PyMapping, PyString};

use crate::core::api;
use crate::errors::check;
use crate::handles::Owned;
use crate::lifecycle::Generation;
use crate::listener::inline_calls;
use crate::message::with_message;
use crate::value::{to_py, view_of};

/// Sends to the destination of one name (from `MessageBus.destination`).
#[pyclass(frozen, name = "Destination", module = "msgbus")]
pub struct PyDestination {
    handle: Owned<msgbus_destination>,
    name: String,
    /// The `MessageBus` it came from, kept alive with it.
    bus: Py<PyAny>,
    generation: Generation,
}

impl PyDestination {
    pub(crate) fn new(
        handle: Owned<msgbus_destination>,
        name: String,
        bus: Py<PyAny>,
        generation: Generation,
    ) -> Self {
        PyDestination {
            handle,
            name,
            bus,
            generation,
        }
    }

    fn handle(&self) -> PyResult<*const msgbus_destination> {
        self.generation.check()?;
        Ok(self.handle.as_ptr())
    }
}

#[pymethods]
impl PyDestination {
    /// The destination's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The `MessageBus` this destination handle sends through.
    #[getter]
    fn bus(&self, py: Python<'_>) -> Py<PyAny> {
        self.bus.clone_ref(py)
    }

    /// `MessageBus.send` to this destination: `message` is a `Message`,
    /// or any object as the payload of a new one with `values`.
    #[pyo3(signature = (message, values = None))]
    fn send(
        &self,
        py: Python<'_>,
        message: &Bound<'_, PyAny>,
        values: Option<&Bound<'_, PyMapping>>,
    ) -> PyResult<()> {
        send_one(py, self.handle()?, message, values)
    }

    /// Sends each item of `messages` (each a `Message`, or a bare payload)
    /// in order, and returns how many were sent. The first one refused
    /// raises its error, with the number sent before it as the exception's
    /// `sent`; nothing after it is sent.
    fn send_many(&self, py: Python<'_>, messages: &Bound<'_, PyAny>) -> PyResult<usize> {
        let handle = self.handle()?;
        let mut sent = 0;
        for message in PyIterator::from_object(messages)? {
            if let Err(err) = send_one(py, handle, &message?, None) {
                err.value(py).setattr("sent", sent)?;
                return Err(err);
            }
            sent += 1;
        }
        Ok(sent)
    }

    /// `MessageBus.send_direct` to this destination: calls its listeners
    /// in this thread and returns the `response` the last of them set.
    #[pyo3(signature = (message, values = None))]
    fn send_direct<'py>(
        &self,
        py: Python<'py>,
        message: &Bound<'py, PyAny>,
        values: Option<&Bound<'py, PyMapping>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let handle = self.handle()?;
        let mut response = ptr::null_mut();
        with_message(message, values, |message| {
            // SAFETY: a live handle and message, a writable out-parameter.
            inline_calls(py, || {
                Ok(unsafe { (api().destination_send_direct)(handle, message, &mut response) })
            })
        })?;
        // SAFETY: owned on success.
        let response = unsafe { Owned::from_raw(response) }.expect("a response on success");
        Ok(to_py(py, response.as_ptr()))
    }

    fn __repr__(&self) -> String {
        format!("<msgbus.Destination {:?}>", self.name)
    }
}

/// Sends `message` (a `Message`, or a bare payload with `values`) through
/// `handle`: in place when it can be (see [`send_in_place`]).
fn send_one(
    py: Python<'_>,
    handle: *const msgbus_destination,
    message: &Bound<'_, PyAny>,
    values: Option<&Bound<'_, PyMapping>>,
) -> PyResult<()> {
    if let Some(sent) = send_in_place(py, handle, message, values) {
        return sent;
    }
    with_message(message, values, |message| {
        // SAFETY: a live handle and message.
        inline_calls(py, || {
            Ok(unsafe { (api().destination_send)(handle, message) })
        })
    })
}

/// At most this many values are sent described in place; a message with
/// more is made as a `Message` would be.
const IN_PLACE: usize = 8;

/// Sends a bare `payload` with `values` (a dict of str keys) in one call
/// that makes no message (msgbus_destination_send_view), when each is
/// described in place (see [`view_of`]); `None` when one is not, or when
/// `payload` is a `Message`, for the caller to send it as a message.
fn send_in_place(
    py: Python<'_>,
    handle: *const msgbus_destination,
    payload: &Bound<'_, PyAny>,
    values: Option<&Bound<'_, PyMapping>>,
) -> Option<PyResult<()>> {
    let payload = view_of(payload)?;
    let mut entries = [MaybeUninit::<msgbus_entry_view>::uninit(); IN_PLACE];
    let mut count = 0;
    if let Some(values) = values {
        let dict = values.cast::<PyDict>().ok()?;
        if dict.len() > IN_PLACE {
            return None;
        }
        let (mut position, mut key, mut value) = (0, ptr::null_mut(), ptr::null_mut());
        // SAFETY: a dict, walked under the GIL; its items are borrowed, and
        // the views point into them: nothing runs Python code (which could
        // change the dict) before msgbus_destination_send_view has copied
        // them into its message.
        while unsafe { ffi::PyDict_Next(dict.as_ptr(), &mut position, &mut key, &mut value) } != 0 {
            let (key, value) =
                unsafe { (Borrowed::from_ptr(py, key), Borrowed::from_ptr(py, value)) };
            // A key with a NUL byte goes the slow way, which refuses it.
            let key = key.cast_exact::<PyString>().ok()?;
            let text = key.to_str().ok()?;
            if text.as_bytes().contains(&0) {
                return None;
            }
            entries.get_mut(count)?.write(msgbus_entry_view {
                key: text.as_ptr().cast(),
                key_len: text.len(),
                value: view_of(&value)?,
            });
            count += 1;
        }
    }
    let entries = entries.as_ptr().cast::<msgbus_entry_view>();
    // SAFETY: a live handle; the first `count` entries are written, and
    // their views point into objects the dict holds.
    Some(inline_calls(py, || {
        Ok(unsafe { (api().destination_send_view)(handle, &payload, entries, count) })
    }))
}

/// Makes the handle for `name` of the bus at `bus`.
pub(crate) fn destination(
    bus: *const msgbus_bus,
    name: *const std::ffi::c_char,
) -> PyResult<Owned<msgbus_destination>> {
    let mut out = ptr::null_mut();
    // SAFETY: a live bus, a NUL-terminated name, a writable out-parameter.
    check(unsafe { (api().bus_destination)(bus, name, &mut out) })?;
    // SAFETY: written on success, and ours.
    Ok(unsafe { Owned::from_raw(out) }.expect("a handle on success"))
}
