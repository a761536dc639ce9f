//! msgbus_runtime: a language runtime's lock, as C hooks.

use std::sync::Mutex;

use msgbus_abi::*;
use msgbus_core::{Runtime, RuntimeHooks};

use crate::boundary::*;

impl Castable for msgbus_runtime {
    type Rust = Runtime;
}

/// Every runtime registered: they live as long as the process, and stay
/// reachable from here rather than leak.
static REGISTERED: Mutex<Vec<&'static Runtime>> = Mutex::new(Vec::new());

/// The hooks of msgbus_runtime_register, each checked to be there.
struct CHooks {
    user_data: *mut core::ffi::c_void,
    enter: unsafe extern "C" fn(*mut core::ffi::c_void) -> usize,
    leave: unsafe extern "C" fn(*mut core::ffi::c_void, usize),
    suspend: unsafe extern "C" fn(*mut core::ffi::c_void) -> usize,
    resume: unsafe extern "C" fn(*mut core::ffi::c_void, usize),
    interrupted: Option<unsafe extern "C" fn(*mut core::ffi::c_void) -> bool>,
}

// SAFETY: msgbus_runtime_register documents that the hooks are called on
// any thread, with `user_data`.
unsafe impl Send for CHooks {}
unsafe impl Sync for CHooks {}

impl RuntimeHooks for CHooks {
    fn enter(&self) -> usize {
        // SAFETY: the registrant's hooks, on the thread concerned.
        unsafe { (self.enter)(self.user_data) }
    }

    fn leave(&self, token: usize) {
        // SAFETY: as above.
        unsafe { (self.leave)(self.user_data, token) }
    }

    fn suspend(&self) -> usize {
        // SAFETY: as above.
        unsafe { (self.suspend)(self.user_data) }
    }

    fn resume(&self, token: usize) {
        // SAFETY: as above.
        unsafe { (self.resume)(self.user_data, token) }
    }

    fn interrupted(&self) -> bool {
        // SAFETY: as above.
        self.interrupted
            .is_some_and(|interrupted| unsafe { interrupted(self.user_data) })
    }
}

/// Registers a language runtime with a global lock (CPython's GIL) for
/// the life of the process; `*out_runtime` is the handle to register its
/// listeners with (msgbus_bus_register_listener_in_runtime), valid until
/// the process exits, never freed. From now on:
/// - a listener of the runtime is called inside `enter`/`leave`; a worker
///   stays inside for a run of such calls, and leaves before it waits for
///   work or calls a listener of another runtime or of none;
/// - before the bus calls a listener of no runtime on a thread that may
///   hold the lock, or blocks a thread (room in a queue, a listener's
///   running calls, a reply, workers), it calls `suspend`, and `resume`
///   after.
///
/// A thread that holds the lock and waits inside the bus for room in a full
/// queue or for a listener's running calls asks `interrupted` (when given)
/// every 50 ms whether to give up; such a call then returns
/// MSGBUS_RESULT_INTERRUPTED.
///
/// The hooks are copied; all but `interrupted` are required. A process
/// registers at most 8 runtimes (MSGBUS_RESULT_INVALID_ARGUMENT after
/// that).
///
/// # Safety
/// `hooks` NULL or readable; its functions callable with its `user_data`
/// from any thread, for the life of the process.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_runtime_register(
    hooks: *const msgbus_runtime_hooks,
    out_runtime: *mut *const msgbus_runtime,
) -> msgbus_result {
    guard(|| {
        let out_runtime = out(out_runtime, "out_runtime")?;
        // SAFETY: per the contract.
        let hooks = unsafe { hooks.as_ref() }.ok_or_else(|| null("hooks"))?;
        let hooks = CHooks {
            user_data: hooks.user_data,
            enter: required(hooks.enter, "hooks->enter")?,
            leave: required(hooks.leave, "hooks->leave")?,
            suspend: required(hooks.suspend, "hooks->suspend")?,
            resume: required(hooks.resume, "hooks->resume")?,
            interrupted: hooks.interrupted,
        };
        let runtime: &'static Runtime = Box::leak(Box::new(Runtime::register(hooks)?));
        REGISTERED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(runtime);
        // SAFETY: checked by `out`.
        unsafe { put(out_runtime, to_handle::<msgbus_runtime>(runtime)) };
        Ok(())
    })
}
