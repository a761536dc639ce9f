//! Registration events (Liferay's `MessageBusEventListener` and
//! `DestinationEventListener`), delivered synchronously to event listeners
//! on the whole bus or on one destination name.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::callback::Callback;
use crate::error::{Error, Result};
use crate::listener::ListenerId;
use crate::runtime;
use crate::text::Text;

/// Something that changed in the bus's registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusEvent {
    DestinationAdded {
        destination: String,
    },
    DestinationRemoved {
        destination: String,
    },
    ListenerRegistered {
        destination: String,
        listener: ListenerId,
    },
    ListenerUnregistered {
        destination: String,
        listener: ListenerId,
    },
}

impl BusEvent {
    /// The destination name the event is about.
    pub fn destination(&self) -> &str {
        match self {
            BusEvent::DestinationAdded { destination }
            | BusEvent::DestinationRemoved { destination }
            | BusEvent::ListenerRegistered { destination, .. }
            | BusEvent::ListenerUnregistered { destination, .. } => destination,
        }
    }
}

/// An event listener; it may call back into the bus.
pub type EventListenerFn = dyn Fn(&BusEvent) + Send + Sync;

/// The handle of a registered event listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventListenerId(u64);

impl EventListenerId {
    /// The number behind the id, for foreign bindings.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The id with this number (see [`EventListenerId::as_u64`]).
    pub fn from_u64(raw: u64) -> Self {
        EventListenerId(raw)
    }
}

impl fmt::Display for EventListenerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event-listener#{}", self.0)
    }
}

struct EventListener {
    id: EventListenerId,
    /// `None`: every event of the bus.
    destination: Option<Text>,
    callback: Callback<EventListenerFn>,
}

/// The event listeners of one bus.
#[derive(Default)]
pub(crate) struct EventHub {
    listeners: Mutex<Arc<Vec<Arc<EventListener>>>>,
}

impl EventHub {
    pub(crate) fn add(
        &self,
        id: u64,
        destination: Option<&str>,
        f: Box<EventListenerFn>,
    ) -> EventListenerId {
        let id = EventListenerId(id);
        let listener = Arc::new(EventListener {
            id,
            destination: destination.map(Into::into),
            callback: Callback::new(f),
        });
        let mut listeners = self.listeners.lock();
        let mut next = Vec::clone(&listeners);
        next.push(listener);
        *listeners = Arc::new(next);
        id
    }

    /// Removes the listener, then waits for its running calls (unless
    /// called from inside one) and releases it.
    pub(crate) fn remove(&self, id: EventListenerId) -> Result<()> {
        let removed = {
            let mut listeners = self.listeners.lock();
            let index = listeners
                .iter()
                .position(|l| l.id == id)
                .ok_or(Error::NoSuchListener)?;
            let mut next = Vec::clone(&listeners);
            let removed = next.remove(index);
            *listeners = Arc::new(next);
            removed
        };
        removed.callback.retire().map(drop)
    }

    /// Calls the matching listeners in this thread, holding no lock (and no
    /// runtime's: event listeners belong to none).
    pub(crate) fn emit(&self, event: BusEvent) {
        let listeners = self.listeners.lock().clone();
        for listener in listeners.iter() {
            if listener
                .destination
                .as_deref()
                .is_some_and(|d| d != event.destination())
            {
                continue;
            }
            let outcome = listener
                .callback
                .invoke(|f| runtime::suspended(|| catch_unwind(AssertUnwindSafe(|| f(&event)))));
            if let Some(Err(_)) = outcome {
                log::error!("{} panicked on {event:?}", listener.id);
            }
        }
    }
}
