//! Destination handles: a send through one is a send to its name, across
//! replacement, removal, interceptors and shutdown.

mod common;

use common::{Latch, PATIENCE, Recorder, recording};
use msgbus::{
    DEAD_LETTER_REASON_KEY, DestinationConfig, DestinationType, Error, Message, MessageBus, Value,
};

#[test]
fn a_handle_needs_an_existing_destination() {
    let bus = MessageBus::new();
    assert_eq!(
        bus.destination("acme/none").err(),
        Some(Error::NoSuchDestination("acme/none".into()))
    );
}

#[test]
fn sends_through_a_handle_arrive_in_order_and_are_counted() {
    let bus = MessageBus::new();
    for kind in [
        DestinationType::Serial,
        DestinationType::Parallel,
        DestinationType::Synchronous,
    ] {
        let name = format!("acme/{kind:?}");
        bus.add_destination(&name, kind).unwrap();
        let (recorder, done) = (Recorder::new(), Latch::new(100));
        bus.register_listener(&name, recording(&recorder, &done))
            .unwrap();
        let handle = bus.destination(&name).unwrap();
        assert_eq!(handle.name(), name);
        for seq in 0..50i64 {
            handle.send(Message::with_payload(seq)).unwrap();
        }
        assert_eq!(
            handle.send_many((50..100).map(Message::with_payload)),
            Ok(50)
        );
        assert!(done.wait(), "{name}");
        let mut got = recorder.items();
        if kind == DestinationType::Parallel {
            got.sort_unstable();
        }
        assert_eq!(got, (0..100).collect::<Vec<i64>>(), "{name}");
        let stats = bus.destination_statistics(&name).unwrap();
        assert_eq!(stats.sent_message_count, 100, "{name}");
    }
}

#[test]
fn a_handle_follows_its_name_to_a_replacement() {
    let bus = MessageBus::new();
    bus.add_destination("acme/r", DestinationType::Synchronous)
        .unwrap();
    let handle = bus.destination("acme/r").unwrap();
    bus.replace_destination("acme/r", DestinationConfig::new(DestinationType::Serial))
        .unwrap();
    let (recorder, done) = (Recorder::new(), Latch::new(2));
    bus.register_listener("acme/r", recording(&recorder, &done))
        .unwrap();
    handle.send(Message::with_payload(1i64)).unwrap();
    handle.send(Message::with_payload(2i64)).unwrap();
    assert!(done.wait());
    assert_eq!(recorder.items(), [1, 2]);
    assert_eq!(
        bus.destination_statistics("acme/r")
            .unwrap()
            .sent_message_count,
        2
    );
}

#[test]
fn a_handle_to_a_removed_destination_sends_to_an_unknown_name() {
    let bus = MessageBus::new();
    for kind in [DestinationType::Serial, DestinationType::Synchronous] {
        let name = format!("acme/gone_{kind:?}");
        bus.add_destination(&name, kind).unwrap();
        let calls = Recorder::<i64>::new();
        {
            let calls = calls.clone();
            bus.register_listener(&name, move |_| {
                calls.push(1);
                Ok(())
            })
            .unwrap();
        }
        let handle = bus.destination(&name).unwrap();
        bus.remove_destination(&name).unwrap();
        assert_eq!(
            handle.send("late"),
            Err(Error::NoSuchDestination(name.clone()))
        );
        assert_eq!(
            handle.send_direct("late"),
            Err(Error::NoSuchDestination(name.clone()))
        );
        assert_eq!(calls.len(), 0, "{name}: the removed destination took it");
    }
    assert_eq!(bus.metrics().unwrap().bus.unknown_destination_count, 4);
}

#[test]
fn a_handles_send_to_a_removed_destination_is_dead_lettered() {
    let bus = MessageBus::new();
    bus.add_destination("acme/dead", DestinationType::Synchronous)
        .unwrap();
    let (reasons, done) = (Recorder::<String>::new(), Latch::new(1));
    {
        let (reasons, done) = (reasons.clone(), done.clone());
        bus.register_listener("acme/dead", move |m| {
            let reason = m.get(DEAD_LETTER_REASON_KEY).and_then(Value::as_str);
            reasons.push(reason.unwrap_or("").to_string());
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    bus.set_dead_letter_destination(Some("acme/dead")).unwrap();
    bus.add_destination("acme/short", DestinationType::Serial)
        .unwrap();
    let handle = bus.destination("acme/short").unwrap();
    bus.remove_destination("acme/short").unwrap();
    assert!(handle.send("late").is_err());
    assert!(done.wait());
    assert_eq!(reasons.items(), ["no_such_destination"]);
}

#[test]
fn interceptors_see_a_handles_sends_under_its_name() {
    let bus = MessageBus::new();
    bus.add_destination("acme/i", DestinationType::Synchronous)
        .unwrap();
    let seen = Recorder::<String>::new();
    {
        let seen = seen.clone();
        bus.add_interceptor(move |name: &str, message: &mut Message| {
            seen.push(name.to_string());
            Ok(message.payload().as_str() == Some("consume"))
        })
        .unwrap();
    }
    let (recorder, done) = (Recorder::new(), Latch::new(1));
    bus.register_listener("acme/i", recording(&recorder, &done))
        .unwrap();
    let handle = bus.destination("acme/i").unwrap();
    handle.send("consume").unwrap();
    handle.send(Message::with_payload(7i64)).unwrap();
    assert!(done.wait());
    assert_eq!(recorder.items(), [7]);
    assert_eq!(seen.items(), ["acme/i", "acme/i"]);
}

#[test]
fn send_direct_through_a_handle_returns_the_response() {
    let bus = MessageBus::new();
    bus.add_destination("acme/d", DestinationType::Serial)
        .unwrap();
    bus.register_listener("acme/d", |m| {
        let doubled = m.payload().as_int().unwrap() * 2;
        m.set_response(doubled);
        Ok(())
    })
    .unwrap();
    let handle = bus.destination("acme/d").unwrap();
    assert_eq!(
        handle.send_direct(Message::with_payload(21i64)),
        Ok(Value::from(42i64))
    );
}

#[test]
fn send_many_stops_at_the_first_refusal_and_says_how_many_went() {
    let bus = MessageBus::new();
    bus.add_destination("acme/m", DestinationType::Serial)
        .unwrap();
    let handle = bus.destination("acme/m").unwrap();
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    assert_eq!(
        handle.send_many(["1", "2"]),
        Err((0, Error::Closed("acme/m".into())))
    );
}

#[test]
fn a_handle_does_not_keep_its_bus_alive() {
    for kind in [DestinationType::Serial, DestinationType::Synchronous] {
        let bus = MessageBus::new();
        bus.add_destination("acme/b", kind).unwrap();
        let calls = Recorder::<i64>::new();
        {
            let calls = calls.clone();
            bus.register_listener("acme/b", move |_| {
                calls.push(1);
                Ok(())
            })
            .unwrap();
        }
        let handle = bus.destination("acme/b").unwrap();
        drop(bus);
        assert_eq!(
            handle.send("1"),
            Err(Error::Closed("acme/b: its bus is gone".into()))
        );
        assert!(handle.send_direct("1").is_err());
        assert_eq!(calls.len(), 0, "{kind:?}");
    }
}
