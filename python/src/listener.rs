//! Python listeners: the C listener that calls them on the core's
//! threads, what becomes of their exceptions, and the handle that
//! unregisters them.

use std::cell::{Cell, RefCell};
use std::ffi::{CStr, CString, c_void};

use msgbus_abi::*;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyType, PyWeakrefReference};

use crate::bus::PyMessageBus;
use crate::core::api;
use crate::errors::check;
use crate::gil::{attached, release};
use crate::handles::type_name;
use crate::lifecycle::{self, Generation};
use crate::logging;
use crate::message::PyMessage;

thread_local! {
    /// Above 0 while a Python call of this thread may run listeners right
    /// here (a synchronous destination, the caller-runs policy,
    /// `send_direct`).
    static INLINE_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The first exception a listener raised during that call.
    static RAISED: RefCell<Option<PyErr>> = const { RefCell::new(None) };
    /// Whether [`name_worker_thread`] ran on this thread.
    static NAMED: Cell<bool> = const { Cell::new(false) };
}

/// What a registered Python listener (or interceptor) holds: the callable,
/// its name, and the `Message` object of its last call when nothing kept
/// that, for the next call to reuse.
pub(crate) struct Listener {
    pub(crate) callable: Py<PyAny>,
    pub(crate) name: String,
    /// Touched only with the GIL held (so never by two threads at once).
    spare: Cell<Option<Py<PyMessage>>>,
}

impl Listener {
    /// The user data to register `callable` with ([`call`] and [`free`]).
    pub(crate) fn user_data(callable: &Bound<'_, PyAny>) -> *mut c_void {
        let listener = Listener {
            callable: callable.clone().unbind(),
            name: describe(callable),
            spare: Cell::new(None),
        };
        Box::into_raw(Box::new(listener)).cast()
    }
}

/// Frees a [`Listener`] once the core is done with it.
pub(crate) unsafe extern "C" fn free(user_data: *mut c_void) {
    // SAFETY: made by `Listener::new`, freed once.
    let listener = unsafe { Box::from_raw(user_data.cast::<Listener>()) };
    release(listener.callable);
    if let Some(spare) = listener.spare.into_inner() {
        release(spare);
    }
}

/// Gives Python's view of a bus worker thread (a `threading._DummyThread`)
/// the worker's name, `acme/n8k5_able-1`, so that `logging`'s
/// `%(threadName)s` and `threading.current_thread()` show it.
fn name_worker_thread(py: Python<'_>) {
    // SAFETY: the core's thread-local name, or NULL.
    let name = unsafe { (api().thread_name)() };
    if name.is_null() {
        return;
    }
    // SAFETY: NUL-terminated, valid while the thread lives.
    let name = unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned();
    let renamed = py.import("threading").and_then(|threading| {
        let thread = threading.call_method0("current_thread")?;
        if thread.is_instance(&threading.getattr("_DummyThread")?)? {
            thread.setattr("name", name)?;
        }
        Ok(())
    });
    if let Err(err) = renamed {
        err.write_unraisable(py, None);
    }
}

/// [`name_worker_thread`], the first time a Python callable runs on this
/// thread.
pub(crate) fn name_thread_once(py: Python<'_>) {
    if !NAMED.get() {
        NAMED.set(true);
        name_worker_thread(py);
    }
}

/// The C listener of every Python listener: registered in the Python
/// runtime, so the core holds the GIL while it runs.
pub(crate) unsafe extern "C" fn call(
    user_data: *mut c_void,
    message: *const msgbus_message,
) -> msgbus_result {
    if !lifecycle::attachable() {
        return fail("not called: the Python interpreter is shutting down", false);
    }
    // SAFETY: the core entered the Python runtime for this call (it does
    // for every listener registered in it while Python is attachable).
    let py = unsafe { Python::assume_attached() };
    // SAFETY: the user data of this registration, alive for the call.
    let listener = unsafe { &*user_data.cast::<Listener>() };
    name_thread_once(py);
    match run(py, listener, message) {
        Ok(()) => MSGBUS_RESULT_OK,
        Err(err) => failed(py, err, &listener.name, message),
    }
}

/// Calls the listener with a `Message` for `message`: the spare one of its
/// last call (only this code refers to a spare, so nothing sees it
/// change), else a new one, which becomes the spare unless the listener
/// kept it. Reusing it saves an allocation and a deallocation per call.
fn run(py: Python<'_>, listener: &Listener, message: *const msgbus_message) -> PyResult<()> {
    let delivered = match listener.spare.take() {
        Some(spare) => {
            let spare = spare.into_bound(py);
            spare.borrow_mut().redeliver(message);
            spare
        }
        None => Bound::new(py, PyMessage::delivered(message))?,
    };
    let called = listener.callable.bind(py).call1((&delivered,));
    // SAFETY: a live object.
    let kept = unsafe { pyo3::ffi::Py_REFCNT(delivered.as_ptr()) } > 1;
    delivered.borrow_mut().end_of_call(message, kept);
    if !kept {
        listener.spare.set(Some(delivered.unbind()));
    }
    refuse_awaitable(&called?, "listener")
}

/// A `TypeError` for an awaitable that a callable (`what`) returned, which
/// the bus never awaits; closed first, so Python does not warn that it was
/// never awaited.
pub(crate) fn refuse_awaitable(returned: &Bound<'_, PyAny>, what: &str) -> PyResult<()> {
    if !returned.is_none() && returned.hasattr("__await__")? {
        if returned.hasattr("close")? {
            returned.call_method0("close")?;
        }
        return Err(PyTypeError::new_err(format!(
            "the {what} returned {}, which the bus never awaits; {ASYNC_ADVICE}",
            type_name(returned)
        )));
    }
    Ok(())
}

/// How to run a coroutine from a listener, for the errors that refuse one.
const ASYNC_ADVICE: &str = "listeners run on the bus's worker threads, outside any event loop: \
    register a plain function that hands the coroutine to your loop, e.g. \
    `lambda message: asyncio.run_coroutine_threadsafe(handler(message), loop)`";

static IS_COROUTINE_FUNCTION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static IS_ASYNC_GENERATOR_FUNCTION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static PARTIAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Whether calling `callable` makes a coroutine or an async generator: an
/// `async def` function or method, an object whose `__call__` is one, or a
/// `functools.partial` of either.
fn is_async(callable: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = callable.py();
    let coroutine = IS_COROUTINE_FUNCTION.import(py, "inspect", "iscoroutinefunction")?;
    let generator = IS_ASYNC_GENERATOR_FUNCTION.import(py, "inspect", "isasyncgenfunction")?;
    let partial = PARTIAL.import(py, "functools", "partial")?;
    let test = |f: &Bound<'_, PyAny>| -> PyResult<bool> {
        Ok(coroutine.call1((f,))?.is_truthy()? || generator.call1((f,))?.is_truthy()?)
    };
    let mut target = callable.clone();
    // Partials of partials, up to a depth no real code reaches.
    for _ in 0..32 {
        if test(&target)? {
            return Ok(true);
        }
        if target.is_instance(partial)? {
            target = target.getattr("func")?;
            continue;
        }
        // Calling a class makes an instance, whatever its `__call__` is.
        if target.is_instance_of::<PyType>() {
            return Ok(false);
        }
        return match target.getattr("__call__") {
            Ok(call) => test(&call),
            Err(_) => Ok(false),
        };
    }
    Ok(false)
}

/// A `TypeError` for an async `callable` (the argument `what`), which the
/// bus would call and never await.
pub(crate) fn refuse_async(callable: &Bound<'_, PyAny>, what: &str) -> PyResult<()> {
    if is_async(callable)? {
        return Err(PyTypeError::new_err(format!(
            "{what} {} is an async function, which the bus would call and never await; \
             {ASYNC_ADVICE}",
            describe(callable)
        )));
    }
    Ok(())
}

/// Describes the failure to the core (which counts it; the exception is
/// logged here) and returns the code that reports it.
pub(crate) fn fail(summary: &str, logged: bool) -> msgbus_result {
    let summary = CString::new(summary.replace('\0', "\\0")).unwrap_or_default();
    // SAFETY: a NUL-terminated detail, inside the listener's call.
    unsafe { (api().listener_set_failure)(summary.as_ptr(), logged) };
    MSGBUS_RESULT_LISTENER_FAILED
}

/// Reports a listener's exception: an `Exception` goes to the `msgbus`
/// logger with its traceback; during an inline call it is also kept for
/// the caller, which re-raises a `KeyboardInterrupt` or `SystemExit`.
fn failed(py: Python<'_>, err: PyErr, name: &str, message: *const msgbus_message) -> msgbus_result {
    // SAFETY: a live message; its destination name is borrowed from it.
    let destination = unsafe { (api().message_destination_name)(message) };
    let destination = if destination.is_null() {
        String::new()
    } else {
        // SAFETY: NUL-terminated UTF-8 from the core.
        unsafe { CStr::from_ptr(destination) }
            .to_string_lossy()
            .into_owned()
    };
    let summary = format!("listener {name} on {destination} raised {err}");
    report(py, err, &summary, true)
}

/// Logs a Python callable's exception (`summary` describes it) and
/// reports its failure to the core. An `Exception` goes to the `msgbus`
/// logger with its traceback. During an inline call, a `KeyboardInterrupt`
/// or `SystemExit` is kept for the caller to re-raise, and so is an
/// `Exception` when `for_caller` says so (a listener's, which becomes the
/// `__cause__` of `send_direct`'s `ListenerError`); on another thread a
/// `KeyboardInterrupt` or `SystemExit` is logged, having nobody to reach.
pub(crate) fn report(py: Python<'_>, err: PyErr, summary: &str, for_caller: bool) -> msgbus_result {
    let ordinary = err.is_instance_of::<PyException>(py);
    if ordinary {
        logging::exception(py, summary, &err);
    }
    if INLINE_DEPTH.get() > 0 && (for_caller || !ordinary) {
        RAISED.with_borrow_mut(|raised| {
            raised.get_or_insert(err);
        });
    } else if !ordinary {
        logging::exception(py, summary, &err);
    }
    fail(summary, true)
}

/// Runs a call into the core that may run listeners in this thread, and
/// turns its result into Python's: a `KeyboardInterrupt` or `SystemExit`
/// raised by such a listener propagates, and a listener's failure under
/// `send_direct` becomes a `ListenerError` whose `__cause__` is the
/// listener's exception.
pub(crate) fn inline_calls(
    py: Python<'_>,
    f: impl FnOnce() -> PyResult<msgbus_result>,
) -> PyResult<()> {
    INLINE_DEPTH.set(INLINE_DEPTH.get() + 1);
    let outer = RAISED.take();
    let result = attached(py, f);
    let raised = RAISED.replace(outer);
    INLINE_DEPTH.set(INLINE_DEPTH.get() - 1);
    let code = result?;
    match raised {
        Some(raised) if !raised.is_instance_of::<PyException>(py) => Err(raised),
        Some(cause) if code == MSGBUS_RESULT_LISTENER_FAILED => {
            let err = check(code).expect_err("a failure");
            err.set_cause(py, Some(cause));
            Err(err)
        }
        _ => check(code),
    }
}

/// The name a listener is logged under: its `__qualname__`, else its repr.
pub(crate) fn describe(callable: &Bound<'_, PyAny>) -> String {
    callable
        .getattr("__qualname__")
        .and_then(|q| q.extract::<String>())
        .or_else(|_| callable.repr().map(|r| r.to_string()))
        .unwrap_or_else(|_| "<listener>".into())
}

/// What a handle's `unregister()` or `remove()` does: runs `remove` with
/// the bus of the `MessageBus` the handle came from; false when that bus
/// is gone or `remove` fails. The core lets go of the GIL while it waits
/// for running calls, and Ctrl-C ends the wait (the listener is removed
/// all the same, and released as its last running call returns).
pub(crate) fn remove_from(
    py: Python<'_>,
    bus: &Py<PyWeakrefReference>,
    generation: Generation,
    remove: impl FnOnce(*const msgbus_bus) -> msgbus_result,
) -> PyResult<bool> {
    generation.check()?;
    let Some(bus) = bus.bind(py).upgrade_as::<PyMessageBus>().ok().flatten() else {
        return Ok(false);
    };
    let code = attached(py, || remove(bus.get().handle()));
    if code == MSGBUS_RESULT_INTERRUPTED {
        return check(code).map(|()| false);
    }
    Ok(code == MSGBUS_RESULT_OK)
}

/// What `register_listener` returns: `unregister()` removes the listener,
/// and so does the end of a `with` block (`with bus.register_listener(...)
/// as handle:`).
#[pyclass(frozen, module = "msgbus")]
pub struct ListenerHandle {
    bus: Py<PyWeakrefReference>,
    generation: Generation,
    id: u64,
    /// The destination name the listener is registered on.
    #[pyo3(get)]
    destination: String,
}

impl ListenerHandle {
    pub(crate) fn new(
        bus: Py<PyWeakrefReference>,
        generation: Generation,
        id: u64,
        destination: &str,
    ) -> Self {
        ListenerHandle {
            bus,
            generation,
            id,
            destination: destination.into(),
        }
    }
}

#[pymethods]
impl ListenerHandle {
    /// Unregisters the listener: waits for its running calls to finish
    /// (unless called from inside it). Returns False if it was not
    /// registered any more (unregistered before, or its bus is gone).
    fn unregister(&self, py: Python<'_>) -> PyResult<bool> {
        let id = self.id;
        // SAFETY: a live bus (its MessageBus is held meanwhile).
        remove_from(py, &self.bus, self.generation, move |bus| unsafe {
            (api().bus_unregister_listener)(bus, id)
        })
    }

    /// A number that identifies the listener within its bus.
    #[getter]
    fn id(&self) -> u64 {
        self.id
    }

    /// Returns the handle itself.
    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Unregisters the listener (as `unregister()`).
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.unregister(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "ListenerHandle(id={}, destination={:?})",
            self.id, self.destination
        )
    }
}
