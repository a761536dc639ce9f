//! Delayed and periodic sends, from the bus's timer thread.

use std::ffi::c_char;
use std::time::Duration;

use msgbus_core::ScheduleId;

use msgbus_abi::*;

use crate::boundary::*;
use crate::message::cloned;

/// Schedules a copy of `message` (which stays the caller's) to be sent to
/// the destination `name` after `delay_ms`, and then, unless `period_ms`
/// is 0, every `period_ms` at a fixed rate until cancelled. Each firing is
/// a send as msgbus_bus_send's, from the bus's one timer thread: through
/// the interceptors, and what is not delivered is dead-lettered; a failed
/// send is logged. `*out_id` gets the schedule's id, for
/// msgbus_bus_cancel_schedule. A shutdown cancels what has not fired.
/// Errors: MSGBUS_RESULT_NO_SUCH_DESTINATION (the destination must exist
/// now), _CLOSED after shutdown.
///
/// # Safety
/// `bus` and `message` NULL or live; `name` NULL or NUL-terminated;
/// `out_id` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_schedule(
    bus: *const msgbus_bus,
    name: *const c_char,
    message: *const msgbus_message,
    delay_ms: u64,
    period_ms: u64,
    out_id: *mut u64,
) -> msgbus_result {
    guard(|| {
        let out_id = out(out_id, "out_id")?;
        // SAFETY: per the contract.
        let (bus, name) = unsafe { (borrow(bus, "bus")?, crate::boundary::name(name, "name")?) };
        // SAFETY: per the contract.
        let message = unsafe { cloned(message) }?;
        let delay = Duration::from_millis(delay_ms);
        let every = (period_ms != 0).then(|| Duration::from_millis(period_ms));
        let id = bus.schedule(name, message, delay, every)?;
        // SAFETY: checked by `out`.
        unsafe { put(out_id, id.as_u64()) };
        Ok(())
    })
}

/// Cancels a schedule: `*out_cancelled` says whether it was pending (false
/// for an unknown id, or a one-shot that fired already). No firing begins
/// after this returns; one running completes.
///
/// # Safety
/// `bus` NULL or live; `out_cancelled` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_cancel_schedule(
    bus: *const msgbus_bus,
    id: u64,
    out_cancelled: *mut bool,
) -> msgbus_result {
    guard(|| {
        let out_cancelled = out(out_cancelled, "out_cancelled")?;
        // SAFETY: per the contract.
        let bus = unsafe { borrow(bus, "bus") }?;
        let cancelled = bus.cancel_schedule(ScheduleId::from_u64(id))?;
        // SAFETY: checked by `out`.
        unsafe { put(out_cancelled, cancelled) };
        Ok(())
    })
}
