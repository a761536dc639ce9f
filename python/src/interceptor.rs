//! Python interceptors (Liferay's `MessageBusInterceptor`): the C
//! interceptor that calls them on the sending thread, and the handle that
//! removes one.

use std::ffi::{CStr, c_char, c_void};

use msgbus_abi::*;
use pyo3::prelude::*;
use pyo3::types::PyWeakrefReference;

use crate::core::api;
use crate::lifecycle::{self, Generation};
use crate::listener::{Listener, fail, name_thread_once, refuse_awaitable, remove_from, report};
use crate::message::PyMessage;

/// The C interceptor of every Python interceptor: registered in the Python
/// runtime, so the core holds the GIL while it runs. The callable's
/// truthy return consumes the message; its exception is logged and
/// reported as a failure (counted; the message goes on).
pub(crate) unsafe extern "C" fn call(
    user_data: *mut c_void,
    destination: *const c_char,
    message: *mut msgbus_message,
    out_consume: *mut bool,
) -> msgbus_result {
    if !lifecycle::attachable() {
        return fail("not called: the Python interpreter is shutting down", false);
    }
    // SAFETY: the core entered the Python runtime for this call, as it
    // does for every interceptor registered in it.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: the user data of this registration, alive for the call.
    let interceptor = unsafe { &*user_data.cast::<Listener>() };
    name_thread_once(py);
    // SAFETY: NUL-terminated UTF-8, borrowed for the call.
    let destination = unsafe { CStr::from_ptr(destination) }.to_string_lossy();
    match run(py, interceptor, &destination, message) {
        Ok(consume) => {
            // SAFETY: writable for the call.
            unsafe { *out_consume = consume };
            MSGBUS_RESULT_OK
        }
        Err(err) => {
            let name = &interceptor.name;
            let summary = format!("interceptor {name} raised {err} on a send to {destination}");
            report(py, err, &summary, false)
        }
    }
}

fn run(
    py: Python<'_>,
    interceptor: &Listener,
    destination: &str,
    message: *mut msgbus_message,
) -> PyResult<bool> {
    let intercepted = Bound::new(py, PyMessage::intercepted(message))?;
    let called = interceptor
        .callable
        .bind(py)
        .call1((destination, &intercepted));
    // SAFETY: a live object.
    let kept = unsafe { pyo3::ffi::Py_REFCNT(intercepted.as_ptr()) } > 1;
    intercepted.borrow_mut().end_of_interception(kept);
    let returned = called?;
    refuse_awaitable(&returned, "interceptor")?;
    returned.is_truthy()
}

/// What `add_interceptor` returns: `remove()` removes the interceptor, and
/// so does the end of a `with` block (`with bus.add_interceptor(f):`).
#[pyclass(frozen, module = "msgbus")]
pub struct InterceptorHandle {
    bus: Py<PyWeakrefReference>,
    generation: Generation,
    id: u64,
}

impl InterceptorHandle {
    pub(crate) fn new(bus: Py<PyWeakrefReference>, generation: Generation, id: u64) -> Self {
        InterceptorHandle {
            bus,
            generation,
            id,
        }
    }
}

#[pymethods]
impl InterceptorHandle {
    /// Removes the interceptor: waits for its running calls to finish
    /// (unless called from inside it). Returns False if it was not there
    /// any more (removed before, or its bus is gone).
    fn remove(&self, py: Python<'_>) -> PyResult<bool> {
        let id = self.id;
        // SAFETY: a live bus (its MessageBus is held meanwhile).
        remove_from(py, &self.bus, self.generation, move |bus| unsafe {
            (api().bus_remove_interceptor)(bus, id)
        })
    }

    /// A number that identifies the interceptor within its bus.
    #[getter]
    fn id(&self) -> u64 {
        self.id
    }

    /// Returns the handle itself.
    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Removes the interceptor (as `remove()`).
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.remove(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("InterceptorHandle(id={})", self.id)
    }
}
