//! Result codes. Their numbers are fixed and never reused.

/// The outcome of a fallible call: MSGBUS_RESULT_OK or an error code.
/// A plain integer type (not an enum) because listeners return it too.
pub type msgbus_result = u32;
/// Success.
pub const MSGBUS_RESULT_OK: msgbus_result = 0;
/// A pointer argument that must not be NULL was NULL.
pub const MSGBUS_RESULT_NULL_PARAMETER: msgbus_result = 1;
/// An argument was refused: a string that is not UTF-8, an empty name, an
/// unknown type or policy, a worker configuration that cannot work.
pub const MSGBUS_RESULT_INVALID_ARGUMENT: msgbus_result = 2;
/// No destination has this name.
pub const MSGBUS_RESULT_NO_SUCH_DESTINATION: msgbus_result = 3;
/// A destination with this name exists already.
pub const MSGBUS_RESULT_DESTINATION_EXISTS: msgbus_result = 4;
/// No listener or event listener has this id (any more).
pub const MSGBUS_RESULT_NO_SUCH_LISTENER: msgbus_result = 5;
/// The destination's queue is full and its policy rejected the message.
pub const MSGBUS_RESULT_QUEUE_FULL: msgbus_result = 6;
/// The destination or the bus is shut down.
pub const MSGBUS_RESULT_CLOSED: msgbus_result = 7;
/// A default-synchronous send found no listener on the destination.
pub const MSGBUS_RESULT_NO_LISTENERS: msgbus_result = 8;
/// No reply came in time, or a shutdown did not finish in time.
pub const MSGBUS_RESULT_TIMEOUT: msgbus_result = 9;
/// A listener failed during a direct-synchronous send. Listeners may also
/// return it to report their own failure.
pub const MSGBUS_RESULT_LISTENER_FAILED: msgbus_result = 10;
/// The value is of another type than the accessor reads.
pub const MSGBUS_RESULT_WRONG_TYPE: msgbus_result = 11;
/// The message has no value under this key.
pub const MSGBUS_RESULT_NOT_FOUND: msgbus_result = 12;
/// The library panicked; the call did nothing it can vouch for.
pub const MSGBUS_RESULT_PANIC: msgbus_result = 13;
/// The calling thread's runtime interrupted its wait (see
/// msgbus_runtime_hooks.interrupted): a send gave up waiting for room (the
/// message was not sent), or an unregister stopped waiting for the
/// listener's running calls (it is unregistered, and its user_data_free
/// runs as the last of them returns).
pub const MSGBUS_RESULT_INTERRUPTED: msgbus_result = 14;
