//! Message listeners: their ids, how one call is made (failures and panics
//! caught, logged and reported), and the per-name list of listeners that a
//! destination reads without blocking writers.

use std::any::Any;
use std::fmt;
use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Acquire, Ordering::Release};

use arc_swap::{ArcSwap, Cache, Guard};
use rpds::RedBlackTreeMapSync;

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

pub(crate) fn panic_text(panic: &(dyn Any + Send)) -> &str {
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

/// The listeners of a snapshot, on cache lines apart from the snapshot's
/// reference count: parallel senders and workers count references at
/// every message, and the workers read the list meanwhile.
pub(crate) type Listeners = Apart<Listed>;

/// The listeners in registration order, as of one version of their list.
#[derive(Default)]
pub(crate) struct Listed {
    version: u64,
    listeners: Vec<Arc<Listener>>,
}

impl Deref for Listed {
    type Target = Vec<Arc<Listener>>;

    fn deref(&self) -> &Vec<Arc<Listener>> {
        &self.listeners
    }
}

/// Listeners by id, which registration hands out in increasing order.
type ById = RedBlackTreeMapSync<ListenerId, Arc<Listener>>;

/// The listeners registered on one destination name, in registration
/// order. Exists as long as the name has listeners or a destination, so
/// listeners registered before their destination are simply waiting in it.
///
/// Writers (registration, under the bus's registry lock) change a
/// persistent tree in O(log n) and bump the version; the first reader of
/// a new version lays the tree out as the snapshot every later reader
/// takes (in O(n), as delivering a message to those n listeners costs
/// anyway). Readers never lock. So registering 100 000 listeners costs
/// O(n log n) in all, where publishing a whole new list each time cost
/// O(n²).
pub(crate) struct ListenerList {
    by_id: ArcSwap<ById>,
    /// Bumped after each change of `by_id`.
    version: AtomicU64,
    snapshot: ArcSwap<Listeners>,
    /// The number of listeners: a sender asks at every message whether
    /// there is any, and one load answers that.
    count: AtomicUsize,
}

impl Default for ListenerList {
    fn default() -> Self {
        ListenerList {
            by_id: ArcSwap::from_pointee(ById::new_sync()),
            version: AtomicU64::new(0),
            snapshot: ArcSwap::default(),
            count: AtomicUsize::new(0),
        }
    }
}

impl ListenerList {
    pub(crate) fn load(&self) -> Guard<Snapshot> {
        let snapshot = self.snapshot.load();
        if snapshot.version == self.version.load(Acquire) {
            return snapshot;
        }
        self.lay_out();
        self.snapshot.load()
    }

    pub(crate) fn load_full(&self) -> Snapshot {
        Guard::into_inner(self.load())
    }

    /// A reader's own copy of the latest snapshot, checked with one load
    /// at each look and taken anew only after a change: for a worker,
    /// which looks at every message.
    pub(crate) fn cache(&self) -> SnapshotCache<'_> {
        SnapshotCache {
            list: self,
            cache: Cache::new(&self.snapshot),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.count.load(Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends; callers serialise writers, and give increasing ids.
    pub(crate) fn push(&self, listener: Arc<Listener>) {
        let next = self.by_id.load().insert(listener.id, listener);
        self.publish(next);
    }

    /// Removes by id; callers serialise writers.
    pub(crate) fn remove(&self, id: ListenerId) -> Option<Arc<Listener>> {
        let current = self.by_id.load();
        let removed = current.get(&id)?.clone();
        self.publish(current.remove(&id));
        Some(removed)
    }

    fn publish(&self, next: ById) {
        let count = next.size();
        self.by_id.store(Arc::new(next));
        self.version.fetch_add(1, Release);
        self.count.store(count, Release);
    }

    /// Makes the snapshot of the current version, unless a reader made
    /// that one or a later one meanwhile.
    fn lay_out(&self) {
        // The tree read after the version is at least that version's.
        let version = self.version.load(Acquire);
        let listeners = self.by_id.load().values().cloned().collect();
        let fresh = Arc::new(Apart(Listed { version, listeners }));
        self.snapshot.rcu(|current| {
            if current.version >= version {
                Arc::clone(current)
            } else {
                Arc::clone(&fresh)
            }
        });
    }
}

/// See [`ListenerList::cache`].
pub(crate) struct SnapshotCache<'a> {
    list: &'a ListenerList,
    cache: Cache<&'a ArcSwap<Listeners>, Snapshot>,
}

impl SnapshotCache<'_> {
    pub(crate) fn load(&mut self) -> &Snapshot {
        if self.cache.load().version != self.list.version.load(Acquire) {
            self.list.lay_out();
        }
        self.cache.load()
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
