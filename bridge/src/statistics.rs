//! What a bridge counts.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A bridge's counters since it connected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BridgeStatistics {
    /// Messages handed to the server: written to the connection (core
    /// modes) or stored by JetStream (durable modes).
    pub published: u64,
    /// Messages from other nodes sent into a local destination.
    pub received: u64,
    /// Messages that could not be published (the connection refused them,
    /// or JetStream did not store them after every retry), and inbound
    /// ones that could not be read or were refused locally.
    pub failed: u64,
    /// Inbound messages for a name no local destination has: counted here
    /// and dead-lettered by the bus.
    pub unknown_destination: u64,
    /// Times a connection to the server was made again after it was lost.
    pub reconnects: u64,
    /// Times the client reported a subscription too slow for its traffic,
    /// whose overflow the client dropped.
    pub slow_consumers: u64,
    /// Requests to other nodes that got no reply within the bridge's
    /// request timeout.
    pub request_timeouts: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) published: AtomicU64,
    pub(crate) received: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) unknown_destination: AtomicU64,
    pub(crate) reconnects: AtomicU64,
    pub(crate) slow_consumers: AtomicU64,
    pub(crate) request_timeouts: AtomicU64,
}

impl Counters {
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> BridgeStatistics {
        BridgeStatistics {
            published: self.published.load(Relaxed),
            received: self.received.load(Relaxed),
            failed: self.failed.load(Relaxed),
            unknown_destination: self.unknown_destination.load(Relaxed),
            reconnects: self.reconnects.load(Relaxed),
            slow_consumers: self.slow_consumers.load(Relaxed),
            request_timeouts: self.request_timeouts.load(Relaxed),
        }
    }
}
