//! Text: the string type of messages and values.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use crate::bytes::Bytes;
use crate::value::Object;

/// Immutable UTF-8 text, stored with a trailing NUL byte so that C callers
/// can borrow it as a C string without a copy (the NUL is not part of the
/// text). Text and NUL are stored as [`Bytes`]: in place up to
/// [`Text::INLINE`] bytes of text, so the short keys and strings most
/// messages carry cost no allocation; longer text is reference counted, so
/// cloning never copies it.
#[derive(Clone)]
pub struct Text(Bytes);

impl Text {
    /// The longest text stored in place, in bytes.
    pub const INLINE: usize = Bytes::INLINE - 1;

    pub fn new(text: &str) -> Self {
        if text.len() <= Text::INLINE {
            let mut with_nul = [0u8; Bytes::INLINE];
            with_nul[..text.len()].copy_from_slice(text.as_bytes());
            return Text(Bytes::from(&with_nul[..=text.len()]));
        }
        let mut stored = Vec::with_capacity(text.len() + 1);
        stored.extend_from_slice(text.as_bytes());
        stored.push(0);
        Text(Bytes::from(stored))
    }

    pub fn as_str(&self) -> &str {
        let with_nul = self.as_bytes_with_nul();
        // SAFETY: the bytes are a whole `&str`'s, then the NUL.
        unsafe { std::str::from_utf8_unchecked(&with_nul[..with_nul.len() - 1]) }
    }

    /// The text's bytes followed by a NUL byte.
    pub fn as_bytes_with_nul(&self) -> &[u8] {
        &self.0
    }

    /// The twin of this text (see [`Bytes::set_twin`]).
    pub fn twin(&self) -> Option<&Object> {
        self.0.twin()
    }

    /// Offers a twin of this text, as [`Bytes::set_twin`].
    pub fn set_twin(&self, twin: Object) -> Option<&Object> {
        self.0.set_twin(twin)
    }

    /// Whether both share one allocation (text stored in place never does).
    pub fn ptr_eq(&self, other: &Text) -> bool {
        self.0.ptr_eq(&other.0)
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
        if text.len() <= Text::INLINE {
            return Text::new(&text);
        }
        text.push('\0');
        Text(Bytes::from(text.into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn stores_a_trailing_nul_outside_the_text() {
        let long = "é".repeat(Text::INLINE);
        for text in ["", "héllo", &long[..Text::INLINE - 1], &long] {
            let with_nul = [text.as_bytes(), b"\0"].concat();
            for t in [Text::from(text), Text::from(String::from(text))] {
                assert_eq!(t.as_str(), text);
                assert_eq!(t.len(), text.len());
                assert_eq!(t.as_bytes_with_nul(), with_nul);
            }
        }
    }

    #[test]
    fn short_text_is_in_place_and_long_text_shared() {
        let short = Text::from("a".repeat(Text::INLINE));
        assert!(!short.ptr_eq(&short.clone()));
        let long = Text::from("a".repeat(Text::INLINE + 1));
        assert!(long.ptr_eq(&long.clone()));
        assert_eq!(std::mem::size_of::<Text>(), 24);
    }

    #[test]
    fn compares_and_hashes_as_its_text() {
        let mut map = HashMap::new();
        map.insert(Text::from("k"), 1);
        assert_eq!(map.get("k"), Some(&1));
        assert_eq!(Text::from("a"), Text::from(String::from("a")));
        let t = Text::from("x");
        assert_eq!(format!("{t} {t:?}"), "x \"x\"");
    }
}
