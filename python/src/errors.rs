//! The exception hierarchy under `MessageBusError`, one class per result
//! code of the core's C API, and the exception for a failed call.
//!
//! Two classes also derive from a built-in, so that generic handlers catch
//! them: `SynchronousTimeoutError` is a `TimeoutError` and
//! `InvalidArgumentError` a `ValueError`. `create_exception!` takes one base
//! only, so those two are made with `type()` when the module loads.

use std::ffi::CStr;

use msgbus_abi::*;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

create_exception!(
    msgbus,
    MessageBusError,
    PyException,
    "Base class of every error the message bus raises."
);
create_exception!(
    msgbus,
    NoSuchDestinationError,
    MessageBusError,
    "No destination has this name."
);
create_exception!(
    msgbus,
    DestinationExistsError,
    MessageBusError,
    "A destination with this name exists already (use replace_destination)."
);
create_exception!(
    msgbus,
    QueueFullError,
    MessageBusError,
    "The destination's queue is full and its policy rejected the message."
);
create_exception!(
    msgbus,
    BusClosedError,
    MessageBusError,
    "The bus (or the destination) is shut down, or the bus was inherited through os.fork()."
);
create_exception!(
    msgbus,
    NoListenersError,
    MessageBusError,
    "A synchronous send found no listener to answer it."
);
create_exception!(
    msgbus,
    ListenerError,
    MessageBusError,
    "A listener failed during send_direct; the listener's exception is the __cause__."
);

static SYNCHRONOUS_TIMEOUT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INVALID_ARGUMENT: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Adds the exception classes to the module.
pub(crate) fn add_to(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let base = py.get_type::<MessageBusError>();
    m.add("MessageBusError", &base)?;
    m.add(
        "NoSuchDestinationError",
        py.get_type::<NoSuchDestinationError>(),
    )?;
    m.add(
        "DestinationExistsError",
        py.get_type::<DestinationExistsError>(),
    )?;
    m.add("QueueFullError", py.get_type::<QueueFullError>())?;
    m.add("BusClosedError", py.get_type::<BusClosedError>())?;
    m.add("NoListenersError", py.get_type::<NoListenersError>())?;
    m.add("ListenerError", py.get_type::<ListenerError>())?;
    let timeout = two_bases(
        py,
        "SynchronousTimeoutError",
        "No reply arrived within the timeout.",
        &base,
        &py.get_type::<PyTimeoutError>(),
    )?;
    m.add("SynchronousTimeoutError", timeout.clone_ref(py))?;
    let _ = SYNCHRONOUS_TIMEOUT.set(py, timeout);
    let invalid = two_bases(
        py,
        "InvalidArgumentError",
        "An argument has the right type but a bad value (an empty name, workers_core_size > workers_max_size, ...).",
        &base,
        &py.get_type::<PyValueError>(),
    )?;
    m.add("InvalidArgumentError", invalid.clone_ref(py))?;
    let _ = INVALID_ARGUMENT.set(py, invalid);
    Ok(())
}

/// `type(name, (first, second), {...})`: a class with two bases.
fn two_bases(
    py: Python<'_>,
    name: &str,
    doc: &str,
    first: &Bound<'_, PyType>,
    second: &Bound<'_, PyType>,
) -> PyResult<Py<PyType>> {
    let namespace = PyDict::new(py);
    namespace.set_item("__module__", "msgbus")?;
    namespace.set_item("__doc__", doc)?;
    let bases = PyTuple::new(py, [first, second])?;
    Ok(py
        .get_type::<PyType>()
        .call1((name, bases, namespace))?
        .cast_into::<PyType>()?
        .unbind())
}

fn raise_with(class: &PyOnceLock<Py<PyType>>, message: String) -> PyErr {
    Python::attach(|py| match class.get(py) {
        Some(class) => PyErr::from_type(class.bind(py).clone(), message),
        None => MessageBusError::new_err(message),
    })
}

/// An `InvalidArgumentError` (also a `ValueError`).
pub(crate) fn invalid_argument(message: impl Into<String>) -> PyErr {
    raise_with(&INVALID_ARGUMENT, message.into())
}

/// A `SynchronousTimeoutError` (also a `TimeoutError`).
pub(crate) fn synchronous_timeout(message: impl Into<String>) -> PyErr {
    raise_with(&SYNCHRONOUS_TIMEOUT, message.into())
}

/// `Ok` for `MSGBUS_RESULT_OK`; otherwise the exception of `code`, with
/// the detail the core gave this thread for its failed call.
pub(crate) fn check(code: msgbus_result) -> PyResult<()> {
    if code == MSGBUS_RESULT_OK {
        return Ok(());
    }
    // SAFETY: the core's thread-local detail, never NULL.
    let detail = unsafe { CStr::from_ptr((crate::core::api().last_error_message)()) };
    Err(error(code, detail.to_string_lossy().into_owned()))
}

/// The exception of a result code, with `message`.
pub(crate) fn error(code: msgbus_result, message: String) -> PyErr {
    match code {
        MSGBUS_RESULT_INVALID_ARGUMENT => invalid_argument(message),
        MSGBUS_RESULT_NO_SUCH_DESTINATION => NoSuchDestinationError::new_err(message),
        MSGBUS_RESULT_DESTINATION_EXISTS => DestinationExistsError::new_err(message),
        MSGBUS_RESULT_QUEUE_FULL => QueueFullError::new_err(message),
        MSGBUS_RESULT_CLOSED => BusClosedError::new_err(message),
        MSGBUS_RESULT_NO_LISTENERS => NoListenersError::new_err(message),
        MSGBUS_RESULT_TIMEOUT => synchronous_timeout(message),
        MSGBUS_RESULT_LISTENER_FAILED => ListenerError::new_err(message),
        // The signal handler's exception (KeyboardInterrupt for Ctrl-C),
        // which the runtime's `interrupted` hook left set.
        MSGBUS_RESULT_INTERRUPTED => Python::attach(|py| {
            PyErr::take(py).unwrap_or_else(|| PyKeyboardInterrupt::new_err(message))
        }),
        // Handles make unregistering idempotent, and the extension passes
        // no NULL or wrongly typed argument: not expected.
        _ => MessageBusError::new_err(message),
    }
}
