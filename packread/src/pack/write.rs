//! The bytes of the index (`.idx`) and reverse index (`.rev`) files git
//! writes for a pack, as `git index-pack` lays them out: what
//! `index-pack --verify` compares an existing file with.

use crate::object::ObjectId;
use crate::pack::index::IndexVersion;

/// One object of a pack, as an index records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// The object's id.
    pub id: ObjectId,
    /// The entry's offset in the pack.
    pub offset: u64,
    /// The CRC32 of the entry's bytes in the pack.
    pub crc32: u32,
}

/// An index file's bytes, as git's `write_idx_file` writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexFile {
    /// The whole file, trailer included.
    pub bytes: Vec<u8>,
    /// The first id that two entries share, and where in `bytes` its second
    /// copy ends: git dies there (`The same object … appears twice in the
    /// pack`) once it has compared what it wrote before.
    pub duplicate: Option<(ObjectId, usize)>,
}

/// The index git writes for a pack of `entries` (in any order) whose trailer
/// is `pack_checksum`, in `version` (git switches to version 2 when an offset
/// needs 64 bits).
///
/// `anomalies` are 32-bit offsets an existing version 2 index keeps in its
/// 64-bit table anyway: git's `--verify` reproduces them (see
/// [`PackIndex::anomalous_offsets`](crate::pack::PackIndex::anomalous_offsets)).
///
/// ```
/// use packread::object::{HashKind, ObjectId, ObjectKind};
/// use packread::pack::{IndexEntry, IndexVersion, index_file};
///
/// let id = ObjectId::compute(HashKind::Sha1, ObjectKind::Blob, b"hello\n");
/// let pack = ObjectId::from_bytes(HashKind::Sha1, &[7; 20]);
/// let entry = IndexEntry { id, offset: 12, crc32: 0x1234_5678 };
/// let idx = index_file(&mut [entry], &pack, IndexVersion::V2, &[]);
/// // Header, fan-out, one id, CRC32, offset, two checksums.
/// assert_eq!(idx.bytes.len(), 8 + 1024 + 20 + 4 + 4 + 2 * 20);
/// assert_eq!(&idx.bytes[..4], b"\xfftOc");
/// ```
pub fn index_file(
    entries: &mut [IndexEntry],
    pack_checksum: &ObjectId,
    version: IndexVersion,
    anomalies: &[u32],
) -> IndexFile {
    entries.sort_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
    let large = |offset: u64| {
        offset >> 31 != 0
            || u32::try_from(offset).is_ok_and(|o| anomalies.binary_search(&o).is_ok())
    };
    let last = entries.iter().map(|e| e.offset).max().unwrap_or(0);
    let version = if large(last) {
        IndexVersion::V2
    } else {
        version
    };
    let h = pack_checksum.kind().len();
    let mut out = Vec::with_capacity(8 + 1024 + entries.len() * (h + 12) + 2 * h);
    if version == IndexVersion::V2 {
        out.extend_from_slice(b"\xfftOc");
        out.extend_from_slice(&2u32.to_be_bytes());
    }
    let mut next = 0usize;
    for byte in 0..=255u8 {
        while next < entries.len() && entries[next].id.as_bytes()[0] == byte {
            next += 1;
        }
        out.extend_from_slice(&(next as u32).to_be_bytes());
    }
    let mut duplicate = None;
    for (i, e) in entries.iter().enumerate() {
        if version == IndexVersion::V1 {
            out.extend_from_slice(&(e.offset as u32).to_be_bytes());
        }
        out.extend_from_slice(e.id.as_bytes());
        if duplicate.is_none() && i > 0 && entries[i - 1].id == e.id {
            duplicate = Some((e.id, out.len()));
        }
    }
    if version == IndexVersion::V2 {
        for e in entries.iter() {
            out.extend_from_slice(&e.crc32.to_be_bytes());
        }
        let mut nr_large = 0u32;
        for e in entries.iter() {
            let v = if large(e.offset) {
                nr_large += 1;
                0x8000_0000 | (nr_large - 1)
            } else {
                e.offset as u32
            };
            out.extend_from_slice(&v.to_be_bytes());
        }
        for e in entries.iter().filter(|e| large(e.offset)) {
            out.extend_from_slice(&e.offset.to_be_bytes());
        }
    }
    out.extend_from_slice(pack_checksum.as_bytes());
    let mut hasher = pack_checksum.kind().hasher();
    hasher.update(&out);
    out.extend_from_slice(hasher.finish().as_bytes());
    IndexFile {
        bytes: out,
        duplicate,
    }
}

/// The reverse index git writes for a pack of `entries` (in any order) whose
/// trailer is `pack_checksum`: each object's position in the index, in pack
/// order.
///
/// ```
/// use packread::object::{HashKind, ObjectId};
/// use packread::pack::{IndexEntry, reverse_index_file};
///
/// let pack = ObjectId::from_bytes(HashKind::Sha1, &[7; 20]);
/// let a = IndexEntry { id: ObjectId::from_bytes(HashKind::Sha1, &[1; 20]), offset: 40, crc32: 0 };
/// let b = IndexEntry { id: ObjectId::from_bytes(HashKind::Sha1, &[2; 20]), offset: 12, crc32: 0 };
/// let rev = reverse_index_file(&[a, b], &pack);
/// // b (index position 1) comes first in the pack.
/// assert_eq!(&rev[12..20], &[0, 0, 0, 1, 0, 0, 0, 0]);
/// ```
pub fn reverse_index_file(entries: &[IndexEntry], pack_checksum: &ObjectId) -> Vec<u8> {
    let mut by_id: Vec<(usize, &IndexEntry)> = entries.iter().enumerate().collect();
    by_id.sort_by(|a, b| a.1.id.as_bytes().cmp(b.1.id.as_bytes()));
    let mut positions: Vec<(u64, u32)> = by_id
        .iter()
        .enumerate()
        .map(|(pos, (_, e))| (e.offset, pos as u32))
        .collect();
    positions.sort_unstable();
    let h = pack_checksum.kind().len();
    let mut out = Vec::with_capacity(12 + positions.len() * 4 + 2 * h);
    out.extend_from_slice(b"RIDX");
    out.extend_from_slice(&1u32.to_be_bytes());
    let hash_id: u32 = match pack_checksum.kind() {
        crate::object::HashKind::Sha1 => 1,
        crate::object::HashKind::Sha256 => 2,
    };
    out.extend_from_slice(&hash_id.to_be_bytes());
    for (_, pos) in positions {
        out.extend_from_slice(&pos.to_be_bytes());
    }
    out.extend_from_slice(pack_checksum.as_bytes());
    let mut hasher = pack_checksum.kind().hasher();
    hasher.update(&out);
    out.extend_from_slice(hasher.finish().as_bytes());
    out
}
