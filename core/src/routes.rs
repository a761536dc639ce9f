//! What every send of a bus passes: its interceptors, then its
//! destinations by name; and, for what no destination delivers, its dead
//! letters. Shared (weakly) with the bus's destinations, which send dead
//! letters, and with its timer thread, which sends scheduled messages.

use std::hash::BuildHasherDefault;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed, Ordering::SeqCst};

use arc_swap::ArcSwap;
use rpds::HashTrieMapSync;

use crate::dead_letter::{DeadLetters, Reason};
use crate::destination::{Destination, Refused};
use crate::error::{Error, Result};
use crate::interceptors::Interceptors;
use crate::message::Message;
use crate::name_hash::NameHasher;
use crate::text::Text;

/// Persistent: a change makes a new map in O(log n), sharing the rest with
/// the old one, which the sends reading it keep meanwhile.
pub(crate) type DestinationMap =
    HashTrieMapSync<Text, Arc<Destination>, BuildHasherDefault<NameHasher>>;

pub(crate) struct Routes {
    /// Read on every send without locking; replaced whole under the bus's
    /// registry lock.
    pub(crate) destinations: ArcSwap<DestinationMap>,
    pub(crate) shut_down: AtomicBool,
    pub(crate) interceptors: Interceptors,
    pub(crate) dead_letters: Arc<DeadLetters>,
}

/// Why a send did not reach a destination.
pub(crate) enum Refusal {
    /// No destination has the name: the message comes back.
    Unknown(Box<Message>),
    Full,
    Interrupted,
    Closed,
}

impl Refusal {
    /// The error a sender to `name` gets.
    pub(crate) fn error(&self, name: &str) -> Error {
        match self {
            Refusal::Unknown(_) => Error::NoSuchDestination(name.into()),
            Refusal::Full => Error::QueueFull(name.into()),
            Refusal::Interrupted => Error::Interrupted,
            Refusal::Closed => Error::Closed(name.into()),
        }
    }
}

impl Routes {
    pub(crate) fn new() -> Self {
        Routes {
            destinations: ArcSwap::from_pointee(DestinationMap::new_with_hasher_and_ptr_kind(
                Default::default(),
            )),
            shut_down: AtomicBool::new(false),
            interceptors: Interceptors::default(),
            dead_letters: Arc::default(),
        }
    }

    /// A send: through the interceptors (one may consume the message),
    /// then to the destination `name`.
    pub(crate) fn send(&self, name: &str, mut message: Message) -> Result<()> {
        if self.interceptors.consume(name, &mut message)? {
            return Ok(());
        }
        self.send_to(name, message)
    }

    /// Sends to the destination `name`, past the interceptors; a message
    /// to a name no destination has is counted and dead-lettered.
    pub(crate) fn send_to(&self, name: &str, message: Message) -> Result<()> {
        self.offer(name, message).map_err(|refusal| {
            let error = refusal.error(name);
            if let Refusal::Unknown(message) = refusal {
                self.unknown(name, &message);
            }
            error
        })
    }

    /// Offers `message` to the destination holding `name`. One that closed
    /// as the message came (replaced, or removed) gives it back, and the
    /// message goes to the destination that holds the name now, or comes
    /// back as unknown: only a bus that is shut down refuses it as closed.
    pub(crate) fn offer(&self, name: &str, mut message: Message) -> Result<(), Refusal> {
        loop {
            let destinations = self.destinations.load();
            let Some(destination) = destinations.get(name) else {
                return Err(Refusal::Unknown(Box::new(message)));
            };
            match destination.send(message) {
                Ok(()) => return Ok(()),
                Err(Refused::Full) => return Err(Refusal::Full),
                Err(Refused::Interrupted) => return Err(Refusal::Interrupted),
                Err(Refused::Closed(_)) if self.shut_down.load(SeqCst) => {
                    return Err(Refusal::Closed);
                }
                Err(Refused::Closed(back)) => message = *back,
            }
        }
    }

    /// The destination `name` in `destinations`; for a name none has,
    /// counts and dead-letters `message` (see [`Routes::unknown`]) and
    /// gives the sender's error.
    pub(crate) fn target<'a>(
        &self,
        destinations: &'a DestinationMap,
        name: &str,
        message: &Message,
    ) -> Result<&'a Arc<Destination>> {
        destinations.get(name).ok_or_else(|| {
            self.unknown(name, message);
            Error::NoSuchDestination(name.into())
        })
    }

    /// Counts a message sent to the unknown `name`, and dead-letters it
    /// to the bus's dead-letter destination.
    #[cold]
    pub(crate) fn unknown(&self, name: &str, message: &Message) {
        let counts = &self.dead_letters;
        counts.unknown.fetch_add(1, Relaxed);
        if self.dead_letter(name, None, message, Reason::NoSuchDestination, None) {
            counts.unknown_dead_lettered.fetch_add(1, Relaxed);
        }
    }
}
