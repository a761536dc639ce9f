//! The one error type of the bus. Each variant maps onto one `msgbus_result`
//! code of the C API and one exception of the Python package.

use std::fmt;
use std::time::Duration;

/// What went wrong in a call to the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An argument was refused: an empty name, a name with a NUL byte, an
    /// unknown destination type, a worker configuration that cannot work.
    InvalidArgument(String),
    /// No destination has this name.
    NoSuchDestination(String),
    /// A destination with this name exists already.
    DestinationExists(String),
    /// No listener or event listener has this id (any more).
    NoSuchListener,
    /// The destination's queue is full and its rejection policy refused the
    /// message; the message was counted in `rejected_message_count`.
    QueueFull(String),
    /// The destination or the bus is shut down.
    Closed(String),
    /// A default-synchronous send found no listener on the destination.
    NoListeners(String),
    /// No reply came within the timeout, or a shutdown did not finish in time.
    Timeout(Duration),
    /// A listener failed during a direct-synchronous send.
    Listener(ListenerError),
    /// The calling thread's language runtime interrupted its wait (Ctrl-C
    /// in Python): it gave up waiting for room in a queue, or for a
    /// listener's running calls; see [`RuntimeHooks::interrupted`].
    ///
    /// [`RuntimeHooks::interrupted`]: crate::RuntimeHooks::interrupted
    Interrupted,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(why) => write!(f, "invalid argument: {why}"),
            Error::NoSuchDestination(name) => write!(f, "no such destination: {name}"),
            Error::DestinationExists(name) => write!(f, "destination exists: {name}"),
            Error::NoSuchListener => f.write_str("no such listener"),
            Error::QueueFull(name) => write!(f, "queue full: message rejected by {name}"),
            Error::Closed(name) => write!(f, "closed: {name}"),
            Error::NoListeners(name) => write!(f, "no listeners on destination {name}"),
            Error::Timeout(after) => write!(f, "timed out after {after:?}"),
            Error::Listener(e) => write!(f, "listener failed: {e}"),
            Error::Interrupted => f.write_str("interrupted while waiting"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The failure a listener reports by returning `Err`. Panics in listeners
/// are turned into one of these too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerError {
    message: String,
    reported: bool,
}

impl ListenerError {
    pub fn new(message: impl Into<String>) -> Self {
        ListenerError {
            message: message.into(),
            reported: false,
        }
    }

    /// The same failure, marked as already reported by the listener (the
    /// Python binding logs an exception with its traceback): the bus
    /// counts it but does not log it again.
    pub fn reported(mut self) -> Self {
        self.reported = true;
        self
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn is_reported(&self) -> bool {
        self.reported
    }
}

impl fmt::Display for ListenerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ListenerError {}

impl From<&str> for ListenerError {
    fn from(message: &str) -> Self {
        ListenerError::new(message)
    }
}

impl From<String> for ListenerError {
    fn from(message: String) -> Self {
        ListenerError::new(message)
    }
}

/// Checks a destination name: non-empty and free of NUL bytes, so that it
/// survives the trip through C strings.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidArgument("destination name is empty".into()));
    }
    if name.contains('\0') {
        return Err(Error::InvalidArgument(format!(
            "destination name {name:?} contains a NUL byte"
        )));
    }
    Ok(())
}
