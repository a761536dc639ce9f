//! `msgbus.Schedule`: the handle of a delayed or periodic send.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyWeakrefReference;

use pyo3::exceptions::PyTypeError;

use crate::bus::PyMessageBus;
use crate::config::duration;
use crate::core::api;
use crate::errors::{check, invalid_argument};
use crate::gil::attached;
use crate::handles::type_name;
use crate::lifecycle::Generation;

/// What `schedule` returns: `cancel()` stops the sends that have not begun
/// yet, and so does the end of a `with` block.
#[pyclass(frozen, module = "msgbus")]
pub struct Schedule {
    bus: Py<PyWeakrefReference>,
    generation: Generation,
    id: u64,
    /// The destination the message is sent to.
    #[pyo3(get)]
    destination: String,
    /// The seconds given.
    delay: f64,
    every: Option<f64>,
}

impl Schedule {
    pub(crate) fn new(
        bus: Py<PyWeakrefReference>,
        generation: Generation,
        id: u64,
        destination: &str,
        delay: f64,
        every: Option<f64>,
    ) -> Self {
        Schedule {
            bus,
            generation,
            id,
            destination: destination.into(),
            delay,
            every,
        }
    }
}

#[pymethods]
impl Schedule {
    /// Cancels the schedule: no send begins after this returns (one under
    /// way completes). Returns True if it was pending; False if it was
    /// cancelled before (by this, or by the bus's shutdown), if it was a
    /// one-shot send that fired already, or if its bus is gone.
    fn cancel(&self, py: Python<'_>) -> PyResult<bool> {
        self.generation.check()?;
        let Some(bus) = self
            .bus
            .bind(py)
            .upgrade_as::<PyMessageBus>()
            .ok()
            .flatten()
        else {
            return Ok(false);
        };
        let mut cancelled = false;
        // SAFETY: a live bus (its MessageBus is held meanwhile) and a
        // writable out-parameter.
        check(attached(py, || unsafe {
            (api().bus_cancel_schedule)(bus.get().handle(), self.id, &mut cancelled)
        }))?;
        Ok(cancelled)
    }

    /// A number that identifies the schedule within its bus.
    #[getter]
    fn id(&self) -> u64 {
        self.id
    }

    /// The seconds before the first send, as given.
    #[getter]
    fn delay(&self) -> f64 {
        self.delay
    }

    /// The seconds between sends, as given; `None` for a one-shot send.
    #[getter]
    fn every(&self) -> Option<f64> {
        self.every
    }

    /// Returns the schedule itself.
    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Cancels the schedule (as `cancel()`).
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.cancel(py)?;
        Ok(false)
    }

    /// `Schedule(id=1, destination="acme/ticks", delay=0.5, every=None)`.
    fn __repr__(&self) -> String {
        let every = self
            .every
            .map_or_else(|| "None".into(), |every| format!("{every:?}"));
        format!(
            "Schedule(id={}, destination={:?}, delay={:?}, every={every})",
            self.id, self.destination, self.delay
        )
    }
}

/// `schedule`'s `delay`: seconds, finite and >= 0; the seconds given too.
pub(crate) fn delay_of(value: &Bound<'_, PyAny>) -> PyResult<(f64, Duration)> {
    let seconds = value.extract::<f64>().map_err(|_| {
        PyTypeError::new_err(format!(
            "delay must be a number of seconds >= 0, not {}",
            type_name(value)
        ))
    })?;
    // A positive delay is at least a nanosecond, so at least 1 ms once
    // rounded up for the core.
    let delay = duration("delay", seconds)?;
    let delay = match seconds > 0.0 {
        true => delay.max(Duration::from_nanos(1)),
        false => delay,
    };
    Ok((seconds, delay))
}

/// `schedule`'s `every`: seconds, finite and > 0, or `None` to send once;
/// the seconds given too.
pub(crate) fn period_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<(f64, Duration)>> {
    let Some(value) = value.filter(|value| !value.is_none()) else {
        return Ok(None);
    };
    let seconds = value.extract::<f64>().map_err(|_| {
        PyTypeError::new_err(format!(
            "every must be a number of seconds > 0, or None to send once, not {}",
            type_name(value)
        ))
    })?;
    match Duration::try_from_secs_f64(seconds) {
        Ok(period) if seconds > 0.0 => Ok(Some((seconds, period.max(Duration::from_nanos(1))))),
        _ => Err(invalid_argument(format!(
            "every must be a finite number of seconds > 0, or None to send once, not {seconds}"
        ))),
    }
}
