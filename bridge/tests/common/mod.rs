//! A nats-server per test: started on a free loopback port with
//! JetStream in a temporary store, stopped by its pid.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::{Duration, Instant};

use msgbus::{DestinationType, Message, MessageBus};
use msgbus_nats::{Bridge, BridgeOptions};

/// Every wait of these tests ends by then.
pub const PATIENCE: Duration = Duration::from_secs(120);

pub struct NatsServer {
    child: Option<Child>,
    dir: PathBuf,
    pub url: String,
    port: u16,
}

impl NatsServer {
    /// Starts a server on a free port; panics, with its log, if it does
    /// not say where it listens in time.
    pub fn start() -> NatsServer {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "msgbus-nats-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = NatsServer {
            child: None,
            dir,
            url: String::new(),
            port: 0,
        };
        server.launch("-1");
        server
    }

    fn launch(&mut self, port: &str) {
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", port, "-js", "-sd"])
            .arg(self.dir.join("js"))
            .arg("--ports_file_dir")
            .arg(&self.dir)
            .arg("-l")
            .arg(self.dir.join("nats.log"))
            .args(std::env::var_os("MSGBUS_NATS_TRACE").map(|_| "-DV"))
            .stdin(Stdio::null())
            .spawn()
            .expect("nats-server on PATH (make test installs it)");
        let ports = self.dir.join(format!("nats-server_{}.ports", child.id()));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(url) = read_url(&ports) {
                self.port = url.rsplit(':').next().unwrap().parse().unwrap();
                self.url = url;
                return;
            }
            if Instant::now() > deadline {
                panic!("nats-server did not start; its log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("nats.log")).unwrap_or_default()
    }

    /// Kills the server at once (SIGKILL): what a crash does.
    pub fn kill(&mut self) {
        self.signal(libc::SIGKILL);
    }

    /// Starts it again on the same port and store.
    pub fn restart(&mut self) {
        let port = self.port.to_string();
        self.launch(&port);
    }

    fn signal(&mut self, signal: i32) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id() as libc::pid_t;
            // SAFETY: kill(2) on the pid of our own child, not yet reaped.
            unsafe { libc::kill(pid, signal) };
            let _ = child.wait();
            let _ = std::fs::remove_file(self.dir.join(format!("nats-server_{pid}.ports")));
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.signal(libc::SIGTERM);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_url(ports: &Path) -> Option<String> {
    let text = std::fs::read_to_string(ports).ok()?;
    let start = text.find("nats://")?;
    let rest = &text[start..];
    Some(rest[..rest.find('"')?].to_string())
}

/// A cluster name no other test uses.
pub fn cluster(test: &str) -> String {
    format!("{test}-{}", std::process::id())
}

/// A bus with `destination` of `kind`, bridged to `server`.
pub fn node(
    server: &NatsServer,
    cluster: &str,
    node_id: &str,
    destination: &str,
    kind: DestinationType,
) -> (MessageBus, Bridge) {
    let bus = MessageBus::new();
    bus.add_destination(destination, kind).unwrap();
    let bridge = Bridge::connect(
        &bus,
        BridgeOptions::new(&server.url)
            .cluster(cluster)
            .node_id(node_id),
    )
    .unwrap_or_else(|e| panic!("{e}; the server's log:\n{}", server.log()));
    (bus, bridge)
}

/// `seq` and `sender` as a message's values.
pub fn numbered(sender: &str, seq: i64) -> Message {
    let mut message = Message::with_payload(format!("{sender}-{seq}"));
    message.put("sender", sender);
    message.put("seq", seq);
    message
}
