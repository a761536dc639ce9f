//! Metrics: every destination's figures, its dead letters, request
//! outcomes and timing histograms, and the bus's own counters, as one
//! structure ([`Metrics`]) rendered in the Prometheus text format
//! ([`Metrics::to_prometheus_text`]) and as JSON ([`Metrics::to_json`]),
//! so that every surface reads the same numbers.

mod histogram;
mod json;
mod prometheus;

pub(crate) use self::histogram::Histogram;
pub use self::histogram::{BUCKET_BOUNDS, HistogramSnapshot};

use crate::config::DestinationType;
use crate::statistics::DestinationStatistics;

/// A snapshot of a bus's metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// The live destinations, sorted by name.
    pub destinations: Vec<DestinationMetrics>,
    pub bus: BusMetrics,
}

/// One destination's metrics. Only configured destinations appear: a
/// reply never makes a destination of its own, so no request id becomes
/// a label.
#[derive(Clone, Debug, PartialEq)]
pub struct DestinationMetrics {
    pub name: String,
    pub destination_type: DestinationType,
    pub statistics: DestinationStatistics,
    pub dead_letters: DeadLetterCounts,
    pub requests: RequestCounts,
    /// From the moment a sampled message is queued to the start of each
    /// listener call (queued destinations only).
    pub queue_wait: HistogramSnapshot,
    /// The duration of each listener call of a sampled message.
    pub processing: HistogramSnapshot,
}

/// The messages of one destination sent to a dead-letter destination,
/// by reason (see `dead_letter.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeadLetterCounts {
    pub failed: u64,
    pub rejected: u64,
    pub no_listener: u64,
    pub discarded: u64,
    pub expired: u64,
}

/// How the default-synchronous requests to one destination ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// A reply came (a null reply included).
    pub ok: u64,
    /// A listener failed and none replied.
    pub failed: u64,
    pub timeout: u64,
    /// Refused at once: the destination had no listener.
    pub no_listeners: u64,
    /// The sender stopped waiting (dropped its request) before any outcome.
    pub abandoned: u64,
}

/// The bus's own counters: what belongs to no destination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BusMetrics {
    /// Messages sent to a name no destination had.
    pub unknown_destination_count: u64,
    /// Of those, the ones sent to the bus's dead-letter destination.
    pub unknown_destination_dead_lettered_count: u64,
    /// Dead letters their dead-letter destination refused (missing,
    /// closed or full); logged, never retried.
    pub dead_letters_refused_count: u64,
    pub interceptor_count: usize,
    /// Messages an interceptor consumed.
    pub intercepted_count: u64,
    /// Interceptor calls that failed (the message went on).
    pub interceptor_failed_count: u64,
    pub schedules: ScheduleStatistics,
}

/// The bus's scheduled sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScheduleStatistics {
    /// Schedules that will fire again (periodic ones until cancelled).
    pub pending: usize,
    /// Firings so far, each one a send.
    pub fired: u64,
    /// Periodic firings skipped because the timer thread was late by more
    /// than a period.
    pub missed: u64,
    /// Schedules cancelled by their handle.
    pub cancelled: u64,
    /// Schedules a shutdown cancelled before they fired.
    pub cancelled_at_shutdown: u64,
}
