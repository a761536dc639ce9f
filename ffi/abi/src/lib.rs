//! The types of libmsgbus's C ABI (include/msgbus.h is rendered from them
//! and from the functions in ffi/src), and the function table
//! [`msgbus_api`] through which a binding that loads libmsgbus at run
//! time, such as the Python package, calls it. Types only: a crate that
//! depends on this one contains no copy of the bus.
#![allow(non_camel_case_types)]
#![no_std]

mod api;
mod bridge;
mod bus;
mod callback;
mod config;
mod destination;
mod events;
mod log;
mod message;
mod request;
mod result;
mod runtime;
mod statistics;
mod value;

pub use api::*;
pub use bridge::*;
pub use bus::*;
pub use callback::*;
pub use config::*;
pub use destination::*;
pub use events::*;
pub use log::*;
pub use message::*;
pub use request::*;
pub use result::*;
pub use runtime::*;
pub use statistics::*;
pub use value::*;
