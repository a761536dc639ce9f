//! Destinations and listeners in the registry: add, replace, remove,
//! pending listeners, registration order and unregistration.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;

use common::{Latch, PATIENCE, Recorder, Valve, after, recording};
use msgbus::{
    DEFAULT_RESPONSE_DESTINATION, DestinationConfig, DestinationType, Error, Message, MessageBus,
};

#[test]
fn add_has_names_and_remove() {
    let bus = MessageBus::new();
    assert_eq!(bus.destination_names(), vec![DEFAULT_RESPONSE_DESTINATION]);
    bus.add_destination("acme/b", DestinationType::Serial)
        .unwrap();
    bus.add_destination("acme/a", DestinationType::Parallel)
        .unwrap();
    assert!(bus.has_destination("acme/a"));
    assert_eq!(
        bus.destination_names(),
        vec!["acme/a", "acme/b", DEFAULT_RESPONSE_DESTINATION]
    );
    assert_eq!(
        bus.add_destination("acme/a", DestinationType::Serial),
        Err(Error::DestinationExists("acme/a".into()))
    );
    bus.remove_destination("acme/a").unwrap();
    assert!(!bus.has_destination("acme/a"));
    assert_eq!(
        bus.remove_destination("acme/a"),
        Err(Error::NoSuchDestination("acme/a".into()))
    );
    assert!(matches!(
        bus.remove_destination(DEFAULT_RESPONSE_DESTINATION),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn a_listener_registered_before_its_destination_becomes_active_when_it_is_added() {
    let bus = MessageBus::new();
    let (recorder, done) = (Recorder::new(), Latch::new(1));
    bus.register_listener("acme/later", recording(&recorder, &done))
        .unwrap();
    assert!(!bus.has_listener("acme/later"), "no destination yet");
    assert_eq!(
        bus.send("acme/later", Message::with_payload(0i64)),
        Err(Error::NoSuchDestination("acme/later".into()))
    );
    bus.add_destination("acme/later", DestinationType::Serial)
        .unwrap();
    assert!(bus.has_listener("acme/later"));
    bus.send("acme/later", Message::with_payload(1i64)).unwrap();
    assert!(done.wait());
    assert_eq!(recorder.items(), vec![1]);
}

#[test]
fn removed_destinations_keep_their_listeners_for_the_next_one() {
    let bus = MessageBus::new();
    bus.add_destination("acme/again", DestinationType::Synchronous)
        .unwrap();
    let (recorder, done) = (Recorder::new(), Latch::new(2));
    bus.register_listener("acme/again", recording(&recorder, &done))
        .unwrap();
    bus.send("acme/again", Message::with_payload(1i64)).unwrap();
    bus.remove_destination("acme/again").unwrap();
    bus.add_destination("acme/again", DestinationType::Serial)
        .unwrap();
    bus.send("acme/again", Message::with_payload(2i64)).unwrap();
    assert!(done.wait());
    assert_eq!(recorder.items(), vec![1, 2]);
}

#[test]
fn remove_still_delivers_what_was_queued() {
    let bus = MessageBus::new();
    bus.add_destination("acme/leaving", DestinationType::Serial)
        .unwrap();
    let (valve, recorder, done) = (Valve::closed(), Recorder::new(), Latch::new(100));
    bus.register_listener("acme/leaving", after(&valve, recording(&recorder, &done)))
        .unwrap();
    for i in 0..100 {
        bus.send("acme/leaving", Message::with_payload(i as i64))
            .unwrap();
    }
    bus.remove_destination("acme/leaving").unwrap();
    valve.open();
    assert!(done.wait());
    assert_eq!(recorder.items(), (0..100).collect::<Vec<_>>());
}

#[test]
fn replace_moves_listeners_and_delivers_the_old_queue_first() {
    let bus = MessageBus::new();
    bus.add_destination("acme/swap", DestinationType::Serial)
        .unwrap();
    let (valve, recorder, done) = (Valve::closed(), Recorder::new(), Latch::new(100));
    bus.register_listener("acme/swap", after(&valve, recording(&recorder, &done)))
        .unwrap();
    for i in 0..50 {
        bus.send("acme/swap", Message::with_payload(i as i64))
            .unwrap();
    }
    let config = DestinationConfig::new(DestinationType::Serial).max_queue_size(1000);
    bus.replace_destination("acme/swap", config).unwrap();
    for i in 50..100 {
        bus.send("acme/swap", Message::with_payload(i as i64))
            .unwrap();
    }
    valve.open();
    assert!(done.wait());
    assert_eq!(recorder.items(), (0..100).collect::<Vec<_>>());
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    let stats = bus.destination_statistics("acme/swap").unwrap();
    assert_eq!(
        (stats.sent_message_count, stats.delivered_message_count),
        (100, 100),
        "the counters belong to the name"
    );
}

#[test]
fn a_name_keeps_its_counters_through_remove_and_add() {
    let bus = MessageBus::new();
    bus.add_destination("acme/counted", DestinationType::Serial)
        .unwrap();
    let (valve, done) = (Valve::closed(), Latch::new(3));
    let recorder = Recorder::new();
    bus.register_listener("acme/counted", after(&valve, recording(&recorder, &done)))
        .unwrap();
    bus.send("acme/counted", Message::with_payload(1i64))
        .unwrap();
    bus.remove_destination("acme/counted").unwrap();
    bus.add_destination("acme/counted", DestinationType::Synchronous)
        .unwrap();
    valve.open();
    bus.send("acme/counted", Message::with_payload(2i64))
        .unwrap();
    bus.send("acme/counted", Message::with_payload(3i64))
        .unwrap();
    assert!(done.wait());
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    let stats = bus.destination_statistics("acme/counted").unwrap();
    assert_eq!(
        (stats.sent_message_count, stats.delivered_message_count),
        (3, 3)
    );
}

#[test]
fn replace_adds_when_absent_and_cannot_replace_the_reply_destination() {
    let bus = MessageBus::new();
    bus.replace_destination("acme/new", DestinationType::Parallel.into())
        .unwrap();
    assert!(bus.has_destination("acme/new"));
    assert!(matches!(
        bus.replace_destination(DEFAULT_RESPONSE_DESTINATION, DestinationType::Serial.into()),
        Err(Error::DestinationExists(_))
    ));
}

/// A serial worker keeps its own copy of the listener list between
/// messages: a change reaches it before the next message sent after it.
#[test]
fn a_running_worker_sees_each_registration_before_the_next_message() {
    let bus = MessageBus::new();
    bus.add_destination("acme/w", DestinationType::Serial)
        .unwrap();
    let (first, second) = (Recorder::new(), Recorder::new());
    let (first_called, second_called) = (Latch::new(1), Latch::new(1));
    let first_id = bus
        .register_listener("acme/w", recording(&first, &first_called))
        .unwrap();
    bus.send("acme/w", Message::with_payload(1i64)).unwrap();
    assert!(first_called.wait());
    bus.register_listener("acme/w", recording(&second, &second_called))
        .unwrap();
    bus.send("acme/w", Message::with_payload(2i64)).unwrap();
    assert!(second_called.wait(), "the worker called the new listener");
    bus.unregister_listener(first_id).unwrap();
    bus.send("acme/w", Message::with_payload(3i64)).unwrap();
    bus.shutdown(false, None).unwrap();
    assert_eq!((first.items(), second.items()), (vec![1, 2], vec![2, 3]));
}

#[test]
fn unregister_stops_delivery_and_unknown_ids_are_errors() {
    let bus = MessageBus::new();
    bus.add_destination("acme/u", DestinationType::Synchronous)
        .unwrap();
    let (recorder, done) = (Recorder::new(), Latch::new(1));
    let id = bus
        .register_listener("acme/u", recording(&recorder, &done))
        .unwrap();
    bus.send("acme/u", Message::with_payload(1i64)).unwrap();
    bus.unregister_listener(id).unwrap();
    bus.send("acme/u", Message::with_payload(2i64)).unwrap();
    assert_eq!(recorder.items(), vec![1]);
    assert!(!bus.has_listener("acme/u"));
    assert_eq!(bus.unregister_listener(id), Err(Error::NoSuchListener));
}

#[test]
fn unregister_waits_for_the_running_call_then_drops_the_listener() {
    let bus = MessageBus::new();
    bus.add_destination("acme/slow", DestinationType::Serial)
        .unwrap();
    let (valve, entered) = (Valve::closed(), Latch::new(1));
    let finished = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicUsize::new(0));
    let id = {
        let (valve, entered, finished) = (valve.clone(), entered.clone(), finished.clone());
        let guard = DropCounter(dropped.clone());
        bus.register_listener("acme/slow", move |_| {
            let _ = &guard;
            entered.count_down();
            valve.pass();
            // Still running well after the valve opened and unregister began.
            for _ in 0..2000 {
                thread::yield_now();
            }
            finished.store(true, SeqCst);
            Ok(())
        })
        .unwrap()
    };
    bus.send("acme/slow", "go").unwrap();
    assert!(entered.wait());
    valve.open();
    bus.unregister_listener(id).unwrap();
    assert!(finished.load(SeqCst), "unregister returned during the call");
    assert_eq!(dropped.load(SeqCst), 1);
}

#[test]
fn a_listener_may_unregister_itself() {
    let bus = MessageBus::new();
    bus.add_destination("acme/self", DestinationType::Serial)
        .unwrap();
    let dropped = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let done = Latch::new(1);
    let id_slot = Arc::new(parking_lot::Mutex::new(None));
    {
        let weak = bus.downgrade();
        let (calls, done, my_id) = (calls.clone(), done.clone(), id_slot.clone());
        let guard = DropCounter(dropped.clone());
        let id = bus
            .register_listener("acme/self", move |_| {
                let _ = &guard;
                calls.fetch_add(1, SeqCst);
                let bus = weak.upgrade().unwrap();
                bus.unregister_listener(my_id.lock().unwrap()).unwrap();
                done.count_down();
                Ok(())
            })
            .unwrap();
        *id_slot.lock() = Some(id);
    }
    bus.send("acme/self", "once").unwrap();
    bus.send("acme/self", "twice").unwrap();
    assert!(done.wait());
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    assert_eq!(calls.load(SeqCst), 1);
    assert_eq!(dropped.load(SeqCst), 1);
}

#[test]
fn unregister_during_heavy_delivery_never_calls_after_it_returns() {
    let bus = MessageBus::new();
    let config = DestinationConfig::new(DestinationType::Parallel).workers(4, 4);
    bus.add_destination_with_config("acme/busy", config)
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    thread::scope(|s| {
        for _ in 0..2 {
            let (bus, stop) = (&bus, stop.clone());
            s.spawn(move || {
                while !stop.load(SeqCst) {
                    bus.send("acme/busy", "tick").unwrap();
                }
            });
        }
        for _ in 0..200 {
            let unregistered = Arc::new(AtomicBool::new(false));
            let late_calls = Arc::new(AtomicUsize::new(0));
            let dropped = Arc::new(AtomicUsize::new(0));
            let (called, first_call) = (Arc::new(AtomicBool::new(false)), Latch::new(1));
            let id = {
                let (unregistered, late_calls) = (unregistered.clone(), late_calls.clone());
                let (called, first_call) = (called.clone(), first_call.clone());
                let guard = DropCounter(dropped.clone());
                bus.register_listener("acme/busy", move |_| {
                    let _ = &guard;
                    if unregistered.load(SeqCst) {
                        late_calls.fetch_add(1, SeqCst);
                    }
                    if !called.swap(true, SeqCst) {
                        first_call.count_down();
                    }
                    Ok(())
                })
                .unwrap()
            };
            assert!(first_call.wait());
            bus.unregister_listener(id).unwrap();
            unregistered.store(true, SeqCst);
            assert_eq!(dropped.load(SeqCst), 1, "user data released by unregister");
            assert_eq!(late_calls.load(SeqCst), 0);
        }
        stop.store(true, SeqCst);
    });
}

struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Senders racing `replace_destination`, or remove + add, of the name they
/// send to: a live bus never refuses them with `Closed`. A replace keeps the
/// name throughout, so every send is accepted; across a remove a send is
/// accepted or meets `NoSuchDestination`.
#[test]
fn sends_racing_replace_and_remove_are_never_refused_as_closed() {
    let (mut all_accepted, mut refused) = (0, 0);
    for (kind, remove) in [
        (DestinationType::Serial, false),
        (DestinationType::Parallel, false),
        (DestinationType::Serial, true),
    ] {
        let bus = MessageBus::new();
        bus.add_destination("acme/churn", kind).unwrap();
        bus.register_listener("acme/churn", |_| Ok(())).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let senders: Vec<_> = (0..3)
            .map(|_| {
                let (bus, stop) = (bus.clone(), stop.clone());
                thread::spawn(move || {
                    let (mut accepted, mut missing, mut other) = (0u64, 0u64, Vec::new());
                    while !stop.load(SeqCst) {
                        match bus.send("acme/churn", "x") {
                            Ok(()) => accepted += 1,
                            Err(Error::NoSuchDestination(_)) => missing += 1,
                            Err(e) => other.push(e),
                        }
                    }
                    (accepted, missing, other)
                })
            })
            .collect();
        for _ in 0..3000 {
            if remove {
                bus.remove_destination("acme/churn").unwrap();
                bus.add_destination("acme/churn", kind).unwrap();
            } else {
                bus.replace_destination("acme/churn", DestinationConfig::new(kind))
                    .unwrap();
            }
        }
        stop.store(true, SeqCst);
        let mut accepted = 0;
        for sender in senders {
            let (ok, missing, other) = sender.join().unwrap();
            refused += other.len();
            assert!(other.is_empty(), "{kind:?} remove={remove}: {other:?}");
            assert!(remove || missing == 0, "a replace keeps the name");
            accepted += ok;
        }
        bus.shutdown(false, None).unwrap();
        let stats = bus.destination_statistics("acme/churn").unwrap();
        assert_eq!(
            stats.sent_message_count, accepted,
            "{kind:?}: every accepted send counted once"
        );
        assert_eq!(
            stats.delivered_message_count + stats.dropped_no_listener_count,
            accepted
        );
        all_accepted += accepted;
    }
    println!("RELIABILITY replace_race changes=9000 accepted={all_accepted} refused={refused}");
}
