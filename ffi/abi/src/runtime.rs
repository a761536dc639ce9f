//! msgbus_runtime: a language runtime with a global lock.

use core::ffi::c_void;

/// A language runtime with a global lock, such as CPython with its GIL,
/// registered with msgbus_runtime_register for the life of the process.
/// A listener registered in it (msgbus_bus_register_listener_in_runtime)
/// runs holding the runtime's lock; listeners of no runtime, and every
/// wait inside the bus, run with it let go of.
pub struct msgbus_runtime {
    _private: [u8; 0],
}

/// How the bus takes and lets go of a runtime's lock on the calling
/// thread. Each function is called with `user_data` on the thread whose
/// lock it concerns, and gets its token back on that thread.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct msgbus_runtime_hooks {
    pub user_data: *mut c_void,
    /// Takes the lock on this thread, which may hold it already; returns
    /// what `leave` needs to undo exactly this.
    pub enter: Option<unsafe extern "C" fn(user_data: *mut c_void) -> usize>,
    /// Undoes the `enter` that returned `token`.
    pub leave: Option<unsafe extern "C" fn(user_data: *mut c_void, token: usize)>,
    /// Lets go of the lock if this thread holds it; returns what `resume`
    /// needs to take it back.
    pub suspend: Option<unsafe extern "C" fn(user_data: *mut c_void) -> usize>,
    /// Undoes the `suspend` that returned `token`.
    pub resume: Option<unsafe extern "C" fn(user_data: *mut c_void, token: usize)>,
    /// May be NULL. Whether this thread, which holds the lock and waits
    /// inside the bus (for room in a full queue, or for a listener's running
    /// calls to end), should stop waiting: asked every 50 ms of such a
    /// wait, which then ends with MSGBUS_RESULT_INTERRUPTED.
    pub interrupted: Option<unsafe extern "C" fn(user_data: *mut c_void) -> bool>,
}
