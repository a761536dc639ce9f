//! Per-destination counters and the statistics snapshot built from them.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::apart::Apart;
use crate::dead_letter::Reason;
use crate::metrics::{DeadLetterCounts, Histogram, RequestCounts};

/// A snapshot of a destination's statistics (Liferay's
/// `DestinationStatistics`, plus the counters msgbus adds).
///
/// Message counters count messages, not listener calls. Once a destination
/// is quiet (after a graceful shutdown, for instance):
/// `sent = delivered + failed + rejected + dropped_no_listener + discarded`,
/// and at any moment the difference is what is still pending or running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DestinationStatistics {
    /// Workers running a task now.
    pub active_thread_count: usize,
    /// Workers alive now.
    pub current_thread_count: usize,
    /// The most workers alive at once.
    pub largest_thread_count: usize,
    pub max_thread_pool_size: usize,
    pub min_thread_pool_size: usize,
    /// Tasks waiting in the queue (a parallel message has one per listener).
    pub pending_message_count: u64,
    /// Messages sent to the destination, whatever became of them.
    pub sent_message_count: u64,
    /// Messages that reached every listener without a failure.
    pub delivered_message_count: u64,
    /// Messages refused because the queue was full.
    pub rejected_message_count: u64,
    /// Messages for which at least one listener failed.
    pub failed_message_count: u64,
    /// Messages dropped because the destination had no listener.
    pub dropped_no_listener_count: u64,
    /// Queued messages thrown away by a forced shutdown.
    pub discarded_message_count: u64,
    pub listener_count: usize,
}

/// How one message ended, as flags gathered from its listener calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome(pub(crate) u8);

impl Outcome {
    pub(crate) const CALLED: u8 = 1;
    pub(crate) const FAILED: u8 = 2;
    pub(crate) const DISCARDED: u8 = 4;

    /// At least one listener failed on the message.
    pub(crate) fn failed(self) -> bool {
        self.0 & Self::FAILED != 0
    }

    /// Why the message was not delivered, as [`Counters::finished`]
    /// counts it; `None` when it was.
    pub(crate) fn undelivered(self) -> Option<Reason> {
        if self.0 & Self::FAILED != 0 {
            Some(Reason::Failed)
        } else if self.0 & Self::DISCARDED != 0 {
            Some(Reason::Discarded)
        } else if self.0 & Self::CALLED != 0 {
            None
        } else {
            Some(Reason::NoListener)
        }
    }
}

/// How a default-synchronous request ended (see [`RequestCounts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RequestOutcome {
    Ok,
    Failed,
    Timeout,
    NoListeners,
    Abandoned,
}

/// Counters written by senders.
#[derive(Default)]
struct SenderSide {
    sent: AtomicU64,
    rejected: AtomicU64,
    dropped_no_listener: AtomicU64,
}

/// Counters written by workers.
#[derive(Default)]
struct WorkerSide {
    delivered: AtomicU64,
    failed: AtomicU64,
    discarded: AtomicU64,
}

/// Counters written rarely, by either side: dead letters by reason and
/// requests by outcome.
#[derive(Default)]
struct Rare {
    dead_letters: [AtomicU64; 5],
    requests: [AtomicU64; 5],
}

#[derive(Default)]
pub(crate) struct Counters {
    /// Apart, so that senders and workers do not share a cache line.
    sender: Apart<SenderSide>,
    worker: Apart<WorkerSide>,
    rare: Rare,
    /// Sampled: queue wait of a message, and each listener call's duration.
    pub(crate) queue_wait: Histogram,
    pub(crate) processing: Histogram,
}

impl Counters {
    /// Counts a sent message; the count before it, which numbers the
    /// message for sampling.
    pub(crate) fn sent(&self) -> u64 {
        self.sender.sent.fetch_add(1, Relaxed)
    }

    /// Takes back a `sent` whose message the destination gave back.
    pub(crate) fn unsent(&self) {
        self.sender.sent.fetch_sub(1, Relaxed);
    }

    pub(crate) fn rejected(&self) {
        self.sender.rejected.fetch_add(1, Relaxed);
    }

    pub(crate) fn dropped_no_listener(&self) {
        self.sender.dropped_no_listener.fetch_add(1, Relaxed);
    }

    /// Counts a finished message by how it ended.
    pub(crate) fn finished(&self, outcome: Outcome) {
        let counter = if outcome.0 & Outcome::FAILED != 0 {
            &self.worker.failed
        } else if outcome.0 & Outcome::DISCARDED != 0 {
            &self.worker.discarded
        } else if outcome.0 & Outcome::CALLED != 0 {
            &self.worker.delivered
        } else {
            &self.sender.dropped_no_listener
        };
        counter.fetch_add(1, Relaxed);
    }

    /// Counts a message of this destination that a dead-letter
    /// destination took.
    pub(crate) fn dead_lettered(&self, reason: Reason) {
        let index = match reason {
            Reason::Failed => 0,
            Reason::Rejected => 1,
            Reason::NoListener => 2,
            Reason::Discarded => 3,
            Reason::Expired => 4,
            // A name no destination has is the bus's to count.
            Reason::NoSuchDestination => return,
        };
        self.rare.dead_letters[index].fetch_add(1, Relaxed);
    }

    pub(crate) fn request(&self, outcome: RequestOutcome) {
        self.rare.requests[outcome as usize].fetch_add(1, Relaxed);
    }

    pub(crate) fn dead_letter_counts(&self) -> DeadLetterCounts {
        let [failed, rejected, no_listener, discarded, expired] =
            self.rare.dead_letters.each_ref().map(|c| c.load(Relaxed));
        DeadLetterCounts {
            failed,
            rejected,
            no_listener,
            discarded,
            expired,
        }
    }

    pub(crate) fn request_counts(&self) -> RequestCounts {
        let [ok, failed, timeout, no_listeners, abandoned] =
            self.rare.requests.each_ref().map(|c| c.load(Relaxed));
        RequestCounts {
            ok,
            failed,
            timeout,
            no_listeners,
            abandoned,
        }
    }

    /// Fills the message counters of `stats`.
    pub(crate) fn fill(&self, stats: &mut DestinationStatistics) {
        stats.sent_message_count = self.sender.sent.load(Relaxed);
        stats.rejected_message_count = self.sender.rejected.load(Relaxed);
        stats.dropped_no_listener_count = self.sender.dropped_no_listener.load(Relaxed);
        stats.delivered_message_count = self.worker.delivered.load(Relaxed);
        stats.failed_message_count = self.worker.failed.load(Relaxed);
        stats.discarded_message_count = self.worker.discarded.load(Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_picks_one_counter() {
        let c = Counters::default();
        c.finished(Outcome(Outcome::CALLED));
        c.finished(Outcome(Outcome::CALLED | Outcome::FAILED));
        c.finished(Outcome(Outcome::CALLED | Outcome::DISCARDED));
        c.finished(Outcome(0));
        let mut s = DestinationStatistics::default();
        c.fill(&mut s);
        assert_eq!(
            (
                s.delivered_message_count,
                s.failed_message_count,
                s.discarded_message_count,
                s.dropped_no_listener_count
            ),
            (1, 1, 1, 1)
        );
    }
}
