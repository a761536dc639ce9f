//! Registration events, on the whole bus and on one destination.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use common::{Latch, Recorder};
use msgbus::{BusEvent, DestinationType, Error, MessageBus};

fn recorder_of(
    bus: &MessageBus,
    destination: Option<&str>,
) -> (Recorder<BusEvent>, msgbus::EventListenerId) {
    let events = Recorder::new();
    let id = {
        let events = events.clone();
        bus.add_event_listener(destination, move |e| events.push(e.clone()))
            .unwrap()
    };
    (events, id)
}

fn added(d: &str) -> BusEvent {
    BusEvent::DestinationAdded {
        destination: d.into(),
    }
}

fn removed(d: &str) -> BusEvent {
    BusEvent::DestinationRemoved {
        destination: d.into(),
    }
}

#[test]
fn bus_wide_and_per_destination_listeners_see_their_events() {
    let bus = MessageBus::new();
    let (all, _) = recorder_of(&bus, None);
    let (only_a, _) = recorder_of(&bus, Some("acme/a"));
    bus.add_destination("acme/a", DestinationType::Serial)
        .unwrap();
    bus.add_destination("acme/b", DestinationType::Serial)
        .unwrap();
    let l = bus.register_listener("acme/a", |_| Ok(())).unwrap();
    bus.unregister_listener(l).unwrap();
    bus.replace_destination("acme/a", DestinationType::Parallel.into())
        .unwrap();
    bus.remove_destination("acme/b").unwrap();
    let a_events = vec![
        added("acme/a"),
        BusEvent::ListenerRegistered {
            destination: "acme/a".into(),
            listener: l,
        },
        BusEvent::ListenerUnregistered {
            destination: "acme/a".into(),
            listener: l,
        },
        removed("acme/a"),
        added("acme/a"),
    ];
    assert_eq!(only_a.items(), a_events);
    let mut expected = a_events.clone();
    expected.insert(1, added("acme/b"));
    expected.push(removed("acme/b"));
    assert_eq!(all.items(), expected);
}

#[test]
fn removed_event_listeners_hear_nothing_more() {
    let bus = MessageBus::new();
    let (events, id) = recorder_of(&bus, None);
    bus.add_destination("acme/a", DestinationType::Serial)
        .unwrap();
    bus.remove_event_listener(id).unwrap();
    bus.add_destination("acme/b", DestinationType::Serial)
        .unwrap();
    assert_eq!(events.items(), vec![added("acme/a")]);
    assert_eq!(bus.remove_event_listener(id), Err(Error::NoSuchListener));
}

#[test]
fn an_event_listener_may_call_back_into_the_bus() {
    let bus = MessageBus::new();
    let delivered = Latch::new(1);
    let weak = bus.downgrade();
    {
        let delivered = delivered.clone();
        bus.add_event_listener(None, move |event| {
            let BusEvent::DestinationAdded { destination } = event else {
                return;
            };
            let bus = weak.upgrade().unwrap();
            let delivered = delivered.clone();
            bus.register_listener(destination, move |_| {
                delivered.count_down();
                Ok(())
            })
            .unwrap();
            bus.send(destination, "hello from an event").unwrap();
            bus.add_event_listener(Some(destination), |_| {}).unwrap();
        })
        .unwrap();
    }
    bus.add_destination("acme/reentrant", DestinationType::Serial)
        .unwrap();
    assert!(delivered.wait());
}

#[test]
fn a_panicking_event_listener_does_not_stop_the_others() {
    let bus = MessageBus::new();
    bus.add_event_listener(None, |_| panic!("event listener bug"))
        .unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    {
        let count = count.clone();
        bus.add_event_listener(None, move |_| {
            count.fetch_add(1, SeqCst);
        })
        .unwrap();
    }
    bus.add_destination("acme/a", DestinationType::Serial)
        .unwrap();
    assert_eq!(count.load(SeqCst), 1);
}
