//! The multi-pack-index (`objects/pack/multi-pack-index`): one sorted list
//! of the objects of several packs, each with the pack (the one git chose
//! when writing it, its preferred pack first) and the offset to read it at.
//! git looks objects up through it before the packs it doesn't cover.
//!
//! Read through window cursors like a pack index, and checked as git's
//! `load_multi_pack_index` checks it: a file that fails is not used (git
//! reports it and falls back to the packs).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use smmap::{MapManager, WindowCursor};

use crate::error::{Corruption, Error, MidxChunk, MidxProblem, map_error_is_file_gone};
use crate::object::{HashKind, ObjectId, cmp_digests};
use crate::pack::chunks::{TocProblem, read_toc};
use crate::pack::fanout::{self, Fanout};

const SIGNATURE: &[u8; 4] = b"MIDX";
const HEADER_LEN: u64 = 12;

/// An open multi-pack-index.
#[derive(Debug)]
pub struct MultiPackIndex {
    path: PathBuf,
    /// The cursor the file was opened with, holding no window (see
    /// [`PackIndex`](crate::PackIndex)'s).
    opened: WindowCursor,
    hash: HashKind,
    /// The `.idx` file names of the packs, by pack-int-id.
    pack_names: Vec<String>,
    fanout: Fanout,
    num_objects: u32,
    /// Where the chunks start.
    oid_lookup: u64,
    object_offsets: u64,
    large_offsets: Option<(u64, u64)>,
}

impl MultiPackIndex {
    /// Opens the multi-pack-index at `path`, if there is one: `Ok(None)`
    /// when there is no file, `Err` when git would not use it. Checked as
    /// git's `load_multi_pack_index` checks it, in its order.
    ///
    /// A file deleted while it is read (by `git repack` or `git
    /// multi-pack-index write` beside us) is no file; one replaced by
    /// another is read again, from the start.
    pub fn open(
        path: &Path,
        manager: &MapManager,
        hash: HashKind,
    ) -> Result<Option<MultiPackIndex>, MidxProblem> {
        let mut tries = 0;
        loop {
            match Self::open_once(path, manager, hash) {
                Err(MidxProblem::Unreadable(e)) if map_error_is_file_gone(&e) => {
                    if !path.is_file() {
                        return Ok(None);
                    }
                    tries += 1;
                    if tries == 3 {
                        return Err(MidxProblem::Unreadable(e));
                    }
                }
                done => return done,
            }
        }
    }

    fn open_once(
        path: &Path,
        manager: &MapManager,
        hash: HashKind,
    ) -> Result<Option<MultiPackIndex>, MidxProblem> {
        if !path.is_file() {
            return Ok(None);
        }
        let mut c = manager.make_cursor(path);
        let size = c.file_size().map_err(unreadable)?;
        let h = hash.len() as u64;
        if size < HEADER_LEN + 12 + h {
            return Err(MidxProblem::TooSmall);
        }
        let header = read_header(&mut c, hash)?;
        let chunks = read_toc(&mut c, HEADER_LEN, header.chunks, size - h, 4)?;
        let chunk = |id: &[u8; 4]| chunks.find(*id);
        let required =
            |id: &[u8; 4], which: MidxChunk| chunk(id).ok_or(MidxProblem::MissingChunk(which));
        let (pnam, pnam_len) = required(b"PNAM", MidxChunk::PackNames)?;
        let (oidf, oidf_len) = required(b"OIDF", MidxChunk::OidFanout)?;
        let (oidl, oidl_len) = required(b"OIDL", MidxChunk::OidLookup)?;
        let (ooff, ooff_len) = required(b"OOFF", MidxChunk::ObjectOffsets)?;
        if oidf_len != 256 * 4 {
            return Err(MidxProblem::WrongChunkSize(MidxChunk::OidFanout));
        }
        let mut raw = [0u8; 1024];
        c.read_at(oidf, &mut raw).map_err(unreadable)?;
        let fanout = Fanout::parse(&raw).map_err(|index| MidxProblem::FanoutOutOfOrder {
            index,
            before: raw_fanout(&raw, index - 1),
            value: raw_fanout(&raw, index),
        })?;
        let num_objects = fanout.total();
        if oidl_len != u64::from(num_objects) * h {
            return Err(MidxProblem::WrongChunkSize(MidxChunk::OidLookup));
        }
        if ooff_len != u64::from(num_objects) * 8 {
            return Err(MidxProblem::WrongChunkSize(MidxChunk::ObjectOffsets));
        }
        let large_offsets = chunk(b"LOFF").map(|(at, len)| (at, len / 8));
        let pack_names = read_pack_names(&mut c, pnam, pnam_len, &header)?;
        c.unuse_region();
        Ok(Some(MultiPackIndex {
            path: path.to_owned(),
            opened: c,
            hash,
            pack_names,
            fanout,
            num_objects,
            oid_lookup: oidl,
            object_offsets: ooff,
            large_offsets,
        }))
    }

    /// A cursor on the file, for the reading methods: on the file that was
    /// opened, even if another now has its name.
    pub fn cursor(&self) -> WindowCursor {
        self.opened.clone()
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `.idx` file names of the packs it covers, by pack-int-id.
    pub fn pack_names(&self) -> &[String] {
        &self.pack_names
    }

    /// How many objects it lists (each once).
    pub fn len(&self) -> u32 {
        self.num_objects
    }

    /// Whether it lists no object.
    pub fn is_empty(&self) -> bool {
        self.num_objects == 0
    }

    fn corrupt(&self, offset: u64, reason: Corruption) -> Error {
        Error::corrupt(&self.path, offset, reason)
    }

    /// The id at position `i`.
    pub fn oid_at(&self, c: &mut WindowCursor, i: u32) -> Result<ObjectId, Error> {
        let h = self.hash.len();
        let at = self.oid_lookup + u64::from(i) * h as u64;
        let mut buf = [0u8; 32];
        if c.read_at(at, &mut buf[..h])? < h {
            return Err(self.corrupt(at, Corruption::TooSmall));
        }
        Ok(ObjectId::from_bytes(self.hash, &buf[..h]))
    }

    /// The position of `id`, if listed.
    pub fn lookup(&self, c: &mut WindowCursor, id: &ObjectId) -> Result<Option<u32>, Error> {
        let want = id.as_bytes();
        if want.len() != self.hash.len() {
            return Ok(None);
        }
        self.fanout.search(want, |i| {
            let id = self.oid_at(c, i)?;
            Ok((cmp_digests(id.as_bytes(), want), fanout::key(id.as_bytes())))
        })
    }

    /// The pack-int-id and offset of the object at position `i`.
    pub fn location_at(&self, c: &mut WindowCursor, i: u32) -> Result<(u32, u64), Error> {
        let at = self.object_offsets + u64::from(i) * 8;
        let mut buf = [0u8; 8];
        if c.read_at(at, &mut buf)? < 8 {
            return Err(self.corrupt(at, Corruption::TooSmall));
        }
        let pack = u32::from_be_bytes(buf[..4].try_into().expect("4 bytes"));
        let offset = u32::from_be_bytes(buf[4..].try_into().expect("4 bytes"));
        if pack as usize >= self.pack_names.len() {
            return Err(self.corrupt(at, Corruption::BadLargeOffsetIndex(pack)));
        }
        // The most significant bit names a 64-bit offset, where there are any.
        if offset & 0x8000_0000 != 0
            && let Some((loff, count)) = self.large_offsets
        {
            let k = u64::from(offset & 0x7fff_ffff);
            if k >= count {
                return Err(self.corrupt(at, Corruption::BadLargeOffsetIndex(offset)));
            }
            let mut big = [0u8; 8];
            if c.read_at(loff + k * 8, &mut big)? < 8 {
                return Err(self.corrupt(loff + k * 8, Corruption::TooSmall));
            }
            return Ok((pack, u64::from_be_bytes(big)));
        }
        Ok((pack, u64::from(offset)))
    }
}

/// What a multi-pack-index's 12-byte header says.
struct Header {
    version: u8,
    chunks: u8,
    packs: u32,
}

fn unreadable(e: smmap::Error) -> MidxProblem {
    MidxProblem::Unreadable(Arc::new(e))
}

/// The header, checked: signature, version, the repository's hash.
fn read_header(c: &mut WindowCursor, hash: HashKind) -> Result<Header, MidxProblem> {
    let mut head = [0u8; 12];
    c.read_at(0, &mut head).map_err(unreadable)?;
    if &head[..4] != SIGNATURE {
        let found = u32::from_be_bytes(head[..4].try_into().expect("4 bytes"));
        return Err(MidxProblem::BadSignature(found));
    }
    if head[4] != 1 && head[4] != 2 {
        return Err(MidxProblem::UnsupportedVersion(head[4]));
    }
    let want_oid_version = match hash {
        HashKind::Sha1 => 1,
        HashKind::Sha256 => 2,
    };
    if head[5] != want_oid_version {
        return Err(MidxProblem::HashVersionMismatch {
            found: head[5],
            expected: want_oid_version,
        });
    }
    Ok(Header {
        version: head[4],
        chunks: head[6],
        packs: u32::from_be_bytes(head[8..12].try_into().expect("4 bytes")),
    })
}

/// The pack names of the `PNAM` chunk at `at` (`len` bytes): NUL-terminated,
/// one per pack, in order in version 1.
fn read_pack_names(
    c: &mut WindowCursor,
    at: u64,
    len: u64,
    header: &Header,
) -> Result<Vec<String>, MidxProblem> {
    let mut raw = vec![0u8; usize::try_from(len).map_err(|_| MidxProblem::TooSmall)?];
    c.read_at(at, &mut raw).map_err(unreadable)?;
    // Each name takes at least its NUL: no more names than bytes.
    let mut names = Vec::with_capacity(raw.len().min(header.packs as usize));
    let mut rest = &raw[..];
    for _ in 0..header.packs {
        let nul = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(MidxProblem::PackNamesTooShort)?;
        names.push(String::from_utf8_lossy(&rest[..nul]).into_owned());
        rest = &rest[nul + 1..];
    }
    if header.version == 1
        && let Some(w) = names.windows(2).find(|w| w[0] >= w[1])
    {
        return Err(MidxProblem::PackNamesOutOfOrder {
            first: w[0].clone(),
            second: w[1].clone(),
        });
    }
    Ok(names)
}

fn raw_fanout(raw: &[u8; 1024], i: usize) -> u32 {
    u32::from_be_bytes(raw[i * 4..i * 4 + 4].try_into().expect("4 bytes"))
}

impl From<TocProblem> for MidxProblem {
    fn from(p: TocProblem) -> Self {
        match p {
            TocProblem::Unreadable(e) => unreadable(e),
            TocProblem::TooSmall => MidxProblem::TooSmall,
            TocProblem::EarlyTerminating => MidxProblem::EarlyTerminatingChunk,
            TocProblem::Unaligned(id) => MidxProblem::UnalignedChunk(id),
            TocProblem::BadOffsets { start, next } => MidxProblem::BadChunkOffsets { start, next },
            TocProblem::Duplicate(id) => MidxProblem::DuplicateChunk(id),
            TocProblem::NonZeroFinal(id) => MidxProblem::NonZeroFinalChunk(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A multi-pack-index of no objects, with `num_packs` in its header and
    /// `names` as its PNAM chunk.
    fn midx_bytes(num_packs: u32, names: &[u8]) -> Vec<u8> {
        let mut out = b"MIDX\x01\x01\x04\x00".to_vec();
        out.extend_from_slice(&num_packs.to_be_bytes());
        let toc_end: u64 = 12 + 5 * 12;
        let pnam = toc_end;
        let oidf = pnam + names.len() as u64;
        let oidl = oidf + 1024;
        let ooff = oidl;
        let end = ooff;
        for (id, at) in [
            (b"PNAM", pnam),
            (b"OIDF", oidf),
            (b"OIDL", oidl),
            (b"OOFF", ooff),
        ] {
            out.extend_from_slice(id);
            out.extend_from_slice(&at.to_be_bytes());
        }
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&end.to_be_bytes());
        out.extend_from_slice(names);
        out.extend_from_slice(&[0; 1024]);
        out.extend_from_slice(&[0; 20]);
        out
    }

    fn open(bytes: &[u8], name: &str) -> Result<Option<MultiPackIndex>, MidxProblem> {
        let dir = std::env::temp_dir().join(format!("packread-midx-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("multi-pack-index");
        std::fs::write(&path, bytes).unwrap();
        let manager = smmap::SlidingWindowMapManager::with_limits(4096, 0, 0);
        let r = MultiPackIndex::open(&path, &manager, HashKind::Sha1);
        std::fs::remove_dir_all(&dir).unwrap();
        r
    }

    #[test]
    fn a_well_formed_empty_index_opens() {
        let midx = open(&midx_bytes(1, b"pack-a.idx\0\0"), "empty")
            .unwrap()
            .unwrap();
        assert_eq!(midx.pack_names(), ["pack-a.idx"]);
        assert!(midx.is_empty());
    }

    #[test]
    fn a_huge_pack_count_is_refused_without_reserving_for_it() {
        // Found by fuzzing: the count was reserved before the names were read.
        let err = open(&midx_bytes(u32::MAX, b"pack-a.idx\0\0"), "huge").unwrap_err();
        assert!(matches!(err, MidxProblem::PackNamesTooShort), "{err:?}");
    }
}
