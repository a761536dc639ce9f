//! A destination: a named endpoint with its type, its listeners, its
//! name's counters and, when serial or parallel, its queue and workers.

mod delivery;
mod fanout;
mod pool;
mod queue;
mod recycle;
mod rejections;

use std::sync::atomic::{AtomicBool, Ordering::Acquire, Ordering::Relaxed, Ordering::Release};
use std::sync::{Arc, Weak};
use std::time::Instant;

use self::delivery::{Task, Timed};
use self::fanout::Spares;
use self::pool::Pool;
use self::queue::{Admission, Queue};
use self::recycle::Recycled;
use self::rejections::Rejections;
use crate::config::{DestinationConfig, DestinationType};
use crate::dead_letter::{DeadLetters, Reason};
use crate::error::{Error, Result};
use crate::gate::LastOut;
use crate::listener::ListenerList;
use crate::message::Message;
use crate::metrics::DestinationMetrics;
use crate::routes::Routes;
use crate::statistics::{Counters, DestinationStatistics, Outcome};
use crate::text::Text;
use crate::value::Value;

pub(crate) use self::pool::current_worker_bus;

/// Why a destination did not take a message.
pub(crate) enum Refused {
    /// It is closed (replaced, removed, or its bus shut down): the message
    /// comes back untouched and uncounted, for the bus to offer it to
    /// whatever destination holds the name now. (Boxed: the rare case
    /// should not widen every send's result.)
    Closed(Box<Message>),
    /// Its queue is full and its policy rejected the message (counted).
    Full,
    /// The sender's runtime interrupted its wait for room (not counted).
    Interrupted,
}

/// Why a queue did not admit a message.
enum NotAdmitted {
    /// The destination closed while the sender waited for room.
    Closed,
    /// Full, and rejected by the policy (counted).
    Full,
    /// The sender's runtime interrupted its wait for room.
    Interrupted,
}

pub(crate) struct Destination {
    name: Text,
    config: DestinationConfig,
    bus_id: u64,
    listeners: Arc<ListenerList>,
    /// The name's counters, shared with the destinations that held the
    /// name before (see [`MessageBus::destination_statistics`]).
    ///
    /// [`MessageBus::destination_statistics`]: crate::MessageBus::destination_statistics
    counters: Arc<Counters>,
    /// `None` for a synchronous destination.
    queued: Option<Queued>,
    /// Where dead letters go; weak, as the bus's routes hold this
    /// destination.
    routes: Weak<Routes>,
    dead_letters: Arc<DeadLetters>,
    /// A message whose number (its `sent` count) has none of these bits
    /// set is timed; `None`: no message is.
    timing_mask: Option<u64>,
    /// Set once the bus no longer holds it under its name (replaced or
    /// removed): what a [`DestinationHandle`] checks before it sends here.
    ///
    /// [`DestinationHandle`]: crate::DestinationHandle
    retired: AtomicBool,
}

struct Queued {
    queue: Queue,
    pool: Pool,
    /// Records for parallel messages; `None` for a serial destination.
    spares: Option<Spares>,
    /// Boxes for timed serial messages; `None` when none is timed.
    timed: Option<Recycled<Timed>>,
    rejections: Rejections,
}

impl Destination {
    /// A new destination; `predecessor` is the one it replaces, whose
    /// queue its workers let drain before they start.
    pub(crate) fn new(
        name: Text,
        config: DestinationConfig,
        bus_id: u64,
        listeners: Arc<ListenerList>,
        counters: Arc<Counters>,
        predecessor: Option<Arc<Destination>>,
        routes: &Arc<Routes>,
    ) -> Self {
        let parallel = config.destination_type == DestinationType::Parallel;
        let queued = (config.destination_type != DestinationType::Synchronous).then(|| Queued {
            queue: Queue::new(config.max_queue_size, config.rejection_policy, parallel),
            pool: Pool::new(&config, predecessor),
            spares: parallel.then(Spares::new),
            timed: (!parallel && config.timing_every != 0).then(Recycled::new),
            rejections: Rejections::new(),
        });
        let timing_mask = (config.timing_every != 0).then(|| u64::from(config.timing_every) - 1);
        Destination {
            name,
            config,
            bus_id,
            listeners,
            counters,
            queued,
            routes: Arc::downgrade(routes),
            dead_letters: routes.dead_letters.clone(),
            timing_mask,
            retired: AtomicBool::new(false),
        }
    }

    pub(crate) fn name(&self) -> &Text {
        &self.name
    }

    pub(crate) fn config(&self) -> &DestinationConfig {
        &self.config
    }

    /// The name's counters.
    pub(crate) fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Counts a sent message; whether it is one of those timed.
    fn sent(&self) -> bool {
        let number = self.counters.sent();
        self.timing_mask.is_some_and(|mask| number & mask == 0)
    }

    /// Whether its messages go through a queue and workers (serial and
    /// parallel), which a shutdown stops.
    pub(crate) fn is_queued(&self) -> bool {
        self.queued.is_some()
    }

    pub(crate) fn listeners(&self) -> &ListenerList {
        &self.listeners
    }

    /// Asynchronous send: queues the message, or delivers it here when the
    /// destination is synchronous.
    pub(crate) fn send(self: &Arc<Self>, message: Message) -> Result<(), Refused> {
        let Some(queued) = &self.queued else {
            let timed = self.sent();
            self.deliver_here(message, timed);
            return Ok(());
        };
        let Some(_sending) = Sending::enter(queued) else {
            return Err(Refused::Closed(Box::new(message)));
        };
        let timed = self.sent();
        match self.config.destination_type {
            DestinationType::Parallel => self.send_parallel(queued, message, timed),
            _ => self.send_serial(queued, message, timed),
        }
    }

    /// The worker sets the message's destination name: the sender's time
    /// is the scarcer.
    fn send_serial(
        self: &Arc<Self>,
        queued: &Queued,
        message: Message,
        timed: bool,
    ) -> Result<(), Refused> {
        if self.listeners.is_empty() {
            self.drop_no_listener(&message);
            return Ok(());
        }
        match self.admit(queued, 1) {
            Ok(true) => {
                let task = match &queued.timed {
                    Some(spares) if timed => Task::Timed(Timed::boxed(spares, message)),
                    _ => Task::Message(message),
                };
                queued.queue.push(task);
                queued.pool.after_push(self, 1);
            }
            Ok(false) => self.deliver_here(message, timed),
            Err(why) => return Err(self.give_back(why, message)),
        }
        Ok(())
    }

    /// One task per listener of the moment, all sharing the message.
    fn send_parallel(
        self: &Arc<Self>,
        queued: &Queued,
        mut message: Message,
        timed: bool,
    ) -> Result<(), Refused> {
        let listeners = self.listeners.load_full();
        let tasks = listeners.len();
        if tasks == 0 {
            self.drop_no_listener(&message);
            return Ok(());
        }
        match self.admit(queued, tasks) {
            Ok(true) => {
                message.set_destination_name(self.name.clone());
                let queued_at = timed.then(Instant::now);
                self.spares().share(message, listeners, queued_at, |share| {
                    queued.queue.push(Task::Call(share))
                });
                queued.pool.after_push(self, tasks);
            }
            Ok(false) => self.deliver_here(message, timed),
            Err(why) => return Err(self.give_back(why, message)),
        }
        Ok(())
    }

    /// A parallel destination's spare records.
    fn spares(&self) -> &Spares {
        self.queued
            .as_ref()
            .and_then(|queued| queued.spares.as_ref())
            .expect("only parallel destinations share messages")
    }

    /// Whether to queue (`true`) or deliver in the sender's thread.
    fn admit(&self, queued: &Queued, places: usize) -> Result<bool, NotAdmitted> {
        match queued.queue.admit(places) {
            Admission::Queue => Ok(true),
            Admission::RunHere => Ok(false),
            Admission::Interrupted => Err(NotAdmitted::Interrupted),
            Admission::Reject if queued.queue.gate.is_closed() => Err(NotAdmitted::Closed),
            Admission::Reject => {
                self.counters.rejected();
                let capacity = self.config.max_queue_size.unwrap_or(usize::MAX);
                queued.rejections.rejected(&self.name, capacity);
                Err(NotAdmitted::Full)
            }
        }
    }

    /// The refusal for an admission that failed; a rejected message is
    /// dead-lettered. A message whose sender waited for room until the
    /// destination closed comes back uncounted, as one refused at the door
    /// does; one whose sender gave up waiting is not counted either.
    fn give_back(&self, why: NotAdmitted, message: Message) -> Refused {
        match why {
            NotAdmitted::Full => {
                self.dead_letter(&message, Reason::Rejected, None);
                Refused::Full
            }
            NotAdmitted::Closed => {
                self.counters.unsent();
                Refused::Closed(Box::new(message))
            }
            NotAdmitted::Interrupted => {
                self.counters.unsent();
                Refused::Interrupted
            }
        }
    }

    fn deliver_here(&self, mut message: Message, timed: bool) {
        message.set_destination_name(self.name.clone());
        let clock = timed.then(Instant::now);
        let (outcome, error) = self.deliver_all(&message, &self.listeners.load(), clock);
        self.finished(&message, outcome, error.as_ref());
    }

    fn drop_no_listener(&self, message: &Message) {
        self.counters.dropped_no_listener();
        log::debug!("no listener on {}: message dropped", self.name);
        self.dead_letter(message, Reason::NoListener, None);
    }

    /// Sends a dead letter of `message`, undelivered for `reason`, to this
    /// destination's dead-letter destination or the bus's, if either is
    /// set, and counts it if one took it.
    #[cold]
    pub(crate) fn dead_letter(&self, message: &Message, reason: Reason, error: Option<&str>) {
        let own = self.config.dead_letter_destination.as_deref();
        if !self.dead_letters.any(own) {
            return;
        }
        let Some(routes) = self.routes.upgrade() else {
            return;
        };
        if routes.dead_letter(&self.name, own, message, reason, error) {
            self.counters.dead_lettered(reason);
        }
    }

    /// Fills the slot of the sender waiting for `request` with the reply's
    /// `payload`, as delivering the reply here would, when that is all
    /// delivering would do: the request carries a slot, this destination
    /// is synchronous and its only listener a reply router. Otherwise gives
    /// `payload` back.
    pub(crate) fn route_reply(&self, request: &Message, payload: Value) -> Result<(), Value> {
        let Some(slot) = request.reply_slot() else {
            return Err(payload);
        };
        let listeners = self.listeners.load();
        let router = match &listeners[..] {
            [only] if only.routes_replies() && self.queued.is_none() => only,
            _ => return Err(payload),
        };
        self.counters.sent();
        let filled = router.instead(|| slot.fill(payload));
        let flags = filled.as_ref().map_or(0, |_| Outcome::CALLED);
        self.counters.finished(Outcome(flags));
        match filled {
            Some(Err(payload)) => self.expired(&Message::response_to(request, payload)),
            None => self.dead_letter(
                &Message::response_to(request, Value::Null),
                Reason::NoListener,
                None,
            ),
            Some(Ok(())) => {}
        }
        Ok(())
    }

    /// Dead-letters a reply that came to this destination for a sender
    /// who no longer waits.
    #[cold]
    pub(crate) fn expired(&self, reply: &Message) {
        self.dead_letter(reply, Reason::Expired, None);
    }

    /// Direct synchronous send: calls the listeners in this thread, whatever
    /// the type, and returns the response the last of them set. The first
    /// failure stops the call and is returned.
    pub(crate) fn send_direct(&self, mut message: Message) -> Result<Value> {
        message.set_destination_name(self.name.clone());
        let mut clock = self.sent().then(Instant::now);
        let mut flags = 0;
        for listener in self.listeners.load().iter() {
            let (called, error) = self.call_one(listener, &message, clock.as_mut());
            flags |= called;
            if let Some(error) = error {
                self.finished(&message, Outcome(flags), Some(&error));
                return Err(Error::Listener(error));
            }
        }
        self.finished(&message, Outcome(flags), None);
        Ok(message.response())
    }

    pub(crate) fn statistics(&self) -> DestinationStatistics {
        let mut stats = DestinationStatistics {
            listener_count: self.listeners.len(),
            ..DestinationStatistics::default()
        };
        self.counters.fill(&mut stats);
        if let Some(queued) = &self.queued {
            let sizes = queued.pool.sizes();
            stats.active_thread_count = sizes.active;
            stats.current_thread_count = sizes.current;
            stats.largest_thread_count = sizes.largest;
            stats.min_thread_pool_size = sizes.core;
            stats.max_thread_pool_size = sizes.max;
            stats.pending_message_count = queued.queue.pending();
        }
        stats
    }

    pub(crate) fn metrics(&self) -> DestinationMetrics {
        DestinationMetrics {
            name: self.name.to_string(),
            destination_type: self.config.destination_type,
            statistics: self.statistics(),
            dead_letters: self.counters.dead_letter_counts(),
            requests: self.counters.request_counts(),
            queue_wait: self.counters.queue_wait.snapshot(),
            processing: self.counters.processing.snapshot(),
        }
    }

    /// Marks it as no longer the bus's under its name, and closes it.
    pub(crate) fn retire(&self) {
        self.retired.store(true, Release);
        self.close(false);
    }

    /// Whether it was replaced or removed.
    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Acquire)
    }

    /// Stops accepting messages. Workers deliver what is queued and then
    /// stop; with `force`, what is queued is counted as discarded and
    /// dropped here and now, whatever the workers are busy with. This does
    /// not wait for the workers (see [`Destination::wait_stopped`]).
    /// Synchronous destinations have nothing to close.
    pub(crate) fn close(&self, force: bool) {
        let Some(queued) = &self.queued else { return };
        if force {
            queued.pool.discard.store(true, Relaxed);
        }
        // With senders inside, the last one out stops the workers (`Sending`).
        if let Some(LastOut(true)) = queued.queue.gate.close_deferred() {
            queued.pool.stop(&queued.queue);
        }
        queued.queue.wake_blocked();
        if force {
            self.discard_queued(queued);
        }
    }

    /// Takes every task queued and counts it as discarded, putting back
    /// the `Stop`s it takes: a worker stuck in a listener's call must not
    /// keep the queue (and what its messages hold) until it returns.
    /// Tasks a sender still inside the gate adds later are discarded by the
    /// workers, which see the flag.
    fn discard_queued(&self, queued: &Queued) {
        let mut stops = 0;
        while let Some(task) = queued.queue.try_take() {
            queued.queue.taken(&task);
            match task {
                Task::Stop => stops += 1,
                task => {
                    queued.pool.claim();
                    self.discard(task);
                }
            }
        }
        queued.queue.push_stops(stops);
    }

    /// Waits until the workers have exited, or until `deadline`.
    pub(crate) fn wait_stopped(&self, deadline: Option<Instant>) -> bool {
        self.queued
            .as_ref()
            .is_none_or(|q| q.pool.wait_stopped(deadline))
    }

    /// Whether every worker has exited after a close.
    pub(crate) fn is_stopped(&self) -> bool {
        self.queued.as_ref().is_none_or(|q| q.pool.is_stopped())
    }
}

/// A sender inside a queued destination's gate.
struct Sending<'a>(&'a Queued);

impl<'a> Sending<'a> {
    /// `None` once the destination is closed; a refused sender that turns
    /// out to be the last one out stops the workers.
    fn enter(queued: &'a Queued) -> Option<Self> {
        match queued.queue.gate.try_enter() {
            Ok(()) => Some(Sending(queued)),
            Err(LastOut(last)) => {
                if last {
                    queued.pool.stop(&queued.queue);
                }
                None
            }
        }
    }
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        if self.0.queue.gate.leave().0 {
            self.0.pool.stop(&self.0.queue);
        }
    }
}
