//! libmsgbus: the C ABI of msgbus. See include/msgbus.h (generated from
//! this crate and from msgbus-abi by cbindgen) for the conventions every
//! function follows.
#![allow(non_camel_case_types)]

mod api;
mod boundary;
mod bridge;
mod bus;
mod callback;
mod config;
mod dead_letter;
mod destination;
mod events;
mod interceptors;
mod library;
mod log;
mod message;
mod metrics;
mod request;
mod result;
mod runtime;
mod schedule;
mod statistics;
mod thread;
mod value;

pub use boundary::msgbus_last_error_message;
pub use msgbus_abi::*;

pub use bridge::*;
pub use bus::*;
pub use callback::msgbus_listener_set_failure;
pub use config::*;
pub use dead_letter::*;
pub use destination::*;
pub use events::*;
pub use interceptors::*;
pub use library::*;
pub use log::*;
pub use message::*;
pub use metrics::*;
pub use request::*;
pub use result::*;
pub use runtime::*;
pub use schedule::*;
pub use statistics::*;
pub use thread::*;
pub use value::*;
