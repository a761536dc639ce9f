//! `msgbus._msgbus`: the PyO3 extension behind the `msgbus` Python package.
//!
//! It holds no bus of its own: it drives the libmsgbus.so.0 of the process
//! through its C ABI ([`core`]), so Python shares buses with C and C++
//! code. The rules it follows, because Python listeners run on the core's
//! threads:
//! - Python listeners are registered in the Python runtime: the core
//!   holds the GIL while it calls them, a worker keeps it across a run of
//!   them, and nothing else of the core runs holding it ([`gil`]);
//! - every call that can wait (for a reply, for workers, for room in a
//!   queue, for a listener's running calls) lets go of the GIL, and long
//!   waits wake in short slices so Ctrl-C raises `KeyboardInterrupt`;
//! - no internal lock is held while Python code runs;
//! - before the interpreter finalizes, an `atexit` hook drains and stops
//!   the buses Python made, and nothing enters the interpreter after that;
//! - a bus inherited through `os.fork()` refuses to be used in the child.

mod bridge;
mod bus;
mod config;
mod core;
mod destination;
mod errors;
mod events;
mod finalizing;
mod gil;
mod handles;
mod interceptor;
mod lifecycle;
mod listener;
mod logging;
mod message;
mod request;
mod schedule;
mod statistics;
mod threadstate;
mod value;

use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;

/// Buses belong to the process, and so does this module's state (its
/// exit shutdown, its fork hooks, the runtime it registers): a
/// sub-interpreter that imported it would shut the main interpreter's
/// buses down as it ends.
fn refuse_subinterpreters() -> PyResult<()> {
    // SAFETY: the importing thread holds the GIL.
    let id = unsafe { pyo3::ffi::PyInterpreterState_GetID(pyo3::ffi::PyInterpreterState_Get()) };
    if id != 0 {
        return Err(PyImportError::new_err(
            "msgbus runs in the main interpreter only: its buses belong to the process, and a \
             sub-interpreter that ends would shut them down",
        ));
    }
    Ok(())
}

#[pymodule]
fn _msgbus(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Imported here, by the importing thread, before a worker can: the
    // thread that first imports `threading` becomes its main thread, whose
    // thread state `threading._shutdown` waits for at exit, and a worker's
    // lasts until the worker ends.
    m.py().import("threading")?;
    refuse_subinterpreters()?;
    core::load()?;
    threadstate::init();
    gil::register_runtime()?;
    logging::install()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<bus::PyMessageBus>()?;
    m.add_class::<message::PyMessage>()?;
    m.add_class::<destination::PyDestination>()?;
    m.add_class::<bridge::PyBridge>()?;
    m.add_class::<bridge::PyBridgeStatistics>()?;
    m.add_class::<listener::ListenerHandle>()?;
    m.add_class::<events::PyBusEvent>()?;
    m.add_class::<events::EventListenerHandle>()?;
    m.add_class::<interceptor::InterceptorHandle>()?;
    m.add_class::<schedule::Schedule>()?;
    m.add_class::<statistics::PyDestinationStatistics>()?;
    m.add_class::<request::PendingRequest>()?;
    m.add_class::<value::Pointer>()?;
    m.add_function(wrap_pyfunction!(lifecycle::default_bus, m)?)?;
    m.add_function(wrap_pyfunction!(core::_core_info, m)?)?;
    errors::add_to(m)?;
    lifecycle::install(m)?;
    Ok(())
}
