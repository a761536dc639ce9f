//! The calling thread's name, as msgbus named its workers.

use std::ffi::{CString, c_char};
use std::ptr;

use crate::boundary::guard_or;

thread_local! {
    static NAME: Option<CString> = std::thread::current()
        .name()
        .and_then(|name| CString::new(name).ok());
}

/// The name of the calling thread as the bus gave it: a worker's full name,
/// such as "acme/n8k5_able-1" (the OS keeps only 15 bytes of it, which is
/// all pthread_getname_np returns). NULL on a thread that has no such name,
/// such as a C program's own threads. Valid until the thread exits; never
/// free it.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_thread_name() -> *const c_char {
    guard_or(ptr::null(), || {
        NAME.with(|name| name.as_ref().map_or(ptr::null(), |name| name.as_ptr()))
    })
}
