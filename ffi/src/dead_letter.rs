//! The bus's dead-letter destination.

use std::ffi::c_char;

use msgbus_abi::*;

use crate::boundary::*;

/// Names the bus's dead-letter destination (`name` NULL: none, the
/// default): every message the bus does not deliver goes there once, as a
/// copy with the original payload and values plus "msgbus.reason"
/// ("failed", "rejected", "no_listener", "discarded",
/// "no_such_destination", "expired"), "msgbus.destination" and, for
/// failures, "msgbus.error" (the listener's failure detail); unless its
/// destination names its own
/// (msgbus_destination_config_set_dead_letter_destination). The
/// destination need not exist yet; a dead letter it cannot take is logged
/// and counted in the metrics. A message failing at a dead-letter
/// destination is never dead-lettered again.
///
/// # Safety
/// `bus` NULL or live; `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bus_set_dead_letter_destination(
    bus: *const msgbus_bus,
    name: *const c_char,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let bus = unsafe { borrow(bus, "bus") }?;
        let name = match name.is_null() {
            true => None,
            // SAFETY: per the contract.
            false => Some(unsafe { crate::boundary::name(name, "name") }?),
        };
        Ok(bus.set_dead_letter_destination(name)?)
    })
}
