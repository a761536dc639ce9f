//! msgbus_destination_config: the type and tuning of a destination.

use std::ffi::c_char;
use std::time::Duration;

use msgbus_core::{DestinationConfig, DestinationType, RejectionPolicy};

use msgbus_abi::*;

use crate::boundary::*;

impl Castable for msgbus_destination_config {
    type Rust = DestinationConfig;
}

const _: () = assert!(
    MSGBUS_DEFAULT_WORKERS_CORE_SIZE == msgbus_core::DEFAULT_WORKERS_CORE_SIZE
        && MSGBUS_DEFAULT_WORKERS_MAX_SIZE == msgbus_core::DEFAULT_WORKERS_MAX_SIZE
        && MSGBUS_DEFAULT_STACK_SIZE == msgbus_core::DEFAULT_STACK_SIZE
        && MSGBUS_MIN_STACK_SIZE == msgbus_core::MIN_STACK_SIZE
        && MSGBUS_DEFAULT_TIMING_EVERY == msgbus_core::DEFAULT_TIMING_EVERY,
    "the header's defaults are the core's"
);

pub(crate) fn destination_type(kind: msgbus_destination_type) -> Outcome<DestinationType> {
    match kind {
        MSGBUS_DESTINATION_TYPE_SERIAL => Ok(DestinationType::Serial),
        MSGBUS_DESTINATION_TYPE_PARALLEL => Ok(DestinationType::Parallel),
        MSGBUS_DESTINATION_TYPE_SYNCHRONOUS => Ok(DestinationType::Synchronous),
        other => Err(Failure::new(
            MSGBUS_RESULT_INVALID_ARGUMENT,
            format!("unknown destination type {other}"),
        )),
    }
}

/// A new configuration for a destination of type `kind` with Liferay's
/// defaults: unbounded queue, 2 core and 5 max workers, 60 s keep-alive,
/// discard when full. On success `*out_config` owns it.
///
/// # Safety
/// `out_config` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_config_new(
    kind: msgbus_destination_type,
    out_config: *mut *mut msgbus_destination_config,
) -> msgbus_result {
    guard(|| {
        let out_config = out(out_config, "out_config")?;
        let config = DestinationConfig::new(destination_type(kind)?);
        // SAFETY: checked by `out`.
        unsafe { put(out_config, to_owned_handle(config)) };
        Ok(())
    })
}

/// Frees a configuration; NULL does nothing.
///
/// # Safety
/// `config` is NULL or a configuration not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_config_free(config: *mut msgbus_destination_config) {
    // SAFETY: per the contract.
    guard_or((), || unsafe { free_handle(config) })
}

/// Changes one field of a configuration.
unsafe fn update(
    config: *mut msgbus_destination_config,
    change: impl FnOnce(&mut DestinationConfig) -> Outcome,
) -> msgbus_result {
    // SAFETY: the exported callers' contract.
    guard(|| change(unsafe { borrow_mut(config, "config") }?))
}

/// Bounds the queue to `max_queue_size` tasks (a parallel message takes one
/// place per listener). 0 is refused. Without a bound (Liferay's default),
/// a queue whose senders outrun its listeners grows until memory runs out,
/// and the process aborts then ("memory allocation of N bytes failed"):
/// bound every queue that can fall behind, and choose the rejection policy.
///
/// # Safety
/// `config` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_config_set_max_queue_size(
    config: *mut msgbus_destination_config,
    max_queue_size: usize,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        update(config, |c| {
            if max_queue_size == 0 {
                return Err(Failure::new(
                    MSGBUS_RESULT_INVALID_ARGUMENT,
                    "max_queue_size is 0",
                ));
            }
            c.max_queue_size = Some(max_queue_size);
            Ok(())
        })
    }
}

/// Sets the worker pool sizes (ignored by serial destinations, which have
/// one worker). Needs 1 <= core_size <= max_size.
///
/// # Safety
/// `config` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_config_set_workers(
    config: *mut msgbus_destination_config,
    core_size: usize,
    max_size: usize,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        update(config, |c| {
            if core_size == 0 || core_size > max_size {
                return Err(Failure::new(
                    MSGBUS_RESULT_INVALID_ARGUMENT,
                    format!("workers {core_size}/{max_size}: need 1 <= core <= max"),
                ));
            }
            (c.workers_core_size, c.workers_max_size) = (core_size, max_size);
            Ok(())
        })
    }
}

/// Sets how long an idle worker above the core size lives.
///
/// # Safety
/// `config` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_config_set_keep_alive(
    config: *mut msgbus_destination_config,
    keep_alive_ms: u64,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        update(config, |c| {
            c.keep_alive = Duration::from_millis(keep_alive_ms);
            Ok(())
        })
    }
}

/// Sets the stack size of each worker thread, in bytes (default
/// MSGBUS_DEFAULT_STACK_SIZE, 8 MiB, what Linux gives a new thread);
/// below MSGBUS_MIN_STACK_SIZE is refused. A destination whose worker the
/// system cannot start has its queue delivered by the sending threads.
///
/// # Safety
/// `config` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_config_set_stack_size(
    config: *mut msgbus_destination_config,
    stack_size: usize,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        update(config, |c| {
            let stack_size = DestinationConfig {
                stack_size,
                ..c.clone()
            };
            stack_size.validate()?;
            *c = stack_size;
            Ok(())
        })
    }
}

/// Sets the rejection policy; `block_timeout_ms` is read only for
/// MSGBUS_REJECTION_POLICY_BLOCK (MSGBUS_WAIT_FOREVER: a blocked sender
/// waits as long as it takes).
///
/// # Safety
/// `config` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_config_set_rejection_policy(
    config: *mut msgbus_destination_config,
    policy: msgbus_rejection_policy,
    block_timeout_ms: u64,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        update(config, |c| {
            let policy = match policy {
                MSGBUS_REJECTION_POLICY_DISCARD => RejectionPolicy::Discard,
                MSGBUS_REJECTION_POLICY_CALLER_RUNS => RejectionPolicy::CallerRuns,
                MSGBUS_REJECTION_POLICY_BLOCK => RejectionPolicy::Block {
                    timeout: Duration::from_millis(block_timeout_ms),
                },
                other => {
                    return Err(Failure::new(
                        MSGBUS_RESULT_INVALID_ARGUMENT,
                        format!("unknown rejection policy {other}"),
                    ));
                }
            };
            c.rejection_policy = policy;
            Ok(())
        })
    }
}

/// Sends the messages this destination does not deliver to the
/// destination `name` rather than to the bus's dead-letter destination
/// (msgbus_bus_set_dead_letter_destination); `name` NULL falls back to the
/// bus's, the default. The destination need not exist yet.
///
/// # Safety
/// `config` is NULL or live; `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_config_set_dead_letter_destination(
    config: *mut msgbus_destination_config,
    name: *const c_char,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        update(config, |c| {
            let name = match name.is_null() {
                true => None,
                false => Some(crate::boundary::name(name, "name")?),
            };
            let changed = c.clone().dead_letter_destination(name);
            changed.validate()?;
            *c = changed;
            Ok(())
        })
    }
}

/// Times one message in `every` for the queue-wait and processing-time
/// histograms of the metrics (msgbus_bus_metrics_text): a power of two, 1
/// to time every message, 0 for none (default
/// MSGBUS_DEFAULT_TIMING_EVERY, 64). Any other number is
/// refused.
///
/// # Safety
/// `config` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_destination_config_set_timing_every(
    config: *mut msgbus_destination_config,
    every: u32,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        update(config, |c| {
            let changed = c.clone().timing_every(every);
            changed.validate()?;
            *c = changed;
            Ok(())
        })
    }
}
