//! `msgbus.MessageBus`: the bus's whole API for Python, over a handle of
//! the core's bus.

use std::ffi::{CStr, c_char, c_void};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

use msgbus_abi::*;
use pyo3::exceptions::{PyTimeoutError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCFunction, PyDict, PyString, PyTuple, PyWeakrefReference};

use crate::config::{dead_letter_text, destination_config};
use crate::core::api;
use crate::destination::{self, PyDestination};
use crate::errors::{self, check, synchronous_timeout};
use crate::events::{self, EventListenerHandle};
use crate::gil::{self, attached, detached, millis, wait_in_slices};
use crate::handles::{
    DestinationArg, DestinationTypeArg, NameArg, Owned, Text, Timeout, type_name, with_c_str,
};
use crate::interceptor::{self, InterceptorHandle};
use crate::lifecycle::{self, Generation};
use crate::listener::{self, Listener, ListenerHandle, describe, inline_calls, refuse_async};
use crate::message::{PyMessage, with_message};
use crate::request;
use crate::schedule::{Schedule, delay_of, period_of};
use crate::statistics::PyDestinationStatistics;
use crate::value::{to_py, to_value};

/// How this object holds its bus.
enum Hold {
    /// A handle of its own, freed with it (the last one shuts the bus
    /// down).
    Own(Owned<msgbus_bus>),
    /// The process's default bus, which lives as long as the process.
    Default(*mut msgbus_bus),
}

/// An in-process message bus. Safe to use from any number of threads.
#[pyclass(frozen, weakref, name = "MessageBus", module = "msgbus")]
pub struct PyMessageBus {
    /// Taken only in `drop`.
    hold: Option<Hold>,
    generation: Generation,
    /// Its number in the exit shutdown's list, for a bus this interpreter
    /// made or the default bus; `None` for a bus adopted from C code,
    /// which its maker shuts down.
    id: Option<u64>,
    /// Set once `shutdown` was called through this object (for its repr).
    shut_down: AtomicBool,
}

// SAFETY: the core's bus handles may be used from any thread at once.
unsafe impl Send for PyMessageBus {}
unsafe impl Sync for PyMessageBus {}

/// Frees a handle, detached: the last one shuts its bus down and waits
/// for workers, which may need the GIL. Once Python may not be entered
/// any more, workers decline Python listeners and need no GIL.
fn release(bus: Owned<msgbus_bus>) {
    let mut bus = Some(bus);
    gil::with_python(|py| detached(py, || drop(bus.take())));
}

impl PyMessageBus {
    /// A handle; `exit` says whether the exit shutdown drains its bus.
    fn with(hold: Hold, exit: bool) -> Self {
        let handle = match &hold {
            Hold::Own(owned) => owned.as_ptr(),
            Hold::Default(default) => *default,
        };
        PyMessageBus {
            hold: Some(hold),
            generation: Generation::current(),
            id: exit.then(|| lifecycle::track(handle)),
            shut_down: AtomicBool::new(false),
        }
    }

    /// A handle to the process's default bus.
    pub(crate) fn default_bus() -> PyResult<Self> {
        // SAFETY: msgbus_default_bus takes nothing.
        let default = unsafe { (api().default_bus)() };
        if default.is_null() {
            return Err(crate::errors::MessageBusError::new_err(
                "the core has no default bus",
            ));
        }
        Ok(PyMessageBus::with(Hold::Default(default), true))
    }

    /// The core's handle.
    pub(crate) fn handle(&self) -> *const msgbus_bus {
        match self.hold.as_ref().expect("held until dropped") {
            Hold::Own(owned) => owned.as_ptr(),
            Hold::Default(default) => *default,
        }
    }

    /// The core's handle; `BusClosedError` in a process that inherited it.
    pub(crate) fn bus(&self) -> PyResult<*const msgbus_bus> {
        self.generation.check()?;
        Ok(self.handle())
    }

    /// Registers `listener` and returns its handle.
    fn register(
        slf: &Bound<'_, Self>,
        destination: &str,
        listener: &Bound<'_, PyAny>,
    ) -> PyResult<ListenerHandle> {
        let this = slf.get();
        let bus = this.bus()?;
        if !listener.is_callable() {
            return Err(not_callable(listener));
        }
        refuse_async(listener, "listener")?;
        let user_data = Listener::user_data(listener);
        let mut id = 0;
        let code = with_c_str(destination, "destination name", |name| {
            attached(slf.py(), || {
                // SAFETY: a live bus and runtime; the core owns `user_data`
                // on success and frees it with `listener::free`.
                unsafe {
                    (api().bus_register_listener_in_runtime)(
                        bus,
                        name,
                        gil::runtime(),
                        Some(listener::call),
                        user_data,
                        Some(listener::free),
                        &mut id,
                    )
                }
            })
        });
        if !matches!(code, Ok(MSGBUS_RESULT_OK)) {
            // SAFETY: refused: the user data is still ours.
            unsafe { listener::free(user_data) };
        }
        check(code?)?;
        let weak = PyWeakrefReference::new(slf)?.unbind();
        Ok(ListenerHandle::new(weak, this.generation, id, destination))
    }

    /// Adds or replaces (`install`) a destination configured from Python's
    /// arguments.
    fn install(
        &self,
        py: Python<'_>,
        name: &str,
        destination_type: &str,
        tuning: Option<&Bound<'_, PyDict>>,
        install: unsafe extern "C" fn(
            *const msgbus_bus,
            *const c_char,
            *const msgbus_destination_config,
        ) -> msgbus_result,
    ) -> PyResult<()> {
        let bus = self.bus()?;
        let config = destination_config(destination_type, tuning)?;
        let code = with_c_str(name, "destination name", |name| {
            // SAFETY: live bus and configuration, a NUL-terminated name.
            attached(py, || unsafe { install(bus, name, config.as_ptr()) })
        })?;
        check(code)
    }

    /// A yes-or-no question about the destination `name`.
    fn ask(
        &self,
        name: &str,
        question: unsafe extern "C" fn(
            *const msgbus_bus,
            *const c_char,
            *mut bool,
        ) -> msgbus_result,
    ) -> PyResult<bool> {
        let bus = self.bus()?;
        let mut answer = false;
        // SAFETY: a live bus and a NUL-terminated name.
        let code = with_c_str(name, "destination name", |name| unsafe {
            question(bus, name, &mut answer)
        })?;
        check(code)?;
        Ok(answer)
    }
}

/// The `TypeError` for a listener that is not callable.
fn not_callable(listener: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!(
        "listener must be callable (a function taking the message), not {}",
        type_name(listener)
    ))
}

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The text a metrics function of the core (`msgbus_bus_metrics_text` or
/// `_json`) hands its visitor.
fn metrics_text(
    bus: *const msgbus_bus,
    render: unsafe extern "C" fn(*const msgbus_bus, msgbus_text_fn, *mut c_void) -> msgbus_result,
) -> PyResult<String> {
    unsafe extern "C" fn visit(user_data: *mut c_void, text: *const c_char, len: usize) {
        // SAFETY: the string below, on this thread; the text is borrowed
        // for the call, `len` bytes of UTF-8.
        let out = unsafe { &mut *user_data.cast::<String>() };
        let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) };
        out.push_str(&String::from_utf8_lossy(bytes));
    }
    let mut text = String::new();
    // SAFETY: a live bus; the visitor runs on this thread only, in the call.
    check(unsafe { render(bus, Some(visit), (&mut text as *mut String).cast()) })?;
    Ok(text)
}

/// The names of the bus's destinations.
pub(crate) fn destination_names(bus: *const msgbus_bus) -> PyResult<Vec<String>> {
    unsafe extern "C" fn visit(user_data: *mut c_void, name: *const c_char) {
        // SAFETY: the vector below, on this thread; the name is borrowed.
        let names = unsafe { &mut *user_data.cast::<Vec<String>>() };
        names.push(
            unsafe { CStr::from_ptr(name) }
                .to_string_lossy()
                .into_owned(),
        );
    }
    let mut names: Vec<String> = Vec::new();
    // SAFETY: a live bus; the visitor runs on this thread only.
    check(unsafe {
        (api().bus_destination_names)(bus, Some(visit), (&mut names as *mut Vec<String>).cast())
    })?;
    Ok(names)
}

/// The figures of the bus's destination `name`.
pub(crate) fn destination_statistics(
    bus: *const msgbus_bus,
    name: &str,
) -> PyResult<msgbus_destination_statistics> {
    let mut statistics = msgbus_destination_statistics::default();
    // SAFETY: a live bus, a NUL-terminated name, a writable out-parameter.
    let code = with_c_str(name, "destination name", |name| unsafe {
        (api().bus_destination_statistics)(bus, name, &mut statistics)
    })?;
    check(code)?;
    Ok(statistics)
}

impl Drop for PyMessageBus {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            lifecycle::untrack(id);
        }
        let Some(Hold::Own(bus)) = self.hold.take() else {
            return;
        };
        if !self.generation.is_current() {
            // Inherited: its workers are in the parent, so shutting down
            // would wait for ever.
            bus.leak();
            return;
        }
        release(bus);
    }
}

#[pymethods]
impl PyMessageBus {
    #[new]
    fn new() -> PyResult<Self> {
        let mut bus = ptr::null_mut();
        // SAFETY: the out-parameter is writable.
        check(unsafe { (api().bus_new)(&mut bus) })?;
        // SAFETY: owned on success.
        let bus = unsafe { Owned::from_raw(bus) }.expect("a bus on success");
        Ok(PyMessageBus::with(Hold::Own(bus), true))
    }

    /// The address of this handle's `msgbus_bus *`, to hand the bus to C
    /// code in this process (which may `msgbus_bus_clone` it); valid while
    /// this object lives.
    #[getter]
    fn address(&self) -> PyResult<usize> {
        Ok(self.bus()? as usize)
    }

    /// A new handle to the bus at `address`: a `msgbus_bus *` of this
    /// process (from C code, or another handle's `address`). The new handle
    /// keeps the bus alive until it is closed; the bus is the same one,
    /// shared with whoever made it, who shuts it down (Python's exit does
    /// not).
    #[staticmethod]
    fn from_address(address: usize) -> PyResult<Self> {
        if address == 0 {
            return Err(crate::errors::invalid_argument(
                "address is 0 (a NULL msgbus_bus *)",
            ));
        }
        let mut bus = ptr::null_mut();
        // SAFETY: the caller vouches that `address` is a live bus handle of
        // this process; the out-parameter is writable.
        check(unsafe { (api().bus_clone)(address as *const msgbus_bus, &mut bus) })?;
        // SAFETY: owned on success.
        let bus = unsafe { Owned::from_raw(bus) }.expect("a bus on success");
        Ok(PyMessageBus::with(Hold::Own(bus), false))
    }

    /// Adds a destination of `destination_type` ("serial", "parallel",
    /// "synchronous" or a `DestinationType`) with optional keyword tuning:
    /// `max_queue_size`, `workers_core_size`, `workers_max_size`,
    /// `keep_alive` (s), `rejection_policy`, `block_timeout` (s), `stack_size`
    /// (bytes), `dead_letter_destination` (where its undelivered messages
    /// go; `None`, the default: the bus's, see
    /// `set_dead_letter_destination`) and `timing_every` (one message in
    /// this many is timed for the metrics' histograms: a power of two, 1
    /// for every message, 0 for none; 64 by default). Without
    /// `max_queue_size` the queue is unbounded: one whose senders outrun
    /// its listeners grows until memory runs out, and the process aborts
    /// then; bound every queue that can fall behind.
    #[pyo3(signature = (name, destination_type, **tuning))]
    fn add_destination(
        &self,
        py: Python<'_>,
        name: Text<'_, NameArg>,
        destination_type: Text<'_, DestinationTypeArg>,
        tuning: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let name: &str = &name;
        let destination_type: &str = &destination_type;
        self.install(
            py,
            name,
            destination_type,
            tuning,
            api().bus_add_destination_with_config,
        )
    }

    /// Replaces a destination (or adds it); its listeners move to the new
    /// one, whose workers start once the old queue has drained.
    #[pyo3(signature = (name, destination_type, **tuning))]
    fn replace_destination(
        &self,
        py: Python<'_>,
        name: Text<'_, NameArg>,
        destination_type: Text<'_, DestinationTypeArg>,
        tuning: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let name: &str = &name;
        let destination_type: &str = &destination_type;
        self.install(
            py,
            name,
            destination_type,
            tuning,
            api().bus_replace_destination,
        )
    }

    /// Removes a destination; its queued messages are still delivered.
    /// Its listeners stay registered on the name.
    fn remove_destination(&self, py: Python<'_>, name: Text<'_, NameArg>) -> PyResult<()> {
        let name: &str = &name;
        let bus = self.bus()?;
        let code = with_c_str(name, "destination name", |name| {
            // SAFETY: a live bus and a NUL-terminated name.
            attached(py, || unsafe { (api().bus_remove_destination)(bus, name) })
        })?;
        check(code)
    }

    /// Whether a destination named `name` exists.
    fn has_destination(&self, name: Text<'_, NameArg>) -> PyResult<bool> {
        let name: &str = &name;
        self.ask(name, api().bus_has_destination)
    }

    /// A handle that sends to the existing destination `name` without
    /// converting and looking up the name per send.
    fn destination(slf: &Bound<'_, Self>, name: Text<'_, NameArg>) -> PyResult<PyDestination> {
        let this = slf.get();
        let bus = this.bus()?;
        let name: &str = &name;
        let handle = with_c_str(name, "destination name", |c| {
            destination::destination(bus, c)
        })??;
        let owner = slf.clone().into_any().unbind();
        Ok(PyDestination::new(
            handle,
            name.to_string(),
            owner,
            this.generation,
        ))
    }

    /// The names of the destinations, sorted.
    fn destination_names(&self) -> PyResult<Vec<String>> {
        destination_names(self.bus()?)
    }

    /// Registers `listener(message)` on `destination`, after the listeners
    /// already there; the destination need not exist yet. Returns the
    /// handle that unregisters it (also as a context manager). An `async
    /// def` listener raises `TypeError`: nothing would await it.
    fn register_listener(
        slf: &Bound<'_, Self>,
        destination: Text<'_, DestinationArg>,
        listener: &Bound<'_, PyAny>,
    ) -> PyResult<ListenerHandle> {
        let destination: &str = &destination;
        PyMessageBus::register(slf, destination, listener)
    }

    /// A decorator, `@bus.listener("acme/orders")`: registers the function
    /// it decorates on `destination` and returns the function itself, with
    /// the registration's `ListenerHandle` as its `listener_handle`
    /// attribute (`f.listener_handle.unregister()`).
    fn listener<'py>(
        slf: Bound<'py, Self>,
        destination: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCFunction>> {
        if destination.is_callable() && !destination.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(format!(
                "bus.listener takes the destination, not the function: write \
                 @bus.listener(\"acme/orders\") above {}, not a bare @bus.listener",
                describe(destination)
            )));
        }
        let destination = destination
            .extract::<Text<'_, DestinationArg>>()?
            .to_owned();
        slf.get().bus()?;
        let py = slf.py();
        let bus = slf.unbind();
        PyCFunction::new_closure(
            py,
            None,
            None,
            move |args: &Bound<'_, PyTuple>,
                  kwargs: Option<&Bound<'_, PyDict>>|
                  -> PyResult<Py<PyAny>> {
                let given = args.len() + kwargs.map_or(0, |k| k.len());
                if given != 1 || args.len() != 1 {
                    return Err(PyTypeError::new_err(format!(
                        "bus.listener({destination:?}) decorates one function, passed \
                         positionally; it got {given} arguments"
                    )));
                }
                let function = args.get_item(0)?;
                let py = args.py();
                if !function.is_callable() {
                    return Err(not_callable(&function));
                }
                refuse_async(&function, "listener")?;
                // Tried first: a function that cannot carry its handle is
                // not registered.
                if function.setattr("listener_handle", py.None()).is_err() {
                    return Err(PyTypeError::new_err(format!(
                        "bus.listener decorates a function, which then carries its handle as \
                         .listener_handle, and {} takes no attributes: use \
                         bus.register_listener({destination:?}, listener), which returns the \
                         handle",
                        describe(&function)
                    )));
                }
                match PyMessageBus::register(bus.bind(py), &destination, &function) {
                    Ok(handle) => function.setattr("listener_handle", handle)?,
                    Err(err) => {
                        let _ = function.delattr("listener_handle");
                        return Err(err);
                    }
                }
                Ok(function.unbind())
            },
        )
    }

    /// Whether `destination` exists and has a listener.
    fn has_listener(&self, destination: Text<'_, DestinationArg>) -> PyResult<bool> {
        let destination: &str = &destination;
        self.ask(destination, api().bus_has_listener)
    }

    /// Sends a `Message`, or any object as the payload of a new one.
    /// Returns once it is queued (delivered, for a synchronous destination).
    fn send(
        &self,
        py: Python<'_>,
        destination: Text<'_, DestinationArg>,
        message: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let destination: &str = &destination;
        // SAFETY: live bus and message, a NUL-terminated name.
        self.deliver(py, destination, message, |bus, name, message| unsafe {
            (api().bus_send)(bus, name, message)
        })
    }

    /// Sends with a fresh response id and waits up to `timeout` seconds
    /// (`None`: as long as it takes) for the reply; returns its payload.
    /// Raises `ListenerError` as soon as every listener it reached has
    /// returned, one raised and none replied; `SynchronousTimeoutError`
    /// when no reply came in time.
    #[pyo3(
        signature = (destination, message, timeout = Timeout::TEN_SECONDS),
        text_signature = "($self, destination, message, timeout=10.0)"
    )]
    fn send_synchronous<'py>(
        &self,
        py: Python<'py>,
        destination: Text<'_, DestinationArg>,
        message: &Bound<'py, PyAny>,
        timeout: Timeout,
    ) -> PyResult<Bound<'py, PyAny>> {
        let destination: &str = &destination;
        let timeout = timeout.0;
        let request = self.request_for(py, destination, message)?;
        let handle = request.as_ptr() as usize;
        // A reply, why there will be none (a listener's failure, or no node
        // listening to a bridged destination), or nothing yet.
        let reply = |slice| {
            let mut reply = ptr::null_mut();
            // SAFETY: a live request, waited on by this thread only.
            let code = unsafe {
                (api().request_wait)(handle as *const msgbus_request, millis(slice), &mut reply)
            };
            match code {
                MSGBUS_RESULT_OK => {
                    gil::until_workers_leave();
                    Some(Ok(reply as usize))
                }
                MSGBUS_RESULT_TIMEOUT => None,
                failed => {
                    // SAFETY: this thread's detail for the wait, never NULL.
                    let detail = unsafe { CStr::from_ptr((api().last_error_message)()) };
                    Some(Err((failed, detail.to_string_lossy().into_owned())))
                }
            }
        };
        match wait_in_slices(py, timeout, reply)? {
            // SAFETY: the reply's payload, owned on success.
            Some(Ok(reply)) => {
                let reply =
                    unsafe { Owned::from_raw(reply as *mut msgbus_value) }.expect("a reply");
                Ok(to_py(py, reply.as_ptr()))
            }
            Some(Err((code, detail))) => Err(errors::error(code, detail)),
            None => Err(synchronous_timeout(format!(
                "no reply from {destination} within {:?}",
                timeout.unwrap_or_default()
            ))),
        }
    }

    /// `send_synchronous` for asyncio: returns a coroutine of the reply's
    /// payload (to `await`, or to run with `asyncio.create_task`), which
    /// waits without blocking the event loop. Needs a running loop; bad
    /// arguments and send errors raise here, not when awaited.
    #[pyo3(
        signature = (destination, message, timeout = Timeout::TEN_SECONDS),
        text_signature = "($self, destination, message, timeout=10.0)"
    )]
    fn request<'py>(
        &self,
        py: Python<'py>,
        destination: Text<'_, DestinationArg>,
        message: &Bound<'py, PyAny>,
        timeout: Timeout,
    ) -> PyResult<Bound<'py, PyAny>> {
        let destination: &str = &destination;
        request::running_loop(py)?;
        let request = self.request_for(py, destination, message)?;
        request::awaitable(py, request, self.generation, timeout.0)
    }

    /// Calls the listeners of `destination` in this thread and returns the
    /// `response` the last of them set. A listener's exception stops the
    /// call and raises `ListenerError` from it.
    fn send_direct<'py>(
        &self,
        py: Python<'py>,
        destination: Text<'_, DestinationArg>,
        message: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let destination: &str = &destination;
        let mut response = ptr::null_mut();
        // SAFETY: live bus and message, a NUL-terminated name.
        self.deliver(py, destination, message, |bus, name, message| unsafe {
            (api().bus_send_direct)(bus, name, message, &mut response)
        })?;
        // SAFETY: owned on success.
        let response = unsafe { Owned::from_raw(response) }.expect("a response on success");
        Ok(to_py(py, response.as_ptr()))
    }

    /// Answers a default-synchronous request with `payload`.
    #[pyo3(signature = (request, payload = None))]
    fn reply(
        &self,
        py: Python<'_>,
        request: PyRef<'_, PyMessage>,
        payload: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let bus = self.bus()?;
        let payload = match payload {
            Some(payload) => to_value(payload)?,
            None => to_value(&py.None().into_bound(py))?,
        };
        let request = request.handle();
        // SAFETY: live bus, request and payload.
        inline_calls(py, || {
            Ok(unsafe { (api().bus_reply)(bus, request, payload.as_ptr()) })
        })
    }

    /// The destination's statistics; its message counters belong to the
    /// name and go on through `replace_destination` and remove + add.
    fn statistics(
        &self,
        destination: Text<'_, DestinationArg>,
    ) -> PyResult<PyDestinationStatistics> {
        let destination: &str = &destination;
        Ok(destination_statistics(self.bus()?, destination)?.into())
    }

    /// Calls `callback(event)` for every registration event of the bus, or
    /// of one destination name; returns the handle that removes it (also as
    /// a context manager).
    #[pyo3(signature = (callback, destination = None))]
    fn add_event_listener(
        slf: &Bound<'_, Self>,
        callback: &Bound<'_, PyAny>,
        destination: Option<Text<'_, DestinationArg>>,
    ) -> PyResult<EventListenerHandle> {
        let destination = destination.as_deref();
        let this = slf.get();
        let bus = this.bus()?;
        if !callback.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "callback must be callable (a function taking the BusEvent), not {}",
                type_name(callback)
            )));
        }
        refuse_async(callback, "callback")?;
        let user_data = events::user_data(callback);
        let mut id = 0;
        let mut add = |name: *const c_char| {
            // SAFETY: a live bus; the core owns `user_data` on success.
            attached(slf.py(), || unsafe {
                (api().bus_add_event_listener)(
                    bus,
                    name,
                    Some(events::call),
                    user_data,
                    Some(events::free),
                    &mut id,
                )
            })
        };
        let code = match destination {
            Some(destination) => with_c_str(destination, "destination name", add),
            None => Ok(add(ptr::null())),
        };
        if !matches!(code, Ok(MSGBUS_RESULT_OK)) {
            // SAFETY: refused: the user data is still ours.
            unsafe { events::free(user_data) };
        }
        check(code?)?;
        let weak = PyWeakrefReference::new(slf)?.unbind();
        Ok(EventListenerHandle::new(
            weak,
            this.generation,
            id,
            destination.map(str::to_owned),
        ))
    }

    /// Names the bus's dead-letter destination (`None`: none, the default;
    /// it need not exist yet). Every message the bus does not deliver goes
    /// there once, as a copy with its payload and values plus the values
    /// "msgbus.reason" ("failed", "rejected", "no_listener", "discarded",
    /// "no_such_destination" or "expired"), "msgbus.destination" (where it
    /// was sent) and, for a failure, "msgbus.error" (the exception, as
    /// logged); unless its destination names its own
    /// (`add_destination(..., dead_letter_destination=...)`). A dead letter
    /// its destination cannot take is logged and counted in the metrics;
    /// a message failing at a dead-letter destination is never
    /// dead-lettered again.
    fn set_dead_letter_destination(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<()> {
        let bus = self.bus()?;
        let set = api().bus_set_dead_letter_destination;
        if name.is_none() {
            // SAFETY: a live bus; NULL names none.
            return check(attached(py, || unsafe { set(bus, ptr::null()) }));
        }
        let name = dead_letter_text(name, "name")?;
        let code = with_c_str(name, "name", |name| {
            // SAFETY: a live bus and a NUL-terminated name.
            attached(py, || unsafe { set(bus, name) })
        })?;
        check(code)
    }

    /// Adds `interceptor(destination, message)`, after those already
    /// there: every send of the bus (of any kind, from any language,
    /// scheduled ones and replies included; dead letters excepted) calls
    /// it on the sending thread, before the destination is looked up. It
    /// may change the message, which is the one being sent (to carry trace
    /// context: `message.put("traceparent", ...)`), for the call only: kept
    /// beyond it, the `Message` is a copy of its own. A true return
    /// consumes the message: it goes no further, the send succeeds, and
    /// the metrics count it. An exception is logged to the `msgbus` logger
    /// and counted, and the message goes on. Returns the handle that
    /// removes it (also as a context manager). An `async def` interceptor
    /// raises `TypeError`: nothing would await it.
    fn add_interceptor(
        slf: &Bound<'_, Self>,
        interceptor: &Bound<'_, PyAny>,
    ) -> PyResult<InterceptorHandle> {
        let this = slf.get();
        let bus = this.bus()?;
        if !interceptor.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "interceptor must be callable (a function taking the destination name and the \
                 message), not {}",
                type_name(interceptor)
            )));
        }
        refuse_async(interceptor, "interceptor")?;
        let user_data = Listener::user_data(interceptor);
        let mut id = 0;
        let code = attached(slf.py(), || {
            // SAFETY: a live bus and runtime; the core owns `user_data` on
            // success and frees it with `listener::free`.
            unsafe {
                (api().bus_add_interceptor_in_runtime)(
                    bus,
                    gil::runtime(),
                    Some(interceptor::call),
                    user_data,
                    Some(listener::free),
                    &mut id,
                )
            }
        });
        if code != MSGBUS_RESULT_OK {
            // SAFETY: refused: the user data is still ours.
            unsafe { listener::free(user_data) };
        }
        check(code)?;
        let weak = PyWeakrefReference::new(slf)?.unbind();
        Ok(InterceptorHandle::new(weak, this.generation, id))
    }

    /// Sends a copy of `message` (a `Message`, or any object as the payload
    /// of a new one) to `destination` after `delay` seconds, then, unless
    /// `every` is `None`, every `every` seconds at a fixed rate until
    /// cancelled. Seconds are rounded up to whole milliseconds, so that a
    /// positive delay or period is never 0. Each firing is a send as
    /// `send`'s, from the bus's one timer thread: it passes the
    /// interceptors, what is not delivered is dead-lettered, and a failed
    /// send is logged. The destination must exist now
    /// (`NoSuchDestinationError`). A shutdown cancels what has not fired
    /// (the metrics count them). Returns the `Schedule`, whose `cancel()`
    /// stops it (also as a context manager).
    #[pyo3(signature = (destination, message, delay, every = None))]
    fn schedule(
        slf: &Bound<'_, Self>,
        destination: Text<'_, DestinationArg>,
        message: &Bound<'_, PyAny>,
        delay: &Bound<'_, PyAny>,
        every: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Schedule> {
        let destination: &str = &destination;
        let this = slf.get();
        let bus = this.bus()?;
        let (delay_seconds, delay) = delay_of(delay)?;
        let every = period_of(every)?;
        let period = every.map_or(0, |(_, every)| millis(every));
        let mut id = 0;
        let code = with_message(message, None, |message| {
            with_c_str(destination, "destination name", |name| {
                attached(slf.py(), || {
                    // SAFETY: live bus and message, a NUL-terminated name, a
                    // writable out-parameter; the core copies the message.
                    unsafe {
                        (api().bus_schedule)(bus, name, message, millis(delay), period, &mut id)
                    }
                })
            })
        })?;
        check(code)?;
        let weak = PyWeakrefReference::new(slf)?.unbind();
        Ok(Schedule::new(
            weak,
            this.generation,
            id,
            destination,
            delay_seconds,
            every.map(|(seconds, _)| seconds),
        ))
    }

    /// Every destination's figures and the bus's, in the Prometheus text
    /// exposition format 0.0.4 (`msgbus_*` families: queue depth, threads,
    /// sent, delivered, failed, rejected, dropped, discarded, dead letters,
    /// request outcomes, queue-wait and processing-time histograms,
    /// interceptors and schedules), as a scrape endpoint serves it
    /// (`text/plain; version=0.0.4`).
    fn metrics_text(&self, py: Python<'_>) -> PyResult<String> {
        let bus = self.bus()?;
        // SAFETY: a live bus and a visitor of `metrics_text`'s kind.
        attached(py, || metrics_text(bus, api().bus_metrics_text))
    }

    /// `metrics_text()`'s figures as a dict: `{"destinations": [...],
    /// "bus": {...}}`. Each destination is a dict of its "name", "type",
    /// the fields of `DestinationStatistics`, "dead_letters" (a count by
    /// reason: "failed", "rejected", "no_listener", "discarded",
    /// "expired"), "requests" (a count by outcome: "ok", "failed",
    /// "timeout", "no_listeners", "abandoned"), and the histograms
    /// "queue_wait" and "processing", each `{"buckets": [[le, count], ...,
    /// ["+Inf", count]], "sum": seconds, "count": count}` with cumulative
    /// counts by upper bound in seconds. "bus" holds
    /// "unknown_destination_count", "unknown_destination_dead_lettered_count",
    /// "dead_letters_refused_count", "interceptor_count",
    /// "intercepted_count", "interceptor_failed_count" and "schedules"
    /// ("pending", "fired", "missed", "cancelled",
    /// "cancelled_at_shutdown").
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let bus = self.bus()?;
        // SAFETY: a live bus and a visitor of `metrics_text`'s kind.
        let json = attached(py, || metrics_text(bus, api().bus_metrics_json))?;
        JSON_LOADS.import(py, "json", "loads")?.call1((json,))
    }

    /// Stops the serial and parallel destinations. Graceful: every queued
    /// message is delivered first; `force`: queued messages are discarded
    /// (and counted). Waits up to `timeout` seconds (`None`: as long as it
    /// takes) for the workers, else raises `TimeoutError`; they go on.
    /// Afterwards sends to those destinations raise `BusClosedError`;
    /// synchronous destinations keep working.
    #[pyo3(
        signature = (force = false, timeout = Timeout(None)),
        text_signature = "($self, force=False, timeout=None)"
    )]
    fn shutdown(&self, py: Python<'_>, force: bool, timeout: Timeout) -> PyResult<()> {
        let bus = self.bus()? as usize;
        let limit = timeout.0;
        self.shut_down.store(true, SeqCst);
        let stopped = wait_in_slices(py, limit, |slice| {
            // SAFETY: a live bus.
            let code =
                unsafe { (api().bus_shutdown)(bus as *const msgbus_bus, force, millis(slice)) };
            (code == MSGBUS_RESULT_OK).then_some(())
        })?;
        match stopped {
            Some(()) => Ok(()),
            None => Err(PyTimeoutError::new_err(format!(
                "workers still running after {:?}",
                limit.unwrap_or_default()
            ))),
        }
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// `<msgbus.MessageBus 0x… destinations=3 open>`: the address of its
    /// `msgbus_bus *`, the number of destinations (the built-in
    /// `msgbus/default_response` included), and "shut down" once this
    /// object's `shutdown` (or the exit's) was called.
    fn __repr__(&self) -> String {
        let address = self.handle() as usize;
        let default = match self.hold {
            Some(Hold::Default(_)) => " default",
            _ => "",
        };
        if !self.generation.is_current() {
            return format!(
                "<msgbus.MessageBus{default} 0x{address:x} inherited through os.fork(): closed>"
            );
        }
        let count = destination_names(self.handle()).map_or(0, |names| names.len());
        let state = if self.shut_down.load(SeqCst) || !lifecycle::attachable() {
            "shut down"
        } else {
            "open"
        };
        format!("<msgbus.MessageBus{default} 0x{address:x} destinations={count} {state}>")
    }

    /// Shuts the bus down gracefully.
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.shutdown(py, false, Timeout(None))?;
        Ok(false)
    }
}

impl PyMessageBus {
    /// Sends `message` as a request; the handle to wait on.
    fn request_for(
        &self,
        py: Python<'_>,
        destination: &str,
        message: &Bound<'_, PyAny>,
    ) -> PyResult<Owned<msgbus_request>> {
        let mut request = ptr::null_mut();
        // SAFETY: live bus and message, a NUL-terminated name.
        self.deliver(py, destination, message, |bus, name, message| unsafe {
            (api().bus_request)(bus, name, message, &mut request)
        })?;
        // SAFETY: owned on success.
        Ok(unsafe { Owned::from_raw(request) }.expect("a request on success"))
    }

    /// Runs `send` (a send, a request, a direct send) with the bus, the
    /// destination's name and the message to send, which may run listeners
    /// in this thread.
    fn deliver(
        &self,
        py: Python<'_>,
        destination: &str,
        message: &Bound<'_, PyAny>,
        send: impl FnOnce(*const msgbus_bus, *const c_char, *const msgbus_message) -> msgbus_result,
    ) -> PyResult<()> {
        let bus = self.bus()?;
        with_message(message, None, |message| {
            with_c_str(destination, "destination name", |name| {
                inline_calls(py, || Ok(send(bus, name, message)))
            })?
        })
    }
}
