//! `msgbus.MessageBus`: the bus's whole API for Python.

use std::mem::{self, ManuallyDrop};
use std::sync::Arc;

use msgbus_core::{DestinationConfig, MessageBus, Value};
use pyo3::exceptions::{PyTimeoutError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};

use crate::config::{destination_config, optional_duration};
use crate::errors::{OrRaise, synchronous_timeout};
use crate::events::{EventListenerHandle, python_event_listener};
use crate::gil::{self, PythonHooks, wait_in_slices};
use crate::lifecycle::{self, Generation};
use crate::listener::{ListenerHandle, describe, inline_calls, python_listener};
use crate::message::{PyMessage, message_from};
use crate::request;
use crate::statistics::PyDestinationStatistics;
use crate::value::{to_py, to_value};

/// An in-process message bus. Safe to use from any number of threads.
#[pyclass(frozen, name = "MessageBus", module = "msgbus")]
pub struct PyMessageBus {
    /// Taken only in `drop`.
    bus: ManuallyDrop<MessageBus>,
    generation: Generation,
    /// Its number in the exit shutdown's list.
    id: u64,
}

impl PyMessageBus {
    /// A new bus whose workers follow the GIL discipline.
    pub(crate) fn create() -> Self {
        let bus = MessageBus::with_hooks(Arc::new(PythonHooks));
        let id = lifecycle::track(&bus);
        PyMessageBus {
            bus: ManuallyDrop::new(bus),
            generation: Generation::current(),
            id,
        }
    }

    /// The core bus; `BusClosedError` in a process that inherited it.
    fn bus(&self) -> PyResult<&MessageBus> {
        self.generation.check()?;
        Ok(&self.bus)
    }

    fn register(&self, destination: &str, listener: &Bound<'_, PyAny>) -> PyResult<ListenerHandle> {
        let bus = self.bus()?;
        if !listener.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "a listener must be callable, not {}",
                listener.get_type().name()?
            )));
        }
        let callable = python_listener(listener.clone().unbind(), describe(listener));
        let id = bus
            .register_boxed(destination, Box::new(callable))
            .or_raise()?;
        Ok(ListenerHandle::new(
            bus.downgrade(),
            self.generation,
            id,
            destination,
        ))
    }

    /// Adds or replaces (`install`) a destination configured from Python's
    /// arguments; registry changes may wait, so they run detached.
    fn install(
        &self,
        py: Python<'_>,
        name: &str,
        destination_type: &str,
        tuning: Option<&Bound<'_, PyDict>>,
        install: fn(&MessageBus, &str, DestinationConfig) -> msgbus_core::Result<()>,
    ) -> PyResult<()> {
        let bus = self.bus()?;
        let config = destination_config(destination_type, tuning)?;
        py.detach(|| install(bus, name, config)).or_raise()
    }
}

impl Drop for PyMessageBus {
    fn drop(&mut self) {
        // SAFETY: `bus` is not used after this.
        let bus = unsafe { ManuallyDrop::take(&mut self.bus) };
        if !self.generation.is_current() {
            // Its workers are in the parent: shutting down would wait forever.
            mem::forget(bus);
            return;
        }
        lifecycle::untrack(self.id);
        // The last handle shuts the bus down, waiting for workers that may
        // need the GIL. (Python objects are dropped by attached threads.)
        Python::try_attach(move |py| py.detach(move || drop(bus)));
    }
}

#[pymethods]
impl PyMessageBus {
    #[new]
    fn new() -> Self {
        PyMessageBus::create()
    }

    /// Adds a destination of `destination_type` ("serial", "parallel",
    /// "synchronous" or a `DestinationType`) with optional keyword tuning:
    /// `max_queue_size`, `workers_core_size`, `workers_max_size`,
    /// `keep_alive` (s), `rejection_policy`, `block_timeout` (s).
    #[pyo3(signature = (name, destination_type, **tuning))]
    fn add_destination(
        &self,
        py: Python<'_>,
        name: &str,
        destination_type: &str,
        tuning: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        self.install(
            py,
            name,
            destination_type,
            tuning,
            MessageBus::add_destination_with_config,
        )
    }

    /// Replaces a destination (or adds it); its listeners move to the new
    /// one, whose workers start once the old queue has drained.
    #[pyo3(signature = (name, destination_type, **tuning))]
    fn replace_destination(
        &self,
        py: Python<'_>,
        name: &str,
        destination_type: &str,
        tuning: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        self.install(
            py,
            name,
            destination_type,
            tuning,
            MessageBus::replace_destination,
        )
    }

    /// Removes a destination; its queued messages are still delivered.
    /// Its listeners stay registered on the name.
    fn remove_destination(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        let bus = self.bus()?;
        py.detach(|| bus.remove_destination(name)).or_raise()
    }

    fn has_destination(&self, name: &str) -> PyResult<bool> {
        Ok(self.bus()?.has_destination(name))
    }

    /// The names of the destinations, sorted.
    fn destination_names(&self) -> PyResult<Vec<String>> {
        Ok(self.bus()?.destination_names())
    }

    /// Registers `listener(message)` on `destination`, after the listeners
    /// already there; the destination need not exist yet.
    fn register_listener(
        &self,
        destination: &str,
        listener: &Bound<'_, PyAny>,
    ) -> PyResult<ListenerHandle> {
        self.register(destination, listener)
    }

    /// A decorator that registers the function it decorates on
    /// `destination` and returns it unchanged.
    fn listener<'py>(
        slf: Bound<'py, Self>,
        destination: String,
    ) -> PyResult<Bound<'py, PyCFunction>> {
        slf.get().bus()?;
        let py = slf.py();
        let bus = slf.unbind();
        PyCFunction::new_closure(
            py,
            None,
            None,
            move |args: &Bound<'_, PyTuple>, _| -> PyResult<Py<PyAny>> {
                let (function,): (Bound<'_, PyAny>,) = args.extract()?;
                bus.get().register(&destination, &function)?;
                Ok(function.unbind())
            },
        )
    }

    /// Whether `destination` exists and has a listener.
    fn has_listener(&self, destination: &str) -> PyResult<bool> {
        Ok(self.bus()?.has_listener(destination))
    }

    /// Sends a `Message`, or any object as the payload of a new one.
    /// Returns once it is queued (delivered, for a synchronous destination).
    fn send(&self, py: Python<'_>, destination: &str, message: &Bound<'_, PyAny>) -> PyResult<()> {
        let bus = self.bus()?;
        let message = message_from(message);
        inline_calls(py, || bus.send(destination, message))
    }

    /// Sends with a fresh response id and waits up to `timeout` seconds
    /// (`None`: as long as it takes) for the reply; returns its payload.
    #[pyo3(signature = (destination, message, timeout = Some(10.0)))]
    fn send_synchronous<'py>(
        &self,
        py: Python<'py>,
        destination: &str,
        message: &Bound<'py, PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let bus = self.bus()?;
        let timeout = optional_duration("timeout", timeout)?;
        let message = message_from(message);
        let pending = inline_calls(py, || bus.request(destination, message))?;
        let reply = |slice| {
            let reply = pending.wait(slice).ok()?;
            gil::until_workers_leave();
            Some(reply)
        };
        match wait_in_slices(py, timeout, reply)? {
            Some(reply) => Ok(to_py(py, &reply)),
            None => Err(synchronous_timeout(format!(
                "no reply from {destination} within {:?}",
                timeout.unwrap_or_default()
            ))),
        }
    }

    /// `send_synchronous` for asyncio: returns an awaitable of the reply's
    /// payload, without blocking the event loop.
    #[pyo3(signature = (destination, message, timeout = Some(10.0)))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        destination: &str,
        message: &Bound<'py, PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let bus = self.bus()?;
        let timeout = optional_duration("timeout", timeout)?;
        let message = message_from(message);
        request::request(py, bus, self.generation, destination, message, timeout)
    }

    /// Calls the listeners of `destination` in this thread and returns the
    /// `response` the last of them set. A listener's exception stops the
    /// call and raises `ListenerError` from it.
    fn send_direct<'py>(
        &self,
        py: Python<'py>,
        destination: &str,
        message: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let bus = self.bus()?;
        let message = message_from(message);
        let response = inline_calls(py, || bus.send_direct(destination, message))?;
        Ok(to_py(py, &response))
    }

    /// Answers a default-synchronous request with `payload`.
    #[pyo3(signature = (request, payload = None))]
    fn reply(
        &self,
        py: Python<'_>,
        request: PyRef<'_, PyMessage>,
        payload: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let bus = self.bus()?;
        let payload = payload.map_or(Value::Null, to_value);
        inline_calls(py, || bus.reply(&request.inner, payload))
    }

    fn statistics(&self, destination: &str) -> PyResult<PyDestinationStatistics> {
        let statistics = self.bus()?.destination_statistics(destination).or_raise()?;
        Ok(statistics.into())
    }

    /// Calls `callback(event)` for every registration event of the bus, or
    /// of one destination name.
    #[pyo3(signature = (callback, destination = None))]
    fn add_event_listener(
        &self,
        callback: &Bound<'_, PyAny>,
        destination: Option<&str>,
    ) -> PyResult<EventListenerHandle> {
        let bus = self.bus()?;
        if !callback.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "an event listener must be callable, not {}",
                callback.get_type().name()?
            )));
        }
        let id = bus
            .add_event_listener(
                destination,
                python_event_listener(callback.clone().unbind()),
            )
            .or_raise()?;
        Ok(EventListenerHandle::new(
            bus.downgrade(),
            self.generation,
            id,
        ))
    }

    /// Stops the serial and parallel destinations. Graceful: every queued
    /// message is delivered first; `force`: queued messages are discarded
    /// (and counted). Waits up to `timeout` seconds (`None`: as long as it
    /// takes) for the workers, else raises `TimeoutError`; they go on.
    #[pyo3(signature = (force = false, timeout = None))]
    fn shutdown(&self, py: Python<'_>, force: bool, timeout: Option<f64>) -> PyResult<()> {
        let bus = self.bus()?;
        let limit = optional_duration("timeout", timeout)?;
        match wait_in_slices(py, limit, |slice| bus.shutdown(force, Some(slice)).ok())? {
            Some(()) => Ok(()),
            None => Err(PyTimeoutError::new_err(format!(
                "workers still running after {:?}",
                limit.unwrap_or_default()
            ))),
        }
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Shuts the bus down gracefully.
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.shutdown(py, false, None)?;
        Ok(false)
    }
}
