//! Registration events for Python: `BusEvent`, the C event listener that
//! hands them to Python callables, and the handle that removes one.

use std::ffi::{CStr, c_void};

use msgbus_abi::*;
use pyo3::prelude::*;
use pyo3::types::PyWeakrefReference;

use crate::core::api;
use crate::gil::{release, with_python};
use crate::lifecycle::Generation;
use crate::listener::remove_from;
use crate::logging;

/// Something that changed in the bus's registry. `kind` is one of
/// "destination_added", "destination_removed", "listener_registered",
/// "listener_unregistered"; `listener_id` is set for the last two.
#[pyclass(frozen, eq, get_all, name = "BusEvent", module = "msgbus")]
#[derive(PartialEq)]
pub struct PyBusEvent {
    kind: &'static str,
    destination: String,
    listener_id: Option<u64>,
}

impl PyBusEvent {
    /// The event the core describes.
    fn from_c(event: &msgbus_event) -> Self {
        let (kind, listener) = match event.event_type {
            MSGBUS_EVENT_DESTINATION_ADDED => ("destination_added", false),
            MSGBUS_EVENT_DESTINATION_REMOVED => ("destination_removed", false),
            MSGBUS_EVENT_LISTENER_REGISTERED => ("listener_registered", true),
            _ => ("listener_unregistered", true),
        };
        PyBusEvent {
            kind,
            // SAFETY: NUL-terminated, borrowed for the call.
            destination: unsafe { CStr::from_ptr(event.destination) }
                .to_string_lossy()
                .into_owned(),
            listener_id: listener.then_some(event.listener_id),
        }
    }
}

#[pymethods]
impl PyBusEvent {
    fn __repr__(&self) -> String {
        match self.listener_id {
            Some(id) => format!(
                "BusEvent({:?}, destination={:?}, listener_id={id})",
                self.kind, self.destination
            ),
            None => format!(
                "BusEvent({:?}, destination={:?})",
                self.kind, self.destination
            ),
        }
    }
}

/// The user data of an event listener: the callable.
pub(crate) fn user_data(callable: &Bound<'_, PyAny>) -> *mut c_void {
    Box::into_raw(Box::new(callable.clone().unbind())).cast()
}

/// Frees what [`user_data`] made.
pub(crate) unsafe extern "C" fn free(user_data: *mut c_void) {
    // SAFETY: made by `user_data`, freed once.
    release(*unsafe { Box::from_raw(user_data.cast::<Py<PyAny>>()) });
}

/// The C event listener that calls the callable with a `BusEvent`; an
/// exception goes to the `msgbus` logger. The core calls it without the
/// GIL; it takes the GIL for the call.
pub(crate) unsafe extern "C" fn call(user_data: *mut c_void, event: *const msgbus_event) {
    // SAFETY: the registration's callable and the event, both live for
    // the call.
    let (callable, event) = unsafe { (&*user_data.cast::<Py<PyAny>>(), &*event) };
    with_python(|py| {
        let event = PyBusEvent::from_c(event);
        let summary = format!("event listener raised on {}", event.__repr__());
        if let Err(err) = callable.bind(py).call1((event,)) {
            logging::exception(py, &format!("{summary}: {err}"), &err);
        }
    });
}

/// What `add_event_listener` returns: `remove()` removes the event
/// listener, and so does the end of a `with` block.
#[pyclass(frozen, module = "msgbus")]
pub struct EventListenerHandle {
    bus: Py<PyWeakrefReference>,
    generation: Generation,
    id: u64,
    /// The destination it listens to; `None` for the whole bus.
    destination: Option<String>,
}

impl EventListenerHandle {
    pub(crate) fn new(
        bus: Py<PyWeakrefReference>,
        generation: Generation,
        id: u64,
        destination: Option<String>,
    ) -> Self {
        EventListenerHandle {
            bus,
            generation,
            id,
            destination,
        }
    }
}

#[pymethods]
impl EventListenerHandle {
    /// Removes the event listener, waiting for its running calls (unless
    /// called from inside it). False if it was removed before.
    fn remove(&self, py: Python<'_>) -> PyResult<bool> {
        let id = self.id;
        // SAFETY: a live bus (its MessageBus is held meanwhile).
        remove_from(py, &self.bus, self.generation, move |bus| unsafe {
            (api().bus_remove_event_listener)(bus, id)
        })
    }

    /// Returns the handle itself.
    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Removes the event listener (as `remove()`).
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.remove(py)?;
        Ok(false)
    }

    /// `EventListenerHandle(id=3, destination="acme/orders")`, or
    /// `destination=None` for one of the whole bus.
    fn __repr__(&self) -> String {
        let destination = self
            .destination
            .as_ref()
            .map_or_else(|| "None".into(), |name| format!("{name:?}"));
        format!(
            "EventListenerHandle(id={}, destination={destination})",
            self.id
        )
    }
}
