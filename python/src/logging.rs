//! The core's log records and listeners' exceptions go to the Python
//! logger `msgbus`.

use std::ffi::{CStr, c_char, c_void};
use std::ptr;

use msgbus_abi::*;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::core::api;
use crate::errors::check;
use crate::gil::with_python;

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `logging.getLogger("msgbus")`.
fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    LOGGER
        .get_or_try_init(py, || {
            Ok(py
                .import("logging")?
                .call_method1("getLogger", ("msgbus",))?
                .unbind())
        })
        .map(|logger| logger.bind(py))
}

/// Logs `summary` at ERROR with `err` and its traceback as `exc_info`.
pub(crate) fn exception(py: Python<'_>, summary: &str, err: &PyErr) {
    let logged = logger(py).and_then(|logger| {
        let kwargs = PyDict::new(py);
        let traceback = err.traceback(py);
        kwargs.set_item("exc_info", (err.get_type(py), err.value(py), traceback))?;
        logger.call_method("error", ("%s", summary), Some(&kwargs))
    });
    if let Err(failure) = logged {
        failure.write_unraisable(py, None);
    }
}

/// Logs `text` at WARNING.
pub(crate) fn warning(py: Python<'_>, text: &str) {
    if let Err(failure) = logger(py).and_then(|logger| logger.call_method1("warning", ("%s", text)))
    {
        failure.write_unraisable(py, None);
    }
}

/// The core's log handler: records go to the `msgbus` logger; those
/// logged once nothing may enter the interpreter any more go to stderr.
unsafe extern "C" fn forward(
    _: *mut c_void,
    level: msgbus_log_level,
    _target: *const c_char,
    message: *const c_char,
) {
    let level = match level {
        MSGBUS_LOG_LEVEL_ERROR => 40,
        MSGBUS_LOG_LEVEL_WARN => 30,
        MSGBUS_LOG_LEVEL_INFO => 20,
        MSGBUS_LOG_LEVEL_DEBUG => 10,
        _ => 5,
    };
    // SAFETY: the core's NUL-terminated message, borrowed for the call.
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    let logged = with_python(|py| {
        if let Err(failure) = logger(py).and_then(|l| l.call_method1("log", (level, "%s", &*text)))
        {
            failure.write_unraisable(py, None);
        }
    });
    if logged.is_none() {
        eprintln!("msgbus: {text}");
    }
}

/// Routes the core's records at INFO and above to Python's `logging`, for
/// the whole process (this replaces a handler C code set before).
pub(crate) fn install() -> PyResult<()> {
    // SAFETY: a static handler that needs no user data.
    check(unsafe {
        (api().set_log_handler)(MSGBUS_LOG_LEVEL_INFO, Some(forward), ptr::null_mut(), None)
    })
}
