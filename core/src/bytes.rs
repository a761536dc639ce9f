//! Bytes: the byte-string type of messages and values, and the storage of
//! [`Text`](crate::Text).

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use crate::value::Object;

/// An immutable byte string. Up to [`Bytes::INLINE`] bytes are stored in
/// place, so a small payload costs no allocation; longer ones are
/// reference counted, so cloning never copies them, and have room for a
/// twin (see [`Bytes::set_twin`]).
#[derive(Clone)]
pub struct Bytes(Repr);

const BUFFER: usize = 22;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; BUFFER] },
    Shared(Arc<Shared>),
}

/// Bytes stored out of place, with their twin.
struct Shared {
    bytes: Arc<[u8]>,
    twin: OnceLock<Object>,
}

fn shared(bytes: Arc<[u8]>) -> Repr {
    Repr::Shared(Arc::new(Shared {
        bytes,
        twin: OnceLock::new(),
    }))
}

impl Bytes {
    /// The longest byte string stored in place.
    pub const INLINE: usize = BUFFER;

    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Shared(shared) => &shared.bytes,
        }
    }

    /// The twin of these bytes, if they have one.
    pub fn twin(&self) -> Option<&Object> {
        match &self.0 {
            Repr::Inline { .. } => None,
            Repr::Shared(shared) => shared.twin.get(),
        }
    }

    /// Offers `twin`, an object a language runtime made of these bytes (a
    /// Python `bytes`, or the very `str` they were copied from), so that
    /// every listener of that runtime is handed the one object instead of
    /// a copy each. It lives as long as the bytes. The first offer is
    /// taken and later ones dropped; returns the twin in place, `None`
    /// when there is no room for one (bytes stored in place, which cost
    /// little to convert).
    pub fn set_twin(&self, twin: Object) -> Option<&Object> {
        match &self.0 {
            Repr::Inline { .. } => None,
            Repr::Shared(shared) => Some(shared.twin.get_or_init(|| twin)),
        }
    }

    /// Whether both share one allocation (bytes stored in place never do).
    pub fn ptr_eq(&self, other: &Bytes) -> bool {
        match (&self.0, &other.0) {
            (Repr::Shared(a), Repr::Shared(b)) => Arc::ptr_eq(&a.bytes, &b.bytes),
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
            return Bytes(shared(bytes.into()));
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
            return Bytes(shared(bytes.into()));
        }
        Bytes::from(bytes.as_slice())
    }
}

/// Keeps the shared allocation whatever its size: no copy.
impl From<Arc<[u8]>> for Bytes {
    fn from(bytes: Arc<[u8]>) -> Self {
        Bytes(shared(bytes))
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

    #[test]
    fn the_first_twin_offered_stays_and_clones_share_it() {
        let bytes = Bytes::from(vec![1u8; Bytes::INLINE + 1]);
        let clone = bytes.clone();
        assert!(bytes.twin().is_none());
        let first = bytes.set_twin(Object::new(1u8)).unwrap().clone();
        let second = clone.set_twin(Object::new(2u8)).unwrap();
        assert!(second.ptr_eq(&first));
        assert!(clone.twin().unwrap().ptr_eq(&first));
        let small = Bytes::from(&[1u8][..]);
        assert!(small.set_twin(Object::new(3u8)).is_none());
        assert!(small.twin().is_none());
    }
}
