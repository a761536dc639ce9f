//! The message bus: the registry of destinations and listeners, the three
//! ways of sending, events, statistics and shutdown.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use parking_lot::Mutex;
use rpds::HashTrieMapSync;

use crate::config::{DestinationConfig, DestinationType};
use crate::destination::{Destination, Refused, current_worker_bus};
use crate::error::{Error, ListenerError, Result, check_name};
use crate::events::{BusEvent, EventHub, EventListenerId};
use crate::fork::Generation;
use crate::listener::{Listener, ListenerFn, ListenerId, ListenerList};
use crate::message::Message;
use crate::name_hash::NameHasher;
use crate::reply::{PendingReply, Replies};
use crate::runtime::Runtime;
use crate::statistics::{Counters, DestinationStatistics};
use crate::text::Text;
use crate::value::Value;

/// The built-in synchronous destination that receives replies to
/// default-synchronous sends whose message names no (existing) response
/// destination.
pub const DEFAULT_RESPONSE_DESTINATION: &str = "msgbus/default_response";

/// The default timeout of [`MessageBus::send_synchronous`] (Liferay's).
pub const DEFAULT_SYNCHRONOUS_TIMEOUT: Duration = Duration::from_secs(10);

/// An in-process message bus.
///
/// A `MessageBus` is a handle: clones share one bus, and every method may
/// be called from any thread. When the last handle is dropped the bus shuts
/// down gracefully (see [`MessageBus::shutdown`]). A listener that needs
/// the bus should capture a [`WeakMessageBus`] (from
/// [`MessageBus::downgrade`]): a strong handle inside a listener keeps the
/// bus alive until it is shut down explicitly.
#[derive(Clone)]
pub struct MessageBus {
    inner: Arc<Inner>,
}

/// A handle that does not keep the bus alive; see [`MessageBus::downgrade`].
#[derive(Clone)]
pub struct WeakMessageBus(Weak<Inner>);

impl WeakMessageBus {
    pub fn upgrade(&self) -> Option<MessageBus> {
        self.0.upgrade().map(|inner| MessageBus { inner })
    }
}

/// Persistent: a change makes a new map in O(log n), sharing the rest with
/// the old one, which the sends reading it keep meanwhile.
type DestinationMap = HashTrieMapSync<Text, Arc<Destination>, BuildHasherDefault<NameHasher>>;

struct Inner {
    id: u64,
    /// Read on every send without locking; replaced whole under `registry`.
    destinations: ArcSwap<DestinationMap>,
    registry: Mutex<Registry>,
    events: EventHub,
    replies: Arc<Replies>,
    /// [`DEFAULT_RESPONSE_DESTINATION`], made once: every request names it.
    default_response: Text,
    shut_down: AtomicBool,
    next_id: AtomicU64,
    made_in: Generation,
}

#[derive(Default)]
struct Registry {
    /// Listeners by destination name, whether or not the destination exists.
    lists: HashMap<Text, Arc<ListenerList>>,
    listener_names: HashMap<ListenerId, Text>,
    /// Message counters by destination name, kept for the bus's life.
    counters: HashMap<Text, Arc<Counters>>,
    /// Removed or replaced destinations whose workers may still be draining.
    retired: Vec<Arc<Destination>>,
    /// The length of `retired` at which the stopped ones are dropped from
    /// it: twice what was left the last time, so that costs O(1) per
    /// retirement.
    prune_at: usize,
    /// Response destinations that carry the reply router.
    routed: HashSet<Text>,
}

impl Registry {
    fn list(&mut self, name: &Text) -> Arc<ListenerList> {
        self.lists.entry(name.clone()).or_default().clone()
    }

    fn counters(&mut self, name: &Text) -> Arc<Counters> {
        self.counters.entry(name.clone()).or_default().clone()
    }

    fn retire(&mut self, destination: Arc<Destination>) {
        destination.close(false);
        self.retired.push(destination);
        if self.retired.len() >= self.prune_at {
            self.retired.retain(|d| !d.is_stopped());
            self.prune_at = (2 * self.retired.len()).max(16);
        }
    }
}

static NEXT_BUS_ID: AtomicU64 = AtomicU64::new(1);

impl Default for MessageBus {
    fn default() -> Self {
        MessageBus::new()
    }
}

impl MessageBus {
    /// A new bus with its built-in `msgbus/default_response` destination.
    pub fn new() -> Self {
        let bus = MessageBus {
            inner: Arc::new(Inner {
                id: NEXT_BUS_ID.fetch_add(1, Relaxed),
                destinations: ArcSwap::from_pointee(DestinationMap::new_with_hasher_and_ptr_kind(
                    Default::default(),
                )),
                registry: Mutex::default(),
                events: EventHub::default(),
                replies: Replies::new(),
                default_response: DEFAULT_RESPONSE_DESTINATION.into(),
                shut_down: AtomicBool::new(false),
                next_id: AtomicU64::new(1),
                made_in: Generation::current(),
            }),
        };
        bus.add_destination(DEFAULT_RESPONSE_DESTINATION, DestinationType::Synchronous)
            .expect("a new bus has no destination yet");
        bus.route_replies(&bus.inner.default_response);
        bus
    }

    pub fn downgrade(&self) -> WeakMessageBus {
        WeakMessageBus(Arc::downgrade(&self.inner))
    }

    /// Adds a destination with Liferay's default configuration for `kind`.
    pub fn add_destination(&self, name: &str, kind: DestinationType) -> Result<()> {
        self.add_destination_with_config(name, DestinationConfig::new(kind))
    }

    /// Adds a destination. Listeners already registered on `name` become
    /// its listeners. Fails with [`Error::DestinationExists`] if the name
    /// is taken, and with [`Error::Closed`] for a queued destination after
    /// shutdown.
    pub fn add_destination_with_config(&self, name: &str, config: DestinationConfig) -> Result<()> {
        self.install(name, config, false)
    }

    /// Adds a destination, or replaces the one with this name. The old
    /// destination's listeners and message counters stay (they belong to
    /// the name); its queued messages are still delivered, before any
    /// message of the new one.
    pub fn replace_destination(&self, name: &str, config: DestinationConfig) -> Result<()> {
        self.install(name, config, true)
    }

    fn install(&self, name: &str, config: DestinationConfig, replace: bool) -> Result<()> {
        self.check_live()?;
        check_name(name)?;
        config.validate()?;
        let inner = &self.inner;
        let replaced = {
            let mut registry = inner.registry.lock();
            let current = inner.destinations.load();
            let old = current.get(name).cloned();
            // Replacing the reply destination would strand waiting senders.
            if old.is_some() && (!replace || name == DEFAULT_RESPONSE_DESTINATION) {
                return Err(Error::DestinationExists(name.into()));
            }
            if config.destination_type != DestinationType::Synchronous
                && inner.shut_down.load(SeqCst)
            {
                return Err(Error::Closed(format!(
                    "bus is shut down; cannot add {name}"
                )));
            }
            let name: Text = name.into();
            let destination = Arc::new(Destination::new(
                name.clone(),
                config,
                inner.id,
                registry.list(&name),
                registry.counters(&name),
                old.clone(),
            ));
            inner
                .destinations
                .store(Arc::new(current.insert(name, destination)));
            if let Some(old) = &old {
                registry.retire(old.clone());
            }
            old.is_some()
        };
        if replaced {
            inner.events.emit(BusEvent::DestinationRemoved {
                destination: name.into(),
            });
        }
        inner.events.emit(BusEvent::DestinationAdded {
            destination: name.into(),
        });
        Ok(())
    }

    /// Removes a destination. Its queued messages are still delivered (in
    /// the background; [`MessageBus::shutdown`] waits for them); its
    /// listeners stay registered on the name, inactive until a destination
    /// of that name is added again.
    pub fn remove_destination(&self, name: &str) -> Result<()> {
        self.check_live()?;
        if name == DEFAULT_RESPONSE_DESTINATION {
            return Err(Error::InvalidArgument(format!(
                "{DEFAULT_RESPONSE_DESTINATION} is built in and cannot be removed"
            )));
        }
        let inner = &self.inner;
        {
            let mut registry = inner.registry.lock();
            let current = inner.destinations.load();
            let old = current
                .get(name)
                .cloned()
                .ok_or_else(|| Error::NoSuchDestination(name.into()))?;
            inner.destinations.store(Arc::new(current.remove(name)));
            if old.listeners().is_empty() {
                registry.lists.remove(name);
            }
            registry.retire(old);
        }
        inner.events.emit(BusEvent::DestinationRemoved {
            destination: name.into(),
        });
        Ok(())
    }

    pub fn has_destination(&self, name: &str) -> bool {
        self.check_live().is_ok() && self.inner.destinations.load().contains_key(name)
    }

    /// The names of the destinations, sorted.
    pub fn destination_names(&self) -> Vec<String> {
        if self.check_live().is_err() {
            return Vec::new();
        }
        let mut names: Vec<String> = self
            .inner
            .destinations
            .load()
            .keys()
            .map(|n| n.to_string())
            .collect();
        names.sort();
        names
    }

    /// Registers `listener` on the destination `name`, after the listeners
    /// already there. The destination need not exist yet: the listener
    /// becomes active when it is added. After a shutdown, registering on a
    /// serial or parallel destination, whose workers are stopped, is
    /// refused as [`Error::Closed`]; synchronous destinations keep working.
    pub fn register_listener<F>(&self, name: &str, listener: F) -> Result<ListenerId>
    where
        F: Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static,
    {
        self.register_boxed(name, None, Box::new(listener))
    }

    /// [`MessageBus::register_listener`] for a listener that belongs to a
    /// language runtime: the bus holds `runtime`'s lock while it calls the
    /// listener, and only then (see [`Runtime`]).
    pub fn register_listener_in<F>(
        &self,
        name: &str,
        runtime: &Runtime,
        listener: F,
    ) -> Result<ListenerId>
    where
        F: Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static,
    {
        self.register_boxed(name, Some(runtime), Box::new(listener))
    }

    /// Registers a listener already boxed (as foreign bindings hold them),
    /// of `runtime` or of none.
    pub fn register_boxed(
        &self,
        name: &str,
        runtime: Option<&Runtime>,
        listener: Box<ListenerFn>,
    ) -> Result<ListenerId> {
        self.check_live()?;
        check_name(name)?;
        let stopped = |d: &Arc<Destination>| d.is_queued();
        if self.inner.shut_down.load(SeqCst)
            && self
                .inner
                .destinations
                .load()
                .get(name)
                .is_some_and(stopped)
        {
            return Err(Error::Closed(format!(
                "bus is shut down; {name} delivers no more messages"
            )));
        }
        let name: Text = name.into();
        let id = {
            let mut registry = self.inner.registry.lock();
            self.register_locked(&mut registry, &name, |id| {
                Listener::new(id, runtime, listener)
            })
        };
        if !self.has_destination(&name) {
            log::debug!("{id} waits until destination {name} is added");
        }
        self.inner.events.emit(BusEvent::ListenerRegistered {
            destination: name.to_string(),
            listener: id,
        });
        Ok(id)
    }

    fn register_locked(
        &self,
        registry: &mut Registry,
        name: &Text,
        listener: impl FnOnce(ListenerId) -> Listener,
    ) -> ListenerId {
        let id = ListenerId::new(self.inner.next_id.fetch_add(1, Relaxed));
        registry.list(name).push(Arc::new(listener(id)));
        registry.listener_names.insert(id, name.clone());
        id
    }

    /// Unregisters a listener. Unless called from inside that listener,
    /// waits for its running calls to finish, and then drops it (and with
    /// it whatever it captured) before returning; from inside, the listener
    /// is dropped when its current call returns.
    pub fn unregister_listener(&self, id: ListenerId) -> Result<()> {
        self.check_live()?;
        let (name, listener) = {
            let mut registry = self.inner.registry.lock();
            let name = registry
                .listener_names
                .remove(&id)
                .ok_or(Error::NoSuchListener)?;
            let list = registry.lists[&name].clone();
            let listener = list.remove(id).expect("the registry and the list agree");
            if list.is_empty() && !self.has_destination(&name) {
                registry.lists.remove(&name);
            }
            (name, listener)
        };
        let retired = listener.retire();
        self.inner.events.emit(BusEvent::ListenerUnregistered {
            destination: name.to_string(),
            listener: id,
        });
        retired.map(drop)
    }

    /// Whether the destination exists and has at least one listener.
    pub fn has_listener(&self, name: &str) -> bool {
        self.check_live().is_ok()
            && self
                .inner
                .destinations
                .load()
                .get(name)
                .is_some_and(|d| !d.listeners().is_empty())
    }

    /// Asynchronous send: returns once the message is queued (serial and
    /// parallel destinations) or delivered (synchronous ones). A message to
    /// a destination without listeners is dropped and counted.
    pub fn send(&self, destination: &str, message: impl Into<Message>) -> Result<()> {
        self.check_live()?;
        self.send_to(destination, message.into())
    }

    /// Sends to the destination holding `name`. One that closed as the
    /// message came (replaced, or removed) gives it back, and the message
    /// goes to the destination that holds the name now, or meets
    /// `NoSuchDestination`: only a bus that is shut down refuses it as
    /// closed. Its callers have checked that the bus was not inherited
    /// through `fork()`.
    fn send_to(&self, name: &str, mut message: Message) -> Result<()> {
        loop {
            let destinations = self.inner.destinations.load();
            match lookup(&destinations, name)?.send(message) {
                Ok(()) => return Ok(()),
                Err(Refused::Full) => return Err(Error::QueueFull(name.into())),
                Err(Refused::Interrupted) => return Err(Error::Interrupted),
                Err(Refused::Closed(_)) if self.inner.shut_down.load(SeqCst) => {
                    return Err(Error::Closed(name.into()));
                }
                Err(Refused::Closed(back)) => message = *back,
            }
        }
    }

    /// Default synchronous send: sends `message` with a fresh response id
    /// and waits up to `timeout` for the first reply carrying it; returns
    /// the reply's payload.
    pub fn send_synchronous(
        &self,
        destination: &str,
        message: impl Into<Message>,
        timeout: Duration,
    ) -> Result<Value> {
        self.request(destination, message)?.wait(timeout)
    }

    /// Sends like [`MessageBus::send_synchronous`] but returns at once with
    /// a handle to wait for the reply with.
    ///
    /// The message's response destination becomes
    /// [`DEFAULT_RESPONSE_DESTINATION`] unless it names an existing one.
    pub fn request(&self, destination: &str, message: impl Into<Message>) -> Result<PendingReply> {
        self.check_live()?;
        let mut message = message.into();
        let destinations = self.inner.destinations.load();
        let target = lookup(&destinations, destination)?;
        if target.listeners().is_empty() {
            return Err(Error::NoListeners(destination.into()));
        }
        let response_destination = match message
            .response_destination_name()
            .and_then(|name| destinations.get(name))
        {
            Some(named) => {
                self.route_replies(named.name());
                named.name().clone()
            }
            None => self.inner.default_response.clone(),
        };
        let pending = self.inner.replies.expect();
        message.set_request(response_destination, pending.shared_id(), pending.slot());
        self.send_to(destination, message)?;
        Ok(pending)
    }

    /// Puts the reply router on `name` once.
    fn route_replies(&self, name: &Text) {
        let id = {
            let mut registry = self.inner.registry.lock();
            if !registry.routed.insert(name.clone()) {
                return;
            }
            let router = Box::new(self.inner.replies.router());
            self.register_locked(&mut registry, name, |id| Listener::reply_router(id, router))
        };
        self.inner.events.emit(BusEvent::ListenerRegistered {
            destination: name.to_string(),
            listener: id,
        });
    }

    /// Direct synchronous send: calls the destination's listeners in this
    /// thread, bypassing its queue, and returns the `response` the last of
    /// them set (null if none did). A failing listener stops the call and
    /// its error is returned.
    pub fn send_direct(&self, destination: &str, message: impl Into<Message>) -> Result<Value> {
        self.check_live()?;
        let destinations = self.inner.destinations.load();
        lookup(&destinations, destination)?.send_direct(message.into())
    }

    /// Replies to a default-synchronous request: sends `payload` to the
    /// request's response destination with its response id.
    ///
    /// When that destination is synchronous and its only listener is the
    /// reply router, the reply goes straight into the waiting sender's
    /// slot, counted in the destination's statistics as delivered, without
    /// a reply message: the router would do nothing else with it.
    pub fn reply(&self, request: &Message, payload: impl Into<Value>) -> Result<()> {
        self.check_live()?;
        let to = request.response_destination_name().ok_or_else(|| {
            Error::InvalidArgument("the request has no response destination".into())
        })?;
        let destinations = self.inner.destinations.load();
        let destination = lookup(&destinations, to)?;
        match destination.route_reply(request, payload.into()) {
            Ok(()) => Ok(()),
            Err(payload) => self.send_to(to, Message::response_to(request, payload)),
        }
    }

    /// Registers an event listener for every event of the bus
    /// (`destination: None`) or for the events of one destination name.
    /// Events are delivered in the thread that caused them, with no lock
    /// held, so the listener may call back into the bus.
    pub fn add_event_listener<F>(
        &self,
        destination: Option<&str>,
        listener: F,
    ) -> Result<EventListenerId>
    where
        F: Fn(&BusEvent) + Send + Sync + 'static,
    {
        self.check_live()?;
        if let Some(name) = destination {
            check_name(name)?;
        }
        let id = self.inner.next_id.fetch_add(1, Relaxed);
        Ok(self.inner.events.add(id, destination, Box::new(listener)))
    }

    /// Removes an event listener; waits for its running calls like
    /// [`MessageBus::unregister_listener`].
    pub fn remove_event_listener(&self, id: EventListenerId) -> Result<()> {
        self.check_live()?;
        self.inner.events.remove(id)
    }

    /// The statistics of the destination `name`. Its message counters
    /// belong to the name and last as long as the bus: they go on from
    /// those of the destinations that held the name before (replaced, or
    /// removed and added again), including the messages those still
    /// drain; thread and queue figures are the current destination's.
    pub fn destination_statistics(&self, name: &str) -> Result<DestinationStatistics> {
        self.check_live()?;
        let destinations = self.inner.destinations.load();
        Ok(lookup(&destinations, name)?.statistics())
    }

    /// Shuts the bus down: serial and parallel destinations stop accepting
    /// messages ([`Error::Closed`]); synchronous ones keep working.
    ///
    /// Graceful (`force == false`): every queued message is delivered
    /// before the workers stop. Forced: queued messages are counted as
    /// discarded and only running listener calls are waited for. Waits up
    /// to `timeout` (`None`: as long as it takes) for the workers to exit
    /// and returns [`Error::Timeout`] if they have not; they go on draining.
    /// Called from a listener of this bus, it starts the shutdown without
    /// waiting. Calling it again is harmless (and may force a graceful one).
    pub fn shutdown(&self, force: bool, timeout: Option<Duration>) -> Result<()> {
        self.check_live()?;
        self.inner.shutdown(force, timeout)
    }

    /// `Err(Closed)` for a bus this process inherited through `fork()`:
    /// its workers stayed in the parent. Every call checks this first.
    pub fn check_live(&self) -> Result<()> {
        self.inner.made_in.check()
    }
}

fn lookup<'a>(destinations: &'a DestinationMap, name: &str) -> Result<&'a Arc<Destination>> {
    destinations
        .get(name)
        .ok_or_else(|| Error::NoSuchDestination(name.into()))
}

impl Inner {
    fn shutdown(&self, force: bool, timeout: Option<Duration>) -> Result<()> {
        let deadline = timeout.map(|t| Instant::now() + t);
        self.shut_down.store(true, SeqCst);
        let destinations: Vec<Arc<Destination>> = {
            let registry = self.registry.lock();
            let live = self.destinations.load();
            live.values()
                .chain(registry.retired.iter())
                .cloned()
                .collect()
        };
        for destination in &destinations {
            destination.close(force);
        }
        if current_worker_bus() == Some(self.id) {
            return Ok(());
        }
        let mut stopped = true;
        for destination in &destinations {
            stopped &= destination.wait_stopped(deadline);
        }
        match (stopped, timeout) {
            (false, Some(timeout)) => Err(Error::Timeout(timeout)),
            _ => Ok(()),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // An inherited bus has no workers to wait for.
        if !self.made_in.inherited() {
            let _ = self.shutdown(false, None);
        }
    }
}
