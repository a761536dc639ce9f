//! Asynchronous sending: its outcomes, and the rejection policies of a
//! full queue.

mod common;

use std::thread;
use std::time::Duration;

use common::{Latch, PATIENCE, Recorder, Valve, logs, thread_name};
use msgbus::{DestinationConfig, DestinationType, Error, Message, MessageBus, RejectionPolicy};

#[test]
fn sending_to_a_missing_destination_is_an_error() {
    let bus = MessageBus::new();
    assert_eq!(
        bus.send("acme/none", "x"),
        Err(Error::NoSuchDestination("acme/none".into()))
    );
}

#[test]
fn sending_without_listeners_succeeds_and_counts_the_drop() {
    let bus = MessageBus::new();
    for (name, kind) in [
        ("acme/s", DestinationType::Serial),
        ("acme/p", DestinationType::Parallel),
        ("acme/y", DestinationType::Synchronous),
    ] {
        bus.add_destination(name, kind).unwrap();
        bus.send(name, "nobody").unwrap();
        let stats = bus.destination_statistics(name).unwrap();
        assert_eq!(
            (stats.sent_message_count, stats.dropped_no_listener_count),
            (1, 1),
            "{name}"
        );
    }
}

#[test]
fn sending_after_shutdown_is_closed_except_to_synchronous_destinations() {
    let bus = MessageBus::new();
    bus.add_destination("acme/q", DestinationType::Serial)
        .unwrap();
    bus.add_destination("acme/y", DestinationType::Synchronous)
        .unwrap();
    let (recorder, done) = (Recorder::<String>::new(), Latch::new(1));
    {
        let (recorder, done) = (recorder.clone(), done.clone());
        bus.register_listener("acme/y", move |m| {
            recorder.push(m.payload().as_str().unwrap().to_string());
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    assert_eq!(
        bus.send("acme/q", "late"),
        Err(Error::Closed("acme/q".into()))
    );
    bus.send("acme/y", "still works").unwrap();
    assert_eq!(recorder.items(), vec!["still works".to_string()]);
    assert!(matches!(
        bus.add_destination("acme/new", DestinationType::Parallel),
        Err(Error::Closed(_))
    ));
    bus.add_destination("acme/new-sync", DestinationType::Synchronous)
        .unwrap();
    // Listeners likewise: refused where workers stopped, taken where
    // synchronous delivery goes on (or may, once such a destination is added).
    assert_eq!(
        bus.register_listener("acme/q", |_| Ok(())),
        Err(Error::Closed(
            "bus is shut down; acme/q delivers no more messages".into()
        ))
    );
    bus.register_listener("acme/new-sync", |_| Ok(())).unwrap();
    bus.register_listener("acme/not-yet", |_| Ok(())).unwrap();
}

/// A serial destination with a queue of 2 whose listener holds message 0
/// until the valve opens; message 0 has been taken by the worker when this
/// returns, so the queue is empty.
fn held_destination(bus: &MessageBus, policy: RejectionPolicy) -> (Valve, Recorder<(i64, String)>) {
    let config = DestinationConfig::new(DestinationType::Serial)
        .max_queue_size(2)
        .rejection_policy(policy);
    bus.add_destination_with_config("acme/full", config)
        .unwrap();
    let (valve, taken, recorder) = (Valve::closed(), Latch::new(1), Recorder::new());
    {
        let (valve, taken, recorder) = (valve.clone(), taken.clone(), recorder.clone());
        bus.register_listener("acme/full", move |m| {
            let i = m.payload().as_int().unwrap();
            if i == 0 {
                taken.count_down();
                valve.pass();
            }
            recorder.push((i, thread_name()));
            Ok(())
        })
        .unwrap();
    }
    bus.send("acme/full", Message::with_payload(0i64)).unwrap();
    assert!(taken.wait());
    for i in 1..=2 {
        bus.send("acme/full", Message::with_payload(i as i64))
            .unwrap();
    }
    (valve, recorder)
}

#[test]
fn discard_rejects_counts_warns_and_tells_the_sender() {
    logs::install();
    let bus = MessageBus::new();
    let (valve, recorder) = held_destination(&bus, RejectionPolicy::Discard);
    assert_eq!(
        bus.send("acme/full", Message::with_payload(3i64)),
        Err(Error::QueueFull("acme/full".into()))
    );
    let stats = bus.destination_statistics("acme/full").unwrap();
    assert_eq!(
        (stats.rejected_message_count, stats.pending_message_count),
        (1, 2)
    );
    // Each sender is told; the log says it once (then once per interval).
    for _ in 0..100 {
        assert!(bus.send("acme/full", Message::with_payload(4i64)).is_err());
    }
    assert_eq!(
        bus.destination_statistics("acme/full")
            .unwrap()
            .rejected_message_count,
        101
    );
    assert_eq!(
        logs::matching(log::Level::Warn, "rejecting messages for acme/full").len(),
        1
    );
    valve.open();
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    let delivered: Vec<i64> = recorder.items().iter().map(|(i, _)| *i).collect();
    assert_eq!(delivered, vec![0, 1, 2]);
}

#[test]
fn caller_runs_delivers_in_the_senders_thread() {
    let bus = MessageBus::new();
    let (valve, recorder) = held_destination(&bus, RejectionPolicy::CallerRuns);
    thread::Builder::new()
        .name("the-sender".into())
        .spawn({
            let bus = bus.clone();
            move || bus.send("acme/full", Message::with_payload(3i64)).unwrap()
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(recorder.items(), vec![(3, "the-sender".to_string())]);
    valve.open();
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    let stats = bus.destination_statistics("acme/full").unwrap();
    assert_eq!(
        (stats.delivered_message_count, stats.rejected_message_count),
        (4, 0)
    );
}

#[test]
fn block_waits_for_room() {
    let bus = MessageBus::new();
    let (valve, recorder) = held_destination(&bus, RejectionPolicy::Block { timeout: PATIENCE });
    let sender = {
        let bus = bus.clone();
        thread::spawn(move || bus.send("acme/full", Message::with_payload(3i64)))
    };
    valve.open();
    sender.join().unwrap().unwrap();
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    let delivered: Vec<i64> = recorder.items().iter().map(|(i, _)| *i).collect();
    assert_eq!(delivered, vec![0, 1, 2, 3]);
}

#[test]
fn block_rejects_after_its_timeout() {
    let bus = MessageBus::new();
    let timeout = Duration::from_millis(30);
    let (valve, _) = held_destination(&bus, RejectionPolicy::Block { timeout });
    assert_eq!(
        bus.send("acme/full", Message::with_payload(3i64)),
        Err(Error::QueueFull("acme/full".into()))
    );
    assert_eq!(
        bus.destination_statistics("acme/full")
            .unwrap()
            .rejected_message_count,
        1
    );
    valve.open();
}

#[test]
fn a_blocked_sender_is_released_by_shutdown() {
    let bus = MessageBus::new();
    let (valve, _) = held_destination(&bus, RejectionPolicy::Block { timeout: PATIENCE });
    let sender = {
        let bus = bus.clone();
        thread::spawn(move || bus.send("acme/full", Message::with_payload(3i64)))
    };
    // The sender is blocked or about to be: either way shutdown must free it.
    let shutdown = {
        let bus = bus.clone();
        thread::spawn(move || bus.shutdown(false, Some(PATIENCE)))
    };
    assert_eq!(
        sender.join().unwrap(),
        Err(Error::Closed("acme/full".into()))
    );
    valve.open();
    shutdown.join().unwrap().unwrap();
    // Blocked before the close or arriving after it, message 3 was refused
    // as closed and not counted. Closed either way, lost never.
    let stats = bus.destination_statistics("acme/full").unwrap();
    assert_eq!(stats.delivered_message_count, 3);
    assert_eq!(
        (stats.sent_message_count, stats.rejected_message_count),
        (3, 0)
    );
}

#[test]
fn a_parallel_message_is_admitted_whole_or_not_at_all() {
    let bus = MessageBus::new();
    let config = DestinationConfig::new(DestinationType::Parallel).max_queue_size(3);
    bus.add_destination_with_config("acme/wide", config)
        .unwrap();
    for _ in 0..4 {
        bus.register_listener("acme/wide", |_| Ok(())).unwrap();
    }
    assert_eq!(
        bus.send("acme/wide", "too wide"),
        Err(Error::QueueFull("acme/wide".into()))
    );
    let stats = bus.destination_statistics("acme/wide").unwrap();
    assert_eq!(
        (stats.rejected_message_count, stats.pending_message_count),
        (1, 0)
    );
}
