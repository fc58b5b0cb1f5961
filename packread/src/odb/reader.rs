//! [`Reader`]: reads objects with its own cursors, inflater and delta-base
//! cache; and what reads answer ([`Object`], [`Header`], [`ObjectInfo`]).

use std::path::Path;
use std::sync::Arc;

use crate::error::{Corruption, Error};
use crate::object::{ObjectId, ObjectKind};
use crate::warning::Warning;
use smmap::WindowCursor;

use crate::odb::packs::PackSet;
use crate::odb::stream::ObjectStream;
use crate::odb::{Location, Odb, PackId, loose};
use crate::pack::decode::DecodeState;
use crate::pack::reader::PackReader;
use crate::pack::verify::EntryInfo;
use crate::pack::{Decoded, EntryKind, Pack, PackCursors, SharedBases};

/// An object's kind and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// What kind of object it is.
    pub kind: ObjectKind,
    /// Its content (without git's `"<type> <size>\0"` header).
    pub data: Vec<u8>,
}

/// What git's `parse_object` makes of an object (see
/// [`Reader::parse_object`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// The object, its hash checked (a blob's content is not kept).
    Object(Object),
    /// There is no such object.
    Missing,
    /// Its content hashes to another id: git reports `hash mismatch` and
    /// takes it for no object.
    HashMismatch,
}

/// The largest object a read checks by its hash instead of its offset
/// (see `Reader::read_unchecked`).
const UNCHECKED_MAX_SIZE: u64 = 1 << 20;

/// An object's kind and size: what `git cat-file --batch-check` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// What kind of object it is.
    pub kind: ObjectKind,
    /// Its size in bytes (of the object, not of its storage).
    pub size: u64,
}

/// What an object takes on disk, as git's `%(objectsize:disk)` and
/// `%(deltabase)` report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskInfo {
    /// A pack entry's bytes (header, base reference and stream), or a loose
    /// file's size.
    pub disk_size: u64,
    /// The immediate delta base of a packed delta.
    pub delta_base: Option<ObjectId>,
}

/// Everything known about one object without reading its content: what
/// [`Reader::info`] answers.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("info", &[("hello.txt", "hello\n")])?;
/// # dir.git(&["gc", "-q"])?;
/// use packread::{Location, ObjectKind};
///
/// let odb = packread::Odb::open(&dir)?;
/// let info = odb.info(&odb.resolve_prefix("ce01")?)?;
/// assert_eq!((info.header.kind, info.header.size), (ObjectKind::Blob, 6));
/// assert!(matches!(info.location, Location::Packed { .. }));
/// assert_eq!(info.num_deltas, 0);
/// assert_eq!(info.disk.delta_base, None);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its kind and size.
    pub header: Header,
    /// Where the copy a lookup finds is stored.
    pub location: Location,
    /// What that copy takes on disk, and its delta base.
    pub disk: DiskInfo,
    /// Deltas between the stored entry and a whole object (0 for whole and
    /// loose objects).
    pub num_deltas: usize,
}

/// Delta-base cache counters of a [`Reader`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Delta bases found in the cache.
    pub hits: u64,
    /// Delta bases that had to be decoded.
    pub misses: u64,
}

/// What a [`Reader`] keeps between reads, and what the pool keeps for the
/// next reader.
pub(crate) struct ReaderState {
    /// The packs as the database last scanned them, and that scan's number.
    set: Arc<PackSet>,
    generation: u64,
    cursors: Vec<Option<PackCursors>>,
    /// The pack whose cursors may hold windows; all others' are released.
    current: Option<usize>,
    /// Packs, most recently hit first: the order lookups try them, as git's
    /// `packed_git_mru` (a hit moves its pack to the front; a scan starts
    /// it again from the lookup order).
    mru: Vec<PackId>,
    decode: DecodeState,
    /// Warnings of the scans this reader's misses made, not yet taken.
    refresh_warnings: Vec<Warning>,
    /// On each multi-pack-index of `set`, once used.
    midx_cursors: Vec<Option<WindowCursor>>,
    /// While a lookup only asks whether the object exists: a pack entry's
    /// offset is taken as the index gives it, unchecked (as git's).
    existence_only: bool,
    /// Which packs (by `PackId`) a lookup has hit since the last scan: git
    /// moved them to the front of its list, before the packs it can't use.
    hit: Vec<bool>,
    /// Loose objects listed by object directory (its place in the scan's
    /// list) and fan-out byte, as git's loose-object cache: until the next
    /// scan, a loose object this database writes (`loose_writes`) or the
    /// reader's end.
    pub(crate) loose_fans: std::collections::HashMap<(usize, u8), Vec<crate::ObjectId>>,
    pub(crate) loose_writes: u64,
    /// Misses are never fetched from a promisor remote (a reader that reads
    /// ahead of what is asked for: see [`Reader::never_fetch`]).
    no_fetch: bool,
    /// Its reads may start a large pack's offset-table check in the
    /// background (see [`Reader::check_offsets_in_background`]).
    background_checks: bool,
}

impl ReaderState {
    pub(crate) fn new(
        set: Arc<PackSet>,
        generation: u64,
        cache_limit: usize,
        max_chain: usize,
    ) -> ReaderState {
        ReaderState {
            mru: set.order.clone(),
            set,
            generation,
            cursors: Vec::new(),
            current: None,
            decode: DecodeState::with_deltas(cache_limit, max_chain),
            refresh_warnings: Vec::new(),
            midx_cursors: Vec::new(),
            existence_only: false,
            hit: Vec::new(),
            loose_fans: std::collections::HashMap::new(),
            loose_writes: 0,
            no_fetch: false,
            background_checks: false,
        }
    }

    fn set_background_checks(&mut self, on: bool) {
        self.background_checks = on;
        for c in self.cursors.iter_mut().flatten() {
            c.background_check = on;
        }
    }

    /// Takes the database's packs as last scanned, if they changed since:
    /// the most-recently-used order starts again from the lookup order.
    fn catch_up(&mut self, odb: &Odb) {
        let generation = odb.generation();
        if generation != self.generation {
            self.release();
            self.set = odb.set();
            self.generation = generation;
            self.mru = self.set.order.clone();
            self.hit.clear();
            self.midx_cursors.clear();
            self.loose_fans.clear();
        }
    }

    /// Lets go of the windows the current pack's cursors hold.
    fn release(&mut self) {
        for c in self.midx_cursors.iter_mut().flatten() {
            c.unuse_region();
        }
        if let Some(c) = self.current.take().and_then(|p| self.cursors[p].as_mut()) {
            c.release();
        }
    }
}

/// Reads objects with its own cursors, inflater and delta-base cache.
///
/// A reader owns a handle on its database: store it, move it to another
/// thread, keep one per worker. When dropped, its caches go back to the
/// database's pool for the next reader. Between calls a reader holds at most
/// three windows mapped: two of one pack and one of the multi-pack-index
/// (that one is let go of after each lookup under a window manager allowing
/// fewer than four, and a pack's cursors hold one at a time under one
/// allowing fewer than two).
///
/// The reads, by what names the object:
/// - **an id**: [`read`](Self::read) / [`try_read`](Self::try_read) /
///   [`read_into`](Self::read_into) (its bytes), [`header`](Self::header) /
///   [`try_header`](Self::try_header) (kind and size), [`stream`](Self::stream)
///   (a [`Read`](std::io::Read)er), [`read_peeled`](Self::read_peeled) (tags
///   and commits followed to a kind), [`info`](Self::info) (where and how it
///   is stored);
/// - **a [`Location`]**, as [`locate`](Self::locate) finds it or a listing
///   gives it: [`read_location`](Self::read_location),
///   [`read_location_as_streamed`](Self::read_location_as_streamed) (what git
///   streams of a damaged loose blob), [`header_location`](Self::header_location),
///   [`disk_info`](Self::disk_info);
/// - **a pack's index position**: [`location_at`](Self::location_at),
///   [`entry_info`](Self::entry_info), [`verify_entry`](Self::verify_entry).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("reader", &[("hello.txt", "hello\n")])?;
/// # dir.git(&["gc", "-q"])?;
/// use std::io::Read;
///
/// let odb = packread::OpenOptions::new().window_size(4096).max_memory(16384).open(&dir)?;
/// let ids: Vec<_> = odb.object_ids().collect::<Result<_, _>>()?;
/// // Readers are 'static and Send: one per thread.
/// let workers: Vec<_> = ids
///     .chunks(2)
///     .map(|part| {
///         let (mut reader, part) = (odb.reader(), part.to_vec());
///         std::thread::spawn(move || -> std::io::Result<u64> {
///             let mut bytes = 0;
///             for id in &part {
///                 bytes += reader.header(id)?.size;
///                 let mut stream = reader.stream(id)?;
///                 let mut data = Vec::new();
///                 stream.read_to_end(&mut data)?;
///                 assert_eq!(data.len() as u64, stream.size());
///             }
///             Ok(bytes)
///         })
///     })
///     .collect();
/// for w in workers {
///     assert!(w.join().unwrap()? > 0);
/// }
/// # Ok(()) }
/// ```
pub struct Reader {
    odb: Odb,
    /// Present until the reader is dropped.
    state: Option<ReaderState>,
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(mut state) = self.state.take() {
            // Pooled readers hold no windows: idle windows stay evictable.
            state.release();
            self.odb.give_back(state);
        }
    }
}

impl Reader {
    pub(crate) fn new(odb: Odb, mut state: ReaderState) -> Reader {
        // A pooled state starts over with the database's defaults.
        state.decode.set_cache_limit(odb.inner.cache_limit);
        state.decode.keep_tree_bases = 0;
        state.decode.shared = None;
        state.loose_fans.clear();
        state.no_fetch = false;
        state.set_background_checks(false);
        state.catch_up(&odb);
        Reader {
            odb,
            state: Some(state),
        }
    }

    /// Never fetches a missing object from a promisor remote: for a reader
    /// that reads what may be asked for later (it may never be); what it
    /// misses, the reader that is asked for it reads, fetching if git
    /// would.
    pub(crate) fn never_fetch(&mut self) {
        self.state().no_fetch = true;
    }

    /// Tells the reader it will read many objects (a history walk's): once
    /// it has made a quarter of a large pack's quick offset checks, the
    /// check of the pack's whole offset table through its `.rev` file
    /// starts on a thread of its own, and is made (or nearly) by the time
    /// the quick checks run out (rails' `log -n 5000` 51 -> 46-49 ms). A
    /// reader of a few objects never starts it: the thread's pages cost a
    /// one-shot command more than it gains (rails' `diff-tree -r v6.0.0
    /// HEAD`, 1,900 trees: 14.8 -> 15.8 ms).
    pub(crate) fn check_offsets_in_background(&mut self) {
        self.state().set_background_checks(true);
    }

    /// After a scan this reader asked for: its packs, and its warnings kept
    /// for [`take_refresh_warnings`](Self::take_refresh_warnings).
    pub(crate) fn note_refresh(&mut self, warnings: Vec<Warning>) {
        self.catch_up();
        self.state().refresh_warnings.extend(warnings);
    }

    /// The packs and directories this reader reads, brought up to the
    /// database's latest scan: what `parts` indexes.
    pub(crate) fn snapshot(&mut self) -> Arc<PackSet> {
        self.catch_up();
        Arc::clone(&self.state().set)
    }

    /// Lets go of the windows this reader's cursors hold between reads
    /// (they stay mapped, idle, for the window manager to reuse or unload):
    /// for a caller that reads other files through the same manager under a
    /// small handle limit.
    pub fn release_windows(&mut self) {
        self.state().release();
    }

    /// Takes the database's latest scan, if there was one since.
    fn catch_up(&mut self) {
        let odb = &self.odb;
        self.state
            .as_mut()
            .expect("present until drop")
            .catch_up(odb);
    }

    /// `open`, once more after the window manager gives its descriptors
    /// back if the OS had none left for it: loose files are opened beside
    /// the manager's, which may hold every descriptor the process may have.
    fn with_descriptors<T>(&self, mut open: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
        match open() {
            Err(Error::Io { source, .. }) if out_of_descriptors(&source) => {
                self.odb.manager().close_descriptors();
                open()
            }
            done => done,
        }
    }

    pub(crate) fn state(&mut self) -> &mut ReaderState {
        self.state.as_mut().expect("present until drop")
    }

    /// Pack `pack` as this reader reads it: its cursors (pinning its
    /// windows, releasing the previous pack's) and the decoding state.
    pub(crate) fn pack_reader(&mut self, pack: PackId) -> PackReader<'_> {
        let i = pack.index();
        // An id from a scan newer than this reader's.
        if i >= self.state().set.packs.len() {
            self.catch_up();
        }
        let st = self.state.as_mut().expect("present until drop");
        if st.cursors.len() <= i {
            let n = st.set.packs.len();
            st.cursors.resize_with(n, || None);
        }
        // A reader pins the windows of one pack at a time (at most two
        // windows), as git's `unuse_pack` lets go of a pack's window.
        if st.current != Some(i) {
            st.release();
            st.current = Some(i);
        }
        let ReaderState {
            set,
            cursors,
            decode,
            background_checks,
            ..
        } = st;
        let p: &Pack = &set.packs[i];
        PackReader {
            pack: p,
            cursors: cursors[i].get_or_insert_with(|| {
                let mut c = p.cursors();
                c.background_check = *background_checks;
                c
            }),
            state: decode,
            key: pack.key(),
        }
    }

    /// The position and offset of `id` in pack `pack`.
    fn find_in_pack(&mut self, pack: PackId, id: &ObjectId) -> Result<Option<(u32, u64)>, Error> {
        let unchecked = self.state().existence_only;
        let mut pr = self.pack_reader(pack);
        match pr.lookup(id)? {
            Some(pos) if unchecked => Ok(Some((pos, pr.raw_offset_at(pos)?))),
            Some(pos) => Ok(Some((pos, pr.offset_at(pos)?))),
            None => Ok(None),
        }
    }

    /// `op`, again after a scan of the directories each time it fails
    /// because a file it read was deleted or replaced (a repack or `git gc`
    /// beside us): an object that exists when it is asked for is found, as
    /// git finds it.
    fn again<T>(&mut self, mut op: impl FnMut(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        let mut scans = 0;
        loop {
            match op(self) {
                Err(e) if e.is_file_gone() && scans < MAX_RESCANS => {
                    scans += 1;
                    let warnings = self.odb.refresh()?;
                    self.note_refresh(warnings);
                }
                done => return done,
            }
        }
    }

    /// Runs `read` on `loc`, where `id` was found; if it fails because the
    /// file it read was deleted or replaced (see
    /// [`Error::is_file_gone`]), scans the directories again, finds `id`
    /// anew and runs `read` there, as git does when a repack moves an
    /// object under it. The reads by id do this by themselves.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("relocating", &[("hello.txt", "hello\n")])?;
    /// let odb = packread::Odb::open(&dir)?;
    /// let mut reader = odb.reader();
    /// let id = odb.resolve_prefix("ce01")?;
    /// let loc = reader.locate(&id)?.expect("loose");
    /// dir.git(&["gc", "-q"])?; // packs the object and deletes its file
    /// let mut data = Vec::new();
    /// assert!(reader.read_location(&loc, &mut data).unwrap_err().is_file_gone());
    /// reader.relocating(&id, &loc, |r, loc| r.read_location(loc, &mut data))?;
    /// assert_eq!(data, b"hello\n");
    /// # Ok(()) }
    /// ```
    pub fn relocating<T>(
        &mut self,
        id: &ObjectId,
        loc: &Location,
        mut read: impl FnMut(&mut Self, &Location) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut loc = loc.clone();
        let mut scans = 0;
        loop {
            match read(self, &loc) {
                Err(e) if e.is_file_gone() && scans < MAX_RESCANS => {
                    scans += 1;
                    let warnings = self.odb.refresh()?;
                    self.note_refresh(warnings);
                    loc = self.locate(id)?.ok_or(Error::NotFound(*id))?;
                }
                done => return done,
            }
        }
    }

    /// Where the object is stored: the packs in git's most-recently-used
    /// order (git's pack order at first; each hit moves its pack to the
    /// front), then loose objects of each object directory, as git 2.47 looks.
    pub fn locate(&mut self, id: &ObjectId) -> Result<Option<Location>, Error> {
        self.again(|r| r.locate_once(id))
    }

    /// As [`locate`](Self::locate), never fetching from a promisor remote
    /// (where the database itself has the object: what git's writes check).
    pub(crate) fn locate_local(&mut self, id: &ObjectId) -> Result<Option<Location>, Error> {
        self.again(|r| r.locate_without_fetch(id))
    }

    fn locate_once(&mut self, id: &ObjectId) -> Result<Option<Location>, Error> {
        if let Some(found) = self.locate_without_fetch(id)? {
            return Ok(Some(found));
        }
        if !self.odb.refreshes_on_miss() || self.state().no_fetch {
            return Ok(None);
        }
        self.fetch_lazily(id)
    }

    fn locate_without_fetch(&mut self, id: &ObjectId) -> Result<Option<Location>, Error> {
        // git looks at its built-in objects first.
        if *id == self.odb.hash_kind().empty_tree() {
            return Ok(Some(Location::Builtin));
        }
        self.catch_up();
        if let Some(found) = self.locate_packed(id)? {
            return Ok(Some(found));
        }
        let set = &self.state.as_ref().expect("present until drop").set;
        for dir in &set.dirs {
            let path = loose::path_of(dir, id);
            if path.is_file() {
                super::race::at(super::race::Point::FoundLoose);
                return Ok(Some(Location::Loose { path }));
            }
        }
        // A miss: git scans the directories again (packs may have appeared,
        // `git gc` or a fetch running beside us) and looks in the packs once
        // more.
        if !self.odb.refreshes_on_miss() {
            return Ok(None);
        }
        let warnings = self.odb.refresh()?;
        self.note_refresh(warnings);
        self.locate_packed(id)
    }

    /// git's lazy fetch of a missing object (a partial clone's): the child
    /// `git fetch` for it, a rescan and a last look. An object a promisor
    /// pack refers to that no remote gave is
    /// [`Error::PromisorFetchFailed`], as git dies for it.
    fn fetch_lazily(&mut self, id: &ObjectId) -> Result<Option<Location>, Error> {
        let odb = self.odb.clone();
        let Some(promisors) = odb.promisors_to_fetch() else {
            return Ok(None);
        };
        if promisors.fetch(id) {
            let warnings = self.odb.refresh()?;
            self.note_refresh(warnings);
            return self.locate_packed(id);
        }
        if odb.promisor_objects()?.contains(id) {
            return Err(Error::PromisorFetchFailed(*id));
        }
        Ok(None)
    }

    /// git's complaints about the packs it can't use that a lookup of `id`
    /// reached (it found the object nowhere else), as warnings.
    /// git's complaints about the packs it can't use that come before
    /// `pack` in its list, where a lookup of `id` found the object; marks
    /// `pack` as moved to the front.
    fn complain_of_broken_packs_before(&mut self, id: &ObjectId, pack: PackId) {
        let st = self.state();
        if st.set.broken.is_empty() {
            return;
        }
        if st.hit.len() <= pack.index() {
            st.hit.resize(pack.index() + 1, false);
        }
        if std::mem::replace(&mut st.hit[pack.index()], true) {
            return;
        }
        let set = Arc::clone(&st.set);
        let complaints = set
            .broken
            .iter()
            .filter(|b| set.broken_before(b, pack))
            .filter_map(|b| b.complaint(id));
        st.refresh_warnings.extend(complaints);
    }

    fn complain_of_broken_packs(&mut self, id: &ObjectId) {
        let set = self.snapshot();
        let complaints: Vec<Warning> = set.broken.iter().filter_map(|b| b.complaint(id)).collect();
        self.state().refresh_warnings.extend(complaints);
    }

    /// Where the object is in a pack: through the multi-pack-index first,
    /// then in the packs it doesn't cover, most recently hit first (as git's
    /// `find_pack_entry`).
    fn locate_packed(&mut self, id: &ObjectId) -> Result<Option<Location>, Error> {
        if let Some(found) = self.locate_in_midx(id)? {
            return Ok(Some(found));
        }
        for k in 0..self.state().mru.len() {
            let pack = self.state().mru[k];
            let st = self.state();
            if st.set.covered[pack.index()] {
                continue;
            }
            if let Some((index_position, offset)) = self.find_in_pack(pack, id)? {
                self.complain_of_broken_packs_before(id, pack);
                // git moves the pack of a hit to the front of its list.
                self.state().mru[..=k].rotate_right(1);
                return Ok(Some(Location::Packed {
                    pack,
                    index_position,
                    offset,
                }));
            }
        }
        self.complain_of_broken_packs(id);
        Ok(None)
    }

    /// A hint that `id` will be looked up soon: where its lookup starts in
    /// the most recently used pack's index is brought into the processor's
    /// cache (nothing with a multi-pack-index, or where the index's window
    /// isn't mapped). A walk without a commit-graph gives it the parents
    /// of each commit it parses: they are looked up when their child's
    /// turn comes.
    pub(crate) fn prefetch_lookup(&mut self, id: &ObjectId) {
        let st = self.state();
        if !st.set.midxs.is_empty() {
            return;
        }
        let Some(&pack) = st.mru.first() else {
            return;
        };
        let pr = self.pack_reader(pack);
        pr.pack.index().prefetch(pr.cursors.index_cursor(), id);
    }

    /// git reads the entry at the offset a pack index gives, unchecked; the
    /// first reads of a pack with no `.rev` file do so too (rather than
    /// sort its whole offset table, work in proportion to the pack for one
    /// read) and check instead that what they read hashes to `id`: a
    /// damaged offset reads another object, or nothing. `None` where this
    /// doesn't apply or the check fails; the checked read decides then.
    /// Quiet: a miss here says nothing, and the checked lookup follows.
    fn read_unchecked(&mut self, id: &ObjectId, out: &mut Vec<u8>) -> Option<ObjectKind> {
        if *id == self.odb.hash_kind().empty_tree() {
            return None;
        }
        self.catch_up();
        // A lookup that may reach a pack git can't use says so: the
        // checked lookup.
        if !self.state().set.midxs.is_empty() || !self.state().set.broken.is_empty() {
            return None;
        }
        for k in 0..self.state().mru.len() {
            let pack = self.state().mru[k];
            if self.state().set.covered[pack.index()] {
                continue;
            }
            // A pack read the checked way (the usual case: it has a `.rev`
            // file, or has been read enough) is left to the checked lookup,
            // which then searches from the start.
            if !self.state().set.packs[pack.index()].may_read_unchecked() {
                return None;
            }
            let mut pr = self.pack_reader(pack);
            let pos = pr.lookup(id).ok()??;
            if !pr.pack.take_unchecked_read() {
                return None;
            }
            let offset = pr.raw_offset_at(pos).ok()?;
            if !(crate::pack::file::PACK_HEADER_LEN..pr.pack.data_end()).contains(&offset) {
                return None;
            }
            let loc = Location::Packed {
                pack,
                index_position: pos,
                offset,
            };
            // A big object costs more to hash than the offset table does
            // to sort: the checked read.
            if self.header_location(&loc).ok()?.size > UNCHECKED_MAX_SIZE {
                return None;
            }
            let kind = self.read_location(&loc, out).ok()?;
            if ObjectId::compute(id.kind(), kind, out) != *id {
                return None;
            }
            // git moves the pack of a hit to the front of its list.
            self.state().mru[..=k].rotate_right(1);
            return Some(kind);
        }
        None
    }

    /// Where the multi-pack-indices, if there are any, say the object is
    /// (the first that lists it, in git's order).
    fn locate_in_midx(&mut self, id: &ObjectId) -> Result<Option<Location>, Error> {
        // Under a small handle limit, their windows and the packs' are
        // never held at once.
        let tight = self.odb.manager().max_file_handles() < 4;
        let st = self.state();
        let midxs = st.set.midxs.clone();
        if midxs.is_empty() {
            return Ok(None);
        }
        if tight {
            st.release();
        }
        st.midx_cursors.resize_with(midxs.len(), || None);
        let mut found = None;
        for (m, midx) in midxs.iter().enumerate() {
            let c = st.midx_cursors[m].get_or_insert_with(|| midx.index.cursor());
            let hit = match midx.index.lookup(c, id)? {
                Some(pos) => Some(midx.index.location_at(c, pos)?),
                None => None,
            };
            if tight {
                c.unuse_region();
            }
            // A pack the index names that is gone: git looks on.
            if let Some((pack_int_id, offset)) = hit
                && let Some(pack) = midx.packs[pack_int_id as usize]
            {
                found = Some((midx, pack, offset));
                break;
            }
        }
        let Some((midx, pack, offset)) = found else {
            return Ok(None);
        };
        let mut pr = self.pack_reader(pack);
        let Some(index_position) = pr.lookup(id)? else {
            return Ok(None);
        };
        // A multi-pack-index that disagrees with the pack's own index would
        // send the read elsewhere in the pack: refuse it rather than answer
        // with another entry's bytes.
        if pr.offset_at(index_position)? != offset {
            return Err(Error::corrupt(
                midx.index.path(),
                0,
                Corruption::OffsetOutOfRange(offset),
            ));
        }
        Ok(Some(Location::Packed {
            pack,
            index_position,
            offset,
        }))
    }

    /// What git reported while scanning the directories again after misses
    /// of this reader's lookups, since the last call (git prints each as an
    /// `error:` line, on every scan).
    pub fn take_refresh_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.state().refresh_warnings)
    }

    /// Whether the database has the object. As git's existence check, a
    /// pack index's entry is enough: its offset is not checked against the
    /// pack (reading the object is what fails on a bad one).
    pub fn contains(&mut self, id: &ObjectId) -> Result<bool, Error> {
        self.state().existence_only = true;
        let found = self.locate(id);
        self.state().existence_only = false;
        Ok(found?.is_some())
    }

    /// Reads an object into `out`, replacing its content;
    /// [`Error::NotFound`] if there is no such object.
    pub fn read_into(&mut self, id: &ObjectId, out: &mut Vec<u8>) -> Result<ObjectKind, Error> {
        self.again(|r| r.read_into_once(id, out))
    }

    fn read_into_once(&mut self, id: &ObjectId, out: &mut Vec<u8>) -> Result<ObjectKind, Error> {
        self.read_once(
            id,
            out,
            |mut pr, offset, out| Ok(pr.read_object(offset, out)?.kind),
            |kind, _| kind,
        )
    }

    /// One attempt at reading `id` (the reads by id repeat it after a
    /// rescan: see [`again`](Self::again)): a packed object by `packed`,
    /// given its pack's reader, its entry's offset and `out`; any other
    /// into `out`, whose kind and `out` go to `other`.
    fn read_once<T>(
        &mut self,
        id: &ObjectId,
        out: &mut Vec<u8>,
        packed: impl FnOnce(PackReader<'_>, u64, &mut Vec<u8>) -> Result<T, Error>,
        other: impl FnOnce(ObjectKind, &mut Vec<u8>) -> T,
    ) -> Result<T, Error> {
        if let Some(kind) = self.read_unchecked(id, out) {
            return Ok(other(kind, out));
        }
        let kind = match self.locate_once(id)? {
            Some(Location::Packed { pack, offset, .. }) => {
                return packed(self.pack_reader(pack), offset, out);
            }
            // Deleted since it was found (packed by a `git gc` beside
            // us): gone, and found again after a rescan.
            Some(Location::Loose { path }) => self
                .with_descriptors(|| loose::read(&path, out))?
                .ok_or_else(|| missing_loose(&path))?,
            Some(loc) => self.read_location(&loc, out)?,
            None => return Err(Error::NotFound(*id)),
        };
        Ok(other(kind, out))
    }

    /// Reads an object as [`read_into`](Self::read_into) does, shared with
    /// the delta-base cache rather than copied: an object cached is handed
    /// over as it is, and one made from deltas is cached as it is handed
    /// over. `buf` is a buffer to make it in (a spare one, or empty). For
    /// callers that keep what they read a while themselves (tree diffs).
    pub(crate) fn read_shared(
        &mut self,
        id: &ObjectId,
        mut buf: Vec<u8>,
    ) -> Result<(ObjectKind, Arc<Vec<u8>>), Error> {
        self.again(|r| {
            r.read_once(
                id,
                &mut buf,
                |mut pr, offset, buf| {
                    let (decoded, data) = pr.read_object_shared(offset, std::mem::take(buf))?;
                    Ok((decoded.kind, data))
                },
                |kind, buf| (kind, Arc::new(std::mem::take(buf))),
            )
        })
    }

    /// Reads an object into `out` as [`read_into`](Self::read_into) does,
    /// or, for a packed whole object, only as much of its start as `enough`
    /// accepts: it is asked about prefixes of growing length, and `out`
    /// holds the first it accepts, unchecked past its end (the rest of the
    /// stream isn't inflated). For walks that need a commit's header lines
    /// alone, as git's commit-graph spares git the object.
    pub(crate) fn read_prefix_into(
        &mut self,
        id: &ObjectId,
        out: &mut Vec<u8>,
        enough: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<ObjectKind, Error> {
        self.again(|r| {
            r.read_once(
                id,
                out,
                |mut pr, offset, out| Ok(pr.read_prefix(offset, out, enough)?.kind),
                |kind, _| kind,
            )
        })
    }

    /// Reads an object; [`Error::NotFound`] if there is no such object.
    pub fn read(&mut self, id: &ObjectId) -> Result<Object, Error> {
        let mut data = Vec::new();
        let kind = self.read_into(id, &mut data)?;
        Ok(Object { kind, data })
    }

    /// Reads an object; `None` if there is no such object.
    pub fn try_read(&mut self, id: &ObjectId) -> Result<Option<Object>, Error> {
        not_found_is_none(self.read(id), id)
    }

    /// Decodes the entry at `offset` of pack `pack` into `out`.
    pub(crate) fn read_packed(
        &mut self,
        pack: PackId,
        offset: u64,
        out: &mut Vec<u8>,
    ) -> Result<Decoded, Error> {
        self.pack_reader(pack).read_object(offset, out)
    }

    /// An object's kind and size: whole objects from their entry header,
    /// deltas from the delta's size header and their base's entry header;
    /// [`Error::NotFound`] if there is no such object.
    pub fn header(&mut self, id: &ObjectId) -> Result<Header, Error> {
        self.again(|r| match r.locate_once(id)? {
            Some(loc) => r.header_location(&loc),
            None => Err(Error::NotFound(*id)),
        })
    }

    /// Reads `id` as git's `parse_object` does, checking that it hashes to
    /// its id: a blob is streamed as git streams it (a loose one's stream
    /// whatever size its header announced) and hashed with the size its
    /// header gives, anything else is read whole. What `rev-parse
    /// <rev>^{<type>}` and `ls-tree` do to each object they meet.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("parse-object", &[("hello.txt", "hello\n")])?;
    /// use packread::Parsed;
    ///
    /// let odb = packread::Odb::open(&dir)?;
    /// let mut reader = odb.reader();
    /// let blob = odb.resolve_prefix("ce01")?;
    /// assert!(matches!(reader.parse_object(&blob)?, Parsed::Object(o) if o.kind == packread::ObjectKind::Blob));
    /// assert_eq!(reader.parse_object(&odb.hash_kind().null())?, Parsed::Missing);
    /// # Ok(()) }
    /// ```
    pub fn parse_object(&mut self, id: &ObjectId) -> Result<Parsed, Error> {
        let Some(loc) = self.locate(id)? else {
            return Ok(Parsed::Missing);
        };
        let header = self.relocating(id, &loc, Reader::header_location)?;
        let mut data = Vec::new();
        let hashed = if header.kind == ObjectKind::Blob {
            self.relocating(id, &loc, |r, at| r.read_location_as_streamed(at, &mut data))?;
            let mut h = ObjectId::object_hasher(id.kind(), ObjectKind::Blob, header.size);
            h.update(&data);
            data = Vec::new();
            h.finish()
        } else {
            let kind = self.relocating(id, &loc, |r, at| r.read_location(at, &mut data))?;
            ObjectId::compute(id.kind(), kind, &data)
        };
        if hashed != *id && loc != Location::Builtin {
            return Ok(Parsed::HashMismatch);
        }
        Ok(Parsed::Object(Object {
            kind: header.kind,
            data,
        }))
    }

    /// An object's kind and size; `None` if there is no such object.
    pub fn try_header(&mut self, id: &ObjectId) -> Result<Option<Header>, Error> {
        not_found_is_none(self.header(id), id)
    }

    /// Kind and size of the object stored at `loc` (see [`header`](Self::header)).
    pub fn header_location(&mut self, loc: &Location) -> Result<Header, Error> {
        let (kind, size) = match loc {
            Location::Packed { pack, offset, .. } => {
                self.pack_reader(*pack).read_header(*offset)?
            }
            Location::Loose { path } => self
                .with_descriptors(|| loose::read_header(path))?
                .ok_or_else(|| missing_loose(path))?,
            Location::Builtin => (ObjectKind::Tree, 0),
        };
        Ok(Header { kind, size })
    }

    /// Everything known about an object without reading its content: kind
    /// and size, where it is, what it takes on disk, its delta base and the
    /// length of its delta chain. Costs more than [`header`](Self::header):
    /// the chain is followed to its end, and a pack's reverse index is built
    /// on first use.
    pub fn info(&mut self, id: &ObjectId) -> Result<ObjectInfo, Error> {
        self.again(|r| r.info_once(id))
    }

    fn info_once(&mut self, id: &ObjectId) -> Result<ObjectInfo, Error> {
        let location = self.locate_once(id)?.ok_or(Error::NotFound(*id))?;
        let header = self.header_location(&location)?;
        let disk = self.disk_info(&location)?;
        let num_deltas = match &location {
            Location::Packed { pack, offset, .. } => {
                self.pack_reader(*pack).chain_length(*offset)?
            }
            Location::Loose { .. } | Location::Builtin => 0,
        };
        Ok(ObjectInfo {
            header,
            location,
            disk,
            num_deltas,
        })
    }

    /// The id and location of the object at index position `pos` of pack
    /// `pack` (its offset from an offset table checked as a whole, see
    /// [`Pack::checked_offset`]).
    pub fn location_at(&mut self, pack: PackId, pos: u32) -> Result<(ObjectId, Location), Error> {
        let mut pr = self.pack_reader(pack);
        let id = pr.oid_at(pos)?;
        let offset = pr.offset_at(pos)?;
        let loc = Location::Packed {
            pack,
            index_position: pos,
            offset,
        };
        Ok((id, loc))
    }

    /// Facts about the entry at index position `pos` of pack `pack`: what
    /// `git verify-pack -v` prints, and the CRC32.
    pub fn entry_info(&mut self, pack: PackId, pos: u32) -> Result<EntryInfo, Error> {
        self.pack_reader(pack).entry_info(pos)
    }

    /// Checks the entry at index position `pos` of pack `pack` as `git
    /// verify-pack` does: its CRC32 (version 2 indices) and that its object
    /// hashes to its id; the object is decoded into `buf`. Returns the
    /// entry's facts.
    pub fn verify_entry(
        &mut self,
        pack: PackId,
        pos: u32,
        buf: &mut Vec<u8>,
    ) -> Result<EntryInfo, Error> {
        self.pack_reader(pack).verify_entry(pos, buf)
    }

    /// The object as a [`Read`](std::io::Read)er: whole packed and loose
    /// objects are inflated as they are read, never held whole; deltas are
    /// resolved into memory first.
    pub fn stream(&mut self, id: &ObjectId) -> Result<ObjectStream, Error> {
        self.again(|r| r.stream_once(id))
    }

    fn stream_once(&mut self, id: &ObjectId) -> Result<ObjectStream, Error> {
        match self.locate_once(id)? {
            Some(Location::Packed { pack, offset, .. }) => {
                let mut pr = self.pack_reader(pack);
                let h = pr.header_at(offset)?;
                if let EntryKind::Base(kind) = h.kind {
                    let data_offset = offset + u64::from(h.header_len);
                    let path = pr.pack.data_path().to_owned();
                    return Ok(ObjectStream::packed(
                        kind,
                        h.size,
                        pr.cursors.data_cursor().clone(),
                        data_offset,
                        pr.pack.data_end(),
                        offset,
                        path,
                    ));
                }
                let mut data = Vec::new();
                let decoded = self.read_packed(pack, offset, &mut data)?;
                Ok(ObjectStream::memory(decoded.kind, data))
            }
            Some(Location::Loose { path }) => {
                let (kind, size, reader) = self
                    .with_descriptors(|| loose::open_stream(&path))?
                    .ok_or_else(|| missing_loose(&path))?;
                Ok(ObjectStream::loose(kind, size, reader, path))
            }
            Some(Location::Builtin) => Ok(ObjectStream::memory(ObjectKind::Tree, Vec::new())),
            None => Err(Error::NotFound(*id)),
        }
    }

    /// Reads the object stored at `loc` into `out`.
    pub fn read_location(
        &mut self,
        loc: &Location,
        out: &mut Vec<u8>,
    ) -> Result<ObjectKind, Error> {
        match loc {
            Location::Packed { pack, offset, .. } => {
                Ok(self.read_packed(*pack, *offset, out)?.kind)
            }
            Location::Loose { path } => self
                .with_descriptors(|| loose::read(path, out))?
                .ok_or_else(|| missing_loose(path)),
            Location::Builtin => {
                out.clear();
                Ok(ObjectKind::Tree)
            }
        }
    }

    /// Reads the object stored at `loc` as git streams a blob to its output
    /// (`cat-file -p`, `cat-file blob`, `--batch`): a loose blob's content
    /// is whatever its zlib stream inflates to, even where that is more or
    /// less than its header announced, and bytes after the stream are
    /// ignored; everything else reads as [`read_location`](Self::read_location).
    pub fn read_location_as_streamed(
        &mut self,
        loc: &Location,
        out: &mut Vec<u8>,
    ) -> Result<ObjectKind, Error> {
        match loc {
            Location::Loose { path } => self
                .with_descriptors(|| loose::read_streamed(path, out))?
                .ok_or_else(|| missing_loose(path)),
            other => self.read_location(other, out),
        }
    }

    /// Reads the object `id` names, following tags to their objects and
    /// commits to their trees until an object of kind `want` is reached, as
    /// `git cat-file <type> <object>` does. `Ok(None)` when the chain ends elsewhere: at a
    /// missing object, or at an object that can't be peeled to `want`.
    pub fn read_peeled(
        &mut self,
        id: &ObjectId,
        want: ObjectKind,
        out: &mut Vec<u8>,
    ) -> Result<Option<ObjectId>, Error> {
        let hash = self.odb.hash_kind();
        let mut id = *id;
        for _ in 0..=MAX_PEEL {
            let Some(loc) = self.locate(&id)? else {
                return Ok(None);
            };
            let kind = self.relocating(&id, &loc, |r, loc| r.read_location(loc, out))?;
            if kind == want {
                return Ok(Some(id));
            }
            // git's `read_object_with_reference`: a commit leads to its
            // tree line's object whatever is wanted (a blob, in a commit
            // whose tree line names one), a tag to its object.
            let field: &[u8] = match kind {
                ObjectKind::Tag => b"object ",
                ObjectKind::Commit => b"tree ",
                _ => return Ok(None),
            };
            let target = out
                .strip_prefix(field)
                .and_then(|rest| ObjectId::parse_hex_prefix(rest, hash))
                .map(|(id, _)| id);
            match target {
                Some(t) => id = t,
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    /// What the object at `loc` takes on disk (a pack entry's bytes, or the
    /// loose file's size) and its immediate delta base.
    pub fn disk_info(&mut self, loc: &Location) -> Result<DiskInfo, Error> {
        match loc {
            Location::Packed { pack, offset, .. } => {
                let mut pr = self.pack_reader(*pack);
                let disk_size = pr.entry_end(*offset)? - offset;
                let kind = pr.header_at(*offset)?.kind;
                let delta_base = pr.delta_base_id(*offset, &kind)?;
                Ok(DiskInfo {
                    disk_size,
                    delta_base,
                })
            }
            Location::Loose { path } => {
                let meta = std::fs::metadata(path).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
                Ok(DiskInfo {
                    disk_size: meta.len(),
                    delta_base: None,
                })
            }
            Location::Builtin => Ok(DiskInfo {
                disk_size: 0,
                delta_base: None,
            }),
        }
    }

    /// Sets this reader's delta-base cache limit in bytes (0 turns it off),
    /// e.g. to split one budget between the readers of several threads. A
    /// quarter of it keeps deltas inflated: a chain made again from a
    /// cached base applies them without inflating them again.
    pub fn set_delta_base_cache_limit(&mut self, bytes: usize) {
        self.state().decode.set_cache_limit(bytes);
    }

    /// Also keeps in the delta-base cache the `depth` trees right under
    /// each tree read on its delta chain (`usize::MAX`: every one, as git
    /// keeps every base on the way; 0, the default: none), besides the
    /// object read and the whole object under its chain. For readers that
    /// diff the trees of commit after commit: those lie on shared chains
    /// (a path-limited walk of git.git applies a third of the deltas with
    /// them all kept), where random reads only churn the cache with them.
    /// Readers whose tree reads lie far apart in history gain from the
    /// nearest only: the deeper ones they have read already, or will not
    /// need (a walk that Bloom filters thin out: git.git 42 ms keeping
    /// every one, 35 ms keeping 2).
    ///
    /// Such a reader's delta-base cache (for `depth` above 0) takes the
    /// history limit, [`Odb::history_delta_base_cache_limit`] (unless the
    /// database was opened with a limit, 16 MiB keeping every tree, 1 MiB
    /// keeping fewer: reads far apart):
    /// [`set_delta_base_cache_limit`](Self::set_delta_base_cache_limit)
    /// after this call sets another.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("treebases", &[("a.txt", "a\n")])?;
    /// let repo = packread::Repository::discover(&*dir)?;
    /// let mut reader = repo.odb().reader();
    /// reader.keep_tree_bases(usize::MAX);
    /// let tree = reader.read(&repo.rev_parse("HEAD^{tree}")?)?;
    /// assert_eq!(tree.kind, packread::ObjectKind::Tree);
    /// # Ok(()) }
    /// ```
    pub fn keep_tree_bases(&mut self, depth: usize) {
        if depth > 0 {
            let limit = self.odb.history_delta_base_cache_limit(depth != usize::MAX);
            self.set_delta_base_cache_limit(limit);
        }
        self.state().decode.keep_tree_bases = depth;
    }

    /// Shares the whole objects under delta chains this reader inflates
    /// with the other readers of its database given `bases`, and takes
    /// those they inflated from there (see [`SharedBases`]): for workers
    /// that read one database side by side.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("share-bases", &[("a.txt", "a\n")])?;
    /// let odb = packread::Odb::open(&dir)?;
    /// let bases = packread::pack::SharedBases::new(16 << 20);
    /// let (mut a, mut b) = (odb.reader(), odb.reader());
    /// a.share_bases(&bases);
    /// b.share_bases(&bases);
    /// # Ok(()) }
    /// ```
    pub fn share_bases(&mut self, bases: &SharedBases) {
        self.state().decode.shared = Some(bases.clone());
    }

    /// The database this reader reads.
    pub fn odb(&self) -> &Odb {
        &self.odb
    }

    /// Delta-base cache hits and misses so far.
    pub fn cache_stats(&self) -> CacheStats {
        let st = self.state.as_ref().expect("present until drop");
        CacheStats {
            hits: st.decode.cache.hits,
            misses: st.decode.cache.misses,
        }
    }
}

/// How many times a read scans the directories again after a file it read
/// was deleted or replaced before it gives up (each scan sees the packs of
/// that moment: more than one is needed only while repacks follow each
/// other faster than a read).
const MAX_RESCANS: usize = 8;

/// A bound on peeling: ids are hashes of content, so a chain of tags can't
/// loop, but a hostile repository could make one long enough to keep a
/// reader busy.
const MAX_PEEL: usize = 1024;

fn not_found_is_none<T>(r: Result<T, Error>, id: &ObjectId) -> Result<Option<T>, Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::NotFound(missing)) if missing == *id => Ok(None),
        Err(e) => Err(e),
    }
}

fn missing_loose(path: &Path) -> Error {
    Error::Io {
        path: path.to_owned(),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    }
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.state.as_ref().expect("present until drop");
        f.debug_struct("Reader")
            .field("current_pack", &st.current)
            .finish_non_exhaustive()
    }
}

/// Whether the OS refused a descriptor: the process (or the system) has
/// none left.
fn out_of_descriptors(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    if let Some(code) = e.raw_os_error() {
        return code == libc::EMFILE || code == libc::ENFILE;
    }
    let _ = e;
    false
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;
    use std::process::Command;
    use std::sync::Arc;

    use crate::doctest::Scratch;
    use crate::object::ObjectId;

    /// A repository of twelve versions of one file packed in chains of
    /// deltas, and each object's id and delta base (`%(deltabase)`).
    fn versions(name: &str) -> (Scratch, std::process::Output) {
        let dir = Scratch::new(name).unwrap();
        dir.git(&["init", "-q"]).unwrap();
        let mut text = String::new();
        for i in 0..12 {
            for j in 0..200 {
                writeln!(text, "line {j} of version {}", i * (j % 3)).unwrap();
            }
            std::fs::write(dir.join("f.txt"), &text).unwrap();
            dir.git(&["add", "f.txt"]).unwrap();
            dir.commit("c").unwrap();
        }
        dir.git(&["repack", "-adfq", "--depth=50"]).unwrap();
        let out = Command::new("git")
            .args([
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objectname) %(deltabase)",
            ])
            .current_dir(&*dir)
            .output()
            .unwrap();
        (dir, out)
    }

    /// Chains made again from cached bases with the deltas kept inflated
    /// give git's bytes: every object read over and over, in orders that
    /// evict bases and keep deltas, at several limits.
    #[test]
    fn chains_made_again_from_kept_deltas_are_gits_objects() {
        let (dir, out) = versions("kept-deltas");
        reads_are_gits(&dir, &out.stdout, &[0]);
    }

    /// A base one reader inflated is the very buffer another reader
    /// sharing bases resolves its delta from (not inflated again), and
    /// readers sharing bases on threads of their own, at limits that evict
    /// all the time, read git's bytes.
    #[test]
    fn readers_sharing_bases_take_each_others_and_read_gits_objects() {
        let (dir, out) = versions("shared-bases");
        let text = String::from_utf8(out.stdout.clone()).unwrap();
        let base_of: std::collections::HashMap<&str, &str> = text
            .lines()
            .map(|l| l.split_once(' ').unwrap())
            .filter(|(_, base)| !base.bytes().all(|b| b == b'0'))
            .collect();
        let bottom = |id: &str| {
            let mut id = id.to_owned();
            while let Some(base) = base_of.get(id.as_str()) {
                id = (*base).to_owned();
            }
            id
        };
        // Two deltas on one chain.
        let mut deltas: Vec<&str> = base_of.keys().copied().collect();
        deltas.sort_unstable();
        let first = deltas[0];
        let second = *deltas[1..]
            .iter()
            .find(|d| bottom(d) == bottom(first))
            .expect("a chain of two deltas");
        let odb = crate::Odb::open(&*dir).unwrap();
        let bases = crate::pack::SharedBases::new(1 << 20);
        let id = |hex: &str| ObjectId::from_hex(hex).unwrap();
        let mut a = odb.reader();
        a.share_bases(&bases);
        let mut b = odb.reader();
        b.share_bases(&bases);
        a.read_into(&id(first), &mut Vec::new()).unwrap();
        let Some(crate::Location::Packed { pack, offset, .. }) =
            a.locate(&id(&bottom(first))).unwrap()
        else {
            panic!("git repack packed it");
        };
        let (_, stored) = bases.get(pack.key(), offset).expect("left for others");
        b.read_into(&id(second), &mut Vec::new()).unwrap();
        let (_, used) = b
            .state()
            .decode
            .cache
            .get_shared(pack.key(), offset)
            .expect("the base under the delta read");
        assert!(Arc::ptr_eq(&stored, &used), "inflated again");

        let ids: Vec<&str> = text.lines().map(|l| &l[..40]).collect();
        let want = gits_objects(&dir, &ids);
        let bases = crate::pack::SharedBases::new(16 << 10);
        std::thread::scope(|s| {
            for t in 0..3 {
                let (ids, want, bases, odb) = (&ids, &want, &bases, &odb);
                s.spawn(move || {
                    let mut r = odb.reader();
                    r.set_delta_base_cache_limit([8 << 10, 32 << 10, 1 << 20][t]);
                    r.share_bases(bases);
                    let n = ids.len();
                    for round in 0..4 {
                        for k in 0..n {
                            let k = if t == 1 { n - 1 - k } else { k };
                            let hex = ids[(k + round + t * n / 3) % n];
                            let got = r.read(&id(hex)).unwrap();
                            assert_eq!(got.data, want[hex], "{hex} on {t}");
                        }
                    }
                });
            }
        });
    }

    /// Trees kept on the way up their chains (`keep_tree_bases`, as walks
    /// keep them) are git's trees, read again from the cache or as bases:
    /// every object of a history of a directory of 150 files read over and
    /// over, at several limits and depths.
    #[test]
    fn trees_kept_on_the_way_are_gits_trees() {
        let dir = Scratch::new("kept-trees").unwrap();
        dir.git(&["init", "-q"]).unwrap();
        for i in 0..150 {
            std::fs::write(dir.join(format!("f{i:03}")), format!("{i}\n")).unwrap();
        }
        for c in 0..16 {
            for i in (c % 5..150).step_by(17) {
                std::fs::write(dir.join(format!("f{i:03}")), format!("{i} {c}\n")).unwrap();
            }
            dir.git(&["add", "."]).unwrap();
            dir.commit("c").unwrap();
        }
        dir.git(&["repack", "-adfq", "--depth=50"]).unwrap();
        let listed = git_stdout(
            &dir,
            &[
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objectname) %(objecttype) %(deltabase)",
            ],
        );
        let text = String::from_utf8(listed.clone()).unwrap();
        let tree_deltas = text
            .lines()
            .filter(|l| l.contains(" tree ") && !l.ends_with(&"0".repeat(40)))
            .count();
        assert!(tree_deltas >= 10, "{tree_deltas} trees stored as deltas");
        reads_are_gits(&dir, &listed, &[1, 3, usize::MAX]);
    }

    /// The contents of the objects `ids` names, as `git cat-file --batch`
    /// gives them.
    fn gits_objects<'a>(
        dir: &std::path::Path,
        ids: &[&'a str],
    ) -> std::collections::HashMap<&'a str, Vec<u8>> {
        let mut git = Command::new("git")
            .args(["cat-file", "--batch"])
            .current_dir(dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(
            git.stdin.as_mut().unwrap(),
            (ids.join("\n") + "\n").as_bytes(),
        )
        .unwrap();
        let answer = git.wait_with_output().unwrap().stdout;
        let mut want = std::collections::HashMap::new();
        let mut rest = &answer[..];
        for id in ids {
            let eol = rest.iter().position(|&b| b == b'\n').unwrap();
            let size: usize = std::str::from_utf8(&rest[..eol])
                .unwrap()
                .rsplit(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            want.insert(*id, rest[eol + 1..eol + 1 + size].to_vec());
            rest = &rest[eol + 2 + size..];
        }
        want
    }

    /// Reads every object `listed` names (one id at the start of each
    /// line) forwards, backwards and every third again, with each of
    /// `keeps` as the reader's `keep_tree_bases`, at several cache limits;
    /// each must be git's bytes.
    fn reads_are_gits(dir: &std::path::Path, listed: &[u8], keeps: &[usize]) {
        let ids: Vec<&str> = std::str::from_utf8(listed)
            .unwrap()
            .lines()
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        let want = gits_objects(dir, &ids);
        let odb = crate::Odb::open(dir).unwrap();
        for &keep in keeps {
            for limit in [8 << 10, 64 << 10, 1 << 20] {
                let mut reader = odb.reader();
                reader.keep_tree_bases(keep);
                reader.set_delta_base_cache_limit(limit);
                let order = ids
                    .iter()
                    .chain(ids.iter().rev())
                    .chain(ids.iter().step_by(3));
                for id in order {
                    let mut data = Vec::new();
                    reader
                        .read_into(&ObjectId::from_hex(id).unwrap(), &mut data)
                        .unwrap();
                    assert_eq!(data, want[id], "{id} at {limit}, keeping {keep}");
                }
            }
        }
    }

    /// Objects made from deltas are shared with the delta-base cache:
    /// read again, the same bytes come back without a copy; whole objects
    /// are not cached. Every object's bytes are `read_into`'s.
    #[test]
    fn objects_made_from_deltas_are_shared_with_the_cache() {
        let (dir, out) = versions("read-shared");
        let odb = crate::Odb::open(&dir).unwrap();
        let mut reader = odb.reader();
        let mut deltas = 0;
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let (id, base) = line.split_once(' ').unwrap();
            let id = ObjectId::from_hex(id).unwrap();
            let delta = base.bytes().any(|b| b != b'0');
            let mut want = Vec::new();
            let kind = reader.read_into(&id, &mut want).unwrap();
            let (k1, first) = reader.read_shared(&id, Vec::new()).unwrap();
            let (k2, again) = reader.read_shared(&id, vec![1, 2, 3]).unwrap();
            assert_eq!((k1, k2), (kind, kind));
            assert!(*first == want && *again == want, "{id}");
            assert_eq!(Arc::ptr_eq(&first, &again), delta, "{id}");
            deltas += usize::from(delta);
        }
        assert!(deltas >= 5, "{deltas} deltas");
    }

    /// What git prints for `args` in `dir`.
    fn git_stdout(dir: &std::path::Path, args: &[&str]) -> Vec<u8> {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
        out.stdout
    }

    /// Commits `content` as the file `name` in the repository at `dir`;
    /// the blob's id.
    fn commit_file(dir: &std::path::Path, name: &str, content: &str) -> ObjectId {
        std::fs::write(dir.join(name), content).unwrap();
        git_stdout(dir, &["add", name]);
        crate::doctest::commit_in(dir, name).unwrap();
        let id = git_stdout(dir, &["rev-parse", &format!("HEAD:{name}")]);
        ObjectId::from_hex(std::str::from_utf8(&id).unwrap().trim()).unwrap()
    }

    /// A pack listed by a scan and deleted before it is opened (a repack
    /// that installed its replacement after the listing) sends the scan
    /// back to list the directory again: the replacement is found without
    /// any rescan on a miss.
    #[test]
    fn a_scan_lists_again_when_a_pack_it_listed_is_gone() {
        use super::super::race::{self, Point};
        let dir = Scratch::committed("listed-gone", &[("a.txt", "a\n")]).unwrap();
        dir.git(&["repack", "-adq"]).unwrap();
        let packs = |dir: &std::path::Path| -> Vec<_> {
            std::fs::read_dir(dir.join(".git/objects/pack"))
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .filter(|n| n.to_string_lossy().ends_with(".pack"))
                .collect()
        };
        let old_packs = packs(&dir);
        let path = dir.to_path_buf();
        let mut repacked = false;
        let hook = race::on(move |point| {
            if point == Point::Listed && !std::mem::replace(&mut repacked, true) {
                commit_file(&path, "b.txt", "b\n");
                git_stdout(&path, &["repack", "-adq"]);
            }
        });
        let odb = crate::OpenOptions::new()
            .refresh_on_miss(false)
            .open(&dir)
            .unwrap();
        drop(hook);
        // Another pack in place of the one listed.
        let new_packs = packs(&dir);
        assert!(old_packs.len() == 1 && new_packs.len() == 1 && old_packs != new_packs);
        assert_eq!(odb.pack_ids().len(), 1);
        let listed = String::from_utf8(git_stdout(
            &dir,
            &[
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objectname)",
            ],
        ))
        .unwrap();
        assert_eq!(listed.lines().count(), 6);
        let mut reader = odb.reader();
        for id in listed.lines() {
            let id = ObjectId::from_hex(id).unwrap();
            let object = reader.read(&id).unwrap();
            let want = git_stdout(&dir, &["cat-file", object.kind.as_str(), &id.to_string()]);
            assert_eq!(object.data, want, "{id}");
        }
    }

    /// A loose object found and then packed and deleted by a repack before
    /// it is opened is found again in the pack, by every read by id.
    #[test]
    fn a_loose_object_packed_after_it_was_found_is_read_from_the_pack() {
        use super::super::race::{self, Point};
        let dir = Scratch::committed("found-loose", &[("a.txt", "a\n")]).unwrap();
        let odb = crate::Odb::open(&dir).unwrap();
        let mut reader = odb.reader();
        for op in ["read", "header", "stream", "info"] {
            let content = format!("a blob for {op}\n");
            let id = commit_file(&dir, op, &content);
            let path = dir.to_path_buf();
            let loose = crate::odb::loose::path_of(&path.join(".git/objects"), &id);
            assert!(loose.exists());
            let mut packed = false;
            let hook = race::on(move |point| {
                if point == Point::FoundLoose && !std::mem::replace(&mut packed, true) {
                    git_stdout(&path, &["repack", "-adq"]);
                    assert!(!loose.exists(), "the repack deleted the loose file");
                }
            });
            match op {
                "read" => assert_eq!(reader.read(&id).unwrap().data, content.as_bytes()),
                "header" => assert_eq!(reader.header(&id).unwrap().size, content.len() as u64),
                "stream" => {
                    let mut data = Vec::new();
                    std::io::Read::read_to_end(&mut reader.stream(&id).unwrap(), &mut data)
                        .unwrap();
                    assert_eq!(data, content.as_bytes());
                }
                _ => assert!(matches!(
                    reader.info(&id).unwrap().location,
                    super::Location::Packed { .. }
                )),
            }
            drop(hook);
        }
    }
}
