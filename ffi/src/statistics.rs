//! msgbus_destination_statistics.

use std::ffi::c_char;

use crate::boundary::*;
use crate::bus::msgbus_bus;

/// A snapshot of a destination's statistics. Message counters count
/// messages; once the destination is quiet, sent = delivered + failed +
/// rejected + dropped_no_listener + discarded.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct msgbus_destination_statistics {
    /// Workers running a task now.
    pub active_thread_count: u64,
    /// Workers alive now.
    pub current_thread_count: u64,
    /// The most workers alive at once.
    pub largest_thread_count: u64,
    pub max_thread_pool_size: u64,
    pub min_thread_pool_size: u64,
    /// Tasks waiting in the queue (a parallel message has one per listener).
    pub pending_message_count: u64,
    /// Messages sent to the destination, whatever became of them.
    pub sent_message_count: u64,
    /// Messages that reached their listeners without a failure.
    pub delivered_message_count: u64,
    /// Messages refused because the queue was full.
    pub rejected_message_count: u64,
    /// Messages for which at least one listener failed.
    pub failed_message_count: u64,
    /// Messages dropped because no listener was there.
    pub dropped_no_listener_count: u64,
    /// Queued messages thrown away by a forced shutdown.
    pub discarded_message_count: u64,
    pub listener_count: u64,
}

/// Fills `*out_statistics` with a snapshot of the destination `name`'s
/// statistics. MSGBUS_RESULT_NO_SUCH_DESTINATION for an unknown name.
/// Message counters belong to the name for the bus's life: they go on
/// from those of a replaced, or removed and re-added, destination.
///
/// # Safety
/// `bus` NULL or live; `name` NULL or NUL-terminated; `out_statistics`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_destination_statistics(
    bus: *const msgbus_bus,
    name: *const c_char,
    out_statistics: *mut msgbus_destination_statistics,
) -> crate::result::msgbus_result {
    guard(|| {
        let out_statistics = out(out_statistics, "out_statistics")?;
        // SAFETY: per the contract.
        let (bus, name) = unsafe { (borrow(bus, "bus")?, crate::boundary::name(name, "name")?) };
        let s = bus.destination_statistics(name)?;
        let n = |v: usize| v as u64;
        let statistics = msgbus_destination_statistics {
            active_thread_count: n(s.active_thread_count),
            current_thread_count: n(s.current_thread_count),
            largest_thread_count: n(s.largest_thread_count),
            max_thread_pool_size: n(s.max_thread_pool_size),
            min_thread_pool_size: n(s.min_thread_pool_size),
            pending_message_count: s.pending_message_count,
            sent_message_count: s.sent_message_count,
            delivered_message_count: s.delivered_message_count,
            rejected_message_count: s.rejected_message_count,
            failed_message_count: s.failed_message_count,
            dropped_no_listener_count: s.dropped_no_listener_count,
            discarded_message_count: s.discarded_message_count,
            listener_count: n(s.listener_count),
        };
        // SAFETY: checked by `out`.
        unsafe { put(out_statistics, statistics) };
        Ok(())
    })
}
