//! Pack index files (`.idx`, versions 1 and 2): fan-out, binary search by id
//! and by prefix, offsets (with the 64-bit table), CRC32s and checksums.

use std::path::{Path, PathBuf};

use smmap::{MapManager, WindowCursor};

use crate::error::{Corruption, Error};
use crate::object::{HashKind, ObjectId, Prefix, cmp_digests};
use crate::pack::fanout::{self, Fanout};

const V2_MAGIC: [u8; 4] = [0xff, b't', b'O', b'c'];

/// The two index formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexVersion {
    /// Version 1: 32-bit offsets, no CRC32s.
    V1,
    /// Version 2: CRC32s and a 64-bit offset table.
    V2,
}

/// What a prefix lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefixLookup {
    /// No id starts with the prefix.
    None,
    /// Exactly one does: its position in the index.
    Unique(u32),
    /// Several do.
    Ambiguous,
}

/// An open pack index. Reads go through a [`WindowCursor`] the caller owns
/// (one per thread), so an index of any size is read through small windows.
#[derive(Debug)]
pub struct PackIndex {
    path: PathBuf,
    /// The cursor the index was opened with, holding no window: its clones
    /// read the file it read, never another put under the same name.
    opened: WindowCursor,
    version: IndexVersion,
    hash: HashKind,
    num_objects: u32,
    fanout: Fanout,
    file_size: u64,
    /// Where the fan-out table starts (0 for v1, 8 for v2).
    fanout_at: u64,
    names_at: u64,
    /// Distance between two names (v1 interleaves offsets and names).
    name_stride: u64,
    crc_at: u64,
    ofs32_at: u64,
    ofs64_at: u64,
    num_large: u64,
}

impl PackIndex {
    /// Opens the index at `path`, whose ids are of kind `hash`, reading it
    /// through windows of `manager`. Checks the header, the fan-out table and
    /// the file size as git's `load_idx` does.
    pub fn open(
        path: impl AsRef<Path>,
        manager: &MapManager,
        hash: HashKind,
    ) -> Result<PackIndex, Error> {
        let path = path.as_ref().to_owned();
        let mut c = manager.make_cursor(&path);
        let corrupt = |offset, reason| Error::corrupt(&path, offset, reason);
        let file_size = c.file_size()?;
        let h = hash.len() as u64;
        if file_size < 4 * 256 + 2 * h {
            return Err(corrupt(0, Corruption::TooSmall));
        }
        let mut head = [0u8; 8];
        c.read_at(0, &mut head)?;
        let (version, fanout_at) = if head[..4] == V2_MAGIC {
            let v = u32::from_be_bytes(head[4..].try_into().expect("4 bytes"));
            if v != 2 {
                return Err(corrupt(4, Corruption::UnsupportedVersion(v)));
            }
            (IndexVersion::V2, 8)
        } else {
            (IndexVersion::V1, 0)
        };
        let mut raw = [0u8; 1024];
        if c.read_at(fanout_at, &mut raw)? < 1024 {
            return Err(corrupt(fanout_at, Corruption::TooSmall));
        }
        let fanout = Fanout::parse(&raw)
            .map_err(|i| corrupt(fanout_at + 4 * i as u64, Corruption::NonMonotonicFanout))?;
        let n = u64::from(fanout.total());
        c.unuse_region();
        let mut index = PackIndex {
            path: path.clone(),
            opened: c,
            version,
            hash,
            num_objects: fanout.total(),
            fanout,
            file_size,
            fanout_at,
            names_at: 0,
            name_stride: 0,
            crc_at: 0,
            ofs32_at: 0,
            ofs64_at: 0,
            num_large: 0,
        };
        let wrong_size = || corrupt(0, Corruption::WrongIndexSize { objects: n as u32 });
        match version {
            IndexVersion::V1 => {
                if file_size != 1024 + n * (h + 4) + 2 * h {
                    return Err(wrong_size());
                }
                index.names_at = 1024 + 4;
                index.name_stride = h + 4;
            }
            IndexVersion::V2 => {
                let min = 8 + 1024 + n * (h + 8) + 2 * h;
                let max = min + n.saturating_sub(1) * 8;
                if file_size < min || file_size > max {
                    return Err(wrong_size());
                }
                index.names_at = 8 + 1024;
                index.name_stride = h;
                index.crc_at = index.names_at + n * h;
                index.ofs32_at = index.crc_at + n * 4;
                index.ofs64_at = index.ofs32_at + n * 4;
                index.num_large = (file_size - min) / 8;
            }
        }
        Ok(index)
    }

    /// A new cursor on the index file, for the read methods: on the file
    /// that was opened, even if another now has its name.
    pub fn cursor(&self) -> WindowCursor {
        self.opened.clone()
    }

    /// Whether the index's path still names the file that was opened.
    pub fn is_current(&self) -> bool {
        self.opened.is_current()
    }

    /// The index file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Format version.
    pub fn version(&self) -> IndexVersion {
        self.version
    }

    /// The kind of the ids in the index.
    pub fn hash_kind(&self) -> HashKind {
        self.hash
    }

    /// Number of objects.
    pub fn len(&self) -> u32 {
        self.num_objects
    }

    /// Whether the index lists no object.
    pub fn is_empty(&self) -> bool {
        self.num_objects == 0
    }

    /// The file's size in bytes.
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// The fan-out table: entry `b` counts the ids whose first byte is `<= b`.
    pub fn fanout(&self) -> &[u32; 256] {
        self.fanout.table()
    }

    fn corrupt(&self, offset: u64, reason: Corruption) -> Error {
        Error::corrupt(&self.path, offset, reason)
    }

    fn name_ofs(&self, i: u32) -> u64 {
        self.names_at + u64::from(i) * self.name_stride
    }

    /// The id at position `i` (ids are sorted).
    pub fn oid_at(&self, c: &mut WindowCursor, i: u32) -> Result<ObjectId, Error> {
        let mut buf = [0u8; 32];
        let h = self.hash.len();
        let ofs = self.name_ofs(i);
        if c.read_at(ofs, &mut buf[..h])? < h {
            return Err(self.corrupt(ofs, Corruption::TooSmall));
        }
        Ok(ObjectId::from_bytes(self.hash, &buf[..h]))
    }

    /// Compares the name at position `i` with `f`, reading it in place when it
    /// lies in one window.
    fn with_name<T>(
        &self,
        c: &mut WindowCursor,
        i: u32,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<T, Error> {
        let h = self.hash.len();
        let ofs = self.name_ofs(i);
        if c.includes_ofs(ofs) && c.ofs_end() >= ofs + h as u64 {
            let start = (ofs - c.ofs_begin()) as usize;
            return Ok(f(&c.buffer()[start..start + h]));
        }
        if c.use_region(ofs, h)?.is_valid() && c.size() >= h {
            return Ok(f(&c.buffer()[..h]));
        }
        let mut buf = [0u8; 32];
        if c.read_at(ofs, &mut buf[..h])? < h {
            return Err(self.corrupt(ofs, Corruption::TooSmall));
        }
        Ok(f(&buf[..h]))
    }

    /// The range of positions whose ids start with byte `b`.
    fn bucket(&self, b: u8) -> (u32, u32) {
        self.fanout.bucket(b)
    }

    /// Asks the processor to bring the places where a lookup of `id` will
    /// start (its name and offset where its bytes put it) into its cache,
    /// if the cursor's window maps them: a hint, for a lookup to come.
    pub(crate) fn prefetch(&self, c: &WindowCursor, id: &ObjectId) {
        if let Some(guess) = self.fanout.guess(id.as_bytes()) {
            c.prefetch(self.name_ofs(guess));
            if self.version == IndexVersion::V2 {
                c.prefetch(self.ofs32_at + u64::from(guess) * 4);
            }
        }
    }

    /// The position of `id`, if the index lists it.
    pub fn lookup(&self, c: &mut WindowCursor, id: &ObjectId) -> Result<Option<u32>, Error> {
        let want = id.as_bytes();
        if want.len() != self.hash.len() {
            return Ok(None);
        }
        self.fanout.search(want, |i| {
            self.with_name(c, i, |name| (cmp_digests(name, want), fanout::key(name)))
        })
    }

    /// Finds the ids starting with `prefix`: none, exactly one, or several.
    pub fn lookup_prefix(
        &self,
        c: &mut WindowCursor,
        prefix: &Prefix,
    ) -> Result<PrefixLookup, Error> {
        let Some((l, hi)) = self.first_not_below(c, prefix)? else {
            return Ok(PrefixLookup::None);
        };
        let matches = |c: &mut WindowCursor, i: u32| -> Result<bool, Error> {
            Ok(i < hi && self.with_name(c, i, |name| prefix.cmp_name(name).is_eq())?)
        };
        Ok(match (matches(c, l)?, matches(c, l + 1)?) {
            (false, _) => PrefixLookup::None,
            (true, false) => PrefixLookup::Unique(l),
            (true, true) => PrefixLookup::Ambiguous,
        })
    }

    /// The positions of every id that starts with `prefix` (empty if none).
    pub fn prefix_range(
        &self,
        c: &mut WindowCursor,
        prefix: &Prefix,
    ) -> Result<std::ops::Range<u32>, Error> {
        let Some((l, hi)) = self.first_not_below(c, prefix)? else {
            return Ok(0..0);
        };
        let mut end = l;
        while end < hi && self.with_name(c, end, |name| prefix.cmp_name(name).is_eq())? {
            end += 1;
        }
        Ok(l..end)
    }

    /// The first position whose id is not below `prefix`, within the fan-out
    /// buckets the prefix can lie in (and the end of those buckets); `None`
    /// for a prefix longer than an id.
    fn first_not_below(
        &self,
        c: &mut WindowCursor,
        prefix: &Prefix,
    ) -> Result<Option<(u32, u32)>, Error> {
        if prefix.hex_len() > self.hash.hex_len() {
            return Ok(None);
        }
        let (lo, hi) = if prefix.hex_len() >= 2 {
            self.bucket(prefix.first_byte())
        } else {
            // One digit: the 16 buckets of that high nibble.
            let first = prefix.first_byte();
            (self.bucket(first).0, self.bucket(first | 0x0f).1)
        };
        let (mut l, mut h) = (lo, hi);
        while l < h {
            let mid = l + (h - l) / 2;
            if self.with_name(c, mid, |name| prefix.cmp_name(name).is_lt())? {
                l = mid + 1;
            } else {
                h = mid;
            }
        }
        Ok(Some((l, hi)))
    }

    /// The first position whose id is not below `id`: where `id` is, or
    /// would be, in the index.
    pub fn lower_bound(&self, c: &mut WindowCursor, id: &ObjectId) -> Result<u32, Error> {
        let want = id.as_bytes();
        let (mut lo, mut hi) = self.bucket(want[0]);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.with_name(c, mid, |name| cmp_digests(name, want).is_lt())? {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// The pack offset of the object at position `i`.
    pub fn offset_at(&self, c: &mut WindowCursor, i: u32) -> Result<u64, Error> {
        let at = match self.version {
            IndexVersion::V1 => self.names_at - 4 + u64::from(i) * self.name_stride,
            IndexVersion::V2 => self.ofs32_at + u64::from(i) * 4,
        };
        let v = be_u32_at(c, at)?.ok_or_else(|| self.corrupt(at, Corruption::TooSmall))?;
        if self.version == IndexVersion::V1 || v & 0x8000_0000 == 0 {
            return Ok(u64::from(v));
        }
        let k = v & 0x7fff_ffff;
        if u64::from(k) >= self.num_large {
            return Err(self.corrupt(at, Corruption::BadLargeOffsetIndex(k)));
        }
        let at64 = self.ofs64_at + u64::from(k) * 8;
        be_u64_at(c, at64)?.ok_or_else(|| self.corrupt(at64, Corruption::TooSmall))
    }

    /// Every entry's `(offset, position)`, in index order, the offset
    /// table read in large pieces. The first entry whose offset can't be
    /// read fails it.
    pub fn offsets(&self, c: &mut WindowCursor) -> Result<Vec<(u64, u32)>, Error> {
        let n = self.len();
        let mut out = Vec::with_capacity(n as usize);
        if self.version == IndexVersion::V1 {
            for i in 0..n {
                out.push((self.offset_at(c, i)?, i));
            }
            return Ok(out);
        }
        let mut large = Vec::new();
        self.each_offset32(c, |i, v| {
            if v & 0x8000_0000 == 0 {
                out.push((u64::from(v), i));
            } else {
                large.push(out.len());
                out.push((0, i));
            }
            true
        })?;
        for k in large {
            out[k].0 = self.offset_at(c, out[k].1)?;
        }
        Ok(out)
    }

    /// Whether an entry other than position `pos` has the pack offset
    /// `offset`: one pass over the offset table in large reads, without
    /// sorting it (entries that can't be read are not counted).
    pub fn offset_shared(
        &self,
        c: &mut WindowCursor,
        pos: u32,
        offset: u64,
    ) -> Result<bool, Error> {
        if self.version == IndexVersion::V1 {
            for i in (0..self.len()).filter(|&i| i != pos) {
                if self.offset_at(c, i)? == offset {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        let (mut shared, mut large) = (false, Vec::new());
        self.each_offset32(c, |i, v| {
            if i != pos && v & 0x8000_0000 != 0 {
                large.push(i);
            } else if i != pos && u64::from(v) == offset {
                shared = true;
            }
            !shared
        })?;
        Ok(shared
            || large
                .into_iter()
                .any(|i| self.offset_at(c, i).is_ok_and(|o| o == offset)))
    }

    /// Each entry's 32-bit offset slot by position, read in large pieces
    /// (an offset of 2 GiB or more is a slot with its high bit set, read
    /// whole by [`offset_at`](Self::offset_at)); `None` for a version 1
    /// index, whose offsets lie among its ids.
    pub(crate) fn offset_slots(&self, c: &mut WindowCursor) -> Result<Option<Vec<u32>>, Error> {
        if self.version == IndexVersion::V1 {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(self.len() as usize);
        self.each_offset32(c, |_, v| {
            out.push(v);
            true
        })?;
        Ok(Some(out))
    }

    /// The 32-bit offset slots of this (version 2) index in place, four
    /// big-endian bytes an entry, if the window `c` holds (or takes) maps
    /// them all; `None` for a version 1 index or a window too small.
    pub(crate) fn mapped_offset_slots<'c>(&self, c: &'c mut WindowCursor) -> Option<&'c [u8]> {
        if self.version == IndexVersion::V1 {
            return None;
        }
        let len = usize::try_from(self.len()).ok()?.checked_mul(4)?;
        c.window_at(self.ofs32_at).ok()?.get(..len)
    }

    /// Gives `f` each entry's position and 32-bit offset slot of this
    /// (version 2) index, in order, read in large pieces, while `f` says
    /// to go on.
    fn each_offset32(
        &self,
        c: &mut WindowCursor,
        mut f: impl FnMut(u32, u32) -> bool,
    ) -> Result<(), Error> {
        const CHUNK: u32 = 16 * 1024;
        let n = self.len();
        let mut buf = vec![0u8; CHUNK as usize * 4];
        let mut first = 0;
        while first < n {
            let count = CHUNK.min(n - first);
            let bytes = &mut buf[..count as usize * 4];
            let at = self.ofs32_at + u64::from(first) * 4;
            if c.read_at(at, bytes)? < bytes.len() {
                return Err(self.corrupt(at, Corruption::TooSmall));
            }
            for (i, raw) in (first..).zip(bytes.chunks_exact(4)) {
                if !f(i, u32::from_be_bytes(raw.try_into().expect("4 bytes"))) {
                    return Ok(());
                }
            }
            first += count;
        }
        Ok(())
    }

    /// The offsets below 2 GiB that this (version 2) index keeps in its
    /// 64-bit table all the same, sorted: git's `index-pack --verify` writes
    /// them there too, so that an index written that way still verifies.
    pub fn anomalous_offsets(&self, c: &mut WindowCursor) -> Result<Vec<u32>, Error> {
        let mut out = Vec::new();
        if self.version == IndexVersion::V1 {
            return Ok(out);
        }
        for i in 0..self.num_objects {
            let at = self.ofs32_at + u64::from(i) * 4;
            let v = be_u32_at(c, at)?.ok_or_else(|| self.corrupt(at, Corruption::TooSmall))?;
            let k = u64::from(v & 0x7fff_ffff);
            if v & 0x8000_0000 == 0 || k >= self.num_large {
                continue;
            }
            let at64 = self.ofs64_at + k * 8;
            let big =
                be_u64_at(c, at64)?.ok_or_else(|| self.corrupt(at64, Corruption::TooSmall))?;
            if big >> 32 == 0 {
                out.push(big as u32);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// The CRC32 of the packed entry at position `i` (version 2 only).
    pub fn crc32_at(&self, c: &mut WindowCursor, i: u32) -> Result<Option<u32>, Error> {
        if self.version == IndexVersion::V1 {
            return Ok(None);
        }
        let at = self.crc_at + u64::from(i) * 4;
        be_u32_at(c, at)?
            .map(Some)
            .ok_or_else(|| self.corrupt(at, Corruption::TooSmall))
    }

    /// The index's copy of the pack's trailer checksum.
    pub fn pack_checksum(&self, c: &mut WindowCursor) -> Result<ObjectId, Error> {
        self.checksum_at(c, self.file_size - 2 * self.hash.len() as u64)
    }

    /// The index's own trailer checksum (over all bytes before it).
    pub fn index_checksum(&self, c: &mut WindowCursor) -> Result<ObjectId, Error> {
        self.checksum_at(c, self.file_size - self.hash.len() as u64)
    }

    fn checksum_at(&self, c: &mut WindowCursor, at: u64) -> Result<ObjectId, Error> {
        let h = self.hash.len();
        let mut buf = [0u8; 32];
        if c.read_at(at, &mut buf[..h])? < h {
            return Err(self.corrupt(at, Corruption::TooSmall));
        }
        Ok(ObjectId::from_bytes(self.hash, &buf[..h]))
    }

    /// Offset of the fan-out table in the file.
    pub fn fanout_offset(&self) -> u64 {
        self.fanout_at
    }

    /// Number of entries in the 64-bit offset table.
    pub fn num_large_offsets(&self) -> u64 {
        self.num_large
    }
}

/// Reads a big-endian `u32` at `ofs`; `None` past the end of the file.
fn be_u32_at(cursor: &mut WindowCursor, ofs: u64) -> Result<Option<u32>, smmap::Error> {
    let mut b = [0u8; 4];
    Ok((cursor.read_at(ofs, &mut b)? == 4).then(|| u32::from_be_bytes(b)))
}

/// Reads a big-endian `u64` at `ofs`; `None` past the end of the file.
fn be_u64_at(cursor: &mut WindowCursor, ofs: u64) -> Result<Option<u64>, smmap::Error> {
    let mut b = [0u8; 8];
    Ok((cursor.read_at(ofs, &mut b)? == 8).then(|| u64::from_be_bytes(b)))
}
