//! libmsgbus: the C ABI of msgbus. See include/msgbus.h (generated from
//! this crate by cbindgen) for the conventions every function follows.
#![allow(non_camel_case_types)]

mod boundary;
mod bus;
mod callback;
mod config;
mod events;
mod log;
mod message;
mod result;
mod statistics;
mod thread;
mod value;

pub use bus::*;
pub use callback::*;
pub use config::*;
pub use events::*;
pub use log::*;
pub use message::*;
pub use result::*;
pub use statistics::*;
pub use thread::*;
pub use value::*;

/// The library's version, "MAJOR.MINOR.PATCH": static, never NULL, never
/// freed. Compare it with MSGBUS_VERSION from the header you compiled with.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_version() -> *const std::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
