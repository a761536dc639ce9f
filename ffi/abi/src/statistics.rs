//! msgbus_destination_statistics.

/// A snapshot of a destination's statistics. Message counters count
/// messages; once the destination is quiet, sent = delivered + failed +
/// rejected + dropped_no_listener + discarded.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct msgbus_destination_statistics {
    /// Workers running a task now.
    pub active_thread_count: u64,
    /// Workers alive now.
    pub current_thread_count: u64,
    /// The most workers alive at once.
    pub largest_thread_count: u64,
    pub max_thread_pool_size: u64,
    pub min_thread_pool_size: u64,
    /// Tasks waiting in the queue (a parallel message has one per listener).
    pub pending_message_count: u64,
    /// Messages sent to the destination, whatever became of them.
    pub sent_message_count: u64,
    /// Messages that reached their listeners without a failure.
    pub delivered_message_count: u64,
    /// Messages refused because the queue was full.
    pub rejected_message_count: u64,
    /// Messages for which at least one listener failed.
    pub failed_message_count: u64,
    /// Messages dropped because no listener was there.
    pub dropped_no_listener_count: u64,
    /// Queued messages thrown away by a forced shutdown.
    pub discarded_message_count: u64,
    pub listener_count: u64,
}
