//! msgbus_destination: a handle that sends to one destination.

/// Sends to the destination of one name without looking the name up per
/// send; made by msgbus_bus_destination, freed by msgbus_destination_free.
/// Once that destination is replaced or removed it sends by the name (to
/// the replacement, or as to an unknown name). It does not keep its bus
/// alive. Every function may be called on it from any thread at once.
pub struct msgbus_destination {
    _private: [u8; 0],
}
