//! A user callable (a message listener or an event listener) that can be
//! retired: retiring stops new calls, waits for the running ones, and only
//! then drops the callable, so its captured user data is released exactly
//! once, after the last possible call.

use std::cell::{RefCell, UnsafeCell};

use crate::error::Result;
use crate::gate::{Gate, LastOut};
use crate::runtime;

pub(crate) struct Callback<F: ?Sized> {
    gate: Gate,
    /// Taken by the retiring thread once the gate is closed and empty (or by
    /// the last running call, when retiring happened inside a call).
    callable: UnsafeCell<Option<Box<F>>>,
}

// SAFETY: the callable is only shared (`&F`) between threads holding a gate
// pass, and only taken (`&mut`) when the gate is closed and empty; so with
// `F: Send + Sync` the cell is never accessed mutably while shared.
unsafe impl<F: ?Sized + Send + Sync> Send for Callback<F> {}
unsafe impl<F: ?Sized + Send + Sync> Sync for Callback<F> {}

thread_local! {
    /// The callbacks running on this thread, innermost last.
    static RUNNING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

impl<F: ?Sized> Callback<F> {
    pub(crate) fn new(callable: Box<F>) -> Self {
        Callback {
            gate: Gate::new(),
            callable: UnsafeCell::new(Some(callable)),
        }
    }

    fn key(&self) -> usize {
        self as *const Self as *const () as usize
    }

    /// Calls `call` with the callable; `None` when it was retired.
    pub(crate) fn invoke<R>(&self, call: impl FnOnce(&F) -> R) -> Option<R> {
        if let Err(LastOut(last)) = self.gate.try_enter() {
            if last {
                self.release();
            }
            return None;
        }
        let _running = Running::push(self);
        // SAFETY: we hold a pass, so the callable is not taken until we leave.
        let callable = unsafe { (*self.callable.get()).as_deref() }?;
        Some(call(callable))
    }

    /// Drops the callable; for the last thread out of a gate closed from
    /// inside a call.
    fn release(&self) {
        // SAFETY: the gate is closed and we were the last one out: nobody
        // else can enter or hold the callable.
        drop(unsafe { (*self.callable.get()).take() });
    }

    /// Stops new calls. Unless called from inside one of this callback's
    /// own calls, waits for the running calls to finish and drops the
    /// callable before returning; from inside, the last running call drops
    /// it as it returns. Returns false if it was retired already. A wait
    /// the caller's runtime interrupts (`Err(Interrupted)`) leaves the
    /// callable to the last running call, as from inside.
    pub(crate) fn retire(&self) -> Result<bool> {
        let key = self.key();
        if RUNNING.with(|r| r.borrow().contains(&key)) {
            return Ok(self.gate.close_deferred().is_some());
        }
        if !self.gate.close() {
            return Ok(false);
        }
        let emptied = runtime::wait(None, |until| self.gate.wait_empty(until).then_some(()));
        if emptied.is_err() {
            if self.gate.defer().0 {
                self.release();
            }
            return emptied.map(|_| true);
        }
        // SAFETY: the gate is closed and empty: no call holds the callable.
        drop(unsafe { (*self.callable.get()).take() });
        Ok(true)
    }
}

/// Marks a call as running on this thread; leaves the gate when dropped.
struct Running<'a, F: ?Sized>(&'a Callback<F>);

impl<'a, F: ?Sized> Running<'a, F> {
    fn push(callback: &'a Callback<F>) -> Self {
        RUNNING.with(|r| r.borrow_mut().push(callback.key()));
        Running(callback)
    }
}

impl<F: ?Sized> Drop for Running<'_, F> {
    fn drop(&mut self) {
        RUNNING.with(|r| r.borrow_mut().pop());
        if self.0.gate.leave().0 {
            self.0.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    struct CountDrop(Arc<AtomicUsize>);
    impl Drop for CountDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    type Probe = dyn Fn() -> usize + Send + Sync;

    fn probe(drops: &Arc<AtomicUsize>) -> Box<Probe> {
        let guard = CountDrop(drops.clone());
        Box::new(move || {
            let _ = &guard;
            7
        })
    }

    #[test]
    fn retire_drops_the_callable_once_and_stops_calls() {
        let drops = Arc::new(AtomicUsize::new(0));
        let cb = Callback::new(probe(&drops));
        assert_eq!(cb.invoke(|f| f()), Some(7));
        assert_eq!(cb.retire(), Ok(true));
        assert_eq!(drops.load(SeqCst), 1);
        assert_eq!(cb.invoke(|f| f()), None);
        assert_eq!(cb.retire(), Ok(false));
        drop(cb);
        assert_eq!(drops.load(SeqCst), 1);
    }

    #[test]
    fn retire_from_inside_defers_the_drop_to_the_end_of_the_call() {
        let drops = Arc::new(AtomicUsize::new(0));
        let cb = Callback::new(probe(&drops));
        cb.invoke(|_| {
            assert_eq!(cb.retire(), Ok(true));
            assert_eq!(drops.load(SeqCst), 0, "still running");
        });
        assert_eq!(drops.load(SeqCst), 1);
        assert_eq!(cb.invoke(|f| f()), None);
    }

    #[test]
    fn unretired_callable_is_dropped_with_the_callback() {
        let drops = Arc::new(AtomicUsize::new(0));
        drop(Callback::new(probe(&drops)));
        assert_eq!(drops.load(SeqCst), 1);
    }
}
