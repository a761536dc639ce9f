//! `make bench-bridge`'s Rust half: msgbus bridged over NATS between two
//! processes (SPEC §8), against raw async-nats carrying the same bytes.
//!
//! `throughput` and `rr` start a nats-server of their own on a free
//! loopback port (or use `--url`), then measure msgbus and raw async-nats
//! in turn, each with two fresh processes of this binary: a receiver (or
//! responder), and once it says `ready`, a sender (or requester). Each
//! prints one JSON line with both figures and `ratio`, msgbus's over
//! raw's (the targets: at least 0.7 for throughput, at most 1.5 for the
//! p50):
//!
//! - `throughput [--n 200000] [--size 64]`: the sender sends `n` messages
//!   (a payload of `size` bytes and an int value `seq`) through a
//!   destination handle; the receiver's serial destination, bridged in
//!   broadcast mode, has a listener counting them. Raw: the sender
//!   publishes a buffer as long as the bridge's envelope to the same
//!   subject, and the receiver's subscription counts. Messages/s: those
//!   after the first, over the time from the first arrival to the last,
//!   at the receiver.
//! - `rr [--n 5000] [--size 64]`: `n` sequential `send_synchronous` round
//!   trips, after 100 unmeasured ones, to a responder whose listener
//!   replies with the payload; raw: `request`, and a queue subscription
//!   publishing the reply, both as long as the bridge's. p50 and p99 of
//!   the round trips, in µs.
//!
//! `--quick` makes `n` 20 000 and 500. The envelopes' lengths come from a
//! probe: one message of each kind, bridged before the runs and seen by a
//! plain subscriber (later message ids are a few digits longer).

mod bridged;
mod probe;
mod raw;
mod server;
mod worker;

use std::fmt::Display;
use std::process::ExitCode;
use std::time::Duration;

use server::Server;
use worker::Worker;

type Result<T> = std::result::Result<T, String>;

/// Every wait of a run ends by then.
const PATIENCE: Duration = Duration::from_secs(120);
/// How long a child may take to connect and subscribe.
const READY: Duration = Duration::from_secs(30);
/// Round trips unmeasured before the `n` measured: the first request
/// subscribes the connection's reply inbox.
const WARM_UP: usize = 100;

const USAGE: &str = "usage: msgbus-bridge-bench throughput|rr [--n N] [--size BYTES] [--url nats://HOST:PORT] [--quick]";

/// An error's cause, prefixed with what failed.
trait Explain<T> {
    fn explain(self, what: &str) -> Result<T>;
}

impl<T, E: Display> Explain<T> for std::result::Result<T, E> {
    fn explain(self, what: &str) -> Result<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// The options of every subcommand; the children get theirs from the
/// parent (the raw ones: the subject and the lengths the probe saw).
#[derive(Default)]
pub struct Args {
    url: Option<String>,
    cluster: String,
    n: Option<usize>,
    size: usize,
    quick: bool,
    subject: String,
    bytes: usize,
    reply_bytes: usize,
}

impl Args {
    fn parse(mut words: impl Iterator<Item = String>) -> Result<Args> {
        let mut args = Args {
            cluster: "bench".into(),
            size: 64,
            ..Args::default()
        };
        while let Some(word) = words.next() {
            if word == "--quick" {
                args.quick = true;
                continue;
            }
            let value = words
                .next()
                .ok_or_else(|| format!("{word} needs a value; {USAGE}"))?;
            let number = || value.parse::<usize>().explain(&word);
            match word.as_str() {
                "--url" => args.url = Some(value),
                "--cluster" => args.cluster = value,
                "--n" => args.n = Some(number()?),
                "--size" => args.size = number()?,
                "--subject" => args.subject = value,
                "--bytes" => args.bytes = number()?,
                "--reply-bytes" => args.reply_bytes = number()?,
                _ => return Err(format!("unknown option {word}; {USAGE}")),
            }
        }
        Ok(args)
    }

    fn url(&self) -> Result<&str> {
        self.url.as_deref().ok_or_else(|| "--url is missing".into())
    }

    fn n(&self) -> Result<usize> {
        self.n.ok_or_else(|| "--n is missing".into())
    }

    /// `n`, else the default at full or quick size.
    fn n_or(&self, full: usize, quick: usize) -> usize {
        self.n.unwrap_or(if self.quick { quick } else { full })
    }
}

fn main() -> ExitCode {
    let mut words = std::env::args().skip(1);
    let command = words.next().unwrap_or_default();
    let outcome = Args::parse(words).and_then(|args| match command.as_str() {
        "throughput" => throughput(&args),
        "rr" => request_reply(&args),
        "receive" => bridged::receive(&args),
        "send" => bridged::send(&args),
        "respond" => bridged::respond(&args),
        "request" => bridged::request(&args),
        "receive-raw" => raw::receive(&args),
        "send-raw" => raw::send(&args),
        "respond-raw" => raw::respond(&args),
        "request-raw" => raw::request(&args),
        _ => Err(USAGE.into()),
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("msgbus-bridge-bench {command}: {why}");
            ExitCode::FAILURE
        }
    }
}

/// The server of `--url`, else one started here (stopped when dropped).
fn server(args: &Args) -> Result<(Option<Server>, String)> {
    match &args.url {
        Some(url) => Ok((None, url.clone())),
        None => {
            let server = Server::start()?;
            let url = server.url.clone();
            Ok((Some(server), url))
        }
    }
}

/// The children's options: `role`, then what both roles of a pair share.
fn child(role: &str, url: &str, cluster: &str, n: usize, size: usize) -> Vec<String> {
    let mut words = vec![role.to_string()];
    for (option, value) in [
        ("--url", url.to_string()),
        ("--cluster", cluster.to_string()),
        ("--n", n.to_string()),
        ("--size", size.to_string()),
    ] {
        words.extend([option.to_string(), value]);
    }
    words
}

/// `words` with `--subject subject` and each of `lengths`.
fn raw_child(mut words: Vec<String>, subject: &str, lengths: &[(&str, usize)]) -> Vec<String> {
    words.extend(["--subject".to_string(), subject.to_string()]);
    for (option, length) in lengths {
        words.extend([option.to_string(), length.to_string()]);
    }
    words
}

/// Runs `receiver` until it is ready, then `sender`; returns the figures
/// of the `done` line of the receiver (`by_receiver`) or the sender.
fn pair(receiver: Vec<String>, sender: Vec<String>, by_receiver: bool) -> Result<Vec<f64>> {
    let receiving = Worker::start(receiver)?;
    receiving.expect_ready()?;
    let sending = Worker::start(sender)?;
    let figures = if by_receiver {
        sending.finish()?;
        receiving.done()?
    } else {
        let figures = sending.done()?;
        sending.finish()?;
        figures
    };
    receiving.finish()?;
    Ok(figures)
}

fn throughput(args: &Args) -> Result<()> {
    let n = args.n_or(200_000, 20_000);
    if n < 2 {
        return Err("--n: at least 2".into());
    }
    let (_server, url) = server(args)?;
    let cluster = format!("bench-{}", std::process::id());
    let wire = probe::run(&url, &cluster, args.size, n)?;
    let words = |role: &str| child(role, &url, &cluster, n, args.size);
    let rate = |figures: Vec<f64>| (n - 1) as f64 / figures[0];
    let msgbus = rate(pair(words("receive"), words("send"), true)?);
    let raw_words =
        |role: &str| raw_child(words(role), &wire.subject, &[("--bytes", wire.envelope)]);
    let raw = rate(pair(raw_words("receive-raw"), raw_words("send-raw"), true)?);
    println!(
        r#"{{"bench":"bridge_throughput","n":{n},"size":{},"bytes":{},"unit":"msgs/s","msgbus":{msgbus:.0},"raw":{raw:.0},"ratio":{:.3}}}"#,
        args.size,
        wire.envelope,
        msgbus / raw
    );
    Ok(())
}

fn request_reply(args: &Args) -> Result<()> {
    let n = args.n_or(5_000, 500);
    if n == 0 {
        return Err("--n: at least 1".into());
    }
    let (_server, url) = server(args)?;
    let cluster = format!("bench-{}", std::process::id());
    let wire = probe::run(&url, &cluster, args.size, n)?;
    let words = |role: &str| child(role, &url, &cluster, n, args.size);
    let msgbus = pair(words("respond"), words("request"), false)?;
    let lengths = [("--bytes", wire.request), ("--reply-bytes", wire.reply)];
    let raw_words = |role: &str| raw_child(words(role), &wire.rpc, &lengths);
    let raw = pair(raw_words("respond-raw"), raw_words("request-raw"), false)?;
    println!(
        r#"{{"bench":"bridge_rr","n":{n},"size":{},"request_bytes":{},"reply_bytes":{},"unit":"us","msgbus":{{"p50":{:.1},"p99":{:.1}}},"raw":{{"p50":{:.1},"p99":{:.1}}},"ratio":{:.3}}}"#,
        args.size,
        wire.request,
        wire.reply,
        msgbus[0],
        msgbus[1],
        raw[0],
        raw[1],
        msgbus[0] / raw[0]
    );
    Ok(())
}

/// A requester's `done` line: the p50 and p99 of `samples`, in µs, as
/// make bench's msgbus-bench computes them.
fn report_round_trips(mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    println!("done {} {}", at(0.50), at(0.99));
}
