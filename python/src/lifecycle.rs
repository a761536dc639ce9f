//! The life of the buses around the interpreter's: the default bus, the
//! `atexit` shutdown before finalization, and `os.fork()`.
//!
//! At exit every bus this interpreter made, and the default bus if it used
//! it, is shut down gracefully (each queued message is delivered) while
//! the main thread waits detached, up to the exit timeout in all; then
//! forced, and a bus whose listener calls still run is left to the end of
//! the process. A bus adopted from C code (`from_address`) is left to its
//! maker. After that nothing enters the
//! interpreter again, so no worker can touch it while it finalizes, and
//! Python listeners still registered on buses of C code decline their
//! calls (counted as failed). A forked child has none of its parent's
//! worker threads: each bus handle remembers the process generation it was
//! made in, and one inherited through `fork()` refuses every call and is
//! never shut down or freed in the child (that would wait for threads
//! that do not exist there).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use msgbus_abi::*;
use parking_lot::Mutex;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::bus::{PyMessageBus, destination_names, destination_statistics};
use crate::core::api;
use crate::errors::BusClosedError;
use crate::gil::{self, detached, millis};
use crate::handles::{Owned, Timeout};
use crate::logging;
use crate::threadstate;

/// Bumped in a child process after `fork()`.
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// Set once the `atexit` shutdown has run.
static EXITED: AtomicBool = AtomicBool::new(false);
/// The bus handles to shut down at exit, by a number of their own. Locked
/// only briefly, never around Python code or a call that can wait.
static LIVE: Mutex<Vec<(u64, Generation, usize)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// The default bus and its generation.
static DEFAULT: Mutex<Option<(Generation, Py<PyMessageBus>)>> = Mutex::new(None);
/// `msgbus.set_exit_timeout`'s value.
static EXIT_TIMEOUT: Mutex<Option<Duration>> = Mutex::new(Some(Duration::from_secs(10)));

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

/// Whether a thread may still enter the interpreter: false once the
/// `atexit` shutdown is over.
pub(crate) fn attachable() -> bool {
    !EXITED.load(SeqCst)
}

/// Registers a bus handle for the exit shutdown; returns its number.
pub(crate) fn track(bus: *mut msgbus_bus) -> u64 {
    let id = NEXT_ID.fetch_add(1, SeqCst);
    LIVE.lock().push((id, Generation::current(), bus as usize));
    id
}

/// Forgets a bus handle that is being freed.
pub(crate) fn untrack(id: u64) {
    LIVE.lock().retain(|(live, _, _)| *live != id);
}

/// The process-wide bus (Liferay's `MessageBusUtil`), the same one
/// `msgbus_default_bus()` gives C code; made on first use, and anew in a
/// forked child. It is one bus for the whole process: after its
/// `shutdown()` it stays shut down (queued sends raise `BusClosedError`,
/// synchronous destinations keep working), and `default_bus()` goes on
/// returning it.
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
    let fresh = Py::new(py, PyMessageBus::default_bus()?)?;
    let mut slot = DEFAULT.lock();
    if let Some(bus) = current(&slot) {
        return Ok(bus);
    }
    let inherited = slot.replace((generation, fresh.clone_ref(py)));
    drop(slot);
    drop(inherited);
    Ok(fresh)
}

/// How long, in all, the exit shutdown waits for queued messages (seconds,
/// default 10; `None`: as long as it takes); returns the previous value.
#[pyfunction]
fn set_exit_timeout(timeout: Timeout) -> PyResult<Option<f64>> {
    let previous = std::mem::replace(&mut *EXIT_TIMEOUT.lock(), timeout.0);
    Ok(previous.map(|t| t.as_secs_f64()))
}

/// The `atexit` hook: shuts every tracked bus of this process down
/// gracefully, waiting detached up to the exit timeout in all; then
/// forces what is left (its queue is discarded) and waits no more. A bus
/// whose listener calls are still running is logged and left to the end
/// of the process: freeing it would wait for them. Ctrl-C during the wait
/// forces every bus left at once, and the process then ends as Python's
/// does on Ctrl-C (killed by SIGINT, status 130 in a shell) without a
/// traceback; a second Ctrl-C ends it at once. After this, nothing enters
/// the interpreter anew.
#[pyfunction]
fn _shutdown_all(py: Python<'_>) -> PyResult<()> {
    let generation = Generation::current();
    let buses: Vec<Owned<msgbus_bus>> = LIVE
        .lock()
        .iter()
        .filter(|(_, made, _)| *made == generation)
        .filter_map(|&(_, _, bus)| {
            let mut handle = std::ptr::null_mut();
            // SAFETY: a tracked handle is live until untracked, which
            // takes this lock first.
            let cloned = unsafe { (api().bus_clone)(bus as *const msgbus_bus, &mut handle) };
            // SAFETY: owned on success.
            (cloned == MSGBUS_RESULT_OK)
                .then(|| unsafe { Owned::from_raw(handle) })
                .flatten()
        })
        .collect();
    let limit = *EXIT_TIMEOUT.lock();
    let deadline = limit.map(|t| Instant::now() + t);
    let mut interrupted = None;
    let mut left = Vec::new();
    for bus in buses {
        let handle = bus.as_ptr() as usize;
        let shutdown = move |force: bool, timeout_ms: u64| {
            // SAFETY: a live handle.
            unsafe { (api().bus_shutdown)(handle as *const msgbus_bus, force, timeout_ms) }
        };
        if interrupted.is_none() {
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            match gil::wait_in_slices(py, remaining, |slice| {
                (shutdown(false, millis(slice)) == MSGBUS_RESULT_OK).then_some(())
            }) {
                Ok(Some(())) => {
                    left.push(bus);
                    continue;
                }
                Ok(None) => {}
                Err(err) => interrupted = Some(err),
            }
        }
        let before = Activity::of(bus.as_ptr());
        if detached(py, || shutdown(true, 0)) == MSGBUS_RESULT_OK {
            left.push(bus);
            continue;
        }
        let after = Activity::of(bus.as_ptr());
        let cause = match limit {
            Some(limit) if interrupted.is_none() => format!("after {limit:?}"),
            _ => "on Ctrl-C".to_owned(),
        };
        logging::warning(
            py,
            &format!(
                "exit: stopped waiting {cause} for listener calls still running on {}; \
                 discarded {} queued messages; the process ends without those calls \
                 (msgbus.set_exit_timeout sets the wait)",
                after.running.join(", "),
                after.discarded.saturating_sub(before.discarded),
            ),
        );
        // Freeing it would wait for those calls; the process ends instead.
        bus.leak();
    }
    detached(py, || drop(left));
    EXITED.store(true, SeqCst);
    match interrupted {
        Some(err) if err.is_instance_of::<PyKeyboardInterrupt>(py) => {
            // The wait is over; what is left of the exit runs as usual,
            // and the process ends by SIGINT (see `end_by_sigint`).
            INTERRUPTED_AT_EXIT.store(true, SeqCst);
            let signal = py.import("signal")?;
            signal.call_method1(
                "signal",
                (signal.getattr("SIGINT")?, signal.getattr("SIG_DFL")?),
            )?;
            Ok(())
        }
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// Set when Ctrl-C ended the exit shutdown's wait.
static INTERRUPTED_AT_EXIT: AtomicBool = AtomicBool::new(false);

/// A C `atexit` handler, run after the interpreter has finalized: if
/// Ctrl-C ended the exit shutdown, ends the process by SIGINT, as CPython
/// ends one whose main program a `KeyboardInterrupt` ended.
extern "C" fn end_by_sigint() {
    if INTERRUPTED_AT_EXIT.load(SeqCst) {
        // SAFETY: plain system calls; nothing runs after them.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::kill(libc::getpid(), libc::SIGINT);
            libc::_exit(130);
        }
    }
}

/// Where a bus's listener calls run, and how many messages it discarded.
struct Activity {
    /// The destinations with a call running, quoted.
    running: Vec<String>,
    discarded: u64,
}

impl Activity {
    fn of(bus: *const msgbus_bus) -> Self {
        let mut activity = Activity {
            running: Vec::new(),
            discarded: 0,
        };
        for name in destination_names(bus).unwrap_or_default() {
            let Ok(statistics) = destination_statistics(bus, &name) else {
                continue;
            };
            if statistics.active_thread_count > 0 {
                activity.running.push(format!("{name:?}"));
            }
            activity.discarded += statistics.discarded_message_count;
        }
        activity
    }
}

/// `os.register_at_fork(before=...)`: no thread state is made or deleted
/// during the fork (see `threadstate`).
#[pyfunction]
fn _before_fork() {
    threadstate::before_fork();
}

/// `os.register_at_fork(after_in_parent=...)`.
#[pyfunction]
fn _after_fork_in_parent() {
    threadstate::after_fork(false);
}

/// `os.register_at_fork(after_in_child=...)`: starts a new generation.
#[pyfunction]
fn _after_fork_in_child() {
    GENERATION.fetch_add(1, SeqCst);
    threadstate::after_fork(true);
}

/// Adds the hooks to the module and registers them with `atexit` and
/// `os.register_at_fork`.
pub(crate) fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // SAFETY: registers a handler that makes only system calls.
    unsafe { libc::atexit(end_by_sigint) };
    let shutdown_all = wrap_pyfunction!(_shutdown_all, m)?;
    m.add_function(wrap_pyfunction!(set_exit_timeout, m)?)?;
    py.import("atexit")?
        .call_method1("register", (&shutdown_all,))?;
    m.add_function(shutdown_all)?;
    let kwargs = PyDict::new(py);
    for (when, hook) in [
        ("before", wrap_pyfunction!(_before_fork, m)?),
        (
            "after_in_parent",
            wrap_pyfunction!(_after_fork_in_parent, m)?,
        ),
        ("after_in_child", wrap_pyfunction!(_after_fork_in_child, m)?),
    ] {
        kwargs.set_item(when, &hook)?;
        m.add_function(hook)?;
    }
    py.import("os")?
        .call_method("register_at_fork", (), Some(&kwargs))?;
    Ok(())
}
