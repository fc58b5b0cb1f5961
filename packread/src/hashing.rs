//! Cheap hashers for keys that are already well mixed: pack offsets and
//! object ids (whose bytes are digests). `SipHash`'s protection against
//! chosen keys is not needed for values no attacker picks freely.

use std::hash::{BuildHasherDefault, Hasher};

/// Hashes by multiplying: for integer keys such as (pack, offset).
#[derive(Default, Clone, Copy)]
pub(crate) struct MulHasher(u64);

impl Hasher for MulHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Object ids: their first 8 bytes are already uniformly distributed.
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

    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    fn write_usize(&mut self, _len: usize) {
        // Length prefixes of fixed-size keys carry no information.
    }
}

/// A `BuildHasher` for [`MulHasher`].
pub(crate) type BuildMulHasher = BuildHasherDefault<MulHasher>;
