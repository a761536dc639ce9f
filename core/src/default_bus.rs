//! The process-wide bus (Liferay's `MessageBusUtil`).

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering::AcqRel, Ordering::Acquire};

use crate::bus::MessageBus;

/// A default bus, made by the process `pid`; the one a forked child
/// inherited is `previous`.
struct Made {
    pid: u32,
    bus: MessageBus,
    previous: *const Made,
}

/// The latest default bus. Never freed: it lives as long as the process,
/// and one inherited through `fork()` cannot be shut down (its workers
/// stayed in the parent).
static LATEST: AtomicPtr<Made> = AtomicPtr::new(ptr::null_mut());

/// The process-wide bus, created on first use. It lives until the process
/// exits; shut it down explicitly to drain it before then. A child process
/// made by `fork()` gets a bus of its own on first use: the parent's has no
/// workers there. Each call reads the process id, a system call.
pub fn default_bus() -> &'static MessageBus {
    let pid = std::process::id();
    loop {
        let latest = LATEST.load(Acquire);
        // SAFETY: every pointer stored in LATEST is a leaked `Made`.
        if let Some(made) = unsafe { latest.as_ref() } {
            if made.pid == pid {
                return &made.bus;
            }
        }
        let fresh = Box::into_raw(Box::new(Made {
            pid,
            bus: MessageBus::new(),
            previous: latest,
        }));
        match LATEST.compare_exchange(latest, fresh, AcqRel, Acquire) {
            // SAFETY: leaked above, never freed from now on.
            Ok(_) => return unsafe { &(*fresh).bus },
            // Another thread made it first: ours never had workers.
            // SAFETY: not published, so still ours.
            Err(_) => drop(unsafe { Box::from_raw(fresh) }),
        }
    }
}

/// Whether `bus` is a default bus of this process or of a parent it was
/// forked from: a handle that nobody frees.
pub fn is_default_bus(bus: &MessageBus) -> bool {
    let mut made = LATEST.load(Acquire).cast_const();
    // SAFETY: the chain of leaked `Made`s, never freed.
    while let Some(entry) = unsafe { made.as_ref() } {
        if ptr::eq(&entry.bus, bus) {
            return true;
        }
        made = entry.previous;
    }
    false
}
