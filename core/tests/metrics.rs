//! Metrics (SPEC §9): the figures of a bus that has done a bit of
//! everything, the sampled histograms, and the text Prometheus reads
//! (`make test` passes it to `promtool check metrics`: set
//! `MSGBUS_METRICS_FILE` to keep it).

mod common;

use std::time::Duration;

use common::Latch;
use msgbus::{DestinationConfig, DestinationType, MessageBus, Value};

/// A bus with two destinations, one timed at every message, that has
/// sent, dropped, sent to a missing name and answered requests, then shut
/// down.
fn busy_bus() -> MessageBus {
    let bus = MessageBus::new();
    let timed = DestinationConfig::new(DestinationType::Parallel).timing_every(1);
    bus.add_destination_with_config("acme/n8k5_able", timed)
        .unwrap();
    bus.add_destination("acme/n8k5_baker", DestinationType::Serial)
        .unwrap();
    let done = Latch::new(100);
    let count = done.clone();
    let weak = bus.downgrade();
    bus.register_listener("acme/n8k5_able", move |m| {
        if m.response_id().is_some() {
            weak.upgrade().unwrap().reply(m, "ok").unwrap();
        } else {
            count.count_down();
        }
        Ok(())
    })
    .unwrap();
    for n in 0..100 {
        bus.send("acme/n8k5_able", Value::Int(n)).unwrap();
    }
    assert!(done.wait());
    bus.send("acme/n8k5_baker", Value::Int(1)).unwrap();
    let _ = bus.send("acme/missing", Value::Int(1));
    for _ in 0..3 {
        bus.send_synchronous("acme/n8k5_able", "q", Duration::from_secs(20))
            .unwrap();
    }
    // A request returns with its reply, before its listener call ends (and
    // is timed): the shutdown waits for that.
    bus.shutdown(false, None).unwrap();
    bus
}

#[test]
fn metrics_count_what_the_bus_did() {
    let bus = busy_bus();
    let metrics = bus.metrics().unwrap();
    let names: Vec<_> = metrics
        .destinations
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "acme/n8k5_able",
            "acme/n8k5_baker",
            msgbus::DEFAULT_RESPONSE_DESTINATION
        ]
    );
    let able = &metrics.destinations[0];
    assert_eq!(able.statistics.sent_message_count, 103);
    assert_eq!(able.requests.ok, 3);
    assert_eq!(able.queue_wait.count, 103, "every message timed");
    assert_eq!(able.processing.count, 103);
    assert!(able.processing.sum_seconds > 0.0);
    assert_eq!(
        metrics.destinations[1].statistics.dropped_no_listener_count,
        1
    );
    assert_eq!(metrics.bus.unknown_destination_count, 1);
    assert_eq!(
        metrics.destinations[2].queue_wait.count, 0,
        "synchronous: no queue"
    );
}

#[test]
fn sampling_times_one_message_in_timing_every() {
    let bus = MessageBus::new();
    bus.add_destination("acme/sampled", DestinationType::Synchronous)
        .unwrap();
    let off = DestinationConfig::new(DestinationType::Synchronous).timing_every(0);
    bus.add_destination_with_config("acme/untimed", off)
        .unwrap();
    for name in ["acme/sampled", "acme/untimed"] {
        bus.register_listener(name, |_| Ok(())).unwrap();
        for n in 0..640 {
            bus.send(name, Value::Int(n)).unwrap();
        }
    }
    let metrics = bus.metrics().unwrap();
    let count = |name: &str| {
        metrics
            .destinations
            .iter()
            .find(|d| d.name == name)
            .unwrap()
            .processing
            .count
    };
    assert_eq!(
        count("acme/sampled"),
        640 / msgbus::DEFAULT_TIMING_EVERY as u64
    );
    assert_eq!(count("acme/untimed"), 0);
}

#[test]
fn the_text_names_every_destination_and_keeps_reply_ids_out_of_labels() {
    let bus = busy_bus();
    let text = bus.metrics_text().unwrap();
    assert!(text.contains("msgbus_messages_sent_total{destination=\"acme/n8k5_able\"} 103"));
    assert!(
        text.contains("msgbus_requests_total{destination=\"acme/n8k5_able\",outcome=\"ok\"} 3")
    );
    assert!(text.contains("msgbus_queue_wait_seconds_count{destination=\"acme/n8k5_able\"} 103"));
    assert!(
        !text.contains("destination=\"acme/missing\""),
        "unknown names are no label"
    );
    let json = bus.metrics().unwrap().to_json();
    assert!(json.contains("\"name\":\"acme/n8k5_baker\""));
    if let Ok(path) = std::env::var("MSGBUS_METRICS_FILE") {
        std::fs::write(path, text).unwrap();
    }
}
