//! msgbus: an in-process message bus with the semantics of Liferay Portal's
//! Message Bus, and stronger guarantees where Liferay's are weak.
//!
//! ```
//! use msgbus::{DestinationType, Message, MessageBus};
//! use std::time::Duration;
//!
//! let bus = MessageBus::new();
//! bus.add_destination("acme/n8k5_able", DestinationType::Serial)?;
//! let weak = bus.downgrade();
//! bus.register_listener("acme/n8k5_able", move |request| {
//!     let bus = weak.upgrade().ok_or("bus gone")?;
//!     bus.reply(request, "N8K5CharlieMessageListener").map_err(|e| e.to_string().into())
//! })?;
//! let reply = bus.send_synchronous("acme/n8k5_able", "N8K5Baker#_activate", Duration::from_secs(10))?;
//! assert_eq!(reply.as_str(), Some("N8K5CharlieMessageListener"));
//! bus.shutdown(false, None)?;
//! # Ok::<(), msgbus::Error>(())
//! ```
//!
//! The concepts, as in Liferay: a [`Message`] is sent to a named
//! destination of a [`DestinationType`] (serial, parallel or synchronous),
//! whose listeners receive it. See the crate's README for what msgbus does
//! beyond Liferay.

mod apart;
mod bus;
mod bytes;
mod callback;
mod config;
mod dead_letter;
mod default_bus;
mod destination;
mod destination_handle;
mod error;
mod events;
mod fork;
mod gate;
mod interceptors;
mod listener;
mod message;
mod metrics;
mod name_hash;
mod reply;
mod routes;
mod runtime;
mod schedule;
mod spin;
mod statistics;
mod text;
mod value;

pub use bus::{
    DEFAULT_RESPONSE_DESTINATION, DEFAULT_SYNCHRONOUS_TIMEOUT, MessageBus, WeakMessageBus,
};
pub use bytes::Bytes;
pub use config::{
    DEFAULT_KEEP_ALIVE, DEFAULT_STACK_SIZE, DEFAULT_TIMING_EVERY, DEFAULT_WORKERS_CORE_SIZE,
    DEFAULT_WORKERS_MAX_SIZE, DestinationConfig, DestinationType, MIN_STACK_SIZE, RejectionPolicy,
};
pub use dead_letter::{
    DESTINATION as DEAD_LETTER_DESTINATION_KEY, ERROR as DEAD_LETTER_ERROR_KEY,
    REASON as DEAD_LETTER_REASON_KEY,
};
pub use default_bus::{default_bus, is_default_bus};
pub use destination_handle::DestinationHandle;
pub use error::{Error, ListenerError, Result};
pub use events::{BusEvent, EventListenerFn, EventListenerId};
pub use interceptors::{ForwarderFn, InterceptorFn, InterceptorId};
pub use listener::{ListenerFn, ListenerId};
pub use message::Message;
pub use metrics::{
    BUCKET_BOUNDS, BusMetrics, DeadLetterCounts, DestinationMetrics, HistogramSnapshot, Metrics,
    RequestCounts, ScheduleStatistics,
};
pub use reply::PendingReply;
pub use runtime::{Runtime, RuntimeHooks};
pub use schedule::ScheduleId;
pub use statistics::DestinationStatistics;
pub use text::Text;
pub use value::{Object, Value, ValueType};

/// The README's Rust quick start, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeQuickStart;
