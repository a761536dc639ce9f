//! Routes the bus's log records (the `log` facade) to a C log handler; by
//! default, warnings and errors go to stderr.

use std::ffi::{CString, c_char, c_void};
use std::sync::{Arc, Once, RwLock};

use msgbus_abi::*;

use crate::boundary::guard;
use crate::callback::UserData;

struct Handler {
    callback: unsafe extern "C" fn(*mut c_void, msgbus_log_level, *const c_char, *const c_char),
    user_data: UserData,
}

/// The handler in force. A record clones the Arc and calls it with the lock
/// released; the replaced handler's user data is freed when its last call ends.
static HANDLER: RwLock<Option<Arc<Handler>>> = RwLock::new(None);

struct Logger;

static LOGGER: Logger = Logger;

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let handler = HANDLER.read().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(handler) = handler else {
            eprintln!("msgbus {}: {}", record.level(), record.args());
            return;
        };
        let text = |s: String| CString::new(s.replace('\0', "\\0")).unwrap_or_default();
        let (target, message) = (
            text(record.target().to_string()),
            text(record.args().to_string()),
        );
        // SAFETY: the handler's registrant gave us callback and data.
        unsafe {
            (handler.callback)(
                handler.user_data.ptr(),
                record.level() as msgbus_log_level,
                target.as_ptr(),
                message.as_ptr(),
            )
        };
    }

    fn flush(&self) {}
}

/// Installs the logger once, before the first bus exists. If the process
/// already has a `log` logger (a Rust host), that one is kept.
pub(crate) fn install_logger() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(log::LevelFilter::Warn);
        }
    });
}

fn level_filter(level: msgbus_log_level) -> Option<log::LevelFilter> {
    Some(match level {
        MSGBUS_LOG_LEVEL_ERROR => log::LevelFilter::Error,
        MSGBUS_LOG_LEVEL_WARN => log::LevelFilter::Warn,
        MSGBUS_LOG_LEVEL_INFO => log::LevelFilter::Info,
        MSGBUS_LOG_LEVEL_DEBUG => log::LevelFilter::Debug,
        MSGBUS_LOG_LEVEL_TRACE => log::LevelFilter::Trace,
        _ => return None,
    })
}

/// Sends the records at `max_level` and more severe to `callback`, for the
/// whole process; a NULL `callback` goes back to the default (WARN and
/// ERROR to stderr). The previous handler's user_data_free runs once its
/// last call has returned. If this fails, `user_data_free` is not called.
///
/// # Safety
/// `callback` and `user_data_free` callable with `user_data` from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn msgbus_set_log_handler(
    max_level: msgbus_log_level,
    callback: msgbus_log_fn,
    user_data: *mut c_void,
    user_data_free: msgbus_free_fn,
) -> msgbus_result {
    guard(|| {
        let filter = level_filter(max_level).ok_or_else(|| {
            crate::boundary::Failure::new(
                MSGBUS_RESULT_INVALID_ARGUMENT,
                format!("unknown log level {max_level}"),
            )
        })?;
        install_logger();
        let handler = callback.map(|callback| {
            Arc::new(Handler {
                callback,
                user_data: UserData::new(user_data, user_data_free),
            })
        });
        log::set_max_level(if handler.is_some() {
            filter
        } else {
            log::LevelFilter::Warn
        });
        let previous = std::mem::replace(
            &mut *HANDLER.write().unwrap_or_else(|e| e.into_inner()),
            handler,
        );
        drop(previous);
        Ok(())
    })
}
