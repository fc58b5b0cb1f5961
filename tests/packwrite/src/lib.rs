//! Pack and index files written byte by byte, as git lays them out, for
//! tests and fuzz targets that need packs git would never write (hostile
//! sizes, cycles, offsets past 4 GiB) or packs made from raw fuzzer bytes.
//!
//! Ids are raw SHA-1 digests (`[u8; 20]`): this crate knows nothing of
//! packread, so the tests of packread and its fuzz targets (a separate
//! workspace) share it.
//!
//! ```
//! let body = [packwrite::entry_header(3, 5), vec![0x78, 0x01]].concat();
//! let pack = packwrite::pack_file(2, 1, &body);
//! assert_eq!(&pack[..4], b"PACK");
//! let trailer: [u8; 20] = pack[pack.len() - 20..].try_into().unwrap();
//! assert_eq!(trailer, packwrite::sha1(&pack[..pack.len() - 20]));
//! let idx = packwrite::idx_v2(&[([7; 20], 12, 0)], &trailer);
//! assert_eq!(idx.len(), 8 + 1024 + 20 + 4 + 4 + 40);
//! ```

/// The SHA-1 of `data` (the digest even where collision detection objects:
/// fuzzed bytes may be anything).
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h = sha1dc::Hasher::new();
    h.update(data);
    match h.finalize() {
        Ok(d) => d.into(),
        Err(c) => c.digest().into(),
    }
}

/// A pack entry header: the type (1–4, 6, 7) and the size varint.
pub fn entry_header(pack_type: u8, size: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut c = (pack_type << 4) | (size & 15) as u8;
    let mut size = size >> 4;
    while size > 0 {
        out.push(c | 0x80);
        c = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(c);
    out
}

/// An `OFS_DELTA` base reference: the distance back to the base, in git's
/// offset encoding.
pub fn ofs_distance(mut d: u64) -> Vec<u8> {
    let mut out = vec![(d & 0x7f) as u8];
    d >>= 7;
    while d > 0 {
        d -= 1;
        out.push(0x80 | (d & 0x7f) as u8);
        d >>= 7;
    }
    out.reverse();
    out
}

/// The 12-byte pack header: `PACK`, `version`, `count` entries.
pub fn pack_header(version: u32, count: u32) -> [u8; 12] {
    let mut head = [0u8; 12];
    head[..4].copy_from_slice(b"PACK");
    head[4..8].copy_from_slice(&version.to_be_bytes());
    head[8..].copy_from_slice(&count.to_be_bytes());
    head
}

/// A whole pack file: the header for `count` entries of pack `version`,
/// `body` (the entries), and the SHA-1 trailer.
pub fn pack_file(version: u32, count: u32, body: &[u8]) -> Vec<u8> {
    let mut out = pack_header(version, count).to_vec();
    out.extend_from_slice(body);
    let sum = sha1(&out);
    out.extend_from_slice(&sum);
    out
}

/// A version 2 index (SHA-1) listing `entries` — (id, offset, CRC32) — in
/// the order given (sort them for a valid index; fuzzers may not), for the
/// pack whose trailer is `pack_sum`, with a 64-bit table for offsets of
/// 2^31 and more, and its own SHA-1 trailer.
pub fn idx_v2(entries: &[([u8; 20], u64, u32)], pack_sum: &[u8; 20]) -> Vec<u8> {
    let mut out = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
    let mut fanout = [0u32; 256];
    for (id, _, _) in entries {
        for f in &mut fanout[usize::from(id[0])..] {
            *f += 1;
        }
    }
    for f in fanout {
        out.extend_from_slice(&f.to_be_bytes());
    }
    for (id, _, _) in entries {
        out.extend_from_slice(id);
    }
    for (_, _, crc) in entries {
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut large = Vec::new();
    for &(_, offset, _) in entries {
        if offset < 0x8000_0000 {
            out.extend_from_slice(&(offset as u32).to_be_bytes());
        } else {
            out.extend_from_slice(&(0x8000_0000 | large.len() as u32).to_be_bytes());
            large.push(offset);
        }
    }
    for o in large {
        out.extend_from_slice(&o.to_be_bytes());
    }
    out.extend_from_slice(pack_sum);
    let sum = sha1(&out);
    out.extend_from_slice(&sum);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_distances_encode_as_git_writes_them() {
        // A 5-byte blob: type 3 in bits 4-6, size in the low nibble.
        assert_eq!(entry_header(3, 5), [0x35]);
        // 300 = 0b1_0010_1100: low nibble 12 with the continue bit, then 18.
        assert_eq!(entry_header(1, 300), [0x9c, 0x12]);
        // git's offset encoding adds one per continuation byte.
        assert_eq!(ofs_distance(127), [0x7f]);
        assert_eq!(ofs_distance(128), [0x80, 0x00]);
        assert_eq!(ofs_distance(16_511), [0xff, 0x7f]);
    }

    #[test]
    fn large_offsets_go_to_the_64_bit_table() {
        let idx = idx_v2(&[([1; 20], 12, 0), ([2; 20], 5 << 30, 0)], &[0; 20]);
        let offsets = 8 + 1024 + 2 * 20 + 2 * 4;
        assert_eq!(idx[offsets..offsets + 4], 12u32.to_be_bytes());
        assert_eq!(idx[offsets + 4..offsets + 8], 0x8000_0000u32.to_be_bytes());
        assert_eq!(idx[offsets + 8..offsets + 16], (5u64 << 30).to_be_bytes());
        assert_eq!(idx.len(), offsets + 8 + 8 + 40);
    }
}
