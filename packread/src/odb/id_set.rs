//! A set of object ids hashed cheaply: an id's bytes are a digest, already
//! uniformly distributed, so `SipHash`'s protection against chosen keys buys
//! nothing for them.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::object::ObjectId;

/// Hashes an object id by its first eight bytes.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // The digest: its first 8 bytes are already uniformly distributed.
        if bytes.len() >= 8 {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[..8]);
            self.0 ^= u64::from_le_bytes(b);
        } else {
            for &x in bytes {
                self.write_u64(u64::from(x));
            }
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(29) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_usize(&mut self, _len: usize) {
        // Length prefixes of fixed-size keys carry no information.
    }
}

/// A set of object ids.
pub(crate) type IdSet = HashSet<ObjectId, BuildHasherDefault<IdHasher>>;
