//! What the library says of itself: its version, the file it was loaded
//! from, and the table of its functions for bindings that load it at run
//! time.

use std::ffi::{CStr, CString, c_char};
use std::sync::OnceLock;

use msgbus_abi::*;

use crate::boundary::guard_or;

/// The library's version, "MAJOR.MINOR.PATCH": static, never NULL, never
/// freed. Compare it with MSGBUS_VERSION from the header you compiled with.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The path of the file this library's code was loaded from: the
/// libmsgbus.so.0 the process uses, or the program itself when it links
/// libmsgbus.a. Two components of a process share buses exactly when they
/// report the same path. Static, never NULL (empty if unknown), never freed.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_core_path() -> *const c_char {
    static PATH: OnceLock<CString> = OnceLock::new();
    guard_or(c"".as_ptr(), || PATH.get_or_init(loaded_from).as_ptr())
}

/// The canonical path of the object holding this function.
fn loaded_from() -> CString {
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let here = msgbus_core_path as *const libc::c_void;
    // SAFETY: dladdr only reads the loader's tables; `info` is writable.
    let found = unsafe { libc::dladdr(here, &mut info) } != 0 && !info.dli_fname.is_null();
    // SAFETY: dladdr's file name is NUL-terminated and lives as long as the object.
    let name = found.then(|| unsafe { CStr::from_ptr(info.dli_fname) }.to_string_lossy());
    // The main program's file may be reported by its bare name, or not at all.
    let path = match name.as_deref() {
        Some(name) if name.contains('/') => std::fs::canonicalize(name).ok(),
        _ => std::fs::read_link("/proc/self/exe").ok(),
    };
    path.and_then(|p| CString::new(p.into_os_string().into_encoded_bytes()).ok())
        .unwrap_or_default()
}

/// The table of every function of this library (see msgbus_api), for a
/// binding that loads it at run time and calls it without linking it.
/// Static, never NULL, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn msgbus_api_get() -> *const msgbus_api {
    &crate::api::API
}
