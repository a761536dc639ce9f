//! A message's named values.

use std::sync::Arc;

use crate::text::Text;
use crate::value::Value;

pub(super) type Entry = (Text, Value);

/// Keys in insertion order; messages carry few values, so a linear scan
/// beats hashing and keeps iteration order stable. One value (the common
/// case) is stored in the message itself, so it costs no allocation; two
/// or more share one exact-size slice that a change replaces whole (copy
/// on write), which for a handful of values costs less than a growable
/// vector's spare room in every queued message.
#[derive(Clone, Default)]
pub(super) enum Values {
    #[default]
    None,
    One(Entry),
    Many(Arc<[Entry]>),
}

impl Values {
    pub(super) fn as_slice(&self) -> &[Entry] {
        match self {
            Values::None => &[],
            Values::One(entry) => std::slice::from_ref(entry),
            Values::Many(entries) => entries,
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.as_slice().iter().position(|(k, _)| &**k == key)
    }

    pub(super) fn get(&self, key: &str) -> Option<&Value> {
        Some(&self.as_slice()[self.position(key)?].1)
    }

    /// Sets `key` to `value`, in place if `key` is there already.
    pub(super) fn put(&mut self, key: &str, value: Value) {
        let index = self.position(key);
        if let (Values::One(entry), Some(_)) = (&mut *self, index) {
            entry.1 = value;
            return;
        }
        let entries = self.as_slice();
        *self = match index {
            Some(index) => {
                let mut replaced = entries.to_vec();
                replaced[index].1 = value;
                Values::Many(replaced.into())
            }
            None if entries.is_empty() => Values::One((key.into(), value)),
            None => Values::Many(
                entries
                    .iter()
                    .cloned()
                    .chain([(key.into(), value)])
                    .collect(),
            ),
        };
    }

    /// Removes `key` and returns its value.
    pub(super) fn remove(&mut self, key: &str) -> Option<Value> {
        let index = self.position(key)?;
        let entries = self.as_slice();
        let removed = entries[index].1.clone();
        *self = match entries.len() {
            1 => Values::None,
            2 => Values::One(entries[1 - index].clone()),
            _ => Values::Many(
                entries[..index]
                    .iter()
                    .chain(&entries[index + 1..])
                    .cloned()
                    .collect(),
            ),
        };
        Some(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(values: &Values) -> String {
        values.as_slice().iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn one_value_in_place_and_more_shared_in_order() {
        let mut values = Values::default();
        values.put("a", Value::Int(1));
        assert!(matches!(values, Values::One(_)));
        values.put("a", Value::Int(2));
        assert!(matches!(values, Values::One(_)));
        values.put("b", Value::Int(3));
        values.put("c", Value::Int(4));
        values.put("b", Value::Int(5));
        assert_eq!(keys(&values), "abc");
        assert_eq!(values.get("b"), Some(&Value::Int(5)));
        assert_eq!(values.remove("b"), Some(Value::Int(5)));
        assert_eq!(keys(&values), "ac");
        assert_eq!(values.remove("a"), Some(Value::Int(2)));
        assert!(matches!(values, Values::One(_)));
        assert_eq!(keys(&values), "c");
        assert_eq!(values.remove("missing"), None);
        assert_eq!(values.remove("c"), Some(Value::Int(4)));
        assert!(matches!(values, Values::None));
    }
}
