//! `msgbus.Message`: a payload, named values, and the reply fields
//! (Liferay's `Message`), held by the core.
//!
//! Sending copies nothing but reference counts: the core takes a copy, so
//! later changes to the sender's `Message` stay its own. A listener
//! receives a `Message` that reads the delivered message in place; if the
//! listener changes it, or keeps it beyond its call, it becomes a copy of
//! its own first. Setting its `response` is how a listener answers a
//! direct synchronous send. An interceptor receives a `Message` that
//! changes the message being sent in place, for its call only: kept
//! beyond it, it becomes a copy of its own.

use std::ffi::{CStr, c_char, c_void};
use std::mem::MaybeUninit;
use std::ptr;

use msgbus_abi::*;
use pyo3::exceptions::{PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyIterator, PyList, PyMapping, PyString};

use crate::core::api;
use crate::errors::check;
use crate::handles::{KeyArg, Owned, ResponseDestinationNameArg, ResponseIdArg, Text, with_c_str};
use crate::value::{from_view, store, to_py, to_value};

/// Where a `Message`'s contents are.
enum Held {
    Own(Owned<msgbus_message>),
    /// The message a listener is being called with, valid for the call.
    Delivered(*const msgbus_message),
    /// The message an interceptor is being called with, valid and its to
    /// change for the call.
    Intercepted(*mut msgbus_message),
}

/// A message: a payload, values by key, and the fields of a request.
#[pyclass(name = "Message", module = "msgbus")]
pub struct PyMessage {
    held: Held,
    /// Whether Python code set `response` on this object.
    response_set: bool,
}

// SAFETY: a `Delivered` or `Intercepted` pointer is only used under the
// GIL during the listener's or interceptor's call, and replaced by a copy
// before the call returns if the object outlives it
// (`PyMessage::end_of_call`, `PyMessage::end_of_interception`).
unsafe impl Send for PyMessage {}
unsafe impl Sync for PyMessage {}

/// A new empty message.
fn new_message() -> Owned<msgbus_message> {
    // SAFETY: msgbus_message_new cannot fail.
    unsafe { Owned::from_raw((api().message_new)()) }.expect("the core made a message")
}

impl PyMessage {
    /// The `Message` a listener is called with.
    pub(crate) fn delivered(message: *const msgbus_message) -> Self {
        PyMessage {
            held: Held::Delivered(message),
            response_set: false,
        }
    }

    /// Makes a spare `Message` (see `listener::run`) the one for `message`.
    pub(crate) fn redeliver(&mut self, message: *const msgbus_message) {
        *self = PyMessage::delivered(message);
    }

    /// The `Message` an interceptor is called with: its changes are made
    /// to `message` itself.
    pub(crate) fn intercepted(message: *mut msgbus_message) -> Self {
        PyMessage {
            held: Held::Intercepted(message),
            response_set: false,
        }
    }

    /// The message's handle, for reading or for a call that copies it.
    pub(crate) fn handle(&self) -> *const msgbus_message {
        match &self.held {
            Held::Own(owned) => owned.as_ptr(),
            Held::Delivered(message) => *message,
            Held::Intercepted(message) => *message,
        }
    }

    /// The message's handle for a change: a delivered message becomes a
    /// copy first; an intercepted one is changed in place.
    fn as_mut_ptr(&mut self) -> *mut msgbus_message {
        if let Held::Delivered(message) = self.held {
            self.held = Held::Own(copy(message));
        }
        match &self.held {
            Held::Own(owned) => owned.as_ptr(),
            Held::Intercepted(message) => *message,
            Held::Delivered(_) => unreachable!("made a copy"),
        }
    }

    /// After its interceptor's call: a message still referred to elsewhere
    /// becomes a copy of the message as the interceptor left it, so that
    /// nothing reaches the sent message after the call.
    pub(crate) fn end_of_interception(&mut self, kept: bool) {
        if let (Held::Intercepted(message), true) = (&self.held, kept) {
            self.held = Held::Own(copy(*message));
        }
    }

    /// After its listener's call: a message still referred to elsewhere
    /// becomes a copy, and a response set on a copy is set on the
    /// delivered message.
    pub(crate) fn end_of_call(&mut self, delivered: *const msgbus_message, kept: bool) {
        if kept {
            self.as_mut_ptr();
        }
        if self.response_set && !ptr::eq(self.handle(), delivered) {
            let mut response = ptr::null_mut();
            // SAFETY: both live; the response is copied into the delivered
            // message, which a listener may answer through.
            unsafe {
                if (api().message_response)(self.handle(), &mut response) == MSGBUS_RESULT_OK {
                    let response = Owned::from_raw(response);
                    if let Some(response) = &response {
                        (api().message_set_response)(delivered, response.as_ptr());
                    }
                }
            }
        }
    }

    fn text(
        &self,
        read: unsafe extern "C" fn(*const msgbus_message) -> *const c_char,
    ) -> Option<String> {
        // SAFETY: a live message; the text is borrowed from it.
        let text = unsafe { read(self.handle()) };
        // SAFETY: NUL-terminated UTF-8 from the core.
        (!text.is_null()).then(|| {
            unsafe { CStr::from_ptr(text) }
                .to_string_lossy()
                .into_owned()
        })
    }

    /// Sets (or with `None` clears) a text field with `set`.
    fn set_text(
        &mut self,
        set: unsafe extern "C" fn(*mut msgbus_message, *const c_char) -> msgbus_result,
        text: Option<&str>,
        what: &str,
    ) -> PyResult<()> {
        let message = self.as_mut_ptr();
        match text {
            // SAFETY: a live message; NULL clears the field.
            None => check(unsafe { set(message, ptr::null()) }),
            // SAFETY: a live message and NUL-terminated text.
            Some(text) => with_c_str(text, what, |text| check(unsafe { set(message, text) }))?,
        }
    }

    fn put_value(&mut self, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        put_value(self.as_mut_ptr(), key, value)
    }

    /// The value under `key`: from its view in one call when it has one
    /// (see [`from_view`]), else through its msgbus_value.
    fn value_of<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut view = MaybeUninit::uninit();
        // SAFETY: a live message; `key.len()` bytes of UTF-8 at `key`.
        let code = unsafe {
            (api().message_get_view)(
                self.handle(),
                key.as_ptr().cast(),
                key.len(),
                view.as_mut_ptr(),
            )
        };
        if code == MSGBUS_RESULT_NOT_FOUND {
            return Ok(None);
        }
        check(code)?;
        // SAFETY: written on success; it borrows the message, unchanged here.
        if let Some(obj) = from_view(py, unsafe { view.assume_init_ref() }) {
            return Ok(Some(obj));
        }
        let mut value = ptr::null();
        // SAFETY: a live message; the value is borrowed from it.
        let code = with_c_str(key, "key", |key| unsafe {
            (api().message_get)(self.handle(), key, &mut value)
        })?;
        Ok((code == MSGBUS_RESULT_OK).then(|| to_py(py, value)))
    }

    fn has(&self, key: &str) -> PyResult<bool> {
        let mut contains = false;
        // SAFETY: a live message and a NUL-terminated key.
        let code = with_c_str(key, "key", |key| unsafe {
            (api().message_contains)(self.handle(), key, &mut contains)
        })?;
        check(code)?;
        Ok(contains)
    }

    /// The keys and values, in insertion order.
    fn items<'py>(&self, py: Python<'py>) -> Vec<(String, Bound<'py, PyAny>)> {
        struct Visit<'a, 'py>(Python<'py>, &'a mut Vec<(String, Bound<'py, PyAny>)>);
        unsafe extern "C" fn visit(
            user_data: *mut c_void,
            key: *const c_char,
            value: *const msgbus_value,
        ) {
            // SAFETY: the `Visit` below, on this thread, for the call.
            let Visit(py, items) = unsafe { &mut *user_data.cast::<Visit<'_, '_>>() };
            // SAFETY: key and value are borrowed for the call.
            let key = unsafe { CStr::from_ptr(key) }
                .to_string_lossy()
                .into_owned();
            items.push((key, to_py(*py, value)));
        }
        let mut items = Vec::new();
        let mut visitor = Visit(py, &mut items);
        // SAFETY: a live message; the visitor runs on this thread only.
        unsafe {
            (api().message_for_each_value)(
                self.handle(),
                Some(visit),
                (&mut visitor as *mut Visit<'_, '_>).cast(),
            )
        };
        items
    }
}

/// A new message equal to `message`.
fn copy(message: *const msgbus_message) -> Owned<msgbus_message> {
    // SAFETY: a live message; the clone shares its values.
    unsafe { Owned::from_raw((api().message_clone)(message)) }.expect("the core copied the message")
}

/// What `send` and friends accept: a `Message`, or any object, which
/// becomes the payload of a new message with `values` (a mapping of str
/// keys; a `Message` carries its own). Calls `f` with its handle.
pub(crate) fn with_message<R>(
    obj: &Bound<'_, PyAny>,
    values: Option<&Bound<'_, PyMapping>>,
    f: impl FnOnce(*const msgbus_message) -> PyResult<R>,
) -> PyResult<R> {
    if let Ok(message) = obj.cast::<PyMessage>() {
        if values.is_some() {
            return Err(PyTypeError::new_err(
                "values are for a bare payload: a Message carries its own (use message[key] = value)",
            ));
        }
        return f(message.borrow().handle());
    }
    let message = new_message();
    set_payload(message.as_ptr(), obj)?;
    if let Some(values) = values {
        put_values(message.as_ptr(), values)?;
    }
    f(message.as_ptr())
}

/// Puts every item of `values` into the live message at `message`.
fn put_values(message: *mut msgbus_message, values: &Bound<'_, PyMapping>) -> PyResult<()> {
    if let Ok(dict) = values.cast::<PyDict>() {
        for (key, value) in dict.iter() {
            put_value(message, &key.extract::<Text<'_, KeyArg>>()?, &value)?;
        }
    } else {
        for item in values.items()?.iter() {
            let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            put_value(message, &key.extract::<Text<'_, KeyArg>>()?, &value)?;
        }
    }
    Ok(())
}

/// Puts `value` under `key` into the live message at `message`: scalars
/// and short text as views, with no value made and freed.
fn put_value(message: *mut msgbus_message, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    with_c_str(key, "key", |key| {
        store(
            value,
            // SAFETY (both): a live message, a NUL-terminated key, and a
            // valid view or a live value.
            |view| unsafe { (api().message_put_view)(message, key, view) },
            |value| unsafe { (api().message_put)(message, key, value) },
        )
    })?
}

/// Sets the payload of the live message at `message` to `payload`.
fn set_payload(message: *mut msgbus_message, payload: &Bound<'_, PyAny>) -> PyResult<()> {
    store(
        payload,
        // SAFETY: a live message, a valid view or a live value.
        |view| unsafe { (api().message_set_payload_view)(message, view) },
        |value| unsafe { (api().message_set_payload)(message, value) },
    )
}

fn missing(key: &str) -> PyErr {
    PyKeyError::new_err(key.to_string())
}

#[pymethods]
impl PyMessage {
    #[new]
    #[pyo3(signature = (payload = None, *, values = None, response_destination_name = None, response_id = None))]
    fn new(
        payload: Option<&Bound<'_, PyAny>>,
        values: Option<&Bound<'_, PyMapping>>,
        response_destination_name: Option<Text<'_, ResponseDestinationNameArg>>,
        response_id: Option<Text<'_, ResponseIdArg>>,
    ) -> PyResult<Self> {
        let response_destination_name = response_destination_name.as_deref();
        let response_id = response_id.as_deref();
        let mut message = PyMessage {
            held: Held::Own(new_message()),
            response_set: false,
        };
        if let Some(payload) = payload {
            message.set_payload(payload)?;
        }
        if let Some(values) = values {
            put_values(message.as_mut_ptr(), values)?;
        }
        // A new message has neither.
        if response_destination_name.is_some() {
            let set = api().message_set_response_destination_name;
            message.set_text(set, response_destination_name, "response_destination_name")?;
        }
        if response_id.is_some() {
            let set = api().message_set_response_id;
            message.set_text(set, response_id, "response_id")?;
        }
        Ok(message)
    }

    /// The destination the message was sent to (set by the bus).
    #[getter]
    fn destination_name(&self) -> Option<String> {
        self.text(api().message_destination_name)
    }

    /// The payload: any object.
    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        let mut view = MaybeUninit::uninit();
        // SAFETY: a live message; a view written on success borrows it.
        let viewed = unsafe { (api().message_payload_view)(self.handle(), view.as_mut_ptr()) };
        if viewed == MSGBUS_RESULT_OK {
            // SAFETY: as above.
            if let Some(obj) = from_view(py, unsafe { view.assume_init_ref() }) {
                return obj;
            }
        }
        // SAFETY: a live message; the payload is borrowed from it.
        to_py(py, unsafe { (api().message_payload)(self.handle()) })
    }

    #[setter]
    fn set_payload(&mut self, payload: &Bound<'_, PyAny>) -> PyResult<()> {
        set_payload(self.as_mut_ptr(), payload)
    }

    /// Where replies to this message go (`send_synchronous` sets it).
    #[getter]
    fn response_destination_name(&self) -> Option<String> {
        self.text(api().message_response_destination_name)
    }

    #[setter]
    fn set_response_destination_name(
        &mut self,
        name: Option<Text<'_, ResponseDestinationNameArg>>,
    ) -> PyResult<()> {
        let name = name.as_deref();
        let set = api().message_set_response_destination_name;
        self.set_text(set, name, "response_destination_name")
    }

    /// What a reply carries to find its request (`send_synchronous` sets
    /// it).
    #[getter]
    fn response_id(&self) -> Option<String> {
        self.text(api().message_response_id)
    }

    #[setter]
    fn set_response_id(&mut self, id: Option<Text<'_, ResponseIdArg>>) -> PyResult<()> {
        let id = id.as_deref();
        self.set_text(api().message_set_response_id, id, "response_id")
    }

    /// What a listener answers to a direct synchronous send.
    #[getter]
    fn response<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut response = ptr::null_mut();
        // SAFETY: a live message; the response is handed over.
        check(unsafe { (api().message_response)(self.handle(), &mut response) })?;
        // SAFETY: owned on success.
        let response = unsafe { Owned::from_raw(response) }.expect("a response on success");
        Ok(to_py(py, response.as_ptr()))
    }

    #[setter]
    fn set_response(&mut self, response: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = to_value(response)?;
        // The one change a listener makes to the delivered message itself.
        // SAFETY: live message and value.
        check(unsafe { (api().message_set_response)(self.handle(), value.as_ptr()) })?;
        self.response_set = true;
        Ok(())
    }

    /// A new dict of the message's values.
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (key, value) in self.items(py) {
            dict.set_item(key, value)?;
        }
        Ok(dict)
    }

    /// Sets a value; `None` removes the key (as in Liferay).
    fn put(&mut self, key: Text<'_, KeyArg>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let key: &str = &key;
        self.put_value(key, value)
    }

    /// The value of `key`, or `default` if it has none.
    #[pyo3(signature = (key, default = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: Text<'_, KeyArg>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key: &str = &key;
        Ok(match self.value_of(py, key)? {
            Some(value) => value,
            None => default.unwrap_or_else(|| py.None().into_bound(py)),
        })
    }

    /// Removes a key; returns its value, or `None` if it had none.
    fn remove<'py>(
        &mut self,
        py: Python<'py>,
        key: Text<'_, KeyArg>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key: &str = &key;
        let Some(value) = self.value_of(py, key)? else {
            return Ok(py.None().into_bound(py));
        };
        let message = self.as_mut_ptr();
        // SAFETY: a live message and a NUL-terminated key.
        with_c_str(key, "key", |key| unsafe {
            (api().message_remove)(message, key)
        })?;
        Ok(value)
    }

    /// Whether `key` has a value.
    fn contains(&self, key: Text<'_, KeyArg>) -> PyResult<bool> {
        self.has(&key)
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: Text<'_, KeyArg>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key: &str = &key;
        self.value_of(py, key)?.ok_or_else(|| missing(key))
    }

    fn __setitem__(&mut self, key: Text<'_, KeyArg>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let key: &str = &key;
        self.put_value(key, value)
    }

    fn __delitem__(&mut self, key: Text<'_, KeyArg>) -> PyResult<()> {
        let key: &str = &key;
        if !self.has(key)? {
            return Err(missing(key));
        }
        let message = self.as_mut_ptr();
        // SAFETY: a live message and a NUL-terminated key.
        let code = with_c_str(key, "key", |key| unsafe {
            (api().message_remove)(message, key)
        })?;
        check(code)
    }

    fn __contains__(&self, key: Text<'_, KeyArg>) -> PyResult<bool> {
        self.contains(key)
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.items(py).len()
    }

    /// Iterates over the keys of the values.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        let keys: Vec<String> = self.items(py).into_iter().map(|(key, _)| key).collect();
        PyList::new(py, keys)?.try_iter()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let payload = self.payload(py).repr()?;
        let mut repr = format!("Message(payload={payload}");
        let values = self.values(py)?;
        if !values.is_empty() {
            repr.push_str(&format!(", values={}", values.repr()?));
        }
        for (field, text) in [
            ("destination_name", self.destination_name()),
            (
                "response_destination_name",
                self.response_destination_name(),
            ),
            ("response_id", self.response_id()),
        ] {
            if let Some(text) = text {
                let text = PyString::new(py, &text).repr()?;
                repr.push_str(&format!(", {field}={text}"));
            }
        }
        repr.push(')');
        Ok(repr)
    }
}
