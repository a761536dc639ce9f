//! msgbus_bridge: a bus joined to others over a NATS server (SPEC §8).

use core::ffi::c_char;

/// A bus joined to a NATS server; made by msgbus_bridge_connect, freed by
/// msgbus_bridge_free (which closes it first). Every function may be
/// called on it from any thread at once.
pub struct msgbus_bridge {
    _private: [u8; 0],
}

/// How a bridged destination reaches the other nodes.
pub type msgbus_bridge_mode = u32;
/// Every node's same-named destination gets every message, at most once,
/// each sender's order kept (Liferay's ClusterLink, without its losses).
pub const MSGBUS_BRIDGE_MODE_BROADCAST: msgbus_bridge_mode = 0;
/// Exactly one node with listeners (the sender's included) takes each
/// message.
pub const MSGBUS_BRIDGE_MODE_WORK_SHARE: msgbus_bridge_mode = 1;
/// Broadcast on JetStream: at least once, replayed to a node that was
/// down (known by its node id).
pub const MSGBUS_BRIDGE_MODE_DURABLE_BROADCAST: msgbus_bridge_mode = 2;
/// Work share on JetStream: at least once; waits while no node listens.
pub const MSGBUS_BRIDGE_MODE_DURABLE_WORK_SHARE: msgbus_bridge_mode = 3;
/// JetStream, one message in flight across the cluster: strict order.
pub const MSGBUS_BRIDGE_MODE_DURABLE_SERIAL: msgbus_bridge_mode = 4;

/// Where and how a bridge connects. Zero it, then set what you need: a
/// NULL text or a zero timeout takes the default. Only `url` is required.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct msgbus_bridge_options {
    /// The server, `nats://host:port` (several separated by commas).
    pub url: *const c_char,
    /// Isolates the buses sharing one server: letters, digits, `_`, `-`.
    /// NULL: "msgbus".
    pub cluster: *const c_char,
    /// This node's name in the cluster; a durable broadcast replays what a
    /// node missed by it. NULL: a fresh one.
    pub node_id: *const c_char,
    pub user: *const c_char,
    pub password: *const c_char,
    pub token: *const c_char,
    /// A NATS credentials file (JWT and nkey seed).
    pub credentials_file: *const c_char,
    /// Root certificates to trust, in PEM; setting one requires TLS.
    pub tls_ca_file: *const c_char,
    /// A client certificate and its key, in PEM.
    pub tls_cert_file: *const c_char,
    pub tls_key_file: *const c_char,
    /// How long connecting may take; 0: 5000.
    pub connect_timeout_ms: u64,
    /// How long a request waits for another node's reply; 0: 60000.
    pub request_timeout_ms: u64,
}

/// A bridge's counters since it connected (msgbus_bridge_statistics).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct msgbus_bridge_counters {
    /// Messages handed to the server (durable modes: stored by JetStream).
    pub published: u64,
    /// Messages from other nodes sent into a local destination.
    pub received: u64,
    /// Messages that could not be published, or arrivals refused locally.
    pub failed: u64,
    /// Arrivals for a name no local destination has (dead-lettered).
    pub unknown_destination: u64,
    /// Connections made again after they were lost.
    pub reconnects: u64,
    /// Times the client reported a subscription too slow, dropping its
    /// overflow.
    pub slow_consumers: u64,
    /// Requests to other nodes that got no reply in the request timeout.
    pub request_timeouts: u64,
}
