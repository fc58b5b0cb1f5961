//! A pack: its `.pack` data file and `.idx` index, read through window cursors.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use smmap::{MapManager, WindowCursor};

use crate::error::{Corruption, Error};
use crate::object::ObjectKind;
use crate::object::{HashKind, ObjectId};
use crate::pack::entry::{self, EntryHeader, EntryKind, MAX_HEADER_LEN};
use crate::pack::index::PackIndex;
use crate::pack::revindex::RevIndex;

/// Size of the pack header (`PACK`, version, object count).
pub const PACK_HEADER_LEN: u64 = 12;

/// A cursor on a pack's index and one on its data: what a thread needs to
/// read from the pack, made by [`Pack::cursors`]. Cheap to make; keep one per
/// pack per thread. While a cursor points into a window, that window stays
/// mapped: at most two windows per `PackCursors`, or one under a window
/// manager that allows fewer than two (each cursor then lets go of its
/// window before the other takes one, as upstream smmap works with one
/// handle).
#[derive(Debug)]
pub struct PackCursors {
    /// On the `.idx` file.
    index: WindowCursor,
    /// On the `.pack` file.
    data: WindowCursor,
    /// Hold one window at a time.
    one_window: bool,
    /// Whether the reads through these cursors may start the offset
    /// table's check in the background (see [`Pack::checked_offset`]).
    pub(crate) background_check: bool,
}

impl PackCursors {
    /// The cursor on the index (the data cursor lets go of its window first
    /// if only one may be held).
    #[inline]
    pub(crate) fn index_cursor(&mut self) -> &mut WindowCursor {
        if self.one_window {
            self.data.unuse_region();
        }
        &mut self.index
    }

    /// The cursor on the pack data (the index cursor lets go of its window
    /// first if only one may be held).
    #[inline]
    pub(crate) fn data_cursor(&mut self) -> &mut WindowCursor {
        if self.one_window {
            self.index.unuse_region();
        }
        &mut self.data
    }

    /// Lets go of both windows (they stay mapped, idle, until a limit of the
    /// window manager unloads them).
    pub fn release(&mut self) {
        self.index.unuse_region();
        self.data.unuse_region();
    }
}

/// An open pack: index and data.
#[derive(Debug)]
pub struct Pack {
    index: Arc<PackIndex>,
    data_path: PathBuf,
    manager: MapManager,
    /// The cursor the data file was opened with, holding no window: its
    /// clones read the file that was checked against the index.
    opened: WindowCursor,
    version: u32,
    data_size: u64,
    checksum: ObjectId,
    mtime: Option<SystemTime>,
    /// Entries sorted by offset: (offset, index position). Built on first use.
    by_offset: OnceLock<RevIndex>,
    /// Resolved object kinds by position in `by_offset` (0: not known yet),
    /// shared by every reader of the pack: one byte per object.
    kinds: OnceLock<Box<[AtomicU8]>>,
    /// Offsets checked through git's `.rev` file so far, before the reverse
    /// index is built (see [`Pack::checked_offset`]).
    quick_checks: AtomicU32,
    /// A cursor (holding no window) on the `.rev` file once it was checked
    /// to fit this pack: `None` if it doesn't or there is none.
    rev: OnceLock<Option<WindowCursor>>,
    /// Where the offset table is damaged (an entry's offset unreadable,
    /// out of the pack, or shared): its usable entries sorted by offset,
    /// those whose offset no other entry has, for reads of the entries the
    /// damage doesn't touch (as git reads them).
    usable: OnceLock<Vec<(u64, u32)>>,
    /// Whether git's `.rev` file confirmed the whole offset table (checked
    /// once, when the first reads' quick checks run out).
    table_confirmed: Arc<OnceLock<bool>>,
}

/// How many first reads of a pack without a `.rev` file check their offset
/// by a pass over the offset table (a pass costs about a twentieth of
/// sorting it): enough for a one-shot command's few reads.
const SCAN_CHECKS: u32 = 8;

/// How many offsets of a pack of `n` entries are checked one by one through
/// the `.rev` file (a binary search: about 2 log n dependent reads, 1 µs a
/// check on rails' 1.24M-entry pack in the page cache) before the whole
/// table is confirmed by one pass over the `.rev` file (n reads, about
/// 6 ns an entry: 7 ms on rails): a command that reads a few objects, or
/// diffs two far-apart trees (`diff-tree -r v6.0.0 HEAD` on rails reads
/// 1,900 trees), never pays for the pass; one that reads many pays for the
/// checks at most about what the pass costs, once. n / 1024 checks made
/// that diff pay both (22 ms against git's 15, 14 now); n / 256 cost
/// 20,000 random reads 2-3 % (n / 512: within their noise). Without a
/// `.rev` file, as many reads by id take their offsets unchecked (their
/// objects' hashes are checked instead) before the offset table is sorted.
fn quick_checks(n: u32) -> u32 {
    (n / 512).max(256)
}

/// What [`RevCheck::rev_order_mapped`] found in a range of ranks.
enum RevRun {
    /// The tables aren't mapped whole.
    Unmapped,
    /// A position or offset out of range, or offsets out of order.
    Broken,
    /// Offsets in order, from `first` to `last` (for no ranks, offsets
    /// that bound nothing).
    InOrder { first: u64, last: u64 },
}

/// The fewest entries whose `.rev` file check is split over two threads,
/// or made on a thread in the background.
const SPLIT_CHECK: u32 = 1 << 18;

/// The fewest file handles a manager must allow for the background check
/// (its windows on the index and the `.rev` file stay mapped while it
/// runs).
const BACKGROUND_HANDLES: usize = 8;

/// Whether the process may run on two CPUs or more.
fn two_cpus() -> bool {
    std::thread::available_parallelism().is_ok_and(|c| c.get() > 1)
}

/// The index position the `.rev` file on `rev` (checked to fit its pack)
/// puts at `rank` (one of the pack's ranks).
fn rev_position(rev: &mut WindowCursor, rank: u32) -> Result<u32, Error> {
    let mut b = [0u8; 4];
    let at = 12 + 4 * u64::from(rank);
    if rev.read_at(at, &mut b)? != 4 {
        let path = rev.path().map(Path::to_path_buf).unwrap_or_default();
        return Err(Error::corrupt(path, at, Corruption::UnexpectedEnd));
    }
    Ok(u32::from_be_bytes(b))
}

/// The rank among `n` whose entry lies at `offset`, by binary search over
/// ranks whose offsets increase, and what `at` (the index position and
/// offset at a rank) gave there; `at`'s first error ends the search.
fn search_ranks<E>(
    n: u32,
    offset: u64,
    mut at: impl FnMut(u32) -> Result<(u32, u64), E>,
) -> Result<Option<(u32, u32)>, E> {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let (pos, o) = at(mid)?;
        match o.cmp(&offset) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Ok(Some((mid, pos))),
        }
    }
    Ok(None)
}

/// A pack's 12-byte header: its version (2 or 3) and object count, or
/// where and why it is wrong.
pub(crate) fn parse_header(head: &[u8; 12]) -> Result<(u32, u32), (u64, Corruption)> {
    if &head[..4] != b"PACK" {
        return Err((0, Corruption::BadPackSignature));
    }
    let version = u32::from_be_bytes(head[4..8].try_into().expect("4 bytes"));
    if version != 2 && version != 3 {
        return Err((4, Corruption::UnsupportedVersion(version)));
    }
    Ok((
        version,
        u32::from_be_bytes(head[8..12].try_into().expect("4 bytes")),
    ))
}

impl Pack {
    /// Opens the pack whose index is `index_path` (the data file is the same
    /// path with `.pack`). Checks the pack header, that pack and index agree on
    /// the object count, and that the index belongs to this pack (its copy of
    /// the pack checksum equals the pack's trailer), as git does.
    pub fn open(
        index_path: impl AsRef<Path>,
        manager: &MapManager,
        hash: HashKind,
    ) -> Result<Pack, Error> {
        let index = PackIndex::open(index_path.as_ref(), manager, hash)?;
        let data_path = index.path().with_extension("pack");
        let mut c = manager.make_cursor(&data_path);
        let corrupt = |offset, reason| Error::corrupt(&data_path, offset, reason);
        let data_size = c.file_size()?;
        let h = hash.len() as u64;
        if data_size < PACK_HEADER_LEN + h {
            return Err(corrupt(0, Corruption::TooSmall));
        }
        let mut head = [0u8; 12];
        c.read_at(0, &mut head)?;
        let (version, count) = parse_header(&head).map_err(|(at, why)| corrupt(at, why))?;
        if count != index.len() {
            return Err(corrupt(
                8,
                Corruption::ObjectCountMismatch {
                    pack: count,
                    index: index.len(),
                },
            ));
        }
        let mut trailer = [0u8; 32];
        c.read_at(data_size - h, &mut trailer[..h as usize])?;
        let checksum = ObjectId::from_bytes(hash, &trailer[..h as usize]);
        // One window at a time, so that even a manager allowing one works.
        c.unuse_region();
        let mut ic = index.cursor();
        if index.pack_checksum(&mut ic)? != checksum {
            return Err(Error::corrupt(
                index.path(),
                index.file_size() - 2 * h,
                Corruption::PackChecksumMismatch,
            ));
        }
        let mtime = std::fs::metadata(&data_path)
            .and_then(|m| m.modified())
            .ok();
        Ok(Pack {
            index: Arc::new(index),
            data_path,
            manager: manager.clone(),
            opened: c,
            version,
            data_size,
            checksum,
            mtime,
            by_offset: OnceLock::new(),
            kinds: OnceLock::new(),
            quick_checks: AtomicU32::new(0),
            rev: OnceLock::new(),
            usable: OnceLock::new(),
            table_confirmed: Arc::new(OnceLock::new()),
        })
    }

    /// New cursors for reading this pack.
    pub fn cursors(&self) -> PackCursors {
        PackCursors {
            index: self.index.cursor(),
            data: self.opened.clone(),
            one_window: self.manager.max_file_handles() < 2,
            background_check: false,
        }
    }

    /// Whether the paths of index and data still name the files that were
    /// opened: not once a repack deleted them or put others in their place.
    pub fn is_current(&self) -> bool {
        self.index.is_current() && self.opened.is_current()
    }

    /// The window manager the pack is read through.
    pub fn manager(&self) -> &MapManager {
        &self.manager
    }

    /// The index.
    pub fn index(&self) -> &PackIndex {
        &self.index
    }

    /// The data file's path.
    pub fn data_path(&self) -> &Path {
        &self.data_path
    }

    /// The pack format version (2 or 3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The data file's size when it was opened.
    pub fn data_size(&self) -> u64 {
        self.data_size
    }

    /// The pack's trailer checksum (also its name).
    pub fn checksum(&self) -> ObjectId {
        self.checksum
    }

    /// Number of objects.
    pub fn len(&self) -> u32 {
        self.index.len()
    }

    /// Whether the pack holds no object.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub(crate) fn mtime(&self) -> Option<SystemTime> {
        self.mtime
    }

    /// The hash kind of the pack's ids.
    pub fn hash_kind(&self) -> HashKind {
        self.index.hash_kind()
    }

    /// Where entry data ends: the start of the trailer.
    pub fn data_end(&self) -> u64 {
        self.data_size - self.hash_kind().len() as u64
    }

    pub(crate) fn corrupt(&self, offset: u64, reason: Corruption) -> Error {
        Error::corrupt(&self.data_path, offset, reason)
    }

    /// Reads the header of the entry at `offset`: its type, size, and the
    /// base a delta names.
    pub fn entry_header(&self, c: &mut PackCursors, offset: u64) -> Result<EntryHeader, Error> {
        self.header_at(c.data_cursor(), offset)
    }

    /// [`entry_header`](Self::entry_header) through the data cursor alone.
    pub(crate) fn header_at(
        &self,
        c: &mut WindowCursor,
        offset: u64,
    ) -> Result<EntryHeader, Error> {
        let max = self.header_room(offset)?;
        // In place when the header lies in one window, else copied across the window end.
        if !c.includes_ofs(offset) || c.ofs_end() < offset + max as u64 {
            c.use_region(offset, max)?;
        }
        let decoded =
            if c.is_valid() && c.ofs_begin() <= offset && c.ofs_end() >= offset + max as u64 {
                let start = (offset - c.ofs_begin()) as usize;
                entry::decode(&c.buffer()[start..start + max], offset, self.hash_kind())
            } else {
                let mut buf = [0u8; MAX_HEADER_LEN];
                let n = c.read_at(offset, &mut buf[..max])?;
                entry::decode(&buf[..n], offset, self.hash_kind())
            };
        decoded.map_err(|reason| self.corrupt(offset, reason))
    }

    /// The most bytes the header of an entry at `offset` can take (its
    /// longest, or up to the end of the entries); an error if no entry can
    /// start there.
    pub(crate) fn header_room(&self, offset: u64) -> Result<usize, Error> {
        let end = self.data_end();
        if offset < PACK_HEADER_LEN || offset >= end {
            return Err(self.corrupt(offset, Corruption::OffsetOutOfRange(offset)));
        }
        Ok(MAX_HEADER_LEN.min(usize::try_from(end - offset).unwrap_or(MAX_HEADER_LEN)))
    }

    /// The header of the entry at `offset`, decoded from `bytes`, the
    /// bytes there (up to [`header_room`](Self::header_room) of them).
    pub(crate) fn decode_header(&self, bytes: &[u8], offset: u64) -> Result<EntryHeader, Error> {
        entry::decode(bytes, offset, self.hash_kind())
            .map_err(|reason| self.corrupt(offset, reason))
    }

    /// Entries sorted by pack offset, as (offset, index position): git's
    /// reverse index. Built once, on first use.
    pub fn entries_by_offset(&self, c: &mut PackCursors) -> Result<&[(u64, u32)], Error> {
        Ok(self.rev_index(c.index_cursor())?.entries())
    }

    /// Whether entries can be had by their rank in offset order (see
    /// [`entries_by_rank`](Self::entries_by_rank)) without a pass over
    /// the pack's tables first: git's `.rev` file confirmed the offset
    /// table, or the reverse index was built.
    pub(crate) fn has_ranks(&self) -> bool {
        self.by_offset.get().is_some() || self.table_confirmed.get() == Some(&true)
    }

    /// Appends to `out` the offsets and index positions of the entries at
    /// `ranks` in offset order (none past the last): read from git's `.rev`
    /// file where it confirms the offset table (checked once; no reverse
    /// index is built, 16 bytes an entry), else from the reverse index
    /// (built on first use).
    pub(crate) fn entries_by_rank(
        &self,
        c: &mut PackCursors,
        ranks: std::ops::Range<usize>,
        out: &mut Vec<(u64, u32)>,
    ) -> Result<(), Error> {
        let n = self.len() as usize;
        let ranks = ranks.start.min(n)..ranks.end.min(n);
        if let Some(mut rev) = self.confirmed_rev_file(c.index_cursor()) {
            for rank in ranks {
                let pos = rev_position(&mut rev, rank as u32)?;
                out.push((self.index.offset_at(c.index_cursor(), pos)?, pos));
            }
            return Ok(());
        }
        out.extend_from_slice(&self.rev_index(c.index_cursor())?.entries()[ranks]);
        Ok(())
    }

    /// The rank in offset order of the entry at exactly `offset` (as
    /// [`entries_by_rank`](Self::entries_by_rank) reads ranks).
    pub(crate) fn rank_of(&self, c: &mut PackCursors, offset: u64) -> Result<Option<usize>, Error> {
        let idx = c.index_cursor();
        let Some(mut rev) = self.confirmed_rev_file(idx) else {
            return self.position_of(idx, offset);
        };
        let found = search_ranks(self.len(), offset, |rank| {
            let pos = rev_position(&mut rev, rank)?;
            Ok::<_, Error>((pos, self.index.offset_at(idx, pos)?))
        })?;
        Ok(found.map(|(rank, _)| rank as usize))
    }

    /// A cursor on the `.rev` file, if the reverse index wasn't built and
    /// the file confirms the offset table (checked once).
    fn confirmed_rev_file(&self, idx: &mut WindowCursor) -> Option<WindowCursor> {
        if self.by_offset.get().is_some() || !self.rev_file_confirms_table(idx) {
            return None;
        }
        self.rev_file()
    }

    /// The reverse index, built on first use.
    fn rev_index(&self, c: &mut WindowCursor) -> Result<&RevIndex, Error> {
        if let Some(r) = self.by_offset.get() {
            return Ok(r);
        }
        // git's `.rev` file has the order already: checked in one pass.
        if let Some(v) = self.order_from_rev_file(c) {
            return Ok(self
                .by_offset
                .get_or_init(|| RevIndex::new(v, self.data_end())));
        }
        let mut v = self.index.offsets(c)?;
        if let Some(&(offset, _)) = v
            .iter()
            .find(|&&(o, _)| o < PACK_HEADER_LEN || o >= self.data_end())
        {
            return Err(Error::corrupt(
                self.index.path(),
                0,
                Corruption::OffsetOutOfRange(offset),
            ));
        }
        crate::pack::revindex::sort_by_offset(&mut v);
        if let Some(w) = v.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::corrupt(
                self.index.path(),
                0,
                Corruption::OffsetOutOfRange(w[0].0),
            ));
        }
        Ok(self
            .by_offset
            .get_or_init(|| RevIndex::new(v, self.data_end())))
    }

    /// The position in offset order ([`entries_by_offset`](Self::entries_by_offset))
    /// of the entry at exactly `offset`.
    pub(crate) fn position_of(
        &self,
        c: &mut WindowCursor,
        offset: u64,
    ) -> Result<Option<usize>, Error> {
        Ok(self.rev_index(c)?.position(offset))
    }

    /// The kind of the object at `offset` if an earlier walk resolved it.
    pub(crate) fn known_kind(
        &self,
        c: &mut WindowCursor,
        offset: u64,
    ) -> Result<Option<ObjectKind>, Error> {
        // Before the reverse index is built, nothing is remembered (one
        // read never builds it for the memo).
        if self.by_offset.get().is_none() {
            return Ok(None);
        }
        let Some(i) = self.position_of(c, offset)? else {
            return Ok(None);
        };
        let kinds = self.kinds();
        Ok(ObjectKind::from_pack_type(kinds[i].load(Ordering::Relaxed)))
    }

    /// Remembers the kind of the objects at `offsets` for later walks.
    pub(crate) fn remember_kind(
        &self,
        c: &mut WindowCursor,
        offsets: impl Iterator<Item = u64>,
        kind: ObjectKind,
    ) -> Result<(), Error> {
        if self.by_offset.get().is_none() {
            return Ok(());
        }
        let kinds = self.kinds();
        let t = EntryKind::Base(kind).pack_type();
        for offset in offsets {
            if let Some(i) = self.position_of(c, offset)? {
                kinds[i].store(t, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// The kind memo, one byte per entry in offset order.
    fn kinds(&self) -> &[AtomicU8] {
        self.kinds
            .get_or_init(|| (0..self.len()).map(|_| AtomicU8::new(0)).collect())
    }

    /// Whether a read may take an entry's offset as the index gives it and
    /// check what it reads instead (against the id it was asked by): for
    /// the first reads of a pack with no usable `.rev` file, before its
    /// offset table is sorted. Counts the read.
    pub(crate) fn take_unchecked_read(&self) -> bool {
        self.may_read_unchecked()
            && self.quick_checks.fetch_add(1, Ordering::Relaxed) < quick_checks(self.len())
    }

    /// Whether [`take_unchecked_read`](Self::take_unchecked_read) may say
    /// yes (without counting a read).
    pub(crate) fn may_read_unchecked(&self) -> bool {
        self.by_offset.get().is_none()
            && self.usable.get().is_none()
            && self.quick_checks.load(Ordering::Relaxed) < quick_checks(self.len())
            && self.rev_file().is_none()
    }

    /// The pack offset of the object at index position `pos`, checked: it
    /// lies in the pack's data and no other entry has it. A corrupt offset
    /// that redirects one object's id to another object's entry duplicates
    /// that entry's offset, so it can't make a read return the other
    /// object's bytes.
    ///
    /// The first reads of a pack check their offset alone against git's
    /// `.rev` file, where there is one: the entry the `.rev` file puts at
    /// that offset must be `pos`, between its neighbours in pack order. Past
    /// a few reads, or without a usable `.rev` file, the whole offset table
    /// is checked once, as the reverse index is built. (A damaged table may
    /// let a first read through that the whole table's check then refuses:
    /// what is read is always the entry's own object.) Where the table is
    /// damaged, the entries the damage doesn't touch are still read, as git
    /// reads them; a damaged entry gives its own error.
    pub fn checked_offset(&self, c: &mut PackCursors, pos: u32) -> Result<u64, Error> {
        let background = c.background_check;
        let idx = c.index_cursor();
        if self.by_offset.get().is_some() || self.table_confirmed.get() == Some(&true) {
            return self.index.offset_at(idx, pos);
        }
        // The entry's own offset first: its damage is its error alone.
        let offset = self.index.offset_at(idx, pos)?;
        if self.usable.get().is_none() {
            let done = self.quick_checks.fetch_add(1, Ordering::Relaxed);
            if background && done == quick_checks(self.len()) / 4 {
                self.confirm_in_background();
            }
            if done < quick_checks(self.len()) && self.rev_file_confirms(idx, pos, offset) {
                return Ok(offset);
            }
            // Without a `.rev` file, the first few reads look through the
            // offset table once each rather than sort it: an offset inside
            // the pack's data that no other entry has.
            if done < SCAN_CHECKS
                && (PACK_HEADER_LEN..self.data_end()).contains(&offset)
                && self.rev_file().is_none()
                && !self.index.offset_shared(idx, pos, offset).unwrap_or(true)
            {
                return Ok(offset);
            }
        }
        if self.usable.get().is_none() && self.rev_file_confirms_table(idx) {
            return Ok(offset);
        }
        let whole = match self.usable.get() {
            Some(_) => None,
            None => Some(self.rev_index(idx)),
        };
        match whole {
            Some(Ok(_)) => Ok(offset),
            Some(Err(e)) if !matches!(e, Error::Corrupt { .. }) => Err(e),
            _ => {
                let usable = self.usable.get_or_init(|| self.usable_entries(idx));
                match usable.binary_search_by_key(&offset, |&(o, _)| o) {
                    Ok(i) if usable[i].1 == pos => Ok(offset),
                    _ => Err(Error::corrupt(
                        self.index.path(),
                        0,
                        Corruption::OffsetOutOfRange(offset),
                    )),
                }
            }
        }
    }

    /// The entries of a damaged offset table that can be read: readable
    /// offsets inside the pack's data that no other entry shares, sorted.
    fn usable_entries(&self, idx: &mut WindowCursor) -> Vec<(u64, u32)> {
        let mut v: Vec<(u64, u32)> = (0..self.len())
            .filter_map(|i| Some((self.index.offset_at(idx, i).ok()?, i)))
            .filter(|&(o, _)| o >= PACK_HEADER_LEN && o < self.data_end())
            .collect();
        v.sort_unstable();
        let shared: std::collections::HashSet<u64> = v
            .windows(2)
            .filter(|w| w[0].0 == w[1].0)
            .map(|w| w[0].0)
            .collect();
        v.retain(|(o, _)| !shared.contains(o));
        v
    }

    /// Whether the pack's `.rev` file (git's reverse index: the index
    /// positions in pack order) puts entry `pos` at `offset`, strictly
    /// between the offsets of the entries it puts before and after it. Any
    /// doubt (no such file, another format, a read that fails, offsets out
    /// of order) is a no: the caller checks the whole table instead.
    fn rev_file_confirms(&self, idx: &mut WindowCursor, pos: u32, offset: u64) -> bool {
        let n = self.len();
        let Some(mut rev) = self.rev_file() else {
            return false;
        };
        let mut at = |p: u32| -> Option<(u32, u64)> {
            let i = rev_position(&mut rev, p).ok()?;
            (i < n).then_some(())?;
            Some((i, self.index.offset_at(idx, i).ok()?))
        };
        let Ok(Some((mid, i))) = search_ranks(n, offset, |p| at(p).ok_or(())) else {
            return false;
        };
        let before = if mid == 0 {
            Some(PACK_HEADER_LEN.saturating_sub(1))
        } else {
            at(mid - 1).map(|(_, o)| o)
        };
        let after = if mid + 1 == n {
            Some(self.data_end())
        } else {
            at(mid + 1).map(|(_, o)| o)
        };
        i == pos && before.is_some_and(|b| b < offset) && after.is_some_and(|a| offset < a)
    }

    /// Whether the pack's `.rev` file lists every entry once, at offsets
    /// strictly increasing inside the pack's data: then every offset of
    /// the table is an entry's own, and reads take offsets as the index
    /// gives them without building the reverse index (one pass over the
    /// `.rev` file and the offset table: git.git's 849k entries in a few
    /// milliseconds, a third of what building took). Checked once.
    ///
    /// A large pack's mapped tables are checked in two halves on two
    /// threads where there are two CPUs (the readers that wait for the
    /// check, or the one that makes it, would leave one idle).
    fn rev_file_confirms_table(&self, idx: &mut WindowCursor) -> bool {
        *self.table_confirmed.get_or_init(|| {
            let halves = self.len() >= SPLIT_CHECK && two_cpus();
            self.rev_check()
                .is_some_and(|check| check.confirms_table(idx, halves))
        })
    }

    /// Starts the offset table's check on a thread of its own, for a large
    /// pack with a `.rev` file read by many ids (a quarter of its quick
    /// checks made, by a reader that expects to read many: see
    /// `Reader::check_offsets_in_background`) where there are two CPUs and
    /// the handle limit has room for the thread's windows: the reads that run out of quick checks
    /// then find it made, or wait for the rest of it, rather than make it
    /// all (rails' 1.24M entries: about 7 ms).
    fn confirm_in_background(&self) {
        if self.len() < SPLIT_CHECK
            || self.table_confirmed.get().is_some()
            || self.manager.max_file_handles() < BACKGROUND_HANDLES
            || !two_cpus()
        {
            return;
        }
        let _ = self.spawn_check();
    }

    /// Checks the offset table on a new thread (see
    /// [`confirm_in_background`](Self::confirm_in_background)), if the pack
    /// has a `.rev` file that fits it and the system starts a thread.
    fn spawn_check(&self) -> Option<std::thread::JoinHandle<()>> {
        let check = self.rev_check()?;
        let confirmed = Arc::clone(&self.table_confirmed);
        let mut idx = self.index.cursor();
        std::thread::Builder::new()
            .name("packread-rev".into())
            .spawn(move || {
                confirmed.get_or_init(|| check.confirms_table(&mut idx, false));
            })
            .ok()
    }

    /// What the offset table's check reads, if the pack has a `.rev` file
    /// that fits it.
    fn rev_check(&self) -> Option<RevCheck> {
        Some(RevCheck {
            index: Arc::clone(&self.index),
            rev: self.rev_file()?,
            data_end: self.data_end(),
        })
    }

    /// Gives `f` each entry's offset and index position in pack order as
    /// the `.rev` file lists them, checked (see [`RevCheck`]).
    fn each_in_rev_order(&self, idx: &mut WindowCursor, f: impl FnMut(u64, u32)) -> Option<()> {
        self.rev_check()?.each_in_rev_order(idx, f)
    }

    /// A cursor on the pack's `.rev` file (git's reverse index), if it has
    /// one of the right size, header and pack checksum (checked once).
    fn rev_file(&self) -> Option<WindowCursor> {
        self.rev.get_or_init(|| self.open_rev_file()).clone()
    }

    fn open_rev_file(&self) -> Option<WindowCursor> {
        let n = self.len();
        let h = self.hash_kind().len() as u64;
        let mut rev = self
            .manager
            .make_cursor(self.index.path().with_extension("rev"));
        let hash_id: u32 = match self.hash_kind() {
            HashKind::Sha1 => 1,
            HashKind::Sha256 => 2,
        };
        // The header: `RIDX`, version 1, the hash; then n positions, the
        // pack's checksum (this pack's, or the file is another's) and the
        // file's own.
        let mut want = [0u8; 12];
        want[..4].copy_from_slice(b"RIDX");
        want[4..8].copy_from_slice(&1u32.to_be_bytes());
        want[8..].copy_from_slice(&hash_id.to_be_bytes());
        let mut head = [0u8; 12];
        let mut pack_sum = [0u8; 32];
        let pack_sum = &mut pack_sum[..h as usize];
        let fits = rev.file_size().ok() == Some(12 + 4 * u64::from(n) + 2 * h)
            && rev.read_at(0, &mut head).ok() == Some(12)
            && head == want
            && rev.read_at(12 + 4 * u64::from(n), pack_sum).ok() == Some(pack_sum.len())
            && *pack_sum == *self.checksum.as_bytes();
        rev.unuse_region();
        fits.then_some(rev)
    }

    /// The entries in pack order as the `.rev` file lists them, checked
    /// (see [`each_in_rev_order`](Self::each_in_rev_order)).
    fn order_from_rev_file(&self, idx: &mut WindowCursor) -> Option<Vec<(u64, u32)>> {
        let mut v = Vec::with_capacity(self.len() as usize);
        self.each_in_rev_order(idx, |offset, i| v.push((offset, i)))?;
        Some(v)
    }

    /// The offset where the entry at `offset` ends (the next entry, or the
    /// trailer), from the reverse index.
    pub fn next_offset(&self, c: &mut PackCursors, offset: u64) -> Result<u64, Error> {
        let end = self.data_end();
        let r = self.rev_index(c.index_cursor())?;
        let i = r.position_after(offset);
        Ok(r.entries().get(i).map_or(end, |&(o, _)| o))
    }

    /// The id of the immediate delta base of the entry at `offset` (of kind
    /// `kind`), or `None` for a whole object.
    pub(crate) fn delta_base_id(
        &self,
        cursors: &mut PackCursors,
        offset: u64,
        kind: &EntryKind,
    ) -> Result<Option<ObjectId>, Error> {
        match *kind {
            EntryKind::Base(_) => Ok(None),
            EntryKind::RefDelta { base } => Ok(Some(base)),
            EntryKind::OfsDelta { base_offset } => self
                .oid_at_offset(cursors, base_offset)?
                .map(Some)
                .ok_or_else(|| self.corrupt(offset, Corruption::BadDeltaBaseOffset)),
        }
    }

    /// The id of the entry at `offset`, from the reverse index.
    pub fn oid_at_offset(
        &self,
        cursors: &mut PackCursors,
        offset: u64,
    ) -> Result<Option<ObjectId>, Error> {
        let r = self.rev_index(cursors.index_cursor())?;
        match r.position(offset) {
            Some(i) => {
                let pos = r.entries()[i].1;
                Ok(Some(self.index.oid_at(cursors.index_cursor(), pos)?))
            }
            None => Ok(None),
        }
    }
}

/// What confirming a pack's offset table through its `.rev` file reads:
/// the index, the `.rev` file (checked to fit the pack) and where the
/// pack's entries end. Shared with a thread that makes the check in the
/// background (see [`Pack::checked_offset`]).
#[derive(Clone, Debug)]
struct RevCheck {
    index: Arc<PackIndex>,
    rev: WindowCursor,
    data_end: u64,
}

impl RevCheck {
    /// Whether the `.rev` file lists every entry once, at offsets strictly
    /// increasing inside the pack's data; a large pack's mapped tables in
    /// two halves on two threads where `halves` says so.
    fn confirms_table(&self, idx: &mut WindowCursor, halves: bool) -> bool {
        if halves && let Some(confirmed) = self.confirmed_in_halves(idx) {
            return confirmed;
        }
        self.each_in_rev_order(idx, |_, _| {}).is_some()
    }

    /// The offset table's check,
    /// each half of the ranks on its own thread; `None` unless the tables
    /// are mapped whole.
    fn confirmed_in_halves(&self, idx: &mut WindowCursor) -> Option<bool> {
        let n = usize::try_from(self.index.len()).ok()?;
        let mid = n / 2;
        let (mut rev, mut idx2) = (self.rev.clone(), idx.clone());
        let mut rev2 = rev.clone();
        let (low, high) = std::thread::scope(|s| {
            let high = std::thread::Builder::new().spawn_scoped(s, || {
                self.rev_order_mapped(&mut rev2, &mut idx2, mid..n, &mut |_, _| {})
            });
            let low = self.rev_order_mapped(&mut rev, idx, 0..mid, &mut |_, _| {});
            let high = if let Ok(thread) = high {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            } else {
                // No thread to be had: the other half here, after.
                let (mut rev, mut idx) = (rev.clone(), idx.clone());
                self.rev_order_mapped(&mut rev, &mut idx, mid..n, &mut |_, _| {})
            };
            (low, high)
        });
        match (low, high) {
            (RevRun::InOrder { last, .. }, RevRun::InOrder { first, .. }) => Some(last < first),
            (RevRun::Unmapped, _) | (_, RevRun::Unmapped) => None,
            _ => Some(false),
        }
    }

    /// Gives `f` each entry's offset and index position in pack order as
    /// the `.rev` file lists them, checked: every position once, offsets
    /// strictly increasing inside the pack's data (what sorting the offset
    /// table would give). `None` without a usable file or if the check
    /// fails. Both tables are read in place where their windows map them
    /// whole ([`rev_order_mapped`](Self::rev_order_mapped)); else the file
    /// in pieces, the offset table in large reads.
    fn each_in_rev_order(&self, idx: &mut WindowCursor, mut f: impl FnMut(u64, u32)) -> Option<()> {
        const CHUNK: u64 = 16 * 1024;
        let n = u64::from(self.index.len());
        let mut rev = self.rev.clone();
        match self.rev_order_mapped(&mut rev, idx, 0..self.index.len() as usize, &mut f) {
            RevRun::Unmapped => {}
            RevRun::Broken => return None,
            RevRun::InOrder { .. } => return Some(()),
        }
        // A version 2 index's 32-bit slots (a large offset read whole when
        // met); a version 1 index's offsets as they are.
        let slots = self.index.offset_slots(idx).ok()?;
        let v1 = match slots {
            Some(_) => None,
            None => Some(self.index.offsets(idx).ok()?),
        };
        let mut last = PACK_HEADER_LEN.checked_sub(1)?;
        let mut buf = vec![0u8; CHUNK as usize * 4];
        let mut first = 0;
        while first < n {
            let raw = &mut buf[..(CHUNK.min(n - first) * 4) as usize];
            if rev.read_at(12 + 4 * first, raw).ok()? != raw.len() {
                return None;
            }
            for chunk in raw.chunks_exact(4) {
                let i = u32::from_be_bytes(chunk.try_into().ok()?);
                let offset = match &slots {
                    Some(slots) => match *slots.get(i as usize)? {
                        slot if slot & 0x8000_0000 == 0 => u64::from(slot),
                        _ => self.index.offset_at(idx, i).ok()?,
                    },
                    None => v1.as_ref()?.get(i as usize)?.0,
                };
                if offset <= last || offset >= self.data_end {
                    return None;
                }
                last = offset;
                f(offset, i);
            }
            first += raw.len() as u64 / 4;
        }
        Some(())
    }

    /// [`each_in_rev_order`](Self::each_in_rev_order) for the entries of
    /// `ranks` in pack order, over the `.rev` file's positions and the
    /// index's offset table where they are mapped ([`RevRun::Unmapped`]
    /// unless the cursors' windows hold them whole), the slot a step will
    /// read prefetched a few steps before: the positions are read in
    /// order, the slots all over the table.
    fn rev_order_mapped(
        &self,
        rev: &mut WindowCursor,
        idx: &mut WindowCursor,
        ranks: std::ops::Range<usize>,
        f: &mut impl FnMut(u64, u32),
    ) -> RevRun {
        /// How many steps ahead a slot is prefetched.
        const AHEAD: usize = 16;
        let n = self.index.len() as usize;
        let Some(positions) = rev
            .window_at(12)
            .ok()
            .and_then(|w| w.get(..n.checked_mul(4)?))
        else {
            return RevRun::Unmapped;
        };
        // Offsets of 2 GiB or more, read while `idx` lends the table.
        let mut large = idx.clone();
        let Some(slots) = self.index.mapped_offset_slots(idx) else {
            return RevRun::Unmapped;
        };
        let word = |bytes: &[u8], i: usize| -> Option<u32> {
            let b = bytes.get(i.checked_mul(4)?..)?.get(..4)?;
            Some(u32::from_be_bytes(b.try_into().ok()?))
        };
        // The entry before the first rank lies at or before `last` (the
        // pack's header for rank 0; any offset for a later half, whose
        // first offset the caller compares with the half before).
        let mut last = match ranks.start {
            0 => PACK_HEADER_LEN - 1,
            _ => 0,
        };
        let mut first = None;
        for k in ranks {
            if let Some(ahead) = word(positions, k + AHEAD)
                && let Some(at) = (ahead as usize).checked_mul(4)
                && let Some(slot) = slots.get(at..)
            {
                smmap::prefetch(slot);
            }
            let Some(i) = word(positions, k) else {
                return RevRun::Broken;
            };
            let Some(slot) = word(slots, i as usize) else {
                return RevRun::Broken;
            };
            let offset = match slot & 0x8000_0000 {
                0 => u64::from(slot),
                _ => match self.index.offset_at(&mut large, i) {
                    Ok(offset) => offset,
                    Err(_) => return RevRun::Broken,
                },
            };
            if offset <= last || offset >= self.data_end {
                return RevRun::Broken;
            }
            first.get_or_insert(offset);
            last = offset;
            f(offset, i);
        }
        RevRun::InOrder {
            first: first.unwrap_or(u64::MAX),
            last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctest::Scratch;
    use smmap::SlidingWindowMapManager;

    /// A pack of 205 objects written by git, with its `.rev` file: the
    /// `.idx` path.
    fn packed(dir: &Scratch) -> PathBuf {
        for i in 0..200 {
            std::fs::write(dir.join(format!("f{i}")), format!("file {i}\n")).unwrap();
        }
        dir.git(&["add", "."]).unwrap();
        dir.commit("many").unwrap();
        dir.git(&["repack", "-adq"]).unwrap();
        let packs = dir.join(".git/objects/pack");
        let idx = std::fs::read_dir(&packs)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap();
        assert!(
            idx.with_extension("rev").is_file(),
            "git writes a .rev file"
        );
        idx
    }

    /// Whether the halves' check and the one-thread pass confirm the pack.
    fn confirmed(idx: &Path) -> (Option<bool>, bool) {
        let manager = SlidingWindowMapManager::new().into();
        let pack = Pack::open(idx, &manager, HashKind::Sha1).unwrap();
        let mut c = pack.cursors();
        let halves = pack
            .rev_check()
            .unwrap()
            .confirmed_in_halves(c.index_cursor());
        let whole = pack
            .each_in_rev_order(c.index_cursor(), |_, _| {})
            .is_some();
        (halves, whole)
    }

    /// The `.rev` file's positions at ranks `a` and `b` swapped.
    fn swap_ranks(idx: &Path, a: usize, b: usize) {
        let rev = idx.with_extension("rev");
        let mut bytes = std::fs::read(&rev).unwrap();
        for i in 0..4 {
            bytes.swap(12 + 4 * a + i, 12 + 4 * b + i);
        }
        let mut perms = std::fs::metadata(&rev).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&rev, perms).unwrap();
        std::fs::write(&rev, bytes).unwrap();
    }

    /// The check made in the background answers as the check the reads
    /// make, and reads through the table it confirmed take its offsets.
    #[test]
    fn a_rev_file_checked_in_the_background_is_checked_as_in_one_pass() {
        let dir = Scratch::committed("rev-background", &[("a", "a\n")]).unwrap();
        let idx = packed(&dir);
        let background = |idx: &Path| {
            let manager = SlidingWindowMapManager::new().into();
            let pack = Pack::open(idx, &manager, HashKind::Sha1).unwrap();
            pack.spawn_check().expect("a thread").join().unwrap();
            let confirmed = pack.table_confirmed.get().copied();
            let mut c = pack.cursors();
            let want = pack.index.offset_at(c.index_cursor(), 7).unwrap();
            assert_eq!(pack.checked_offset(&mut c, 7).unwrap(), want);
            confirmed
        };
        assert_eq!(background(&idx), Some(true));
        swap_ranks(&idx, 10, 20);
        assert_eq!(background(&idx), Some(false));
        swap_ranks(&idx, 10, 20);
        assert_eq!(background(&idx), Some(true));
    }

    /// The check split in halves answers as the pass over every entry: a
    /// `.rev` file git wrote is confirmed; one with two entries swapped
    /// inside a half, across the halves, or on either side of where they
    /// meet (each half then in order, the two out of order only where
    /// they meet) is not.
    #[test]
    fn a_rev_file_checked_in_halves_is_checked_as_in_one_pass() {
        let dir = Scratch::committed("rev-halves", &[("a", "a\n")]).unwrap();
        let idx = packed(&dir);
        assert_eq!(confirmed(&idx), (Some(true), true));
        let n =
            (std::fs::metadata(idx.with_extension("rev")).unwrap().len() as usize - 12 - 40) / 4;
        assert_eq!(n, 205, "200 files, a, two trees, two commits");
        let mid = n / 2;
        for (a, b) in [(3, 7), (10, n - 10), (mid - 1, mid), (n - 2, n - 1), (0, 1)] {
            swap_ranks(&idx, a, b);
            assert_eq!(
                confirmed(&idx),
                (Some(false), false),
                "ranks {a} and {b} swapped"
            );
            swap_ranks(&idx, a, b);
            assert_eq!(confirmed(&idx), (Some(true), true));
        }
    }
}
