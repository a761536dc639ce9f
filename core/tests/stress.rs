//! The accounting law under randomized load: every message handed to the
//! bus ends in exactly one recorded outcome — delivered, failed, rejected,
//! dropped for want of a listener, or discarded by a forced shutdown.
//!
//! Several threads run random operations on one bus: sends to serial,
//! parallel and synchronous destinations, default- and direct-synchronous
//! sends, listeners (plain, failing, panicking, replying) coming and going,
//! destinations added, replaced and removed, and a shutdown (graceful or
//! forced) at a random moment. At the end, for every destination name:
//!
//! - `sent = delivered + failed + rejected + dropped + discarded`, and
//!   nothing is pending;
//! - `sent - rejected` is exactly the number of calls that reported the
//!   message accepted (the test's own ledger);
//! - listeners were called at least once per delivered or failed message,
//!   and failed at least once per failed message;
//! - every undelivered message reached the bus's dead-letter destination
//!   exactly once, with its reason: as many letters of each reason as the
//!   counters say, sends to unknown names and expired replies included.
//!
//! `MSGBUS_STRESS_SEED` replays a run (the seed is printed);
//! `MSGBUS_STRESS_SECONDS` sets its length (`make soak`). The last line of
//! output is the run's figures, for RELIABILITY.md.

mod common;

use std::collections::HashMap;
use std::panic;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

use common::PATIENCE;
use msgbus::{
    DestinationConfig, DestinationType, Error, ListenerId, Message, MessageBus, RejectionPolicy,
    WeakMessageBus,
};

const THREADS: usize = 4;
const NAMES: [&str; 6] = [
    "acme/serial-a",
    "acme/serial-b",
    "acme/parallel-a",
    "acme/parallel-b",
    "acme/sync-a",
    "acme/sync-b",
];
const INJECTED: &str = "stress: injected panic";
/// The bus's dead-letter destination, synchronous, never removed.
const DEAD: &str = "acme/dead";

/// Dead letters received, by (destination, reason).
type Letters = Arc<parking_lot::Mutex<HashMap<(String, String), u64>>>;

/// splitmix64: small, fast and good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// What listeners saw, per destination name.
#[derive(Default)]
struct Calls {
    calls: AtomicU64,
    failures: AtomicU64,
}

/// What the senders were told, per destination name: how many messages the
/// bus reported accepted.
type Ledger = HashMap<&'static str, u64>;

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn kind_of(name: &str) -> DestinationType {
    match name.split('-').next() {
        Some("acme/serial") => DestinationType::Serial,
        Some("acme/parallel") => DestinationType::Parallel,
        _ => DestinationType::Synchronous,
    }
}

fn random_config(rng: &mut Rng, name: &str) -> DestinationConfig {
    let mut config = DestinationConfig::new(kind_of(name));
    if rng.chance(50) {
        config = config.max_queue_size(1 + rng.below(64));
    }
    let policy = match rng.below(3) {
        0 => RejectionPolicy::Discard,
        1 => RejectionPolicy::CallerRuns,
        _ => RejectionPolicy::Block {
            timeout: Duration::from_micros(rng.below(2000) as u64),
        },
    };
    // Now and then a destination whose workers the system cannot start
    // (a stack no system gives): its senders deliver its messages.
    if rng.chance(5) {
        config = config.stack_size(1 << 50);
    }
    let core = 1 + rng.below(3);
    config
        .rejection_policy(policy)
        .workers(core, core + rng.below(3))
}

/// A listener of one of five kinds: plain, failing on some payloads,
/// panicking on some payloads, replying to requests, or slow (busy for
/// 100 µs, so that a shutdown meets calls running).
fn listener(
    rng: &mut Rng,
    bus: WeakMessageBus,
    calls: Arc<Calls>,
) -> impl Fn(&Message) -> Result<(), msgbus::ListenerError> + Send + Sync + 'static {
    let kind = rng.below(5);
    move |m| {
        calls.calls.fetch_add(1, SeqCst);
        let n = m.payload().as_int().unwrap_or(0);
        match kind {
            1 if n % 3 == 0 => {
                calls.failures.fetch_add(1, SeqCst);
                Err("stress: refused".into())
            }
            2 if n % 5 == 0 => {
                calls.failures.fetch_add(1, SeqCst);
                panic!("{INJECTED}")
            }
            3 if m.response_id().is_some() => {
                if let Some(bus) = bus.upgrade() {
                    // A late reply may find the bus shut down; that is fine.
                    let _ = bus.reply(m, n);
                }
                Ok(())
            }
            4 => {
                let start = Instant::now();
                while start.elapsed() < Duration::from_micros(100) {
                    std::hint::spin_loop();
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

struct Run {
    bus: MessageBus,
    calls: HashMap<&'static str, Arc<Calls>>,
    deadline: Instant,
    shutdown_at: Instant,
    force: bool,
    shut_down: AtomicBool,
    operations: AtomicU64,
}

impl Run {
    /// Shuts the bus down; a forced shutdown, whatever calls still run,
    /// leaves nothing queued the moment it returns.
    fn shut_down(&self) {
        if !self.force {
            let _ = self.bus.shutdown(false, Some(PATIENCE));
            return;
        }
        let _ = self.bus.shutdown(true, Some(Duration::ZERO));
        for name in NAMES {
            if let Ok(s) = self.bus.destination_statistics(name) {
                assert_eq!(
                    s.pending_message_count, 0,
                    "{name}: queued after a forced shutdown returned: {s:?}"
                );
            }
        }
    }

    /// One thread's share: random operations until the deadline.
    fn worker(&self, mut rng: Rng) -> Ledger {
        let mut ledger = Ledger::new();
        let mut mine: Vec<ListenerId> = Vec::new();
        let mut n: i64 = 0;
        while Instant::now() < self.deadline {
            self.operations.fetch_add(1, SeqCst);
            if Instant::now() >= self.shutdown_at && !self.shut_down.swap(true, SeqCst) {
                self.shut_down();
                continue;
            }
            let name = NAMES[rng.below(NAMES.len())];
            n += 1;
            let accepted = match rng.below(100) {
                0..=59 => self.accepted(self.bus.send(name, Message::with_payload(n))),
                60..=69 => {
                    let timeout = Duration::from_micros(rng.below(3000) as u64);
                    match self
                        .bus
                        .send_synchronous(name, Message::with_payload(n), timeout)
                    {
                        // Sent: answered, failed by a listener, or not in time.
                        Ok(_) | Err(Error::Timeout(_) | Error::Listener(_)) => true,
                        Err(e) => self.refused(e),
                    }
                }
                70..=79 => match self.bus.send_direct(name, Message::with_payload(n)) {
                    Ok(_) | Err(Error::Listener(_)) => true,
                    Err(e) => self.refused(e),
                },
                80..=87 => {
                    if mine.len() < 3 {
                        let weak = self.bus.downgrade();
                        let l = listener(&mut rng, weak, self.calls[name].clone());
                        // Refused only where a shutdown stopped the workers.
                        match self.bus.register_listener(name, l) {
                            Ok(id) => mine.push(id),
                            Err(Error::Closed(_)) if self.shut_down.load(SeqCst) => {}
                            Err(e) => panic!("register_listener: {e}"),
                        }
                    } else {
                        let id = mine.swap_remove(rng.below(mine.len()));
                        self.bus.unregister_listener(id).unwrap();
                    }
                    false
                }
                88..=93 => {
                    let config = random_config(&mut rng, name);
                    expect_install(self.bus.replace_destination(name, config));
                    false
                }
                94..=96 => {
                    let config = random_config(&mut rng, name);
                    match self.bus.add_destination_with_config(name, config) {
                        Err(Error::DestinationExists(_)) => {}
                        other => expect_install(other),
                    }
                    false
                }
                _ => {
                    match self.bus.remove_destination(name) {
                        Ok(()) | Err(Error::NoSuchDestination(_)) => {}
                        Err(e) => panic!("remove_destination: {e}"),
                    }
                    false
                }
            };
            if accepted {
                *ledger.entry(name).or_default() += 1;
            }
        }
        for id in mine {
            self.bus.unregister_listener(id).unwrap();
        }
        ledger
    }
}

impl Run {
    /// Whether a send result says the bus took the message.
    fn accepted(&self, result: msgbus::Result<()>) -> bool {
        match result {
            Ok(()) => true,
            Err(e) => self.refused(e),
        }
    }

    /// The refusals a send may meet in this test; anything else is a bug.
    /// `Closed` only once the shutdown began (its flag is set first): a
    /// replace or a remove never refuses a send as closed.
    fn refused(&self, e: Error) -> bool {
        match e {
            Error::NoSuchDestination(_) | Error::QueueFull(_) | Error::NoListeners(_) => false,
            Error::Closed(_) if self.shut_down.load(SeqCst) => false,
            e => panic!("unexpected send error: {e}"),
        }
    }
}

/// Installing may only fail because the bus is shut down.
fn expect_install(result: msgbus::Result<()>) {
    match result {
        Ok(()) | Err(Error::Closed(_)) => {}
        Err(e) => panic!("installing a destination: {e}"),
    }
}

#[test]
fn every_message_ends_in_exactly_one_recorded_outcome() {
    let seed = env_or("MSGBUS_STRESS_SEED", {
        let now = std::time::SystemTime::now();
        now.duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
    });
    let seconds: f64 = env_or("MSGBUS_STRESS_SECONDS", 2.0);
    println!("stress: seed {seed} (replay with MSGBUS_STRESS_SEED={seed}), {seconds} s");
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let injected =
            info.payload().downcast_ref::<String>().map(String::as_str) == Some(INJECTED);
        if !injected {
            default_hook(info);
        }
    }));

    let mut rng = Rng(seed);
    let bus = MessageBus::new();
    let letters = Letters::default();
    bus.add_destination(DEAD, DestinationType::Synchronous)
        .unwrap();
    let record = letters.clone();
    bus.register_listener(DEAD, move |m| {
        let text = |key| {
            m.get(key)
                .and_then(msgbus::Value::as_str)
                .expect("a dead letter names its reason and destination")
                .to_string()
        };
        let key = (
            text(msgbus::DEAD_LETTER_DESTINATION_KEY),
            text(msgbus::DEAD_LETTER_REASON_KEY),
        );
        *record.lock().entry(key).or_default() += 1;
        Ok(())
    })
    .unwrap();
    bus.set_dead_letter_destination(Some(DEAD)).unwrap();
    let mut calls = HashMap::new();
    for name in NAMES {
        bus.add_destination_with_config(name, random_config(&mut rng, name))
            .unwrap();
        calls.insert(name, Arc::new(Calls::default()));
    }
    let length = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let run = Run {
        bus,
        calls,
        deadline: start + length,
        shutdown_at: start + length.mul_f64(0.5 + rng.below(50) as f64 / 100.0),
        force: rng.chance(30),
        shut_down: AtomicBool::new(false),
        operations: AtomicU64::new(0),
    };
    let ledgers: Vec<Ledger> = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (run, rng) = (&run, Rng(seed ^ (t as u64 + 1).wrapping_mul(0x2545_f491)));
                s.spawn(move || run.worker(rng))
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    run.bus.shutdown(run.force, Some(PATIENCE)).unwrap();

    let mut messages = 0;
    let mut faults = 0;
    let letters = letters.lock().clone();
    let letters_of = |name: &str, reason: &str| {
        letters
            .get(&(name.to_string(), reason.to_string()))
            .copied()
            .unwrap_or(0)
    };
    for name in NAMES {
        // A removed name's counters are read through a destination added
        // for the purpose (synchronous ones may be added after shutdown).
        if !run.bus.has_destination(name) {
            run.bus
                .add_destination(name, DestinationType::Synchronous)
                .unwrap();
        }
        let s = run.bus.destination_statistics(name).unwrap();
        let told: u64 = ledgers.iter().filter_map(|l| l.get(name)).sum();
        let calls = &run.calls[name];
        let (called, failed_calls) = (calls.calls.load(SeqCst), calls.failures.load(SeqCst));
        let context = format!("{name} (seed {seed}): {s:?}, told accepted {told}");
        assert_eq!(
            s.sent_message_count,
            s.delivered_message_count
                + s.failed_message_count
                + s.rejected_message_count
                + s.dropped_no_listener_count
                + s.discarded_message_count,
            "{context}"
        );
        assert_eq!(s.pending_message_count, 0, "{context}");
        assert_eq!(
            s.sent_message_count - s.rejected_message_count,
            told,
            "{context}"
        );
        assert!(
            called >= s.delivered_message_count + s.failed_message_count,
            "{context}, {called} calls"
        );
        assert!(failed_calls >= s.failed_message_count, "{context}");
        let dead = [
            ("failed", s.failed_message_count),
            ("rejected", s.rejected_message_count),
            ("no_listener", s.dropped_no_listener_count),
            ("discarded", s.discarded_message_count),
        ];
        for (reason, count) in dead {
            assert_eq!(
                letters_of(name, reason),
                count,
                "{context}: {reason} letters"
            );
        }
        if !run.force {
            assert_eq!(s.discarded_message_count, 0, "{context}");
        }
        messages += s.sent_message_count;
        faults += failed_calls;
    }
    let replies = run
        .bus
        .destination_statistics(msgbus::DEFAULT_RESPONSE_DESTINATION)
        .unwrap();
    assert_eq!(replies.sent_message_count, replies.delivered_message_count);
    assert!(messages > 0);
    let metrics = run.bus.metrics().unwrap();
    let expired = metrics
        .destinations
        .iter()
        .find(|d| d.name == msgbus::DEFAULT_RESPONSE_DESTINATION)
        .unwrap()
        .dead_letters
        .expired;
    let defaults = msgbus::DEFAULT_RESPONSE_DESTINATION;
    assert_eq!(letters_of(defaults, "expired"), expired, "seed {seed}");
    let unknown: u64 = NAMES
        .iter()
        .map(|name| letters_of(name, "no_such_destination"))
        .sum();
    assert_eq!(
        unknown, metrics.bus.unknown_destination_count,
        "seed {seed}"
    );
    assert_eq!(metrics.bus.dead_letters_refused_count, 0, "seed {seed}");
    let total: u64 = letters.values().sum();
    let expected: u64 = metrics
        .destinations
        .iter()
        .map(|d| {
            let l = d.dead_letters;
            l.failed + l.rejected + l.no_listener + l.discarded + l.expired
        })
        .sum::<u64>()
        + unknown;
    assert_eq!(total, expected, "seed {seed}: every letter accounted for");
    println!(
        "RELIABILITY stress seed={seed} seconds={seconds} threads={THREADS} operations={} messages={} faults={faults} forced={}",
        run.operations.load(SeqCst),
        messages + replies.sent_message_count,
        run.force
    );
}
