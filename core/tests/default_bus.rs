//! The process-wide default bus.

mod common;

use common::PATIENCE;
use msgbus::{DestinationType, ListenerError, default_bus};

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
