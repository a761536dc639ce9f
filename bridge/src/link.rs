//! The runtime thread: a tokio runtime of its own, on which every
//! async-nats object is made, used and dropped (they panic when dropped
//! outside one). It owns two connections to the server: `out` publishes,
//! requests and holds the broadcast subscriptions with `no_echo`, so that
//! a node never gets its own broadcasts back; `queues` holds the queue
//! subscriptions (work share and requests), which may pick the sender's
//! own node, and sends replies, which may go to this node's own requests.
//! A node takes a destination's shared work (requests, work share,
//! durable work) only while its local destination has listeners, so that
//! work goes to a node that can do it.

use std::collections::{HashMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use async_nats::{Client, ConnectOptions, Event, HeaderMap, Subject, Subscriber};
use bytes::Bytes;
use futures_util::StreamExt;
use msgbus::{Error, ListenerError, Message, MessageBus, Result};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use crate::bridge::Shared;
use crate::envelope;
use crate::inbound::Arrival;
use crate::options::BridgeMode;
use crate::statistics::Counters;
use crate::subject::{Names, consumer_name};

/// The header naming the node a JetStream message came from, so that a
/// durable broadcast skips its own without reading the body.
const ORIGIN_HEADER: &str = "Msgbus-Origin";
/// The header of a reply that is no reply: `no-listeners`, or `failed`
/// with the error as its body.
const ERROR_HEADER: &str = "Msgbus-Error";
/// Commands taken from the queue at once.
const BATCH: usize = 256;
/// JetStream publishes awaiting their acknowledgement at most (the
/// client's own limit is 5000).
const ACK_WINDOW: usize = 1024;
/// How often, and how far apart, a JetStream publish is tried again
/// before it counts as failed: long enough for a server to restart.
const STORE_ATTEMPTS: u32 = 120;
const STORE_BACKOFF: Duration = Duration::from_millis(500);
/// Messages a subscription holds for the inbound thread before the client
/// drops what comes (and reports a slow consumer): a burst of a million
/// small messages fits, where the client's default (65 536) overflowed
/// in the three-node broadcast test.
const SUBSCRIPTION_CAPACITY: usize = 1 << 20;

/// What the other threads ask of the runtime thread.
pub(crate) enum Command {
    /// A core publish (broadcast, work share).
    Publish {
        subject: Subject,
        body: Vec<u8>,
    },
    /// A JetStream publish, deduplicated by `id`.
    Store {
        subject: Subject,
        id: String,
        body: Vec<u8>,
    },
    /// A request to whichever node answers; the reply completes `request`.
    Request {
        subject: Subject,
        destination: String,
        body: Vec<u8>,
        request: Message,
    },
    /// This node's answer to another's request.
    Respond {
        reply: Subject,
        answer: Answer,
    },
    Add {
        destination: String,
        mode: BridgeMode,
        names: Names,
        done: crossbeam_channel::Sender<Result<()>>,
    },
    Remove {
        destination: String,
        done: crossbeam_channel::Sender<()>,
    },
    /// The local destination's listeners changed: take its shared work,
    /// or stop, as it has listeners or not (see `Link::take`).
    Listeners {
        destination: String,
    },
    Close {
        done: crossbeam_channel::Sender<()>,
    },
}

pub(crate) enum Answer {
    Reply(Vec<u8>),
    NoListeners,
    Failed(String),
}

/// The runtime thread's body: connects, says so on `ready`, then serves
/// commands until told to close.
pub(crate) fn run(
    shared: Arc<Shared>,
    bus: MessageBus,
    commands: mpsc::Receiver<Command>,
    arrivals: mpsc::Sender<Arrival>,
    ready: crossbeam_channel::Sender<Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(Error::Closed(format!("bridge: no runtime: {e}"))));
            return;
        }
    };
    runtime.block_on(async move {
        let link = match Link::connect(shared, bus, arrivals).await {
            Ok(link) => link,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        link.serve(commands).await;
    });
}

struct Link {
    shared: Arc<Shared>,
    bus: MessageBus,
    out: Client,
    queues: Client,
    jetstream: jetstream::Context,
    arrivals: mpsc::Sender<Arrival>,
    bridged: HashMap<String, Bridged>,
    /// JetStream publishes not yet acknowledged, oldest first.
    storing: VecDeque<Storing>,
    requests: JoinSet<()>,
}

/// One bridged destination, on this node.
struct Bridged {
    mode: BridgeMode,
    subject: Subject,
    rpc: Subject,
    /// The shared consumer of a durable work share or serial destination.
    consumer: Option<consumer::PullConsumer>,
    /// The tasks passing on what every node gets (broadcasts).
    always: Vec<JoinHandle<()>>,
    /// The tasks taking shared work, while there are local listeners.
    taking: Option<Vec<JoinHandle<()>>>,
}

impl Bridged {
    async fn stop(self) {
        stop(self.always).await;
        if let Some(taking) = self.taking {
            stop(taking).await;
        }
    }
}

struct Storing {
    subject: Subject,
    headers: HeaderMap,
    body: Bytes,
    ack: Option<jetstream::context::PublishAckFuture>,
}

impl Link {
    async fn connect(
        shared: Arc<Shared>,
        bus: MessageBus,
        arrivals: mpsc::Sender<Arrival>,
    ) -> Result<Link> {
        let out = connect(&shared, false).await?;
        let queues = connect(&shared, true).await?;
        let jetstream = jetstream::new(out.clone());
        Ok(Link {
            shared,
            bus,
            out,
            queues,
            jetstream,
            arrivals,
            bridged: HashMap::new(),
            storing: VecDeque::new(),
            requests: JoinSet::new(),
        })
    }

    async fn serve(mut self, mut commands: mpsc::Receiver<Command>) {
        // Taken a batch at a time: one wake-up of this thread per burst.
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            if self.storing.is_empty() {
                if commands.recv_many(&mut batch, BATCH).await == 0 {
                    break;
                }
            } else {
                match commands.try_recv() {
                    Ok(command) => batch.push(command),
                    Err(mpsc::error::TryRecvError::Empty) => {
                        self.settle().await;
                        continue;
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => break,
                }
            }
            for command in batch.drain(..) {
                if self.handle(command).await.is_break() {
                    return;
                }
            }
        }
        self.close().await;
    }

    /// Does what `command` asks; `Break` once the bridge is closed.
    async fn handle(&mut self, command: Command) -> ControlFlow<()> {
        match command {
            Command::Publish { subject, body } => {
                let counter = match self.out.publish(subject, body.into()).await {
                    Ok(()) => &self.shared.counters.published,
                    Err(e) => {
                        log::warn!("bridge: a publish failed: {e}");
                        &self.shared.counters.failed
                    }
                };
                Counters::count(counter);
            }
            Command::Store { subject, id, body } => {
                self.store(subject, id, body.into()).await;
                if self.storing.len() >= ACK_WINDOW {
                    self.settle().await;
                }
            }
            Command::Request {
                subject,
                destination,
                body,
                request,
            } => self.request(subject, destination, body, request),
            Command::Respond { reply, answer } => self.respond(reply, answer).await,
            Command::Add {
                destination,
                mode,
                names,
                done,
            } => {
                let outcome = self.add(&destination, mode, names).await;
                let _ = done.send(outcome);
            }
            Command::Remove { destination, done } => {
                self.remove(&destination).await;
                let _ = done.send(());
            }
            Command::Listeners { destination } => {
                if let Err(e) = self.take(&destination).await {
                    log::error!("bridge: {e}");
                }
            }
            Command::Close { done } => {
                self.close().await;
                let _ = done.send(());
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }

    async fn add(&mut self, destination: &str, mode: BridgeMode, names: Names) -> Result<()> {
        let refused = |e: &dyn std::fmt::Display| {
            Error::Closed(format!("{destination}: the server refused the bridge: {e}"))
        };
        let mut bridged = Bridged {
            mode,
            subject: names.subject.clone().into(),
            rpc: names.rpc.clone().into(),
            consumer: None,
            always: Vec::new(),
            taking: None,
        };
        match mode {
            BridgeMode::Broadcast => {
                let subscriber = self
                    .out
                    .subscribe(names.subject)
                    .await
                    .map_err(|e| refused(&e))?;
                bridged.always.push(self.pass_on(subscriber, false));
            }
            BridgeMode::WorkShare => {}
            durable => {
                let stream = self
                    .jetstream
                    .get_or_create_stream(stream::Config {
                        name: names.stream,
                        subjects: vec![names.subject],
                        retention: if durable.is_broadcast() {
                            stream::RetentionPolicy::Interest
                        } else {
                            stream::RetentionPolicy::WorkQueue
                        },
                        storage: stream::StorageType::File,
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| refused(&e))?;
                let name = match durable {
                    BridgeMode::DurableBroadcast => consumer_name(&self.shared.node_id),
                    BridgeMode::DurableSerial => "serial".into(),
                    _ => "work".into(),
                };
                let consumer: consumer::PullConsumer = stream
                    .get_or_create_consumer(
                        &name,
                        consumer::pull::Config {
                            durable_name: Some(name.clone()),
                            ack_policy: consumer::AckPolicy::Explicit,
                            max_ack_pending: if durable == BridgeMode::DurableSerial {
                                1
                            } else {
                                ACK_WINDOW as i64
                            },
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(|e| refused(&e))?;
                if durable.is_broadcast() {
                    bridged
                        .always
                        .push(self.take_stored(&consumer, destination, true).await?);
                } else {
                    bridged.consumer = Some(consumer);
                }
            }
        }
        if let Err(e) = round_trip(&self.out).await {
            stop(bridged.always).await;
            return Err(refused(&e));
        }
        self.bridged.insert(destination.into(), bridged);
        self.take(destination).await
    }

    /// Starts taking `destination`'s shared work (requests, work share,
    /// durable work) while its local destination has listeners, and stops
    /// when it has none: work goes to a node that can do it, and waits in
    /// JetStream while none can.
    async fn take(&mut self, destination: &str) -> Result<()> {
        let listening = self.bus.has_listener(destination);
        let Some(bridged) = self.bridged.get_mut(destination) else {
            return Ok(());
        };
        match (listening, bridged.taking.take()) {
            (true, None) => {
                let (mode, subject, rpc) =
                    (bridged.mode, bridged.subject.clone(), bridged.rpc.clone());
                let consumer = bridged.consumer.clone();
                let refused = |e: &dyn std::fmt::Display| {
                    Error::Closed(format!("{destination}: cannot take its work: {e}"))
                };
                let mut tasks = Vec::new();
                if mode == BridgeMode::WorkShare {
                    let work = self.queues.queue_subscribe(subject, "work".into()).await;
                    tasks.push(self.pass_on(work.map_err(|e| refused(&e))?, false));
                }
                if !mode.is_durable() {
                    let requests = self.queues.queue_subscribe(rpc, "rpc".into()).await;
                    tasks.push(self.pass_on(requests.map_err(|e| refused(&e))?, true));
                }
                if let Some(consumer) = consumer {
                    tasks.push(self.take_stored(&consumer, destination, false).await?);
                }
                round_trip(&self.queues).await.map_err(|e| refused(&e))?;
                if let Some(bridged) = self.bridged.get_mut(destination) {
                    bridged.taking = Some(tasks);
                }
            }
            (false, Some(tasks)) => stop(tasks).await,
            (_, taking) => bridged.taking = taking,
        }
        Ok(())
    }

    /// A task passing `consumer`'s messages on (see [`take_stored`]);
    /// `broadcast`: skipping this node's own.
    async fn take_stored(
        &self,
        consumer: &consumer::PullConsumer,
        destination: &str,
        broadcast: bool,
    ) -> Result<JoinHandle<()>> {
        let messages = consumer
            .messages()
            .await
            .map_err(|e| Error::Closed(format!("{destination}: cannot read its stream: {e}")))?;
        let own = broadcast.then(|| self.shared.node_id.clone());
        Ok(tokio::spawn(take_stored(
            messages,
            own,
            self.arrivals.clone(),
            self.shared.counters.clone(),
        )))
    }

    /// A task passing `subscriber`'s messages to the inbound thread, in
    /// arrival order.
    fn pass_on(&self, subscriber: Subscriber, requests: bool) -> JoinHandle<()> {
        let arrivals = self.arrivals.clone();
        tokio::spawn(async move {
            // What has arrived, taken at once: one hand-over per burst.
            let mut bursts = subscriber.ready_chunks(BATCH);
            while let Some(burst) = bursts.next().await {
                let arrival = if requests {
                    let requests = burst
                        .into_iter()
                        .filter_map(|message| message.reply.map(|reply| (message.payload, reply)));
                    Arrival::Requests(requests.collect())
                } else {
                    Arrival::Messages(burst.into_iter().map(|m| m.payload).collect())
                };
                if arrivals.send(arrival).await.is_err() {
                    break;
                }
            }
        })
    }

    async fn remove(&mut self, destination: &str) {
        if let Some(bridged) = self.bridged.remove(destination) {
            bridged.stop().await;
        }
    }

    async fn store(&mut self, subject: Subject, id: String, body: Bytes) {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", id.as_str());
        headers.insert(ORIGIN_HEADER, self.shared.node_id.as_str());
        let ack = self
            .jetstream
            .publish_with_headers(subject.clone(), headers.clone(), body.clone())
            .await
            .ok();
        self.storing.push_back(Storing {
            subject,
            headers,
            body,
            ack,
        });
    }

    /// Waits for every JetStream acknowledgement outstanding; a publish
    /// not acknowledged is tried again with its id, which the server's
    /// duplicate window recognises, so that a retry stores it once.
    async fn settle(&mut self) {
        while let Some(mut storing) = self.storing.pop_front() {
            let stored = match storing.ack.take() {
                Some(ack) => ack.await.is_ok(),
                None => false,
            };
            if stored || self.store_again(&storing).await {
                Counters::count(&self.shared.counters.published);
            } else {
                log::error!(
                    "bridge: JetStream did not store a message to {}",
                    storing.subject
                );
                Counters::count(&self.shared.counters.failed);
            }
        }
    }

    async fn store_again(&self, storing: &Storing) -> bool {
        for _ in 0..STORE_ATTEMPTS {
            tokio::time::sleep(STORE_BACKOFF).await;
            let publish = self
                .jetstream
                .publish_with_headers(
                    storing.subject.clone(),
                    storing.headers.clone(),
                    storing.body.clone(),
                )
                .await;
            if let Ok(ack) = publish
                && ack.await.is_ok()
            {
                return true;
            }
        }
        false
    }

    fn request(&mut self, subject: Subject, destination: String, body: Vec<u8>, request: Message) {
        while self.requests.try_join_next().is_some() {}
        let out = self.out.clone();
        let bus = self.bus.clone();
        let counters = self.shared.counters.clone();
        let timeout = self.shared.options.request_timeout;
        self.requests.spawn(async move {
            let sent = async_nats::Request::new()
                .payload(body.into())
                .timeout(Some(timeout));
            match out.send_request(subject, sent).await {
                Ok(reply) => {
                    let error = reply.headers.as_ref().and_then(|h| h.get(ERROR_HEADER));
                    match error.map(|e| e.as_str()) {
                        None => match envelope::decode_value(&reply.payload) {
                            Some(value) => {
                                let _ = bus.reply(&request, value);
                            }
                            None => {
                                Counters::count(&counters.failed);
                                let why =
                                    format!("{destination}: a reply that is no MessagePack value");
                                bus.fail_request(
                                    &request,
                                    Error::Listener(ListenerError::new(why)),
                                );
                            }
                        },
                        Some("no-listeners") => {
                            bus.fail_request(&request, Error::NoListeners(destination));
                        }
                        Some(_) => {
                            let why = String::from_utf8_lossy(&reply.payload).into_owned();
                            bus.fail_request(&request, Error::Listener(ListenerError::new(why)));
                        }
                    }
                }
                Err(e) => match e.kind() {
                    async_nats::RequestErrorKind::NoResponders => {
                        bus.fail_request(&request, Error::NoListeners(destination));
                    }
                    async_nats::RequestErrorKind::TimedOut => {
                        Counters::count(&counters.request_timeouts);
                    }
                    _ => {
                        Counters::count(&counters.failed);
                        bus.fail_request(&request, Error::Closed(format!("{destination}: {e}")));
                    }
                },
            }
        });
    }

    async fn respond(&self, reply: Subject, answer: Answer) {
        let sent = match answer {
            Answer::Reply(body) => self.queues.publish(reply, body.into()).await,
            Answer::NoListeners => {
                let mut headers = HeaderMap::new();
                headers.insert(ERROR_HEADER, "no-listeners");
                self.queues
                    .publish_with_headers(reply, headers, Bytes::new())
                    .await
            }
            Answer::Failed(why) => {
                let mut headers = HeaderMap::new();
                headers.insert(ERROR_HEADER, "failed");
                self.queues
                    .publish_with_headers(reply, headers, why.into())
                    .await
            }
        };
        if sent.is_err() {
            Counters::count(&self.shared.counters.failed);
        }
    }

    /// Publishes what is pending, then ends every subscription and request
    /// here, on the runtime, so that their objects drop inside it.
    async fn close(&mut self) {
        self.settle().await;
        let _ = self.out.flush().await;
        let _ = self.queues.flush().await;
        for (_, bridged) in self.bridged.drain() {
            bridged.stop().await;
        }
        self.requests.abort_all();
        while self.requests.join_next().await.is_some() {}
    }
}

/// Returns once the server has read everything `client` sent before:
/// then its subscriptions are in place. (`Client::flush` only writes the
/// socket, and a message another node sends right after could still find
/// no subscription.) A request nobody answers is the round trip: the
/// server's "no responders" comes after it read what came first.
async fn round_trip(client: &Client) -> std::result::Result<(), async_nats::RequestError> {
    match client.request(client.new_inbox(), Bytes::new()).await {
        Err(e) if e.kind() == async_nats::RequestErrorKind::NoResponders => Ok(()),
        Err(e) => Err(e),
        Ok(_) => Ok(()),
    }
}

/// Aborts `tasks` and waits until each has dropped what it held.
async fn stop(tasks: Vec<JoinHandle<()>>) {
    for task in &tasks {
        task.abort();
    }
    for task in tasks {
        let _ = task.await;
    }
}

/// Passes a JetStream consumer's messages to the inbound thread one at a
/// time, acknowledging each once the local listeners returned; a durable
/// broadcast acknowledges its own node's messages unread.
async fn take_stored(
    mut messages: consumer::pull::Stream,
    own: Option<String>,
    arrivals: mpsc::Sender<Arrival>,
    counters: Arc<Counters>,
) {
    while let Some(next) = messages.next().await {
        let message = match next {
            Ok(message) => message,
            Err(e) => {
                log::warn!("bridge: JetStream consumer: {e}");
                continue;
            }
        };
        let origin = message.headers.as_ref().and_then(|h| h.get(ORIGIN_HEADER));
        let mine = own
            .as_deref()
            .is_some_and(|own| origin.is_some_and(|o| o.as_str() == own));
        if !mine {
            let (done, delivered) = oneshot::channel();
            let arrival = Arrival::Stored {
                body: message.payload.clone(),
                done,
            };
            if arrivals.send(arrival).await.is_err() {
                return;
            }
            if delivered.await.is_err() {
                return;
            }
        }
        if message.ack().await.is_err() {
            Counters::count(&counters.failed);
        }
    }
}

async fn connect(shared: &Shared, queues: bool) -> Result<Client> {
    let options = &shared.options;
    let counters = shared.counters.clone();
    let connected_once = Arc::new(AtomicBool::new(false));
    let role = if queues { "queues" } else { "out" };
    let mut connect = ConnectOptions::new()
        .name(format!("msgbus {} {role}", shared.node_id))
        .connection_timeout(options.connect_timeout)
        .subscription_capacity(SUBSCRIPTION_CAPACITY)
        .event_callback(move |event| {
            let counters = counters.clone();
            let connected_once = connected_once.clone();
            async move { on_event(&event, &counters, &connected_once) }
        });
    if !queues {
        connect = connect.no_echo();
    }
    if let Some(path) = &options.credentials_file {
        connect = connect.credentials_file(path).await.map_err(|e| {
            Error::InvalidArgument(format!("credentials_file: {}: {e}", path.display()))
        })?;
    }
    if let (Some(user), Some(password)) = (&options.user, &options.password) {
        connect = connect.user_and_password(user.clone(), password.clone());
    }
    if let Some(token) = &options.token {
        connect = connect.token(token.clone());
    }
    if let Some(ca) = &options.tls_ca_file {
        connect = connect.add_root_certificates(ca.clone()).require_tls(true);
    }
    if let (Some(cert), Some(key)) = (&options.tls_cert_file, &options.tls_key_file) {
        connect = connect.add_client_certificate(cert.clone(), key.clone());
    }
    connect
        .connect(options.url.as_str())
        .await
        .map_err(|e| Error::Closed(format!("{}: cannot connect: {e}", options.url)))
}

fn on_event(event: &Event, counters: &Counters, connected_once: &AtomicBool) {
    match event {
        Event::Connected => {
            if connected_once.swap(true, Relaxed) {
                log::info!("bridge: reconnected");
                Counters::count(&counters.reconnects);
            }
        }
        Event::SlowConsumer(_) => {
            log::warn!("bridge: a subscription is too slow; the client drops its overflow");
            Counters::count(&counters.slow_consumers);
        }
        other => log::info!("bridge: {other}"),
    }
}
