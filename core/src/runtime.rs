//! Language runtimes with a global lock (CPython's GIL) whose listeners
//! share the bus with listeners of no runtime (C, C++, Rust).
//!
//! A listener registered in a [`Runtime`] is called holding that runtime's
//! lock, and only it is:
//! - a worker enters the runtime for the first of a run of calls to its
//!   listeners and stays inside for the next ones; it leaves before it
//!   waits for work and before it calls a listener of another runtime or
//!   of none. A burst of messages for Python listeners costs one GIL
//!   acquisition, not one per message.
//! - Any other thread (a sender delivering in place, a listener that
//!   sends on) enters and leaves around each call.
//! - Before the bus calls a listener of no runtime on such a thread, or
//!   blocks a thread (waiting for room, for a listener's running calls,
//!   for a reply, for workers), it suspends every registered runtime on
//!   that thread, which lets go of the lock if the thread holds it, and
//!   resumes them afterwards. So a C listener never runs holding the GIL,
//!   and no thread waits inside the bus holding it.
//!
//! - A thread that holds a runtime's lock and waits inside the bus for
//!   something a person may give up on (room in a full queue, a listener's
//!   running calls to end) waits in slices of [`INTERRUPT_SLICE`], taking
//!   the lock back between them to ask the runtime whether it is
//!   interrupted (CPython: a signal handler raised, say Ctrl-C); if so the
//!   wait ends with [`Error::Interrupted`].
//!
//! Runtimes are registered for the life of the process, at most
//! [`Runtime::MAX`] of them; a process that registers none pays one atomic
//! load for these rules.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering::Acquire, Ordering::Release};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How the bus takes and lets go of a runtime's lock on the calling
/// thread. Each call is made on the thread whose lock it concerns, and a
/// token is given back on that thread.
pub trait RuntimeHooks: Send + Sync + 'static {
    /// Takes the lock on this thread, which may hold it already; returns
    /// what [`leave`](Self::leave) needs to undo exactly this.
    fn enter(&self) -> usize;

    /// Undoes the [`enter`](Self::enter) that returned `token`.
    fn leave(&self, token: usize);

    /// Lets go of the lock if this thread holds it; returns what
    /// [`resume`](Self::resume) needs to take it back.
    fn suspend(&self) -> usize;

    /// Undoes the [`suspend`](Self::suspend) that returned `token`.
    fn resume(&self, token: usize);

    /// Whether this thread, which holds the lock and is waiting inside the
    /// bus, should stop waiting; called between slices of such a wait. By
    /// default it never should.
    fn interrupted(&self) -> bool {
        false
    }
}

/// How often a waiting thread that holds a runtime's lock asks it whether
/// it is interrupted.
pub(crate) const INTERRUPT_SLICE: Duration = Duration::from_millis(50);

/// A registered runtime; clones refer to the same one.
#[derive(Clone)]
pub struct Runtime(Arc<dyn RuntimeHooks>);

/// The registered runtimes, filled in order; readers take the first
/// [`REGISTERED`] of them without a lock.
static RUNTIMES: [OnceLock<Runtime>; Runtime::MAX] = [const { OnceLock::new() }; Runtime::MAX];
/// How many are registered: the one load a process without runtimes pays.
static REGISTERED: AtomicUsize = AtomicUsize::new(0);
/// Serialises registrations.
static REGISTERING: Mutex<()> = Mutex::new(());

impl Runtime {
    /// How many runtimes a process may register.
    pub const MAX: usize = Held::BITS as usize;

    /// Registers `hooks` for the life of the process: from now on the bus
    /// suspends them around its waits and its calls of listeners of no
    /// runtime (see the module's documentation). Fails with
    /// [`Error::InvalidArgument`] past [`Runtime::MAX`] runtimes.
    pub fn register(hooks: impl RuntimeHooks) -> Result<Runtime> {
        let _registering = REGISTERING.lock().unwrap_or_else(|e| e.into_inner());
        let index = REGISTERED.load(Acquire);
        let slot = RUNTIMES.get(index).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "a process registers at most {} runtimes",
                Runtime::MAX
            ))
        })?;
        let runtime = slot.get_or_init(|| Runtime(Arc::new(hooks))).clone();
        REGISTERED.store(index + 1, Release);
        Ok(runtime)
    }

    fn is(&self, other: &Runtime) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Runtime({:p})", Arc::as_ptr(&self.0))
    }
}

/// Which lock a listener needs while it runs.
pub(crate) enum Affinity {
    /// None; a user's listener of no runtime: runtimes are suspended
    /// around it.
    Foreign,
    /// Its runtime's.
    In(Runtime),
    /// None, and it neither blocks nor needs one suspended: the bus's own
    /// reply router.
    Internal,
}

thread_local! {
    /// Set on a worker between its listener calls, where it may stay
    /// inside a runtime; cleared while a call runs.
    static LINGERS: Cell<bool> = const { Cell::new(false) };
    /// The runtime a worker stays inside between calls, with its token.
    static HELD: RefCell<Option<(Runtime, usize)>> = const { RefCell::new(None) };
}

/// Marks this thread as a worker, whose calls may linger in a runtime.
pub(crate) fn become_worker() {
    LINGERS.set(true);
}

/// Leaves the runtime this worker lingers in, if any: before it waits for
/// work, or calls a listener of another runtime.
pub(crate) fn idle() {
    if let Some((runtime, token)) = HELD.take() {
        runtime.0.leave(token);
    }
}

/// Runs a listener call with the lock `affinity` asks for.
pub(crate) fn call<R>(affinity: &Affinity, f: impl FnOnce() -> R) -> R {
    if !LINGERS.get() {
        return match affinity {
            Affinity::In(runtime) => {
                let token = runtime.0.enter();
                let _leave = OnDrop(|| runtime.0.leave(token));
                f()
            }
            Affinity::Foreign => suspended(f),
            Affinity::Internal => f(),
        };
    }
    match affinity {
        Affinity::In(runtime) => {
            let inside = HELD.with_borrow(|held| held.as_ref().is_some_and(|(r, _)| r.is(runtime)));
            if !inside {
                idle();
                let token = runtime.0.enter();
                HELD.set(Some((runtime.clone(), token)));
            }
        }
        // Between calls a worker holds no lock but the one it lingers in.
        Affinity::Foreign => idle(),
        Affinity::Internal => {}
    }
    LINGERS.set(false);
    let _top = OnDrop(|| LINGERS.set(true));
    f()
}

/// Runs `f` (a wait, or a call into code of no runtime) with every
/// registered runtime suspended on this thread.
pub(crate) fn suspended<R>(f: impl FnOnce() -> R) -> R {
    suspending(|_| f())
}

/// The registered runtimes a thread held, as bits by registration order.
type Held = u8;

/// Runs `f` with every registered runtime suspended on this thread; `f`
/// learns which the thread held.
fn suspending<R>(f: impl FnOnce(Held) -> R) -> R {
    let registered = REGISTERED.load(Acquire);
    if registered == 0 {
        return f(0);
    }
    let runtimes = &RUNTIMES[..registered];
    let mut tokens = [0; Runtime::MAX];
    for (slot, token) in runtimes.iter().zip(&mut tokens) {
        if let Some(runtime) = slot.get() {
            *token = runtime.0.suspend();
        }
    }
    let _resume = OnDrop(|| {
        for (slot, &token) in runtimes.iter().zip(&tokens).rev() {
            if let Some(runtime) = slot.get() {
                runtime.0.resume(token);
            }
        }
    });
    let held = tokens
        .iter()
        .enumerate()
        .fold(0, |held, (i, &token)| held | (Held::from(token != 0) << i));
    f(held)
}

/// Whether one of the runtimes `held` says the wait of this thread, which
/// holds them again, is interrupted.
fn interrupted(held: Held) -> bool {
    RUNTIMES
        .iter()
        .enumerate()
        .filter(|&(i, _)| held & (1 << i) != 0)
        .filter_map(|(_, slot)| slot.get())
        .any(|runtime| runtime.0.interrupted())
}

/// Waits until `attempt` gives an answer or `deadline` passes (`None`),
/// with the runtimes suspended; `attempt(until)` waits until `until`
/// (`None`: for as long as it takes) and answers, or gives `None` when
/// `until` came first. A thread that holds a runtime waits in slices of
/// [`INTERRUPT_SLICE`] and asks between them whether it is interrupted
/// (see the module's documentation).
pub(crate) fn wait<T>(
    deadline: Option<Instant>,
    mut attempt: impl FnMut(Option<Instant>) -> Option<T>,
) -> Result<Option<T>> {
    loop {
        let (answer, held) = suspending(|held| {
            let until = match (held, deadline) {
                (0, deadline) => deadline,
                (_, None) => Some(Instant::now() + INTERRUPT_SLICE),
                (_, Some(d)) => Some(d.min(Instant::now() + INTERRUPT_SLICE)),
            };
            (attempt(until), held)
        });
        if answer.is_some() || held == 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(answer);
        }
        if interrupted(held) {
            return Err(Error::Interrupted);
        }
    }
}

/// Runs its closure when dropped, so that a lock is given back however
/// the code between returns.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}
