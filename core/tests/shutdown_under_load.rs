//! A graceful shutdown while four producers send at full speed, 50 times:
//! every accepted message is delivered, every refused one was refused with
//! `Closed`, and no thread of the bus outlives it.
//!
//! Alone in its test binary so that the process's thread count is this
//! test's own.

mod common;

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::{Latch, PATIENCE};
use msgbus::{DestinationConfig, DestinationType, Error, Message, MessageBus};

const ROUNDS: usize = 50;
const PRODUCERS: usize = 4;
/// Each producer has this many messages accepted before the shutdown starts.
const WARM_UP: usize = 500;
const NAMES: [&str; 2] = ["acme/load-serial", "acme/load-parallel"];

fn threads_in_process() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// Waits for the kernel to reap threads already joined: a joined thread
/// may be listed for a moment after `join` returns, and nothing signals its
/// disappearance.
fn wait_for_thread_count(expected: usize) -> usize {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = threads_in_process();
        if now <= expected || Instant::now() > deadline {
            return now;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

#[derive(Default)]
struct Tally {
    accepted: [AtomicU64; 2],
    closed: AtomicU64,
}

fn round(tally: &Tally) {
    let bus = MessageBus::new();
    bus.add_destination(NAMES[0], DestinationType::Serial)
        .unwrap();
    bus.add_destination_with_config(
        NAMES[1],
        DestinationConfig::new(DestinationType::Parallel).workers(2, 4),
    )
    .unwrap();
    let delivered: Arc<[AtomicU64; 2]> = Arc::default();
    for (index, name) in NAMES.into_iter().enumerate() {
        let delivered = delivered.clone();
        bus.register_listener(name, move |_| {
            delivered[index].fetch_add(1, SeqCst);
            Ok(())
        })
        .unwrap();
    }
    let warmed_up = Latch::new(PRODUCERS);
    let accepted: [AtomicU64; 2] = Default::default();
    let start = Barrier::new(PRODUCERS + 1);
    thread::scope(|s| {
        for p in 0..PRODUCERS {
            let (bus, warmed_up, accepted, start) = (&bus, &warmed_up, &accepted, &start);
            s.spawn(move || {
                start.wait();
                let mut closed = [false; 2];
                let mut sent = 0usize;
                while !closed.iter().all(|c| *c) {
                    let index = sent % 2;
                    match bus.send(NAMES[index], Message::with_payload(p as i64)) {
                        Ok(()) => {
                            accepted[index].fetch_add(1, SeqCst);
                            sent += 1;
                            if sent == WARM_UP {
                                warmed_up.count_down();
                            }
                        }
                        Err(Error::Closed(_)) => {
                            closed[index] = true;
                            tally.closed.fetch_add(1, SeqCst);
                            sent += 1;
                        }
                        Err(e) => panic!("send during shutdown: {e}"),
                    }
                }
            });
        }
        start.wait();
        assert!(warmed_up.wait(), "the producers never got going");
        bus.shutdown(false, Some(PATIENCE)).unwrap();
    });
    for (index, name) in NAMES.into_iter().enumerate() {
        let accepted = accepted[index].load(SeqCst);
        let stats = bus.destination_statistics(name).unwrap();
        assert_eq!(delivered[index].load(SeqCst), accepted, "{name}: {stats:?}");
        assert_eq!(stats.delivered_message_count, accepted, "{name}");
        assert_eq!(stats.sent_message_count, accepted, "{name}");
        assert_eq!(stats.current_thread_count, 0, "{name}");
        tally.accepted[index].fetch_add(accepted, SeqCst);
    }
}

#[test]
fn graceful_shutdown_under_load_delivers_every_accepted_message() {
    let before = threads_in_process();
    let tally = Tally::default();
    for _ in 0..ROUNDS {
        round(&tally);
        assert_eq!(
            wait_for_thread_count(before),
            before,
            "a thread outlived its bus"
        );
    }
    let accepted: u64 = tally.accepted.iter().map(|a| a.load(SeqCst)).sum();
    println!(
        "RELIABILITY shutdown_under_load rounds={ROUNDS} producers={PRODUCERS} accepted={accepted} refused_closed={}",
        tally.closed.load(SeqCst)
    );
}
