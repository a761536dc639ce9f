//! Default synchronous messaging: response ids, the senders waiting for a
//! reply, and the router that hands each reply to its sender.
//!
//! A request carries its sender's one-shot slot, and so does a reply made
//! from it ([`Message::response_to`], which [`MessageBus::reply`] uses): the
//! router fills that slot and wakes exactly its sender, touching nothing
//! the sender's thread uses besides. When the router is all the response
//! destination would run, [`MessageBus::reply`] fills the slot itself and
//! makes no reply message. A reply made otherwise (with only the response
//! id) finds its slot in a map from request number, the end of the id.
//! Liferay instead registers one listener per waiting sender, and every
//! reply visits all of them.
//!
//! [`MessageBus::reply`]: crate::MessageBus::reply

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{
    AtomicBool, AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};

use crate::error::{Error, ListenerError, Result};
use crate::fork::Generation;
use crate::message::Message;
use crate::name_hash::NameMap;
use crate::runtime;
use crate::spin::{REPLY_SPIN, spin};
use crate::statistics::{Counters, RequestOutcome};
use crate::text::Text;
use crate::value::Value;

pub(crate) struct Replies {
    /// The slots of the requests in flight, by request number.
    waiting: Mutex<NameMap<u64, Arc<Slot>>>,
    /// Random per bus, so ids do not repeat across buses or processes.
    prefix: u32,
    next: AtomicU64,
    made_in: Generation,
}

impl Replies {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Replies {
            waiting: Mutex::default(),
            prefix: RandomState::new().hash_one(0u8) as u32,
            next: AtomicU64::new(1),
            made_in: Generation::current(),
        })
    }

    /// A fresh response id and the handle that waits for its reply.
    pub(crate) fn expect(self: &Arc<Self>) -> PendingReply {
        let number = self.next.fetch_add(1, Relaxed);
        let slot = Slot::fresh();
        self.waiting.lock().insert(number, slot.clone());
        PendingReply {
            id: response_id(self.prefix, number),
            number,
            slot,
            replies: self.clone(),
            tally: None,
            timed_out: AtomicBool::new(false),
        }
    }

    /// The request number of an id this bus made.
    fn number(&self, id: &str) -> Option<u64> {
        let (prefix, number) = id.split_once('-')?;
        let ours = u32::from_str_radix(prefix, 16).ok()? == self.prefix;
        ours.then(|| u64::from_str_radix(number, 16).ok())?
    }

    /// The listener that completes waiting senders: registered on
    /// `msgbus/default_response` and on any response destination a
    /// synchronous send names. A reply to a request of this bus whose
    /// sender no longer waits goes to `expired`; other messages are not
    /// the router's.
    pub(crate) fn router(
        self: &Arc<Self>,
        expired: impl Fn(&Message) + Send + Sync + 'static,
    ) -> impl Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static {
        let replies = self.clone();
        move |reply| {
            let filled = match reply.reply_slot() {
                Some(slot) => slot.fill(reply.payload().clone()).is_ok(),
                None => match reply.response_id().and_then(|id| replies.number(id)) {
                    Some(number) => {
                        let slot = replies.waiting.lock().get(&number).cloned();
                        slot.is_some_and(|slot| slot.fill(reply.payload().clone()).is_ok())
                    }
                    None => true,
                },
            };
            if !filled {
                expired(reply);
            }
            Ok(())
        }
    }
}

/// `prefix-number` in lower-case hexadecimal, the prefix in 8 digits: short
/// enough to be stored in place. Written by hand, as `write!` showed in a
/// round trip's profile.
fn response_id(prefix: u32, number: u64) -> Text {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digit = |value: u64, place: usize| DIGITS[(value >> (4 * place)) as usize & 0xf];
    let mut id = [0u8; 25];
    for (i, byte) in id[..8].iter_mut().enumerate() {
        *byte = digit(u64::from(prefix), 7 - i);
    }
    id[8] = b'-';
    let width = (u64::BITS - number.leading_zeros()).div_ceil(4).max(1) as usize;
    for (i, byte) in id[9..9 + width].iter_mut().enumerate() {
        *byte = digit(number, width - 1 - i);
    }
    Text::new(std::str::from_utf8(&id[..9 + width]).expect("hexadecimal digits"))
}

thread_local! {
    /// A slot this thread's last request left unshared, for its next one.
    static SPARE_SLOT: Cell<Option<Arc<Slot>>> = const { Cell::new(None) };
}

/// A one-shot slot: the first reply fills it and wakes its waiter, or
/// goes to its callback.
#[derive(Default)]
pub(crate) struct Slot {
    full: AtomicBool,
    state: Mutex<SlotState>,
}

type ReplyCallback = Box<dyn FnOnce(Value) + Send>;

#[derive(Default)]
struct SlotState {
    value: Option<Value>,
    /// A thread parked (or about to park) until the slot is full.
    waiter: Option<Thread>,
    /// Takes the reply instead of the slot (see [`PendingReply::on_reply`]).
    callback: Option<ReplyCallback>,
    /// A reply filled the slot (rather than a failure concluding it).
    replied: bool,
    /// The sender stopped waiting: a reply now is expired.
    abandoned: bool,
    /// The first failure of a listener the request reached (see
    /// [`Slot::conclude`]), or why a forwarder ended it ([`Slot::fail`]).
    failure: Option<Error>,
}

impl Slot {
    /// An empty slot: this thread's spare if it has one (a slot is
    /// allocated by the requester and, shared by the request, often freed
    /// by the worker: into another thread's heap).
    fn fresh() -> Arc<Slot> {
        SPARE_SLOT
            .try_with(Cell::take)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Keeps `slot`, emptied, as this thread's spare when nothing else
    /// holds it.
    fn recycle(slot: &mut Arc<Slot>) {
        if let Some(unshared) = Arc::get_mut(slot) {
            *unshared = Slot::default();
            let _ = SPARE_SLOT.try_with(|spare| spare.set(Some(slot.clone())));
        }
    }

    /// Completes the request; a later reply, or one after the sender
    /// stopped waiting, comes back as `Err`.
    pub(crate) fn fill(&self, value: Value) -> Result<(), Value> {
        let mut state = self.state.lock();
        if self.full.load(Relaxed) || state.abandoned {
            return Err(value);
        }
        self.full.store(true, Release);
        state.replied = true;
        if let Some(callback) = state.callback.take() {
            drop(state);
            runtime::suspended(|| callback(value));
            return Ok(());
        }
        state.value = Some(value);
        let waiter = state.waiter.take();
        drop(state);
        if let Some(waiter) = waiter {
            waiter.unpark();
        }
        Ok(())
    }

    /// Notes that a listener the request reached failed; the first
    /// failure is what the sender gets if no reply comes (see
    /// [`Slot::conclude`]). Only failures take this path.
    pub(crate) fn note_failure(&self, error: ListenerError) {
        let mut state = self.state.lock();
        if !self.full.load(Relaxed) && state.failure.is_none() {
            state.failure = Some(Error::Listener(error));
        }
    }

    /// Ends the request with `error` unless a reply came first: whether
    /// it did. A callback (an event loop's request) is dropped: no reply
    /// will come.
    pub(crate) fn fail(&self, error: Error) -> bool {
        let mut state = self.state.lock();
        if self.full.load(Relaxed) || state.abandoned {
            return false;
        }
        state.failure = Some(error);
        state.callback = None;
        self.end(state);
        true
    }

    /// Called once every listener the request reached has returned: if one
    /// failed and no reply came, the request fails with that failure now,
    /// rather than its sender waiting out the timeout. A reply a listener
    /// sends later is ignored. A callback (an event loop's request) keeps
    /// waiting for a reply.
    pub(crate) fn conclude(&self) {
        let state = self.state.lock();
        if self.full.load(Relaxed) || state.failure.is_none() || state.callback.is_some() {
            return;
        }
        self.end(state);
    }

    /// Marks the slot full with the failure `state` holds, and wakes its
    /// waiter.
    fn end(&self, mut state: MutexGuard<'_, SlotState>) {
        self.full.store(true, Release);
        let waiter = state.waiter.take();
        drop(state);
        if let Some(waiter) = waiter {
            waiter.unpark();
        }
    }

    /// The value, if the slot is full and it was not taken yet.
    fn take(&self) -> Option<Value> {
        if self.full.load(Acquire) {
            self.state.lock().value.take()
        } else {
            None
        }
    }

    /// What a full slot holds: the reply's value (taken), or the failure
    /// that concluded the request.
    fn outcome(state: &mut SlotState) -> Option<Result<Value, Error>> {
        match state.value.take() {
            Some(value) => Some(Ok(value)),
            None => state.failure.clone().map(Err),
        }
    }

    /// [`Slot::outcome`], if the slot is full.
    fn taken(&self) -> Option<Result<Value, Error>> {
        if self.full.load(Acquire) {
            Self::outcome(&mut self.state.lock())
        } else {
            None
        }
    }

    /// Waits until the slot is full, or for `timeout` (`None`: for ever);
    /// then takes its outcome (`None` when its value was taken already, or
    /// after the timeout).
    fn wait(&self, timeout: Option<Duration>) -> Option<Result<Value, Error>> {
        if spin(REPLY_SPIN, || self.full.load(Acquire).then_some(())).is_some() {
            return self.taken();
        }
        // Only now: a reply caught spinning needs no deadline.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            {
                let mut state = self.state.lock();
                if self.full.load(Acquire) {
                    return Self::outcome(&mut state);
                }
                state.waiter = Some(thread::current());
            }
            match deadline {
                None => thread::park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        self.state.lock().waiter = None;
                        return self.taken();
                    }
                    thread::park_timeout(deadline - now);
                }
            }
        }
    }
}

/// A default-synchronous request in flight: waits for the first reply with
/// its response id. Dropping it stops waiting.
pub struct PendingReply {
    id: Text,
    number: u64,
    slot: Arc<Slot>,
    replies: Arc<Replies>,
    /// The request destination's counters, which count how it ended.
    tally: Option<Arc<Counters>>,
    /// A wait ended without an outcome.
    timed_out: AtomicBool,
}

impl PendingReply {
    pub fn response_id(&self) -> &str {
        &self.id
    }

    pub(crate) fn shared_id(&self) -> Text {
        self.id.clone()
    }

    /// The reply's payload (a null payload is a reply too);
    /// [`Error::Listener`] as soon as every listener the request reached
    /// has returned, one of them failed and none replied; or
    /// [`Error::Timeout`] after `timeout` (at once if the reply was taken);
    /// or the error [`MessageBus::fail_request`](crate::MessageBus::fail_request)
    /// ended it with.
    pub fn wait(&self, timeout: Duration) -> Result<Value> {
        self.check_live()?;
        match runtime::suspended(|| self.slot.wait(Some(timeout))) {
            Some(Ok(value)) => Ok(value),
            Some(Err(failure)) => Err(failure),
            None => {
                self.timed_out.store(true, Relaxed);
                Err(Error::Timeout(timeout))
            }
        }
    }

    /// The reply's payload if it has arrived.
    pub fn try_take(&self) -> Option<Value> {
        self.check_live().ok()?;
        self.slot.take()
    }

    /// Hands the reply's payload to `f` instead of keeping it for
    /// [`wait`](Self::wait): `f` runs in the thread that delivers the
    /// reply, or in this one, now, if the reply is already here (and was
    /// not taken). Dropping the handle before the reply cancels `f`. For
    /// event loops (the Python binding's `asyncio` requests).
    pub fn on_reply(&self, f: impl FnOnce(Value) + Send + 'static) -> Result<()> {
        self.check_live()?;
        let mut state = self.slot.state.lock();
        if !self.slot.full.load(Relaxed) {
            state.callback = Some(Box::new(f));
            return Ok(());
        }
        let payload = state.value.take();
        drop(state);
        if let Some(payload) = payload {
            runtime::suspended(|| f(payload));
        }
        Ok(())
    }

    /// `Err(Closed)` for a request of a bus this process inherited through
    /// `fork()`, which no reply will reach.
    pub fn check_live(&self) -> Result<()> {
        self.replies.made_in.check()
    }

    pub(crate) fn slot(&self) -> Arc<Slot> {
        self.slot.clone()
    }

    /// Counts how the request ends in `counters` (its destination's).
    pub(crate) fn count_in(&mut self, counters: Arc<Counters>) {
        self.tally = Some(counters);
    }

    /// How the request ended, as its handle goes, and the callback no
    /// reply will reach now; marks the slot abandoned, so that a reply from
    /// now on is expired.
    fn end(&self) -> (RequestOutcome, Option<ReplyCallback>) {
        let mut state = self.slot.state.lock();
        state.abandoned = true;
        let outcome = if state.replied {
            RequestOutcome::Ok
        } else if self.slot.full.load(Relaxed) {
            RequestOutcome::Failed
        } else if self.timed_out.load(Relaxed) {
            RequestOutcome::Timeout
        } else {
            RequestOutcome::Abandoned
        };
        (outcome, state.callback.take())
    }
}

impl Drop for PendingReply {
    fn drop(&mut self) {
        // A thread of the parent may have held these locks at the fork.
        if self.replies.made_in.inherited() {
            return;
        }
        self.replies.waiting.lock().remove(&self.number);
        let (outcome, callback) = self.end();
        if let Some(tally) = &self.tally {
            tally.request(outcome);
        }
        drop(callback);
        Slot::recycle(&mut self.slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_ids_are_prefix_and_number_in_hexadecimal() {
        for (prefix, number) in [(0, 0), (0xab, 1), (0xdead_beef, 0x10), (u32::MAX, u64::MAX)] {
            let expected = format!("{prefix:08x}-{number:x}");
            assert_eq!(&*response_id(prefix, number), expected);
        }
    }

    #[test]
    fn a_slot_is_reused_only_when_no_reply_holds_it() {
        let replies = Replies::new();
        let first = replies.expect();
        let held = first.slot();
        let address = Arc::as_ptr(&held);
        drop(first);
        let second = replies.expect();
        assert_ne!(Arc::as_ptr(&second.slot), address, "a reply still holds it");
        drop(held);
        let address = Arc::as_ptr(&second.slot);
        second.slot.fill(Value::Int(1)).unwrap();
        drop(second);
        let third = replies.expect();
        assert_eq!(Arc::as_ptr(&third.slot), address, "reused");
        assert!(third.try_take().is_none(), "emptied");
        assert!(replies.waiting.lock().contains_key(&third.number));
    }
}
