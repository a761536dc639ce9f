//! How a bridge connects, and how it forwards each destination.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// How a bridged destination reaches the other nodes (SPEC §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum BridgeMode {
    /// Liferay's: every node's same-named destination receives every
    /// message, at most once, each sender's order kept; the sender's own
    /// listeners get it too. A node that is down misses what it missed.
    #[default]
    Broadcast,
    /// Exactly one live node (the sender's included) takes each message.
    WorkShare,
    /// Broadcast on JetStream: at least once, replayed to a node that was
    /// down (known by its node id).
    DurableBroadcast,
    /// Work share on JetStream: at least once, acknowledged once the
    /// taking node's listeners returned.
    DurableWorkShare,
    /// JetStream with one message in flight across the cluster: strict
    /// stream order.
    DurableSerial,
}

impl BridgeMode {
    /// Every mode, in the order of the C enum.
    pub const ALL: [BridgeMode; 5] = [
        BridgeMode::Broadcast,
        BridgeMode::WorkShare,
        BridgeMode::DurableBroadcast,
        BridgeMode::DurableWorkShare,
        BridgeMode::DurableSerial,
    ];

    /// The mode's name, as Python spells it (`"work_share"`).
    pub fn name(self) -> &'static str {
        match self {
            BridgeMode::Broadcast => "broadcast",
            BridgeMode::WorkShare => "work_share",
            BridgeMode::DurableBroadcast => "durable_broadcast",
            BridgeMode::DurableWorkShare => "durable_work_share",
            BridgeMode::DurableSerial => "durable_serial",
        }
    }

    /// The mode named `name` (see [`BridgeMode::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.name() == name)
    }

    /// Whether it is kept on JetStream.
    pub fn is_durable(self) -> bool {
        matches!(
            self,
            BridgeMode::DurableBroadcast | BridgeMode::DurableWorkShare | BridgeMode::DurableSerial
        )
    }

    /// Whether every node gets each message (else exactly one does).
    pub fn is_broadcast(self) -> bool {
        matches!(self, BridgeMode::Broadcast | BridgeMode::DurableBroadcast)
    }
}

impl fmt::Display for BridgeMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where and how a bridge connects.
#[derive(Clone, Debug)]
pub struct BridgeOptions {
    /// The server, `nats://host:port` (several separated by commas).
    pub url: String,
    /// Isolates the buses sharing one server: only bridges of the same
    /// cluster see each other. Letters, digits, `_` and `-`.
    pub cluster: String,
    /// This node's name, unique in the cluster; a durable broadcast
    /// replays what a node missed by this name, so a node that restarts
    /// keeps it. `None`: a fresh one per bridge.
    pub node_id: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    /// A NATS credentials file (JWT and nkey seed).
    pub credentials_file: Option<PathBuf>,
    /// Root certificates to trust, in PEM; setting one requires TLS.
    pub tls_ca_file: Option<PathBuf>,
    /// A client certificate and its key, in PEM.
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    /// How long the first connection may take.
    pub connect_timeout: Duration,
    /// How long a request waits for another node's reply before the bridge
    /// gives up on it (the sender's own timeout ends its wait sooner).
    pub request_timeout: Duration,
}

impl BridgeOptions {
    /// Options for `url`, in cluster `"msgbus"`.
    pub fn new(url: impl Into<String>) -> Self {
        BridgeOptions {
            url: url.into(),
            cluster: "msgbus".into(),
            node_id: None,
            user: None,
            password: None,
            token: None,
            credentials_file: None,
            tls_ca_file: None,
            tls_cert_file: None,
            tls_key_file: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(60),
        }
    }

    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = cluster.into();
        self
    }

    pub fn node_id(mut self, node_id: impl Into<String>) -> Self {
        self.node_id = Some(node_id.into());
        self
    }
}
