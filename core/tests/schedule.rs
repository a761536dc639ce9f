//! Delayed and periodic sends through the bus (SPEC §9): they are sends
//! (interceptors, dead letters), cancel for good, keep their rate, and a
//! shutdown cancels and counts what has not fired.

mod common;

use std::time::{Duration, Instant};

use common::{Latch, Recorder};
use msgbus::{DestinationType, Error, MessageBus, Value};

const PERIOD: Duration = Duration::from_millis(20);

/// A bus whose `acme/tick` records when each message came, and counts
/// `latch` down.
fn ticking(latch: &Latch) -> (MessageBus, Recorder<(Instant, Value)>) {
    let bus = MessageBus::new();
    bus.add_destination("acme/tick", DestinationType::Synchronous)
        .unwrap();
    let arrivals = Recorder::new();
    let (keep, latch) = (arrivals.clone(), latch.clone());
    bus.register_listener("acme/tick", move |m| {
        keep.push((Instant::now(), m.payload().clone()));
        latch.count_down();
        Ok(())
    })
    .unwrap();
    (bus, arrivals)
}

#[test]
fn a_periodic_schedule_fires_n_times_in_n_periods_then_stops_when_cancelled() {
    const N: u32 = 10;
    let latch = Latch::new(N as usize);
    let (bus, arrivals) = ticking(&latch);
    let start = Instant::now();
    let id = bus
        .schedule("acme/tick", "tick", PERIOD, Some(PERIOD))
        .unwrap();
    assert!(latch.wait());
    let elapsed = start.elapsed();
    assert!(elapsed >= PERIOD * N, "{N} firings took {elapsed:?}");
    assert!(
        elapsed <= PERIOD * N + PERIOD * 5,
        "{N} firings took {elapsed:?}, more than {N} periods and a tolerance"
    );
    for (n, (at, _)) in arrivals.items().iter().enumerate() {
        assert!(*at >= start + PERIOD * (n as u32 + 1), "firing {n} early");
    }
    assert!(bus.cancel_schedule(id).unwrap());
    let after = arrivals.len();
    let marked = Latch::new(1);
    let mark = marked.clone();
    bus.register_listener("acme/tick", move |m| {
        if m.payload() == &Value::Int(-1) {
            mark.count_down();
        }
        Ok(())
    })
    .unwrap();
    bus.schedule("acme/tick", Value::Int(-1), PERIOD * 3, None)
        .unwrap();
    assert!(marked.wait());
    let late: Vec<_> = arrivals.items()[after..]
        .iter()
        .map(|a| a.1.clone())
        .collect();
    let ticks = late.iter().filter(|v| **v != Value::Int(-1)).count();
    assert!(
        ticks <= 1,
        "after cancel, at most the one firing in flight: {late:?}"
    );
}

#[test]
fn a_schedule_cancelled_before_it_fires_never_sends() {
    let latch = Latch::new(1);
    let (bus, arrivals) = ticking(&latch);
    let cancelled = bus
        .schedule("acme/tick", Value::Int(1), PERIOD, None)
        .unwrap();
    bus.schedule("acme/tick", Value::Int(2), PERIOD * 3, None)
        .unwrap();
    assert!(bus.cancel_schedule(cancelled).unwrap());
    assert!(latch.wait(), "the later schedule fires");
    let values: Vec<_> = arrivals.items().into_iter().map(|a| a.1).collect();
    assert_eq!(values, vec![Value::Int(2)]);
    assert!(
        !bus.cancel_schedule(cancelled).unwrap(),
        "cancelled already"
    );
    let stats = bus.metrics().unwrap().bus.schedules;
    assert_eq!((stats.fired, stats.cancelled, stats.pending), (1, 1, 0));
}

#[test]
fn scheduled_sends_pass_interceptors_and_unknown_names_are_refused_at_once() {
    let latch = Latch::new(1);
    let (bus, arrivals) = ticking(&latch);
    bus.add_interceptor(|_, m| {
        m.put("scheduled", true);
        Ok(false)
    })
    .unwrap();
    let seen = Recorder::new();
    let (keep, last) = (seen.clone(), Latch::new(1));
    let done = last.clone();
    bus.register_listener("acme/tick", move |m| {
        keep.push(m.get("scheduled").cloned());
        done.count_down();
        Ok(())
    })
    .unwrap();
    bus.schedule("acme/tick", "x", Duration::ZERO, None)
        .unwrap();
    // The second listener's latch: the first one's opens before it runs.
    assert!(latch.wait() && last.wait());
    assert_eq!(arrivals.len(), 1);
    assert_eq!(seen.items(), vec![Some(Value::Bool(true))]);
    assert!(matches!(
        bus.schedule("acme/none", "x", PERIOD, None),
        Err(Error::NoSuchDestination(_))
    ));
    assert!(matches!(
        bus.schedule("acme/tick", "x", PERIOD, Some(Duration::ZERO)),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn shutdown_cancels_what_has_not_fired_and_counts_it() {
    let latch = Latch::new(1);
    let (bus, arrivals) = ticking(&latch);
    for _ in 0..3 {
        bus.schedule("acme/tick", "later", Duration::from_secs(3600), None)
            .unwrap();
    }
    bus.schedule(
        "acme/tick",
        "often",
        Duration::from_secs(3600),
        Some(PERIOD),
    )
    .unwrap();
    bus.shutdown(false, None).unwrap();
    assert_eq!(arrivals.len(), 0);
    let stats = bus.metrics().unwrap().bus.schedules;
    assert_eq!((stats.cancelled_at_shutdown, stats.pending), (4, 0));
    assert!(matches!(
        bus.schedule("acme/tick", "x", PERIOD, None),
        Err(Error::Closed(_))
    ));
}
