//! A destination's configuration from `add_destination`'s arguments, and
//! durations from seconds.

use std::ptr;
use std::time::Duration;

use msgbus_abi::*;
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt};

use crate::core::api;
use crate::errors::{check, invalid_argument};
use crate::gil::millis;
use crate::handles::{Owned, type_name, utf8, with_c_str};

/// A duration from a number of seconds.
pub(crate) fn duration(name: &str, seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        invalid_argument(format!(
            "{name} must be a finite number of seconds >= 0, not {seconds}"
        ))
    })
}

/// [`duration`], where `None` stays `None`.
fn optional_duration(name: &str, seconds: Option<f64>) -> PyResult<Option<Duration>> {
    seconds.map(|s| duration(name, s)).transpose()
}

fn destination_type(name: &str) -> PyResult<msgbus_destination_type> {
    Ok(match name {
        "serial" => MSGBUS_DESTINATION_TYPE_SERIAL,
        "parallel" => MSGBUS_DESTINATION_TYPE_PARALLEL,
        "synchronous" => MSGBUS_DESTINATION_TYPE_SYNCHRONOUS,
        other => {
            return Err(invalid_argument(format!(
                "destination_type must be 'serial', 'parallel' or 'synchronous' (or a \
                 msgbus.DestinationType), not {other:?}"
            )));
        }
    })
}

/// The keyword arguments of `add_destination` and `replace_destination`.
const TUNING: &str = "max_queue_size, workers_core_size, workers_max_size, keep_alive, \
                      rejection_policy, block_timeout, stack_size, dead_letter_destination, \
                      timing_every";

/// What `timing_every` may be.
const TIMING_EVERY: &str = "0 (time no message) or a power of two (1: time every message)";

/// The `timing_every` keyword: one message in this many is timed for the
/// metrics' histograms.
fn timing_every(value: &Bound<'_, PyAny>) -> PyResult<u32> {
    match value.extract::<u32>() {
        Ok(every) if every == 0 || every.is_power_of_two() => Ok(every),
        Ok(every) => Err(invalid_argument(format!(
            "timing_every must be {TIMING_EVERY}, not {every}"
        ))),
        Err(_) if value.is_instance_of::<PyInt>() => Err(invalid_argument(format!(
            "timing_every must be {TIMING_EVERY}, not {value}"
        ))),
        Err(_) => Err(PyTypeError::new_err(format!(
            "timing_every must be an int, {TIMING_EVERY}, not {}",
            type_name(value)
        ))),
    }
}

/// The size `key` gives: `allowed` says what it may be.
fn size(key: &str, value: &Bound<'_, PyAny>, allowed: &str) -> PyResult<usize> {
    match value.extract::<usize>() {
        Ok(0) => Err(invalid_argument(format!("{key} must be {allowed}, not 0"))),
        Ok(size) => Ok(size),
        Err(err) if err.is_instance_of::<PyOverflowError>(value.py()) => Err(invalid_argument(
            format!("{key} must be {allowed}, not {value}"),
        )),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{key} must be {allowed}, not {}",
            type_name(value)
        ))),
    }
}

/// The seconds `key` gives, or `None` where `none` says what that means.
fn seconds(key: &str, value: &Bound<'_, PyAny>, none: Option<&str>) -> PyResult<Option<f64>> {
    if let (true, Some(_)) = (value.is_none(), none) {
        return Ok(None);
    }
    value.extract::<f64>().map(Some).map_err(|_| {
        let none = none.map_or_else(String::new, |none| format!(", or None {none}"));
        PyTypeError::new_err(format!(
            "{key} must be a number of seconds >= 0{none}, not {}",
            type_name(value)
        ))
    })
}

/// The `dead_letter_destination` keyword as UTF-8.
fn dead_letter_name<'a>(value: &'a Bound<'_, PyAny>) -> PyResult<&'a str> {
    dead_letter_text(value, "dead_letter_destination")
}

/// A dead-letter destination's name (a non-empty str) as UTF-8; the
/// errors name the argument `what`.
pub(crate) fn dead_letter_text<'a>(value: &'a Bound<'_, PyAny>, what: &str) -> PyResult<&'a str> {
    let hint = " (a destination name such as 'acme/dead_letters') or None";
    let name = utf8(value.as_borrowed(), what, hint)?;
    if name.is_empty() {
        return Err(invalid_argument(format!(
            "{what} must be a destination name, not ''"
        )));
    }
    Ok(name)
}

/// The configuration named by `destination_type` ("serial", "parallel",
/// "synchronous", or a `DestinationType`) and the keyword tuning
/// `max_queue_size` (`None`: unbounded), `workers_core_size`,
/// `workers_max_size`, `keep_alive` (seconds), `rejection_policy`
/// ("discard", "caller_runs", "block"), `block_timeout` (seconds; `None`:
/// wait as long as it takes), `stack_size` (bytes),
/// `dead_letter_destination` (`None`: the bus's) and `timing_every` (a
/// power of two, or 0). Defaults are Liferay's, 8 MiB stacks, and one
/// message in 64 timed. Each error names its argument.
pub(crate) fn destination_config(
    destination_type_name: &str,
    tuning: Option<&Bound<'_, PyDict>>,
) -> PyResult<Owned<msgbus_destination_config>> {
    let api = api();
    let kind = destination_type(destination_type_name)?;
    let mut config = ptr::null_mut();
    // SAFETY: a known type; the out-parameter is writable.
    check(unsafe { (api.destination_config_new)(kind, &mut config) })?;
    // SAFETY: owned on success.
    let config = unsafe { Owned::from_raw(config) }.expect("a configuration on success");
    let (mut core, mut max) = (None, None);
    let mut policy = String::from("discard");
    let mut block_timeout = None;
    let workers = "a positive int";
    for (key, value) in tuning.into_iter().flat_map(|t| t.iter()) {
        let key: String = key.extract()?;
        match key.as_str() {
            "max_queue_size" if value.is_none() => {}
            "max_queue_size" => {
                let size = size(&key, &value, "a positive int, or None for no bound")?;
                // SAFETY: a live configuration.
                check(unsafe {
                    (api.destination_config_set_max_queue_size)(config.as_ptr(), size)
                })?;
            }
            "workers_core_size" => core = Some(size(&key, &value, workers)?),
            "workers_max_size" => max = Some(size(&key, &value, workers)?),
            "keep_alive" => {
                let keep_alive = seconds(&key, &value, None)?.unwrap_or_default();
                let keep_alive = millis(duration(&key, keep_alive)?);
                // SAFETY: a live configuration.
                check(unsafe {
                    (api.destination_config_set_keep_alive)(config.as_ptr(), keep_alive)
                })?;
            }
            "stack_size" => {
                let bytes = size(&key, &value, "a positive int (bytes)")?;
                // SAFETY: a live configuration.
                check(unsafe { (api.destination_config_set_stack_size)(config.as_ptr(), bytes) })?;
            }
            "rejection_policy" => {
                policy = value.extract().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "rejection_policy must be a str ('discard', 'caller_runs' or 'block') \
                         or a msgbus.RejectionPolicy, not {}",
                        type_name(&value)
                    ))
                })?
            }
            "block_timeout" => {
                let timeout = seconds(&key, &value, Some("to wait as long as it takes"))?;
                block_timeout = optional_duration(&key, timeout)?;
            }
            "dead_letter_destination" if value.is_none() => {}
            "dead_letter_destination" => {
                let name = dead_letter_name(&value)?;
                let code = with_c_str(name, "dead_letter_destination", |name| {
                    // SAFETY: a live configuration and a NUL-terminated name.
                    unsafe {
                        (api.destination_config_set_dead_letter_destination)(config.as_ptr(), name)
                    }
                })?;
                check(code)?;
            }
            "timing_every" => {
                let every = timing_every(&value)?;
                // SAFETY: a live configuration.
                check(unsafe {
                    (api.destination_config_set_timing_every)(config.as_ptr(), every)
                })?;
            }
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument {other:?} (the tuning keywords are {TUNING})"
                )));
            }
        }
    }
    if core.is_some() || max.is_some() {
        let default = |size: Option<usize>, default| match size {
            Some(size) => (size, ""),
            None => (default, ", the default"),
        };
        let (core, core_default) = default(core, MSGBUS_DEFAULT_WORKERS_CORE_SIZE);
        let (max, max_default) = default(max, MSGBUS_DEFAULT_WORKERS_MAX_SIZE);
        if max < core {
            return Err(invalid_argument(format!(
                "workers_max_size ({max}{max_default}) must be at least workers_core_size \
                 ({core}{core_default})"
            )));
        }
        // SAFETY: a live configuration.
        check(unsafe { (api.destination_config_set_workers)(config.as_ptr(), core, max) })?;
    }
    let (policy, timeout) = match (policy.as_str(), block_timeout) {
        ("block", timeout) => (
            MSGBUS_REJECTION_POLICY_BLOCK,
            timeout.map_or(MSGBUS_WAIT_FOREVER, millis),
        ),
        (_, Some(_)) => {
            return Err(invalid_argument(format!(
                "block_timeout applies only to rejection_policy='block', not {policy:?}"
            )));
        }
        ("discard", None) => (MSGBUS_REJECTION_POLICY_DISCARD, 0),
        ("caller_runs", None) => (MSGBUS_REJECTION_POLICY_CALLER_RUNS, 0),
        (other, None) => {
            return Err(invalid_argument(format!(
                "rejection_policy must be 'discard', 'caller_runs' or 'block' (or a \
                 msgbus.RejectionPolicy), not {other:?}"
            )));
        }
    };
    // SAFETY: a live configuration and a known policy.
    check(unsafe {
        (api.destination_config_set_rejection_policy)(config.as_ptr(), policy, timeout)
    })?;
    Ok(config)
}
