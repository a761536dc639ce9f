//! The life of the buses around the interpreter's: the default bus, the
//! `atexit` shutdown before finalization, and `os.fork()`.
//!
//! At exit every bus still alive is shut down gracefully (each queued
//! message is delivered) while the main thread waits detached; after that
//! nothing attaches to the interpreter again, so no worker can touch it
//! while it finalizes. A forked child has none of its parent's worker
//! threads: each bus remembers the process generation it was made in, and
//! one inherited through `fork()` refuses every call and is never shut
//! down or dropped in the child (that would wait for threads that do not
//! exist there).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};

use msgbus_core::{MessageBus, WeakMessageBus};
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::bus::PyMessageBus;
use crate::errors::BusClosedError;
use crate::gil;

/// Bumped in a child process after `fork()`.
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// Set once the `atexit` shutdown has run.
static EXITED: AtomicBool = AtomicBool::new(false);
/// Every bus made in this process, by a number of its own, to shut down
/// at exit. Locked only briefly, by attached threads, never around Python.
static LIVE: Mutex<Vec<(u64, Generation, WeakMessageBus)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// The default bus and its generation.
static DEFAULT: Mutex<Option<(Generation, Py<PyMessageBus>)>> = Mutex::new(None);

/// The process a bus (or a handle) was made in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Generation(u64);

impl Generation {
    pub(crate) fn current() -> Self {
        Generation(GENERATION.load(SeqCst))
    }

    /// Whether this is the current process's generation.
    pub(crate) fn is_current(self) -> bool {
        self == Generation::current()
    }

    /// `BusClosedError` unless made in this process.
    pub(crate) fn check(self) -> PyResult<()> {
        if self.is_current() {
            Ok(())
        } else {
            Err(BusClosedError::new_err(
                "this bus was inherited through os.fork(): its worker threads stayed in the \
                 parent; create a new bus in the child",
            ))
        }
    }
}

/// Whether a thread may still attach to the interpreter: false once the
/// `atexit` shutdown is over.
pub(crate) fn attachable() -> bool {
    !EXITED.load(SeqCst)
}

/// Registers a new bus for the exit shutdown; returns its number.
pub(crate) fn track(bus: &MessageBus) -> u64 {
    let id = NEXT_ID.fetch_add(1, SeqCst);
    LIVE.lock()
        .push((id, Generation::current(), bus.downgrade()));
    id
}

/// Forgets a bus that is being dropped.
pub(crate) fn untrack(id: u64) {
    LIVE.lock().retain(|(live, _, _)| *live != id);
}

/// `msgbus.default_bus()`: the process-wide bus (Liferay's
/// `MessageBusUtil`), made on first use, and anew in a forked child.
#[pyfunction]
pub(crate) fn default_bus(py: Python<'_>) -> PyResult<Py<PyMessageBus>> {
    let generation = Generation::current();
    let current = |slot: &Option<(Generation, Py<PyMessageBus>)>| {
        slot.as_ref()
            .filter(|(made, _)| *made == generation)
            .map(|(_, bus)| bus.clone_ref(py))
    };
    if let Some(bus) = current(&DEFAULT.lock()) {
        return Ok(bus);
    }
    // Made outside the lock: creating a Python object may run Python code.
    let fresh = Py::new(py, PyMessageBus::create())?;
    let mut slot = DEFAULT.lock();
    if let Some(bus) = current(&slot) {
        return Ok(bus);
    }
    let inherited = slot.replace((generation, fresh.clone_ref(py)));
    drop(slot);
    drop(inherited);
    Ok(fresh)
}

/// The `atexit` hook: shuts every bus of this process down gracefully,
/// waiting detached (Ctrl-C forces the shutdown); then stops attaching.
#[pyfunction]
fn _shutdown_all(py: Python<'_>) -> PyResult<()> {
    let generation = Generation::current();
    let buses: Vec<MessageBus> = LIVE
        .lock()
        .iter()
        .filter(|(_, made, _)| *made == generation)
        .filter_map(|(_, _, bus)| bus.upgrade())
        .collect();
    let mut outcome = Ok(());
    for bus in &buses {
        let drained = gil::wait_in_slices(py, None, |slice| bus.shutdown(false, Some(slice)).ok());
        if let Err(interrupted) = drained {
            py.detach(|| bus.shutdown(true, None)).ok();
            outcome = outcome.and(Err(interrupted));
        }
    }
    py.detach(|| drop(buses));
    EXITED.store(true, SeqCst);
    outcome
}

/// `os.register_at_fork(after_in_child=...)`: starts a new generation.
#[pyfunction]
fn _after_fork_in_child() {
    GENERATION.fetch_add(1, SeqCst);
}

/// Adds the hooks to the module and registers them with `atexit` and
/// `os.register_at_fork`.
pub(crate) fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let shutdown_all = wrap_pyfunction!(_shutdown_all, m)?;
    let after_fork = wrap_pyfunction!(_after_fork_in_child, m)?;
    py.import("atexit")?
        .call_method1("register", (&shutdown_all,))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("after_in_child", &after_fork)?;
    py.import("os")?
        .call_method("register_at_fork", (), Some(&kwargs))?;
    m.add_function(shutdown_all)?;
    m.add_function(after_fork)?;
    Ok(())
}
