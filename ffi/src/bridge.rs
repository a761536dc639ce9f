//! msgbus_bridge: the bridges of SPEC §8 (msgbus_nats::Bridge). No
//! thread starts and no socket opens until msgbus_bridge_connect.

use std::ffi::{CString, c_char};
use std::path::PathBuf;
use std::time::Duration;

use msgbus_abi::*;
use msgbus_nats::{Bridge, BridgeMode, BridgeOptions};

use crate::boundary::*;
use crate::bus::with_bus;

/// A bridge, and its node id as C reads it.
pub(crate) struct CBridge {
    bridge: Bridge,
    node_id: CString,
}

impl Castable for msgbus_bridge {
    type Rust = CBridge;
}

/// Connects `bus` to the NATS server of `options` and writes the bridge
/// to `*out_bridge`; returns once its connections are up. Nothing is
/// forwarded until msgbus_bridge_add. MSGBUS_RESULT_CLOSED (with the
/// reason in msgbus_last_error_message) when the server cannot be
/// reached; MSGBUS_RESULT_INVALID_ARGUMENT for options it refuses, naming
/// the field. The bridge keeps the bus alive until it is freed.
///
/// # Safety
/// `bus` NULL or live; `options` NULL or readable, its texts NULL or
/// NUL-terminated; `out_bridge` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bridge_connect(
    bus: *const msgbus_bus,
    options: *const msgbus_bridge_options,
    out_bridge: *mut *mut msgbus_bridge,
) -> msgbus_result {
    // SAFETY: per the contract.
    unsafe {
        with_bus(bus, |bus| {
            let out_bridge = out(out_bridge, "out_bridge")?;
            let options = required(options.as_ref(), "options")?;
            let bridge = Bridge::connect(bus, bridge_options(options)?)?;
            let node_id = CString::new(bridge.node_id()).expect("node ids have no NUL");
            put(
                out_bridge,
                to_owned_handle::<msgbus_bridge>(CBridge { bridge, node_id }),
            );
            Ok(())
        })
    }
}

/// The Rust options of `options`, each text checked under its field name.
unsafe fn bridge_options(options: &msgbus_bridge_options) -> Outcome<BridgeOptions> {
    // SAFETY: the caller's contract covers every text field.
    let field = |ptr, name| unsafe { optional_text(ptr, name) }.map(|t| t.map(String::from));
    let path = |ptr, name| field(ptr, name).map(|t| t.map(PathBuf::from));
    // SAFETY: as above.
    let url = unsafe { text(options.url, "options.url") }?;
    let mut rust = BridgeOptions::new(url);
    if let Some(cluster) = field(options.cluster, "options.cluster")? {
        rust.cluster = cluster;
    }
    rust.node_id = field(options.node_id, "options.node_id")?;
    rust.user = field(options.user, "options.user")?;
    rust.password = field(options.password, "options.password")?;
    rust.token = field(options.token, "options.token")?;
    rust.credentials_file = path(options.credentials_file, "options.credentials_file")?;
    rust.tls_ca_file = path(options.tls_ca_file, "options.tls_ca_file")?;
    rust.tls_cert_file = path(options.tls_cert_file, "options.tls_cert_file")?;
    rust.tls_key_file = path(options.tls_key_file, "options.tls_key_file")?;
    if options.connect_timeout_ms != 0 {
        rust.connect_timeout = Duration::from_millis(options.connect_timeout_ms);
    }
    if options.request_timeout_ms != 0 {
        rust.request_timeout = Duration::from_millis(options.request_timeout_ms);
    }
    Ok(rust)
}

/// Forwards the destination `name` in `mode`; returns once this node's
/// subscriptions are in place. Adding a name again in the same mode does
/// nothing; in another mode it is MSGBUS_RESULT_INVALID_ARGUMENT.
///
/// # Safety
/// `bridge` NULL or live; `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bridge_add(
    bridge: *const msgbus_bridge,
    name: *const c_char,
    mode: msgbus_bridge_mode,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let (bridge, name) = unsafe {
            (
                borrow(bridge, "bridge")?,
                crate::boundary::name(name, "name")?,
            )
        };
        let mode = usize::try_from(mode)
            .ok()
            .and_then(|i| BridgeMode::ALL.get(i))
            .ok_or_else(|| {
                Failure::new(
                    MSGBUS_RESULT_INVALID_ARGUMENT,
                    format!("mode: {mode} is no msgbus_bridge_mode"),
                )
            })?;
        Ok(bridge.bridge.add(name, *mode)?)
    })
}

/// Stops forwarding `name`; MSGBUS_RESULT_NO_SUCH_DESTINATION if it was
/// not bridged.
///
/// # Safety
/// `bridge` NULL or live; `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bridge_remove(
    bridge: *const msgbus_bridge,
    name: *const c_char,
) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        let (bridge, name) = unsafe {
            (
                borrow(bridge, "bridge")?,
                crate::boundary::name(name, "name")?,
            )
        };
        Ok(bridge.bridge.remove(name)?)
    })
}

/// Fills `*out_statistics` with the bridge's counters (readable after
/// msgbus_bridge_close too).
///
/// # Safety
/// `bridge` NULL or live; `out_statistics` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bridge_statistics(
    bridge: *const msgbus_bridge,
    out_statistics: *mut msgbus_bridge_counters,
) -> msgbus_result {
    guard(|| {
        let out_statistics = out(out_statistics, "out_statistics")?;
        // SAFETY: per the contract.
        let s = unsafe { borrow(bridge, "bridge") }?.bridge.statistics();
        let statistics = msgbus_bridge_counters {
            published: s.published,
            received: s.received,
            failed: s.failed,
            unknown_destination: s.unknown_destination,
            reconnects: s.reconnects,
            slow_consumers: s.slow_consumers,
            request_timeouts: s.request_timeouts,
        };
        // SAFETY: checked by `out`.
        unsafe { put(out_statistics, statistics) };
        Ok(())
    })
}

/// The bridge's node id (the one given, or the one it made); valid until
/// the bridge is freed. NULL for a NULL bridge.
///
/// # Safety
/// `bridge` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bridge_node_id(bridge: *const msgbus_bridge) -> *const c_char {
    // SAFETY: per the contract.
    guard_or(std::ptr::null(), || {
        match unsafe { borrow(bridge, "bridge") } {
            Ok(bridge) => bridge.node_id.as_ptr(),
            Err(_) => std::ptr::null(),
        }
    })
}

/// Stops forwarding, publishes what was accepted (durable modes: until
/// JetStream stored it), injects what had arrived and closes the
/// connections, then returns. Closing again does nothing.
///
/// # Safety
/// `bridge` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bridge_close(bridge: *const msgbus_bridge) -> msgbus_result {
    guard(|| {
        // SAFETY: per the contract.
        unsafe { borrow(bridge, "bridge") }?.bridge.close();
        Ok(())
    })
}

/// Closes the bridge (msgbus_bridge_close) and frees it; NULL does nothing.
///
/// # Safety
/// `bridge` NULL or from msgbus_bridge_connect, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_bridge_free(bridge: *mut msgbus_bridge) {
    // SAFETY: per the contract.
    guard_or((), || unsafe { free_handle(bridge) })
}
