//! A gate counts the threads that passed it and not yet left, and can be
//! closed: once closed, nobody enters, and the closer can wait until every
//! thread inside has left.
//!
//! Destinations use one so that shutdown knows no sender is still pushing;
//! callbacks use one so that unregistering knows no call is still running.
//! Entering and leaving are one atomic read-modify-write each; the lock and
//! condition variable are touched only after the gate is closed.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

const CLOSED: usize = 1 << (usize::BITS - 1);
/// Set with `CLOSED` when the closer does not wait: the last thread to leave
/// then finishes the closer's work (see [`Gate::leave`]).
const DEFERRED: usize = 1 << (usize::BITS - 2);
const COUNT: usize = DEFERRED - 1;

pub(crate) struct Gate {
    state: AtomicUsize,
    lock: Mutex<()>,
    emptied: Condvar,
}

/// The last thread out of a closed gate, when the closer asked for it.
#[must_use]
pub(crate) struct LastOut(pub(crate) bool);

impl Gate {
    pub(crate) fn new() -> Self {
        Gate {
            state: AtomicUsize::new(0),
            lock: Mutex::new(()),
            emptied: Condvar::new(),
        }
    }

    /// Enters unless closed. Every successful `try_enter` must be matched
    /// by one [`Gate::leave`]. A refused thread passes through the count on
    /// its way out, so it may be the last one out of a deferred close: the
    /// `Err` tells it so, and it must then finish the closer's work.
    pub(crate) fn try_enter(&self) -> Result<(), LastOut> {
        if self.state.fetch_add(1, SeqCst) & CLOSED == 0 {
            return Ok(());
        }
        Err(self.leave())
    }

    /// Leaves. Tells whether this was the last thread out of a gate closed
    /// with [`Gate::close_deferred`]; exactly one thread is told so, though
    /// refused threads may pass through the count afterwards.
    pub(crate) fn leave(&self) -> LastOut {
        let before = self.state.fetch_sub(1, SeqCst);
        if before & CLOSED == 0 || before & COUNT != 1 {
            return LastOut(false);
        }
        if before & DEFERRED != 0 {
            return self.claim_last_out();
        }
        let _guard = self.lock.lock();
        self.emptied.notify_all();
        LastOut(false)
    }

    /// The thread that clears `DEFERRED` is the last one out.
    fn claim_last_out(&self) -> LastOut {
        LastOut(self.state.fetch_and(!DEFERRED, SeqCst) & DEFERRED != 0)
    }

    /// Closes the gate; returns false if it was closed already.
    pub(crate) fn close(&self) -> bool {
        self.state.fetch_or(CLOSED, SeqCst) & CLOSED == 0
    }

    /// Closes the gate for a closer that does not wait: the last thread out
    /// is told so by [`Gate::leave`] (or [`Gate::try_enter`]). With nobody
    /// inside, the closer itself is normally the last one out, and is told
    /// so by `Some(LastOut(true))`. `None` if the gate was closed already.
    pub(crate) fn close_deferred(&self) -> Option<LastOut> {
        let before = self.state.fetch_or(CLOSED | DEFERRED, SeqCst);
        if before & CLOSED != 0 {
            return None;
        }
        if before & COUNT != 0 {
            return Some(LastOut(false));
        }
        // A refused thread passing through may have claimed it first.
        Some(self.claim_last_out())
    }

    /// Turns a close made with [`Gate::close`] into a deferred one, for a
    /// closer that stops waiting: the last thread out is told so, and with
    /// nobody inside the closer is, by `LastOut(true)`.
    pub(crate) fn defer(&self) -> LastOut {
        if self.state.fetch_or(DEFERRED, SeqCst) & COUNT != 0 {
            return LastOut(false);
        }
        self.claim_last_out()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(SeqCst) & CLOSED != 0
    }

    /// Waits until nobody is inside, or until `deadline`; true when empty.
    pub(crate) fn wait_empty(&self, deadline: Option<Instant>) -> bool {
        let mut guard = self.lock.lock();
        loop {
            if self.state.load(SeqCst) & COUNT == 0 {
                return true;
            }
            match deadline {
                None => self.emptied.wait(&mut guard),
                Some(deadline) => {
                    if self.emptied.wait_until(&mut guard, deadline).timed_out() {
                        return self.state.load(SeqCst) & COUNT == 0;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    #[test]
    fn closed_gate_refuses_entry() {
        let gate = Gate::new();
        assert!(gate.try_enter().is_ok(), "an open gate admits");
        assert!(gate.close());
        assert!(!gate.close());
        assert!(gate.try_enter().is_err());
        assert!(
            !gate.wait_empty(Some(Instant::now())),
            "one thread is inside"
        );
        assert!(!gate.leave().0);
        assert!(gate.wait_empty(None));
    }

    #[test]
    fn closer_waits_for_the_threads_inside() {
        let gate = Arc::new(Gate::new());
        let (entered_tx, entered_rx) = crossbeam_channel::bounded(0);
        let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(0);
        let inside = {
            let gate = gate.clone();
            thread::spawn(move || {
                assert!(gate.try_enter().is_ok());
                entered_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                let _ = gate.leave();
            })
        };
        entered_rx.recv().unwrap();
        gate.close();
        let soon = Instant::now() + Duration::from_millis(20);
        assert!(!gate.wait_empty(Some(soon)), "a thread is still inside");
        release_tx.send(()).unwrap();
        assert!(gate.wait_empty(None));
        inside.join().unwrap();
    }

    #[test]
    fn deferred_close_names_the_last_thread_out() {
        let gate = Gate::new();
        assert!(gate.try_enter().is_ok());
        assert!(gate.try_enter().is_ok());
        assert!(matches!(gate.close_deferred(), Some(LastOut(false))));
        assert!(gate.close_deferred().is_none());
        assert!(!gate.leave().0);
        assert!(gate.leave().0);
        assert!(
            matches!(gate.try_enter(), Err(LastOut(false))),
            "told once only"
        );
    }

    #[test]
    fn a_refused_thread_can_be_the_last_one_out() {
        let gate = Gate::new();
        assert!(gate.try_enter().is_ok());
        assert!(matches!(gate.close_deferred(), Some(LastOut(false))));
        // A refused thread is counted while it passes through: here it
        // passes through last, so it finishes the closer's work.
        gate.state.fetch_add(1, SeqCst);
        assert!(!gate.leave().0, "the sender inside leaves first");
        assert!(gate.leave().0, "the refused thread leaves last");
    }

    #[test]
    fn an_empty_gate_makes_its_deferred_closer_the_last_one_out() {
        let gate = Gate::new();
        assert!(matches!(gate.close_deferred(), Some(LastOut(true))));
        assert!(matches!(gate.try_enter(), Err(LastOut(false))));
    }
}
