//! Message listeners: their ids, how one call is made (failures and panics
//! caught, logged and reported), and the per-name list of listeners that a
//! destination reads without blocking writers.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Acquire, Ordering::Release};

use arc_swap::{ArcSwap, Cache, Guard};

use crate::apart::Apart;
use crate::callback::Callback;
use crate::error::ListenerError;
use crate::message::Message;
use crate::runtime::{self, Affinity, Runtime};

/// A message listener: called with each message of its destination.
pub type ListenerFn = dyn Fn(&Message) -> Result<(), ListenerError> + Send + Sync;

/// The handle of a registered listener, unique within its bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerId(u64);

impl ListenerId {
    pub(crate) fn new(raw: u64) -> Self {
        ListenerId(raw)
    }

    /// The number behind the id, for foreign bindings.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The id with this number (see [`ListenerId::as_u64`]).
    pub fn from_u64(raw: u64) -> Self {
        ListenerId(raw)
    }
}

impl fmt::Display for ListenerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "listener#{}", self.0)
    }
}

/// What became of one call.
#[derive(Debug)]
pub(crate) enum Call {
    Delivered,
    Failed(ListenerError),
    /// The listener was unregistered before the call could start.
    Skipped,
}

pub(crate) struct Listener {
    id: ListenerId,
    callback: Callback<ListenerFn>,
    /// The lock it runs under; [`Affinity::Internal`] marks a bus's reply
    /// router (see `reply.rs`): a reply that carries its request's slot
    /// may fill the slot instead of calling it.
    affinity: Affinity,
}

impl Listener {
    /// A user's listener, of `runtime` or of none.
    pub(crate) fn new(id: ListenerId, runtime: Option<&Runtime>, f: Box<ListenerFn>) -> Self {
        Listener {
            id,
            callback: Callback::new(f),
            affinity: runtime.map_or(Affinity::Foreign, |r| Affinity::In(r.clone())),
        }
    }

    pub(crate) fn reply_router(id: ListenerId, f: Box<ListenerFn>) -> Self {
        Listener {
            id,
            callback: Callback::new(f),
            affinity: Affinity::Internal,
        }
    }

    pub(crate) fn routes_replies(&self) -> bool {
        matches!(self.affinity, Affinity::Internal)
    }

    /// Runs `f` in place of a call, under the same gate as calls (so not
    /// after the listener was unregistered): `None` if it was.
    pub(crate) fn instead<R>(&self, f: impl FnOnce() -> R) -> Option<R> {
        self.callback.invoke(|_| f())
    }

    /// Calls the listener; an `Err` or a panic is logged (unless the
    /// listener reported it itself) and returned as [`Call::Failed`].
    pub(crate) fn call(&self, destination: &str, message: &Message) -> Call {
        let outcome = self.callback.invoke(|f| {
            runtime::call(&self.affinity, || {
                catch_unwind(AssertUnwindSafe(|| f(message)))
            })
        });
        let error = match outcome {
            None => return Call::Skipped,
            Some(Ok(Ok(()))) => return Call::Delivered,
            Some(Ok(Err(error))) => error,
            Some(Err(panic)) => ListenerError::new(format!("panicked: {}", panic_text(&*panic))),
        };
        if !error.is_reported() {
            log::error!("{} on {destination} failed: {error}", self.id);
        }
        Call::Failed(error)
    }

    /// Stops further calls and releases the callable once running calls
    /// are done (see [`Callback::retire`]).
    pub(crate) fn retire(&self) -> crate::error::Result<bool> {
        self.callback.retire()
    }
}

fn panic_text(panic: &(dyn Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "non-string panic payload"
    }
}

/// A snapshot of a listener list; cheap to take, never blocks writers.
pub(crate) type Snapshot = Arc<Listeners>;

/// See [`ListenerList::cache`].
pub(crate) type SnapshotCache<'a> = Cache<&'a ArcSwap<Listeners>, Snapshot>;

/// The listeners of a snapshot, on cache lines apart from the snapshot's
/// reference count: parallel senders and workers count references at
/// every message, and the workers read the list meanwhile.
pub(crate) type Listeners = Apart<Vec<Arc<Listener>>>;

/// The listeners registered on one destination name, in registration
/// order. Exists as long as the name has listeners or a destination, so
/// listeners registered before their destination are simply waiting in it.
/// Writers (registration, under the bus's registry lock) publish a new
/// snapshot; readers never lock.
#[derive(Default)]
pub(crate) struct ListenerList {
    entries: ArcSwap<Listeners>,
    /// The latest snapshot's length: a sender asks at every message
    /// whether there is any listener, and one load answers that, where
    /// taking a snapshot costs about fifty instructions.
    count: AtomicUsize,
}

impl ListenerList {
    pub(crate) fn load(&self) -> Guard<Snapshot> {
        self.entries.load()
    }

    pub(crate) fn load_full(&self) -> Snapshot {
        self.entries.load_full()
    }

    /// A reader's own copy of the latest snapshot, checked with one load
    /// at each look and taken anew only after a change: for a worker,
    /// which looks at every message.
    pub(crate) fn cache(&self) -> SnapshotCache<'_> {
        Cache::new(&self.entries)
    }

    pub(crate) fn len(&self) -> usize {
        self.count.load(Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends; callers serialise writers.
    pub(crate) fn push(&self, listener: Arc<Listener>) {
        let mut next = Listeners::clone(&self.entries.load());
        next.0.push(listener);
        self.publish(next);
    }

    /// Removes by id; callers serialise writers.
    pub(crate) fn remove(&self, id: ListenerId) -> Option<Arc<Listener>> {
        let current = self.entries.load();
        let index = current.iter().position(|l| l.id == id)?;
        let mut next = Listeners::clone(&current);
        let removed = next.0.remove(index);
        self.publish(next);
        Some(removed)
    }

    fn publish(&self, next: Listeners) {
        let count = next.len();
        self.entries.store(Arc::new(next));
        self.count.store(count, Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener(
        id: u64,
        f: impl Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static,
    ) -> Arc<Listener> {
        Arc::new(Listener::new(ListenerId::new(id), None, Box::new(f)))
    }

    #[test]
    fn errors_and_panics_are_failures() {
        let m = Message::new();
        assert!(matches!(
            listener(1, |_| Ok(())).call("d", &m),
            Call::Delivered
        ));
        match listener(2, |_| Err("bad".into())).call("d", &m) {
            Call::Failed(e) => assert_eq!(e.message(), "bad"),
            other => panic!("{other:?}"),
        }
        match listener(3, |_| panic!("boom {}", 1)).call("d", &m) {
            Call::Failed(e) => assert_eq!(e.message(), "panicked: boom 1"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retired_listener_is_skipped() {
        let l = listener(1, |_| Ok(()));
        l.retire().unwrap();
        assert!(matches!(l.call("d", &Message::new()), Call::Skipped));
    }

    #[test]
    fn list_keeps_registration_order_and_old_snapshots() {
        let list = ListenerList::default();
        for id in 1..=3 {
            list.push(listener(id, |_| Ok(())));
        }
        let before = list.load_full();
        assert!(list.remove(ListenerId::new(2)).is_some());
        assert!(list.remove(ListenerId::new(2)).is_none());
        let ids = |s: &Snapshot| s.iter().map(|l| l.id.as_u64()).collect::<Vec<_>>();
        assert_eq!(ids(&before), vec![1, 2, 3]);
        assert_eq!(ids(&list.load_full()), vec![1, 3]);
        assert_eq!(list.len(), 2);
    }
}
