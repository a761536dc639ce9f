//! Default synchronous messaging: response ids, the senders waiting for a
//! reply, and the router that hands each reply to its sender.
//!
//! Waiting senders sit in a map from response id to a one-shot channel, so
//! a reply costs one map lookup and wakes exactly its own sender (Liferay
//! instead registers one listener per waiting sender, and every reply
//! visits all of them).

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;

use crate::error::{Error, ListenerError, Result};
use crate::message::Message;
use crate::text::Text;
use crate::value::Value;

/// Where a reply goes: to a sender that waits on the channel, or to a
/// callback (see [`PendingReply::on_reply`]).
enum Waiter {
    Channel(Sender<Value>),
    Callback(Box<dyn FnOnce(Value) + Send>),
}

pub(crate) struct Replies {
    waiting: Mutex<HashMap<Text, Waiter>>,
    /// Random per bus, so ids do not repeat across buses or processes.
    prefix: u64,
    next: AtomicU64,
}

impl Replies {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Replies {
            waiting: Mutex::default(),
            prefix: RandomState::new().hash_one(0u8),
            next: AtomicU64::new(1),
        })
    }

    /// A fresh response id and the handle that waits for its reply.
    pub(crate) fn expect(self: &Arc<Self>) -> PendingReply {
        let id: Text = format!("{:016x}-{:x}", self.prefix, self.next.fetch_add(1, Relaxed)).into();
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.waiting.lock().insert(id.clone(), Waiter::Channel(tx));
        PendingReply {
            id,
            rx,
            replies: self.clone(),
        }
    }

    /// The listener that completes waiting senders: registered on
    /// `msgbus/default_response` and on any response destination a
    /// synchronous send names. Replies nobody waits for are ignored.
    pub(crate) fn router(
        self: &Arc<Self>,
    ) -> impl Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static {
        let replies = self.clone();
        move |reply| {
            let waiter = reply
                .response_id()
                .and_then(|id| replies.waiting.lock().remove(id));
            match waiter {
                // Capacity 1 and removed from the map: this send cannot block.
                Some(Waiter::Channel(tx)) => {
                    let _ = tx.try_send(reply.payload().clone());
                }
                Some(Waiter::Callback(f)) => f(reply.payload().clone()),
                None => {}
            }
            Ok(())
        }
    }
}

/// A default-synchronous request in flight: waits for the first reply with
/// its response id. Dropping it stops waiting.
pub struct PendingReply {
    id: Text,
    rx: Receiver<Value>,
    replies: Arc<Replies>,
}

impl PendingReply {
    pub fn response_id(&self) -> &str {
        &self.id
    }

    pub(crate) fn shared_id(&self) -> Text {
        self.id.clone()
    }

    /// The reply's payload (a null payload is a reply too), or
    /// [`Error::Timeout`] after `timeout`.
    pub fn wait(&self, timeout: Duration) -> Result<Value> {
        self.rx
            .recv_timeout(timeout)
            .map_err(|_| Error::Timeout(timeout))
    }

    /// The reply's payload if it has arrived.
    pub fn try_take(&self) -> Option<Value> {
        self.rx.try_recv().ok()
    }

    /// Hands the reply's payload to `f` instead of keeping it for
    /// [`wait`](Self::wait): `f` runs in the thread that delivers the
    /// reply, or in this one, now, if the reply is already here (and was
    /// not taken). Dropping the handle before the reply cancels `f`. For
    /// event loops (the Python binding's `asyncio` requests).
    pub fn on_reply(&self, f: impl FnOnce(Value) + Send + 'static) {
        {
            let mut waiting = self.replies.waiting.lock();
            if let Some(waiter) = waiting.get_mut(&self.id) {
                *waiter = Waiter::Callback(Box::new(f));
                return;
            }
        }
        // The router took the channel out of the map: its payload is in
        // the channel or about to be, unless it was taken already.
        if let Ok(payload) = self.rx.recv() {
            f(payload);
        }
    }
}

impl Drop for PendingReply {
    fn drop(&mut self) {
        self.replies.waiting.lock().remove(&self.id);
    }
}
