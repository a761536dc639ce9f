//! Interceptors (Liferay's `MessageBusInterceptor`): callables that every
//! send passes before the destination lookup, in registration order. One
//! may change the message (to carry trace context, say) or consume it.
//! A forwarder (a bridge to other buses) is an interceptor that may also
//! refuse the send, with the error its sender gets.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Acquire, Ordering::Relaxed};

use arc_swap::ArcSwap;
use parking_lot::Mutex;

use crate::callback::Callback;
use crate::error::{Error, ListenerError, Result};
use crate::listener::panic_text;
use crate::message::Message;
use crate::runtime::{self, Affinity, Runtime};

/// An interceptor: called with the destination name and the message about
/// to be sent to it; `Ok(true)` consumes the message (it goes no further),
/// `Ok(false)` lets it go on. A failure is logged and counted, and the
/// message goes on as if the interceptor had not been there.
pub type InterceptorFn = dyn Fn(&str, &mut Message) -> Result<bool, ListenerError> + Send + Sync;

/// A forwarder: an interceptor whose `Err` is the sender's error (a bridge
/// refuses a message it cannot carry) rather than a failure to log.
pub type ForwarderFn = dyn Fn(&str, &mut Message) -> Result<bool> + Send + Sync;

/// The handle of an interceptor, unique within its bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InterceptorId(u64);

impl InterceptorId {
    /// The number behind the id, for foreign bindings.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The id with this number (see [`InterceptorId::as_u64`]).
    pub fn from_u64(raw: u64) -> Self {
        InterceptorId(raw)
    }
}

impl fmt::Display for InterceptorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "interceptor#{}", self.0)
    }
}

struct Interceptor {
    id: InterceptorId,
    hook: Hook,
    affinity: Affinity,
}

enum Hook {
    Intercept(Callback<InterceptorFn>),
    Forward(Callback<ForwarderFn>),
}

/// The interceptors of one bus.
#[derive(Default)]
pub(crate) struct Interceptors {
    list: ArcSwap<Vec<Arc<Interceptor>>>,
    /// Whether there is any: the one load a send pays when there is none.
    any: AtomicBool,
    /// Serialises writers of `list`.
    writers: Mutex<()>,
    consumed: AtomicU64,
    failed: AtomicU64,
}

impl Interceptors {
    /// Appends an interceptor of `runtime` (whose lock it runs under) or of
    /// none.
    pub(crate) fn add(
        &self,
        id: u64,
        runtime: Option<&Runtime>,
        f: Box<InterceptorFn>,
    ) -> InterceptorId {
        let affinity = runtime.map_or(Affinity::Foreign, |r| Affinity::In(r.clone()));
        self.push(id, Hook::Intercept(Callback::new(f)), affinity)
    }

    /// Appends a forwarder.
    pub(crate) fn add_forwarder(&self, id: u64, f: Box<ForwarderFn>) -> InterceptorId {
        self.push(id, Hook::Forward(Callback::new(f)), Affinity::Foreign)
    }

    fn push(&self, id: u64, hook: Hook, affinity: Affinity) -> InterceptorId {
        let id = InterceptorId(id);
        let interceptor = Arc::new(Interceptor { id, hook, affinity });
        let _writing = self.writers.lock();
        let mut next = Vec::clone(&self.list.load());
        next.push(interceptor);
        self.list.store(Arc::new(next));
        self.any.store(true, Relaxed);
        id
    }

    /// Removes the interceptor, then waits for its running calls (unless
    /// called from inside one) and releases it, as unregistering a
    /// listener does.
    pub(crate) fn remove(&self, id: InterceptorId) -> Result<()> {
        let removed = {
            let _writing = self.writers.lock();
            let mut next = Vec::clone(&self.list.load());
            let index = next
                .iter()
                .position(|i| i.id == id)
                .ok_or(Error::NoSuchListener)?;
            let removed = next.remove(index);
            self.any.store(!next.is_empty(), Relaxed);
            self.list.store(Arc::new(next));
            removed
        };
        match &removed.hook {
            Hook::Intercept(callback) => callback.retire().map(drop),
            Hook::Forward(callback) => callback.retire().map(drop),
        }
    }

    /// Runs every interceptor on `message`, bound for `destination`, in
    /// registration order, until one consumes it: whether one did, or the
    /// error of a forwarder that refused it.
    pub(crate) fn consume(&self, destination: &str, message: &mut Message) -> Result<bool> {
        if !self.any() {
            return Ok(false);
        }
        for interceptor in self.list.load().iter() {
            if interceptor.call(destination, message, &self.failed)? {
                self.consumed.fetch_add(1, Relaxed);
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether any interceptor is registered.
    pub(crate) fn any(&self) -> bool {
        self.any.load(Acquire)
    }

    pub(crate) fn len(&self) -> usize {
        self.list.load().len()
    }

    /// Messages consumed, and calls that failed.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.consumed.load(Relaxed), self.failed.load(Relaxed))
    }
}

impl Interceptor {
    /// Whether it consumed the message, or a forwarder's refusal; a
    /// failure (or a panic) is logged, counted in `failed`, and consumes
    /// nothing.
    fn call(&self, destination: &str, message: &mut Message, failed: &AtomicU64) -> Result<bool> {
        let outcome = match &self.hook {
            Hook::Intercept(callback) => callback.invoke(|f| {
                runtime::call(&self.affinity, || {
                    catch_unwind(AssertUnwindSafe(|| f(destination, message)))
                })
            }),
            // Its outcome, a refusal included, is the send's; only a panic
            // is a failure.
            Hook::Forward(callback) => {
                match callback
                    .invoke(|f| catch_unwind(AssertUnwindSafe(|| f(destination, message))))
                {
                    None => return Ok(false),
                    Some(Ok(outcome)) => return outcome,
                    Some(Err(panic)) => Some(Err(panic)),
                }
            }
        };
        let error = match outcome {
            None | Some(Ok(Ok(false))) => return Ok(false),
            Some(Ok(Ok(true))) => return Ok(true),
            Some(Ok(Err(error))) => error,
            Some(Err(panic)) => ListenerError::new(format!("panicked: {}", panic_text(&*panic))),
        };
        failed.fetch_add(1, Relaxed);
        if !error.is_reported() {
            log::error!(
                "{} failed on a message to {destination}: {error}; the message goes on",
                self.id
            );
        }
        Ok(false)
    }
}
