//! A destination's configuration from `add_destination`'s arguments, and
//! durations from seconds.

use std::time::Duration;

use msgbus_core::{DestinationConfig, DestinationType, RejectionPolicy};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{OrRaise, invalid_argument};

/// `block_timeout=None`: a blocked sender waits as long as it takes
/// (136 years, which `Instant` arithmetic still holds).
const WAIT_FOREVER: Duration = Duration::from_secs(u32::MAX as u64);

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

/// The configuration named by `destination_type` ("serial", "parallel",
/// "synchronous", or a `DestinationType`) and the keyword tuning
/// `max_queue_size`, `workers_core_size`, `workers_max_size`, `keep_alive`
/// (seconds), `rejection_policy` ("discard", "caller_runs", "block") and
/// `block_timeout` (seconds; `None`: wait as long as it takes). Defaults
/// are Liferay's.
pub(crate) fn destination_config(
    destination_type: &str,
    tuning: Option<&Bound<'_, PyDict>>,
) -> PyResult<DestinationConfig> {
    let kind: DestinationType = destination_type.parse().or_raise()?;
    let mut config = DestinationConfig::new(kind);
    let mut policy = String::from("discard");
    let mut block_timeout = None;
    for (key, value) in tuning.into_iter().flat_map(|t| t.iter()) {
        let key: String = key.extract()?;
        match key.as_str() {
            "max_queue_size" => config.max_queue_size = value.extract()?,
            "workers_core_size" => config.workers_core_size = value.extract()?,
            "workers_max_size" => config.workers_max_size = value.extract()?,
            "keep_alive" => config.keep_alive = duration(&key, value.extract()?)?,
            "rejection_policy" => policy = value.extract()?,
            "block_timeout" => block_timeout = optional_duration(&key, value.extract()?)?,
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument {other:?}"
                )));
            }
        }
    }
    config.rejection_policy = match (policy.as_str(), block_timeout) {
        ("block", timeout) => RejectionPolicy::Block {
            timeout: timeout.unwrap_or(WAIT_FOREVER),
        },
        (_, Some(_)) => {
            return Err(invalid_argument(
                "block_timeout applies only to rejection_policy='block'",
            ));
        }
        ("discard", None) => RejectionPolicy::Discard,
        ("caller_runs", None) => RejectionPolicy::CallerRuns,
        (other, None) => {
            return Err(invalid_argument(format!(
                "unknown rejection policy {other:?} (expected discard, caller_runs or block)"
            )));
        }
    };
    Ok(config)
}
