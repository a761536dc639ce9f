//! The bus's metrics as text: Prometheus exposition and JSON.

use std::ffi::c_void;

use msgbus_core::MessageBus;

use msgbus_abi::*;

use crate::boundary::*;

/// Renders the metrics with `render` and hands the text to `visitor`.
unsafe fn visit(
    bus: *const msgbus_bus,
    visitor: msgbus_text_fn,
    user_data: *mut c_void,
    render: impl FnOnce(&MessageBus) -> msgbus_core::Result<String>,
) -> msgbus_result {
    guard(|| {
        // SAFETY: the exported callers' contract.
        let bus = unsafe { borrow(bus, "bus") }?;
        let visitor = required(visitor, "visitor")?;
        let mut text = render(bus)?.into_bytes();
        let len = text.len();
        text.push(0);
        // SAFETY: the caller's visitor; the text is borrowed for the call.
        unsafe { visitor(user_data, text.as_ptr().cast(), len) };
        Ok(())
    })
}

/// Calls `visitor` once, on this thread, with every destination's metrics
/// and the bus's in the Prometheus text exposition format 0.0.4 (`msgbus_*`
/// families: queue depth, threads, sent, delivered, failed, rejected,
/// dropped, discarded, dead letters, request outcomes, queue-wait and
/// processing-time histograms, interceptors and schedules), as a scrape
/// endpoint serves it (`text/plain; version=0.0.4`).
/// MSGBUS_RESULT_CLOSED for a bus inherited through fork().
///
/// # Safety
/// `bus` NULL or live; `visitor` callable with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_metrics_text(
    bus: *const msgbus_bus,
    visitor: msgbus_text_fn,
    user_data: *mut c_void,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe { visit(bus, visitor, user_data, MessageBus::metrics_text) }
}

/// msgbus_bus_metrics_text's figures as one JSON object, in one call of
/// `visitor`.
///
/// # Safety
/// As msgbus_bus_metrics_text.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_metrics_json(
    bus: *const msgbus_bus,
    visitor: msgbus_text_fn,
    user_data: *mut c_void,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe { visit(bus, visitor, user_data, |bus| Ok(bus.metrics()?.to_json())) }
}
