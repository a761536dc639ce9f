//! Thread states for threads the interpreter does not know (the core's
//! workers, C code's threads), made and deleted outside `os.fork()`.
//!
//! Making or deleting a thread state takes the interpreter's lock on its
//! thread list without the GIL, so it can run while another thread forks.
//! CPython 3.11 takes that lock again in the child before it resets it: a
//! child forked at that moment hangs for ever (1 of 80 forks did while
//! workers were busy; CPython gh-112275). So the extension makes and
//! deletes thread states itself, between [`before_fork`] and
//! [`after_fork`] never, instead of through `PyGILState_Ensure`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use parking_lot::{Condvar, Mutex};
use pyo3::ffi;

/// The interpreter this extension runs in, for the thread states it makes.
static INTERPRETER: OnceLock<usize> = OnceLock::new();
/// Set from just before a fork until just after it.
static FORKING: AtomicBool = AtomicBool::new(false);
/// Threads making or deleting a thread state, or about to.
static BUSY: AtomicUsize = AtomicUsize::new(0);
/// Where threads wait for a fork to end.
static FORK_ENDED: (Mutex<()>, Condvar) = (Mutex::new(()), Condvar::new());

/// Notes the interpreter of the importing thread, which holds the GIL.
pub(crate) fn init() {
    // SAFETY: the importing thread holds the GIL.
    let interpreter = unsafe { ffi::PyInterpreterState_Get() };
    let _ = INTERPRETER.set(interpreter as usize);
}

/// How [`ensure`] took the GIL, for [`release`].
pub(crate) enum Entered {
    /// Through `PyGILState_Ensure`, on a thread that had a thread state.
    Ensured(ffi::PyGILState_STATE),
    /// With a thread state made for the call, deleted after it.
    Made(*mut ffi::PyThreadState),
}

impl Entered {
    /// Whether this thread took the GIL (it did not hold it already).
    pub(crate) fn took_gil(&self) -> bool {
        !matches!(
            self,
            Entered::Ensured(ffi::PyGILState_STATE::PyGILState_LOCKED)
        )
    }

    /// As one word: the Ensure's state (0 or 1), or the thread state's
    /// address (aligned, so never 0 or 1).
    pub(crate) fn into_token(self) -> usize {
        match self {
            Entered::Ensured(state) => state as usize,
            Entered::Made(state) => state as usize,
        }
    }

    /// Back from [`Entered::into_token`].
    pub(crate) fn from_token(token: usize) -> Self {
        match token {
            0 => Entered::Ensured(ffi::PyGILState_STATE::PyGILState_LOCKED),
            1 => Entered::Ensured(ffi::PyGILState_STATE::PyGILState_UNLOCKED),
            state => Entered::Made(state as *mut ffi::PyThreadState),
        }
    }
}

/// Takes the GIL on this thread, making a thread state if it has none.
///
/// # Safety
/// The interpreter is not finalized.
pub(crate) unsafe fn ensure() -> Entered {
    // SAFETY: reads this thread's thread state, if any.
    if !unsafe { ffi::PyGILState_GetThisThreadState() }.is_null() {
        // SAFETY: per the contract; the thread state exists, so nothing
        // is made.
        return Entered::Ensured(unsafe { ffi::PyGILState_Ensure() });
    }
    let interpreter = *INTERPRETER.get().expect("noted at import") as *mut ffi::PyInterpreterState;
    // SAFETY: a live interpreter; the new thread state becomes this
    // thread's (PyGILState's too, so nested Ensure calls use it).
    let state = outside_fork(|| unsafe { ffi::PyThreadState_New(interpreter) });
    // SAFETY: the new thread state, on its thread.
    unsafe { ffi::PyEval_RestoreThread(state) };
    Entered::Made(state)
}

/// Gives back what [`ensure`] took.
///
/// # Safety
/// `entered` is from [`ensure`] on this thread, and the GIL is held as it
/// left it.
pub(crate) unsafe fn release(entered: Entered) {
    match entered {
        // SAFETY: undoes that Ensure.
        Entered::Ensured(state) => unsafe { ffi::PyGILState_Release(state) },
        Entered::Made(state) => {
            // SAFETY: the thread state made for the call is current and
            // holds the GIL; cleared with it, deleted once let go of.
            unsafe {
                ffi::PyThreadState_Clear(state);
                ffi::PyEval_SaveThread();
            }
            outside_fork(|| unsafe { ffi::PyThreadState_Delete(state) });
        }
    }
}

/// Runs `f` while no fork is under way.
fn outside_fork<R>(f: impl FnOnce() -> R) -> R {
    loop {
        BUSY.fetch_add(1, SeqCst);
        if !FORKING.load(SeqCst) {
            break;
        }
        BUSY.fetch_sub(1, SeqCst);
        let mut ended = FORK_ENDED.0.lock();
        while FORKING.load(SeqCst) {
            FORK_ENDED.1.wait(&mut ended);
        }
    }
    let result = f();
    BUSY.fetch_sub(1, SeqCst);
    result
}

/// `os.register_at_fork(before=...)`: holds back new thread states, and
/// waits for those being made or deleted, which takes microseconds and
/// needs no GIL.
pub(crate) fn before_fork() {
    FORKING.store(true, SeqCst);
    while BUSY.load(SeqCst) > 0 {
        std::thread::yield_now();
    }
}

/// `os.register_at_fork(after_in_parent=..., after_in_child=...)`: lets
/// thread states be made again. In the child no other thread is left, so
/// nothing is under way.
pub(crate) fn after_fork(in_child: bool) {
    if in_child {
        // Not even the lock: a thread that stayed in the parent may have
        // held it.
        BUSY.store(0, SeqCst);
        FORKING.store(false, SeqCst);
        return;
    }
    let _ended = FORK_ENDED.0.lock();
    FORKING.store(false, SeqCst);
    FORK_ENDED.1.notify_all();
}
