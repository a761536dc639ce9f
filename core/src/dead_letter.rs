//! Dead letters: every message the bus does not deliver goes, once, to a
//! dead-letter destination (the destination's own, else the bus's), as a
//! copy carrying the original payload and values plus why
//! ([`REASON`]), where ([`DESTINATION`]) and, for failures, the error
//! ([`ERROR`]). A message at a dead-letter destination, or a dead letter
//! anywhere, is never dead-lettered again: nothing loops.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use arc_swap::ArcSwapOption;

use crate::message::Message;
use crate::routes::Routes;
use crate::text::Text;

/// The value naming why a dead letter was not delivered.
pub const REASON: &str = "msgbus.reason";
/// The value naming the destination that did not deliver it.
pub const DESTINATION: &str = "msgbus.destination";
/// The value carrying a failed listener's error.
pub const ERROR: &str = "msgbus.error";

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A listener failed on it.
    Failed,
    /// Its destination's queue was full.
    Rejected,
    /// Its destination had no listener.
    NoListener,
    /// A forced shutdown threw it away from the queue.
    Discarded,
    /// A reply whose sender no longer waits (timed out, gave up, or was
    /// answered already).
    Expired,
    /// No destination had its name.
    NoSuchDestination,
}

impl Reason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::Failed => "failed",
            Reason::Rejected => "rejected",
            Reason::NoListener => "no_listener",
            Reason::Discarded => "discarded",
            Reason::Expired => "expired",
            Reason::NoSuchDestination => "no_such_destination",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bus's dead-letter destination and the counts that belong to no
/// destination. Shared by the bus's destinations, which look at `target`
/// before they make a dead letter.
#[derive(Default)]
pub(crate) struct DeadLetters {
    target: ArcSwapOption<Text>,
    /// Messages sent to a name no destination had.
    pub(crate) unknown: AtomicU64,
    /// Of those, the ones dead-lettered.
    pub(crate) unknown_dead_lettered: AtomicU64,
    /// Dead letters their dead-letter destination refused.
    pub(crate) refused: AtomicU64,
}

impl DeadLetters {
    pub(crate) fn set_target(&self, name: Option<&str>) {
        self.target
            .store(name.map(|name| Arc::new(Text::from(name))));
    }

    pub(crate) fn target(&self) -> Option<Arc<Text>> {
        self.target.load_full()
    }

    /// Whether a message of a destination whose own dead-letter
    /// destination is `own` has anywhere to go.
    pub(crate) fn any(&self, own: Option<&str>) -> bool {
        own.is_some() || self.target.load().is_some()
    }
}

impl Routes {
    /// Sends a dead letter of `message`, which `from` did not deliver for
    /// `reason`, to `own` (the destination's dead-letter destination) or
    /// else the bus's; whether one took it. A refusal (no such destination,
    /// closed, full) is logged and counted, never retried.
    pub(crate) fn dead_letter(
        &self,
        from: &str,
        own: Option<&str>,
        message: &Message,
        reason: Reason,
        error: Option<&str>,
    ) -> bool {
        let bus_target = self.dead_letters.target();
        let Some(target) = own.or(bus_target.as_deref().map(Text::as_str)) else {
            return false;
        };
        if target == from || message.contains(REASON) {
            return false;
        }
        let mut letter = message.without_request();
        letter.put(REASON, reason.as_str());
        letter.put(DESTINATION, from);
        if let Some(error) = error {
            letter.put(ERROR, error);
        }
        match self.offer(target, letter) {
            Ok(()) => true,
            Err(refusal) => {
                self.dead_letters.refused.fetch_add(1, Relaxed);
                log::warn!(
                    "dead-letter destination {target} refused a message of {from} ({reason}): {}",
                    refusal.error(target)
                );
                false
            }
        }
    }
}
