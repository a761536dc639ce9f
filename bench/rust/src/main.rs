//! `make bench`'s Rust half: runs W1–W4, S1, the scaling series and the
//! memory figure through msgbus's Rust API and over a raw crossbeam
//! channel, and the registry at scale through msgbus and a hand-written
//! registry, and prints one JSON line per figure (bench/report.py reads
//! them). `--quick` runs every workload at a small size; `--only=msgbus`
//! or `--only=crossbeam` one side of each comparison (see [`Side`]); other
//! arguments name the workloads to run (`W1`, `S1`, `memory`, `scaling`,
//! `registry`, `timing`, `timers`; default all), for profiling one of them.

mod baseline;
mod bus;
mod measure;
mod operations;
mod registry;
mod shape;

use msgbus::DestinationType;

use bus::Addressing;

use measure::{Figure, percentiles};
use shape::Shape;

/// Message counts at full and quick size.
struct Sizes {
    w1: usize,
    w2: usize,
    rounds: usize,
    s1: usize,
    scaling: usize,
    memory: usize,
    registry: usize,
    timers: usize,
    pending_timers: usize,
}

const FULL: Sizes = Sizes {
    w1: 1_000_000,
    w2: 200_000,
    rounds: 100_000,
    s1: 1_000_000,
    scaling: 200_000,
    memory: 1_000_000,
    registry: 100_000,
    timers: 20_000,
    pending_timers: 1_000_000,
};

const QUICK: Sizes = Sizes {
    w1: 20_000,
    w2: 4_000,
    rounds: 2_000,
    s1: 20_000,
    scaling: 2_000,
    memory: 20_000,
    registry: 2_000,
    timers: 500,
    pending_timers: 20_000,
};

/// Which side of each comparison a run measures: `--only=msgbus` or
/// `--only=crossbeam` (the baselines: a crossbeam channel, a plain loop,
/// a hand-written registry), both when neither is given. make bench measures each
/// side in a process of its own: a baseline measured after msgbus in the
/// same process ran up to 1.6 times as fast as one measured alone (it
/// inherits the heap msgbus's threads grew), which no user would see.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Both,
    Msgbus,
    Crossbeam,
}

impl Side {
    fn msgbus(self) -> bool {
        self != Side::Crossbeam
    }

    fn crossbeam(self) -> bool {
        self != Side::Msgbus
    }
}

/// The second of two runs: the first grows the heap to what the workload
/// needs, so that first-touch page faults are not what is measured.
fn warmed(run: impl Fn() -> f64) -> f64 {
    run();
    run()
}

/// msgbus sending through a destination handle ("msgbus") and, for W1,
/// by the destination's name ("msgbus by name"), against crossbeam.
fn throughput(side: Side, workload: &str, kind: DestinationType, receivers: usize, shape: Shape) {
    let params = shape.params();
    let mut runs = Vec::new();
    if side.msgbus() {
        runs.push((
            "msgbus",
            warmed(|| bus::throughput(kind, shape, Addressing::Handle)),
        ));
        if workload == "W1" {
            runs.push((
                "msgbus by name",
                warmed(|| bus::throughput(kind, shape, Addressing::Name)),
            ));
        }
    }
    if side.crossbeam() {
        runs.push((
            "crossbeam",
            warmed(|| baseline::throughput(receivers, shape)),
        ));
    }
    for (implementation, seconds) in runs {
        Figure {
            workload,
            implementation,
            metric: "throughput",
            value: shape.deliveries() as f64 / seconds,
            unit: "deliveries/s",
            params: &params,
        }
        .print();
    }
}

fn latency(workload: &str, implementation: &str, mut samples: Vec<std::time::Duration>) {
    let (p50, p99) = percentiles(&mut samples);
    let params = [("rounds", samples.len())];
    for (metric, value) in [("p50", p50), ("p99", p99)] {
        Figure {
            workload,
            implementation,
            metric,
            value,
            unit: "us",
            params: &params,
        }
        .print();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes = if args.iter().any(|a| a == "--quick") {
        &QUICK
    } else {
        &FULL
    };
    let named: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs = |workload: &str| named.is_empty() || named.contains(&workload);
    let side = match args.iter().find_map(|a| a.strip_prefix("--only=")) {
        None => Side::Both,
        Some("msgbus") => Side::Msgbus,
        Some("crossbeam") => Side::Crossbeam,
        Some(other) => panic!("--only={other}: expected msgbus or crossbeam"),
    };
    let base = |messages, listeners| Shape {
        messages,
        listeners,
        producers: 1,
        payload: 16,
    };

    if runs("W1") {
        throughput(side, "W1", DestinationType::Serial, 1, base(sizes.w1, 1));
    }
    if runs("W2") {
        throughput(side, "W2", DestinationType::Parallel, 2, base(sizes.w2, 4));
    }
    if runs("W3") {
        if side.msgbus() {
            latency("W3", "msgbus", bus::request_reply(sizes.rounds));
        }
        if side.crossbeam() {
            latency("W3", "crossbeam", baseline::request_reply(sizes.rounds));
        }
    }
    if runs("W4") {
        if side.msgbus() {
            latency("W4", "msgbus", bus::one_way(sizes.rounds));
        }
        if side.crossbeam() {
            latency("W4", "crossbeam", baseline::one_way(sizes.rounds));
        }
    }
    // S1's baseline is a loop in the same thread, and memory has none:
    // both belong to msgbus's side.
    if runs("S1") && side.msgbus() {
        direct(sizes.s1);
    }
    if runs("scaling") {
        scaling(side, sizes.scaling, base);
    }
    if runs("memory") && side.msgbus() {
        memory(sizes.memory);
    }
    if runs("registry") {
        registry(side, sizes.registry);
    }
    // Both sides of these run in msgbus's process: timing compares msgbus
    // with itself, and the timers' baseline is a sleeping thread.
    if runs("timing") && side.msgbus() {
        timing(base(sizes.w1, 1));
    }
    if runs("timers") && side.msgbus() {
        timers(sizes.timers, sizes.pending_timers);
    }
}

/// W1 with the metrics' timing off, sampled (the default) and at every
/// message.
fn timing(shape: Shape) {
    let params = shape.params();
    for (implementation, seconds) in operations::timing_cost(shape, 5) {
        Figure {
            workload: "W1 timing",
            implementation,
            metric: "throughput",
            value: shape.deliveries() as f64 / seconds,
            unit: "deliveries/s",
            params: &params,
        }
        .print();
    }
}

/// Lateness of scheduled sends against a sleeping thread, and the memory
/// of pending timers.
fn timers(timers: usize, pending: usize) {
    let span = std::time::Duration::from_secs(2);
    for (implementation, mut late) in [
        ("msgbus", operations::lateness(timers, span)),
        ("thread::sleep", operations::sleeping_lateness(timers, span)),
    ] {
        let (p50, p99) = percentiles(&mut late);
        let params = [("timers", timers)];
        for (metric, value) in [("p50 lateness", p50), ("p99 lateness", p99)] {
            Figure {
                workload: "timers",
                implementation,
                metric,
                value,
                unit: "us",
                params: &params,
            }
            .print();
        }
    }
    Figure {
        workload: "timers",
        implementation: "msgbus",
        metric: "bytes per pending timer",
        value: operations::bytes_per_timer(pending),
        unit: "B",
        params: &[("timers", pending)],
    }
    .print();
}

/// Seconds to add and remove `n` destinations, and to register and
/// unregister `n` listeners on one.
fn registry(side: Side, n: usize) {
    let mut runs = Vec::new();
    if side.msgbus() {
        runs.push(("msgbus", registry::msgbus(n)));
    }
    if side.crossbeam() {
        runs.push(("hand-written", registry::hand_written(n)));
    }
    let params = [("count", n)];
    for (implementation, times) in runs {
        for (metric, value) in [
            ("add destinations", times.add),
            ("remove destinations", times.remove),
            ("register listeners", times.register),
            ("unregister listeners", times.unregister),
        ] {
            Figure {
                workload: "registry",
                implementation,
                metric,
                value,
                unit: "s",
                params: &params,
            }
            .print();
        }
    }
}

fn direct(messages: usize) {
    let (direct, plain) = bus::direct(messages);
    let params = [("messages", messages)];
    for (implementation, seconds) in [("msgbus", direct), ("plain loop", plain)] {
        let value = messages as f64 / seconds;
        Figure {
            workload: "S1",
            implementation,
            metric: "throughput",
            value,
            unit: "msgs/s",
            params: &params,
        }
        .print();
    }
}

/// Throughput against listeners, producers and payload size.
fn scaling(side: Side, messages: usize, base: impl Fn(usize, usize) -> Shape) {
    for listeners in [1, 2, 4, 8, 16] {
        throughput(
            side,
            "W1 listeners",
            DestinationType::Serial,
            1,
            base(messages, listeners),
        );
        throughput(
            side,
            "W2 listeners",
            DestinationType::Parallel,
            2,
            base(messages, listeners),
        );
    }
    for producers in [1, 2, 4] {
        let shape = Shape {
            producers,
            ..base(messages, 1)
        };
        throughput(side, "W1 producers", DestinationType::Serial, 1, shape);
        throughput(
            side,
            "W2 producers",
            DestinationType::Parallel,
            2,
            Shape {
                listeners: 4,
                ..shape
            },
        );
    }
    for payload in [16, 256, 4096, 65536] {
        let shape = Shape {
            payload,
            ..base(messages / 4, 1)
        };
        throughput(side, "W1 payload", DestinationType::Serial, 1, shape);
        throughput(
            side,
            "W2 payload",
            DestinationType::Parallel,
            2,
            Shape {
                listeners: 4,
                ..shape
            },
        );
    }
}

fn memory(messages: usize) {
    let value = bus::memory_per_message(messages);
    let params = [("messages", messages), ("payload", 16)];
    Figure {
        workload: "memory",
        implementation: "msgbus",
        metric: "bytes per queued message",
        value,
        unit: "B",
        params: &params,
    }
    .print();
}
