//! The bridge as a program sees it: connect, add and remove destinations,
//! statistics, close. Its two threads do the work (`link.rs`,
//! `inbound.rs`); this side only hands them commands.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread::{self, JoinHandle};

use async_nats::Subject;
use msgbus::{BusEvent, Error, EventListenerId, InterceptorId, Message, MessageBus, Result};
use parking_lot::{Mutex, RwLock};
use tokio::sync::mpsc;

use crate::envelope::{self, ORIGIN};
use crate::inbound;
use crate::link::{self, Command};
use crate::options::{BridgeMode, BridgeOptions};
use crate::statistics::{BridgeStatistics, Counters};
use crate::subject::{self, Names};

/// Commands queued for the runtime thread: what a sender waits for room
/// in once the connection falls this far behind (backpressure).
const OUTBOUND_CAPACITY: usize = 65_536;
/// Messages received and not yet injected into the local bus.
const INBOUND_CAPACITY: usize = 65_536;

/// A bus joined to a NATS server (SPEC §8). Dropping it closes it.
pub struct Bridge {
    bus: MessageBus,
    shared: Arc<Shared>,
    /// The forwarder, and the event listener that tells the runtime
    /// thread when a bridged destination's listeners change (`link.rs`):
    /// taken by the close.
    hooks: Mutex<Option<(InterceptorId, EventListenerId)>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// What the forwarder, the runtime thread and the inbound thread share.
pub(crate) struct Shared {
    pub(crate) node_id: String,
    pub(crate) options: BridgeOptions,
    pub(crate) counters: Arc<Counters>,
    pub(crate) commands: mpsc::Sender<Command>,
    /// The bridged destinations, read by every send of the bus.
    routes: RwLock<HashMap<String, Route>>,
    next_number: AtomicU64,
}

struct Route {
    mode: BridgeMode,
    subject: Subject,
    rpc: Subject,
}

impl Bridge {
    /// Connects `bus` to the server of `options`; returns once both of the
    /// bridge's connections are up, or with why they are not.
    ///
    /// Nothing is forwarded until a destination is [added](Bridge::add).
    pub fn connect(bus: &MessageBus, options: BridgeOptions) -> Result<Bridge> {
        bus.check_live()?;
        check_options(&options)?;
        let node_id = options.node_id.clone().unwrap_or_else(|| {
            let random = RandomState::new().hash_one(std::process::id()) as u32;
            format!("node-{}-{random:08x}", std::process::id())
        });
        let (commands, command_queue) = mpsc::channel(OUTBOUND_CAPACITY);
        let (arrivals, arrival_queue) = mpsc::channel(INBOUND_CAPACITY);
        let shared = Arc::new(Shared {
            node_id,
            options,
            counters: Arc::default(),
            commands,
            routes: RwLock::default(),
            next_number: AtomicU64::new(1),
        });
        let (ready, connected) = crossbeam_channel::bounded(1);
        let runtime = {
            let (shared, bus) = (shared.clone(), bus.clone());
            thread::Builder::new()
                .name("msgbus-nats".into())
                .spawn(move || link::run(shared, bus, command_queue, arrivals, ready))
                .map_err(|e| Error::Closed(format!("bridge: cannot start its thread: {e}")))?
        };
        if let Err(error) = connected
            .recv()
            .unwrap_or_else(|_| Err(Error::Closed("bridge: its runtime thread ended".into())))
        {
            let _ = runtime.join();
            return Err(error);
        }
        let injector = {
            let (shared, bus) = (shared.clone(), bus.clone());
            thread::Builder::new()
                .name("msgbus-nats-in".into())
                .spawn(move || inbound::run(shared, bus, arrival_queue))
        };
        let bridge = Bridge {
            bus: bus.clone(),
            shared: shared.clone(),
            hooks: Mutex::new(None),
            threads: Mutex::new(vec![runtime]),
        };
        match injector {
            Ok(injector) => bridge.threads.lock().push(injector),
            Err(e) => {
                return Err(Error::Closed(format!(
                    "bridge: cannot start its thread: {e}"
                )));
            }
        }
        let watching = shared.clone();
        let watcher =
            bus.add_event_listener(None, move |event| watching.listeners_changed(event))?;
        let forwarding = shared.clone();
        let forwarder =
            bus.add_forwarder(move |destination, message| forwarding.forward(destination, message));
        match forwarder {
            Ok(forwarder) => *bridge.hooks.lock() = Some((forwarder, watcher)),
            Err(e) => {
                let _ = bus.remove_event_listener(watcher);
                return Err(e);
            }
        }
        Ok(bridge)
    }

    /// This node's id in its cluster.
    pub fn node_id(&self) -> &str {
        &self.shared.node_id
    }

    /// Forwards the destination `name` in `mode`; returns once this node's
    /// subscriptions (and, in durable modes, its stream and consumer) are
    /// in place, so that another node's next send reaches it.
    ///
    /// The local destination need not exist yet: what arrives for a name
    /// no local destination has is counted and dead-lettered. Adding a
    /// name again in the same mode does nothing; in another mode it is
    /// refused.
    pub fn add(&self, name: &str, mode: BridgeMode) -> Result<()> {
        check_name(name)?;
        if let Some(route) = self.shared.routes.read().get(name) {
            return if route.mode == mode {
                Ok(())
            } else {
                Err(Error::InvalidArgument(format!(
                    "{name} is bridged as {} already; remove it first",
                    route.mode
                )))
            };
        }
        let names = Names::new(&self.shared.options.cluster, name, mode);
        let (done, outcome) = crossbeam_channel::bounded(1);
        self.shared.command(
            name,
            Command::Add {
                destination: name.into(),
                mode,
                names: names.clone(),
                done,
            },
        )?;
        outcome.recv().unwrap_or_else(|_| Err(closed(name)))?;
        self.shared.routes.write().insert(
            name.into(),
            Route {
                mode,
                subject: names.subject.into(),
                rpc: names.rpc.into(),
            },
        );
        // Listeners registered while it was being added went unwatched.
        let destination = name.to_string();
        self.shared
            .command(name, Command::Listeners { destination })?;
        Ok(())
    }

    /// Stops forwarding `name`, here and from the other nodes to here;
    /// what was accepted before is still published. `NoSuchDestination`
    /// if it was not bridged.
    pub fn remove(&self, name: &str) -> Result<()> {
        check_name(name)?;
        if self.shared.routes.write().remove(name).is_none() {
            return Err(Error::NoSuchDestination(format!("{name} (not bridged)")));
        }
        let (done, removed) = crossbeam_channel::bounded(1);
        self.shared.command(
            name,
            Command::Remove {
                destination: name.into(),
                done,
            },
        )?;
        removed.recv().map_err(|_| closed(name))
    }

    /// The names bridged, with their modes.
    pub fn destinations(&self) -> Vec<(String, BridgeMode)> {
        let mut names: Vec<_> = self
            .shared
            .routes
            .read()
            .iter()
            .map(|(name, route)| (name.clone(), route.mode))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        names
    }

    pub fn statistics(&self) -> BridgeStatistics {
        self.shared.counters.snapshot()
    }

    /// Stops forwarding, publishes what was accepted (and, in durable
    /// modes, waits until JetStream stored it), injects what had arrived,
    /// and closes the connections; then returns. Its statistics stay
    /// readable. Closing again, or dropping the bridge, does nothing more.
    pub fn close(&self) {
        if let Some((forwarder, watcher)) = self.hooks.lock().take() {
            // A bus shut down keeps its interceptors, which do nothing more.
            let _ = self.bus.remove_interceptor(forwarder);
            let _ = self.bus.remove_event_listener(watcher);
        }
        let threads: Vec<_> = self.threads.lock().drain(..).collect();
        if threads.is_empty() {
            return;
        }
        let (done, closed) = crossbeam_channel::bounded(1);
        if self
            .shared
            .commands
            .blocking_send(Command::Close { done })
            .is_ok()
        {
            let _ = closed.recv();
        }
        let me = thread::current().id();
        for thread in threads {
            // A listener that closes the bridge runs on its inbound thread.
            if thread.thread().id() != me {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.close();
    }
}

impl Shared {
    /// The forwarder: publishes a send to a bridged destination, unless it
    /// came from another node. Whether the local destination gets it too
    /// depends on the mode; a request goes to whichever node answers.
    fn forward(&self, destination: &str, message: &mut Message) -> Result<bool> {
        // A request names where its reply goes and carries its id; a reply
        // carries the id only.
        let request =
            message.response_destination_name().is_some() && message.response_id().is_some();
        let (mode, subject) = {
            let routes = self.routes.read();
            let Some(route) = routes.get(destination) else {
                return Ok(false);
            };
            let rpc = request && !route.mode.is_durable();
            let subject = if rpc { &route.rpc } else { &route.subject };
            (route.mode, subject.clone())
        };
        if message.contains(ORIGIN) {
            return Ok(false);
        }
        let number = self.next_number.fetch_add(1, Relaxed);
        let id = format!("{}:{number}", self.node_id);
        let body = envelope::encode(destination, &id, &self.node_id, message)?;
        let (command, consumed) = if request && !mode.is_durable() {
            let request = Command::Request {
                subject,
                destination: destination.into(),
                body,
                request: message.clone(),
            };
            (request, true)
        } else if mode.is_durable() {
            (Command::Store { subject, id, body }, !mode.is_broadcast())
        } else {
            (Command::Publish { subject, body }, !mode.is_broadcast())
        };
        self.command(destination, command)?;
        Ok(consumed)
    }

    fn listeners_changed(&self, event: &BusEvent) {
        let destination = event.destination();
        if self.routes.read().contains_key(destination) {
            let destination = destination.to_string();
            let _ = self.command("listeners", Command::Listeners { destination });
        }
    }

    /// Queues `command` for the runtime thread, waiting for room.
    pub(crate) fn command(&self, destination: &str, command: Command) -> Result<()> {
        match self.commands.try_send(command) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(command)) => self
                .commands
                .blocking_send(command)
                .map_err(|_| closed(destination)),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(closed(destination)),
        }
    }
}

fn closed(destination: &str) -> Error {
    Error::Closed(format!("{destination}: its bridge is closed"))
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('\0') {
        return Err(Error::InvalidArgument(
            "name: a destination name is not empty and has no NUL".into(),
        ));
    }
    Ok(())
}

fn check_options(options: &BridgeOptions) -> Result<()> {
    if options.url.trim().is_empty() {
        return Err(Error::InvalidArgument("url: empty".into()));
    }
    if !subject::is_token(&options.cluster) {
        return Err(Error::InvalidArgument(format!(
            "cluster: {:?} is not letters, digits, _ and -",
            options.cluster
        )));
    }
    if options
        .node_id
        .as_deref()
        .is_some_and(|id| id.is_empty() || id.contains('\0'))
    {
        return Err(Error::InvalidArgument(
            "node_id: empty or with a NUL".into(),
        ));
    }
    Ok(())
}
