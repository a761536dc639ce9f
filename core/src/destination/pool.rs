//! The workers of a serial or parallel destination.
//!
//! Workers start on demand and never before a task needs one: up to the
//! core size while there are fewer, then (for an elastic pool, max > core)
//! whenever a task would otherwise wait behind busy workers, up to the max
//! size. Workers above the core size stop after `keep_alive` idle. There is
//! no dispatcher thread: senders push straight into the channel the
//! workers take from, and a steady stream spawns nothing.
//!
//! An elastic pool keeps one counter, `balance` = queued tasks − idle
//! workers: a sender adds one per task and starts a worker when the result
//! is positive; a worker subtracts one per task it takes and one when it
//! goes idle. (Taking a task it had waited idle for changes neither side.)
//! A fixed pool (core = max, serial included) needs no such counter.
//!
//! A worker that wakes up runs every task it finds queued, one after
//! another, and waits for more only once the queue is empty: inside a
//! language runtime for as long as it calls that runtime's listeners (see
//! `runtime.rs`), and outside any while it waits.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{
    AtomicBool, AtomicIsize, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst,
};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use parking_lot::Mutex;

use super::Destination;
use super::delivery::Task;
use super::queue::Queue;
use crate::apart::Apart;
use crate::config::DestinationConfig;
use crate::runtime;

thread_local! {
    /// The id of the bus this thread works for; 0 on other threads.
    static WORKER_OF: Cell<u64> = const { Cell::new(0) };
}

/// The bus whose worker is the current thread, if any.
pub(crate) fn current_worker_bus() -> Option<u64> {
    Some(WORKER_OF.get()).filter(|&id| id != 0)
}

pub(crate) struct Pool {
    core: usize,
    max: usize,
    keep_alive: Duration,
    stack_size: usize,
    elastic: bool,
    threads: AtomicUsize,
    /// Written by workers at every batch; senders read the fields around.
    active: Apart<AtomicUsize>,
    largest: AtomicUsize,
    balance: AtomicIsize,
    started: AtomicUsize,
    /// Set by a forced shutdown: workers count queued tasks as discarded.
    pub(super) discard: AtomicBool,
    handles: Mutex<Vec<JoinHandle<()>>>,
    /// Every worker holds a clone; taken when the workers are told to stop,
    /// so `alive_rx` disconnects once the last worker is gone.
    alive_tx: Mutex<Option<Sender<()>>>,
    alive_rx: Receiver<()>,
    /// The destination this one replaced: its workers drain it first.
    predecessor: Mutex<Option<Arc<Destination>>>,
}

/// Pool sizes, for statistics.
pub(super) struct Sizes {
    pub(super) active: usize,
    pub(super) current: usize,
    pub(super) largest: usize,
    pub(super) core: usize,
    pub(super) max: usize,
}

impl Pool {
    pub(super) fn new(config: &DestinationConfig, predecessor: Option<Arc<Destination>>) -> Self {
        let (core, max) = config.effective_workers();
        let (alive_tx, alive_rx) = crossbeam_channel::bounded(0);
        Pool {
            core,
            max,
            keep_alive: config.keep_alive,
            stack_size: config.stack_size,
            elastic: max > core,
            threads: AtomicUsize::new(0),
            active: Apart(AtomicUsize::new(0)),
            largest: AtomicUsize::new(0),
            balance: AtomicIsize::new(0),
            started: AtomicUsize::new(0),
            discard: AtomicBool::new(false),
            handles: Mutex::new(Vec::new()),
            alive_tx: Mutex::new(Some(alive_tx)),
            alive_rx,
            predecessor: Mutex::new(predecessor),
        }
    }

    pub(super) fn sizes(&self) -> Sizes {
        Sizes {
            active: self.active.load(Relaxed),
            current: self.threads.load(Relaxed),
            largest: self.largest.load(Relaxed),
            core: self.core,
            max: self.max,
        }
    }

    /// Starts the workers that `tasks` just-queued tasks need.
    pub(super) fn after_push(&self, dest: &Arc<Destination>, tasks: usize) {
        let (wanted, limit) = if self.elastic {
            let tasks = tasks as isize;
            let unserved = self.balance.fetch_add(tasks, SeqCst) + tasks;
            (unserved.clamp(0, tasks) as usize, self.max)
        } else {
            let threads = self.threads.load(Relaxed);
            (self.core.saturating_sub(threads).min(tasks), self.core)
        };
        for _ in 0..wanted {
            if !self.try_add_thread(limit) || !self.start_worker(dest) {
                break;
            }
        }
    }

    fn try_add_thread(&self, limit: usize) -> bool {
        let added = self
            .threads
            .fetch_update(SeqCst, SeqCst, |n| (n < limit).then_some(n + 1));
        match added {
            Ok(before) => {
                self.largest.fetch_max(before + 1, Relaxed);
                true
            }
            Err(_) => false,
        }
    }

    /// Starts one worker for a thread already counted in `threads`. When
    /// the system refuses a thread, this thread does that worker's job
    /// while tasks are queued ([`drain_here`]) and `false` says no worker
    /// started: a message accepted is never left with no thread to deliver
    /// it.
    fn start_worker(&self, dest: &Arc<Destination>) -> bool {
        let Some(alive) = self.alive_tx.lock().clone() else {
            self.threads.fetch_sub(1, SeqCst);
            return false;
        };
        let index = self.started.fetch_add(1, Relaxed) + 1;
        let (worker_dest, worker_alive) = (dest.clone(), alive.clone());
        let spawned = thread::Builder::new()
            .name(format!("{}-{index}", dest.name))
            .stack_size(self.stack_size)
            .spawn(move || work(worker_dest, worker_alive));
        match spawned {
            Ok(handle) => {
                let mut handles = self.handles.lock();
                handles.retain(|h| !h.is_finished());
                handles.push(handle);
                true
            }
            Err(e) => {
                log::error!(
                    "cannot start a worker for {}: {e}; the sending thread delivers its queue",
                    dest.name
                );
                drain_here(dest, alive);
                false
            }
        }
    }

    /// Queued tasks minus idle workers drops by one (elastic pools only).
    pub(super) fn claim(&self) {
        if self.elastic {
            self.balance.fetch_sub(1, SeqCst);
        }
    }

    /// Waits for a task. `None` when this worker is to stop; the thread is
    /// then no longer counted.
    fn wait_for_task(&self, queue: &Queue) -> Option<Task> {
        if !self.elastic {
            return queue.take(None);
        }
        loop {
            if let Some(task) = queue.take(Some(self.keep_alive)) {
                return Some(task);
            }
            if self.try_retire(queue) {
                return None;
            }
        }
    }

    /// An idle worker above the core size leaves, unless a task arrived
    /// that counted on it being idle.
    fn try_retire(&self, queue: &Queue) -> bool {
        let core = self.core;
        let left = self
            .threads
            .fetch_update(SeqCst, SeqCst, |n| (n > core).then(|| n - 1));
        if left.is_err() {
            return false;
        }
        let unserved = self.balance.fetch_add(1, SeqCst) + 1;
        if unserved > 0 && self.try_add_thread(self.max) {
            if !queue.gate.is_closed() {
                self.balance.fetch_sub(1, SeqCst);
                return false;
            }
            // Closing counted the workers already: the others drain the queue.
            self.threads.fetch_sub(1, SeqCst);
        }
        true
    }

    /// Lets every worker go once the queue is drained: no worker can start
    /// any more, and each one gets a `Stop` behind the queued tasks.
    pub(super) fn stop(&self, queue: &Queue) {
        self.alive_tx.lock().take();
        queue.push_stops(self.threads.load(SeqCst));
    }

    /// Waits until every worker has exited, or until `deadline`.
    pub(super) fn wait_stopped(&self, deadline: Option<Instant>) -> bool {
        let gone = runtime::suspended(|| match deadline {
            None => self.alive_rx.recv().is_err(),
            Some(deadline) => matches!(
                self.alive_rx.recv_deadline(deadline),
                Err(RecvTimeoutError::Disconnected)
            ),
        });
        if gone {
            let handles = std::mem::take(&mut *self.handles.lock());
            for handle in handles {
                // A worker never panics: listener panics are caught.
                let _ = handle.join();
            }
        }
        gone
    }

    pub(super) fn is_stopped(&self) -> bool {
        matches!(
            self.alive_rx.try_recv(),
            Err(crossbeam_channel::TryRecvError::Disconnected)
        )
    }
}

/// The queue and pool of `dest`, for a worker (or a sender doing a
/// worker's job) to serve once the destination it replaced has stopped:
/// so order holds across a replace.
fn serve(dest: &Destination) -> (&Queue, &Pool) {
    let queued = dest
        .queued
        .as_ref()
        .expect("workers serve queued destinations");
    let predecessor = queued.pool.predecessor.lock().clone();
    if let Some(predecessor) = predecessor {
        predecessor.wait_stopped(None);
        queued.pool.predecessor.lock().take();
    }
    (&queued.queue, &queued.pool)
}

/// The job of a worker the system refused to start, done in the thread
/// that asked for it: runs the queued tasks until none is left, then gives
/// the place it holds in `threads` back, and takes it again if a task came
/// meanwhile that no worker will take (its sender saw the place taken).
/// Holding `alive`, it makes a shutdown wait for it as for a worker.
fn drain_here(dest: &Arc<Destination>, _alive: Sender<()>) {
    let (queue, pool) = serve(dest);
    let mut listeners = dest.listeners.cache();
    loop {
        while let Some(task) = queue.try_take() {
            queue.taken(&task);
            if let Task::Stop = task {
                pool.threads.fetch_sub(1, SeqCst);
                return;
            }
            pool.claim();
            pool.active.fetch_add(1, Relaxed);
            dest.run(task, pool.discard.load(Relaxed), &mut listeners);
            pool.active.fetch_sub(1, Relaxed);
        }
        pool.threads.fetch_sub(1, SeqCst);
        if queue.pending() == 0 || !pool.try_add_thread(pool.core) {
            return;
        }
    }
}

/// The body of a worker thread.
fn work(dest: Arc<Destination>, _alive: Sender<()>) {
    WORKER_OF.set(dest.bus_id);
    let (queue, pool) = serve(&dest);
    let mut listeners = dest.listeners.cache();
    let mut busy = false;
    runtime::become_worker();
    loop {
        let task = match queue.try_take() {
            Some(task) => {
                pool.claim();
                task
            }
            None => {
                runtime::idle();
                if busy {
                    pool.active.fetch_sub(1, Relaxed);
                    busy = false;
                }
                pool.claim();
                match pool.wait_for_task(queue) {
                    Some(task) => task,
                    None => return,
                }
            }
        };
        queue.taken(&task);
        if let Task::Stop = task {
            break;
        }
        if !busy {
            pool.active.fetch_add(1, Relaxed);
            busy = true;
        }
        dest.run(task, pool.discard.load(Relaxed), &mut listeners);
    }
    runtime::idle();
    if busy {
        pool.active.fetch_sub(1, Relaxed);
    }
    pool.threads.fetch_sub(1, SeqCst);
}
