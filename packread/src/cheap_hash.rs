//! One cheap hasher for the maps whose keys no adversary picks: object ids
//! (digests, whose first bytes are already spread evenly: git's own hash
//! maps use the first four bytes the same way) and positions in files
//! (pack numbers and offsets). `SipHash`'s protection against chosen keys
//! buys nothing for them and costs more than the lookups it serves.

use std::hash::Hasher;

/// Hashes a digest by its first eight bytes and integers by a multiply;
/// length prefixes (the same for every key of one type) are left out.
#[derive(Default, Clone, Copy)]
pub(crate) struct CheapHasher(u64);

impl Hasher for CheapHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        if let Some(first) = bytes.first_chunk::<8>() {
            self.0 ^= u64::from_le_bytes(*first);
        } else {
            for &b in bytes {
                self.write_u64(u64::from(b));
            }
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(29) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_usize(&mut self, _len: usize) {
        // Length prefixes of fixed-size keys carry no information.
    }
}
