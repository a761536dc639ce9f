//! Helpers shared by the integration tests: latches and recorders for
//! synchronising with workers without sleeping, and a log capture.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use msgbus::{ListenerError, Message};
use parking_lot::{Condvar, Mutex};

/// Long enough that only a deadlock or a lost message reaches it.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A count-down latch.
#[derive(Clone)]
pub struct Latch(Arc<(Mutex<usize>, Condvar)>);

impl Latch {
    pub fn new(count: usize) -> Self {
        Latch(Arc::new((Mutex::new(count), Condvar::new())))
    }

    pub fn count_down(&self) {
        let mut n = self.0.0.lock();
        *n = n.saturating_sub(1);
        if *n == 0 {
            self.0.1.notify_all();
        }
    }

    /// Waits until the count reaches zero; false after [`PATIENCE`].
    pub fn wait(&self) -> bool {
        let mut n = self.0.0.lock();
        let deadline = std::time::Instant::now() + PATIENCE;
        while *n > 0 {
            if self.0.1.wait_until(&mut n, deadline).timed_out() {
                return *n == 0;
            }
        }
        true
    }

    pub fn count(&self) -> usize {
        *self.0.0.lock()
    }
}

/// A latch that blocks listeners until it is opened.
#[derive(Clone)]
pub struct Valve(Latch);

impl Valve {
    pub fn closed() -> Self {
        Valve(Latch::new(1))
    }

    pub fn open(&self) {
        self.0.count_down();
    }

    pub fn pass(&self) {
        assert!(self.0.wait(), "valve never opened");
    }
}

/// Records what listeners saw, in order.
#[derive(Clone, Default)]
pub struct Recorder<T>(Arc<Mutex<Vec<T>>>);

impl<T: Clone> Recorder<T> {
    pub fn new() -> Self {
        Recorder(Arc::new(Mutex::new(Vec::new())))
    }

    pub fn push(&self, item: T) {
        self.0.lock().push(item);
    }

    pub fn items(&self) -> Vec<T> {
        self.0.lock().clone()
    }

    pub fn len(&self) -> usize {
        self.0.lock().len()
    }
}

/// A listener that records each payload's integer and counts a latch down.
pub fn recording(
    recorder: &Recorder<i64>,
    latch: &Latch,
) -> impl Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static {
    let (recorder, latch) = (recorder.clone(), latch.clone());
    move |m| {
        recorder.push(m.payload().as_int().expect("integer payloads"));
        latch.count_down();
        Ok(())
    }
}

/// A listener that counts `entered` down, then waits for `valve`: it holds
/// its worker (and, serial, its queue) until the test opens the valve.
pub fn held(
    valve: &Valve,
    entered: &Latch,
) -> impl Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static {
    let (valve, entered) = (valve.clone(), entered.clone());
    move |_| {
        entered.count_down();
        valve.pass();
        Ok(())
    }
}

/// `listener`, called once `valve` is open.
pub fn after(
    valve: &Valve,
    listener: impl Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static,
) -> impl Fn(&Message) -> Result<(), ListenerError> + Send + Sync + 'static {
    let valve = valve.clone();
    move |m| {
        valve.pass();
        listener(m)
    }
}

/// The name of the thread running this code.
pub fn thread_name() -> String {
    std::thread::current().name().unwrap_or("").to_string()
}

/// Log records captured from the `log` facade in this test binary.
pub mod logs {
    use parking_lot::Mutex;
    use std::sync::Once;

    static RECORDS: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());

    struct Capture;

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata) -> bool {
            true
        }
        fn log(&self, record: &log::Record) {
            RECORDS
                .lock()
                .push((record.level(), record.args().to_string()));
        }
        fn flush(&self) {}
    }

    pub fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            log::set_logger(&Capture).unwrap();
            log::set_max_level(log::LevelFilter::Debug);
        });
    }

    /// Captured records at `level` whose text contains `needle`.
    pub fn matching(level: log::Level, needle: &str) -> Vec<String> {
        RECORDS
            .lock()
            .iter()
            .filter(|(l, text)| *l == level && text.contains(needle))
            .map(|(_, text)| text.clone())
            .collect()
    }
}
