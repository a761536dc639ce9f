//! The same workloads over a raw crossbeam channel: what moving a message
//! between two threads costs with nothing else around it.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded};

use crate::shape::Shape;

/// The baseline's message: the payload inline (no allocation) for 16
/// bytes, else allocated once per message and shared by its listeners;
/// and one value.
#[derive(Clone)]
enum Payload {
    Inline([u8; 16]),
    Heap(Arc<[u8]>),
}

impl Payload {
    fn first(&self) -> u8 {
        match self {
            Payload::Inline(bytes) => bytes[0],
            Payload::Heap(bytes) => bytes[0],
        }
    }
}

struct Item {
    payload: Payload,
    key: &'static str,
    value: i64,
    listener: usize,
}

fn payload(bytes: &[u8]) -> Payload {
    match <[u8; 16]>::try_from(bytes) {
        Ok(inline) => Payload::Inline(inline),
        Err(_) => Payload::Heap(bytes.into()),
    }
}

fn item(payload: Payload, sequence: usize, listener: usize) -> Item {
    Item {
        payload,
        key: "seq",
        value: sequence as i64,
        listener,
    }
}

/// W1 (one receiver calling every listener in turn) and W2 (two receivers
/// taking one item per listener): seconds from first send to last call.
pub fn throughput(receivers: usize, shape: Shape) -> f64 {
    let (tx, rx) = unbounded::<Item>();
    let payload = vec![7u8; shape.payload];
    let fanout = if receivers == 1 { 1 } else { shape.listeners };
    let calls_per_item = shape.listeners / fanout;
    let start = Instant::now();
    thread::scope(|scope| {
        for _ in 0..receivers {
            let rx = rx.clone();
            scope.spawn(move || {
                // Each "listener" reads the payload, the value and its index.
                let mut seen = 0usize;
                for item in rx {
                    for listener in 0..calls_per_item {
                        seen += usize::from(item.payload.first())
                            + item.key.len()
                            + item.listener
                            + listener;
                        seen += item.value as usize;
                    }
                }
                std::hint::black_box(seen)
            });
        }
        drop(rx);
        let payload = &payload;
        let producers: Vec<_> = (0..shape.producers)
            .map(|producer| {
                let tx = tx.clone();
                scope.spawn(move || {
                    for sequence in 0..shape.share(producer) {
                        let shared = self::payload(payload);
                        for listener in 0..fanout {
                            tx.send(item(shared.clone(), sequence, listener)).unwrap();
                        }
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.join().unwrap();
        }
        drop(tx);
    });
    start.elapsed().as_secs_f64()
}

/// W3: request on one channel, reply on another, `rounds` times in turn.
pub fn request_reply(rounds: usize) -> Vec<Duration> {
    let (request_tx, request_rx) = bounded::<Item>(1);
    let (reply_tx, reply_rx) = bounded::<i64>(1);
    let responder = thread::spawn(move || {
        for request in request_rx {
            reply_tx.send(request.value).unwrap();
        }
    });
    let payload = [7u8; 16];
    let samples = (0..rounds)
        .map(|sequence| {
            let start = Instant::now();
            request_tx
                .send(item(self::payload(&payload), sequence, 0))
                .unwrap();
            reply_rx.recv().unwrap();
            start.elapsed()
        })
        .collect();
    drop(request_tx);
    responder.join().unwrap();
    samples
}

/// W4: one item at a time; the receiver measures send → receive and acks.
pub fn one_way(rounds: usize) -> Vec<Duration> {
    let base = Instant::now();
    let (tx, rx) = unbounded::<Item>();
    let (ack_tx, ack_rx) = bounded(1);
    let receiver = thread::spawn(move || {
        for item in rx {
            ack_tx
                .send(base.elapsed() - Duration::from_nanos(item.value as u64))
                .unwrap();
        }
    });
    let payload = [7u8; 16];
    let samples = (0..rounds)
        .map(|_| {
            tx.send(item(
                self::payload(&payload),
                base.elapsed().as_nanos() as usize,
                0,
            ))
            .unwrap();
            ack_rx.recv().unwrap()
        })
        .collect();
    drop(tx);
    receiver.join().unwrap();
    samples
}
