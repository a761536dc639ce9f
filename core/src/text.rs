//! Text: the string type of messages and values.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// Immutable UTF-8 text, reference counted (cloning copies nothing), and
/// stored with a trailing NUL byte so that C callers can borrow it as a C
/// string without a copy. The NUL is not part of the text.
#[derive(Clone)]
pub struct Text(Arc<str>);

impl Text {
    pub fn new(text: &str) -> Self {
        let mut stored = String::with_capacity(text.len() + 1);
        stored.push_str(text);
        stored.push('\0');
        Text(stored.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0[..self.0.len() - 1]
    }

    /// The text's bytes followed by a NUL byte.
    pub fn as_bytes_with_nul(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Whether both share one allocation.
    pub fn ptr_eq(&self, other: &Text) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text::new(text)
    }
}

impl From<String> for Text {
    fn from(mut text: String) -> Self {
        text.push('\0');
        Text(text.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn stores_a_trailing_nul_outside_the_text() {
        for t in [Text::from("héllo"), Text::from(String::from("héllo"))] {
            assert_eq!(t.as_str(), "héllo");
            assert_eq!(t.len(), "héllo".len());
            assert_eq!(t.as_bytes_with_nul(), b"h\xc3\xa9llo\0");
        }
        assert_eq!(Text::from("").as_bytes_with_nul(), b"\0");
    }

    #[test]
    fn compares_and_hashes_as_its_text() {
        let mut map = HashMap::new();
        map.insert(Text::from("k"), 1);
        assert_eq!(map.get("k"), Some(&1));
        assert_eq!(Text::from("a"), Text::from(String::from("a")));
        let t = Text::from("x");
        assert!(t.ptr_eq(&t.clone()));
        assert_eq!(format!("{t} {t:?}"), "x \"x\"");
    }
}
