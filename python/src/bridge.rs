//! `Bridge`: a bus joined to others over a NATS server (SPEC §8), through
//! the core's msgbus_bridge. Connecting, adding, removing and closing
//! wait on the network, so they let go of the GIL.

use std::ffi::{CString, c_char};
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use msgbus_abi::*;
use pyo3::prelude::*;

use crate::bus::PyMessageBus;
use crate::config::duration;
use crate::core::api;
use crate::errors::{check, invalid_argument};
use crate::gil::{detached, millis};
use crate::handles::{Handle, NameArg, Owned, Text};

impl Handle for msgbus_bridge {
    unsafe fn free(ptr: *mut Self) {
        // SAFETY: per the trait's contract.
        unsafe { (api().bridge_free)(ptr) }
    }
}

/// The modes of `Bridge.add`, in the order of the C constants.
const MODES: [&str; 5] = [
    "broadcast",
    "work_share",
    "durable_broadcast",
    "durable_work_share",
    "durable_serial",
];

/// Forwards chosen destinations of a bus to the same-named destinations
/// of the buses of other processes and hosts, through a NATS server.
/// `Bridge(bus, url)` returns once connected; buses bridge each other only
/// within one `cluster`; `node_id` names this one (a fresh name if None; a
/// durable broadcast replays what a node missed by it). `BusClosedError`
/// when the server cannot be reached. A context manager that closes it.
#[pyclass(frozen, name = "Bridge", module = "msgbus")]
pub struct PyBridge {
    handle: Owned<msgbus_bridge>,
    /// The `MessageBus`, kept alive with the bridge.
    bus: Py<PyAny>,
    closed: AtomicBool,
}

/// A bridge's counters since it connected.
#[pyclass(frozen, get_all, name = "BridgeStatistics", module = "msgbus")]
pub struct PyBridgeStatistics {
    /// Messages handed to the server (durable modes: stored by JetStream).
    published: u64,
    /// Messages from other nodes sent into a local destination.
    received: u64,
    /// Messages that could not be published, or arrivals refused here.
    failed: u64,
    /// Arrivals for a name no local destination has (dead-lettered).
    unknown_destination: u64,
    /// Connections made again after they were lost.
    reconnects: u64,
    /// Times the client reported a subscription too slow.
    slow_consumers: u64,
    /// Requests to other nodes that got no reply in the request timeout.
    request_timeouts: u64,
}

#[pymethods]
impl PyBridgeStatistics {
    fn __repr__(&self) -> String {
        format!(
            "BridgeStatistics(published={}, received={}, failed={}, unknown_destination={}, \
             reconnects={}, slow_consumers={}, request_timeouts={})",
            self.published,
            self.received,
            self.failed,
            self.unknown_destination,
            self.reconnects,
            self.slow_consumers,
            self.request_timeouts
        )
    }
}

/// An optional text option as a C string; a NUL names the option.
fn c_text(name: &str, text: Option<&str>) -> PyResult<Option<CString>> {
    text.map(|t| CString::new(t).map_err(|_| invalid_argument(format!("{name} contains a NUL"))))
        .transpose()
}

fn ptr_of(text: &Option<CString>) -> *const c_char {
    text.as_ref().map_or(ptr::null(), |t| t.as_ptr())
}

#[pymethods]
impl PyBridge {
    #[new]
    #[pyo3(signature = (bus, url, cluster = "msgbus", node_id = None, *, user = None,
        password = None, token = None, credentials_file = None, tls_ca_file = None,
        tls_cert_file = None, tls_key_file = None, connect_timeout = 5.0,
        request_timeout = 60.0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        bus: &Bound<'_, PyMessageBus>,
        url: &str,
        cluster: &str,
        node_id: Option<&str>,
        user: Option<&str>,
        password: Option<&str>,
        token: Option<&str>,
        credentials_file: Option<&str>,
        tls_ca_file: Option<&str>,
        tls_cert_file: Option<&str>,
        tls_key_file: Option<&str>,
        connect_timeout: f64,
        request_timeout: f64,
    ) -> PyResult<Self> {
        let texts = [
            c_text("url", Some(url))?,
            c_text("cluster", Some(cluster))?,
            c_text("node_id", node_id)?,
            c_text("user", user)?,
            c_text("password", password)?,
            c_text("token", token)?,
            c_text("credentials_file", credentials_file)?,
            c_text("tls_ca_file", tls_ca_file)?,
            c_text("tls_cert_file", tls_cert_file)?,
            c_text("tls_key_file", tls_key_file)?,
        ];
        let at_least_1ms =
            |name, seconds| -> PyResult<u64> { Ok(millis(duration(name, seconds)?).max(1)) };
        let options = msgbus_bridge_options {
            url: ptr_of(&texts[0]),
            cluster: ptr_of(&texts[1]),
            node_id: ptr_of(&texts[2]),
            user: ptr_of(&texts[3]),
            password: ptr_of(&texts[4]),
            token: ptr_of(&texts[5]),
            credentials_file: ptr_of(&texts[6]),
            tls_ca_file: ptr_of(&texts[7]),
            tls_cert_file: ptr_of(&texts[8]),
            tls_key_file: ptr_of(&texts[9]),
            connect_timeout_ms: at_least_1ms("connect_timeout", connect_timeout)?,
            request_timeout_ms: at_least_1ms("request_timeout", request_timeout)?,
        };
        let core_bus = bus.get().bus()? as usize;
        let options = &options as *const msgbus_bridge_options as usize;
        let (code, out) = detached(py, || {
            let mut out = ptr::null_mut();
            // SAFETY: a live bus; options whose texts outlive the call.
            let code = unsafe {
                (api().bridge_connect)(
                    core_bus as *const msgbus_bus,
                    options as *const msgbus_bridge_options,
                    &mut out,
                )
            };
            (code, out as usize)
        });
        check(code)?;
        // SAFETY: written on success, and ours.
        let handle = unsafe { Owned::from_raw(out as *mut msgbus_bridge) }.expect("a bridge");
        Ok(PyBridge {
            handle,
            bus: bus.clone().into_any().unbind(),
            closed: AtomicBool::new(false),
        })
    }

    /// Forwards the destination `name` in `mode` ("broadcast",
    /// "work_share", "durable_broadcast", "durable_work_share" or
    /// "durable_serial"); returns once this node receives it.
    #[pyo3(signature = (name, mode = "broadcast"))]
    fn add(&self, py: Python<'_>, name: Text<'_, NameArg>, mode: &str) -> PyResult<()> {
        let Some(index) = MODES.iter().position(|m| *m == mode) else {
            return Err(invalid_argument(format!(
                "mode must be one of {}, not {mode:?}",
                MODES.join(", ")
            )));
        };
        let name = c_text("name", Some(&name))?.expect("given");
        let bridge = self.handle.as_ptr() as usize;
        // SAFETY: a live bridge and a NUL-terminated name.
        let code = detached(py, || unsafe {
            (api().bridge_add)(bridge as *const msgbus_bridge, name.as_ptr(), index as u32)
        });
        check(code)
    }

    /// Stops forwarding `name`; `NoSuchDestinationError` if it was not
    /// bridged.
    fn remove(&self, py: Python<'_>, name: Text<'_, NameArg>) -> PyResult<()> {
        let name = c_text("name", Some(&name))?.expect("given");
        let bridge = self.handle.as_ptr() as usize;
        // SAFETY: a live bridge and a NUL-terminated name.
        let code = detached(py, || unsafe {
            (api().bridge_remove)(bridge as *const msgbus_bridge, name.as_ptr())
        });
        check(code)
    }

    /// The bridge's counters (readable after `close` too).
    fn statistics(&self) -> PyResult<PyBridgeStatistics> {
        let mut out = MaybeUninit::<msgbus_bridge_counters>::uninit();
        // SAFETY: a live bridge and a writable out-parameter.
        check(unsafe { (api().bridge_statistics)(self.handle.as_ptr(), out.as_mut_ptr()) })?;
        // SAFETY: written on success.
        let s = unsafe { out.assume_init() };
        Ok(PyBridgeStatistics {
            published: s.published,
            received: s.received,
            failed: s.failed,
            unknown_destination: s.unknown_destination,
            reconnects: s.reconnects,
            slow_consumers: s.slow_consumers,
            request_timeouts: s.request_timeouts,
        })
    }

    /// This node's id in its cluster.
    #[getter]
    fn node_id(&self) -> String {
        // SAFETY: a live bridge; its node id lives as long as it does.
        let id = unsafe { (api().bridge_node_id)(self.handle.as_ptr()) };
        // SAFETY: a NUL-terminated string from the core.
        unsafe { std::ffi::CStr::from_ptr(id) }
            .to_string_lossy()
            .into_owned()
    }

    /// The `MessageBus` this bridge forwards for.
    #[getter]
    fn bus(&self, py: Python<'_>) -> Py<PyAny> {
        self.bus.clone_ref(py)
    }

    /// Stops forwarding, publishes what was accepted, delivers what had
    /// arrived, and closes the connections. Closing again does nothing.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.closed.store(true, Relaxed);
        let bridge = self.handle.as_ptr() as usize;
        // SAFETY: a live bridge.
        check(detached(py, || unsafe {
            (api().bridge_close)(bridge as *const msgbus_bridge)
        }))
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Closes the bridge (as `close()`).
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let state = if self.closed.load(Relaxed) {
            " closed"
        } else {
            ""
        };
        format!("<msgbus.Bridge node_id={:?}{state}>", self.node_id())
    }
}

impl Drop for PyBridge {
    /// Closes without the GIL: the bridge's inbound thread may be waiting
    /// for it to call a listener.
    fn drop(&mut self) {
        if !self.closed.load(Relaxed) {
            let bridge = self.handle.as_ptr() as usize;
            Python::attach(|py| {
                // SAFETY: a live bridge.
                detached(py, || unsafe {
                    (api().bridge_close)(bridge as *const msgbus_bridge)
                })
            });
        }
    }
}
