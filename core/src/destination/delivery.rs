//! Delivering a message to listeners, and the tasks a queued destination's
//! workers run: a serial task carries a whole message; a parallel message
//! becomes one call per listener, each holding a [`Share`] of it.

use std::sync::Arc;
use std::time::Instant;

use super::Destination;
use super::fanout::Share;
use super::recycle::Recycled;
use crate::error::ListenerError;
use crate::listener::{Call, Listener, SnapshotCache};
use crate::message::Message;
use crate::statistics::Outcome;

pub(crate) enum Task {
    /// Serial: call every listener of the destination in turn.
    Message(Message),
    /// Serial, a message sampled for timing.
    Timed(Box<Timed>),
    /// Parallel: call one listener with the message the call shares.
    Call(Share),
    /// Sent at shutdown, one per worker, behind every queued task.
    Stop,
}

/// A serial message whose queue wait and listener calls are timed, in a
/// box the destination reuses (see `recycle.rs`).
pub(crate) struct Timed {
    message: Message,
    queued_at: Instant,
}

impl Timed {
    /// `message`, queued now, in a spare box if there is one.
    pub(super) fn boxed(spares: &Recycled<Timed>, message: Message) -> Box<Timed> {
        let queued_at = Instant::now();
        match spares.take() {
            Some(mut spare) => {
                *spare = Timed { message, queued_at };
                spare
            }
            None => Box::new(Timed { message, queued_at }),
        }
    }
}

impl Task {
    /// A parallel destination's channel item: `None` for `Stop`.
    pub(super) fn into_call(self) -> Option<Share> {
        match self {
            Task::Call(share) => Some(share),
            Task::Stop => None,
            Task::Message(_) | Task::Timed(_) => {
                unreachable!("a parallel destination queues calls")
            }
        }
    }
}

impl Destination {
    /// Calls `listener`: its outcome flags and its failure. With a
    /// `clock` (the call's start), the call is timed and the clock moves
    /// to its end, which is the next call's start: one clock read per
    /// call. A failure on a default-synchronous request is noted for its
    /// sender (see [`Destination::finished`]).
    pub(super) fn call_one(
        &self,
        listener: &Listener,
        message: &Message,
        clock: Option<&mut Instant>,
    ) -> (u8, Option<ListenerError>) {
        let call = listener.call(&self.name, message);
        if let Some(started) = clock {
            let ended = Instant::now();
            self.counters.processing.observe(ended - *started);
            *started = ended;
        }
        match call {
            Call::Delivered => (Outcome::CALLED, None),
            Call::Failed(error) => {
                if let Some(slot) = message.reply_slot() {
                    slot.note_failure(error.clone());
                }
                (Outcome::CALLED | Outcome::FAILED, Some(error))
            }
            Call::Skipped => (0, None),
        }
    }

    /// Calls `listeners` in turn with `message`, timed from `clock` if
    /// given; a failure does not stop the others. The outcome, and the
    /// first failure.
    pub(super) fn deliver_all(
        &self,
        message: &Message,
        listeners: &[Arc<Listener>],
        mut clock: Option<Instant>,
    ) -> (Outcome, Option<ListenerError>) {
        let mut flags = 0;
        let mut first_error = None;
        for listener in listeners {
            let (called, error) = self.call_one(listener, message, clock.as_mut());
            flags |= called;
            first_error = first_error.or(error);
        }
        (Outcome(flags), first_error)
    }

    /// Runs one queued task (never `Stop`), or counts it as discarded;
    /// `listeners` caches this destination's listeners.
    pub(super) fn run(&self, task: Task, discard: bool, listeners: &mut SnapshotCache) {
        if discard {
            return self.discard(task);
        }
        let (mut message, clock) = match task {
            Task::Message(message) => (message, None),
            Task::Timed(timed) => {
                let (message, queued_at) = self.unbox(timed);
                (message, Some(self.waited(queued_at)))
            }
            Task::Call(call) => {
                let mut clock = call.queued_at().map(|at| self.waited(at));
                let (flags, error) = self.call_one(call.listener(), call.message(), clock.as_mut());
                if let Some(error) = error {
                    call.note_error(error);
                }
                return self.end_call(call, flags);
            }
            Task::Stop => unreachable!("workers stop on Task::Stop before running it"),
        };
        message.set_destination_name(self.name.clone());
        let (outcome, error) = self.deliver_all(&message, listeners.load(), clock);
        self.finished(&message, outcome, error.as_ref());
    }

    /// Takes the message out of a timed task's box, and keeps the box
    /// for a later one: its message, and when it was queued.
    fn unbox(&self, mut timed: Box<Timed>) -> (Message, Instant) {
        let message = std::mem::take(&mut timed.message);
        let queued_at = timed.queued_at;
        if let Some(spares) = self.queued.as_ref().and_then(|q| q.timed.as_ref()) {
            spares.put(timed);
        }
        (message, queued_at)
    }

    /// Counts a timed task's wait in the queue; now, when its first call
    /// starts.
    fn waited(&self, queued_at: Instant) -> Instant {
        let now = Instant::now();
        self.counters.queue_wait.observe(now - queued_at);
        now
    }

    /// Counts a queued task (never `Stop`) as discarded, dead-letters its
    /// message, and drops it.
    pub(super) fn discard(&self, task: Task) {
        let discarded = Outcome(Outcome::DISCARDED);
        match task {
            Task::Message(message) => self.finished(&message, discarded, None),
            Task::Timed(timed) => self.finished(&self.unbox(timed).0, discarded, None),
            Task::Call(call) => self.end_call(call, Outcome::DISCARDED),
            Task::Stop => unreachable!("a Stop is not a message"),
        }
    }

    /// Ends a listener call with `flags`; the last call of a message
    /// returns its record and finishes the message.
    fn end_call(&self, call: Share, flags: u8) {
        if let Some((outcome, record, message, error)) = call.end(flags) {
            self.spares().put(record);
            self.finished(&message, outcome, error.as_ref());
        }
    }

    /// Counts a message whose listeners have all returned, with its first
    /// failure if any; an undelivered one is dead-lettered.
    pub(super) fn finished(
        &self,
        message: &Message,
        outcome: Outcome,
        error: Option<&ListenerError>,
    ) {
        self.counters.finished(outcome);
        if outcome.0 != Outcome::CALLED {
            self.undelivered(message, outcome, error);
        }
    }

    /// A request one of the listeners failed on, with no reply, fails its
    /// sender's wait now; whatever was not delivered is dead-lettered.
    #[cold]
    fn undelivered(&self, message: &Message, outcome: Outcome, error: Option<&ListenerError>) {
        if outcome.failed() {
            if let Some(slot) = message.reply_slot() {
                slot.conclude();
            }
        }
        if let Some(reason) = outcome.undelivered() {
            self.dead_letter(message, reason, error.map(ListenerError::message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message queued to a serial destination costs a channel slot of
    /// this size and, when its payload and values are small, nothing more
    /// (see `make bench`'s memory figure).
    #[test]
    fn a_task_is_no_larger_than_its_message() {
        assert_eq!(std::mem::size_of::<Message>(), 128);
        assert_eq!(std::mem::size_of::<Task>(), 128);
    }
}
