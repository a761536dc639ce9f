//! The wire format (SPEC §8): one MessagePack map per message, which
//! Python's `msgpack` reads:
//! `{v, id, origin, destination, payload, values, response_destination,
//! response_id}`. Payload and values are nil, bool, int, float, str or
//! bin; an object value cannot leave its process.

use std::fmt;

use msgbus::{Error, Message, Result, Value};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// The envelope's version; a reader ignores fields it does not know.
const VERSION: u32 = 1;

/// The value under which an inbound message carries the node it came
/// from: also the mark that keeps it from being forwarded again.
pub const ORIGIN: &str = "msgbus.origin";
/// The value under which an inbound message carries its message id,
/// `origin:number`: a durable mode's duplicates have the same one.
pub const MESSAGE_ID: &str = "msgbus.message_id";

#[derive(Serialize)]
struct Outbound<'a> {
    v: u32,
    id: &'a str,
    origin: &'a str,
    destination: &'a str,
    payload: Wire<'a>,
    values: Values<'a>,
    response_destination: Option<&'a str>,
    response_id: Option<&'a str>,
}

/// What an inbound envelope says.
#[derive(Deserialize)]
pub(crate) struct Inbound {
    pub(crate) id: String,
    pub(crate) origin: String,
    pub(crate) destination: String,
    #[serde(default)]
    payload: Owned,
    #[serde(default)]
    values: OwnedValues,
    #[serde(default)]
    response_destination: Option<String>,
    #[serde(default)]
    response_id: Option<String>,
}

/// `message`, bound for `destination`, as an envelope; an object value
/// is refused, naming where it is.
pub(crate) fn encode(
    destination: &str,
    id: &str,
    origin: &str,
    message: &Message,
) -> Result<Vec<u8>> {
    portable(destination, "the payload", message.payload())?;
    for (key, value) in message.values() {
        portable(destination, key, value)?;
    }
    let envelope = Outbound {
        v: VERSION,
        id,
        origin,
        destination,
        payload: Wire(message.payload()),
        values: Values(message),
        response_destination: message.response_destination_name().map(|n| n.as_str()),
        response_id: message.response_id().map(|n| n.as_str()),
    };
    rmp_serde::to_vec_named(&envelope)
        .map_err(|e| Error::InvalidArgument(format!("{destination}: {e}")))
}

/// A reply's payload, on its own (a reply travels to one waiting sender).
pub(crate) fn encode_value(destination: &str, value: &Value) -> Result<Vec<u8>> {
    portable(destination, "the reply", value)?;
    rmp_serde::to_vec(&Wire(value))
        .map_err(|e| Error::InvalidArgument(format!("{destination}: {e}")))
}

pub(crate) fn decode_value(bytes: &[u8]) -> Option<Value> {
    rmp_serde::from_slice::<Owned>(bytes).ok().map(|v| v.0)
}

pub(crate) fn decode(bytes: &[u8]) -> Option<Inbound> {
    rmp_serde::from_slice(bytes).ok()
}

impl Inbound {
    /// The message to send locally: payload, values, response fields, and
    /// the marks [`ORIGIN`] and [`MESSAGE_ID`].
    pub(crate) fn into_message(self) -> Message {
        let mut message = Message::with_payload(self.payload.0);
        for (key, value) in self.values.0 {
            message.put(&key, value);
        }
        message.put(ORIGIN, self.origin);
        message.put(MESSAGE_ID, self.id);
        if let Some(to) = self.response_destination.as_deref() {
            message.set_response_destination_name(Some(to));
        }
        if let Some(id) = self.response_id.as_deref() {
            message.set_response_id(Some(id));
        }
        message
    }
}

fn portable(destination: &str, key: &str, value: &Value) -> Result<()> {
    if matches!(value, Value::Object(_)) {
        return Err(Error::InvalidArgument(format!(
            "{destination}: {key} is an object, which cannot leave its process; \
             a bridged destination carries null, bool, int, double, string and bytes"
        )));
    }
    Ok(())
}

struct Wire<'a>(&'a Value);

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null | Value::Object(_) => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Double(d) => s.serialize_f64(*d),
            Value::String(text) => s.serialize_str(text),
            Value::Bytes(bytes) => s.serialize_bytes(bytes),
        }
    }
}

struct Values<'a>(&'a Message);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (key, value) in self.0.values() {
            map.serialize_entry(key.as_str(), &Wire(value))?;
        }
        map.end()
    }
}

#[derive(Default)]
struct Owned(Value);

impl<'de> Deserialize<'de> for Owned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(OwnedVisitor)
    }
}

struct OwnedVisitor;

impl<'de> Visitor<'de> for OwnedVisitor {
    type Value = Owned;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nil, a bool, an int, a float, a str or a bin")
    }
    fn visit_unit<E>(self) -> std::result::Result<Owned, E> {
        Ok(Owned(Value::Null))
    }
    fn visit_none<E>(self) -> std::result::Result<Owned, E> {
        Ok(Owned(Value::Null))
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Owned, E> {
        Ok(Owned(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Owned, E> {
        Ok(Owned(Value::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Owned, E> {
        i64::try_from(v)
            .map(|v| Owned(Value::Int(v)))
            .map_err(|_| E::custom("an int beyond i64"))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Owned, E> {
        Ok(Owned(Value::Double(v)))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Owned, E> {
        Ok(Owned(Value::from(v)))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> std::result::Result<Owned, E> {
        Ok(Owned(Value::from(v)))
    }
}

#[derive(Default)]
struct OwnedValues(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for OwnedValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct MapVisitor;
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = OwnedValues;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of str to values")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<OwnedValues, A::Error> {
                let mut values = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((key, value)) = map.next_entry::<String, Owned>()? {
                    values.push((key, value.0));
                }
                Ok(OwnedValues(values))
            }
        }
        d.deserialize_map(MapVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_crosses_with_its_payload_values_and_response_fields() {
        let mut message = Message::with_payload(vec![0u8, 1, 2]);
        message.put("seq", 7);
        message.put("ratio", 0.5);
        message.put("who", "baker");
        message.put("flag", true);
        message.set_response_destination_name(Some("acme/reply"));
        message.set_response_id(Some("r-1"));
        let bytes = encode("acme/n8k5_able", "n1:1", "n1", &message).unwrap();
        let inbound = decode(&bytes).unwrap();
        assert_eq!(inbound.destination, "acme/n8k5_able");
        let back = inbound.into_message();
        assert_eq!(back.payload().as_bytes(), Some(&[0u8, 1, 2][..]));
        assert_eq!(back.get("seq").and_then(Value::as_int), Some(7));
        assert_eq!(back.get("ratio").and_then(Value::as_double), Some(0.5));
        assert_eq!(back.get("who").and_then(Value::as_str), Some("baker"));
        assert_eq!(back.get("flag").and_then(Value::as_bool), Some(true));
        assert_eq!(back.get(ORIGIN).and_then(Value::as_str), Some("n1"));
        assert_eq!(back.get(MESSAGE_ID).and_then(Value::as_str), Some("n1:1"));
        assert_eq!(
            back.response_destination_name().map(|n| n.as_str()),
            Some("acme/reply")
        );
        assert_eq!(back.response_id().map(|n| n.as_str()), Some("r-1"));
    }

    #[test]
    fn an_object_value_is_refused_naming_its_key() {
        let mut message = Message::with_payload("x");
        message.put("handle", msgbus::Object::new(5u8));
        match encode("d", "n:1", "n", &message) {
            Err(Error::InvalidArgument(why)) => assert!(why.contains("handle"), "{why}"),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn a_reply_payload_crosses_alone() {
        let bytes = encode_value("d", &Value::from("pong")).unwrap();
        assert_eq!(
            decode_value(&bytes).as_ref().and_then(Value::as_str),
            Some("pong")
        );
    }
}
