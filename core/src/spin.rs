//! Waiting by spinning, briefly, before a thread parks.
//!
//! Waking a parked thread costs tens of microseconds on a virtual machine
//! whose CPU went idle, against a fraction of one for a thread that is
//! still spinning; and the reply a requester waits for often comes within
//! a microsecond or two. The spinner checks at every turn: exponential
//! backoff (crossbeam's) lets the gap between checks grow to microseconds,
//! which is as much latency added to the round trip. Only the requester
//! spins so: its slot is written once, by the replier. A worker waiting on
//! its queue keeps crossbeam's backoff, as polling the queue at every turn
//! would take the cache line its sender writes at every message.

use std::hint;
use std::time::{Duration, Instant};

/// How long a waiter spins before it parks.
pub(crate) const SPIN_FOR: Duration = Duration::from_micros(10);

/// Turns between two looks at the clock (which costs more than a turn).
const TURNS_PER_CLOCK: u32 = 64;

/// Calls `poll` until it returns `Some`, for at most [`SPIN_FOR`].
pub(crate) fn spin<T>(mut poll: impl FnMut() -> Option<T>) -> Option<T> {
    let mut started: Option<Instant> = None;
    loop {
        for _ in 0..TURNS_PER_CLOCK {
            if let Some(ready) = poll() {
                return Some(ready);
            }
            hint::spin_loop();
        }
        let now = Instant::now();
        if now.duration_since(*started.get_or_insert(now)) >= SPIN_FOR {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_what_poll_gives_or_none_after_its_time() {
        let mut turns = 0;
        assert_eq!(
            spin(|| {
                turns += 1;
                (turns == 100).then_some(turns)
            }),
            Some(100)
        );
        let start = Instant::now();
        assert_eq!(spin(|| None::<()>), None);
        assert!(start.elapsed() >= SPIN_FOR);
    }
}
