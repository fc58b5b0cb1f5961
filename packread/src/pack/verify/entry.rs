//! One entry at a time: its facts as `git verify-pack -v` lists them, and
//! its check (CRC32, and the object hashing to its id).

use crate::error::{Corruption, Error};
use crate::object::ObjectId;
use crate::pack::decode::{self, ChainWalk, DecodeState};
use crate::pack::file::{Pack, PackCursors};
use crate::pack::verify::EntryInfo;

/// Facts about the entry at index position `pos` of `pack`.
pub(crate) fn entry_info(
    pack: &Pack,
    c: &mut PackCursors,
    st: &mut DecodeState,
    pos: u32,
) -> Result<EntryInfo, Error> {
    let id = pack.index().oid_at(c.index_cursor(), pos)?;
    let offset = pack.index().offset_at(c.index_cursor(), pos)?;
    let crc32 = pack.index().crc32_at(c.index_cursor(), pos)?;
    let size_in_pack = pack.next_offset(c, offset)? - offset;
    let header = pack.header_at(c.data_cursor(), offset)?;
    let (kind, depth) = decode::resolve_kind(pack, ChainWalk::Full, c, st, offset, header)?;
    let base = pack.delta_base_id(c, offset, &header.kind)?;
    Ok(EntryInfo {
        id,
        offset,
        header,
        size_in_pack,
        crc32,
        kind,
        depth,
        base,
    })
}

/// Checks the entry at index position `pos` of `pack` (whose objects the
/// delta-base cache knows as `pack_key`): its CRC32 and that its object,
/// decoded into `buf`, hashes to its id.
pub(crate) fn verify_entry(
    pack: &Pack,
    pack_key: u32,
    c: &mut PackCursors,
    st: &mut DecodeState,
    pos: u32,
    buf: &mut Vec<u8>,
) -> Result<EntryInfo, Error> {
    let info = entry_info(pack, c, st, pos)?;
    let crc = pack.verify_crc32(c, pos, info.offset, info.offset + info.size_in_pack);
    let decoded = decode::read_object(pack, pack_key, c, st, info.offset, buf);
    // Damaged bytes usually break both the CRC32 and the zlib stream: git
    // inflates the entry before it compares CRC32s, and names the inflate
    // error, so the stream's error comes first.
    let decoded = match (crc, decoded) {
        (
            _,
            Err(
                e @ Error::Corrupt {
                    reason: Corruption::Inflate(_) | Corruption::TruncatedStream,
                    ..
                },
            ),
        ) => {
            return Err(e);
        }
        (Err(e), _) => return Err(e),
        (Ok(()), decoded) => decoded?,
    };
    let actual = ObjectId::compute_checked(pack.hash_kind(), decoded.kind, buf)
        .map_err(|c| pack.corrupt(info.offset, c.into()))?;
    if actual != info.id {
        return Err(pack.corrupt(
            info.offset,
            Corruption::HashMismatch {
                expected: info.id,
                actual,
            },
        ));
    }
    Ok(info)
}
