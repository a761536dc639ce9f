//! msgbus_destination_statistics.

use std::ffi::c_char;

use msgbus_abi::*;

use crate::boundary::*;

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
) -> msgbus_result {
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
