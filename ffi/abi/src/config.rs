//! msgbus_destination_config: a destination's type and tuning.

/// A destination's configuration, with Liferay's defaults until set
/// otherwise. Made by msgbus_destination_config_new, freed with
/// msgbus_destination_config_free; the bus copies it when adding a
/// destination. Not for concurrent mutation.
pub struct msgbus_destination_config {
    _private: [u8; 0],
}

/// A destination type: one of the MSGBUS_DESTINATION_TYPE_* constants.
pub type msgbus_destination_type = u32;
/// Queued; one worker calls every listener of a message in turn.
pub const MSGBUS_DESTINATION_TYPE_SERIAL: msgbus_destination_type = 0;
/// Queued; one task per message per listener, on a pool of workers.
pub const MSGBUS_DESTINATION_TYPE_PARALLEL: msgbus_destination_type = 1;
/// Delivered in the sender's thread before the send returns.
pub const MSGBUS_DESTINATION_TYPE_SYNCHRONOUS: msgbus_destination_type = 2;

/// What a full queue does with a message: one of the
/// MSGBUS_REJECTION_POLICY_* constants.
pub type msgbus_rejection_policy = u32;
/// Drop it, count it, log a warning, and return MSGBUS_RESULT_QUEUE_FULL.
pub const MSGBUS_REJECTION_POLICY_DISCARD: msgbus_rejection_policy = 0;
/// Deliver it in the sender's thread.
pub const MSGBUS_REJECTION_POLICY_CALLER_RUNS: msgbus_rejection_policy = 1;
/// Wait for room up to a timeout, then reject as DISCARD does.
pub const MSGBUS_REJECTION_POLICY_BLOCK: msgbus_rejection_policy = 2;

/// The core size of a destination's pool unless configured (Liferay's).
pub const MSGBUS_DEFAULT_WORKERS_CORE_SIZE: usize = 2;
/// The most workers a destination's pool starts unless configured (Liferay's).
pub const MSGBUS_DEFAULT_WORKERS_MAX_SIZE: usize = 5;
/// The stack of a worker thread unless configured: 8 MiB, what Linux gives
/// a new thread (address space; pages are used as the stack grows).
pub const MSGBUS_DEFAULT_STACK_SIZE: usize = 8 << 20;
/// The smallest worker stack accepted: 16 KiB.
pub const MSGBUS_MIN_STACK_SIZE: usize = 16 << 10;
/// One message in this many is timed for the metrics' histograms unless
/// configured (msgbus_destination_config_set_timing_every).
pub const MSGBUS_DEFAULT_TIMING_EVERY: u32 = 64;
