//! Delayed and periodic sends (SPEC §9): a message sent to a destination
//! after a delay, then, if asked, again every period, until cancelled by
//! its handle.
//!
//! One timer thread serves every schedule of a bus, and it starts with the
//! first one: a bus that schedules nothing has none. It waits on a
//! condition variable until the earliest deadline, or until a schedule due
//! earlier or a shutdown wakes it; it never polls. It calls the bus's
//! [`Fire`] holding no lock, so a firing may schedule and cancel.
//!
//! A pending timer is a 16-byte heap entry (deadline, id), a 16-byte slot
//! of the map from id to its boxed [`Timer`], and the box (168 bytes on
//! x86-64, 128 of them the message). With the room the heap's vector and
//! the map's table keep free, a timer costs 210 to 230 bytes (resident
//! memory measured for 500 000 to 1 000 000 timers of a short destination
//! and payload; unboxed, the table's free slots made it 220 to 390), so
//! 1 000 000 pending timers take about 230 MB, besides what their messages
//! allocate. A cancel removes the map entry at once, which frees the
//! message, and leaves the heap entry stale: the thread skips stale
//! entries when they come up, and the heap is rebuilt from the map once
//! they outnumber the live ones, so schedules and cancels in any number
//! take no more memory than the timers pending at once.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::mem;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::fork::Generation;
use crate::message::Message;
use crate::metrics::ScheduleStatistics;
use crate::runtime;
use crate::text::Text;

/// The handle of a scheduled send, unique within its bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScheduleId(u64);

impl ScheduleId {
    /// The handle as a number, for the surfaces that hand out numbers.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The handle whose number [`as_u64`](Self::as_u64) gave.
    pub fn from_u64(id: u64) -> Self {
        ScheduleId(id)
    }
}

impl fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "schedule#{}", self.0)
    }
}

/// Sends one firing; called on the timer thread with no lock held. The bus
/// handles send errors.
pub(crate) type Fire = dyn Fn(&Text, Message) + Send + Sync;

/// Up to this capacity the heap and the map keep their room when the heap
/// is rebuilt, so that schedule and cancel cycles on a nearly idle bus do
/// not allocate at each cancel.
const KEPT_CAPACITY: usize = 1024;

/// Linux keeps this many bytes of a thread's name.
const THREAD_NAME_MAX: usize = 15;

/// The scheduled sends of one bus.
pub(crate) struct Scheduler {
    shared: Arc<Shared>,
    thread_name: String,
    /// A scheduler inherited through `fork()` has no timer thread, and its
    /// lock may have been held by the parent's: it is left alone.
    made_in: Generation,
}

/// What the scheduler shares with its timer thread, which holds nothing
/// else: in particular nothing that owns the scheduler.
struct Shared {
    state: Mutex<State>,
    /// Wakes the timer thread: a deadline earlier than the one it waits
    /// for, or a shutdown.
    wake: Condvar,
    /// Deadlines are nanoseconds since this instant.
    origin: Instant,
    fire: Box<Fire>,
}

struct State {
    /// (deadline, id), earliest first: one entry per timer waiting to fire,
    /// plus the stale entries of cancelled timers.
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    /// Boxed: the table has room for up to twice the timers it holds, and
    /// its slots stay 16 bytes rather than a [`Timer`]'s.
    timers: HashMap<u64, Box<Timer>>,
    /// The periodic timer whose firing runs, which has no heap entry until
    /// it is re-armed; cleared by its cancel.
    firing: Option<u64>,
    /// Set by shutdown: schedules are refused and the timer thread exits.
    closed: bool,
    /// The timer thread, from the first schedule until a shutdown joins it.
    thread: Option<JoinHandle<()>>,
    fired: u64,
    missed: u64,
    cancelled: u64,
    cancelled_at_shutdown: u64,
}

/// A pending schedule.
struct Timer {
    destination: Text,
    message: Message,
    /// Nanoseconds between firings; 0 for a one-shot.
    period: u64,
    /// When it fires next: the deadline of its heap entry.
    due: u64,
}

impl Scheduler {
    /// No thread yet; `thread_name` names the timer thread when it starts
    /// (cut to 15 bytes).
    pub(crate) fn new(thread_name: String, fire: Box<Fire>) -> Self {
        Scheduler {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    heap: BinaryHeap::new(),
                    timers: HashMap::new(),
                    firing: None,
                    closed: false,
                    thread: None,
                    fired: 0,
                    missed: 0,
                    cancelled: 0,
                    cancelled_at_shutdown: 0,
                }),
                wake: Condvar::new(),
                origin: Instant::now(),
                fire,
            }),
            thread_name: cut(thread_name, THREAD_NAME_MAX),
            made_in: Generation::current(),
        }
    }

    /// Fires `message` (a clone of it for each firing of a periodic
    /// schedule) to `destination` after `delay`, then every `every` if
    /// given, at a fixed rate: the n-th firing is due at start + delay +
    /// n·every, however long firings take. Refuses a zero `every` or an
    /// `id` pending already ([`Error::InvalidArgument`]), and any schedule
    /// after shutdown or when the timer thread cannot start
    /// ([`Error::Closed`]). Starts the timer thread on first use.
    pub(crate) fn schedule(
        &self,
        id: u64,
        destination: Text,
        message: Message,
        delay: Duration,
        every: Option<Duration>,
    ) -> Result<ScheduleId> {
        let period = match every {
            Some(every) if every.is_zero() => {
                return Err(Error::InvalidArgument(
                    "every must be longer than zero".into(),
                ));
            }
            Some(every) => nanos(every),
            None => 0,
        };
        let mut state = self.shared.state.lock();
        if state.closed {
            return Err(Error::Closed(format!(
                "bus is shut down; cannot schedule a send to {destination}"
            )));
        }
        if state.timers.contains_key(&id) {
            return Err(Error::InvalidArgument(format!(
                "{} is pending already",
                ScheduleId(id)
            )));
        }
        if state.thread.is_none() {
            state.thread = Some(self.start(&destination)?);
        }
        let due = self.shared.now().saturating_add(nanos(delay));
        state.timers.insert(
            id,
            Box::new(Timer {
                destination,
                message,
                period,
                due,
            }),
        );
        let entry = Reverse((due, id));
        state.heap.push(entry);
        if state.heap.peek() == Some(&entry) {
            self.shared.wake.notify_one();
        }
        Ok(ScheduleId(id))
    }

    fn start(&self, destination: &Text) -> Result<JoinHandle<()>> {
        let shared = self.shared.clone();
        thread::Builder::new()
            .name(self.thread_name.clone())
            .spawn(move || shared.run())
            .map_err(|e| {
                log::error!("cannot start the timer thread {}: {e}", self.thread_name);
                Error::Closed(format!(
                    "no timer thread ({e}); cannot schedule a send to {destination}"
                ))
            })
    }

    /// Cancels; true if the schedule was pending (a one-shot not yet begun
    /// firing, a periodic not cancelled). After it returns no new firing
    /// begins; one already running on the timer thread completes. Callable
    /// from inside a firing. The thread is not woken: if the timer was the
    /// earliest, it wakes at its deadline and skips it.
    pub(crate) fn cancel(&self, id: ScheduleId) -> bool {
        let removed = {
            let mut state = self.shared.state.lock();
            let removed = state.timers.remove(&id.0);
            if removed.is_some() {
                state.cancelled += 1;
                if state.firing == Some(id.0) {
                    state.firing = None;
                } else if state.stale() > state.armed() {
                    state.compact();
                }
            }
            removed
        };
        // The message is dropped here, holding no lock: dropping a
        // runtime's object may need that runtime's lock.
        removed.is_some()
    }

    /// Cancels every pending schedule, stops the timer thread and joins it
    /// (called on the timer thread, it only tells it to stop), and refuses
    /// later schedules; returns how many it cancelled. A second call
    /// returns 0.
    pub(crate) fn shutdown(&self) -> usize {
        let (timers, heap, thread) = {
            let mut state = self.shared.state.lock();
            state.closed = true;
            state.firing = None;
            let cancelled = state.timers.len();
            state.cancelled_at_shutdown += cancelled as u64;
            let on_timer_thread = state
                .thread
                .as_ref()
                .is_some_and(|t| t.thread().id() == thread::current().id());
            let thread = if on_timer_thread {
                None
            } else {
                state.thread.take()
            };
            self.shared.wake.notify_one();
            (
                mem::take(&mut state.timers),
                mem::take(&mut state.heap),
                thread,
            )
        };
        let cancelled = timers.len();
        drop((timers, heap));
        if let Some(thread) = thread {
            if runtime::suspended(|| thread.join()).is_err() {
                log::error!("the timer thread {} panicked", self.thread_name);
            }
        }
        cancelled
    }

    pub(crate) fn statistics(&self) -> ScheduleStatistics {
        let state = self.shared.state.lock();
        ScheduleStatistics {
            pending: state.timers.len(),
            fired: state.fired,
            missed: state.missed,
            cancelled: state.cancelled,
            cancelled_at_shutdown: state.cancelled_at_shutdown,
        }
    }
}

impl Drop for Scheduler {
    /// Stops and joins the timer thread; dropped on that thread (its
    /// firing dropped the last owner), leaves it to exit after the firing.
    /// Inherited through `fork()`, does nothing.
    fn drop(&mut self) {
        if !self.made_in.inherited() {
            self.shutdown();
        }
    }
}

impl Shared {
    fn now(&self) -> u64 {
        nanos(self.origin.elapsed())
    }

    /// The timer thread: fires what is due, then waits for the earliest
    /// deadline, until shutdown.
    fn run(&self) {
        let mut state = self.state.lock();
        while !state.closed {
            match state.earliest() {
                None => self.wake.wait(&mut state),
                Some((due, id)) if due <= self.now() => {
                    state.heap.pop();
                    self.fire_due(&mut state, id);
                }
                Some((due, _)) => match self.origin.checked_add(Duration::from_nanos(due)) {
                    Some(deadline) => {
                        self.wake.wait_until(&mut state, deadline);
                    }
                    None => self.wake.wait(&mut state),
                },
            }
        }
    }

    /// Fires the timer `id`, whose heap entry was just taken: a one-shot
    /// leaves the map first, a periodic one is re-armed after its firing
    /// unless cancelled meanwhile.
    fn fire_due(&self, state: &mut MutexGuard<'_, State>, id: u64) {
        state.fired += 1;
        if state.timers[&id].period == 0 {
            let timer = state
                .timers
                .remove(&id)
                .expect("a live heap entry has its timer");
            MutexGuard::unlocked(state, move || self.send(&timer.destination, timer.message));
            return;
        }
        let timer = &state.timers[&id];
        let (destination, message) = (timer.destination.clone(), timer.message.clone());
        state.firing = Some(id);
        // The clones are dropped in there, holding no lock.
        MutexGuard::unlocked(state, move || self.send(&destination, message));
        if state.firing.take() != Some(id) {
            return;
        }
        let now = self.now();
        let timer = state
            .timers
            .get_mut(&id)
            .expect("firing is cleared by cancel");
        let late = now.saturating_sub(timer.due);
        // The firings due before now, but the one just made, are missed:
        // the next one keeps the phase.
        let periods = late.div_ceil(timer.period).max(1);
        let missed = periods - 1;
        timer.due = timer
            .due
            .saturating_add(periods.saturating_mul(timer.period));
        let due = timer.due;
        state.missed += missed;
        state.heap.push(Reverse((due, id)));
    }

    /// Calls [`Fire`]; a panic in it is logged, and the thread goes on.
    fn send(&self, destination: &Text, message: Message) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| (self.fire)(destination, message))) {
            let why = panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("non-string panic payload");
            log::error!("the scheduled send to {destination} panicked: {why}");
        }
    }
}

impl State {
    /// Timers with a heap entry: all but the one firing.
    fn armed(&self) -> usize {
        self.timers.len() - usize::from(self.firing.is_some())
    }

    /// Heap entries of cancelled timers.
    fn stale(&self) -> usize {
        self.heap.len() - self.armed()
    }

    /// The earliest live heap entry, as (deadline, id), once the stale
    /// entries before it are dropped.
    fn earliest(&mut self) -> Option<(u64, u64)> {
        while let Some(&Reverse((due, id))) = self.heap.peek() {
            if self.timers.get(&id).is_some_and(|t| t.due == due) {
                return Some((due, id));
            }
            self.heap.pop();
        }
        None
    }

    /// Rebuilds the heap from the map, without stale entries, and gives
    /// back the room of a map and a heap that held many more timers.
    fn compact(&mut self) {
        let firing = self.firing;
        let mut entries = mem::take(&mut self.heap).into_vec();
        entries.clear();
        entries.extend(
            self.timers
                .iter()
                .filter(|&(&id, _)| Some(id) != firing)
                .map(|(&id, t)| Reverse((t.due, id))),
        );
        if entries.capacity() > KEPT_CAPACITY.max(4 * entries.len()) {
            entries.shrink_to(2 * entries.len());
        }
        self.heap = BinaryHeap::from(entries);
        if self.timers.capacity() > KEPT_CAPACITY.max(4 * self.timers.len()) {
            self.timers.shrink_to(2 * self.timers.len());
        }
    }
}

/// `d` in nanoseconds; past 584 years, never.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// `name` cut to at most `max` bytes, on a character boundary.
fn cut(mut name: String, max: usize) -> String {
    let mut end = name.len().min(max);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name.truncate(end);
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_channel::{Receiver, Sender};
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    use std::sync::{OnceLock, Weak};

    const PATIENCE: Duration = Duration::from_secs(10);

    /// A scheduler whose firings arrive on the channel, with their time.
    fn recording() -> (Scheduler, Receiver<(Text, Instant)>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let fire = move |destination: &Text, _: Message| {
            let _ = tx.send((destination.clone(), Instant::now()));
        };
        (Scheduler::new("test-timer".into(), Box::new(fire)), rx)
    }

    fn schedule(
        scheduler: &Scheduler,
        id: u64,
        destination: &str,
        delay: Duration,
        every: Option<Duration>,
    ) -> ScheduleId {
        scheduler
            .schedule(id, destination.into(), Message::new(), delay, every)
            .unwrap()
    }

    /// The next firing's destination and time.
    fn next(firings: &Receiver<(Text, Instant)>) -> (String, Instant) {
        let (destination, at) = firings.recv_timeout(PATIENCE).expect("a firing");
        (destination.to_string(), at)
    }

    #[test]
    fn a_one_shot_fires_once_not_before_its_delay() {
        let (scheduler, firings) = recording();
        let delay = Duration::from_millis(50);
        let start = Instant::now();
        let id = schedule(&scheduler, 7, "once", delay, None);
        assert_eq!((id.as_u64(), id.to_string()), (7, "schedule#7".into()));
        assert_eq!(ScheduleId::from_u64(7), id);
        let (destination, at) = next(&firings);
        assert_eq!(destination, "once");
        assert!(at - start >= delay, "fired after {:?}", at - start);
        schedule(&scheduler, 8, "latch", delay, None);
        assert_eq!(next(&firings).0, "latch");
        assert!(firings.is_empty());
        let statistics = scheduler.statistics();
        assert_eq!((statistics.fired, statistics.pending), (2, 0));
    }

    #[test]
    fn a_cancelled_schedule_never_fires_and_a_fired_one_cannot_be_cancelled() {
        let (scheduler, firings) = recording();
        let early = schedule(&scheduler, 1, "early", Duration::from_millis(30), None);
        schedule(&scheduler, 2, "latch", Duration::from_millis(80), None);
        assert!(scheduler.cancel(early));
        assert!(!scheduler.cancel(early));
        assert_eq!(next(&firings).0, "latch");
        assert!(firings.is_empty());
        let shot = schedule(&scheduler, 3, "shot", Duration::ZERO, None);
        assert_eq!(next(&firings).0, "shot");
        assert!(!scheduler.cancel(shot));
        let statistics = scheduler.statistics();
        assert_eq!((statistics.fired, statistics.cancelled), (2, 1));
    }

    #[test]
    fn a_periodic_schedule_fires_at_a_fixed_rate_until_cancelled() {
        let (scheduler, firings) = recording();
        let period = Duration::from_millis(40);
        let n = 5;
        let start = Instant::now();
        let id = schedule(&scheduler, 1, "tick", period, Some(period));
        for i in 0..n {
            let (destination, at) = next(&firings);
            assert_eq!(destination, "tick");
            assert!(
                at - start >= period * (i + 1),
                "firing {i} after {:?}",
                at - start
            );
            if i == n - 1 {
                // Due at delay + (n - 1)·period, with no drift between firings.
                assert!(
                    at - start <= period * (n + 2),
                    "firing {i} after {:?}",
                    at - start
                );
            }
        }
        assert!(scheduler.cancel(id));
        schedule(&scheduler, 2, "latch", period * 2, None);
        let mut late_ticks = 0;
        while next(&firings).0 == "tick" {
            late_ticks += 1;
        }
        // Only a firing running while cancel was called may follow it.
        assert!(late_ticks <= 1, "{late_ticks} firings after cancel");
        assert!(!scheduler.cancel(id));
        assert_eq!(scheduler.statistics().pending, 0);
    }

    #[test]
    fn a_late_periodic_schedule_skips_missed_firings_and_keeps_its_phase() {
        let (tx, firings) = crossbeam_channel::unbounded();
        let period = Duration::from_millis(30);
        let first = AtomicBool::new(true);
        let fire = move |_: &Text, _: Message| {
            let _ = tx.send(Instant::now());
            if first.swap(false, Relaxed) {
                // A slow send: the timer thread wakes five periods late.
                thread::sleep(period * 11 / 2);
            }
        };
        let scheduler = Scheduler::new("test-timer".into(), Box::new(fire));
        let start = Instant::now();
        scheduler
            .schedule(1, "tick".into(), Message::new(), period, Some(period))
            .unwrap();
        firings.recv_timeout(PATIENCE).unwrap();
        let second = firings.recv_timeout(PATIENCE).unwrap();
        scheduler.shutdown();
        let missed = scheduler.statistics().missed;
        assert!(missed >= 5, "{missed} missed");
        let due = period * (missed as u32 + 2);
        assert!(second - start >= due, "second after {:?}", second - start);
        assert!(
            second - start <= due + period * 2,
            "second after {:?}",
            second - start
        );
    }

    #[test]
    fn earlier_deadlines_fire_first_whatever_the_order_of_scheduling() {
        let (scheduler, firings) = recording();
        for (id, ms) in [(1, 40), (2, 10), (3, 30), (4, 0), (5, 20)] {
            schedule(
                &scheduler,
                id,
                &ms.to_string(),
                Duration::from_millis(ms),
                None,
            );
        }
        let order: Vec<String> = (0..5).map(|_| next(&firings).0).collect();
        assert_eq!(order, ["0", "10", "20", "30", "40"]);
    }

    #[test]
    fn no_thread_runs_before_the_first_schedule() {
        let name = "msgbus-schedule-é".to_string();
        let scheduler = Scheduler::new(name, Box::new(|_, _| {}));
        assert!(scheduler.shared.state.lock().thread.is_none());
        assert!(!scheduler.cancel(ScheduleId::from_u64(1)));
        assert!(scheduler.shared.state.lock().thread.is_none());
        schedule(&scheduler, 1, "later", Duration::from_secs(3600), None);
        let state = scheduler.shared.state.lock();
        let thread = state.thread.as_ref().expect("the timer thread");
        assert_eq!(thread.thread().name(), Some("msgbus-schedule"));
    }

    #[test]
    fn refuses_a_zero_period_and_an_id_pending_already() {
        let (scheduler, _firings) = recording();
        let zero = scheduler.schedule(
            1,
            "a".into(),
            Message::new(),
            Duration::ZERO,
            Some(Duration::ZERO),
        );
        assert!(matches!(zero, Err(Error::InvalidArgument(why)) if why.contains("every")));
        schedule(&scheduler, 1, "a", Duration::from_secs(3600), None);
        let again = scheduler.schedule(1, "b".into(), Message::new(), Duration::ZERO, None);
        assert!(matches!(again, Err(Error::InvalidArgument(why)) if why.contains("schedule#1")));
        assert_eq!(scheduler.statistics().pending, 1);
    }

    #[test]
    fn shutdown_cancels_what_is_pending_and_refuses_later_schedules() {
        let (scheduler, firings) = recording();
        schedule(&scheduler, 1, "now", Duration::ZERO, None);
        assert_eq!(next(&firings).0, "now");
        let hour = Duration::from_secs(3600);
        schedule(&scheduler, 2, "later", hour, None);
        schedule(&scheduler, 3, "often", hour, Some(hour));
        assert_eq!(scheduler.shutdown(), 2);
        assert!(scheduler.shared.state.lock().thread.is_none());
        let refused = scheduler.schedule(4, "late".into(), Message::new(), Duration::ZERO, None);
        assert!(matches!(refused, Err(Error::Closed(_))));
        assert_eq!(scheduler.shutdown(), 0);
        let statistics = scheduler.statistics();
        assert_eq!(
            (statistics.pending, statistics.cancelled_at_shutdown),
            (0, 2)
        );
        assert!(firings.is_empty());
    }

    #[test]
    fn cancel_and_shutdown_inside_a_firing_do_not_deadlock() {
        let (tx, answers): (Sender<(String, bool)>, _) = crossbeam_channel::unbounded();
        let own: Arc<OnceLock<Weak<Scheduler>>> = Arc::default();
        let weak = own.clone();
        let fire = move |destination: &Text, _: Message| {
            let scheduler = weak.get().and_then(Weak::upgrade).expect("the scheduler");
            let answer = match destination.as_str() {
                "tick" => scheduler.cancel(ScheduleId::from_u64(1)),
                _ => scheduler.shutdown() == 0,
            };
            let _ = tx.send((destination.to_string(), answer));
        };
        let scheduler = Arc::new(Scheduler::new("test-timer".into(), Box::new(fire)));
        own.set(Arc::downgrade(&scheduler)).unwrap();
        let period = Duration::from_millis(10);
        schedule(&scheduler, 1, "tick", Duration::ZERO, Some(period));
        assert_eq!(answers.recv_timeout(PATIENCE), Ok(("tick".into(), true)));
        schedule(&scheduler, 2, "latch", period * 3, None);
        assert_eq!(answers.recv_timeout(PATIENCE), Ok(("latch".into(), true)));
        // The thread was told to stop; this shutdown joins it.
        assert_eq!(scheduler.shutdown(), 0);
        assert!(scheduler.shared.state.lock().thread.is_none());
        assert!(answers.is_empty());
        assert_eq!(scheduler.statistics().fired, 2);
    }

    #[test]
    fn a_panic_in_fire_leaves_the_thread_running() {
        let (tx, firings) = crossbeam_channel::unbounded();
        let fire = move |destination: &Text, _: Message| {
            assert_ne!(destination.as_str(), "boom", "a listener panicked");
            let _ = tx.send(destination.to_string());
        };
        let scheduler = Scheduler::new("test-timer".into(), Box::new(fire));
        schedule(&scheduler, 1, "boom", Duration::ZERO, None);
        schedule(&scheduler, 2, "after", Duration::from_millis(10), None);
        assert_eq!(firings.recv_timeout(PATIENCE), Ok("after".into()));
        assert_eq!(scheduler.statistics().fired, 2);
    }

    #[test]
    fn a_million_cancelled_timers_leave_nothing_behind() {
        let (scheduler, firings) = recording();
        let far = Duration::from_secs(3600);
        let destination = Text::from("far");
        let message = Message::new();
        let count = 1_000_000;
        let start = Instant::now();
        for id in 0..count {
            scheduler
                .schedule(id, destination.clone(), message.clone(), far, None)
                .unwrap();
        }
        assert_eq!(scheduler.statistics().pending, count as usize);
        for id in 0..count {
            assert!(scheduler.cancel(ScheduleId::from_u64(id)));
        }
        let elapsed = start.elapsed();
        {
            let state = scheduler.shared.state.lock();
            assert!(state.timers.is_empty());
            assert!(state.heap.is_empty());
            assert!(state.heap.capacity() <= KEPT_CAPACITY);
            assert!(state.timers.capacity() <= KEPT_CAPACITY);
        }
        // Schedule and cancel cycles beside a pending timer: the heap keeps
        // at most one stale entry per live one.
        schedule(&scheduler, count, "stays", far, None);
        for id in count + 1..count + 100_000 {
            schedule(&scheduler, id, "goes", far, None);
            assert!(scheduler.cancel(ScheduleId::from_u64(id)));
            assert!(scheduler.shared.state.lock().heap.len() <= 2);
        }
        assert!(firings.is_empty());
        assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
        println!(
            "{count} schedules and cancels in {elapsed:?}; bytes per timer: heap entry {}, \
             map slot {}, boxed Timer {} (Text {}, Message {})",
            mem::size_of::<Reverse<(u64, u64)>>(),
            mem::size_of::<(u64, Box<Timer>)>(),
            mem::size_of::<Timer>(),
            mem::size_of::<Text>(),
            mem::size_of::<Message>(),
        );
    }
}
