//! The queue of a serial or parallel destination: the gate senders pass,
//! the channel to the workers, and the capacity with its rejection policy.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use parking_lot::{Condvar, Mutex};

use super::delivery::Task;
use super::fanout::Share;
use crate::apart::Apart;
use crate::config::RejectionPolicy;
use crate::error::Result;
use crate::gate::Gate;
use crate::runtime;
use crate::spin::{QUEUE_SPIN, spin};

/// What to do with a message that asked for places in the queue.
pub(super) enum Admission {
    Queue,
    /// Full, and the policy is `CallerRuns`: deliver in the sender's thread.
    RunHere,
    Reject,
    /// The sender's runtime interrupted its wait for room (`Block`).
    Interrupted,
}

pub(crate) struct Queue {
    /// Senders pass it while they push; closing it is how shutdown begins.
    /// Apart: senders write it at every message, and workers read the
    /// channel and capacity at every task.
    pub(super) gate: Apart<Gate>,
    channel: Channel,
    /// In tasks; `None`: unbounded, and `held`/`blocked` stay unused.
    capacity: Option<usize>,
    policy: RejectionPolicy,
    /// Places held by queued tasks.
    held: AtomicUsize,
    /// Senders waiting for room under the `Block` policy.
    blocked: AtomicUsize,
    room: Mutex<()>,
    room_freed: Condvar,
    /// `Stop` tasks in the channel, left out of the pending count.
    stops: AtomicUsize,
}

impl Queue {
    /// A queue of whole messages (serial) or of listener calls (`parallel`).
    pub(super) fn new(capacity: Option<usize>, policy: RejectionPolicy, parallel: bool) -> Self {
        let channel = if parallel {
            let (tx, rx) = crossbeam_channel::unbounded();
            Channel::Calls(tx, rx)
        } else {
            let (tx, rx) = crossbeam_channel::unbounded();
            Channel::Tasks(tx, rx)
        };
        Queue {
            gate: Apart(Gate::new()),
            channel,
            capacity,
            policy,
            held: AtomicUsize::new(0),
            blocked: AtomicUsize::new(0),
            room: Mutex::new(()),
            room_freed: Condvar::new(),
            stops: AtomicUsize::new(0),
        }
    }

    /// Asks for `places` (one per task of the message), all or none.
    /// A `Block` wait suspends the runtimes this thread may hold.
    pub(super) fn admit(&self, places: usize) -> Admission {
        let Some(capacity) = self.capacity else {
            return Admission::Queue;
        };
        if self.try_hold(places, capacity) {
            return Admission::Queue;
        }
        match self.policy {
            RejectionPolicy::Discard => Admission::Reject,
            RejectionPolicy::CallerRuns => Admission::RunHere,
            RejectionPolicy::Block { timeout } if places <= capacity => {
                match self.wait_for_room(places, capacity, timeout) {
                    Ok(true) => Admission::Queue,
                    Ok(false) => Admission::Reject,
                    Err(_) => Admission::Interrupted,
                }
            }
            RejectionPolicy::Block { .. } => Admission::Reject,
        }
    }

    fn try_hold(&self, places: usize, capacity: usize) -> bool {
        self.held
            .fetch_update(SeqCst, SeqCst, |held| {
                (held + places <= capacity).then_some(held + places)
            })
            .is_ok()
    }

    /// Waits up to `timeout` (as long as it takes when `timeout` reaches
    /// past what `Instant` holds) for room, with the sender's runtimes
    /// suspended: whether the places were taken (not when the gate closed),
    /// or `Err` when the sender's runtime interrupted the wait.
    fn wait_for_room(&self, places: usize, capacity: usize, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now().checked_add(timeout);
        self.blocked.fetch_add(1, SeqCst);
        let admitted = runtime::wait(deadline, |until| self.room_until(places, capacity, until));
        self.blocked.fetch_sub(1, SeqCst);
        Ok(admitted?.unwrap_or_else(|| self.try_hold(places, capacity)))
    }

    /// Waits for room until `until`: whether it took the places (false when
    /// the gate closed), or `None` when `until` came first.
    fn room_until(&self, places: usize, capacity: usize, until: Option<Instant>) -> Option<bool> {
        let mut guard = self.room.lock();
        loop {
            if self.try_hold(places, capacity) {
                return Some(true);
            }
            if self.gate.is_closed() {
                return Some(false);
            }
            match until {
                Some(until) => {
                    if self.room_freed.wait_until(&mut guard, until).timed_out() {
                        return None;
                    }
                }
                None => self.room_freed.wait(&mut guard),
            }
        }
    }

    pub(super) fn push(&self, task: Task) {
        let sent = match &self.channel {
            Channel::Tasks(tx, _) => tx.send(task).map_err(drop),
            Channel::Calls(tx, _) => tx.send(task.into_call()).map_err(drop),
        };
        sent.expect("the queue owns a receiver, so its channel never disconnects");
    }

    /// Waits for the next task; with `timeout`, `None` when none came.
    pub(super) fn take(&self, timeout: Option<Duration>) -> Option<Task> {
        self.channel
            .receive(timeout.map_or(Wait::Forever, Wait::For))
    }

    /// The next task if one is queued.
    pub(super) fn try_take(&self) -> Option<Task> {
        self.channel.receive(Wait::No)
    }

    /// Accounts for a task a worker just took.
    pub(super) fn taken(&self, task: &Task) {
        if matches!(task, Task::Stop) {
            self.stops.fetch_sub(1, SeqCst);
        } else if self.capacity.is_some() {
            self.held.fetch_sub(1, SeqCst);
            if self.blocked.load(SeqCst) > 0 {
                self.wake_blocked();
            }
        }
    }

    /// Wakes senders waiting for room, so they see room or a closed gate.
    pub(super) fn wake_blocked(&self) {
        let _guard = self.room.lock();
        self.room_freed.notify_all();
    }

    /// Queues one `Stop` per worker, behind every task already queued.
    pub(super) fn push_stops(&self, workers: usize) {
        self.stops.fetch_add(workers, SeqCst);
        for _ in 0..workers {
            self.push(Task::Stop);
        }
    }

    pub(super) fn pending(&self) -> u64 {
        self.channel.len().saturating_sub(self.stops.load(SeqCst)) as u64
    }
}

/// The channel to the workers. A parallel destination's carries shares of
/// messages (`None` standing for `Stop`), so that its slots take 16 bytes
/// rather than a whole task's 128.
enum Channel {
    Tasks(Sender<Task>, Receiver<Task>),
    Calls(Sender<Option<Share>>, Receiver<Option<Share>>),
}

/// How long a worker waits for a task.
#[derive(Clone, Copy)]
enum Wait {
    Forever,
    For(Duration),
    No,
}

impl Channel {
    fn receive(&self, wait: Wait) -> Option<Task> {
        match self {
            Channel::Tasks(_, rx) => receive(rx, wait),
            Channel::Calls(_, rx) => Some(receive(rx, wait)?.map_or(Task::Stop, Task::Call)),
        }
    }

    fn len(&self) -> usize {
        match self {
            Channel::Tasks(_, rx) => rx.len(),
            Channel::Calls(_, rx) => rx.len(),
        }
    }
}

/// `None` when nothing came (the channel never disconnects: the queue
/// holds both ends). A waiting worker polls first (see `spin.rs`).
fn receive<T>(rx: &Receiver<T>, wait: Wait) -> Option<T> {
    let polled = || spin(QUEUE_SPIN, || rx.try_recv().ok());
    match wait {
        Wait::Forever => polled().or_else(|| rx.recv().ok()),
        Wait::For(timeout) => polled().or_else(|| rx.recv_timeout(timeout).ok()),
        Wait::No => rx.try_recv().ok(),
    }
}
