//! Thread hooks: a worker runs each run of queued messages as one batch
//! inside `run_batch`, and a sender's wait for room runs inside `block`.

mod common;

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::Duration;

use common::{Latch, Valve, held};
use msgbus::{DestinationConfig, DestinationType, MessageBus, RejectionPolicy, ThreadHooks, Value};

thread_local! {
    static IN_BATCH: Cell<bool> = const { Cell::new(false) };
}

/// Counts batches and blocking waits, and marks the thread while inside.
#[derive(Default)]
struct Counting {
    batches: AtomicUsize,
    blocks: AtomicUsize,
    /// Counted down when a wait starts.
    blocking: Option<Latch>,
}

impl ThreadHooks for Counting {
    fn run_batch(&self, batch: &mut dyn FnMut()) {
        self.batches.fetch_add(1, SeqCst);
        IN_BATCH.set(true);
        batch();
        IN_BATCH.set(false);
    }

    fn block(&self, wait: &mut (dyn FnMut() + Send)) {
        self.blocks.fetch_add(1, SeqCst);
        if let Some(latch) = &self.blocking {
            latch.count_down();
        }
        wait();
    }
}

#[test]
fn messages_queued_behind_a_busy_worker_run_in_its_batch() {
    let hooks = Arc::new(Counting::default());
    let bus = MessageBus::with_hooks(hooks.clone());
    bus.add_destination("acme/s", DestinationType::Serial)
        .unwrap();
    let (valve, entered, done) = (Valve::closed(), Latch::new(1), Latch::new(10));
    let outside = Arc::new(AtomicUsize::new(0));
    let (first, counted) = (held(&valve, &entered), done.clone());
    let seen_outside = outside.clone();
    bus.register_listener("acme/s", move |m| {
        if !IN_BATCH.get() {
            seen_outside.fetch_add(1, SeqCst);
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
    assert_eq!(outside.load(SeqCst), 0, "every call inside a batch");
    assert_eq!(
        hooks.batches.load(SeqCst),
        1,
        "the nine queued joined the first"
    );
    bus.shutdown(false, None).unwrap();
}

#[test]
fn a_sender_waits_for_room_inside_the_block_hook() {
    let blocking = Latch::new(1);
    let hooks = Arc::new(Counting {
        blocking: Some(blocking.clone()),
        ..Counting::default()
    });
    let bus = MessageBus::with_hooks(hooks.clone());
    let config = DestinationConfig::new(DestinationType::Serial)
        .max_queue_size(1)
        .rejection_policy(RejectionPolicy::Block {
            timeout: Duration::from_secs(20),
        });
    bus.add_destination_with_config("acme/s", config).unwrap();
    let (valve, entered, done) = (Valve::closed(), Latch::new(1), Latch::new(3));
    bus.register_listener("acme/s", held(&valve, &entered))
        .unwrap();
    let counted = done.clone();
    bus.register_listener("acme/s", move |_| {
        counted.count_down();
        Ok(())
    })
    .unwrap();
    bus.send("acme/s", Value::from(1)).unwrap();
    assert!(entered.wait());
    bus.send("acme/s", Value::from(2)).unwrap();
    assert_eq!(hooks.blocks.load(SeqCst), 0, "room for the second");
    let sender = thread::spawn({
        let bus = bus.clone();
        move || bus.send("acme/s", Value::from(3))
    });
    assert!(blocking.wait());
    valve.open();
    assert_eq!(sender.join().unwrap(), Ok(()));
    assert!(done.wait());
    assert_eq!(hooks.blocks.load(SeqCst), 1);
    bus.shutdown(false, None).unwrap();
}
