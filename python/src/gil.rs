//! The GIL discipline: when the bus's threads hold the GIL, and how a
//! Python thread waits inside the bus.

use std::hint;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use msgbus_core::ThreadHooks;
use pyo3::prelude::*;

use crate::lifecycle;

/// How long a detached wait runs before it looks for a pending signal, so
/// Ctrl-C interrupts a blocked call within this time.
const SIGNAL_SLICE: Duration = Duration::from_millis(50);

/// How long a thread that got its reply waits for the workers to let go
/// of the GIL before it asks for the GIL anyway.
const LEAVE_WAIT: Duration = Duration::from_micros(50);

/// Workers inside a batch (holding the GIL, unless a listener waits).
static IN_BATCH: AtomicUsize = AtomicUsize::new(0);

/// The hooks of every bus made from Python.
pub(crate) struct PythonHooks;

impl ThreadHooks for PythonHooks {
    /// A worker holds the GIL through a run of queued messages, so a burst
    /// for Python listeners costs one attach, not one per message. The
    /// batch never waits for work (the worker waits outside it), and every
    /// wait a listener starts inside the bus detaches again.
    fn run_batch(&self, batch: &mut dyn FnMut()) {
        if lifecycle::attachable() {
            IN_BATCH.fetch_add(1, Relaxed);
            let ran = Python::try_attach(|_| batch()).is_some();
            IN_BATCH.fetch_sub(1, Relaxed);
            if ran {
                return;
            }
        }
        // Past the atexit shutdown: listeners will decline the messages.
        batch();
    }

    /// A sender waiting for room lets go of the GIL, so the workers it
    /// waits for can run Python listeners.
    fn block(&self, wait: &mut (dyn FnMut() + Send)) {
        if lifecycle::attachable() && Python::try_attach(|py| py.detach(&mut *wait)).is_some() {
            return;
        }
        wait();
    }
}

/// Spins, detached, until no worker is inside a batch, for at most
/// [`LEAVE_WAIT`]. A sender whose reply came from a Python listener calls
/// it before taking the GIL back: the replying worker usually lets go of
/// the GIL within microseconds, and CPython puts a thread that asks for a
/// held GIL to sleep, whose wake-up costs tens of microseconds.
pub(crate) fn until_workers_leave() {
    let start = Instant::now();
    while IN_BATCH.load(Relaxed) > 0 && start.elapsed() < LEAVE_WAIT {
        hint::spin_loop();
    }
}

/// Waits for `attempt` to succeed, detached, in slices of at most
/// [`SIGNAL_SLICE`]: `attempt(slice)` returns `None` when the slice ran out.
/// Between slices pending signals run their handlers (Ctrl-C raises
/// `KeyboardInterrupt` here). `Ok(None)` when `timeout` ran out first.
pub(crate) fn wait_in_slices<T: Send>(
    py: Python<'_>,
    timeout: Option<Duration>,
    attempt: impl Fn(Duration) -> Option<T> + Sync,
) -> PyResult<Option<T>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let slice = match deadline {
            Some(deadline) => deadline
                .saturating_duration_since(Instant::now())
                .min(SIGNAL_SLICE),
            None => SIGNAL_SLICE,
        };
        if let Some(done) = py.detach(|| attempt(slice)) {
            return Ok(Some(done));
        }
        py.check_signals()?;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
    }
}
