//! Delivering a message to listeners, and the tasks a queued destination's
//! workers run: a serial task carries a whole message; a parallel message
//! becomes one call per listener, each holding a [`Share`] of it.

use std::sync::Arc;

use super::Destination;
use super::fanout::Share;
use crate::listener::{Call, Listener, SnapshotCache};
use crate::message::Message;
use crate::statistics::Outcome;

pub(crate) enum Task {
    /// Serial: call every listener of the destination in turn.
    Message(Message),
    /// Parallel: call one listener with the message the call shares.
    Call(Share),
    /// Sent at shutdown, one per worker, behind every queued task.
    Stop,
}

impl Task {
    /// A parallel destination's channel item: `None` for `Stop`.
    pub(super) fn into_call(self) -> Option<Share> {
        match self {
            Task::Call(share) => Some(share),
            Task::Stop => None,
            Task::Message(_) => unreachable!("a parallel destination queues calls"),
        }
    }
}

/// Calls `listener`; a failure on a default-synchronous request is noted
/// for its sender (see [`Destination::finished`]).
fn call_flags(destination: &str, listener: &Listener, message: &Message) -> u8 {
    match listener.call(destination, message) {
        Call::Delivered => Outcome::CALLED,
        Call::Failed(error) => {
            if let Some(slot) = message.reply_slot() {
                slot.note_failure(error);
            }
            Outcome::CALLED | Outcome::FAILED
        }
        Call::Skipped => 0,
    }
}

impl Destination {
    /// Calls `listeners` in turn with `message`; a failure does not stop
    /// the others.
    pub(super) fn deliver_all(&self, message: &Message, listeners: &[Arc<Listener>]) -> Outcome {
        let flags = listeners
            .iter()
            .fold(0, |flags, l| flags | call_flags(&self.name, l, message));
        Outcome(flags)
    }

    /// Runs one queued task (never `Stop`), or counts it as discarded;
    /// `listeners` caches this destination's listeners.
    pub(super) fn run(&self, task: Task, discard: bool, listeners: &mut SnapshotCache) {
        if discard {
            return self.discard(task);
        }
        match task {
            Task::Message(mut message) => {
                message.set_destination_name(self.name.clone());
                let outcome = self.deliver_all(&message, listeners.load());
                self.finished(&message, outcome);
            }
            Task::Call(call) => {
                let flags = call_flags(&self.name, call.listener(), call.message());
                self.end_call(call, flags);
            }
            Task::Stop => unreachable!("workers stop on Task::Stop before running it"),
        }
    }

    /// Counts a queued task (never `Stop`) as discarded and drops it.
    pub(super) fn discard(&self, task: Task) {
        match task {
            Task::Message(_) => self.counters.finished(Outcome(Outcome::DISCARDED)),
            Task::Call(call) => self.end_call(call, Outcome::DISCARDED),
            Task::Stop => unreachable!("a Stop is not a message"),
        }
    }

    /// Ends a listener call with `flags`; the last call of a message
    /// returns its record and finishes the message.
    fn end_call(&self, call: Share, flags: u8) {
        if let Some((outcome, record, message)) = call.end(flags) {
            self.spares().put(record);
            self.finished(&message, outcome);
        }
    }

    /// Counts a message whose listeners have all returned; a request one of
    /// them failed on, with no reply, fails its sender's wait now.
    pub(super) fn finished(&self, message: &Message, outcome: Outcome) {
        self.counters.finished(outcome);
        if outcome.failed() {
            if let Some(slot) = message.reply_slot() {
                slot.conclude();
            }
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
