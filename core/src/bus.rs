//! The message bus: the registry of destinations and listeners, the three
//! ways of sending, events, statistics and shutdown.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::config::{DestinationConfig, DestinationType};
use crate::destination::{Destination, current_worker_bus};
use crate::error::{Error, ListenerError, Result, check_name};
use crate::events::{BusEvent, EventHub, EventListenerId};
use crate::fork::Generation;
use crate::interceptors::{InterceptorFn, InterceptorId};
use crate::listener::{Listener, ListenerFn, ListenerId, ListenerList};
use crate::message::Message;
use crate::metrics::{BusMetrics, Metrics};
use crate::reply::{PendingReply, Replies};
use crate::routes::{DestinationMap, Routes};
use crate::runtime::Runtime;
use crate::schedule::{ScheduleId, Scheduler};
use crate::statistics::{Counters, DestinationStatistics, RequestOutcome};
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

    /// Whether the bus's last handle was dropped (one atomic load).
    pub(crate) fn is_dropped(&self) -> bool {
        self.0.strong_count() == 0
    }
}

struct Inner {
    id: u64,
    /// The destinations, interceptors and dead letters every send passes.
    routes: Arc<Routes>,
    registry: Mutex<Registry>,
    events: EventHub,
    replies: Arc<Replies>,
    /// [`DEFAULT_RESPONSE_DESTINATION`], made once: every request names it.
    default_response: Text,
    next_id: AtomicU64,
    made_in: Generation,
    /// Delayed and periodic sends; its thread starts with the first.
    scheduler: Scheduler,
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
        destination.retire();
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
        let id = NEXT_BUS_ID.fetch_add(1, Relaxed);
        let routes = Arc::new(Routes::new());
        let scheduled = Arc::downgrade(&routes);
        let fire = move |name: &Text, message: Message| {
            let Some(routes) = scheduled.upgrade() else {
                return;
            };
            if let Err(e) = routes.send(name, message) {
                log::warn!("a scheduled send to {name} failed: {e}");
            }
        };
        let bus = MessageBus {
            inner: Arc::new(Inner {
                id,
                routes,
                registry: Mutex::default(),
                events: EventHub::default(),
                replies: Replies::new(),
                default_response: DEFAULT_RESPONSE_DESTINATION.into(),
                next_id: AtomicU64::new(1),
                made_in: Generation::current(),
                scheduler: Scheduler::new(format!("msgbus-timer-{id}"), Box::new(fire)),
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
            let current = inner.routes.destinations.load();
            let old = current.get(name).cloned();
            // Replacing the reply destination would strand waiting senders.
            if old.is_some() && (!replace || name == DEFAULT_RESPONSE_DESTINATION) {
                return Err(Error::DestinationExists(name.into()));
            }
            if config.destination_type != DestinationType::Synchronous
                && inner.routes.shut_down.load(SeqCst)
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
                &inner.routes,
            ));
            inner
                .routes
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
            let current = inner.routes.destinations.load();
            let old = current
                .get(name)
                .cloned()
                .ok_or_else(|| Error::NoSuchDestination(name.into()))?;
            inner
                .routes
                .destinations
                .store(Arc::new(current.remove(name)));
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
        self.check_live().is_ok() && self.inner.routes.destinations.load().contains_key(name)
    }

    /// The names of the destinations, sorted.
    pub fn destination_names(&self) -> Vec<String> {
        if self.check_live().is_err() {
            return Vec::new();
        }
        let mut names: Vec<String> = self
            .inner
            .routes
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
        if self.inner.routes.shut_down.load(SeqCst)
            && self
                .inner
                .routes
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
                .routes
                .destinations
                .load()
                .get(name)
                .is_some_and(|d| !d.listeners().is_empty())
    }

    /// Asynchronous send: returns once the message is queued (serial and
    /// parallel destinations) or delivered (synchronous ones). A message to
    /// a destination without listeners is dropped and counted.
    ///
    /// The message passes the interceptors first; one that consumes it
    /// makes this return `Ok`. A message the bus does not deliver (no such
    /// destination, no listener, rejected, failed, discarded) goes to the
    /// dead-letter destination, if one is set.
    pub fn send(&self, destination: &str, message: impl Into<Message>) -> Result<()> {
        self.check_live()?;
        self.inner.routes.send(destination, message.into())
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
    ///
    /// Interceptors see the message with its response id set: one that
    /// consumes it may answer it with [`MessageBus::reply`].
    pub fn request(&self, destination: &str, message: impl Into<Message>) -> Result<PendingReply> {
        self.check_live()?;
        let mut message = message.into();
        let routes = &self.inner.routes;
        let destinations = routes.destinations.load();
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
        let mut pending = self.inner.replies.expect();
        message.set_request(response_destination, pending.shared_id(), pending.slot());
        if routes.interceptors.consume(destination, &mut message)? {
            return Ok(pending);
        }
        let target = routes.target(&destinations, destination, &message)?;
        if target.listeners().is_empty() {
            target.counters().request(RequestOutcome::NoListeners);
            return Err(Error::NoListeners(destination.into()));
        }
        pending.count_in(target.counters().clone());
        routes.send_to(destination, message)?;
        Ok(pending)
    }

    /// Puts the reply router on `name` once.
    fn route_replies(&self, name: &Text) {
        let id = {
            let mut registry = self.inner.registry.lock();
            if !registry.routed.insert(name.clone()) {
                return;
            }
            let routes = Arc::downgrade(&self.inner.routes);
            let at = name.clone();
            let expired = move |reply: &Message| {
                let Some(routes) = routes.upgrade() else {
                    return;
                };
                if let Some(destination) = routes.destinations.load().get(&at) {
                    destination.expired(reply);
                }
            };
            let router = Box::new(self.inner.replies.router(expired));
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
    ///
    /// An interceptor that consumes the message makes this return the
    /// response it set, if any.
    pub fn send_direct(&self, destination: &str, message: impl Into<Message>) -> Result<Value> {
        self.check_live()?;
        let routes = &self.inner.routes;
        let mut message = message.into();
        if routes.interceptors.consume(destination, &mut message)? {
            return Ok(message.response());
        }
        let destinations = routes.destinations.load();
        routes
            .target(&destinations, destination, &message)?
            .send_direct(message)
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
        let routes = &self.inner.routes;
        let payload = payload.into();
        if routes.interceptors.any() {
            return routes.send(to, Message::response_to(request, payload));
        }
        let destinations = routes.destinations.load();
        let payload = match destinations.get(to) {
            Some(destination) => match destination.route_reply(request, payload) {
                Ok(()) => return Ok(()),
                Err(payload) => payload,
            },
            None => payload,
        };
        routes.send_to(to, Message::response_to(request, payload))
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
        let destinations = self.inner.routes.destinations.load();
        Ok(lookup(&destinations, name)?.statistics())
    }

    /// Names the bus's dead-letter destination (`None`: none, the
    /// default): every message the bus does not deliver goes there once,
    /// unless its destination names its own
    /// ([`DestinationConfig::dead_letter_destination`]). The destination
    /// need not exist yet; a dead letter it cannot take is logged and
    /// counted in the metrics.
    pub fn set_dead_letter_destination(&self, name: Option<&str>) -> Result<()> {
        self.check_live()?;
        if let Some(name) = name {
            check_name(name)?;
        }
        self.inner.routes.dead_letters.set_target(name);
        Ok(())
    }

    /// The bus's dead-letter destination, if one is set.
    pub fn dead_letter_destination(&self) -> Option<String> {
        let target = self.inner.routes.dead_letters.target()?;
        Some(target.to_string())
    }

    /// Adds an interceptor, after those already there: every send (of any
    /// kind, scheduled ones and replies included; dead letters excepted)
    /// passes it before the destination lookup. It may change the message,
    /// or consume it by returning `Ok(true)` (counted in the metrics).
    pub fn add_interceptor<F>(&self, interceptor: F) -> Result<InterceptorId>
    where
        F: Fn(&str, &mut Message) -> Result<bool, ListenerError> + Send + Sync + 'static,
    {
        self.add_interceptor_boxed(None, Box::new(interceptor))
    }

    /// [`MessageBus::add_interceptor`] for an interceptor already boxed,
    /// of `runtime` (which the bus holds while it calls it) or of none.
    pub fn add_interceptor_boxed(
        &self,
        runtime: Option<&Runtime>,
        interceptor: Box<InterceptorFn>,
    ) -> Result<InterceptorId> {
        self.check_live()?;
        let id = self.inner.next_id.fetch_add(1, Relaxed);
        Ok(self.inner.routes.interceptors.add(id, runtime, interceptor))
    }

    /// Adds a forwarder (see [`ForwarderFn`]): an interceptor, after those
    /// already there, that may refuse a send with the error its sender
    /// gets. A bridge to other buses is one. It is removed with
    /// [`MessageBus::remove_interceptor`].
    pub fn add_forwarder<F>(&self, forwarder: F) -> Result<InterceptorId>
    where
        F: Fn(&str, &mut Message) -> Result<bool> + Send + Sync + 'static,
    {
        self.check_live()?;
        let id = self.inner.next_id.fetch_add(1, Relaxed);
        Ok(self
            .inner
            .routes
            .interceptors
            .add_forwarder(id, Box::new(forwarder)))
    }

    /// Ends a default-synchronous request that no reply will answer: its
    /// waiting sender gets `error` now (a bridge that found no listener on
    /// any node gives [`Error::NoListeners`]). Whether it was still open.
    pub fn fail_request(&self, request: &Message, error: Error) -> bool {
        request.reply_slot().is_some_and(|slot| slot.fail(error))
    }

    /// Removes an interceptor; waits for its running calls like
    /// [`MessageBus::unregister_listener`].
    pub fn remove_interceptor(&self, id: InterceptorId) -> Result<()> {
        self.check_live()?;
        self.inner.routes.interceptors.remove(id)
    }

    /// Sends `message` to `destination` after `delay`, and then every
    /// `every` if given (at a fixed rate), from the bus's timer thread, as
    /// [`MessageBus::send`] would: through the interceptors, and what is
    /// not delivered is dead-lettered as any send's; a failed send is
    /// logged. The destination must exist now. A shutdown cancels what has
    /// not fired.
    pub fn schedule(
        &self,
        destination: &str,
        message: impl Into<Message>,
        delay: Duration,
        every: Option<Duration>,
    ) -> Result<ScheduleId> {
        self.check_live()?;
        check_name(destination)?;
        if !self
            .inner
            .routes
            .destinations
            .load()
            .contains_key(destination)
        {
            return Err(Error::NoSuchDestination(destination.into()));
        }
        let id = self.inner.next_id.fetch_add(1, Relaxed);
        self.inner
            .scheduler
            .schedule(id, destination.into(), message.into(), delay, every)
    }

    /// Cancels a schedule: whether it was pending. No firing begins after
    /// this returns (one already running completes).
    pub fn cancel_schedule(&self, id: ScheduleId) -> Result<bool> {
        self.check_live()?;
        Ok(self.inner.scheduler.cancel(id))
    }

    /// The metrics of every destination and of the bus.
    pub fn metrics(&self) -> Result<Metrics> {
        self.check_live()?;
        let routes = &self.inner.routes;
        let mut destinations: Vec<_> = routes
            .destinations
            .load()
            .values()
            .map(|d| d.metrics())
            .collect();
        destinations.sort_by(|a, b| a.name.cmp(&b.name));
        let (intercepted_count, interceptor_failed_count) = routes.interceptors.counts();
        let counts = &routes.dead_letters;
        let bus = BusMetrics {
            unknown_destination_count: counts.unknown.load(Relaxed),
            unknown_destination_dead_lettered_count: counts.unknown_dead_lettered.load(Relaxed),
            dead_letters_refused_count: counts.refused.load(Relaxed),
            interceptor_count: routes.interceptors.len(),
            intercepted_count,
            interceptor_failed_count,
            schedules: self.inner.scheduler.statistics(),
        };
        Ok(Metrics { destinations, bus })
    }

    /// [`MessageBus::metrics`] in the Prometheus text exposition format.
    pub fn metrics_text(&self) -> Result<String> {
        Ok(self.metrics()?.to_prometheus_text())
    }

    /// Shuts the bus down: serial and parallel destinations stop accepting
    /// messages ([`Error::Closed`]); synchronous ones keep working.
    ///
    /// Graceful (`force == false`): every queued message is delivered
    /// before the workers stop. Forced: queued messages are counted as
    /// discarded and only running listener calls are waited for. Waits up
    /// to `timeout` (`None`: as long as it takes) for the workers to exit
    /// and returns [`Error::Timeout`] if they have not; they go on draining.
    /// Scheduled sends that have not fired are cancelled (their number is
    /// logged, and counted in the metrics); dead-letter destinations close
    /// last, so that what the others do not deliver as they drain still
    /// reaches them.
    /// Called from a listener of this bus, it starts the shutdown without
    /// waiting. Calling it again is harmless (and may force a graceful one).
    pub fn shutdown(&self, force: bool, timeout: Option<Duration>) -> Result<()> {
        self.check_live()?;
        self.inner.shutdown(force, timeout)
    }

    pub(crate) fn routes(&self) -> &Arc<Routes> {
        &self.inner.routes
    }

    /// The process this bus was made in.
    pub(crate) fn generation(&self) -> Generation {
        self.inner.made_in
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
        self.routes.shut_down.store(true, SeqCst);
        let destinations: Vec<Arc<Destination>> = {
            let registry = self.registry.lock();
            let live = self.routes.destinations.load();
            live.values()
                .chain(registry.retired.iter())
                .cloned()
                .collect()
        };
        let bus_target = self.routes.dead_letters.target();
        let mut targets: HashSet<&str> = destinations
            .iter()
            .filter_map(|d| d.config().dead_letter_destination.as_deref())
            .collect();
        targets.extend(bus_target.as_deref().map(Text::as_str));
        let (last, first): (Vec<_>, Vec<_>) = destinations
            .iter()
            .partition(|d| targets.contains(d.name().as_str()));
        let in_worker = current_worker_bus() == Some(self.id);
        let mut stopped = true;
        for (group, destinations) in [first, last].into_iter().enumerate() {
            for destination in &destinations {
                destination.close(force);
            }
            // After the first close, which wakes a firing blocked on a
            // full queue.
            if group == 0 {
                let cancelled = self.scheduler.shutdown();
                if cancelled > 0 {
                    log::info!("shutdown cancelled {cancelled} scheduled sends that had not fired");
                }
            }
            if !in_worker {
                for destination in &destinations {
                    stopped &= destination.wait_stopped(deadline);
                }
            }
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
