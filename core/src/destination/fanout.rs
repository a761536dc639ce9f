//! A parallel message shared by its listener tasks.
//!
//! Each task holds a [`Share`]: a pointer to the message's [`Fanout`]
//! record and a listener index. The record counts the calls not yet ended;
//! the last one to end owns the record again, drops the message, and hands
//! the record back to the destination's [`Spares`] for the next message
//! (see `recycle.rs`).

use std::cell::UnsafeCell;
use std::ptr::NonNull;
use std::sync::atomic::{
    self, AtomicU8, AtomicUsize, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::time::Instant;

use parking_lot::Mutex;

use super::recycle::Recycled;
use crate::error::ListenerError;
use crate::listener::{Listener, Snapshot};
use crate::message::Message;
use crate::statistics::Outcome;

pub(crate) struct Fanout {
    /// Calls not yet ended.
    remaining: AtomicUsize,
    /// The calls' outcome flags, or-ed.
    flags: AtomicU8,
    /// The first failure of a call (taken by the last call).
    error: Mutex<Option<ListenerError>>,
    /// Set while the sender owns the record, read by the calls, taken by
    /// the last one; `None` in a spare.
    delivery: UnsafeCell<Option<Delivery>>,
}

struct Delivery {
    message: Message,
    listeners: Snapshot,
    /// When the message was queued, if it is timed.
    queued_at: Option<Instant>,
}

/// One listener task's share of a [`Fanout`].
pub(crate) struct Share {
    fanout: NonNull<Fanout>,
    index: usize,
}

// SAFETY: a call only reads the record's delivery (Message and Snapshot are
// Sync) until it ends; the record is then owned by whichever call ended
// last, after every other call's reads (see `Share::end`).
unsafe impl Send for Share {}

const _: () = {
    const fn sync<T: Send + Sync>() {}
    sync::<Message>();
    sync::<Snapshot>();
};

impl Share {
    fn delivery(&self) -> &Delivery {
        // SAFETY: the record lives, its delivery set, until the last call
        // ends, and this one has not.
        unsafe { (*self.fanout.as_ref().delivery.get()).as_ref() }
            .expect("a shared record holds its delivery")
    }

    pub(super) fn message(&self) -> &Message {
        &self.delivery().message
    }

    pub(super) fn listener(&self) -> &Listener {
        &self.delivery().listeners[self.index]
    }

    pub(super) fn queued_at(&self) -> Option<Instant> {
        self.delivery().queued_at
    }

    /// Keeps `error` as the message's failure, unless a call failed first.
    pub(super) fn note_error(&self, error: ListenerError) {
        // SAFETY: the record lives until this call ends.
        let mut first = unsafe { self.fanout.as_ref() }.error.lock();
        first.get_or_insert(error);
    }

    /// Ends this call with its outcome flags. The call that ends last gets
    /// the message's outcome (all calls' flags), the emptied record, the
    /// message and its first failure.
    pub(super) fn end(self, flags: u8) -> Option<Ended> {
        let fanout = self.fanout;
        std::mem::forget(self);
        release(fanout, flags)
    }
}

impl Drop for Share {
    /// A call dropped without running (its queue went away) counts as
    /// discarded; the last one frees the record.
    fn drop(&mut self) {
        release(self.fanout, Outcome::DISCARDED);
    }
}

/// What the last call of a message gets back: see [`Share::end`].
pub(super) type Ended = (Outcome, Box<Fanout>, Message, Option<ListenerError>);

fn release(fanout: NonNull<Fanout>, flags: u8) -> Option<Ended> {
    {
        // SAFETY: the calling call had not ended, so the record lives.
        let shared = unsafe { fanout.as_ref() };
        // Most calls add nothing new (CALLED is set): a load, not a write.
        if flags & !shared.flags.load(Relaxed) != 0 {
            shared.flags.fetch_or(flags, Relaxed);
        }
        // Release: this call's reads and flags happen before the last
        // call takes the record.
        if shared.remaining.fetch_sub(1, Release) != 1 {
            return None;
        }
    }
    atomic::fence(Acquire);
    // SAFETY: every other call has ended: the record is ours, as it was
    // when the sender leaked it in `Spares::share`.
    let mut record = unsafe { Box::from_raw(fanout.as_ptr()) };
    let delivery = record.delivery.get_mut().take();
    let message = delivery
        .expect("a shared record holds its delivery")
        .message;
    let outcome = Outcome(std::mem::take(record.flags.get_mut()));
    let error = record.error.get_mut().take();
    Some((outcome, record, message, error))
}

/// A parallel destination's spare records.
pub(crate) type Spares = Recycled<Fanout>;

impl Spares {
    /// Shares `message` between one call per listener of `listeners`, and
    /// gives each call to `queue`, in listener order.
    pub(super) fn share(
        &self,
        message: Message,
        listeners: Snapshot,
        queued_at: Option<Instant>,
        mut queue: impl FnMut(Share),
    ) {
        let calls = listeners.len();
        if calls == 0 {
            return;
        }
        let mut record = self.take().unwrap_or_else(|| {
            Box::new(Fanout {
                remaining: AtomicUsize::new(0),
                flags: AtomicU8::new(0),
                error: Mutex::new(None),
                delivery: UnsafeCell::new(None),
            })
        });
        *record.remaining.get_mut() = calls;
        *record.delivery.get_mut() = Some(Delivery {
            message,
            listeners,
            queued_at,
        });
        let fanout = NonNull::from(Box::leak(record));
        for index in 0..calls {
            queue(Share { fanout, index });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::any::Any;
    use std::sync::Arc;

    use super::*;
    use crate::listener::{ListenerId, ListenerList};
    use crate::value::{Object, Value};

    fn snapshot(listeners: u64) -> Snapshot {
        let list = ListenerList::default();
        for id in 0..listeners {
            list.push(Arc::new(Listener::new(
                ListenerId::new(id),
                None,
                Box::new(|_| Ok(())),
            )));
        }
        list.load_full()
    }

    /// A message whose payload counts as one more reference to `token`.
    fn message(token: &Arc<()>) -> Message {
        let object: Arc<dyn Any + Send + Sync> = token.clone();
        Message::with_payload(Value::Object(Object::from_arc(object)))
    }

    #[test]
    fn the_last_call_gets_every_flag_and_a_record_to_reuse() {
        let spares = Spares::new();
        let token = Arc::new(());
        let listeners = snapshot(3);
        let mut calls = Vec::new();
        spares.share(message(&token), listeners.clone(), None, |call| {
            calls.push(call)
        });
        assert_eq!(calls.len(), 3);
        assert!(std::ptr::eq(calls[2].listener(), &*listeners[2]));
        assert!(calls[1].message().payload().as_object().is_some());
        let mut calls = calls.into_iter();
        assert!(calls.next().unwrap().end(Outcome::CALLED).is_none());
        assert!(calls.next().unwrap().end(0).is_none());
        let (outcome, record, message, _) = calls.next().unwrap().end(Outcome::FAILED).unwrap();
        assert_eq!(outcome.0, Outcome::CALLED | Outcome::FAILED);
        assert!(
            message.payload().as_object().is_some(),
            "the last call gets the message"
        );
        drop(message);
        assert_eq!(Arc::strong_count(&token), 1, "the message is dropped");

        let reused: *const Fanout = &*record;
        spares.put(record);
        let mut calls = Vec::new();
        spares.share(Message::new(), snapshot(1), None, |call| calls.push(call));
        assert_eq!(calls[0].fanout.as_ptr().cast_const(), reused);
        let (outcome, ..) = calls.pop().unwrap().end(0).unwrap();
        assert_eq!(outcome.0, 0, "flags start afresh");
    }

    #[test]
    fn calls_dropped_unrun_drop_the_message() {
        let spares = Spares::new();
        let token = Arc::new(());
        let mut calls = Vec::new();
        spares.share(message(&token), snapshot(2), None, |call| calls.push(call));
        assert_eq!(Arc::strong_count(&token), 2);
        drop(calls);
        assert_eq!(Arc::strong_count(&token), 1);
    }
}
