//! Object ids, abbreviated ids and the hash kinds that make them.

use std::fmt;

/// The hash function of a repository: SHA-1 (the default) or SHA-256
/// (`extensions.objectFormat = sha256`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HashKind {
    /// 20-byte object names.
    #[default]
    Sha1,
    /// 32-byte object names.
    Sha256,
}

#[allow(clippy::len_without_is_empty)] // a hash is never empty
impl HashKind {
    /// Length of an object id in bytes.
    pub const fn len(self) -> usize {
        match self {
            HashKind::Sha1 => 20,
            HashKind::Sha256 => 32,
        }
    }

    /// Length of an object id in hex digits.
    pub const fn hex_len(self) -> usize {
        self.len() * 2
    }

    /// The all-zero id of this kind (git's null OID).
    pub const fn null(self) -> ObjectId {
        ObjectId {
            kind: self,
            bytes: [0; 32],
        }
    }

    /// The id of the empty tree, which git treats as present in every
    /// repository (it is built in, whether stored or not).
    ///
    /// ```
    /// use packread::object::HashKind;
    /// assert_eq!(HashKind::Sha1.empty_tree().to_hex(), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
    /// ```
    pub const fn empty_tree(self) -> ObjectId {
        match self {
            HashKind::Sha1 => EMPTY_TREE_SHA1,
            HashKind::Sha256 => EMPTY_TREE_SHA256,
        }
    }

    /// git's name for the format (`sha1`, `sha256`).
    pub const fn name(self) -> &'static str {
        match self {
            HashKind::Sha1 => "sha1",
            HashKind::Sha256 => "sha256",
        }
    }
}

/// The empty tree's ids, decoded when compiled (every object read compares
/// its id with one).
const EMPTY_TREE_SHA1: ObjectId =
    const_id(HashKind::Sha1, b"4b825dc642cb6eb9a060e54bf8d69288fbee4904");
const EMPTY_TREE_SHA256: ObjectId = const_id(
    HashKind::Sha256,
    b"6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
);

/// An id from lowercase hex of the right length; fails to compile otherwise.
const fn const_id(kind: HashKind, hex: &[u8]) -> ObjectId {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not lowercase hex"),
        }
    }
    assert!(hex.len() == kind.len() * 2, "hex of the wrong length");
    let mut id = kind.null();
    let mut i = 0;
    while i < kind.len() {
        id.bytes[i] = nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]);
        i += 1;
    }
    id
}

/// The id (name) of an object: a SHA-1 or SHA-256 digest.
///
/// Ids of one kind order like their bytes, which is the order of a pack index.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    // `bytes` first: the derived order compares the digest first.
    bytes: [u8; 32],
    kind: HashKind,
}

impl PartialOrd for HashKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for HashKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.len().cmp(&other.len())
    }
}

impl ObjectId {
    /// The id made of `bytes`, which must be `kind.len()` long.
    ///
    /// # Panics
    /// If `bytes` has the wrong length.
    #[inline]
    pub fn from_bytes(kind: HashKind, bytes: &[u8]) -> ObjectId {
        assert_eq!(bytes.len(), kind.len(), "object id of the wrong length");
        let mut id = kind.null();
        // Copies of a length known when compiled: moves, not a call.
        match kind {
            HashKind::Sha1 => id.bytes[..20].copy_from_slice(&bytes[..20]),
            HashKind::Sha256 => id.bytes.copy_from_slice(&bytes[..32]),
        }
        id
    }

    /// Parses a full-length hex id of either kind (40 or 64 digits).
    pub fn from_hex(hex: &str) -> Option<ObjectId> {
        let kind = match hex.len() {
            40 => HashKind::Sha1,
            64 => HashKind::Sha256,
            _ => return None,
        };
        let mut id = kind.null();
        decode_hex(hex.as_bytes(), &mut id.bytes[..kind.len()])?;
        Some(id)
    }

    /// Parses the id of hash `hash` that `text` starts with (its
    /// `hash.hex_len()` hex digits, either case) and returns it with the
    /// bytes after it, as git's `parse_oid_hex` does; what may follow is the
    /// caller's to check.
    ///
    /// ```
    /// use packread::{HashKind, ObjectId};
    /// let (id, rest) =
    ///     ObjectId::parse_hex_prefix(b"ce013625030ba8dba906f756967f9e9ca394464a refs/x", HashKind::Sha1)
    ///         .unwrap();
    /// assert_eq!(id.to_string(), "ce013625030ba8dba906f756967f9e9ca394464a");
    /// assert_eq!(rest, b" refs/x");
    /// assert!(ObjectId::parse_hex_prefix(b"ce0136", HashKind::Sha1).is_none());
    /// ```
    pub fn parse_hex_prefix(text: &[u8], hash: HashKind) -> Option<(ObjectId, &[u8])> {
        let (hex, rest) = text.split_at_checked(hash.hex_len())?;
        let mut id = hash.null();
        decode_hex(hex, &mut id.bytes[..hash.len()])?;
        Some((id, rest))
    }

    /// The hash kind.
    pub fn kind(&self) -> HashKind {
        self.kind
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.kind.len()]
    }

    /// Whether this is the all-zero id.
    pub fn is_null(&self) -> bool {
        self.as_bytes().iter().all(|&b| b == 0)
    }

    /// The id in lowercase hex.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }

    /// The id in lowercase hex, written into `buf`: for output written
    /// as bytes, without a formatter (a walk prints one per commit).
    ///
    /// ```
    /// let id = packread::HashKind::Sha1.null();
    /// let mut buf = [0u8; 64];
    /// assert_eq!(id.hex_into(&mut buf), &[b'0'; 40][..]);
    /// ```
    pub fn hex_into<'b>(&self, buf: &'b mut [u8; 64]) -> &'b [u8] {
        let bytes = self.as_bytes();
        // Four bytes at a time (both hash lengths are multiples of four).
        for (out, four) in buf.chunks_exact_mut(8).zip(bytes.chunks_exact(4)) {
            let four = [four[0], four[1], four[2], four[3]];
            out.copy_from_slice(&hex_digits(u32::from_le_bytes(four)).to_le_bytes());
        }
        &buf[..2 * bytes.len()]
    }
}

/// The eight lowercase hex digits of the four bytes of `v` (read little
/// endian), in the order the bytes come, as the bytes of a little-endian
/// word: each nibble in a byte of its own, `b'0'` added to each, and 39
/// more (from `b'9' + 1` to `b'a'`) where the nibble is ten or over. Hex
/// ids are written for every line of `rev-list` and `log`: a table lookup
/// per nibble took 200 instructions an id, this 140.
const fn hex_digits(v: u32) -> u64 {
    const LOW_NIBBLES: u64 = 0x000f_000f_000f_000f;
    let mut x = v as u64;
    // Byte i of `v` to bits 16 i.. 16 i + 8.
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    // Its high nibble to byte 2 i, its low nibble to byte 2 i + 1.
    let nibbles = ((x >> 4) & LOW_NIBBLES) | ((x & LOW_NIBBLES) << 8);
    // 1 in each byte whose nibble is 10..=15 (adding 6 carries into bit 4).
    let letters = ((nibbles + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    nibbles + 0x3030_3030_3030_3030 + letters * (b'a' - b'0' - 10) as u64
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 64];
        let hex = self.hex_into(&mut buf);
        f.write_str(std::str::from_utf8(hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

/// An abbreviated object id: 1 or more hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    /// The digits as bytes, the last one padded with a zero nibble if odd.
    bytes: [u8; 32],
    /// Number of hex digits.
    hex_len: usize,
}

/// Each byte's value as a hex digit (either case); 0xff for the others.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Orders two digests as their bytes do, deciding by their first eight
/// bytes as one number where those differ (nearly always, for different
/// ids): a slice comparison is a call to `memcmp`.
#[inline]
pub(crate) fn cmp_digests(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    if let (Some(x), Some(y)) = (a.first_chunk::<8>(), b.first_chunk::<8>()) {
        let (x, y) = (u64::from_be_bytes(*x), u64::from_be_bytes(*y));
        if x != y {
            return x.cmp(&y);
        }
    }
    a.cmp(b)
}

/// Decodes `hex` (twice `out`'s length) into `out`; `None` if a byte isn't
/// a hex digit. A table lookup per digit and one check at the end: ids
/// are decoded for every parent line of every commit a walk parses.
fn decode_hex(hex: &[u8], out: &mut [u8]) -> Option<()> {
    if hex.len() != 2 * out.len() {
        return None;
    }
    let mut bad = 0;
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let (high, low) = (
            HEX_VALUE[usize::from(pair[0])],
            HEX_VALUE[usize::from(pair[1])],
        );
        bad |= high | low;
        *byte = (high << 4) | low;
    }
    (bad & 0xf0 == 0).then_some(())
}

impl Prefix {
    /// Parses 1 up to 64 hex digits (either case).
    pub fn from_hex(hex: &str) -> Option<Prefix> {
        if hex.is_empty() || hex.len() > 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, c) in hex.bytes().enumerate() {
            let v = (c as char).to_digit(16)? as u8;
            bytes[i / 2] |= if i % 2 == 0 { v << 4 } else { v };
        }
        Some(Prefix {
            bytes,
            hex_len: hex.len(),
        })
    }

    /// Number of hex digits.
    pub fn hex_len(&self) -> usize {
        self.hex_len
    }

    /// The first byte (what the fan-out table is indexed by).
    pub fn first_byte(&self) -> u8 {
        self.bytes[0]
    }

    /// Compares `name` (a raw id) with the prefix, over the prefix's digits only.
    pub fn cmp_name(&self, name: &[u8]) -> std::cmp::Ordering {
        let full = self.hex_len / 2;
        let n = full.min(name.len());
        match name[..n].cmp(&self.bytes[..n]) {
            std::cmp::Ordering::Equal if self.hex_len % 2 == 1 && full < name.len() => {
                (name[full] & 0xf0).cmp(&self.bytes[full])
            }
            o => o,
        }
    }

    /// Whether `id` starts with this prefix.
    pub fn matches(&self, id: &ObjectId) -> bool {
        self.hex_len <= id.kind().hex_len() && self.cmp_name(id.as_bytes()).is_eq()
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = hex::encode(&self.bytes[..self.hex_len.div_ceil(2)]);
        f.write_str(&hex[..self.hex_len])
    }
}

/// A map keyed by object ids, hashed by their first bytes.
pub(crate) type IdMap<V> = std::collections::HashMap<
    ObjectId,
    V,
    std::hash::BuildHasherDefault<crate::cheap_hash::CheapHasher>,
>;

/// A set of object ids, hashed by their first bytes.
pub(crate) type IdSet = std::collections::HashSet<
    ObjectId,
    std::hash::BuildHasherDefault<crate::cheap_hash::CheapHasher>,
>;

#[cfg(test)]
mod tests {
    use super::*;

    /// `cmp_digests` orders as a slice comparison, for ids of any length
    /// (shorter than a word too) and ids differing anywhere.
    #[test]
    fn digests_order_as_their_bytes() {
        let mut next = crate::test_rand::xorshift(0x9e37_79b9_7f4a_7c15);
        for len in [0, 3, 8, 20, 32] {
            for _ in 0..2000 {
                let a: Vec<u8> = (0..len).map(|_| (next() % 4) as u8).collect();
                let mut b = a.clone();
                if len > 0 && next().is_multiple_of(2) {
                    let i = (next() % len as u64) as usize;
                    b[i] = (next() % 4) as u8;
                }
                assert_eq!(cmp_digests(&a, &b), a.cmp(&b), "{a:?} {b:?}");
                assert_eq!(
                    cmp_digests(&a, &b[..len / 2]),
                    a.as_slice().cmp(&b[..len / 2])
                );
            }
        }
    }

    /// Ids are written as the `hex` crate writes their bytes: every byte
    /// value in every place of a word, both hash lengths.
    #[test]
    fn hex_as_the_hex_crate() {
        let mut next = crate::test_rand::xorshift(0x2545_f491_4f6c_dd1d);
        let mut ids: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b; 32]).collect();
        ids.extend((0..=255u8).map(|b| {
            (0..32u8)
                .map(|i| b.wrapping_add(i.wrapping_mul(37)))
                .collect()
        }));
        ids.extend((0..500).map(|_| (0..32).map(|_| next() as u8).collect()));
        for bytes in ids {
            for kind in [HashKind::Sha1, HashKind::Sha256] {
                let id = ObjectId::from_bytes(kind, &bytes[..kind.len()]);
                let mut buf = [0u8; 64];
                assert_eq!(
                    id.hex_into(&mut buf),
                    hex::encode(&bytes[..kind.len()]).as_bytes()
                );
            }
        }
    }

    /// The table decoder agrees with the `hex` crate on every digit pair,
    /// valid or not.
    #[test]
    fn decode_hex_as_the_hex_crate() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let pair = [a, b];
                let mut ours = [0u8; 1];
                let mut theirs = [0u8; 1];
                let ok = decode_hex(&pair, &mut ours).is_some();
                assert_eq!(
                    ok,
                    hex::decode_to_slice(pair, &mut theirs).is_ok(),
                    "{pair:?}"
                );
                if ok {
                    assert_eq!(ours, theirs);
                }
            }
        }
        assert!(decode_hex(b"abc", &mut [0u8; 2]).is_none());
    }

    #[test]
    fn prefixes_compare_over_their_digits() {
        let id = ObjectId::from_hex("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391").unwrap();
        for p in [
            "e",
            "e6",
            "e69",
            "E69DE29",
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
        ] {
            assert!(Prefix::from_hex(p).unwrap().matches(&id), "{p}");
        }
        for p in [
            "f",
            "e7",
            "e6a",
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c53910",
        ] {
            assert!(!Prefix::from_hex(p).unwrap().matches(&id), "{p}");
        }
        assert!(Prefix::from_hex("xyz").is_none());
        assert_eq!(Prefix::from_hex("abc").unwrap().to_string(), "abc");
    }
}
