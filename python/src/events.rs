//! Registration events for Python: `BusEvent`, the event listeners that
//! receive them, and the handle that removes one.

use msgbus_core::{BusEvent, EventListenerId, WeakMessageBus};
use pyo3::prelude::*;

use crate::lifecycle::{self, Generation};
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

impl From<&BusEvent> for PyBusEvent {
    fn from(event: &BusEvent) -> Self {
        let (kind, listener) = match event {
            BusEvent::DestinationAdded { .. } => ("destination_added", None),
            BusEvent::DestinationRemoved { .. } => ("destination_removed", None),
            BusEvent::ListenerRegistered { listener, .. } => {
                ("listener_registered", Some(listener))
            }
            BusEvent::ListenerUnregistered { listener, .. } => {
                ("listener_unregistered", Some(listener))
            }
        };
        PyBusEvent {
            kind,
            destination: event.destination().to_string(),
            listener_id: listener.map(|id| id.as_u64()),
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

/// The core event listener that calls `callable` with a `BusEvent`; an
/// exception goes to the `msgbus` logger.
pub(crate) fn python_event_listener(
    callable: Py<PyAny>,
) -> impl Fn(&BusEvent) + Send + Sync + 'static {
    move |event| {
        if !lifecycle::attachable() {
            return;
        }
        Python::try_attach(|py| {
            if let Err(err) = callable.bind(py).call1((PyBusEvent::from(event),)) {
                let summary = format!("event listener raised {err} on {event:?}");
                logging::exception(py, &summary, &err);
            }
        });
    }
}

/// What `add_event_listener` returns; `remove()` removes the listener.
#[pyclass(frozen, module = "msgbus")]
pub struct EventListenerHandle {
    bus: WeakMessageBus,
    generation: Generation,
    id: EventListenerId,
}

impl EventListenerHandle {
    pub(crate) fn new(bus: WeakMessageBus, generation: Generation, id: EventListenerId) -> Self {
        EventListenerHandle {
            bus,
            generation,
            id,
        }
    }
}

#[pymethods]
impl EventListenerHandle {
    /// Removes the event listener, waiting for its running calls (unless
    /// called from inside it). False if it was removed before.
    fn remove(&self, py: Python<'_>) -> PyResult<bool> {
        self.generation.check()?;
        Ok(py.detach(|| {
            self.bus
                .upgrade()
                .is_some_and(|bus| bus.remove_event_listener(self.id).is_ok())
        }))
    }
}
