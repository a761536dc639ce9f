//! Delivering a message to listeners, and the tasks a queued destination's
//! workers run: a serial task carries a whole message; a parallel message
//! becomes one task per listener, all sharing one [`Fanout`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

use super::Destination;
use crate::listener::{Call, Listener, Snapshot};
use crate::message::Message;
use crate::statistics::Outcome;

pub(crate) enum Task {
    /// Serial: call every listener of the destination in turn.
    Message(Message),
    /// Parallel: call listener `index` of the fanout's snapshot.
    Call(Arc<Fanout>, usize),
    /// Sent at shutdown, one per worker, behind every queued task.
    Stop,
}

/// A parallel message shared by its listener tasks; the last task to end
/// (the one holding the last reference) counts the message by the outcome
/// of all of them.
pub(crate) struct Fanout {
    message: Message,
    listeners: Snapshot,
    flags: AtomicU8,
}

impl Fanout {
    pub(super) fn new(message: Message, listeners: Snapshot) -> Self {
        Fanout {
            message,
            listeners,
            flags: AtomicU8::new(0),
        }
    }

    /// Records one task's flags and ends the task; returns the message's
    /// outcome when it was the last one.
    fn record(self: Arc<Self>, flags: u8) -> Option<Outcome> {
        // Most tasks add nothing new (CALLED is set): a load, not a write.
        if flags & !self.flags.load(Relaxed) != 0 {
            self.flags.fetch_or(flags, Relaxed);
        }
        // The last reference sees every task's flags (Arc's drop orders them).
        Arc::into_inner(self).map(|fanout| Outcome(fanout.flags.into_inner()))
    }
}

fn call_flags(destination: &str, listener: &Listener, message: &Message) -> u8 {
    match listener.call(destination, message) {
        Call::Delivered => Outcome::CALLED,
        Call::Failed(_) => Outcome::CALLED | Outcome::FAILED,
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

    /// Runs one queued task (never `Stop`), or counts it as discarded.
    pub(super) fn run(&self, task: Task, discard: bool) {
        match task {
            Task::Message(mut message) => {
                let outcome = if discard {
                    Outcome(Outcome::DISCARDED)
                } else {
                    message.set_destination_name(self.name.clone());
                    self.deliver_all(&message, &self.listeners.load())
                };
                self.counters.finished(outcome);
            }
            Task::Call(fanout, index) => {
                let flags = if discard {
                    Outcome::DISCARDED
                } else {
                    call_flags(&self.name, &fanout.listeners[index], &fanout.message)
                };
                if let Some(outcome) = fanout.record(flags) {
                    self.counters.finished(outcome);
                }
            }
            Task::Stop => unreachable!("workers stop on Task::Stop before running it"),
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
