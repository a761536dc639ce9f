//! Dead letters (SPEC §9): every cause, the values a dead letter carries,
//! the precedence of a destination's own dead-letter destination, no
//! loops, and the close order at shutdown.

mod common;

use std::time::Duration;

use common::{Latch, Recorder, Valve, held};
use msgbus::{
    DEAD_LETTER_DESTINATION_KEY, DEAD_LETTER_ERROR_KEY, DEAD_LETTER_REASON_KEY, DestinationConfig,
    DestinationType, Error, Message, MessageBus, Value,
};

const DLQ: &str = "acme/dead";

/// What a dead letter said: reason, destination, error, payload.
type Letter = (String, String, Option<String>, Value);

/// A bus whose dead-letter destination (synchronous) records every letter.
fn bus_with_dead_letters(kind: DestinationType) -> (MessageBus, Recorder<Letter>) {
    let bus = MessageBus::new();
    let letters = Recorder::new();
    bus.add_destination(DLQ, kind).unwrap();
    let seen = letters.clone();
    bus.register_listener(DLQ, move |m| {
        let text = |key| m.get(key).and_then(Value::as_str).map(str::to_string);
        seen.push((
            text(DEAD_LETTER_REASON_KEY).unwrap(),
            text(DEAD_LETTER_DESTINATION_KEY).unwrap(),
            text(DEAD_LETTER_ERROR_KEY),
            m.payload().clone(),
        ));
        Ok(())
    })
    .unwrap();
    bus.set_dead_letter_destination(Some(DLQ)).unwrap();
    (bus, letters)
}

fn reasons(letters: &Recorder<Letter>) -> Vec<String> {
    letters.items().into_iter().map(|l| l.0).collect()
}

#[test]
fn a_failing_listeners_message_arrives_with_its_error_and_values() {
    let (bus, letters) = bus_with_dead_letters(DestinationType::Synchronous);
    bus.add_destination("acme/work", DestinationType::Serial)
        .unwrap();
    bus.register_listener("acme/work", |_| Err("disk full".into()))
        .unwrap();
    let mut message = Message::with_payload("job-1");
    message.put("tenant", 7i64);
    let kept = Recorder::new();
    let keep = kept.clone();
    bus.register_listener(DLQ, move |m| {
        keep.push(m.get("tenant").cloned());
        Ok(())
    })
    .unwrap();
    bus.send("acme/work", message).unwrap();
    bus.shutdown(false, None).unwrap();
    assert_eq!(
        letters.items(),
        vec![(
            "failed".to_string(),
            "acme/work".to_string(),
            Some("disk full".to_string()),
            Value::from("job-1")
        )]
    );
    assert_eq!(kept.items(), vec![Some(Value::Int(7))]);
    let metrics = bus.metrics().unwrap();
    let work = metrics
        .destinations
        .iter()
        .find(|d| d.name == "acme/work")
        .unwrap();
    assert_eq!(work.dead_letters.failed, 1);
    assert_eq!(work.statistics.failed_message_count, 1);
}

#[test]
fn a_full_queues_rejected_message_arrives_with_reason_rejected() {
    let (bus, letters) = bus_with_dead_letters(DestinationType::Synchronous);
    let config = DestinationConfig::new(DestinationType::Serial).max_queue_size(1);
    bus.add_destination_with_config("acme/slow", config)
        .unwrap();
    let (valve, entered) = (Valve::closed(), Latch::new(1));
    bus.register_listener("acme/slow", held(&valve, &entered))
        .unwrap();
    bus.send("acme/slow", Value::Int(1i64)).unwrap();
    assert!(entered.wait());
    bus.send("acme/slow", Value::Int(2i64)).unwrap();
    assert!(matches!(
        bus.send("acme/slow", Value::Int(3i64)),
        Err(Error::QueueFull(_))
    ));
    assert_eq!(reasons(&letters), vec!["rejected"]);
    assert_eq!(letters.items()[0].3, Value::Int(3));
    valve.open();
    bus.shutdown(false, None).unwrap();
}

#[test]
fn no_listener_no_such_destination_and_forced_discards_are_dead_lettered() {
    let (bus, letters) = bus_with_dead_letters(DestinationType::Synchronous);
    bus.add_destination("acme/empty", DestinationType::Parallel)
        .unwrap();
    bus.send("acme/empty", Value::Int(1i64)).unwrap();
    assert!(matches!(
        bus.send("acme/nowhere", Value::Int(2i64)),
        Err(Error::NoSuchDestination(_))
    ));
    bus.add_destination("acme/busy", DestinationType::Serial)
        .unwrap();
    let (valve, entered) = (Valve::closed(), Latch::new(1));
    bus.register_listener("acme/busy", held(&valve, &entered))
        .unwrap();
    for n in 0..3i64 {
        bus.send("acme/busy", Value::Int(n)).unwrap();
    }
    assert!(entered.wait());
    let opener = {
        let valve = valve.clone();
        std::thread::spawn(move || valve.open())
    };
    bus.shutdown(true, None).unwrap();
    opener.join().unwrap();
    let mut got = reasons(&letters);
    got.sort();
    assert_eq!(
        got,
        vec![
            "discarded",
            "discarded",
            "no_listener",
            "no_such_destination"
        ]
    );
    let metrics = bus.metrics().unwrap();
    assert_eq!(metrics.bus.unknown_destination_count, 1);
    assert_eq!(metrics.bus.unknown_destination_dead_lettered_count, 1);
}

#[test]
fn a_reply_after_its_sender_gave_up_is_expired() {
    let (bus, letters) = bus_with_dead_letters(DestinationType::Synchronous);
    bus.add_destination("acme/late", DestinationType::Serial)
        .unwrap();
    let valve = Valve::closed();
    let replied = Latch::new(1);
    let (gate, done, weak) = (valve.clone(), replied.clone(), bus.downgrade());
    bus.register_listener("acme/late", move |request| {
        gate.pass();
        weak.upgrade().unwrap().reply(request, "too late").unwrap();
        done.count_down();
        Ok(())
    })
    .unwrap();
    let pending = bus.request("acme/late", "question").unwrap();
    assert!(matches!(
        pending.wait(Duration::from_millis(1)),
        Err(Error::Timeout(_))
    ));
    drop(pending);
    valve.open();
    assert!(replied.wait());
    assert_eq!(reasons(&letters), vec!["expired"]);
    assert_eq!(letters.items()[0].1, msgbus::DEFAULT_RESPONSE_DESTINATION);
    assert_eq!(letters.items()[0].3, Value::from("too late"));
    let metrics = bus.metrics().unwrap();
    let late = metrics
        .destinations
        .iter()
        .find(|d| d.name == "acme/late")
        .unwrap();
    assert_eq!(late.requests.timeout, 1);
    bus.shutdown(false, None).unwrap();
}

#[test]
fn a_destinations_own_dead_letter_destination_wins_and_nothing_loops() {
    let (bus, letters) = bus_with_dead_letters(DestinationType::Synchronous);
    bus.add_destination("acme/own-dead", DestinationType::Synchronous)
        .unwrap();
    let own = Recorder::new();
    let seen = own.clone();
    bus.register_listener("acme/own-dead", move |m| {
        seen.push(m.get(DEAD_LETTER_REASON_KEY).cloned());
        Err("the dead-letter listener fails too".into())
    })
    .unwrap();
    let config = DestinationConfig::new(DestinationType::Synchronous)
        .dead_letter_destination(Some("acme/own-dead"));
    bus.add_destination_with_config("acme/picky", config)
        .unwrap();
    bus.register_listener("acme/picky", |_| Err("no".into()))
        .unwrap();
    bus.send("acme/picky", Value::Int(1i64)).unwrap();
    assert_eq!(own.items(), vec![Some(Value::from("failed"))]);
    assert!(
        letters.items().is_empty(),
        "the failure inside acme/own-dead is not dead-lettered again"
    );
    let metrics = bus.metrics().unwrap();
    let by_name = |name: &str| {
        metrics
            .destinations
            .iter()
            .find(|d| d.name == name)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("acme/picky").dead_letters.failed, 1);
    assert_eq!(by_name("acme/own-dead").statistics.failed_message_count, 1);
    assert_eq!(by_name("acme/own-dead").dead_letters.failed, 0);
}

#[test]
fn a_failure_at_the_buss_dead_letter_destination_is_not_dead_lettered() {
    let bus = MessageBus::new();
    bus.add_destination(DLQ, DestinationType::Synchronous)
        .unwrap();
    let calls = Recorder::new();
    let seen = calls.clone();
    bus.register_listener(DLQ, move |m| {
        seen.push(m.payload().clone());
        Err("fails".into())
    })
    .unwrap();
    bus.set_dead_letter_destination(Some(DLQ)).unwrap();
    bus.send(DLQ, Value::Int(1i64)).unwrap();
    assert_eq!(calls.items(), vec![Value::Int(1)], "called once, no loop");
    let stats = bus.destination_statistics(DLQ).unwrap();
    assert_eq!(
        (stats.sent_message_count, stats.failed_message_count),
        (1, 1)
    );
}

#[test]
fn without_a_dead_letter_destination_nothing_changes() {
    let bus = MessageBus::new();
    bus.add_destination("acme/empty", DestinationType::Synchronous)
        .unwrap();
    bus.send("acme/empty", Value::Int(1i64)).unwrap();
    assert_eq!(bus.dead_letter_destination(), None);
    let metrics = bus.metrics().unwrap();
    let empty = metrics
        .destinations
        .iter()
        .find(|d| d.name == "acme/empty")
        .unwrap();
    assert_eq!(empty.statistics.dropped_no_listener_count, 1);
    assert_eq!(empty.dead_letters, Default::default());
    bus.set_dead_letter_destination(Some("acme/dead")).unwrap();
    assert_eq!(bus.dead_letter_destination().as_deref(), Some("acme/dead"));
    assert!(matches!(
        bus.set_dead_letter_destination(Some("")),
        Err(Error::InvalidArgument(_))
    ));
    bus.send("acme/empty", Value::Int(2i64)).unwrap();
    assert_eq!(
        bus.metrics().unwrap().bus.dead_letters_refused_count,
        1,
        "acme/dead is missing"
    );
}

#[test]
fn a_graceful_shutdown_drains_into_a_queued_dead_letter_destination() {
    let (bus, letters) = bus_with_dead_letters(DestinationType::Serial);
    bus.add_destination("acme/flaky", DestinationType::Parallel)
        .unwrap();
    let (valve, entered) = (Valve::closed(), Latch::new(1));
    let (gate, inside) = (valve.clone(), entered.clone());
    bus.register_listener("acme/flaky", move |_| {
        inside.count_down();
        gate.pass();
        Err("late failure".into())
    })
    .unwrap();
    for n in 0..20i64 {
        bus.send("acme/flaky", Value::Int(n)).unwrap();
    }
    assert!(entered.wait());
    let opener = std::thread::spawn(move || valve.open());
    bus.shutdown(false, None).unwrap();
    opener.join().unwrap();
    assert_eq!(letters.len(), 20, "the dead-letter destination closed last");
    assert!(reasons(&letters).iter().all(|r| r == "failed"));
}
