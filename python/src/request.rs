//! `await bus.request(...)`: a default-synchronous send for asyncio.
//!
//! No thread waits: the reply's router (on whichever thread delivers the
//! reply) hands the payload to the event loop with
//! `call_soon_threadsafe`, which completes an asyncio future. The timeout
//! and the cleanup are in `msgbus/_asyncio.py`.

use std::mem;
use std::time::Duration;

use msgbus_core::{Message, MessageBus, PendingReply, Value};
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::lifecycle::{self, Generation};
use crate::listener::inline_calls;
use crate::value::to_py;

static RESOLVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static AWAIT_REPLY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Sends `message` and returns a coroutine that waits up to `timeout` for
/// the reply's payload. Must be called with an event loop running in this
/// thread; errors of the send itself raise at once.
pub(crate) fn request<'py>(
    py: Python<'py>,
    bus: &MessageBus,
    generation: Generation,
    destination: &str,
    message: Message,
    timeout: Option<Duration>,
) -> PyResult<Bound<'py, PyAny>> {
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let future = event_loop.call_method0("create_future")?;
    let pending = inline_calls(py, || bus.request(destination, message))?;
    let (target_loop, target) = (event_loop.unbind(), future.clone().unbind());
    pending.on_reply(move |payload| resolve(target_loop, target, payload));
    let handle = PendingRequest {
        pending: Mutex::new(Some(pending)),
        generation,
    };
    AWAIT_REPLY
        .import(py, "msgbus._asyncio", "await_reply")?
        .call1((future, timeout.map(|t| t.as_secs_f64()), handle))
}

/// Completes `future` with `payload` in its loop's thread.
fn resolve(event_loop: Py<PyAny>, future: Py<PyAny>, payload: Value) {
    if !lifecycle::attachable() {
        return;
    }
    Python::try_attach(|py| {
        let event_loop = event_loop.bind(py);
        // A closed loop has no one left to await the reply.
        if event_loop
            .call_method0("is_closed")
            .and_then(|closed| closed.is_truthy())
            .unwrap_or(true)
        {
            return;
        }
        let scheduled = RESOLVE
            .import(py, "msgbus._asyncio", "resolve")
            .and_then(|f| {
                event_loop.call_method1("call_soon_threadsafe", (f, future, to_py(py, &payload)))
            });
        if let Err(err) = scheduled {
            err.write_unraisable(py, None);
        }
    });
}

/// A request in flight; `cancel()` stops waiting for its reply.
#[pyclass(frozen, module = "msgbus")]
pub struct PendingRequest {
    pending: Mutex<Option<PendingReply>>,
    generation: Generation,
}

#[pymethods]
impl PendingRequest {
    /// Forgets the request: a reply arriving later is ignored.
    fn cancel(&self) {
        let pending = self.pending.lock().take();
        drop(pending);
    }
}

impl Drop for PendingRequest {
    fn drop(&mut self) {
        // In a forked child the reply table may be locked by a thread that
        // stayed in the parent.
        let pending = self.pending.get_mut().take();
        if !self.generation.is_current() {
            mem::forget(pending);
        }
    }
}
