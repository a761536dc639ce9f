//! A listener that fails (returns an error or panics) is logged and
//! counted; delivery to the other listeners goes on and the worker lives.

mod common;

use common::{Latch, PATIENCE, Recorder, logs, recording};
use msgbus::{DestinationType, ListenerError, Message, MessageBus};

#[test]
fn failing_listeners_are_logged_counted_and_survived() {
    logs::install();
    for kind in [
        DestinationType::Serial,
        DestinationType::Parallel,
        DestinationType::Synchronous,
    ] {
        let bus = MessageBus::new();
        let name = format!("acme/fail-{kind}");
        bus.add_destination(&name, kind).unwrap();
        bus.register_listener(&name, |m| match m.payload().as_int() {
            Some(0) => Err("refused zero".into()),
            Some(1) => panic!("panicked on one"),
            _ => Ok(()),
        })
        .unwrap();
        let (recorder, done) = (Recorder::new(), Latch::new(3));
        bus.register_listener(&name, recording(&recorder, &done))
            .unwrap();
        for i in 0..3 {
            bus.send(&name, Message::with_payload(i as i64)).unwrap();
        }
        assert!(done.wait());
        bus.shutdown(false, Some(PATIENCE)).unwrap();
        let mut seen = recorder.items();
        seen.sort();
        assert_eq!(
            seen,
            vec![0, 1, 2],
            "{kind}: the other listener got everything"
        );
        let stats = bus.destination_statistics(&name).unwrap();
        assert_eq!(
            (stats.failed_message_count, stats.delivered_message_count),
            (2, 1),
            "{kind}"
        );
        let errors = logs::matching(log::Level::Error, &name);
        assert!(
            errors.iter().any(|e| e.contains("refused zero")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("panicked on one")),
            "{errors:?}"
        );
    }
}

#[test]
fn a_failure_the_listener_reported_is_counted_but_not_logged_again() {
    logs::install();
    let bus = MessageBus::new();
    bus.add_destination("acme/reported", DestinationType::Synchronous)
        .unwrap();
    bus.register_listener("acme/reported", |m| match m.payload().as_int() {
        Some(0) => Err(ListenerError::new("reported zero").reported()),
        _ => Err(ListenerError::new("unreported one")),
    })
    .unwrap();
    bus.send("acme/reported", Message::with_payload(0)).unwrap();
    bus.send("acme/reported", Message::with_payload(1)).unwrap();
    let stats = bus.destination_statistics("acme/reported").unwrap();
    assert_eq!(stats.failed_message_count, 2);
    let errors = logs::matching(log::Level::Error, "acme/reported");
    assert!(
        errors.iter().any(|e| e.contains("unreported one")),
        "{errors:?}"
    );
    assert!(
        !errors.iter().any(|e| e.contains("reported zero")),
        "{errors:?}"
    );
}
