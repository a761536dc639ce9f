//! The values a message carries: its payload, its `values` map and its
//! `response` slot.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::bytes::Bytes;
use crate::text::Text;

/// One value of a message.
///
/// Small strings and byte strings are stored in place (no allocation);
/// larger ones and objects are reference counted, so cloning a value (and
/// so a message) never copies a large content.
#[derive(Clone, Default)]
pub enum Value {
    /// No value. Putting a null under a key removes the key.
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    /// UTF-8 text (NUL-terminated in memory, for C).
    String(Text),
    Bytes(Bytes),
    /// An opaque in-process object; it never leaves the process.
    Object(Object),
}

/// The kind of a [`Value`], without its contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    Null,
    Bool,
    Int,
    Double,
    String,
    Bytes,
    Object,
}

impl fmt::Display for ValueType {
    /// The type's name in lower case, as error messages use it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::Null => "null",
            ValueType::Bool => "bool",
            ValueType::Int => "int",
            ValueType::Double => "double",
            ValueType::String => "string",
            ValueType::Bytes => "bytes",
            ValueType::Object => "object",
        })
    }
}

impl Value {
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Null => ValueType::Null,
            Value::Bool(_) => ValueType::Bool,
            Value::Int(_) => ValueType::Int,
            Value::Double(_) => ValueType::Double,
            Value::String(_) => ValueType::String,
            Value::Bytes(_) => ValueType::Bytes,
            Value::Object(_) => ValueType::Object,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_double(&self) -> Option<f64> {
        match self {
            Value::Double(d) => Some(*d),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The twin of a string or bytes value (see [`Bytes::set_twin`]).
    pub fn twin(&self) -> Option<&Object> {
        match self {
            Value::String(text) => text.twin(),
            Value::Bytes(bytes) => bytes.twin(),
            _ => None,
        }
    }

    /// Offers a twin to a string or bytes value, as [`Bytes::set_twin`];
    /// `None` for a value of another type (the offer is dropped).
    pub fn set_twin(&self, twin: Object) -> Option<&Object> {
        match self {
            Value::String(text) => text.set_twin(twin),
            Value::Bytes(bytes) => bytes.set_twin(twin),
            _ => None,
        }
    }
}

/// Values are equal when they have the same type and contents; objects are
/// equal only when they are the same object.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Double(a), Value::Double(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a.ptr_eq(b),
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Double(d) => write!(f, "{d:?}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "<{} bytes>", b.len()),
            Value::Object(o) => o.fmt(f),
        }
    }
}

/// Like `Debug`, but text is written as is, without quotes.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => f.write_str(s),
            other => fmt::Debug::fmt(other, f),
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.into())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v.into())
    }
}

impl From<Text> for Value {
    fn from(v: Text) -> Self {
        Value::String(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.into())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v.into())
    }
}

impl From<Bytes> for Value {
    fn from(v: Bytes) -> Self {
        Value::Bytes(v)
    }
}

impl From<Object> for Value {
    fn from(v: Object) -> Self {
        Value::Object(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// An opaque in-process object: a Rust value, a C pointer with its free
/// function, a Python object. It is dropped (freed) when the last value
/// referring to it is dropped, on whichever thread that happens.
#[derive(Clone)]
pub struct Object(Arc<dyn Any + Send + Sync>);

impl Object {
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Object(Arc::new(value))
    }

    pub fn from_arc(value: Arc<dyn Any + Send + Sync>) -> Self {
        Object(value)
    }

    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }

    /// Whether both refer to the same object.
    pub fn ptr_eq(&self, other: &Object) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<object {:p}>", Arc::as_ptr(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_type_and_contents() {
        assert_eq!(Value::from(true).as_bool(), Some(true));
        assert_eq!(Value::from(7i64).as_int(), Some(7));
        assert_eq!(Value::from(1.5).as_double(), Some(1.5));
        assert_eq!(Value::from("é").as_str(), Some("é"));
        assert_eq!(Value::from(vec![1u8, 2]).as_bytes(), Some(&[1u8, 2][..]));
        assert_eq!(Value::from(None::<i64>), Value::Null);
        assert_eq!(Value::from("x").value_type(), ValueType::String);
        assert_eq!(Value::from(1i64).as_str(), None);
    }

    #[test]
    fn display_writes_text_raw_and_the_rest_as_debug() {
        assert_eq!(Value::from("a b").to_string(), "a b");
        assert_eq!(format!("{:?}", Value::from("a b")), "\"a b\"");
        assert_eq!(Value::from(2.0).to_string(), "2.0");
        assert_eq!(Value::Null.to_string(), "null");
    }

    #[test]
    fn clone_shares_large_contents() {
        let text = "t".repeat(Text::INLINE + 1);
        let bytes = vec![0u8; Bytes::INLINE + 1];
        for v in [Value::from(text), Value::from(bytes)] {
            match (&v, &v.clone()) {
                (Value::String(a), Value::String(b)) => assert!(a.ptr_eq(b)),
                (Value::Bytes(a), Value::Bytes(b)) => assert!(a.ptr_eq(b)),
                _ => unreachable!(),
            }
        }
        assert_eq!(std::mem::size_of::<Value>(), 32);
    }

    #[test]
    fn objects_compare_by_identity_and_drop_once() {
        struct Guard(Arc<std::sync::atomic::AtomicUsize>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let drops = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let a = Value::from(Object::new(Guard(drops.clone())));
        let b = a.clone();
        let c = Value::from(Object::new(5u32));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(c.as_object().unwrap().downcast_ref::<u32>(), Some(&5));
        drop(a);
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 0);
        drop(b);
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
