//! The hash of the maps every send looks up: destinations by name, waiting
//! senders by request number.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map with [`NameHasher`].
pub(crate) type NameMap<K, V> = HashMap<K, V, BuildHasherDefault<NameHasher>>;

/// FxHash (rustc's hasher): one rotate, xor and multiply per 8 bytes.
/// The keys are destination names the program chose and numbers the bus
/// counts, not input an attacker picks, so SipHash's resistance to
/// flooding buys nothing here, and it was a tenth of a request's cost.
#[derive(Default)]
pub(crate) struct NameHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl NameHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(byte.into());
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn names_differing_anywhere_hash_apart() {
        let hash = |name: &str| BuildHasherDefault::<NameHasher>::default().hash_one(name);
        let names = [
            "",
            "a",
            "acme/orders",
            "acme/orders/",
            "acme/orderz",
            "bcme/orders",
        ];
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert_ne!(hash(a), hash(b), "{a:?} and {b:?}");
            }
        }
        let mut map = NameMap::default();
        map.insert("acme/orders".to_string(), 1);
        assert_eq!(map.get("acme/orders"), Some(&1));
    }
}
