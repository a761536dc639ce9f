//! The message: a payload, a map of named values, and the fields used for
//! replies (Liferay's `Message`).

mod values;

use std::fmt;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use self::values::Values;
use crate::reply::Slot;
use crate::text::Text;
use crate::value::Value;

/// A message.
///
/// Small payloads, keys and values are stored in the message and large
/// ones are reference counted, so [`Clone`] copies no large payload or
/// value: delivering one message to N listeners shares it. The `values`
/// map is copied on write, so a sender that keeps a clone and changes it
/// after sending changes only its own copy.
///
/// Listeners receive `&Message`. The only field they can change is the
/// `response` slot ([`Message::set_response`]), which direct-synchronous
/// sending returns to the sender.
#[derive(Default)]
pub struct Message {
    destination_name: Option<Text>,
    payload: Value,
    values: Values,
    /// Allocated when first set: most messages are no request, and every
    /// queued message pays for the room its fields take.
    reply: OnceLock<Box<Reply>>,
}

/// A message's reply routing and its response slot.
#[derive(Default)]
struct Reply {
    response_destination_name: Option<Text>,
    response_id: Option<Text>,
    /// Where the reply to a default-synchronous request goes, carried by
    /// the request and the replies made from it (see `reply.rs`).
    waiting: Option<Arc<Slot>>,
    response: Mutex<Value>,
}

impl Clone for Reply {
    fn clone(&self) -> Self {
        Reply {
            response_destination_name: self.response_destination_name.clone(),
            response_id: self.response_id.clone(),
            waiting: self.waiting.clone(),
            response: Mutex::new(self.response.lock().clone()),
        }
    }
}

impl Message {
    pub fn new() -> Self {
        Message::default()
    }

    /// A message carrying `payload`.
    pub fn with_payload(payload: impl Into<Value>) -> Self {
        Message {
            payload: payload.into(),
            ..Message::default()
        }
    }

    /// Builder form of [`Message::set_response_destination_name`].
    pub fn with_response_destination(mut self, name: &str) -> Self {
        self.set_response_destination_name(Some(name));
        self
    }

    /// A reply to `request`: carries the request's `response_id`, to be sent
    /// to its `response_destination_name` (Liferay's `createResponseMessage`).
    pub fn response_to(request: &Message, payload: impl Into<Value>) -> Self {
        let mut reply = Message::with_payload(payload);
        if let Some(request) = request.reply.get() {
            let reply = reply.reply_mut();
            reply.response_id = request.response_id.clone();
            reply.waiting = request.waiting.clone();
        }
        reply
    }

    /// The destination the message was last sent to; set by the bus.
    pub fn destination_name(&self) -> Option<&Text> {
        self.destination_name.as_ref()
    }

    pub(crate) fn set_destination_name(&mut self, name: Text) {
        self.destination_name = Some(name);
    }

    pub fn payload(&self) -> &Value {
        &self.payload
    }

    pub fn set_payload(&mut self, payload: impl Into<Value>) {
        self.payload = payload.into();
    }

    /// Sets `key` to `value`; a null value removes the key (as in Liferay).
    pub fn put(&mut self, key: &str, value: impl Into<Value>) {
        let value = value.into();
        if value.is_null() {
            self.remove(key);
        } else {
            self.values.put(key, value);
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// Removes `key` and returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.values.remove(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The values in insertion order.
    pub fn values(&self) -> impl Iterator<Item = (&Text, &Value)> {
        self.values.as_slice().iter().map(|(k, v)| (k, v))
    }

    fn reply_mut(&mut self) -> &mut Reply {
        if self.reply.get().is_none() {
            self.reply = OnceLock::from(Box::default());
        }
        self.reply.get_mut().expect("set above")
    }

    pub fn response_destination_name(&self) -> Option<&Text> {
        self.reply.get()?.response_destination_name.as_ref()
    }

    /// The reply fields, allocated if `needed`; `None` when they were never
    /// set and are not `needed`: clearing an unset field allocates nothing.
    fn reply_for(&mut self, needed: bool) -> Option<&mut Reply> {
        if needed {
            return Some(self.reply_mut());
        }
        self.reply.get_mut().map(|reply| &mut **reply)
    }

    pub fn set_response_destination_name(&mut self, name: Option<&str>) {
        if let Some(reply) = self.reply_for(name.is_some()) {
            reply.response_destination_name = name.map(Into::into);
        }
    }

    /// The correlation id of a default-synchronous request and its reply.
    pub fn response_id(&self) -> Option<&Text> {
        self.reply.get()?.response_id.as_ref()
    }

    pub fn set_response_id(&mut self, id: Option<&str>) {
        if let Some(reply) = self.reply_for(id.is_some()) {
            reply.response_id = id.map(Into::into);
            reply.waiting = None;
        }
    }

    /// Makes this message a request with `id`, whose reply goes to the
    /// destination `to` and, from there, to `slot`.
    pub(crate) fn set_request(&mut self, to: Text, id: Text, slot: Arc<Slot>) {
        let reply = self.reply_mut();
        reply.response_destination_name = Some(to);
        reply.response_id = Some(id);
        reply.waiting = Some(slot);
    }

    /// A copy of the payload, values and reply routing, without the
    /// destination name, the response slot or the waiting sender: what a
    /// dead letter starts from.
    pub(crate) fn without_request(&self) -> Message {
        let mut copy = Message {
            payload: self.payload.clone(),
            values: self.values.clone(),
            ..Message::default()
        };
        if let Some(reply) = self.reply.get() {
            let fields = copy.reply_mut();
            fields.response_destination_name = reply.response_destination_name.clone();
            fields.response_id = reply.response_id.clone();
        }
        copy
    }

    pub(crate) fn reply_slot(&self) -> Option<&Slot> {
        self.reply.get()?.waiting.as_deref()
    }

    /// The response slot, as the last listener set it.
    pub fn response(&self) -> Value {
        self.reply
            .get()
            .map_or(Value::Null, |reply| reply.response.lock().clone())
    }

    /// Sets the response slot; listeners use it to answer a direct
    /// synchronous send.
    pub fn set_response(&self, response: impl Into<Value>) {
        *self.reply.get_or_init(Box::default).response.lock() = response.into();
    }
}

impl Clone for Message {
    fn clone(&self) -> Self {
        Message {
            destination_name: self.destination_name.clone(),
            payload: self.payload.clone(),
            values: self.values.clone(),
            reply: self
                .reply
                .get()
                .cloned()
                .map(OnceLock::from)
                .unwrap_or_default(),
        }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("destination_name", &self.destination_name)
            .field("payload", &self.payload)
            .field("values", &self.values().collect::<Vec<_>>())
            .field(
                "response_destination_name",
                &self.response_destination_name(),
            )
            .field("response_id", &self.response_id())
            .field("response", &self.response())
            .finish()
    }
}

impl From<Value> for Message {
    fn from(payload: Value) -> Self {
        Message::with_payload(payload)
    }
}

impl From<&str> for Message {
    fn from(payload: &str) -> Self {
        Message::with_payload(payload)
    }
}

impl From<String> for Message {
    fn from(payload: String) -> Self {
        Message::with_payload(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_remove_contains() {
        let mut m = Message::new();
        assert!(m.get("a").is_none());
        m.put("a", 1i64);
        m.put("b", "two");
        m.put("a", 3i64);
        assert_eq!(m.get("a"), Some(&Value::Int(3)));
        assert!(m.contains("b"));
        assert_eq!(
            m.values().map(|(k, _)| k).collect::<Vec<_>>(),
            vec!["a", "b"]
        );
        assert_eq!(m.remove("b"), Some(Value::from("two")));
        assert!(!m.contains("b"));
        m.put("a", Value::Null);
        assert!(!m.contains("a"));
        assert_eq!(m.remove("missing"), None);
    }

    #[test]
    fn clone_shares_payload_and_copies_values_on_write() {
        let payload = "p".repeat(Text::INLINE + 1);
        let mut original = Message::with_payload(payload.as_str());
        original.put("k", "v");
        let sent = original.clone();
        match (original.payload(), sent.payload()) {
            (Value::String(a), Value::String(b)) => assert!(a.ptr_eq(b)),
            _ => unreachable!(),
        }
        original.put("k", "changed");
        original.put("new", 1i64);
        original.set_payload("other");
        assert_eq!(sent.get("k"), Some(&Value::from("v")));
        assert!(!sent.contains("new"));
        assert_eq!(sent.payload(), &Value::from(payload));
    }

    #[test]
    fn response_slot_is_settable_through_shared_reference() {
        let m = Message::new();
        assert!(m.response().is_null());
        let shared = &m;
        shared.set_response(42i64);
        assert_eq!(m.response(), Value::Int(42));
    }

    #[test]
    fn clearing_reply_fields_never_set_allocates_nothing() {
        let mut m = Message::new();
        m.set_response_destination_name(None);
        m.set_response_id(None);
        assert!(m.reply.get().is_none());
        m.set_response_id(Some("id-1"));
        m.set_response_destination_name(None);
        m.set_response_id(None);
        assert_eq!(
            (m.response_id(), m.response_destination_name()),
            (None, None)
        );
    }

    #[test]
    fn response_to_copies_correlation() {
        let mut request = Message::with_payload("q").with_response_destination("acme/r");
        request.set_response_id(Some("id-1"));
        let reply = Message::response_to(&request, "a");
        assert_eq!(reply.response_id().map(Text::as_str), Some("id-1"));
        assert_eq!(reply.payload(), &Value::from("a"));
        assert_eq!(
            request.response_destination_name().map(Text::as_str),
            Some("acme/r")
        );
    }
}
