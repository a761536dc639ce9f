//! A nats-server of this run's own: on a free loopback port, without
//! JetStream (broadcast mode and requests need none), stopped by its pid.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Explain, Result};

pub struct Server {
    child: Child,
    dir: PathBuf,
    pub url: String,
}

impl Server {
    /// Starts one and returns once it says where it listens.
    pub fn start() -> Result<Server> {
        let dir = std::env::temp_dir().join(format!("msgbus-bridge-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).explain(&dir.display().to_string())?;
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", "-1", "--ports_file_dir"])
            .arg(&dir)
            .arg("-l")
            .arg(dir.join("log"))
            .stdin(Stdio::null())
            .spawn()
            .explain("nats-server (make nats-deps installs it)")?;
        let ports = dir.join(format!("nats-server_{}.ports", child.id()));
        let mut server = Server {
            child,
            dir,
            url: String::new(),
        };
        // The server writes its ports file once it listens: polled, as
        // nothing else tells.
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(url) = read_url(&ports) {
                server.url = url;
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("nats-server: {status}; its log:\n{}", server.log()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!(
            "nats-server: not listening after 20 s; its log:\n{}",
            server.log()
        ))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: kill(2) on the pid of our own child, not yet reaped.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The client URL of a ports file: `{"nats":["nats://127.0.0.1:PORT"],…}`.
fn read_url(ports: &Path) -> Option<String> {
    let text = std::fs::read_to_string(ports).ok()?;
    let rest = &text[text.find("nats://")?..];
    Some(rest[..rest.find('"')?].to_string())
}
