//! Bytes: the byte-string type of messages and values, and the storage of
//! [`Text`](crate::Text).

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable byte string. Up to [`Bytes::INLINE`] bytes are stored in
/// place, so a small payload costs no allocation; longer ones are
/// reference counted, so cloning never copies them.
#[derive(Clone)]
pub struct Bytes(Repr);

const BUFFER: usize = 22;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; BUFFER] },
    Shared(Arc<[u8]>),
}

impl Bytes {
    /// The longest byte string stored in place.
    pub const INLINE: usize = BUFFER;

    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Shared(shared) => shared,
        }
    }

    /// Whether both share one allocation (bytes stored in place never do).
    pub fn ptr_eq(&self, other: &Bytes) -> bool {
        match (&self.0, &other.0) {
            (Repr::Shared(a), Repr::Shared(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Bytes {}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl From<&[u8]> for Bytes {
    fn from(bytes: &[u8]) -> Self {
        if bytes.len() > Bytes::INLINE {
            return Bytes(Repr::Shared(bytes.into()));
        }
        let mut inline = [0u8; BUFFER];
        inline[..bytes.len()].copy_from_slice(bytes);
        Bytes(Repr::Inline {
            len: bytes.len() as u8,
            bytes: inline,
        })
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        if bytes.len() > Bytes::INLINE {
            return Bytes(Repr::Shared(bytes.into()));
        }
        Bytes::from(bytes.as_slice())
    }
}

/// Keeps the shared allocation whatever its size: no copy.
impl From<Arc<[u8]>> for Bytes {
    fn from(bytes: Arc<[u8]>) -> Self {
        Bytes(Repr::Shared(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_bytes_are_in_place_and_large_ones_shared() {
        for len in [0, 1, Bytes::INLINE, Bytes::INLINE + 1, 1000] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let (a, b) = (Bytes::from(&data[..]), Bytes::from(data.clone()));
            assert_eq!((&*a, &*b), (&data[..], &data[..]));
            assert_eq!(a.ptr_eq(&a.clone()), len > Bytes::INLINE);
        }
        let arc: Arc<[u8]> = [1u8, 2].as_slice().into();
        assert_eq!(Bytes::from(arc.clone()).as_ptr(), arc.as_ptr());
        assert_eq!(std::mem::size_of::<Bytes>(), 24);
    }
}
