//! Pack entry headers: type and size varint, then the `OFS_DELTA` offset or
//! the `REF_DELTA` base id.

use crate::error::Corruption;
use crate::object::ObjectKind;
use crate::object::{HashKind, ObjectId};

/// The longest header: a 10-byte size varint, then a 10-byte offset or a 32-byte id.
pub(crate) const MAX_HEADER_LEN: usize = 10 + 32;

/// What a pack entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A whole object of this kind.
    Base(ObjectKind),
    /// A delta against the entry at this pack offset.
    OfsDelta {
        /// The base entry's offset.
        base_offset: u64,
    },
    /// A delta against the object with this id.
    RefDelta {
        /// The base object's id.
        base: ObjectId,
    },
}

impl EntryKind {
    /// git's pack type number (1–4, 6, 7).
    pub fn pack_type(&self) -> u8 {
        match self {
            EntryKind::Base(k) => match k {
                ObjectKind::Commit => 1,
                ObjectKind::Tree => 2,
                ObjectKind::Blob => 3,
                ObjectKind::Tag => 4,
            },
            EntryKind::OfsDelta { .. } => 6,
            EntryKind::RefDelta { .. } => 7,
        }
    }

    /// Whether the entry is a delta.
    pub fn is_delta(&self) -> bool {
        !matches!(self, EntryKind::Base(_))
    }
}

/// A decoded entry header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryHeader {
    /// What the entry holds.
    pub kind: EntryKind,
    /// The inflated size of the entry's data: the object's size, or for a
    /// delta the size of the delta data.
    pub size: u64,
    /// Bytes of header before the zlib stream.
    pub header_len: u32,
}

/// Decodes the header of the entry at pack offset `entry_offset` from `bytes`
/// (which may be cut short by the end of the pack data).
pub(crate) fn decode(
    bytes: &[u8],
    entry_offset: u64,
    hash: HashKind,
) -> Result<EntryHeader, Corruption> {
    // Entries start after the pack's 12-byte header.
    decode_with(bytes, entry_offset, hash, 12)
}

/// [`decode`] where an `OFS_DELTA` base may lie anywhere from `min_base` on:
/// git's `index-pack` takes any base after offset 0 (one inside the header
/// then finds no entry there: an unresolved delta).
pub(crate) fn decode_with(
    bytes: &[u8],
    entry_offset: u64,
    hash: HashKind,
    min_base: u64,
) -> Result<EntryHeader, Corruption> {
    let mut it = bytes.iter().copied();
    let mut used = 0usize;
    let mut next = || {
        used += 1;
        it.next().ok_or(Corruption::BadObjectHeader)
    };
    let mut c = next()?;
    let pack_type = (c >> 4) & 7;
    let mut size = u64::from(c & 15);
    let mut shift = 4u32;
    while c & 0x80 != 0 {
        if shift > 64 - 7 {
            return Err(Corruption::BadObjectHeader);
        }
        c = next()?;
        size += u64::from(c & 0x7f) << shift;
        shift += 7;
    }
    let kind = match pack_type {
        6 => {
            let mut c = next()?;
            let mut ofs = u64::from(c & 127);
            while c & 128 != 0 {
                ofs += 1;
                if ofs == 0 || ofs >> (64 - 7) != 0 {
                    return Err(Corruption::BadDeltaBaseOffset);
                }
                c = next()?;
                ofs = (ofs << 7) + u64::from(c & 127);
            }
            // The base must lie after the pack header and before this entry.
            if ofs == 0 || ofs > entry_offset || entry_offset - ofs < min_base {
                return Err(Corruption::BadDeltaBaseOffset);
            }
            EntryKind::OfsDelta {
                base_offset: entry_offset - ofs,
            }
        }
        7 => {
            let h = hash.len();
            let start = used;
            if bytes.len() < start + h {
                return Err(Corruption::BadObjectHeader);
            }
            used += h;
            EntryKind::RefDelta {
                base: ObjectId::from_bytes(hash, &bytes[start..start + h]),
            }
        }
        t => EntryKind::Base(ObjectKind::from_pack_type(t).ok_or(Corruption::BadObjectType(t))?),
    };
    Ok(EntryHeader {
        kind,
        size,
        header_len: used as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ofs(bytes: &[u8]) -> Result<u64, Corruption> {
        let mut h = vec![0x60]; // OFS_DELTA, size 0
        h.extend_from_slice(bytes);
        match decode(&h, 1 << 40, HashKind::Sha1)?.kind {
            EntryKind::OfsDelta { base_offset } => Ok((1 << 40) - base_offset),
            _ => unreachable!(),
        }
    }

    #[test]
    fn offset_encoding_matches_gitformat_pack() {
        assert_eq!(ofs(&[0x05]), Ok(5));
        assert_eq!(ofs(&[0x80, 0x00]), Ok(128));
        assert_eq!(ofs(&[0x81, 0x00]), Ok(256));
        assert_eq!(ofs(&[0xff, 0x7f]), Ok(16511));
        assert_eq!(ofs(&[0x00]), Err(Corruption::BadDeltaBaseOffset));
        assert_eq!(ofs(&[0xff; 11]), Err(Corruption::BadDeltaBaseOffset));
        assert_eq!(ofs(&[0x80]), Err(Corruption::BadObjectHeader), "truncated");
    }

    #[test]
    fn size_varint_and_types() {
        // blob, size 0x5 | 0x7f << 4 | 1 << 11
        let h = decode(&[0xb5, 0xff, 0x01], 12, HashKind::Sha1).unwrap();
        assert_eq!(h.kind, EntryKind::Base(ObjectKind::Blob));
        assert_eq!(h.size, 5 | (0x7f << 4) | (1 << 11));
        assert_eq!(h.header_len, 3);
        // Non-canonical encodings are accepted, as git does.
        assert_eq!(decode(&[0xb3, 0x00], 12, HashKind::Sha1).unwrap().size, 3);
        assert_eq!(
            decode(&[0x50], 12, HashKind::Sha1),
            Err(Corruption::BadObjectType(5))
        );
        assert_eq!(
            decode(&[0x00], 12, HashKind::Sha1),
            Err(Corruption::BadObjectType(0))
        );
        assert_eq!(
            decode(&[0xb0; 12], 12, HashKind::Sha1),
            Err(Corruption::BadObjectHeader),
            "size overflow"
        );
        assert_eq!(
            decode(&[0x70, 1, 2], 12, HashKind::Sha1),
            Err(Corruption::BadObjectHeader),
            "short REF id"
        );
        assert_eq!(
            decode(&[], 12, HashKind::Sha1),
            Err(Corruption::BadObjectHeader)
        );
    }
}
