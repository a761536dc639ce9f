//! The seed scenario of Liferay's message bus guide, through the Rust API:
//! `N8K5CharlieMessageListener` on the serial destination `acme/n8k5_able`
//! answers `N8K5Baker#_activate` by replying to the response destination
//! `acme/n8k5_baker`, where the `N8K5Baker` listener receives the reply.
//!
//! Run with `cargo run -p msgbus --example seed` (or `make demo`).

use std::sync::mpsc;
use std::thread;

use msgbus::{DestinationType, ListenerError, Message, MessageBus};

fn log(class: &str, text: &str) {
    let thread = thread::current();
    println!("INFO [{}][{class}] {text}", thread.name().unwrap_or("main"));
}

fn main() -> Result<(), msgbus::Error> {
    let bus = MessageBus::new();
    bus.add_destination("acme/n8k5_able", DestinationType::Serial)?;
    bus.add_destination("acme/n8k5_baker", DestinationType::Serial)?;

    let weak = bus.downgrade();
    bus.register_listener("acme/n8k5_able", move |message| {
        log(
            "N8K5CharlieMessageListener",
            &format!("Received message payload {}", message.payload()),
        );
        let bus = weak.upgrade().ok_or("the bus is gone")?;
        bus.reply(message, "N8K5CharlieMessageListener")
            .map_err(|e| ListenerError::new(e.to_string()))
    })?;

    let (replied, reply) = mpsc::sync_channel(1);
    bus.register_listener("acme/n8k5_baker", move |message| {
        log(
            "N8K5Baker",
            &format!("Received message payload {}", message.payload()),
        );
        let _ = replied.try_send(());
        Ok(())
    })?;

    let message =
        Message::with_payload("N8K5Baker#_activate").with_response_destination("acme/n8k5_baker");
    log("N8K5Baker", "Sending message payload N8K5Baker#_activate");
    bus.send("acme/n8k5_able", message)?;
    reply.recv().expect("the reply listener is registered");
    bus.shutdown(false, None)
}
