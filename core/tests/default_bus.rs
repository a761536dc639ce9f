//! The process-wide default bus.

mod common;

use common::PATIENCE;
use std::time::{Duration, Instant};

use msgbus::{DestinationType, ListenerError, MessageBus, default_bus, is_default_bus};

#[test]
fn the_default_bus_is_one_bus_for_the_whole_process() {
    assert!(std::ptr::eq(default_bus(), default_bus()));
    let from_thread = std::thread::spawn(|| default_bus() as *const _ as usize)
        .join()
        .unwrap();
    assert_eq!(from_thread, default_bus() as *const _ as usize);
    default_bus()
        .add_destination("acme/global", DestinationType::Parallel)
        .unwrap();
    default_bus()
        .register_listener("acme/global", |m| {
            default_bus()
                .reply(m, "pong")
                .map_err(|e| ListenerError::new(e.to_string()))
        })
        .unwrap();
    let reply = default_bus().send_synchronous("acme/global", "ping", PATIENCE);
    assert_eq!(reply.unwrap().as_str(), Some("pong"));
}

/// A child made by `fork()` has none of its parent's workers: its default
/// bus is a new one, and the inherited one is still known as a default
/// bus (a handle nobody frees).
#[test]
fn a_forked_child_gets_a_default_bus_of_its_own() {
    let parent = default_bus() as *const MessageBus;
    // SAFETY: the child only runs the code below and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let child = default_bus();
        let works = || -> Result<bool, msgbus::Error> {
            child.add_destination("acme/child", DestinationType::Serial)?;
            let weak = child.downgrade();
            child.register_listener("acme/child", move |m| {
                let bus = weak.upgrade().ok_or("gone")?;
                bus.reply(m, "child")
                    .map_err(|e| ListenerError::new(e.to_string()))
            })?;
            let reply = child.send_synchronous("acme/child", "q", PATIENCE)?;
            Ok(reply.as_str() == Some("child"))
        };
        // SAFETY: `parent` is the leaked default bus the child inherited.
        let inherited = unsafe { &*parent };
        let ok = !std::ptr::eq(child, parent)
            && is_default_bus(child)
            && is_default_bus(inherited)
            && std::ptr::eq(child, default_bus())
            && works().unwrap_or(false);
        // SAFETY: leaves the child without running the harness's exit code.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let deadline = Instant::now() + PATIENCE;
    let mut status = 0;
    // SAFETY: waits for our own child.
    while unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == 0 {
        if Instant::now() > deadline {
            // SAFETY: our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the child hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child status {status}"
    );
    assert!(
        std::ptr::eq(default_bus(), parent),
        "the parent keeps its bus"
    );
}
