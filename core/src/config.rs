//! Destination types, rejection policies and the configuration of a
//! destination (Liferay's `DestinationConfiguration`, with its defaults).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};

/// How a destination delivers its messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DestinationType {
    /// Queued; one worker takes one message at a time and calls every
    /// listener of it in turn.
    Serial,
    /// Queued; one task per message per listener, run by a pool of workers.
    Parallel,
    /// Delivered in the sender's thread before `send` returns.
    Synchronous,
}

impl DestinationType {
    /// The Liferay name: `serial`, `parallel` or `synchronous`.
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationType::Serial => "serial",
            DestinationType::Parallel => "parallel",
            DestinationType::Synchronous => "synchronous",
        }
    }
}

impl fmt::Display for DestinationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DestinationType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "serial" => Ok(DestinationType::Serial),
            "parallel" => Ok(DestinationType::Parallel),
            "synchronous" => Ok(DestinationType::Synchronous),
            other => Err(Error::InvalidArgument(format!(
                "unknown destination type {other:?} (expected serial, parallel or synchronous)"
            ))),
        }
    }
}

/// What a queued destination does with a message when its queue is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RejectionPolicy {
    /// Drop the message, count it, log a warning and tell the sender
    /// ([`Error::QueueFull`]). Liferay's default.
    #[default]
    Discard,
    /// Deliver the message in the sender's thread. The message may then
    /// overtake messages still queued.
    CallerRuns,
    /// Wait for room up to `timeout`, then reject as `Discard` does.
    Block { timeout: Duration },
}

/// Liferay's defaults: `workers_core_size`.
pub const DEFAULT_WORKERS_CORE_SIZE: usize = 2;
/// Liferay's defaults: `workers_max_size`.
pub const DEFAULT_WORKERS_MAX_SIZE: usize = 5;
/// How long an idle worker above the core size lives.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(60);
/// The stack of a worker thread: what Linux gives a new thread (and so a
/// C program's or Python's threads) by default, where Rust's own default
/// is 2 MiB, which deep Python listeners outgrow. Address space, not
/// memory: pages are used as the stack grows.
pub const DEFAULT_STACK_SIZE: usize = 8 << 20;
/// The smallest worker stack accepted (glibc's PTHREAD_STACK_MIN).
pub const MIN_STACK_SIZE: usize = 16 << 10;
/// One message in this many has its queue wait and listener calls timed
/// (see [`DestinationConfig::timing_every`]): a clock read costs about
/// 25 ns, half of what a whole send costs.
pub const DEFAULT_TIMING_EVERY: u32 = 64;

/// The configuration of a destination. Built with chained setters:
///
/// ```
/// use msgbus::{DestinationConfig, DestinationType, RejectionPolicy};
/// let config = DestinationConfig::new(DestinationType::Parallel)
///     .max_queue_size(1000)
///     .workers(2, 8)
///     .rejection_policy(RejectionPolicy::CallerRuns);
/// assert_eq!(config.workers_max_size, 8);
/// ```
///
/// A serial destination always has exactly one worker, whatever the
/// configuration says; a synchronous one uses only the type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestinationConfig {
    pub destination_type: DestinationType,
    /// Capacity of the queue, in tasks (a parallel message takes one place
    /// per listener, as in Liferay). `None`: unbounded.
    pub max_queue_size: Option<usize>,
    pub workers_core_size: usize,
    pub workers_max_size: usize,
    /// How long a worker above the core size waits idle before it stops.
    pub keep_alive: Duration,
    pub rejection_policy: RejectionPolicy,
    /// The stack size of each worker thread, in bytes.
    pub stack_size: usize,
    /// Where this destination's undelivered messages go, before the bus's
    /// own dead-letter destination (see `dead_letter.rs`).
    pub dead_letter_destination: Option<String>,
    /// Times one message in this many for the metrics' histograms: a power
    /// of two; 1 times every message, 0 none.
    pub timing_every: u32,
}

impl DestinationConfig {
    /// Liferay's defaults for `destination_type`: unbounded queue, 2 core
    /// and 5 max workers, 60 s keep-alive, discard when full; and workers
    /// with the platform's usual 8 MiB stacks.
    pub fn new(destination_type: DestinationType) -> Self {
        DestinationConfig {
            destination_type,
            max_queue_size: None,
            workers_core_size: DEFAULT_WORKERS_CORE_SIZE,
            workers_max_size: DEFAULT_WORKERS_MAX_SIZE,
            keep_alive: DEFAULT_KEEP_ALIVE,
            rejection_policy: RejectionPolicy::Discard,
            stack_size: DEFAULT_STACK_SIZE,
            dead_letter_destination: None,
            timing_every: DEFAULT_TIMING_EVERY,
        }
    }

    /// Bounds the queue to `size` tasks. Without a bound (the default), a
    /// queue whose senders outrun its listeners grows until memory runs
    /// out, and the process aborts: bound every queue that can fall behind.
    pub fn max_queue_size(mut self, size: usize) -> Self {
        self.max_queue_size = Some(size);
        self
    }

    pub fn workers(mut self, core_size: usize, max_size: usize) -> Self {
        self.workers_core_size = core_size;
        self.workers_max_size = max_size;
        self
    }

    pub fn keep_alive(mut self, keep_alive: Duration) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    pub fn rejection_policy(mut self, policy: RejectionPolicy) -> Self {
        self.rejection_policy = policy;
        self
    }

    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = bytes;
        self
    }

    /// Sends the messages this destination does not deliver to `name`
    /// rather than to the bus's dead-letter destination; `None` falls back
    /// to the bus's.
    pub fn dead_letter_destination(mut self, name: Option<&str>) -> Self {
        self.dead_letter_destination = name.map(Into::into);
        self
    }

    /// Times one message in `every` (a power of two, or 0 for none) for
    /// the queue-wait and listener-duration histograms.
    pub fn timing_every(mut self, every: u32) -> Self {
        self.timing_every = every;
        self
    }

    /// The worker sizes in force: serial destinations get exactly one.
    pub(crate) fn effective_workers(&self) -> (usize, usize) {
        match self.destination_type {
            DestinationType::Serial => (1, 1),
            _ => (self.workers_core_size, self.workers_max_size),
        }
    }

    /// Whether a bus accepts this configuration: `InvalidArgument` says
    /// what it refuses.
    pub fn validate(&self) -> Result<()> {
        if self.max_queue_size == Some(0) {
            return Err(Error::InvalidArgument(
                "max_queue_size must be at least 1".into(),
            ));
        }
        if self.stack_size < MIN_STACK_SIZE {
            return Err(Error::InvalidArgument(format!(
                "stack_size {} is below the {MIN_STACK_SIZE} bytes a thread needs",
                self.stack_size
            )));
        }
        if self.timing_every != 0 && !self.timing_every.is_power_of_two() {
            return Err(Error::InvalidArgument(format!(
                "timing_every {} is neither 0 nor a power of two",
                self.timing_every
            )));
        }
        if let Some(name) = &self.dead_letter_destination {
            crate::error::check_name(name).map_err(|_| {
                Error::InvalidArgument(format!(
                    "dead_letter_destination {name:?} is not a destination name"
                ))
            })?;
        }
        if self.destination_type != DestinationType::Parallel {
            return Ok(());
        }
        if self.workers_core_size == 0 {
            return Err(Error::InvalidArgument(
                "workers_core_size must be at least 1".into(),
            ));
        }
        if self.workers_core_size > self.workers_max_size {
            return Err(Error::InvalidArgument(format!(
                "workers_core_size {} exceeds workers_max_size {}",
                self.workers_core_size, self.workers_max_size
            )));
        }
        Ok(())
    }
}

impl From<DestinationType> for DestinationConfig {
    fn from(destination_type: DestinationType) -> Self {
        DestinationConfig::new(destination_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liferay_defaults() {
        let c = DestinationConfig::new(DestinationType::Parallel);
        assert_eq!(c.max_queue_size, None);
        assert_eq!((c.workers_core_size, c.workers_max_size), (2, 5));
        assert_eq!(c.keep_alive, Duration::from_secs(60));
        assert_eq!(c.rejection_policy, RejectionPolicy::Discard);
        assert_eq!(c.stack_size, 8 << 20);
        assert_eq!(c.dead_letter_destination, None);
        assert_eq!(c.timing_every, 64);
    }

    #[test]
    fn serial_forces_one_worker_and_ignores_worker_settings() {
        let c = DestinationConfig::new(DestinationType::Serial).workers(0, 9);
        assert_eq!(c.effective_workers(), (1, 1));
        assert!(c.validate().is_ok());
    }

    #[test]
    fn bad_configurations_are_invalid_arguments() {
        for c in [
            DestinationConfig::new(DestinationType::Parallel).workers(0, 5),
            DestinationConfig::new(DestinationType::Parallel).workers(6, 5),
            DestinationConfig::new(DestinationType::Serial).max_queue_size(0),
            DestinationConfig::new(DestinationType::Serial).stack_size(4096),
            DestinationConfig::new(DestinationType::Serial).timing_every(3),
            DestinationConfig::new(DestinationType::Serial).dead_letter_destination(Some("")),
        ] {
            assert!(
                matches!(c.validate(), Err(Error::InvalidArgument(_))),
                "{c:?}"
            );
        }
    }

    #[test]
    fn type_names_round_trip() {
        for t in [
            DestinationType::Serial,
            DestinationType::Parallel,
            DestinationType::Synchronous,
        ] {
            assert_eq!(t.as_str().parse::<DestinationType>(), Ok(t));
        }
        assert!(matches!(
            "queue".parse::<DestinationType>(),
            Err(Error::InvalidArgument(_))
        ));
    }
}
