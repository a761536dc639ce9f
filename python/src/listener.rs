//! Python listeners: calling them from the bus's threads, what becomes of
//! their exceptions, and the handle that unregisters them.

use std::cell::{Cell, RefCell};

use msgbus_core::{Error, ListenerError, ListenerId, Message, WeakMessageBus};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use crate::errors::{self, OrRaise};
use crate::lifecycle::{self, Generation};
use crate::logging;
use crate::message::PyMessage;

thread_local! {
    /// Above 0 while a Python call of this thread may run listeners right
    /// here (a synchronous destination, the caller-runs policy,
    /// `send_direct`).
    static INLINE_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The first exception a listener raised during that call.
    static RAISED: RefCell<Option<PyErr>> = const { RefCell::new(None) };
    /// Whether [`name_worker_thread`] ran on this thread.
    static NAMED: Cell<bool> = const { Cell::new(false) };
}

/// Gives Python's view of a bus worker thread (a `threading._DummyThread`)
/// the worker's name, `acme/n8k5_able-1`, so that `logging`'s
/// `%(threadName)s` and `threading.current_thread()` show it.
fn name_worker_thread(py: Python<'_>) {
    let Some(name) = std::thread::current().name().map(str::to_owned) else {
        return;
    };
    let renamed = py.import("threading").and_then(|threading| {
        let thread = threading.call_method0("current_thread")?;
        if thread.is_instance(&threading.getattr("_DummyThread")?)? {
            thread.setattr("name", name)?;
        }
        Ok(())
    });
    if let Err(err) = renamed {
        err.write_unraisable(py, None);
    }
}

/// The core listener that calls `callable` with a `Message`.
pub(crate) fn python_listener(
    callable: Py<PyAny>,
    name: String,
) -> impl Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static {
    move |message| {
        let called = lifecycle::attachable()
            .then(|| Python::try_attach(|py| call(py, &callable, &name, message)))
            .flatten();
        called.unwrap_or_else(|| {
            Err(ListenerError::new(
                "not called: the Python interpreter is shutting down",
            ))
        })
    }
}

fn call(
    py: Python<'_>,
    callable: &Py<PyAny>,
    name: &str,
    message: &Message,
) -> Result<(), ListenerError> {
    if !NAMED.get() {
        NAMED.set(true);
        name_worker_thread(py);
    }
    let delivered = Bound::new(py, PyMessage::delivered(message.clone()))
        .map_err(|err| failed(py, err, name, message))?;
    callable
        .bind(py)
        .call1((&delivered,))
        .map_err(|err| failed(py, err, name, message))?;
    if let Some(response) = delivered.borrow().response_set() {
        message.set_response(response);
    }
    Ok(())
}

/// Reports a listener's exception: an `Exception` goes to the `msgbus`
/// logger with its traceback; during an inline call it is also kept for
/// the caller, which re-raises a `KeyboardInterrupt` or `SystemExit`.
fn failed(py: Python<'_>, err: PyErr, name: &str, message: &Message) -> ListenerError {
    let destination = message.destination_name().map_or("", |d| d.as_str());
    let summary = format!("listener {name} on {destination} raised {err}");
    let ordinary = err.is_instance_of::<PyException>(py);
    if ordinary {
        logging::exception(py, &summary, &err);
    }
    if INLINE_DEPTH.get() > 0 {
        RAISED.with_borrow_mut(|raised| {
            raised.get_or_insert(err);
        });
    } else if !ordinary {
        // A SystemExit on a worker thread: nobody to raise it to.
        logging::exception(py, &summary, &err);
    }
    ListenerError::new(summary).reported()
}

/// Runs a bus call that may run listeners in this thread, and turns its
/// result into Python's: a `KeyboardInterrupt` or `SystemExit` raised by
/// such a listener propagates, and a listener's failure under
/// `send_direct` becomes a `ListenerError` whose `__cause__` is the
/// listener's exception.
pub(crate) fn inline_calls<T>(
    py: Python<'_>,
    f: impl FnOnce() -> msgbus_core::Result<T>,
) -> PyResult<T> {
    INLINE_DEPTH.set(INLINE_DEPTH.get() + 1);
    let outer = RAISED.take();
    let result = f();
    let raised = RAISED.replace(outer);
    INLINE_DEPTH.set(INLINE_DEPTH.get() - 1);
    match (result, raised) {
        (_, Some(raised)) if !raised.is_instance_of::<PyException>(py) => Err(raised),
        (Err(Error::Listener(failure)), Some(cause)) => {
            let err = errors::to_py(Error::Listener(failure));
            err.set_cause(py, Some(cause));
            Err(err)
        }
        (result, _) => result.or_raise(),
    }
}

/// The name a listener is logged under: its `__qualname__`, else its repr.
pub(crate) fn describe(callable: &Bound<'_, PyAny>) -> String {
    callable
        .getattr("__qualname__")
        .and_then(|q| q.extract::<String>())
        .or_else(|_| callable.repr().map(|r| r.to_string()))
        .unwrap_or_else(|_| "<listener>".into())
}

/// What `register_listener` returns; `unregister()` removes the listener.
#[pyclass(frozen, module = "msgbus")]
pub struct ListenerHandle {
    bus: WeakMessageBus,
    generation: Generation,
    id: ListenerId,
    /// The destination name the listener is registered on.
    #[pyo3(get)]
    destination: String,
}

impl ListenerHandle {
    pub(crate) fn new(
        bus: WeakMessageBus,
        generation: Generation,
        id: ListenerId,
        destination: &str,
    ) -> Self {
        ListenerHandle {
            bus,
            generation,
            id,
            destination: destination.into(),
        }
    }
}

#[pymethods]
impl ListenerHandle {
    /// Unregisters the listener: waits for its running calls to finish
    /// (unless called from inside it). Returns False if it was not
    /// registered any more (unregistered before, or its bus is gone).
    fn unregister(&self, py: Python<'_>) -> PyResult<bool> {
        self.generation.check()?;
        Ok(py.detach(|| {
            self.bus
                .upgrade()
                .is_some_and(|bus| bus.unregister_listener(self.id).is_ok())
        }))
    }

    /// A number that identifies the listener within its bus.
    #[getter]
    fn id(&self) -> u64 {
        self.id.as_u64()
    }

    fn __repr__(&self) -> String {
        format!(
            "ListenerHandle(id={}, destination={:?})",
            self.id.as_u64(),
            self.destination
        )
    }
}
