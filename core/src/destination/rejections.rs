//! The log record of a destination's rejected messages. Every sender whose
//! message is rejected is told by its `QueueFull` error, so the log only
//! keeps the operator informed: the first rejection is logged at once,
//! later ones at most once per [`INTERVAL`], with their count.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// The least time between two records of one destination's rejections.
pub(crate) const INTERVAL: Duration = Duration::from_secs(10);

/// `logged_at` before the first record.
const NEVER: u64 = u64::MAX;

pub(crate) struct Rejections {
    /// When the destination was made: the origin of `logged_at`.
    born: Instant,
    /// Rejections since the last record.
    unlogged: AtomicU64,
    /// When the last record was written, in milliseconds after `born`.
    logged_at: AtomicU64,
}

/// What to log for a rejection: the rejections it covers, and whether it is
/// the destination's first record.
#[derive(Debug, PartialEq, Eq)]
struct Record {
    count: u64,
    first: bool,
}

impl Rejections {
    pub(crate) fn new() -> Self {
        Rejections {
            born: Instant::now(),
            unlogged: AtomicU64::new(0),
            logged_at: AtomicU64::new(NEVER),
        }
    }

    /// Counts a rejection by `destination`, whose queue holds `capacity`
    /// tasks, and logs it at WARN when a record is due.
    pub(crate) fn rejected(&self, destination: &str, capacity: usize) {
        let now = u64::try_from(self.born.elapsed().as_millis()).unwrap_or(NEVER - 1);
        match self.record_at(now) {
            Some(Record { first: true, .. }) => log::warn!(
                "rejecting messages for {destination}: its queue of {capacity} tasks is full \
                 (each sender gets QueueFull; further rejections are logged at most every {} s, \
                 with their count)",
                INTERVAL.as_secs()
            ),
            Some(Record { count, .. }) => log::warn!(
                "rejected {count} more messages for {destination}: its queue of {capacity} \
                 tasks is full"
            ),
            None => {}
        }
    }

    /// Counts a rejection at `now` (milliseconds after `born`); the record
    /// to write, if one is due. Only the thread that moves `logged_at`
    /// writes it.
    fn record_at(&self, now: u64) -> Option<Record> {
        self.unlogged.fetch_add(1, Relaxed);
        let last = self.logged_at.load(Relaxed);
        let due = last == NEVER || now.saturating_sub(last) >= INTERVAL.as_millis() as u64;
        if !due
            || self
                .logged_at
                .compare_exchange(last, now, Relaxed, Relaxed)
                .is_err()
        {
            return None;
        }
        let count = self.unlogged.swap(0, Relaxed);
        (count > 0).then_some(Record {
            count,
            first: last == NEVER,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_rejection_is_recorded_then_one_record_per_interval_counts_the_rest() {
        let rejections = Rejections::new();
        let interval = INTERVAL.as_millis() as u64;
        assert_eq!(
            rejections.record_at(5),
            Some(Record {
                count: 1,
                first: true
            })
        );
        for at in [6, 100, interval, interval + 4] {
            assert_eq!(rejections.record_at(at), None, "at {at} ms");
        }
        assert_eq!(
            rejections.record_at(interval + 5),
            Some(Record {
                count: 5,
                first: false
            })
        );
        assert_eq!(rejections.record_at(interval + 6), None);
    }
}
