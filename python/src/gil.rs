//! The GIL discipline: CPython registered with the core as a runtime, and
//! how a Python thread calls into the core and waits inside it.
//!
//! Python listeners are registered in the Python runtime, so the core
//! holds the GIL exactly while it calls them, and a worker keeps it for a
//! run of such calls (see msgbus_runtime_register). Before the core calls
//! a listener of no runtime or blocks a thread, it asks the runtime to
//! let go of the GIL if this thread holds it: the extension knows that it
//! does when the thread called into the core through [`attached`], and
//! only then ([`detached`] waits clear it).

use std::cell::Cell;
use std::hint;
use std::ptr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use msgbus_abi::{msgbus_runtime, msgbus_runtime_hooks};
use pyo3::ffi;
use pyo3::prelude::*;

use crate::core::api;
use crate::errors::check;
use crate::finalizing::{self, Guard};
use crate::lifecycle;
use crate::threadstate::{self, Entered};

/// How long a detached wait runs before it looks for a pending signal, so
/// Ctrl-C interrupts a blocked call within this time.
pub(crate) const SIGNAL_SLICE: Duration = Duration::from_millis(50);

/// How long a thread that got its reply waits for the workers to let go
/// of the GIL before it asks for the GIL anyway.
const LEAVE_WAIT: Duration = Duration::from_micros(50);

/// `enter`'s token when Python may no longer be entered (after the exit
/// shutdown): the listener declines without touching the interpreter.
const NOT_ENTERED: usize = usize::MAX;

/// `enter`'s token on a thread that holds the GIL in a call into the core
/// (an inline delivery from Python): nothing to take.
const HELD_ALREADY: usize = usize::MAX - 1;

/// Threads the core let into the interpreter that have not left it.
static INSIDE: AtomicUsize = AtomicUsize::new(0);

static RUNTIME: OnceLock<usize> = OnceLock::new();

thread_local! {
    /// Whether this thread holds the GIL in a call into the core.
    static HOLDS: Cell<bool> = const { Cell::new(false) };
}

/// Registers Python with the core; once per process.
pub(crate) fn register_runtime() -> PyResult<()> {
    if RUNTIME.get().is_some() {
        return Ok(());
    }
    let hooks = msgbus_runtime_hooks {
        user_data: ptr::null_mut(),
        enter: Some(enter),
        leave: Some(leave),
        suspend: Some(suspend),
        resume: Some(resume),
        interrupted: Some(interrupted),
    };
    let mut runtime: *const msgbus_runtime = ptr::null();
    // SAFETY: the hooks are static functions; the out-parameter is writable.
    check(unsafe { (api().runtime_register)(&hooks, &mut runtime) })?;
    let _ = RUNTIME.set(runtime as usize);
    Ok(())
}

/// The Python runtime, to register listeners in.
pub(crate) fn runtime() -> *const msgbus_runtime {
    *RUNTIME.get().expect("registered at import") as *const msgbus_runtime
}

unsafe extern "C" fn enter(_: *mut std::ffi::c_void) -> usize {
    if !lifecycle::attachable() {
        return NOT_ENTERED;
    }
    if HOLDS.get() {
        return HELD_ALREADY;
    }
    finalizing::guard();
    // SAFETY: the interpreter runs (attachable). This takes the GIL unless
    // this thread holds it, with a thread state made for the run of calls
    // if the thread has none. Keeping a worker's thread state for its life
    // instead was measured 20-40 % slower on W3 and W4 (send to listener 37
    // against 31 us), though taking the GIL took 0.6 against 1.3 us; the
    // cause was not found.
    let entered = unsafe { threadstate::ensure() };
    if entered.took_gil() {
        INSIDE.fetch_add(1, Relaxed);
    }
    entered.into_token()
}

unsafe extern "C" fn leave(_: *mut std::ffi::c_void, token: usize) {
    if matches!(token, NOT_ENTERED | HELD_ALREADY) {
        return;
    }
    let entered = Entered::from_token(token);
    if entered.took_gil() {
        INSIDE.fetch_sub(1, Relaxed);
    }
    // SAFETY: undoes the `enter` that gave `token`, on its thread.
    unsafe { threadstate::release(entered) };
    finalizing::unguard();
}

unsafe extern "C" fn suspend(_: *mut std::ffi::c_void) -> usize {
    if !HOLDS.get() {
        return 0;
    }
    HOLDS.set(false);
    // SAFETY: this thread holds the GIL (it called in through `attached`).
    unsafe { ffi::PyEval_SaveThread() as usize }
}

unsafe extern "C" fn resume(_: *mut std::ffi::c_void, token: usize) {
    if token != 0 {
        let _guard = Guard::new();
        // SAFETY: the thread state `suspend` saved, on its thread.
        unsafe { ffi::PyEval_RestoreThread(token as *mut ffi::PyThreadState) };
        HOLDS.set(true);
    }
}

/// Runs the signal handlers of a wait inside the core (Ctrl-C raises
/// `KeyboardInterrupt`), with the GIL held again; true leaves their
/// exception set for the call that waited to raise.
unsafe extern "C" fn interrupted(_: *mut std::ffi::c_void) -> bool {
    // SAFETY: the core asks with the lock held, on the thread that waits.
    unsafe { ffi::PyErr_CheckSignals() != 0 }
}

/// Runs `f` holding the GIL, from any thread in any state: a callback of
/// the core (an event listener, a reply, a log record, a free function),
/// which may run where PyO3 believes the GIL held while the core let go of
/// it. `None` once Python may not be entered any more.
pub(crate) fn with_python<R>(f: impl FnOnce(Python<'_>) -> R) -> Option<R> {
    if !lifecycle::attachable() {
        return None;
    }
    let _guard = Guard::new();
    // SAFETY: the interpreter runs; this takes the GIL on this thread
    // unless it holds it, and PyO3's attach then keeps its own count.
    let entered = unsafe { threadstate::ensure() };
    let result = Python::attach(f);
    // SAFETY: undoes the `ensure` above, on this thread.
    unsafe { threadstate::release(entered) };
    Some(result)
}

/// Drops a Python reference from any thread: with the GIL, or never once
/// the interpreter is finalizing (the object goes with it).
pub(crate) fn release<T>(object: Py<T>) {
    let mut object = Some(object);
    with_python(|py| drop(object.take().map(|o| o.into_bound(py))));
    std::mem::forget(object);
}

/// Runs a call into the core from a thread that holds the GIL, which the
/// core may then let go of around its waits and its calls of listeners of
/// no runtime.
pub(crate) fn attached<R>(_py: Python<'_>, f: impl FnOnce() -> R) -> R {
    let outer = HOLDS.replace(true);
    let result = f();
    HOLDS.set(outer);
    result
}

/// `py.detach(f)`: runs `f` without the GIL.
pub(crate) fn detached<R: Send>(py: Python<'_>, f: impl FnOnce() -> R + Send) -> R {
    let outer = HOLDS.replace(false);
    let _guard = Guard::new();
    let result = py.detach(f);
    HOLDS.set(outer);
    result
}

/// Spins, detached, until no worker is inside the interpreter, for at most
/// [`LEAVE_WAIT`]. A sender whose reply came from a Python listener calls
/// it before taking the GIL back: the replying worker usually lets go of
/// the GIL within microseconds, and CPython puts a thread that asks for a
/// held GIL to sleep, whose wake-up costs tens of microseconds.
pub(crate) fn until_workers_leave() {
    let start = Instant::now();
    while INSIDE.load(Relaxed) > 0 && start.elapsed() < LEAVE_WAIT {
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
        if let Some(done) = detached(py, || attempt(slice)) {
            return Ok(Some(done));
        }
        py.check_signals()?;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
    }
}

/// A duration in whole milliseconds, rounded up, for the C API.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}
