//! A thread that takes the GIL once the interpreter is finalizing.
//!
//! CPython before 3.14 ends such a thread with `pthread_exit`, whose
//! forced unwind aborts the process when it reaches an `extern "C"` frame
//! of Rust (a hook or a callback of the core), and elsewhere runs Rust
//! destructors without the GIL. A worker whose listener was still running
//! at exit (in `time.sleep`, on a lock, in C code) takes the GIL back
//! exactly then. So while this extension may take the GIL, the thread is
//! guarded: a handler on glibc's cleanup list (the compatibility
//! `_pthread_cleanup_push`) that the forced unwind runs before any Rust
//! frame, because its buffer lies outside every thread stack, and that
//! never returns. The thread hangs until the process ends, as CPython 3.14
//! makes it.

use std::marker::PhantomData;

/// Guards this thread while alive; guards nest.
pub(crate) struct Guard(PhantomData<*const ()>);

impl Guard {
    pub(crate) fn new() -> Self {
        guard();
        Guard(PhantomData)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        unguard();
    }
}

pub(crate) use imp::{guard, unguard};

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    use std::cell::{Cell, UnsafeCell};
    use std::ffi::{c_int, c_void};
    use std::ptr;
    use std::time::Duration;

    /// glibc's `struct _pthread_cleanup_buffer`.
    #[repr(C)]
    struct CleanupBuffer {
        routine: Option<unsafe extern "C" fn(*mut c_void)>,
        arg: *mut c_void,
        canceltype: c_int,
        prev: *mut CleanupBuffer,
    }

    unsafe extern "C" {
        fn _pthread_cleanup_push(
            buffer: *mut CleanupBuffer,
            routine: unsafe extern "C" fn(*mut c_void),
            arg: *mut c_void,
        );
        fn _pthread_cleanup_pop(buffer: *mut CleanupBuffer, execute: c_int);
    }

    /// A thread's handler, on the list while `depth` > 0.
    struct Slot {
        depth: Cell<usize>,
        /// Boxed: the unwinder runs every handler whose buffer lies beyond
        /// the frame it leaves, and a buffer off the stack lies beyond the
        /// first one.
        buffer: Box<UnsafeCell<CleanupBuffer>>,
    }

    thread_local! {
        static SLOT: Slot = Slot {
            depth: Cell::new(0),
            buffer: Box::new(UnsafeCell::new(CleanupBuffer {
                routine: None,
                arg: ptr::null_mut(),
                canceltype: 0,
                prev: ptr::null_mut(),
            })),
        };
    }

    /// Run by `pthread_exit` on a guarded thread: waits for the process to
    /// end, so the unwind never reaches a Rust frame.
    unsafe extern "C" fn hang(_: *mut c_void) {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }

    /// Guards this thread until the matching [`unguard`]. Unguarded while
    /// its thread-locals are destroyed.
    pub(crate) fn guard() {
        let _ = SLOT.try_with(|slot| {
            let depth = slot.depth.get();
            if depth == 0 {
                // SAFETY: this thread's buffer, off the list until popped.
                unsafe { _pthread_cleanup_push(slot.buffer.get(), hang, ptr::null_mut()) };
            }
            slot.depth.set(depth + 1);
        });
    }

    /// Undoes the newest [`guard`] of this thread.
    pub(crate) fn unguard() {
        let _ = SLOT.try_with(|slot| {
            let depth = slot.depth.get() - 1;
            slot.depth.set(depth);
            if depth == 0 {
                // SAFETY: pushed by `guard` on this thread; whatever was
                // pushed after it has been popped (handlers nest).
                unsafe { _pthread_cleanup_pop(slot.buffer.get(), 0) };
            }
        });
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    //! Elsewhere `pthread_exit` does not unwind through Rust frames.
    pub(crate) fn guard() {}
    pub(crate) fn unguard() {}
}
