//! A destination handle: sends to one destination without converting and
//! looking up its name per send. What a send through it does is what
//! [`MessageBus::send`] and [`MessageBus::send_direct`] do with the name.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::bus::{MessageBus, WeakMessageBus};
use crate::destination::{Destination, Refused};
use crate::error::{Error, Result};
use crate::fork::Generation;
use crate::message::Message;
use crate::routes::{Refusal, Routes};
use crate::text::Text;
use crate::value::Value;

/// Sends to the destination of one name, from [`MessageBus::destination`].
///
/// It keeps the destination that holds the name; once that one is
/// replaced or removed it sends by the name, as [`MessageBus::send`] does
/// (to the replacement, or as a message to an unknown name), and keeps
/// the replacement. Interceptors, dead letters, statistics and metrics see
/// its sends as sends to the name. It does not keep the bus alive: after
/// the bus shut down, it refuses as the bus does, and once the bus is
/// dropped it refuses every send as closed.
pub struct DestinationHandle {
    /// Only to refuse sends once the bus is gone: a synchronous
    /// destination would still call its listeners.
    bus: WeakMessageBus,
    routes: Arc<Routes>,
    name: Text,
    current: ArcSwap<Destination>,
    made_in: Generation,
}

impl MessageBus {
    /// A handle that sends to the destination `name`, which must exist.
    pub fn destination(&self, name: &str) -> Result<DestinationHandle> {
        self.check_live()?;
        let routes = self.routes();
        let current = routes
            .destinations
            .load()
            .get(name)
            .cloned()
            .ok_or_else(|| Error::NoSuchDestination(name.into()))?;
        Ok(DestinationHandle {
            bus: self.downgrade(),
            routes: routes.clone(),
            name: current.name().clone(),
            current: ArcSwap::new(current),
            made_in: self.generation(),
        })
    }
}

impl DestinationHandle {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// [`MessageBus::send`] to this name.
    pub fn send(&self, message: impl Into<Message>) -> Result<()> {
        self.check_live()?;
        let mut message = message.into();
        let routes = &self.routes;
        if routes.interceptors.consume(&self.name, &mut message)? {
            return Ok(());
        }
        let current = self.current.load();
        if current.is_retired() {
            return self.send_by_name(message);
        }
        match current.send(message) {
            Ok(()) => Ok(()),
            // Closed as the message came: replaced, removed or shut down.
            Err(Refused::Closed(back)) => self.send_by_name(*back),
            Err(Refused::Full) => Err(Refusal::Full.error(&self.name)),
            Err(Refused::Interrupted) => Err(Refusal::Interrupted.error(&self.name)),
        }
    }

    /// Sends each message in turn, as [`DestinationHandle::send`] does,
    /// and stops at the first refused: `Err((sent, error))` says how many
    /// went before it, the refused one included in none of them.
    pub fn send_many<M: Into<Message>>(
        &self,
        messages: impl IntoIterator<Item = M>,
    ) -> std::result::Result<usize, (usize, Error)> {
        let mut sent = 0;
        for message in messages {
            self.send(message).map_err(|e| (sent, e))?;
            sent += 1;
        }
        Ok(sent)
    }

    /// [`MessageBus::send_direct`] to this name.
    pub fn send_direct(&self, message: impl Into<Message>) -> Result<Value> {
        self.check_live()?;
        let mut message = message.into();
        if self.routes.interceptors.consume(&self.name, &mut message)? {
            return Ok(message.response());
        }
        let current = self.current.load();
        if !current.is_retired() {
            return current.send_direct(message);
        }
        let destinations = self.routes.destinations.load();
        let now = self.routes.target(&destinations, &self.name, &message)?;
        self.current.store(now.clone());
        now.send_direct(message)
    }

    /// `Err(Closed)` once the bus is dropped, or in a child process.
    fn check_live(&self) -> Result<()> {
        self.made_in.check()?;
        if self.bus.is_dropped() {
            return Err(Error::Closed(format!("{}: its bus is gone", self.name)));
        }
        Ok(())
    }

    /// A send to whatever destination holds the name now, which is then
    /// kept.
    #[cold]
    fn send_by_name(&self, message: Message) -> Result<()> {
        if let Some(now) = self.routes.destinations.load().get(&self.name) {
            self.current.store(now.clone());
        }
        self.routes.send_to(&self.name, message)
    }
}
