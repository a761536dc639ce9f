//! What the operations features cost: W1 with its timing sampled (the
//! default), off and at every message; how late scheduled sends fire
//! against a thread sleeping until each deadline; and the memory of a
//! pending timer.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::unbounded;
use msgbus::{DEFAULT_TIMING_EVERY, DestinationConfig, DestinationType, MessageBus, Value};

use crate::bus::{Addressing, throughput_with};
use crate::shape::Shape;

/// W1 seconds with `timing_every` at 0 (off), the default and 1, each the
/// median of `runs` runs interleaved, in an order that turns at each
/// round, so that the machine's drift falls on all three alike.
pub fn timing_cost(shape: Shape, runs: usize) -> Vec<(&'static str, f64)> {
    let settings = [
        ("timing off", 0),
        ("timing 1 in 64", DEFAULT_TIMING_EVERY),
        ("timing every message", 1),
    ];
    let mut seconds = vec![Vec::new(); settings.len()];
    for round in 0..runs {
        for turn in 0..settings.len() {
            let i = (round + turn) % settings.len();
            let config =
                DestinationConfig::new(DestinationType::Serial).timing_every(settings[i].1);
            seconds[i].push(throughput_with(config, shape, Addressing::Handle));
        }
    }
    settings
        .iter()
        .zip(seconds)
        .map(|((label, _), mut runs)| {
            runs.sort_by(f64::total_cmp);
            (*label, runs[runs.len() / 2])
        })
        .collect()
}

/// The due times of `timers` one-shots, spread evenly over `span` in a
/// scrambled order (golden-ratio steps).
fn deadlines(timers: usize, span: Duration) -> Vec<Duration> {
    (0..timers)
        .map(|i| span.mul_f64((i as f64 * 0.618_034).fract()))
        .collect()
}

/// How late each of `timers` scheduled sends reached its synchronous
/// destination's listener after its due time, spread over `span`.
pub fn lateness(timers: usize, span: Duration) -> Vec<Duration> {
    let bus = MessageBus::new();
    bus.add_destination("bench/timer", DestinationType::Synchronous)
        .unwrap();
    let start = Instant::now();
    let late = Arc::new(Mutex::new(Vec::with_capacity(timers)));
    let (done_tx, done_rx) = unbounded();
    let seen = late.clone();
    bus.register_listener("bench/timer", move |m| {
        let due = start + Duration::from_nanos(m.payload().as_int().unwrap() as u64);
        let mut late = seen.lock().unwrap();
        late.push(Instant::now().saturating_duration_since(due));
        if late.len() == timers {
            let _ = done_tx.send(());
        }
        Ok(())
    })
    .unwrap();
    for delay in deadlines(timers, span) {
        let from_start = start.elapsed();
        let due = delay.max(from_start);
        bus.schedule(
            "bench/timer",
            Value::Int(due.as_nanos() as i64),
            due - from_start,
            None,
        )
        .unwrap();
    }
    done_rx
        .recv_timeout(span + Duration::from_secs(30))
        .unwrap();
    bus.shutdown(false, None).unwrap();
    std::mem::take(&mut *late.lock().unwrap())
}

/// The baseline: one thread sleeping until each of the same deadlines in
/// turn, as a hand-written timer would.
pub fn sleeping_lateness(timers: usize, span: Duration) -> Vec<Duration> {
    let mut due = deadlines(timers, span);
    due.sort();
    let start = Instant::now();
    due.iter()
        .map(|&at| {
            let at = start + at;
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
            Instant::now().saturating_duration_since(at)
        })
        .collect()
}

/// Heap bytes per pending one-shot timer whose message carries an
/// integer, over `timers` of them: glibc's count of bytes allocated, since
/// resident memory stays flat where earlier workloads left freed heap.
pub fn bytes_per_timer(timers: usize) -> f64 {
    let bus = MessageBus::new();
    bus.add_destination("bench/later", DestinationType::Serial)
        .unwrap();
    let hour = Duration::from_secs(3600);
    bus.schedule("bench/later", Value::Int(0), hour, None)
        .unwrap();
    let before = heap_bytes();
    for n in 1..timers {
        bus.schedule("bench/later", Value::Int(n as i64), hour, None)
            .unwrap();
    }
    let after = heap_bytes();
    bus.shutdown(false, None).unwrap();
    after.saturating_sub(before) as f64 / (timers - 1) as f64
}

/// Bytes the allocator has handed out and not had back, mapped chunks
/// included.
fn heap_bytes() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let info = unsafe { libc::mallinfo2() };
    info.uordblks + info.hblkhd
}
