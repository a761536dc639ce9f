//! The workloads through msgbus's Rust API.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::bounded;
use msgbus::{DestinationConfig, DestinationType, Message, MessageBus, Value};

use crate::measure::resident_bytes;
use crate::shape::Shape;

const TIMEOUT: Duration = Duration::from_secs(30);

/// The workloads' message: a fresh payload of `size` bytes and one value.
fn message(payload: &[u8], sequence: usize) -> Message {
    let mut message = Message::with_payload(Value::Bytes(payload.into()));
    message.put("seq", sequence as i64);
    message
}

/// How a workload's producers address the destination.
#[derive(Clone, Copy)]
pub enum Addressing {
    /// Through a [`msgbus::DestinationHandle`], made once per producer.
    Handle,
    /// By its name, looked up per send.
    Name,
}

/// W1 (serial) and W2 (parallel, 2 workers): seconds from the first send
/// to the last delivery. Each listener reads the message as the baseline's
/// receivers do; the end is a graceful shutdown, which returns once every
/// queued message was delivered (and its workers joined), as the
/// baseline's end is its receivers' join.
pub fn throughput(kind: DestinationType, shape: Shape, addressing: Addressing) -> f64 {
    throughput_with(
        DestinationConfig::new(kind).workers(2, 2),
        shape,
        addressing,
    )
}

/// [`throughput`] through a destination of `config`.
pub fn throughput_with(config: DestinationConfig, shape: Shape, addressing: Addressing) -> f64 {
    let bus = MessageBus::new();
    bus.add_destination_with_config("bench/throughput", config)
        .unwrap();
    for listener in 0..shape.listeners {
        bus.register_listener("bench/throughput", move |message| {
            let first = message.payload().as_bytes().map_or(0, |b| b[0]);
            let sequence = message.get("seq").and_then(Value::as_int).unwrap_or(0);
            std::hint::black_box(usize::from(first) + listener + sequence as usize);
            Ok(())
        })
        .unwrap();
    }
    let payload = vec![7u8; shape.payload];
    let start = Instant::now();
    thread::scope(|scope| {
        for producer in 0..shape.producers {
            let (bus, payload) = (&bus, &payload);
            scope.spawn(move || match addressing {
                Addressing::Handle => {
                    let handle = bus.destination("bench/throughput").unwrap();
                    for sequence in 0..shape.share(producer) {
                        handle.send(message(payload, sequence)).unwrap();
                    }
                }
                Addressing::Name => {
                    for sequence in 0..shape.share(producer) {
                        bus.send("bench/throughput", message(payload, sequence))
                            .unwrap();
                    }
                }
            });
        }
    });
    bus.shutdown(false, None).unwrap();
    let elapsed = start.elapsed().as_secs_f64();
    let stats = bus.destination_statistics("bench/throughput").unwrap();
    assert_eq!(stats.delivered_message_count as usize, shape.messages);
    elapsed
}

/// W3: `rounds` sequential send_synchronous round trips to a serial
/// destination whose listener replies.
pub fn request_reply(rounds: usize) -> Vec<Duration> {
    let bus = MessageBus::new();
    bus.add_destination("bench/w3", DestinationType::Serial)
        .unwrap();
    let weak = bus.downgrade();
    bus.register_listener("bench/w3", move |request| {
        let bus = weak.upgrade().ok_or("bus gone")?;
        bus.reply(request, 1).map_err(|e| e.to_string().into())
    })
    .unwrap();
    let payload = [7u8; 16];
    let samples = (0..rounds)
        .map(|sequence| {
            let start = Instant::now();
            bus.send_synchronous("bench/w3", message(&payload, sequence), TIMEOUT)
                .unwrap();
            start.elapsed()
        })
        .collect();
    bus.shutdown(false, None).unwrap();
    samples
}

/// W4: one message at a time to an idle serial destination; the time from
/// send to the listener's call.
pub fn one_way(rounds: usize) -> Vec<Duration> {
    let bus = MessageBus::new();
    bus.add_destination("bench/w4", DestinationType::Serial)
        .unwrap();
    let base = Instant::now();
    let (ack_tx, ack_rx) = bounded(1);
    bus.register_listener("bench/w4", move |message| {
        let sent =
            Duration::from_nanos(message.get("seq").and_then(Value::as_int).unwrap_or(0) as u64);
        let _ = ack_tx.send(base.elapsed() - sent);
        Ok(())
    })
    .unwrap();
    let payload = Value::Bytes([7u8; 16].as_slice().into());
    let samples = (0..rounds)
        .map(|_| {
            let mut message = Message::with_payload(payload.clone());
            message.put("seq", base.elapsed().as_nanos() as i64);
            bus.send("bench/w4", message).unwrap();
            ack_rx.recv().unwrap()
        })
        .collect();
    bus.shutdown(false, None).unwrap();
    samples
}

/// S1: seconds for `messages` direct sends to one listener in this thread,
/// and the same listener called by a plain loop.
pub fn direct(messages: usize) -> (f64, f64) {
    let bus = MessageBus::new();
    bus.add_destination("bench/s1", DestinationType::Serial)
        .unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let listener = {
        let count = count.clone();
        move |_: &Message| -> Result<(), msgbus::ListenerError> {
            count.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    };
    bus.register_listener("bench/s1", listener.clone()).unwrap();
    let payload = [7u8; 16];
    let handle = bus.destination("bench/s1").unwrap();
    let start = Instant::now();
    for sequence in 0..messages {
        handle.send_direct(message(&payload, sequence)).unwrap();
    }
    let direct = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for sequence in 0..messages {
        listener(&message(&payload, sequence)).unwrap();
    }
    let plain = start.elapsed().as_secs_f64();
    assert_eq!(count.load(Ordering::Relaxed), 2 * messages);
    bus.shutdown(false, None).unwrap();
    (direct, plain)
}

/// Resident bytes per queued 16-byte message beyond its payload: a serial
/// destination whose listener holds the first message until `messages`
/// are queued.
pub fn memory_per_message(messages: usize) -> f64 {
    let bus = MessageBus::new();
    bus.add_destination("bench/memory", DestinationType::Serial)
        .unwrap();
    let hold = Arc::new(AtomicBool::new(true));
    let (entered_tx, entered_rx) = bounded(1);
    let (release_tx, release_rx) = bounded::<()>(1);
    {
        let hold = hold.clone();
        bus.register_listener("bench/memory", move |_| {
            if hold.swap(false, Ordering::AcqRel) {
                let _ = entered_tx.send(());
                let _ = release_rx.recv();
            }
            Ok(())
        })
        .unwrap();
    }
    let payload = [7u8; 16];
    bus.send("bench/memory", message(&payload, 0)).unwrap();
    entered_rx.recv().unwrap();
    let before = resident_bytes();
    for sequence in 1..=messages {
        bus.send("bench/memory", message(&payload, sequence))
            .unwrap();
    }
    let after = resident_bytes();
    release_tx.send(()).unwrap();
    bus.shutdown(false, None).unwrap();
    (after.saturating_sub(before)) as f64 / messages as f64 - payload.len() as f64
}
