//! Shutdown: graceful drains, forced discards (counted), dropping the last
//! handle shuts down, and no thread outlives its bus. Also the statistics'
//! conservation law under load.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

use common::{Latch, PATIENCE, Valve, held};
use msgbus::{DestinationConfig, DestinationType, Error, Message, MessageBus, RejectionPolicy};

#[test]
fn graceful_shutdown_delivers_everything_queued() {
    let bus = MessageBus::new();
    bus.add_destination("acme/s", DestinationType::Serial)
        .unwrap();
    bus.add_destination("acme/p", DestinationType::Parallel)
        .unwrap();
    let valve = Valve::closed();
    let delivered = Arc::new(AtomicUsize::new(0));
    for name in ["acme/s", "acme/p"] {
        for _ in 0..2 {
            let (valve, delivered) = (valve.clone(), delivered.clone());
            bus.register_listener(name, move |_| {
                valve.pass();
                delivered.fetch_add(1, SeqCst);
                Ok(())
            })
            .unwrap();
        }
        for i in 0..1000 {
            bus.send(name, Message::with_payload(i as i64)).unwrap();
        }
    }
    let opener = {
        let valve = valve.clone();
        thread::spawn(move || valve.open())
    };
    bus.shutdown(false, None).unwrap();
    opener.join().unwrap();
    assert_eq!(delivered.load(SeqCst), 2 * 2 * 1000);
    for name in ["acme/s", "acme/p"] {
        let stats = bus.destination_statistics(name).unwrap();
        assert_eq!(stats.delivered_message_count, 1000);
        assert_eq!(
            (stats.pending_message_count, stats.current_thread_count),
            (0, 0)
        );
    }
}

#[test]
fn forced_shutdown_discards_the_queue_counts_it_and_waits_for_running_calls() {
    let bus = MessageBus::new();
    bus.add_destination("acme/f", DestinationType::Serial)
        .unwrap();
    let (valve, entered) = (Valve::closed(), Latch::new(1));
    let finished = Arc::new(AtomicBool::new(false));
    {
        let (valve, entered, finished) = (valve.clone(), entered.clone(), finished.clone());
        bus.register_listener("acme/f", move |_| {
            entered.count_down();
            valve.pass();
            finished.store(true, SeqCst);
            Ok(())
        })
        .unwrap();
    }
    for i in 0..100 {
        bus.send("acme/f", Message::with_payload(i as i64)).unwrap();
    }
    assert!(entered.wait());
    // The valve opens once the forced shutdown has discarded the queue:
    // opened sooner, the worker could deliver the queue first.
    let opener = {
        let (valve, bus) = (valve.clone(), bus.clone());
        thread::spawn(move || {
            let deadline = Instant::now() + PATIENCE;
            while bus
                .destination_statistics("acme/f")
                .unwrap()
                .discarded_message_count
                < 99
            {
                assert!(
                    Instant::now() < deadline,
                    "the forced shutdown discarded nothing"
                );
                thread::yield_now();
            }
            valve.open()
        })
    };
    bus.shutdown(true, None).unwrap();
    assert!(finished.load(SeqCst), "the running call was waited for");
    opener.join().unwrap();
    let stats = bus.destination_statistics("acme/f").unwrap();
    assert_eq!(
        (stats.delivered_message_count, stats.discarded_message_count),
        (1, 99)
    );
}

/// Counts its drops: a payload whose message was freed.
struct Freed(Arc<AtomicUsize>);

impl Drop for Freed {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn a_forced_shutdown_discards_the_queue_at_once_while_a_call_is_stuck() {
    let mut figures = (0, 0, 0);
    for kind in [DestinationType::Serial, DestinationType::Parallel] {
        let bus = MessageBus::new();
        let config = DestinationConfig::new(kind).workers(1, 1);
        bus.add_destination_with_config("acme/stuck", config)
            .unwrap();
        let (valve, entered) = (Valve::closed(), Latch::new(1));
        bus.register_listener("acme/stuck", held(&valve, &entered))
            .unwrap();
        let freed = Arc::new(AtomicUsize::new(0));
        for _ in 0..4 {
            let payload = msgbus::Object::new(Freed(freed.clone()));
            bus.send("acme/stuck", Message::with_payload(payload))
                .unwrap();
        }
        assert!(entered.wait());
        let short = Duration::from_millis(100);
        assert_eq!(bus.shutdown(true, Some(short)), Err(Error::Timeout(short)));
        let stats = bus.destination_statistics("acme/stuck").unwrap();
        assert_eq!(
            (stats.pending_message_count, stats.discarded_message_count),
            (0, 3),
            "{kind:?}: discarded while the call runs"
        );
        assert_eq!(freed.load(SeqCst), 3, "{kind:?}: their payloads freed");
        figures = (
            stats.pending_message_count,
            stats.discarded_message_count,
            freed.load(SeqCst),
        );
        valve.open();
        bus.shutdown(true, Some(PATIENCE)).unwrap();
        let stats = bus.destination_statistics("acme/stuck").unwrap();
        assert_eq!(
            (stats.delivered_message_count, stats.discarded_message_count),
            (1, 3)
        );
    }
    let (pending, discarded, freed) = figures;
    println!(
        "RELIABILITY forced_shutdown_stuck queued=3 pending={pending} discarded={discarded} freed={freed}"
    );
}

#[test]
fn shutdown_times_out_while_a_listener_is_stuck_and_can_finish_later() {
    let bus = MessageBus::new();
    bus.add_destination("acme/stuck", DestinationType::Serial)
        .unwrap();
    let (valve, entered) = (Valve::closed(), Latch::new(1));
    bus.register_listener("acme/stuck", held(&valve, &entered))
        .unwrap();
    bus.send("acme/stuck", "x").unwrap();
    bus.send("acme/stuck", "y").unwrap();
    assert!(entered.wait());
    let short = Duration::from_millis(20);
    assert_eq!(bus.shutdown(false, Some(short)), Err(Error::Timeout(short)));
    valve.open();
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    assert_eq!(
        bus.destination_statistics("acme/stuck")
            .unwrap()
            .delivered_message_count,
        2
    );
}

#[test]
fn shutdown_from_inside_a_listener_does_not_deadlock() {
    let bus = MessageBus::new();
    bus.add_destination("acme/inside", DestinationType::Serial)
        .unwrap();
    let done = Latch::new(1);
    {
        let (weak, done) = (bus.downgrade(), done.clone());
        bus.register_listener("acme/inside", move |_| {
            weak.upgrade()
                .unwrap()
                .shutdown(false, Some(PATIENCE))
                .unwrap();
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    bus.send("acme/inside", "stop").unwrap();
    assert!(done.wait());
    bus.shutdown(false, Some(PATIENCE)).unwrap();
}

/// Counts up when the thread that set it exits (thread-local destructor).
struct CountOnExit(Arc<AtomicUsize>);

impl Drop for CountOnExit {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

thread_local! {
    static ON_EXIT: std::cell::RefCell<Option<CountOnExit>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn dropping_the_last_handle_drains_and_joins_every_worker() {
    let exits = Arc::new(AtomicUsize::new(0));
    let workers = Arc::new(AtomicUsize::new(0));
    let delivered = Arc::new(AtomicUsize::new(0));
    let valve = Valve::closed();
    {
        let bus = MessageBus::new();
        bus.add_destination("acme/d", DestinationType::Parallel)
            .unwrap();
        let (exits, workers, delivered, gate) = (
            exits.clone(),
            workers.clone(),
            delivered.clone(),
            valve.clone(),
        );
        bus.register_listener("acme/d", move |_| {
            gate.pass();
            ON_EXIT.with(|slot| {
                slot.borrow_mut().get_or_insert_with(|| {
                    workers.fetch_add(1, SeqCst);
                    CountOnExit(exits.clone())
                });
            });
            delivered.fetch_add(1, SeqCst);
            Ok(())
        })
        .unwrap();
        for i in 0..500 {
            bus.send("acme/d", Message::with_payload(i as i64)).unwrap();
        }
        valve.open();
    }
    assert_eq!(delivered.load(SeqCst), 500);
    assert!(workers.load(SeqCst) >= 1);
    assert_eq!(
        exits.load(SeqCst),
        workers.load(SeqCst),
        "every worker exited"
    );
}

#[test]
fn conservation_law_holds_after_graceful_shutdown_under_load() {
    let bus = MessageBus::new();
    let configs = [
        (
            "acme/law-serial",
            DestinationConfig::new(DestinationType::Serial).max_queue_size(64),
        ),
        (
            "acme/law-parallel",
            DestinationConfig::new(DestinationType::Parallel)
                .max_queue_size(64)
                .rejection_policy(RejectionPolicy::Block {
                    timeout: Duration::from_micros(50),
                }),
        ),
        (
            "acme/law-runs",
            DestinationConfig::new(DestinationType::Parallel)
                .max_queue_size(8)
                .rejection_policy(RejectionPolicy::CallerRuns),
        ),
        (
            "acme/law-sync",
            DestinationConfig::new(DestinationType::Synchronous),
        ),
    ];
    for (name, config) in &configs {
        bus.add_destination_with_config(name, config.clone())
            .unwrap();
        bus.register_listener(name, |m| match m.payload().as_int() {
            Some(i) if i % 7 == 0 => Err("sevens fail".into()),
            Some(i) if i % 11 == 0 => panic!("elevens panic"),
            _ => Ok(()),
        })
        .unwrap();
        bus.register_listener(name, |_| Ok(())).unwrap();
    }
    let sent_ok = Arc::new(AtomicUsize::new(0));
    thread::scope(|s| {
        for t in 0..4i64 {
            let (bus, configs, sent_ok) = (&bus, &configs, sent_ok.clone());
            s.spawn(move || {
                for i in 0..5000i64 {
                    for (name, _) in configs {
                        if bus
                            .send(name, Message::with_payload(t * 10_000 + i))
                            .is_ok()
                        {
                            sent_ok.fetch_add(1, SeqCst);
                        }
                    }
                }
            });
        }
        // A listener that comes and goes while the senders run.
        let bus = &bus;
        s.spawn(move || {
            for _ in 0..200 {
                let id = bus
                    .register_listener("acme/law-parallel", |_| Ok(()))
                    .unwrap();
                bus.unregister_listener(id).unwrap();
            }
        });
    });
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    let mut accepted = 0;
    for (name, _) in &configs {
        let s = bus.destination_statistics(name).unwrap();
        assert_eq!(s.sent_message_count, 4 * 5000, "{name}");
        assert_eq!(s.pending_message_count, 0, "{name}");
        assert_eq!(s.discarded_message_count, 0, "{name}");
        assert_eq!(
            s.sent_message_count,
            s.delivered_message_count
                + s.failed_message_count
                + s.rejected_message_count
                + s.dropped_no_listener_count,
            "{name}: {s:?}"
        );
        assert!(s.failed_message_count > 0, "{name}");
        accepted += s.sent_message_count - s.rejected_message_count;
    }
    assert_eq!(accepted as usize, sent_ok.load(SeqCst));
}
