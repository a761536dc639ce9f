//! The core this extension drives: a libmsgbus.so.0 found at import, and
//! its function table.
//!
//! The extension contains no bus. At import it looks for the core the
//! process already has, so that Python shares buses with C and C++ code
//! in the same process, in this order: the file `MSGBUS_LIBRARY` names;
//! a core in the global scope (a C or C++ host linked with libmsgbus, or
//! a static host that exports `msgbus_api_get`); a libmsgbus.so.0 loaded
//! already by name (a C extension imported earlier); the copy shipped in
//! this package. Every call then goes through the core's `msgbus_api`.

use std::ffi::{CStr, CString, c_char, c_void};
use std::path::PathBuf;
use std::sync::OnceLock;

use msgbus_abi::{MSGBUS_ABI_VERSION, msgbus_api};
use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;

/// The library's file name, which is also its SONAME.
const LIBRARY: &str = "libmsgbus.so.0";

/// The symbol every usable core exports.
const ENTRY: &CStr = c"msgbus_api_get";

static API: OnceLock<&'static msgbus_api> = OnceLock::new();

/// The core's function table. Valid once the module is initialised, which
/// is before any Python code can call into it.
pub(crate) fn api() -> &'static msgbus_api {
    API.get()
        .expect("the msgbus core is loaded when the module initialises")
}

/// Finds the core, checks that this extension can use it, and keeps its
/// table; an `ImportError` that names what was found otherwise.
pub(crate) fn load() -> PyResult<()> {
    if API.get().is_some() {
        return Ok(());
    }
    let (entry, origin) = find()?;
    // SAFETY: `msgbus_api_get` takes nothing and returns a static table.
    let table = unsafe { entry() };
    // SAFETY: a non-NULL table from msgbus_api_get is static and starts
    // with its size and ABI version, in every version of the library.
    let Some(table) = (unsafe { table.as_ref() }) else {
        return Err(PyImportError::new_err(format!(
            "msgbus: {origin} gave no function table"
        )));
    };
    let needed = size_of::<msgbus_api>();
    if table.abi_version != MSGBUS_ABI_VERSION || table.size < needed {
        // SAFETY: `version` is the first function of every table.
        let version = unsafe { CStr::from_ptr((table.version)()) }.to_string_lossy();
        return Err(PyImportError::new_err(format!(
            "msgbus {ours} needs libmsgbus ABI {MSGBUS_ABI_VERSION} with a table of {needed} \
             bytes; {origin} is libmsgbus {version}, ABI {abi}, table of {size} bytes. Set \
             MSGBUS_LIBRARY to a libmsgbus.so.0 of version {ours}, or install the msgbus \
             package that matches the library.",
            ours = env!("CARGO_PKG_VERSION"),
            abi = table.abi_version,
            size = table.size,
        )));
    }
    let _ = API.set(table);
    Ok(())
}

type Entry = unsafe extern "C" fn() -> *const msgbus_api;

/// The core's entry point, and where it was found (for error messages).
fn find() -> PyResult<(Entry, String)> {
    if let Some(path) = std::env::var_os("MSGBUS_LIBRARY") {
        let path = PathBuf::from(path);
        let origin = format!("{} (MSGBUS_LIBRARY)", path.display());
        return open(&path.to_string_lossy(), 0, &origin)?
            .map(|entry| (entry, origin.clone()))
            .ok_or_else(|| missing_entry(&origin));
    }
    // SAFETY: looking a symbol up in the global scope has no side effect.
    let global = unsafe { libc::dlsym(libc::RTLD_DEFAULT, ENTRY.as_ptr()) };
    if !global.is_null() {
        // SAFETY: a symbol of that name is the entry point of a core.
        return Ok((
            unsafe { std::mem::transmute::<*mut c_void, Entry>(global) },
            resident(global),
        ));
    }
    if let Some(entry) = open(LIBRARY, libc::RTLD_NOLOAD, LIBRARY)? {
        return Ok((entry, resident(entry as *mut c_void)));
    }
    let bundled = bundled_library();
    let origin = bundled.display().to_string();
    open(&origin, 0, &origin)?
        .map(|entry| (entry, origin.clone()))
        .ok_or_else(|| missing_entry(&origin))
}

/// `dlopen(name, RTLD_NOW | flags)` and the entry point in it: `None` when
/// `RTLD_NOLOAD` finds nothing loaded, or the file has no entry point.
fn open(name: &str, flags: libc::c_int, origin: &str) -> PyResult<Option<Entry>> {
    let c_name = CString::new(name).map_err(|_| PyImportError::new_err("msgbus: NUL in path"))?;
    // SAFETY: dlopen takes a NUL-terminated name; it may run the library's
    // initialisers, which libmsgbus does not have.
    let handle = unsafe { libc::dlopen(c_name.as_ptr(), libc::RTLD_NOW | flags) };
    if handle.is_null() {
        if flags & libc::RTLD_NOLOAD != 0 {
            return Ok(None);
        }
        return Err(PyImportError::new_err(format!(
            "msgbus: cannot load its core {origin}: {}",
            dlerror()
        )));
    }
    // SAFETY: `handle` is a live handle from dlopen.
    let entry = unsafe { libc::dlsym(handle, ENTRY.as_ptr()) };
    // SAFETY: the symbol is the entry point of a core.
    Ok((!entry.is_null()).then(|| unsafe { std::mem::transmute::<*mut c_void, Entry>(entry) }))
}

fn missing_entry(origin: &str) -> PyErr {
    PyImportError::new_err(format!(
        "msgbus: {origin} is not a libmsgbus this package can use: it has no msgbus_api_get \
         (libmsgbus before 0.1 has none)"
    ))
}

fn dlerror() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated message.
    let message = unsafe { libc::dlerror() };
    if message.is_null() {
        return "unknown error".into();
    }
    // SAFETY: as above.
    unsafe { CStr::from_ptr(message) }
        .to_string_lossy()
        .into_owned()
}

/// "the core already in this process, at <path>".
fn resident(symbol: *mut c_void) -> String {
    format!(
        "the core already in this process ({})",
        file_of(symbol).display()
    )
}

/// The file holding `address`, per the loader.
fn file_of(address: *const c_void) -> PathBuf {
    // SAFETY: dladdr only reads the loader's tables into `info`.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    if unsafe { libc::dladdr(address, &mut info) } == 0 || info.dli_fname.is_null() {
        return PathBuf::new();
    }
    // SAFETY: the loader's NUL-terminated file name.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    PathBuf::from(name.to_string_lossy().into_owned())
}

/// The libmsgbus.so.0 shipped beside this extension module.
fn bundled_library() -> PathBuf {
    let here = file_of(bundled_library as *const c_void);
    here.parent()
        .map(|dir| dir.join(LIBRARY))
        .unwrap_or_else(|| LIBRARY.into())
}

/// `_core_info()`: the path, version and ABI of the core in use.
#[pyfunction]
pub(crate) fn _core_info() -> (String, String, u32) {
    let api = api();
    let text = |ptr: *const c_char| {
        // SAFETY: the core's static, NUL-terminated strings.
        unsafe { CStr::from_ptr(ptr) }
            .to_string_lossy()
            .into_owned()
    };
    // SAFETY: calls through the checked table.
    unsafe {
        (
            text((api.core_path)()),
            text((api.version)()),
            api.abi_version,
        )
    }
}
