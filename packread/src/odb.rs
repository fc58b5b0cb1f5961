//! The object database: packs, loose objects and alternates, searched in git's order.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};

use smmap::{MapManager, SlidingWindowMapManager, StaticWindowMapManager};

use crate::alternates;
use crate::cache::DEFAULT_DELTA_BASE_CACHE_LIMIT;
use crate::decode::{self, DEFAULT_MAX_DELTA_CHAIN, DecodeState, Decoded};
use crate::entry::{EntryHeader, EntryKind};
use crate::error::{Corruption, Error};
use crate::hashing::BuildMulHasher;
use crate::index::PrefixLookup;
use crate::kind::ObjectKind;
use crate::loose;
use crate::oid::{HashKind, ObjectId, Prefix};
use crate::pack::{Pack, PackCursors};
use crate::repo;
use crate::stream::ObjectStream;

/// How to open a database: window limits, caches, hash.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    window_size: usize,
    max_memory: usize,
    max_handles: usize,
    static_windows: bool,
    manager: Option<MapManager>,
    delta_base_cache_limit: usize,
    max_delta_chain: usize,
    hash: Option<HashKind>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            window_size: 0,
            max_memory: 0,
            max_handles: 0,
            static_windows: false,
            manager: None,
            delta_base_cache_limit: DEFAULT_DELTA_BASE_CACHE_LIMIT,
            max_delta_chain: DEFAULT_MAX_DELTA_CHAIN,
            hash: None,
        }
    }
}

impl OpenOptions {
    /// Defaults: smmap's sliding manager with its default limits, a 96 MiB
    /// delta-base cache per reader (git's default), and the repository's hash.
    pub fn new() -> Self {
        Self::default()
    }

    /// The size of the sliding windows (0: smmap's default, 1 GiB on 64-bit).
    #[must_use]
    pub fn window_size(mut self, bytes: usize) -> Self {
        self.window_size = bytes;
        self
    }

    /// The soft limit on mapped memory (0: smmap's default).
    #[must_use]
    pub fn max_memory(mut self, bytes: usize) -> Self {
        self.max_memory = bytes;
        self
    }

    /// The limit on mapped windows, i.e. open handles (0: none).
    #[must_use]
    pub fn max_handles(mut self, n: usize) -> Self {
        self.max_handles = n;
        self
    }

    /// Map whole files instead of sliding windows (for comparison).
    #[must_use]
    pub fn static_windows(mut self, yes: bool) -> Self {
        self.static_windows = yes;
        self
    }

    /// Use this manager (and its limits), e.g. one shared by many databases.
    #[must_use]
    pub fn manager(mut self, manager: MapManager) -> Self {
        self.manager = Some(manager);
        self
    }

    /// Bytes of delta bases each reader keeps (0 disables the cache).
    #[must_use]
    pub fn delta_base_cache_limit(mut self, bytes: usize) -> Self {
        self.delta_base_cache_limit = bytes;
        self
    }

    /// The longest delta chain followed before the pack is called corrupt.
    #[must_use]
    pub fn max_delta_chain(mut self, n: usize) -> Self {
        self.max_delta_chain = n;
        self
    }

    /// The hash of the ids, for object directories without a repository config.
    #[must_use]
    pub fn hash(mut self, hash: HashKind) -> Self {
        self.hash = Some(hash);
        self
    }

    fn make_manager(&self) -> MapManager {
        if let Some(m) = &self.manager {
            return m.clone();
        }
        if self.static_windows {
            StaticWindowMapManager::with_limits(0, self.max_memory, self.max_handles).into()
        } else {
            SlidingWindowMapManager::with_limits(
                self.window_size,
                self.max_memory,
                self.max_handles,
            )
            .into()
        }
    }

    /// Opens the database of `path`: a work tree, a `.git` directory (bare
    /// repository) or an `objects` directory.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Odb, Error> {
        let found = repo::discover(path.as_ref())?;
        let hash = match self.hash {
            Some(h) => h,
            None => found.hash,
        };
        Odb::from_objects_dir(&found.objects_dir, hash, self)
    }

    /// Opens a single pack by its `.idx` or `.pack` path, as a database.
    pub fn open_pack(&self, path: impl AsRef<Path>) -> Result<Odb, Error> {
        let idx = path.as_ref().with_extension("idx");
        let manager = self.make_manager();
        let hash = self.hash.unwrap_or_default();
        let pack = Pack::open(&idx, &manager, hash)?;
        Ok(Odb::assemble(
            manager,
            hash,
            Vec::new(),
            vec![pack],
            Vec::new(),
            self,
        ))
    }
}

struct Inner {
    hash: HashKind,
    manager: MapManager,
    /// Object directories (for loose objects): primary, then alternates.
    dirs: Vec<PathBuf>,
    /// Every directory's packs, in git's order (see `from_objects_dir`).
    packs: Vec<Pack>,
    /// What git would have reported while reading the alternates.
    warnings: Vec<String>,
    cache_limit: usize,
    max_chain: usize,
    pool: Mutex<Vec<ReaderState>>,
}

/// A git object database, `Send + Sync`: clone it or share it between threads.
///
/// Every pack and index is read through one window manager, so its limits on
/// mapped memory and handles hold for the whole database. Reads through the
/// database itself borrow a pooled [`Reader`] (cursors, inflater, delta-base
/// cache); for long runs, take a [`Reader`] per thread.
#[derive(Clone)]
pub struct Odb {
    inner: Arc<Inner>,
}

/// Where an object is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// In pack number `pack` (see [`Odb::packs`]), at `offset`.
    Packed {
        /// The pack's number.
        pack: usize,
        /// The object's position in the pack's index.
        index_position: u32,
        /// The entry's offset in the pack.
        offset: u64,
    },
    /// In a loose file.
    Loose {
        /// The file.
        path: PathBuf,
    },
}

/// Facts about one pack entry, as `git verify-pack -v` lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryInfo {
    /// The object's id.
    pub id: ObjectId,
    /// The entry's offset in the pack.
    pub offset: u64,
    /// The entry's header.
    pub header: EntryHeader,
    /// Bytes the entry takes in the pack: header, base reference and stream.
    pub size_in_pack: u64,
    /// The CRC32 the index records (version 2 indices).
    pub crc32: Option<u32>,
    /// The kind of the object (of the chain's base, for deltas).
    pub kind: ObjectKind,
    /// Deltas between the entry and a whole object (0 for whole objects).
    pub depth: usize,
    /// The id of the immediate delta base.
    pub base: Option<ObjectId>,
}

/// An object's kind and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// What kind of object it is.
    pub kind: ObjectKind,
    /// Its content (without git's `"<type> <size>\0"` header).
    pub data: Vec<u8>,
}

impl Odb {
    /// Opens the database of `path` with default options (see [`OpenOptions`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Odb, Error> {
        OpenOptions::new().open(path)
    }

    fn from_objects_dir(
        objects_dir: &Path,
        hash: HashKind,
        opts: &OpenOptions,
    ) -> Result<Odb, Error> {
        let manager = opts.make_manager();
        let mut dirs = vec![objects_dir.to_owned()];
        let mut warnings = Vec::new();
        collect_alternates(objects_dir, 0, &mut dirs, &mut warnings);
        // git installs each pack at the front of its list, directory by
        // directory in readdir order, then sorts stably: local packs first,
        // then by the pack's mtime in seconds, newest first.
        let mut packs: Vec<(bool, u64, Pack)> = Vec::new();
        for (i, dir) in dirs.iter().enumerate() {
            for pack in open_packs(&dir.join("pack"), &manager, hash)? {
                let secs = pack
                    .mtime()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                packs.push((i == 0, secs, pack));
            }
        }
        packs.reverse();
        packs.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        let packs = packs.into_iter().map(|(_, _, p)| p).collect();
        Ok(Odb::assemble(manager, hash, dirs, packs, warnings, opts))
    }

    fn assemble(
        manager: MapManager,
        hash: HashKind,
        dirs: Vec<PathBuf>,
        packs: Vec<Pack>,
        warnings: Vec<String>,
        o: &OpenOptions,
    ) -> Odb {
        Odb {
            inner: Arc::new(Inner {
                hash,
                manager,
                dirs,
                packs,
                warnings,
                cache_limit: o.delta_base_cache_limit,
                max_chain: o.max_delta_chain.max(1),
                pool: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Bytes of delta bases each reader keeps by default.
    pub fn delta_base_cache_limit(&self) -> usize {
        self.inner.cache_limit
    }

    /// The hash the database's ids use.
    pub fn hash_kind(&self) -> HashKind {
        self.inner.hash
    }

    /// The window manager every pack and index is read through.
    pub fn manager(&self) -> &MapManager {
        &self.inner.manager
    }

    /// Problems with the alternates that were skipped, in git's words
    /// (git prints each as an `error:` line).
    pub fn warnings(&self) -> &[String] {
        &self.inner.warnings
    }

    /// The packs, in git's lookup order: the repository's own first, then
    /// the alternates', each group newest first.
    pub fn packs(&self) -> &[Pack] {
        &self.inner.packs
    }

    /// Checks every entry of pack number `pack` — its CRC32, its zlib stream,
    /// its delta and its object id — and returns the entries' facts in pack
    /// order, as `git index-pack --verify` does: the delta trees are walked
    /// base first with `threads` threads, so each entry is inflated once and
    /// each delta applied once to a base held in memory. Bases are held up
    /// to `memory_limit` bytes in all; past it, a delta's base is decoded
    /// again from the pack. `progress` counts the entries checked.
    ///
    /// The error is the first problem a thread met; to name the first bad
    /// entry in pack order, check the entries one by one with
    /// [`Reader::verify_entry`]. The trailers are checked separately
    /// ([`Pack::verify_checksum`], [`PackIndex::verify_checksum`]).
    ///
    /// [`PackIndex::verify_checksum`]: crate::PackIndex::verify_checksum
    pub fn verify_pack(
        &self,
        pack: usize,
        threads: usize,
        memory_limit: usize,
        progress: &AtomicU64,
    ) -> Result<Vec<EntryInfo>, Error> {
        let opts = crate::traverse::WalkOptions {
            threads,
            memory_limit,
            max_chain: self.inner.max_chain,
        };
        crate::traverse::verify_entries(&self.inner.packs[pack], &opts, progress)
    }

    /// The object directories, primary first, then alternates in git's order.
    pub fn object_dirs(&self) -> impl Iterator<Item = &Path> {
        self.inner.dirs.iter().map(PathBuf::as_path)
    }

    /// A reader with its own cursors and caches; cheap after the first (they
    /// are pooled). Use one per thread.
    pub fn reader(&self) -> Reader<'_> {
        let state = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut state = state.unwrap_or_else(|| ReaderState {
            cursors: Vec::new(),
            current: None,
            mru: (0..self.inner.packs.len()).collect(),
            decode: DecodeState::new(self.inner.cache_limit, self.inner.max_chain),
        });
        state.decode.cache.set_limit(self.inner.cache_limit);
        Reader {
            odb: self,
            state: Some(state),
        }
    }

    /// Whether the database has the object.
    pub fn contains(&self, id: &ObjectId) -> Result<bool, Error> {
        self.reader().contains(id)
    }

    /// Reads an object.
    pub fn read(&self, id: &ObjectId) -> Result<Object, Error> {
        let mut data = Vec::new();
        let kind = self.reader().read_into(id, &mut data)?;
        Ok(Object { kind, data })
    }

    /// The object as a reader (see [`Reader::stream`]).
    pub fn stream(&self, id: &ObjectId) -> Result<ObjectStream, Error> {
        self.reader().stream(id)
    }

    /// Reads an object into `out` (replacing its content), reusing its allocation.
    pub fn read_into(&self, id: &ObjectId, out: &mut Vec<u8>) -> Result<ObjectKind, Error> {
        self.reader().read_into(id, out)
    }

    /// An object's kind and size, without inflating more than git would.
    pub fn header(&self, id: &ObjectId) -> Result<(ObjectKind, u64), Error> {
        self.reader().header(id)
    }

    /// The object that `hex` (a full or abbreviated id) names.
    pub fn resolve_prefix(&self, hex: &str) -> Result<ObjectId, Error> {
        self.reader().resolve_prefix(hex)
    }

    /// Where the object is stored, in lookup order.
    pub fn locate(&self, id: &ObjectId) -> Result<Option<Location>, Error> {
        self.reader().locate(id)
    }

    /// Every object id, sorted, each once (`cat-file --batch-all-objects`).
    pub fn object_ids(&self) -> Result<Vec<ObjectId>, Error> {
        let mut ids = Vec::new();
        for dir in &self.inner.dirs {
            ids.extend(loose::list(dir, self.inner.hash)?);
        }
        let mut r = self.reader();
        for pack in 0..self.inner.packs.len() {
            let (p, c, _) = r.parts(pack);
            ids.reserve(p.len() as usize);
            for pos in 0..p.len() {
                ids.push(p.index().oid_at(&mut c.index, pos)?);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Whether the database is one pack and nothing else (no loose objects,
    /// no other packs): its index then lists every object once, sorted, and
    /// where a lookup would find it. Stops at the first loose object found.
    pub fn is_one_pack(&self) -> Result<bool, Error> {
        if self.inner.packs.len() != 1 {
            return Ok(false);
        }
        let mut ids = Vec::new();
        for dir in &self.inner.dirs {
            for fan in 0..=255u8 {
                loose::list_fan(dir, fan, self.inner.hash, &mut ids)?;
                if !ids.is_empty() {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Calls `f` with every object id, sorted, each once, and where a lookup
    /// of it (through `r`, as [`Reader::locate`]) finds it, until `f`
    /// returns false. A database of one pack and no loose objects is walked
    /// straight from its index, without a lookup per id.
    pub fn for_each_object_location(
        &self,
        r: &mut Reader<'_>,
        mut f: impl FnMut(ObjectId, Location) -> bool,
    ) -> Result<(), Error> {
        if self.is_one_pack()? {
            for pos in 0..self.inner.packs[0].len() {
                let (id, loc) = r.location_at(0, pos)?;
                if !f(id, loc) {
                    break;
                }
            }
            return Ok(());
        }
        for id in self.object_ids()? {
            let loc = r.locate(&id)?.ok_or(Error::NotFound(id))?;
            if !f(id, loc) {
                break;
            }
        }
        Ok(())
    }

    /// Every object id, each once, in git 2.47's `--unordered` order: the
    /// loose objects of each object directory (fan-out directories in order,
    /// files in directory order), then each pack in pack order.
    pub fn object_ids_pack_order(&self) -> Result<Vec<ObjectId>, Error> {
        Ok(self
            .object_locations_pack_order()?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    /// Like [`object_ids_pack_order`](Self::object_ids_pack_order), with the
    /// copy of each object that the order reaches first.
    pub fn object_locations_pack_order(&self) -> Result<Vec<(ObjectId, Location)>, Error> {
        let mut r = self.reader();
        let mut seen: HashSet<ObjectId, BuildMulHasher> = HashSet::default();
        let mut out = Vec::new();
        for dir in &self.inner.dirs {
            for id in loose::list(dir, self.inner.hash)? {
                if seen.insert(id) {
                    out.push((
                        id,
                        Location::Loose {
                            path: loose::path_of(dir, &id),
                        },
                    ));
                }
            }
        }
        for pack in 0..self.inner.packs.len() {
            let (p, c, _) = r.parts(pack);
            let sorted = p.entries_by_offset(&mut c.index)?;
            for &(offset, index_position) in sorted {
                let id = p.index().oid_at(&mut c.index, index_position)?;
                if seen.insert(id) {
                    out.push((
                        id,
                        Location::Packed {
                            pack,
                            index_position,
                            offset,
                        },
                    ));
                }
            }
        }
        Ok(out)
    }
}

impl std::fmt::Debug for Odb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Odb")
            .field("hash", &self.inner.hash)
            .field("dirs", &self.inner.dirs)
            .field("packs", &self.inner.packs.len())
            .field("manager", &self.inner.manager)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.state.as_ref().expect("present until drop");
        f.debug_struct("Reader")
            .field("current_pack", &st.current)
            .finish_non_exhaustive()
    }
}

/// Every alternate of `dir`, recursively (depth-limited as git), skipping
/// missing directories and ones already listed, with git's messages for
/// the ones skipped.
fn collect_alternates(
    dir: &Path,
    depth: usize,
    out: &mut Vec<PathBuf>,
    warnings: &mut Vec<String>,
) {
    let Ok(list) = alternates::read(dir) else {
        return;
    };
    if depth >= alternates::MAX_DEPTH {
        if !list.is_empty() {
            warnings.push(format!(
                "{}: ignoring alternate object stores, nesting too deep",
                dir.display()
            ));
        }
        return;
    }
    for alt in list {
        // git's realpath allows only the last component to be missing.
        let parent_ok = alt
            .parent()
            .is_none_or(|p| p.as_os_str().is_empty() || p.exists());
        if !parent_ok {
            warnings.push(format!(
                "unable to normalize alternate object path: {}",
                alt.display()
            ));
            continue;
        }
        let real = std::fs::canonicalize(&alt).unwrap_or_else(|_| alt.clone());
        if !real.is_dir() {
            warnings.push(format!(
                "object directory {} does not exist; check .git/objects/info/alternates",
                real.display()
            ));
            continue;
        }
        let primary = out.first().and_then(|d| std::fs::canonicalize(d).ok());
        if primary.as_ref() == Some(&real) || out.iter().skip(1).any(|d| *d == real) {
            continue;
        }
        out.push(real.clone());
        collect_alternates(&real, depth + 1, out, warnings);
    }
}

/// Opens every pack in `pack_dir` that has both an index and a data file.
fn open_packs(pack_dir: &Path, manager: &MapManager, hash: HashKind) -> Result<Vec<Pack>, Error> {
    let entries = match std::fs::read_dir(pack_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                path: pack_dir.to_owned(),
                source,
            });
        }
    };
    let mut packs = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| Error::Io {
                path: pack_dir.to_owned(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|e| e == "idx") && path.with_extension("pack").is_file() {
            packs.push(Pack::open(&path, manager, hash)?);
        }
    }
    Ok(packs)
}

/// What a [`Reader`] keeps between reads.
struct ReaderState {
    cursors: Vec<Option<PackCursors>>,
    /// The pack whose cursors may hold windows; all others' are released.
    current: Option<usize>,
    /// Pack numbers, most recently hit first: the order lookups try them,
    /// as git's `packed_git_mru` (a hit moves its pack to the front).
    mru: Vec<usize>,
    decode: DecodeState,
}

impl ReaderState {
    /// Lets go of the windows the current pack's cursors hold.
    fn release(&mut self) {
        if let Some(c) = self.current.take().and_then(|p| self.cursors[p].as_mut()) {
            c.index.unuse_region();
            c.data.unuse_region();
        }
    }
}

/// Reads objects with its own cursors, inflater and delta-base cache.
/// Returned to its database's pool when dropped.
pub struct Reader<'a> {
    odb: &'a Odb,
    state: Option<ReaderState>,
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(mut state) = self.state.take() {
            // Pooled readers hold no windows: idle windows stay evictable.
            state.release();
            self.odb
                .inner
                .pool
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(state);
        }
    }
}

impl Reader<'_> {
    fn parts(&mut self, pack: usize) -> (&Pack, &mut PackCursors, &mut DecodeState) {
        let p = &self.odb.inner.packs[pack];
        let st = self.state.as_mut().expect("present until drop");
        if st.cursors.len() <= pack {
            st.cursors.resize_with(self.odb.inner.packs.len(), || None);
        }
        // A reader pins the windows of one pack at a time (at most two
        // windows), as git's `unuse_pack` lets go of a pack's window.
        if st.current != Some(pack) {
            st.release();
            st.current = Some(pack);
        }
        let cursors = st.cursors[pack].get_or_insert_with(|| p.cursors());
        (p, cursors, &mut st.decode)
    }

    /// The position of `id` in pack `pack`'s index.
    fn find_in_pack(&mut self, pack: usize, id: &ObjectId) -> Result<Option<(u32, u64)>, Error> {
        let (p, c, _) = self.parts(pack);
        match p.index().lookup(&mut c.index, id)? {
            Some(pos) => Ok(Some((pos, p.checked_offset(&mut c.index, pos)?))),
            None => Ok(None),
        }
    }

    /// Where the object is stored: the packs in git's most-recently-used
    /// order (git's pack order at first; each hit moves its pack to the
    /// front), then loose objects of each object directory, as git 2.47 looks.
    pub fn locate(&mut self, id: &ObjectId) -> Result<Option<Location>, Error> {
        let odb = self.odb;
        let packs = odb.inner.packs.len();
        for k in 0..packs {
            let pack = self.state.as_ref().expect("present until drop").mru[k];
            if let Some((index_position, offset)) = self.find_in_pack(pack, id)? {
                // git moves the pack of a hit to the front of its list.
                self.state.as_mut().expect("present until drop").mru[..=k].rotate_right(1);
                return Ok(Some(Location::Packed {
                    pack,
                    index_position,
                    offset,
                }));
            }
        }
        for dir in &odb.inner.dirs {
            let path = loose::path_of(dir, id);
            if path.is_file() {
                return Ok(Some(Location::Loose { path }));
            }
        }
        Ok(None)
    }

    /// Whether the database has the object.
    pub fn contains(&mut self, id: &ObjectId) -> Result<bool, Error> {
        Ok(self.locate(id)?.is_some())
    }

    /// Reads an object into `out`, replacing its content.
    pub fn read_into(&mut self, id: &ObjectId, out: &mut Vec<u8>) -> Result<ObjectKind, Error> {
        match self.locate(id)? {
            Some(Location::Packed { pack, offset, .. }) => {
                Ok(self.read_packed(pack, offset, out)?.kind)
            }
            Some(Location::Loose { path }) => loose::read(&path, out)?.ok_or(Error::NotFound(*id)),
            None => Err(Error::NotFound(*id)),
        }
    }

    /// Reads an object.
    pub fn read(&mut self, id: &ObjectId) -> Result<Object, Error> {
        let mut data = Vec::new();
        let kind = self.read_into(id, &mut data)?;
        Ok(Object { kind, data })
    }

    /// Decodes the entry at `offset` of pack number `pack` into `out`.
    pub fn read_packed(
        &mut self,
        pack: usize,
        offset: u64,
        out: &mut Vec<u8>,
    ) -> Result<Decoded, Error> {
        let (p, c, st) = self.parts(pack);
        decode::read_object(p, pack as u32, c, st, offset, out)
    }

    /// An object's kind and size: whole objects from their entry header,
    /// deltas from the delta's size header and their base's entry header.
    pub fn header(&mut self, id: &ObjectId) -> Result<(ObjectKind, u64), Error> {
        match self.locate(id)? {
            Some(Location::Packed { pack, offset, .. }) => {
                let (p, c, st) = self.parts(pack);
                decode::read_header(p, pack as u32, c, st, offset)
            }
            Some(Location::Loose { path }) => {
                loose::read_header(&path)?.ok_or(Error::NotFound(*id))
            }
            None => Err(Error::NotFound(*id)),
        }
    }

    /// The object that `hex` names: a full id, or a prefix that exactly one
    /// object (in any pack or loose) starts with. A name that is not hex, or
    /// longer than an id, is [`Error::InvalidName`].
    pub fn resolve_prefix(&mut self, hex: &str) -> Result<ObjectId, Error> {
        let hash = self.odb.inner.hash;
        if hex.len() == hash.hex_len()
            && let Some(id) = ObjectId::from_hex(hex)
        {
            return Ok(id);
        }
        let prefix = Prefix::from_hex(hex).filter(|p| p.hex_len() <= hash.hex_len());
        let Some(prefix) = prefix else {
            return Err(Error::InvalidName(hex.to_owned()));
        };
        let mut found: Option<ObjectId> = None;
        let mut note = |id: ObjectId| -> Result<(), Error> {
            match found {
                Some(f) if f != id => Err(Error::Ambiguous(prefix)),
                _ => {
                    found = Some(id);
                    Ok(())
                }
            }
        };
        let odb = self.odb;
        for pack in 0..odb.inner.packs.len() {
            let (p, c, _) = self.parts(pack);
            match p.index().lookup_prefix(&mut c.index, &prefix)? {
                PrefixLookup::None => {}
                PrefixLookup::Unique(pos) => note(p.index().oid_at(&mut c.index, pos)?)?,
                PrefixLookup::Ambiguous => return Err(Error::Ambiguous(prefix)),
            }
        }
        for dir in &odb.inner.dirs {
            for id in loose_with_prefix(dir, &prefix, hash)? {
                note(id)?;
            }
        }
        found.ok_or(Error::PrefixNotFound(prefix))
    }

    /// The id and location of the object at index position `pos` of pack
    /// `pack` (its offset from an offset table checked as a whole, see
    /// [`Pack::checked_offset`]).
    pub fn location_at(&mut self, pack: usize, pos: u32) -> Result<(ObjectId, Location), Error> {
        let (p, c, _) = self.parts(pack);
        let id = p.index().oid_at(&mut c.index, pos)?;
        let offset = p.checked_offset(&mut c.index, pos)?;
        let loc = Location::Packed {
            pack,
            index_position: pos,
            offset,
        };
        Ok((id, loc))
    }

    /// Facts about the entry at index position `pos` of pack `pack`: what
    /// `git verify-pack -v` prints, and the CRC32.
    pub fn entry_info(&mut self, pack: usize, pos: u32) -> Result<EntryInfo, Error> {
        let (p, c, st) = self.parts(pack);
        let id = p.index().oid_at(&mut c.index, pos)?;
        let offset = p.index().offset_at(&mut c.index, pos)?;
        let crc32 = p.index().crc32_at(&mut c.index, pos)?;
        let size_in_pack = p.next_offset(&mut c.index, offset)? - offset;
        let header = p.entry_header(&mut c.data, offset)?;
        let (kind, depth) = decode::resolve_kind(p, u32::MAX, c, st, offset, header)?;
        let base = p.delta_base_id(c, offset, &header.kind)?;
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

    /// The object as a [`Read`](std::io::Read)er: whole packed and loose
    /// objects are inflated as they are read, never held whole; deltas are
    /// resolved into memory first.
    pub fn stream(&mut self, id: &ObjectId) -> Result<ObjectStream, Error> {
        match self.locate(id)? {
            Some(Location::Packed { pack, offset, .. }) => {
                let (p, c, _) = self.parts(pack);
                let h = p.entry_header(&mut c.data, offset)?;
                if let EntryKind::Base(kind) = h.kind {
                    let data_offset = offset + u64::from(h.header_len);
                    let path = p.data_path().to_owned();
                    return Ok(ObjectStream::packed(
                        kind,
                        h.size,
                        c.data.clone(),
                        data_offset,
                        p.data_end(),
                        offset,
                        path,
                    ));
                }
                let mut data = Vec::new();
                let decoded = self.read_packed(pack, offset, &mut data)?;
                Ok(ObjectStream::memory(decoded.kind, data))
            }
            Some(Location::Loose { path }) => {
                let (kind, size, reader) =
                    loose::open_stream(&path)?.ok_or(Error::NotFound(*id))?;
                Ok(ObjectStream::loose(kind, size, reader, path))
            }
            None => Err(Error::NotFound(*id)),
        }
    }

    /// Checks the entry at index position `pos` of pack `pack` as `git
    /// verify-pack` does: its CRC32 (version 2 indices) and that its object
    /// hashes to its id. Returns the entry's facts.
    pub fn verify_entry(
        &mut self,
        pack: usize,
        pos: u32,
        buf: &mut Vec<u8>,
    ) -> Result<EntryInfo, Error> {
        let info = self.entry_info(pack, pos)?;
        let hash = self.odb.inner.hash;
        let (p, c, _) = self.parts(pack);
        p.verify_crc32(c, pos, info.offset, info.offset + info.size_in_pack)?;
        let decoded = self.read_packed(pack, info.offset, buf)?;
        let actual = ObjectId::compute_checked(hash, decoded.kind, buf)
            .map_err(|reason| self.odb.inner.packs[pack].corrupt(info.offset, reason))?;
        if actual != info.id {
            let p = &self.odb.inner.packs[pack];
            return Err(p.corrupt(
                info.offset,
                Corruption::HashMismatch {
                    expected: info.id,
                    actual,
                },
            ));
        }
        Ok(info)
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
            Location::Loose { path } => loose::read(path, out)?.ok_or_else(|| missing_loose(path)),
        }
    }

    /// Kind and size of the object stored at `loc` (see [`header`](Self::header)).
    pub fn header_location(&mut self, loc: &Location) -> Result<(ObjectKind, u64), Error> {
        match loc {
            Location::Packed { pack, offset, .. } => {
                let (p, c, st) = self.parts(*pack);
                decode::read_header(p, *pack as u32, c, st, *offset)
            }
            Location::Loose { path } => {
                loose::read_header(path)?.ok_or_else(|| missing_loose(path))
            }
        }
    }

    /// What the object at `loc` takes on disk (a pack entry's bytes, or the
    /// loose file's size) and its immediate delta base, as git's
    /// `%(objectsize:disk)` and `%(deltabase)` report them.
    pub fn disk_facts(&mut self, loc: &Location) -> Result<(u64, Option<ObjectId>), Error> {
        match loc {
            Location::Packed { pack, offset, .. } => {
                let (p, c, _) = self.parts(*pack);
                let size = p.next_offset(&mut c.index, *offset)? - offset;
                let kind = p.entry_header(&mut c.data, *offset)?.kind;
                let base = p.delta_base_id(c, *offset, &kind)?;
                Ok((size, base))
            }
            Location::Loose { path } => {
                let meta = std::fs::metadata(path).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
                Ok((meta.len(), None))
            }
        }
    }

    /// Sets this reader's delta-base cache limit in bytes (0 disables it),
    /// e.g. to split one budget between the readers of several threads.
    pub fn set_delta_base_cache_limit(&mut self, bytes: usize) {
        self.state
            .as_mut()
            .expect("present until drop")
            .decode
            .cache
            .set_limit(bytes);
    }

    /// The database this reader reads.
    pub fn odb(&self) -> &Odb {
        self.odb
    }

    /// Delta-base cache hits and misses so far.
    pub fn cache_stats(&self) -> (u64, u64) {
        let st = self.state.as_ref().expect("present until drop");
        (st.decode.cache.hits, st.decode.cache.misses)
    }
}

fn missing_loose(path: &Path) -> Error {
    Error::Io {
        path: path.to_owned(),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    }
}

/// Loose objects under `dir` whose ids start with `prefix`.
fn loose_with_prefix(dir: &Path, prefix: &Prefix, hash: HashKind) -> Result<Vec<ObjectId>, Error> {
    let mut ids = Vec::new();
    if prefix.hex_len() < 2 {
        ids = loose::list(dir, hash)?;
    } else {
        loose::list_fan(dir, prefix.first_byte(), hash, &mut ids)?;
    }
    ids.retain(|id| prefix.matches(id));
    Ok(ids)
}
