//! `msgbus.DestinationStatistics`: a snapshot of one destination's counters.

use msgbus_abi::msgbus_destination_statistics;
use pyo3::prelude::*;

/// Liferay's `DestinationStatistics`, plus the counters msgbus adds. Once a
/// destination is quiet: `sent = delivered + failed + rejected +
/// dropped_no_listener + discarded`.
#[pyclass(frozen, eq, get_all, name = "DestinationStatistics", module = "msgbus")]
#[derive(PartialEq)]
pub struct PyDestinationStatistics {
    active_thread_count: u64,
    current_thread_count: u64,
    largest_thread_count: u64,
    max_thread_pool_size: u64,
    min_thread_pool_size: u64,
    pending_message_count: u64,
    sent_message_count: u64,
    delivered_message_count: u64,
    rejected_message_count: u64,
    failed_message_count: u64,
    dropped_no_listener_count: u64,
    discarded_message_count: u64,
    listener_count: u64,
}

impl From<msgbus_destination_statistics> for PyDestinationStatistics {
    fn from(s: msgbus_destination_statistics) -> Self {
        PyDestinationStatistics {
            active_thread_count: s.active_thread_count,
            current_thread_count: s.current_thread_count,
            largest_thread_count: s.largest_thread_count,
            max_thread_pool_size: s.max_thread_pool_size,
            min_thread_pool_size: s.min_thread_pool_size,
            pending_message_count: s.pending_message_count,
            sent_message_count: s.sent_message_count,
            delivered_message_count: s.delivered_message_count,
            rejected_message_count: s.rejected_message_count,
            failed_message_count: s.failed_message_count,
            dropped_no_listener_count: s.dropped_no_listener_count,
            discarded_message_count: s.discarded_message_count,
            listener_count: s.listener_count,
        }
    }
}

#[pymethods]
impl PyDestinationStatistics {
    fn __repr__(&self) -> String {
        format!(
            "DestinationStatistics(sent={}, delivered={}, failed={}, rejected={}, \
             dropped_no_listener={}, discarded={}, pending={}, listeners={}, \
             threads={} ({} active, largest {}), pool={}..{})",
            self.sent_message_count,
            self.delivered_message_count,
            self.failed_message_count,
            self.rejected_message_count,
            self.dropped_no_listener_count,
            self.discarded_message_count,
            self.pending_message_count,
            self.listener_count,
            self.current_thread_count,
            self.active_thread_count,
            self.largest_thread_count,
            self.min_thread_pool_size,
            self.max_thread_pool_size,
        )
    }
}
