//! `msgbus._msgbus`: the PyO3 extension behind the `msgbus` Python package.
//!
//! It binds the Rust core directly. The rules it follows, because Python
//! listeners run on the bus's worker threads:
//! - every call that can wait (for a reply, for workers, for room in a
//!   queue, for a listener's running calls) lets go of the GIL, and long
//!   waits wake in short slices so Ctrl-C raises `KeyboardInterrupt`;
//! - a worker takes the GIL once for a run of queued messages
//!   ([`gil::PythonHooks`]), never while it waits for work;
//! - no internal lock is held while Python code runs;
//! - before the interpreter finalizes, an `atexit` hook drains and stops
//!   every bus, and nothing attaches to the interpreter after that;
//! - a bus inherited through `os.fork()` refuses to be used in the child.

mod bus;
mod config;
mod errors;
mod events;
mod gil;
mod lifecycle;
mod listener;
mod logging;
mod message;
mod request;
mod statistics;
mod value;

use pyo3::prelude::*;

#[pymodule]
fn _msgbus(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<bus::PyMessageBus>()?;
    m.add_class::<message::PyMessage>()?;
    m.add_class::<listener::ListenerHandle>()?;
    m.add_class::<events::PyBusEvent>()?;
    m.add_class::<events::EventListenerHandle>()?;
    m.add_class::<statistics::PyDestinationStatistics>()?;
    m.add_class::<request::PendingRequest>()?;
    m.add_function(wrap_pyfunction!(lifecycle::default_bus, m)?)?;
    errors::add_to(m)?;
    logging::install();
    lifecycle::install(m)?;
    Ok(())
}
