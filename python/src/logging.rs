//! The core's log records and listeners' exceptions go to the Python
//! logger `msgbus`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::lifecycle;

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

/// Forwards `log` records to the `msgbus` logger. Records logged once
/// nothing may attach to the interpreter any more go to stderr.
struct Bridge;

impl log::Log for Bridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            log::Level::Error => 40,
            log::Level::Warn => 30,
            log::Level::Info => 20,
            log::Level::Debug => 10,
            log::Level::Trace => 5,
        };
        let text = record.args().to_string();
        let logged = lifecycle::attachable()
            .then(|| {
                Python::try_attach(|py| {
                    if let Err(failure) =
                        logger(py).and_then(|l| l.call_method1("log", (level, "%s", &text)))
                    {
                        failure.write_unraisable(py, None);
                    }
                })
            })
            .flatten();
        if logged.is_none() {
            eprintln!("msgbus: {}: {text}", record.level());
        }
    }

    fn flush(&self) {}
}

static BRIDGE: Bridge = Bridge;

/// Routes the core's records at INFO and above to Python's `logging`.
pub(crate) fn install() {
    if log::set_logger(&BRIDGE).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}
