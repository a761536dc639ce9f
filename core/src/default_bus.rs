//! The process-wide bus (Liferay's `MessageBusUtil`).

use std::sync::OnceLock;

use crate::bus::MessageBus;

/// The process-wide bus, created on first use. It lives until the process
/// exits; shut it down explicitly to drain it before then.
pub fn default_bus() -> &'static MessageBus {
    static BUS: OnceLock<MessageBus> = OnceLock::new();
    BUS.get_or_init(MessageBus::new)
}
