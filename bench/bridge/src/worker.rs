//! A child process of this binary in one role, spoken to by its lines:
//! it says `ready` once subscribed, `done` and its figures once measured,
//! and ends when its work is done or its stdin is closed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::{Explain, PATIENCE, READY, Result};

pub struct Worker {
    role: String,
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Worker {
    /// Starts this binary with `words` (the role first).
    pub fn start(words: Vec<String>) -> Result<Worker> {
        let role = words[0].clone();
        let exe = std::env::current_exe().explain("this program's path")?;
        let mut child = Command::new(exe)
            .args(&words)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .explain(&role)?;
        let stdout = child.stdout.take().expect("piped");
        let (said, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(|line| line.ok()) {
                if said.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Worker { role, child, lines })
    }

    pub fn expect_ready(&self) -> Result<()> {
        match self.line(READY)?.as_str() {
            "ready" => Ok(()),
            other => Err(format!("{}: said {other:?}, not ready", self.role)),
        }
    }

    /// The figures of its `done` line.
    pub fn done(&self) -> Result<Vec<f64>> {
        let line = self.line(PATIENCE)?;
        let figures = line
            .strip_prefix("done ")
            .ok_or_else(|| format!("{}: said {line:?}, not done", self.role))?;
        figures
            .split_whitespace()
            .map(|figure| figure.parse::<f64>().explain(&self.role))
            .collect()
    }

    /// Closes its stdin and waits for it to end, successfully.
    pub fn finish(mut self) -> Result<()> {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(_) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!("{}: still running after {PATIENCE:?}", self.role));
                }
            }
        }
        let status = self.child.wait().explain(&self.role)?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{}: {status}", self.role))
        }
    }

    fn line(&self, patience: Duration) -> Result<String> {
        self.lines.recv_timeout(patience).map_err(|e| match e {
            RecvTimeoutError::Timeout => format!("{}: silent for {patience:?}", self.role),
            RecvTimeoutError::Disconnected => format!("{}: ended early", self.role),
        })
    }
}

impl Drop for Worker {
    /// Kills a child left running by a failed run.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
