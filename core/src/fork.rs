//! `fork()`: a child process has only the thread that forked. The workers
//! of the buses it inherited stayed in the parent, and a lock one of them
//! held stays held. So a bus (and a pending reply) notes the process it
//! was made in; one inherited through `fork()` refuses every call with
//! [`Error::Closed`] before it takes a lock, and when dropped waits for
//! nothing. A child's default bus is a new one.

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::error::{Error, Result};

/// Bumped in a child, as `fork()` returns there.
static GENERATION: AtomicU64 = AtomicU64::new(0);
static WATCH: Once = Once::new();

/// The process something was made in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Generation(u64);

impl Generation {
    /// This process's. Watches for forks from the first call on, which
    /// comes before anything a child could inherit is made.
    pub(crate) fn current() -> Self {
        WATCH.call_once(|| {
            // SAFETY: the handler only bumps an atomic, which a child may
            // do before `fork()` returns there.
            unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        });
        Generation(GENERATION.load(Relaxed))
    }

    /// Whether this was made in a parent of this process.
    pub(crate) fn inherited(self) -> bool {
        self.0 != GENERATION.load(Relaxed)
    }

    /// `Err(Closed)` for something inherited through `fork()`.
    pub(crate) fn check(self) -> Result<()> {
        if self.inherited() {
            return Err(Error::Closed(
                "inherited through fork(): its worker threads stayed in the parent process; \
                 make a new bus in the child"
                    .into(),
            ));
        }
        Ok(())
    }
}

extern "C" fn in_child() {
    GENERATION.fetch_add(1, Relaxed);
}
