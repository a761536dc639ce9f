//! Bridges msgbus destinations across processes and hosts over NATS
//! (SPEC §8): Liferay's ClusterLink bridge, without its losses.
//!
//! A [`Bridge`] joins one bus to a NATS server. Each destination it is
//! told to [`add`](Bridge::add) is forwarded in a [`BridgeMode`]: every
//! send to it (past the bus's interceptors) is published, and what other
//! nodes publish is sent into the same-named local destination, in
//! arrival order, from one thread, marked so that it is never forwarded
//! again. `send_synchronous` reaches a listener on any node.
//!
//! The bus knows nothing of this: the bridge is a forwarder
//! ([`msgbus::MessageBus::add_forwarder`]) plus two threads of its own, a
//! tokio runtime on which every async-nats object is made, used and
//! dropped, and the thread that injects inbound messages.

mod bridge;
mod envelope;
mod inbound;
mod link;
mod options;
mod statistics;
mod subject;

pub use bridge::Bridge;
pub use envelope::{MESSAGE_ID, ORIGIN};
pub use options::{BridgeMode, BridgeOptions};
pub use statistics::BridgeStatistics;
