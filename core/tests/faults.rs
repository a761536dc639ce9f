//! Listeners that misbehave all at once — panic, return errors, unregister
//! themselves, send to their own destination, block past a shutdown
//! timeout — on every destination type: the bus stays live, counts each
//! failure, and its shutdown gives up within its timeout.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::Duration;

use common::{Latch, PATIENCE, Valve};
use msgbus::{DestinationConfig, DestinationType, Error, ListenerId, Message, MessageBus, Value};
use parking_lot::Mutex;

const ROUNDS: i64 = 300;
/// How deep a listener resends to its own destination.
const ECHOES: i64 = 3;
const ECHO: i64 = 1_000_000;

struct Seen {
    healthy: AtomicU64,
    /// Counted down by the healthy listener: every message, echoes included.
    all_heard: Latch,
    echoes: AtomicU64,
    self_unregistered_calls: AtomicU64,
}

fn faulty_destination(bus: &MessageBus, name: &str, seen: &Arc<Seen>) {
    // Panics on multiples of 5, refuses multiples of 3.
    bus.register_listener(name, |m| match m.payload().as_int() {
        Some(n) if n < ECHO && n % 5 == 0 => panic!("fault: panic on {n}"),
        Some(n) if n < ECHO && n % 3 == 0 => Err(format!("fault: refused {n}").into()),
        _ => Ok(()),
    })
    .unwrap();
    // Sends to its own destination, ECHOES deep.
    {
        let (weak, name, seen) = (bus.downgrade(), name.to_string(), seen.clone());
        bus.register_listener(&name.clone(), move |m| {
            let n = m.payload().as_int().unwrap_or(0);
            if n >= ECHO {
                seen.echoes.fetch_add(1, SeqCst);
            }
            if n < ECHO && n % 10 == 1 || (ECHO..ECHO + ECHOES - 1).contains(&n) {
                let next = if n < ECHO { ECHO } else { n + 1 };
                if let Some(bus) = weak.upgrade() {
                    bus.send(&name, Message::with_payload(next)).unwrap();
                }
            }
            Ok(())
        })
        .unwrap();
    }
    // Unregisters itself on its tenth call.
    {
        let (weak, seen) = (bus.downgrade(), seen.clone());
        let me: Arc<Mutex<Option<ListenerId>>> = Arc::default();
        let id = {
            let me = me.clone();
            bus.register_listener(name, move |_| {
                if seen.self_unregistered_calls.fetch_add(1, SeqCst) + 1 == 10 {
                    let id = me.lock().take().expect("registered");
                    weak.upgrade().unwrap().unregister_listener(id).unwrap();
                }
                Ok(())
            })
            .unwrap()
        };
        *me.lock() = Some(id);
    }
    let seen = seen.clone();
    bus.register_listener(name, move |_| {
        seen.healthy.fetch_add(1, SeqCst);
        seen.all_heard.count_down();
        Ok(())
    })
    .unwrap();
}

#[test]
fn faulty_listeners_are_counted_and_the_bus_stays_live() {
    let (mut messages_total, mut failures_total) = (0, 0);
    for kind in [
        DestinationType::Serial,
        DestinationType::Parallel,
        DestinationType::Synchronous,
    ] {
        let bus = MessageBus::new();
        let name = format!("acme/faults-{kind}");
        bus.add_destination(&name, kind).unwrap();
        let echo_chains = (0..ROUNDS).filter(|n| n % 10 == 1).count() as u64;
        let messages = ROUNDS as u64 + echo_chains * ECHOES as u64;
        let seen = Arc::new(Seen {
            healthy: AtomicU64::new(0),
            all_heard: Latch::new(messages as usize),
            echoes: AtomicU64::new(0),
            self_unregistered_calls: AtomicU64::new(0),
        });
        faulty_destination(&bus, &name, &seen);
        for n in 0..ROUNDS {
            bus.send(&name, Message::with_payload(n)).unwrap();
        }
        // Echoes are sent from listeners: they must be in before the shutdown.
        assert!(seen.all_heard.wait(), "{kind}");
        bus.shutdown(false, Some(PATIENCE)).unwrap();

        let failing = (0..ROUNDS).filter(|n| n % 5 == 0 || n % 3 == 0).count() as u64;
        let s = bus.destination_statistics(&name).unwrap();
        assert_eq!(seen.healthy.load(SeqCst), messages, "{kind}: {s:?}");
        assert_eq!(
            seen.echoes.load(SeqCst),
            echo_chains * ECHOES as u64,
            "{kind}"
        );
        // Unregistering from inside a call does not wait for the calls
        // other workers of a parallel destination started before it: up
        // to one each (of the 5 at most) may end after the tenth.
        let calls = seen.self_unregistered_calls.load(SeqCst);
        match kind {
            DestinationType::Parallel => assert!((10..=14).contains(&calls), "{kind}: {calls}"),
            _ => assert_eq!(calls, 10, "{kind}"),
        }
        assert_eq!(s.sent_message_count, messages, "{kind}");
        assert_eq!(s.failed_message_count, failing, "{kind}");
        assert_eq!(s.delivered_message_count, messages - failing, "{kind}");
        assert_eq!(
            s.listener_count, 3,
            "{kind}: the self-unregistered one is gone"
        );
        messages_total += messages;
        failures_total += failing;
    }
    println!(
        "RELIABILITY listener_faults destination_types=3 messages={messages_total} failed_messages={failures_total}"
    );
}

#[test]
fn a_listener_blocked_past_the_shutdown_timeout_does_not_hold_the_shutdown() {
    for kind in [DestinationType::Serial, DestinationType::Parallel] {
        let bus = MessageBus::new();
        let name = format!("acme/blocked-{kind}");
        bus.add_destination(&name, kind).unwrap();
        let (valve, entered) = (Valve::closed(), Latch::new(1));
        {
            let (valve, entered) = (valve.clone(), entered.clone());
            bus.register_listener(&name, move |m| {
                if m.payload().as_int() == Some(0) {
                    entered.count_down();
                    valve.pass();
                }
                Ok(())
            })
            .unwrap();
        }
        for n in 0..10i64 {
            bus.send(&name, Message::with_payload(n)).unwrap();
        }
        assert!(entered.wait());
        let timeout = Duration::from_millis(50);
        assert_eq!(
            bus.shutdown(false, Some(timeout)),
            Err(Error::Timeout(timeout))
        );
        assert!(matches!(bus.send(&name, "after"), Err(Error::Closed(_))));
        valve.open();
        bus.shutdown(false, Some(PATIENCE)).unwrap();
        let s = bus.destination_statistics(&name).unwrap();
        assert_eq!(
            s.delivered_message_count, 10,
            "{kind}: nothing queued was lost"
        );
    }
}

/// A destination whose worker the system refuses to start (here: a stack
/// no address space can hold) loses nothing: the sending threads deliver
/// the queue in its place, one at a time for a serial destination, in
/// each sender's order, and every message is accounted for.
#[test]
fn a_worker_that_cannot_start_leaves_its_messages_to_the_senders() {
    common::logs::install();
    let mut totals = (0, 0, 0);
    for kind in [DestinationType::Serial, DestinationType::Parallel] {
        let bus = MessageBus::new();
        let config = DestinationConfig::new(kind).stack_size(1 << 50);
        bus.add_destination_with_config("acme/no_threads", config)
            .unwrap();
        let (inside, most_inside) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        {
            let (inside, most_inside, seen) = (inside.clone(), most_inside.clone(), seen.clone());
            bus.register_listener("acme/no_threads", move |m| {
                let now = inside.fetch_add(1, SeqCst) + 1;
                most_inside.fetch_max(now, SeqCst);
                seen.lock().push(m.payload().as_int().unwrap());
                inside.fetch_sub(1, SeqCst);
                Ok(())
            })
            .unwrap();
        }
        let senders: Vec<_> = (0..3i64)
            .map(|sender| {
                let bus = bus.clone();
                thread::spawn(move || {
                    for i in 0..1000 {
                        bus.send("acme/no_threads", Value::from(sender * 10_000 + i))
                            .unwrap();
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.join().unwrap();
        }
        bus.shutdown(false, Some(common::PATIENCE)).unwrap();
        let stats = bus.destination_statistics("acme/no_threads").unwrap();
        assert_eq!(
            (
                stats.sent_message_count,
                stats.delivered_message_count,
                stats.pending_message_count
            ),
            (3000, 3000, 0),
            "{kind:?}"
        );
        totals.0 += stats.sent_message_count;
        totals.1 += stats.delivered_message_count;
        totals.2 += stats.pending_message_count;
        let seen = seen.lock();
        for sender in 0..3i64 {
            let mut mine: Vec<i64> = seen
                .iter()
                .copied()
                .filter(|n| n / 10_000 == sender)
                .collect();
            // Each exactly once; in order where the destination keeps it
            // (senders that drain a parallel one run calls side by side).
            if kind == DestinationType::Parallel {
                mine.sort_unstable();
            }
            assert_eq!(
                mine,
                (0..1000).map(|i| sender * 10_000 + i).collect::<Vec<_>>(),
                "{kind:?}"
            );
        }
        if kind == DestinationType::Serial {
            assert_eq!(most_inside.load(SeqCst), 1, "one call at a time");
        }
    }
    assert!(
        !common::logs::matching(
            log::Level::Error,
            "cannot start a worker for acme/no_threads"
        )
        .is_empty()
    );
    println!(
        "RELIABILITY no_worker sent={} delivered={} pending={}",
        totals.0, totals.1, totals.2
    );
}
