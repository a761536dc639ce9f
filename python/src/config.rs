//! A destination's configuration from `add_destination`'s arguments, and
//! durations from seconds.

use std::ptr;
use std::time::Duration;

use msgbus_abi::*;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::core::api;
use crate::errors::{check, invalid_argument};
use crate::gil::millis;
use crate::handles::Owned;

/// A duration from a number of seconds.
pub(crate) fn duration(name: &str, seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        invalid_argument(format!(
            "{name} must be a finite number of seconds >= 0, not {seconds}"
        ))
    })
}

/// [`duration`], where `None` stays `None`.
pub(crate) fn optional_duration(name: &str, seconds: Option<f64>) -> PyResult<Option<Duration>> {
    seconds.map(|s| duration(name, s)).transpose()
}

fn destination_type(name: &str) -> PyResult<msgbus_destination_type> {
    Ok(match name {
        "serial" => MSGBUS_DESTINATION_TYPE_SERIAL,
        "parallel" => MSGBUS_DESTINATION_TYPE_PARALLEL,
        "synchronous" => MSGBUS_DESTINATION_TYPE_SYNCHRONOUS,
        other => {
            return Err(invalid_argument(format!(
                "unknown destination type {other:?} (expected serial, parallel or synchronous)"
            )));
        }
    })
}

/// The configuration named by `destination_type` ("serial", "parallel",
/// "synchronous", or a `DestinationType`) and the keyword tuning
/// `max_queue_size`, `workers_core_size`, `workers_max_size`, `keep_alive`
/// (seconds), `rejection_policy` ("discard", "caller_runs", "block"),
/// `block_timeout` (seconds; `None`: wait as long as it takes) and
/// `stack_size` (bytes). Defaults are Liferay's, and 8 MiB stacks.
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
    for (key, value) in tuning.into_iter().flat_map(|t| t.iter()) {
        let key: String = key.extract()?;
        match key.as_str() {
            "max_queue_size" => {
                let size: usize = value.extract()?;
                // SAFETY: a live configuration.
                check(unsafe {
                    (api.destination_config_set_max_queue_size)(config.as_ptr(), size)
                })?;
            }
            "workers_core_size" => core = Some(value.extract()?),
            "workers_max_size" => max = Some(value.extract()?),
            "keep_alive" => {
                let keep_alive = millis(duration(&key, value.extract()?)?);
                // SAFETY: a live configuration.
                check(unsafe {
                    (api.destination_config_set_keep_alive)(config.as_ptr(), keep_alive)
                })?;
            }
            "stack_size" => {
                let bytes: usize = value.extract()?;
                // SAFETY: a live configuration.
                check(unsafe { (api.destination_config_set_stack_size)(config.as_ptr(), bytes) })?;
            }
            "rejection_policy" => policy = value.extract()?,
            "block_timeout" => block_timeout = optional_duration(&key, value.extract()?)?,
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument {other:?}"
                )));
            }
        }
    }
    if core.is_some() || max.is_some() {
        let core = core.unwrap_or(MSGBUS_DEFAULT_WORKERS_CORE_SIZE);
        let max = max.unwrap_or(MSGBUS_DEFAULT_WORKERS_MAX_SIZE);
        // SAFETY: a live configuration.
        check(unsafe { (api.destination_config_set_workers)(config.as_ptr(), core, max) })?;
    }
    let (policy, timeout) = match (policy.as_str(), block_timeout) {
        ("block", timeout) => (
            MSGBUS_REJECTION_POLICY_BLOCK,
            timeout.map_or(MSGBUS_WAIT_FOREVER, millis),
        ),
        (_, Some(_)) => {
            return Err(invalid_argument(
                "block_timeout applies only to rejection_policy='block'",
            ));
        }
        ("discard", None) => (MSGBUS_REJECTION_POLICY_DISCARD, 0),
        ("caller_runs", None) => (MSGBUS_REJECTION_POLICY_CALLER_RUNS, 0),
        (other, None) => {
            return Err(invalid_argument(format!(
                "unknown rejection policy {other:?} (expected discard, caller_runs or block)"
            )));
        }
    };
    // SAFETY: a live configuration and a known policy.
    check(unsafe {
        (api.destination_config_set_rejection_policy)(config.as_ptr(), policy, timeout)
    })?;
    Ok(config)
}
