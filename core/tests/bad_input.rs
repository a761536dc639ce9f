//! Bad input gets a typed error, never a panic.

use msgbus::{DestinationConfig, DestinationType, Error, MessageBus};

#[test]
fn bad_names_are_invalid_arguments() {
    let bus = MessageBus::new();
    for name in ["", "acme/\0nul"] {
        assert!(matches!(
            bus.add_destination(name, DestinationType::Serial),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            bus.register_listener(name, |_| Ok(())),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            bus.add_event_listener(Some(name), |_| {}),
            Err(Error::InvalidArgument(_))
        ));
    }
    assert!(bus.destination_names().iter().all(|n| !n.is_empty()));
}

#[test]
fn bad_configurations_are_invalid_arguments() {
    let bus = MessageBus::new();
    for config in [
        DestinationConfig::new(DestinationType::Parallel).workers(0, 5),
        DestinationConfig::new(DestinationType::Parallel).workers(6, 5),
        DestinationConfig::new(DestinationType::Parallel).max_queue_size(0),
    ] {
        assert!(matches!(
            bus.add_destination_with_config("acme/bad", config),
            Err(Error::InvalidArgument(_))
        ));
    }
    assert!(!bus.has_destination("acme/bad"));
}

#[test]
fn unknown_types_duplicates_and_unknown_names_are_typed_errors() {
    assert!(matches!(
        "fifo".parse::<DestinationType>(),
        Err(Error::InvalidArgument(_))
    ));
    let bus = MessageBus::new();
    bus.add_destination("acme/x", DestinationType::Serial)
        .unwrap();
    assert_eq!(
        bus.add_destination("acme/x", DestinationType::Parallel),
        Err(Error::DestinationExists("acme/x".into()))
    );
    assert_eq!(
        bus.destination_statistics("acme/none"),
        Err(Error::NoSuchDestination("acme/none".into()))
    );
}
