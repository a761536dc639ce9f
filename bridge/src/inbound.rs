//! The inbound thread: every message from other nodes enters its local
//! destination from here, one at a time, in arrival order (never through
//! a pool, where Liferay's ClusterLink reorders them). Listeners may
//! block it, so it is not the runtime thread.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Instant;

use async_nats::Subject;
use bytes::Bytes;
use msgbus::{Error, Message, MessageBus, PendingReply, Result, Value};
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::bridge::Shared;
use crate::envelope;
use crate::link::{Answer, Command};
use crate::statistics::Counters;

/// What the runtime thread hands over.
pub(crate) enum Arrival {
    /// Broadcast or work-shared messages: sent into their destinations.
    Messages(Vec<Bytes>),
    /// Other nodes' requests, each answered through its reply subject.
    Requests(Vec<(Bytes, Subject)>),
    /// A JetStream message: its listeners are called here (a direct
    /// send), and `done` then lets it be acknowledged.
    Stored {
        body: Bytes,
        done: oneshot::Sender<()>,
    },
}

/// Requests of other nodes waiting for a local listener's reply.
type Answering = Arc<Mutex<HashMap<u64, (Instant, PendingReply)>>>;

pub(crate) fn run(shared: Arc<Shared>, bus: MessageBus, mut arrivals: mpsc::Receiver<Arrival>) {
    let answering = Answering::default();
    let mut next = 0u64;
    while let Some(arrival) = arrivals.blocking_recv() {
        match arrival {
            Arrival::Messages(bodies) => {
                for body in bodies {
                    deliver(&shared, &body, |d, m| bus.send(d, m));
                }
            }
            Arrival::Stored { body, done } => {
                deliver(&shared, &body, |d, m| bus.send_direct(d, m).map(drop));
                let _ = done.send(());
            }
            Arrival::Requests(requests) => {
                for (body, reply) in requests {
                    next += 1;
                    answer(&shared, &bus, &answering, next, &body, reply);
                }
            }
        }
    }
}

/// Sends one arrival into its destination with `send`, counting how it went.
fn deliver(shared: &Shared, body: &[u8], send: impl FnOnce(&str, Message) -> Result<()>) {
    let counters = &shared.counters;
    let Some(envelope) = envelope::decode(body) else {
        log::warn!("bridge: an arrival that is no msgbus envelope");
        Counters::count(&counters.failed);
        return;
    };
    let destination = envelope.destination.clone();
    match send(&destination, envelope.into_message()) {
        Ok(()) => Counters::count(&counters.received),
        Err(Error::NoSuchDestination(_)) => Counters::count(&counters.unknown_destination),
        Err(e) => {
            log::warn!("bridge: an arrival for {destination} was refused: {e}");
            Counters::count(&counters.failed);
        }
    }
}

/// Puts another node's request to the local destination; its reply (or
/// why there is none) goes back through `reply`.
fn answer(
    shared: &Arc<Shared>,
    bus: &MessageBus,
    answering: &Answering,
    number: u64,
    body: &[u8],
    reply: Subject,
) {
    let Some(envelope) = envelope::decode(body) else {
        Counters::count(&shared.counters.failed);
        return respond(shared, reply, Answer::Failed("no msgbus envelope".into()));
    };
    let destination = envelope.destination.clone();
    let pending = match bus.request(&destination, envelope.into_message()) {
        Ok(pending) => pending,
        Err(Error::NoListeners(_) | Error::NoSuchDestination(_)) => {
            return respond(shared, reply, Answer::NoListeners);
        }
        Err(e) => return respond(shared, reply, Answer::Failed(e.to_string())),
    };
    Counters::count(&shared.counters.received);
    let answered = Arc::new(AtomicBool::new(false));
    let on_reply = {
        let (shared, answering, answered) = (shared.clone(), answering.clone(), answered.clone());
        move |value: Value| {
            answered.store(true, Relaxed);
            let answer = match envelope::encode_value(&destination, &value) {
                Ok(body) => Answer::Reply(body),
                Err(e) => Answer::Failed(e.to_string()),
            };
            respond(&shared, reply, answer);
            let done = answering.lock().remove(&number);
            drop(done);
        }
    };
    if pending.on_reply(on_reply).is_err() || answered.load(Relaxed) {
        return;
    }
    let timeout = shared.options.request_timeout;
    let mut waiting = answering.lock();
    // Requests whose listeners never replied end with the bridge's timeout.
    if waiting.len() >= 1024 && waiting.len().is_power_of_two() {
        waiting.retain(|_, (since, _)| since.elapsed() < timeout);
    }
    if !answered.load(Relaxed) {
        waiting.insert(number, (Instant::now(), pending));
    }
}

fn respond(shared: &Shared, reply: Subject, answer: Answer) {
    if shared
        .command("reply", Command::Respond { reply, answer })
        .is_err()
    {
        Counters::count(&shared.counters.failed);
    }
}
