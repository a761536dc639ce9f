//! `await bus.request(...)`: a default-synchronous send for asyncio.
//!
//! No thread waits: the core hands the reply's payload, on whichever
//! thread delivers it, to a callback that passes it to the event loop with
//! `call_soon_threadsafe`, which completes an asyncio future. The timeout
//! and the cleanup are in `msgbus/_asyncio.py`.

use std::ffi::c_void;
use std::time::Duration;

use msgbus_abi::*;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::core::api;
use crate::errors::check;
use crate::gil::{release, with_python};
use crate::handles::Owned;
use crate::lifecycle::Generation;
use crate::value::to_py;

static RESOLVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static AWAIT_REPLY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Where a reply goes: the event loop and the future it completes.
struct Target {
    event_loop: Py<PyAny>,
    future: Py<PyAny>,
}

/// Hands `request`'s reply to a new future of the running event loop and
/// returns a coroutine that waits up to `timeout` for it.
pub(crate) fn awaitable<'py>(
    py: Python<'py>,
    request: Owned<msgbus_request>,
    generation: Generation,
    timeout: Option<Duration>,
) -> PyResult<Bound<'py, PyAny>> {
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let future = event_loop.call_method0("create_future")?;
    let target = Box::new(Target {
        event_loop: event_loop.unbind(),
        future: future.clone().unbind(),
    });
    let target = Box::into_raw(target).cast::<c_void>();
    // SAFETY: a live request; `resolve` and `free` take the target.
    check(unsafe {
        (api().request_on_reply)(request.as_ptr(), Some(resolve), target, Some(free))
    })?;
    let handle = PendingRequest {
        request: Mutex::new(Some(request)),
        generation,
    };
    AWAIT_REPLY
        .import(py, "msgbus._asyncio", "await_reply")?
        .call1((future, timeout.map(|t| t.as_secs_f64()), handle))
}

/// The running event loop, or the error `request` raises without one: a
/// check made before the request is sent.
pub(crate) fn running_loop(py: Python<'_>) -> PyResult<()> {
    py.import("asyncio")?
        .call_method0("get_running_loop")
        .map(drop)
}

/// Completes the target's future with `payload` in its loop's thread.
unsafe extern "C" fn resolve(user_data: *mut c_void, payload: *const msgbus_value) {
    // SAFETY: the target `awaitable` registered, live until `free`.
    let target = unsafe { &*user_data.cast::<Target>() };
    with_python(|py| {
        let event_loop = target.event_loop.bind(py);
        // A closed loop has no one left to await the reply.
        if event_loop
            .call_method0("is_closed")
            .and_then(|closed| closed.is_truthy())
            .unwrap_or(true)
        {
            return;
        }
        let payload = to_py(py, payload);
        let scheduled = RESOLVE
            .import(py, "msgbus._asyncio", "resolve")
            .and_then(|f| {
                event_loop.call_method1("call_soon_threadsafe", (f, &target.future, payload))
            });
        if let Err(err) = scheduled {
            err.write_unraisable(py, None);
        }
    });
}

unsafe extern "C" fn free(user_data: *mut c_void) {
    // SAFETY: made by `awaitable`, freed once.
    let target = unsafe { Box::from_raw(user_data.cast::<Target>()) };
    release(target.event_loop);
    release(target.future);
}

/// A request in flight; `cancel()` stops waiting for its reply.
#[pyclass(frozen, module = "msgbus")]
pub struct PendingRequest {
    request: Mutex<Option<Owned<msgbus_request>>>,
    generation: Generation,
}

#[pymethods]
impl PendingRequest {
    /// Forgets the request: a reply arriving later is ignored.
    fn cancel(&self) {
        let request = self.request.lock().take();
        drop(request);
    }

    fn __repr__(&self) -> String {
        let state = match self.request.lock().as_ref() {
            Some(_) => "waiting",
            None => "done",
        };
        format!("<msgbus.PendingRequest {state}>")
    }
}

impl Drop for PendingRequest {
    fn drop(&mut self) {
        // In a forked child the core's reply table may be locked by a
        // thread that stayed in the parent.
        if let Some(request) = self.request.get_mut().take() {
            if !self.generation.is_current() {
                request.leak();
            }
        }
    }
}
