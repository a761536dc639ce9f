//! Boxes that senders allocate and workers hand back for reuse: a parallel
//! message's shared record, a timed serial message. Only senders free
//! them: a box allocated by a sender and freed by a worker, into another
//! thread's heap, made the two contend for the allocator's lock. That cost
//! W2 (`make bench`) a fifth of its throughput, and a quarter again when
//! workers still freed what a bounded list of spares had no room for; a
//! serial destination timing every message ran at a sixth of its speed.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crossbeam_channel::{Receiver, Sender};

use crate::apart::Apart;

/// Spare boxes a destination keeps for good. After a backlog deeper than
/// this drains, its boxes wait as spares too, and senders free those
/// beyond this number: up to [`TRIM_EVERY`] of them every [`TRIM_EVERY`]
/// spares taken.
const SPARES: usize = 256;

/// Spares taken between two looks at their number: counting them reads
/// the end of the list, which workers write at every message, so a look
/// at every message would cost the sender a cache miss each time.
const TRIM_EVERY: usize = 64;

pub(crate) struct Recycled<T> {
    put: Sender<Box<T>>,
    take: Receiver<Box<T>>,
    /// Spares taken since a sender last trimmed; senders' alone, so apart
    /// from the list. Counted without read-modify-write: a lost count only
    /// moves the next trim.
    taken: Apart<AtomicUsize>,
}

impl<T> Recycled<T> {
    pub(crate) fn new() -> Self {
        let (put, take) = crossbeam_channel::unbounded();
        Recycled {
            put,
            take,
            taken: Apart::default(),
        }
    }

    /// A spare, if there is one (for senders).
    pub(crate) fn take(&self) -> Option<Box<T>> {
        let spare = self.take.try_recv().ok()?;
        self.trim();
        Some(spare)
    }

    /// Every [`TRIM_EVERY`] spares taken, frees up to as many of those
    /// beyond [`SPARES`].
    fn trim(&self) {
        let taken = self.taken.load(Relaxed) + 1;
        if taken < TRIM_EVERY {
            self.taken.store(taken, Relaxed);
            return;
        }
        self.taken.store(0, Relaxed);
        let surplus = self.take.len().saturating_sub(SPARES).min(TRIM_EVERY);
        for _ in 0..surplus {
            drop(self.take.try_recv());
        }
    }

    /// Keeps `spare` for a later message (for workers).
    pub(crate) fn put(&self, spare: Box<T>) {
        self.put
            .send(spare)
            .expect("the spares own a receiver, so their channel never disconnects");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_free_the_spares_beyond_the_kept_number() {
        let spares = Recycled::new();
        let kept = SPARES + 2 * TRIM_EVERY;
        (0..kept).for_each(|n| spares.put(Box::new(n)));
        assert_eq!(spares.take.len(), kept, "putting frees none");
        let mut taken = Vec::new();
        (1..TRIM_EVERY).for_each(|_| taken.push(spares.take().unwrap()));
        assert_eq!(spares.take.len(), kept - (TRIM_EVERY - 1), "not yet");
        taken.push(spares.take().unwrap());
        assert_eq!(spares.take.len(), SPARES, "the surplus, at most TRIM_EVERY");
        (0..TRIM_EVERY).for_each(|_| taken.push(spares.take().unwrap()));
        assert_eq!(spares.take.len(), SPARES - TRIM_EVERY, "none beyond");
    }
}
