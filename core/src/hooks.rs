//! How a runtime that embeds the bus takes part in the bus's threads.
//!
//! A language runtime with a global lock (CPython's GIL) wants two things
//! of the threads the bus runs code in: a worker should take the lock once
//! for a run of queued messages rather than once per listener call, and a
//! sender that waits inside the bus should let go of it so the workers can
//! make room. A bus built with [`MessageBus::with_hooks`] calls these hooks
//! at exactly those two places; by default they only run what they are
//! given.
//!
//! [`MessageBus::with_hooks`]: crate::MessageBus::with_hooks

/// Hooks around the bus's batches of work and its waits in callers'
/// threads. Each hook must call the closure it is given exactly once, in
/// the thread it was called in.
pub trait ThreadHooks: Send + Sync + 'static {
    /// Runs a worker's batch: the tasks it found queued, one after another,
    /// until the queue is empty. The worker waits for more work only
    /// outside of it.
    fn run_batch(&self, batch: &mut dyn FnMut()) {
        batch()
    }

    /// Runs a wait of a sender's thread inside the bus: room in a full
    /// queue under [`RejectionPolicy::Block`].
    ///
    /// [`RejectionPolicy::Block`]: crate::RejectionPolicy::Block
    fn block(&self, wait: &mut (dyn FnMut() + Send)) {
        wait()
    }
}

/// The hooks of a bus built with [`MessageBus::new`](crate::MessageBus::new).
pub(crate) struct NoHooks;

impl ThreadHooks for NoHooks {}
