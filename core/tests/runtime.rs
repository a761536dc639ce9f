//! Language runtimes: a listener registered in a runtime runs holding its
//! lock, listeners of no runtime and the bus's waits never do, and a
//! worker stays inside a runtime across a run of its listeners' calls.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread::{self, ThreadId};

use common::{Latch, Valve, held};
use msgbus::{
    DestinationConfig, DestinationType, Error, MessageBus, RejectionPolicy, Runtime, RuntimeHooks,
    Value,
};
use parking_lot::{Condvar, Mutex};

/// A global lock in the manner of CPython's GIL, with PyGILState's
/// tokens: `enter` on a thread that holds it only counts (token 1), and
/// `suspend` lets go of every level the thread holds.
#[derive(Default)]
struct Gil {
    owner: Mutex<Option<(ThreadId, usize)>>,
    freed: Condvar,
    enters: AtomicUsize,
    suspends: AtomicUsize,
    /// What `interrupted` answers (a pending Ctrl-C).
    interrupt: AtomicBool,
}

impl Gil {
    fn held_here(&self) -> bool {
        matches!(*self.owner.lock(), Some((id, _)) if id == thread::current().id())
    }

    fn take(&self, depth: usize) {
        let mut owner = self.owner.lock();
        while owner.is_some() {
            self.freed.wait(&mut owner);
        }
        *owner = Some((thread::current().id(), depth));
    }

    fn give_back(&self) -> usize {
        let mut owner = self.owner.lock();
        let (_, depth) = owner.take().expect("held");
        self.freed.notify_all();
        depth
    }

    /// Waits until `done` holds, checked whenever the lock is let go of.
    fn wait_until(&self, done: impl Fn(&Option<(ThreadId, usize)>) -> bool) -> bool {
        let mut owner = self.owner.lock();
        let deadline = std::time::Instant::now() + common::PATIENCE;
        while !done(&owner) {
            if self.freed.wait_until(&mut owner, deadline).timed_out() {
                return done(&owner);
            }
        }
        true
    }

    /// Waits until no thread holds the lock.
    fn wait_free(&self) -> bool {
        self.wait_until(Option::is_none)
    }

    /// Waits until the lock was suspended `count` times.
    fn wait_suspends(&self, count: usize) -> bool {
        self.wait_until(|_| self.suspends.load(SeqCst) >= count)
    }
}

struct Hooks(Arc<Gil>);

impl RuntimeHooks for Hooks {
    fn enter(&self) -> usize {
        self.0.enters.fetch_add(1, SeqCst);
        if self.0.held_here() {
            if let Some((_, depth)) = self.0.owner.lock().as_mut() {
                *depth += 1;
            }
            return 1;
        }
        self.0.take(1);
        0
    }

    fn leave(&self, token: usize) {
        if token == 1 {
            if let Some((_, depth)) = self.0.owner.lock().as_mut() {
                *depth -= 1;
            }
        } else {
            self.0.give_back();
        }
    }

    fn suspend(&self) -> usize {
        if !self.0.held_here() {
            return 0;
        }
        let depth = self.0.give_back();
        self.0.suspends.fetch_add(1, SeqCst);
        self.0.freed.notify_all();
        depth
    }

    fn resume(&self, token: usize) {
        if token != 0 {
            self.0.take(token);
        }
    }

    fn interrupted(&self) -> bool {
        assert!(self.0.held_here(), "asked with the lock held");
        self.0.interrupt.load(SeqCst)
    }
}

fn runtime() -> (Arc<Gil>, Runtime) {
    let gil = Arc::new(Gil::default());
    (gil.clone(), Runtime::register(Hooks(gil)).unwrap())
}

#[test]
fn a_worker_enters_once_for_a_run_of_queued_messages_and_leaves_before_it_waits() {
    let (gil, runtime) = runtime();
    let bus = MessageBus::new();
    bus.add_destination("acme/s", DestinationType::Serial)
        .unwrap();
    let (valve, entered, done) = (Valve::closed(), Latch::new(1), Latch::new(10));
    let outside = Arc::new(AtomicUsize::new(0));
    let (first, counted, lock, seen) = (
        held(&valve, &entered),
        done.clone(),
        gil.clone(),
        outside.clone(),
    );
    bus.register_listener_in("acme/s", &runtime, move |m| {
        if !lock.held_here() {
            seen.fetch_add(1, SeqCst);
        }
        if m.payload().as_int() == Some(0) {
            first(m)?;
        }
        counted.count_down();
        Ok(())
    })
    .unwrap();
    for i in 0..10 {
        bus.send("acme/s", Value::from(i as i64)).unwrap();
        if i == 0 {
            assert!(entered.wait());
        }
    }
    valve.open();
    assert!(done.wait());
    assert!(gil.wait_free(), "the worker left before waiting for more");
    assert_eq!(outside.load(SeqCst), 0, "every call held the lock");
    assert_eq!(
        gil.enters.load(SeqCst),
        1,
        "the nine queued joined the first"
    );
    bus.shutdown(false, None).unwrap();
}

#[test]
fn a_listener_of_no_runtime_runs_outside_between_two_that_run_inside() {
    let (gil, runtime) = runtime();
    let bus = MessageBus::new();
    bus.add_destination("acme/s", DestinationType::Serial)
        .unwrap();
    let done = Latch::new(3);
    let held_by = Arc::new(Mutex::new(Vec::new()));
    for in_runtime in [true, false, true] {
        let (lock, record, counted) = (gil.clone(), held_by.clone(), done.clone());
        let listener = move |_: &msgbus::Message| {
            record.lock().push(lock.held_here());
            counted.count_down();
            Ok(())
        };
        if in_runtime {
            bus.register_listener_in("acme/s", &runtime, listener)
        } else {
            bus.register_listener("acme/s", listener)
        }
        .unwrap();
    }
    bus.send("acme/s", Value::Null).unwrap();
    assert!(done.wait());
    assert_eq!(*held_by.lock(), [true, false, true]);
    assert!(gil.wait_free());
    bus.shutdown(false, None).unwrap();
}

#[test]
fn a_sender_holding_the_lock_lets_go_of_it_for_a_listener_of_no_runtime_only() {
    let (gil, runtime) = runtime();
    let bus = MessageBus::new();
    bus.add_destination("acme/sync", DestinationType::Synchronous)
        .unwrap();
    let held_by = Arc::new(Mutex::new(Vec::new()));
    for in_runtime in [false, true] {
        let (lock, record) = (gil.clone(), held_by.clone());
        let listener = move |_: &msgbus::Message| {
            record.lock().push(lock.held_here());
            Ok(())
        };
        if in_runtime {
            bus.register_listener_in("acme/sync", &runtime, listener)
        } else {
            bus.register_listener("acme/sync", listener)
        }
        .unwrap();
    }
    gil.take(1);
    bus.send("acme/sync", Value::Null).unwrap();
    assert!(gil.held_here(), "held again after the send");
    assert_eq!(gil.give_back(), 1, "at the depth it had");
    assert_eq!(*held_by.lock(), [false, true]);
    assert_eq!(gil.suspends.load(SeqCst), 1);

    bus.send("acme/sync", Value::Null).unwrap();
    assert_eq!(*held_by.lock(), [false, true, false, true]);
    assert_eq!(gil.suspends.load(SeqCst), 1, "nothing to let go of");
    assert!(!gil.held_here());
}

#[test]
fn a_sender_waiting_for_room_lets_go_of_the_lock() {
    let (gil, runtime) = runtime();
    let bus = MessageBus::new();
    let config = DestinationConfig::new(DestinationType::Serial)
        .max_queue_size(1)
        .rejection_policy(RejectionPolicy::Block {
            timeout: common::PATIENCE,
        });
    bus.add_destination_with_config("acme/s", config).unwrap();
    let (valve, entered, done) = (Valve::closed(), Latch::new(1), Latch::new(3));
    bus.register_listener("acme/s", held(&valve, &entered))
        .unwrap();
    let counted = done.clone();
    bus.register_listener_in("acme/s", &runtime, move |_| {
        counted.count_down();
        Ok(())
    })
    .unwrap();
    bus.send("acme/s", Value::from(1)).unwrap();
    assert!(entered.wait());
    bus.send("acme/s", Value::from(2)).unwrap();
    let sender = thread::spawn({
        let (bus, gil) = (bus.clone(), gil.clone());
        move || {
            gil.take(1);
            let sent = bus.send("acme/s", Value::from(3));
            (sent, gil.give_back())
        }
    });
    // The worker's listener of the runtime needs the lock the blocked
    // sender took: it runs only because the sender let go of it.
    assert!(gil.wait_suspends(1));
    valve.open();
    assert_eq!(sender.join().unwrap(), (Ok(()), 1));
    assert!(done.wait());
    bus.shutdown(false, None).unwrap();
}

#[test]
fn unregistering_from_a_thread_holding_the_lock_lets_the_running_call_finish() {
    let (gil, runtime) = runtime();
    let bus = MessageBus::new();
    bus.add_destination("acme/s", DestinationType::Serial)
        .unwrap();
    let (valve, entered) = (Valve::closed(), Latch::new(1));
    let (hooks, wait) = (Hooks(gil.clone()), held(&valve, &entered));
    // Lets go of the lock while it waits, as a Python listener does in a
    // blocking call, and needs it back to return.
    let id = bus
        .register_listener_in("acme/s", &runtime, move |m| {
            let token = hooks.suspend();
            let waited = wait(m);
            hooks.resume(token);
            waited
        })
        .unwrap();
    bus.send("acme/s", Value::Null).unwrap();
    assert!(entered.wait());
    let suspends = gil.suspends.load(SeqCst);
    let opener = thread::spawn({
        let (valve, gil) = (valve.clone(), gil.clone());
        move || {
            assert!(gil.wait_suspends(suspends + 1), "unregister let go");
            valve.open();
        }
    });
    gil.take(1);
    bus.unregister_listener(id).unwrap();
    assert_eq!(gil.give_back(), 1);
    opener.join().unwrap();
    assert!(gil.wait_free());
    bus.shutdown(false, None).unwrap();
}

#[test]
fn a_runtime_interrupts_a_sender_waiting_for_room_and_the_message_is_not_counted() {
    let (gil, _runtime) = runtime();
    let bus = MessageBus::new();
    let config = DestinationConfig::new(DestinationType::Serial)
        .max_queue_size(1)
        .rejection_policy(RejectionPolicy::Block {
            timeout: common::PATIENCE,
        });
    bus.add_destination_with_config("acme/full", config)
        .unwrap();
    let (valve, entered) = (Valve::closed(), Latch::new(1));
    bus.register_listener("acme/full", held(&valve, &entered))
        .unwrap();
    bus.send("acme/full", Value::from(1)).unwrap();
    assert!(entered.wait());
    bus.send("acme/full", Value::from(2)).unwrap();
    let interrupter = thread::spawn({
        let gil = gil.clone();
        move || {
            assert!(gil.wait_suspends(1), "the sender waits");
            gil.interrupt.store(true, SeqCst);
        }
    });
    gil.take(1);
    assert_eq!(
        bus.send("acme/full", Value::from(3)),
        Err(Error::Interrupted)
    );
    assert_eq!(
        gil.give_back(),
        1,
        "the sender has the lock back as it had it"
    );
    interrupter.join().unwrap();
    valve.open();
    bus.shutdown(false, None).unwrap();
    let stats = bus.destination_statistics("acme/full").unwrap();
    assert_eq!(
        (
            stats.sent_message_count,
            stats.delivered_message_count,
            stats.rejected_message_count
        ),
        (2, 2, 0)
    );
}

#[test]
fn a_runtime_interrupts_an_unregister_and_the_last_call_releases_the_listener() {
    let (gil, runtime) = runtime();
    let bus = MessageBus::new();
    bus.add_destination("acme/s", DestinationType::Serial)
        .unwrap();
    let (valve, entered, released) = (Valve::closed(), Latch::new(1), Latch::new(1));
    struct OnRelease(Latch);
    impl Drop for OnRelease {
        fn drop(&mut self) {
            self.0.count_down();
        }
    }
    let (hooks, wait, guard) = (
        Hooks(gil.clone()),
        held(&valve, &entered),
        OnRelease(released.clone()),
    );
    let id = bus
        .register_listener_in("acme/s", &runtime, move |m| {
            let _ = &guard;
            let token = hooks.suspend();
            let waited = wait(m);
            hooks.resume(token);
            waited
        })
        .unwrap();
    bus.send("acme/s", Value::Null).unwrap();
    assert!(entered.wait());
    let interrupter = thread::spawn({
        let gil = gil.clone();
        move || {
            let suspends = gil.suspends.load(SeqCst);
            assert!(gil.wait_suspends(suspends + 1), "unregister waits");
            gil.interrupt.store(true, SeqCst);
        }
    });
    gil.take(1);
    assert_eq!(bus.unregister_listener(id), Err(Error::Interrupted));
    gil.interrupt.store(false, SeqCst);
    assert_eq!(gil.give_back(), 1);
    interrupter.join().unwrap();
    assert!(!bus.has_listener("acme/s"), "unregistered all the same");
    assert_eq!(released.count(), 1, "the running call still holds it");
    valve.open();
    assert!(released.wait(), "released as the call returns");
    bus.shutdown(false, None).unwrap();
}
