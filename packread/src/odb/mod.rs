//! The object database: packs, loose objects and alternates, searched in
//! git's order, and the [`Reader`]s that read from it.

pub(crate) mod alternates;
mod iter;
pub(crate) mod loose;
mod options;
mod packs;
mod prefix;
mod promisor;
mod race;
pub use prefix::auto_abbrev;
mod reader;
pub(crate) mod stream;
mod write;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use smmap::MapManager;

use crate::error::Error;
use crate::object::{HashKind, ObjectId, ObjectKind};
use crate::pack::Pack;
use crate::pack::verify::{EntryInfo, VerifyOptions, whole_pack};
use crate::warning::Warning;

pub use iter::{ObjectIds, Visited};
pub use options::OpenOptions;
pub use reader::{CacheStats, DiskInfo, Header, Object, ObjectInfo, Parsed, Reader};
pub use stream::ObjectStream;

use packs::PackSet;
use reader::ReaderState;

/// The number of a pack in its database: its place in
/// [`Odb::packs`], which lists packs in git's lookup order.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("packid", &[("hello.txt", "hello\n")])?;
/// # dir.git(&["gc", "-q"])?;
/// let odb = packread::Odb::open(&dir)?;
/// for (id, pack) in odb.pack_ids().zip(odb.packs()) {
///     assert!(std::sync::Arc::ptr_eq(&odb.pack(id), &pack));
///     assert_eq!(odb.packs()[id.index()].len(), 3);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackId(u32);

impl PackId {
    /// The pack's position in [`Odb::packs`].
    pub fn index(self) -> usize {
        self.0 as usize
    }

    pub(crate) fn new(i: usize) -> PackId {
        PackId(u32::try_from(i).expect("fewer than 2^32 packs"))
    }

    /// The key the delta-base cache files this pack's objects under.
    pub(crate) fn key(self) -> u32 {
        self.0
    }
}

/// Where an object is stored: what [`Reader::locate`] finds, and what the
/// `*_location` reads take (a lookup made once, read many ways).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("location", &[("hello.txt", "hello\n")])?;
/// # dir.git(&["gc", "-q"])?;
/// use packread::{Location, ObjectKind};
///
/// let odb = packread::Odb::open(&dir)?;
/// let mut reader = odb.reader();
/// let id = reader.resolve_prefix("ce01")?;
/// let loc = reader.locate(&id)?.expect("present");
/// let Location::Packed { pack, offset, .. } = loc else {
///     panic!("git gc packed it");
/// };
/// assert_eq!(odb.pack(pack).data_path().extension().unwrap(), "pack");
/// assert!(offset >= 12); // past the pack's header
/// assert_eq!(reader.read_location(&loc, &mut Vec::new())?, ObjectKind::Blob);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// In a pack.
    Packed {
        /// Which pack.
        pack: PackId,
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
    /// Nowhere: git's built-in empty tree ([`HashKind::empty_tree`]), which
    /// git finds before any pack or loose file (so a stored copy takes no
    /// room on disk and has no delta base, as git reports it).
    Builtin,
}

struct Inner {
    hash: HashKind,
    manager: MapManager,
    /// The packs and directories as last scanned.
    set: RwLock<Arc<PackSet>>,
    /// Bumped by every scan that changed the set; readers compare.
    generation: AtomicU64,
    /// What a rescan starts from: the objects directory (none for a lone
    /// pack's database) and the alternates given besides its own.
    objects_dir: Option<PathBuf>,
    extra_alternates: Vec<PathBuf>,
    /// Whether the multi-pack-index is read (`core.multiPackIndex`).
    use_midx: bool,
    /// Whether a lookup that misses scans the directories again.
    refresh_on_miss: bool,
    /// Whether a miss fetches from the promisor remotes (see
    /// [`OpenOptions::lazy_fetch`]).
    lazy_fetch: std::sync::atomic::AtomicBool,
    /// The repository's promisor remotes, read on the first miss that
    /// would fetch.
    promisors: std::sync::OnceLock<Option<promisor::Promisors>>,
    cache_limit: usize,
    /// The cache limit given when the database was opened, if one was.
    given_cache_limit: Option<usize>,
    /// How many loose objects this database wrote: readers' listings of
    /// loose objects made before a write are stale.
    loose_writes: AtomicU64,
    max_chain: usize,
    /// Reader states given back, for the next reader to take.
    pool: Mutex<Vec<ReaderState>>,
}

/// The packs of a database at one moment (see [`Odb::packs`]): derefs to
/// a slice of packs, indexed by [`PackId::index`].
#[derive(Clone)]
pub struct Packs(Arc<PackSet>);

impl std::ops::Deref for Packs {
    type Target = [Arc<Pack>];
    fn deref(&self) -> &[Arc<Pack>] {
        &self.0.packs
    }
}

impl IntoIterator for Packs {
    type Item = Arc<Pack>;
    type IntoIter = std::vec::IntoIter<Arc<Pack>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.packs.clone().into_iter()
    }
}

impl std::fmt::Debug for Packs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.packs.iter()).finish()
    }
}

/// A git object database: a repository's packs, loose objects and
/// alternates. `Send + Sync`, and cheap to clone (clones share everything).
///
/// Every pack and index is read through one window manager, so its limits on
/// mapped memory and handles hold for the whole database. The reading
/// methods here take a pooled [`Reader`] (cursors, inflater, delta-base
/// cache) for the one call; for many reads, keep a [`Reader`] per thread.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("odb", &[("hello.txt", "hello\n")])?;
/// use packread::{Odb, object::ObjectKind};
///
/// let odb = Odb::open(&dir)?;
/// let id = odb.resolve_prefix("ce01")?;
/// assert_eq!(odb.header(&id)?.kind, ObjectKind::Blob);
/// assert_eq!(odb.read(&id)?.data, b"hello\n");
/// assert!(odb.try_read(&odb.hash_kind().null())?.is_none());
/// let ids: Vec<_> = odb.object_ids().collect::<Result<_, _>>()?;
/// assert_eq!(ids.len(), 3); // the blob, its tree and the commit
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Odb {
    inner: Arc<Inner>,
}

impl Odb {
    /// Opens the database of `path` (a work tree, a `.git` directory or an
    /// `objects` directory) with default options (see [`OpenOptions`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Odb, Error> {
        OpenOptions::new().open(path)
    }

    pub(crate) fn assemble(
        manager: MapManager,
        hash: HashKind,
        set: PackSet,
        (objects_dir, extra_alternates, use_midx): (Option<PathBuf>, Vec<PathBuf>, bool),
        o: &OpenOptions,
    ) -> Odb {
        Odb {
            inner: Arc::new(Inner {
                hash,
                manager,
                set: RwLock::new(Arc::new(set)),
                generation: AtomicU64::new(0),
                objects_dir,
                extra_alternates,
                use_midx,
                refresh_on_miss: o.refreshes_on_miss(),
                lazy_fetch: std::sync::atomic::AtomicBool::new(o.fetches_lazily()),
                promisors: std::sync::OnceLock::new(),
                cache_limit: o.cache_limit(),
                given_cache_limit: o.given_cache_limit(),
                loose_writes: AtomicU64::new(0),
                max_chain: o.chain_limit(),
                pool: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The packs and directories as last scanned.
    pub(crate) fn set(&self) -> Arc<PackSet> {
        Arc::clone(
            &self
                .inner
                .set
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Whether lookups that miss refresh (see [`OpenOptions::refresh_on_miss`]).
    pub(crate) fn refreshes_on_miss(&self) -> bool {
        self.inner.refresh_on_miss
    }

    /// Turns git's lazy fetch of missing objects from a partial clone's
    /// promisor remotes on or off (see [`OpenOptions::lazy_fetch`]): off
    /// where git doesn't fetch (`rev-list --missing=...`, say).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("lazy", &[("a.txt", "a\n")])?;
    /// let odb = packread::OpenOptions::new().lazy_fetch(true).open(&dir)?;
    /// odb.set_lazy_fetch(false);
    /// # Ok(()) }
    /// ```
    pub fn set_lazy_fetch(&self, on: bool) {
        self.inner.lazy_fetch.store(on, Ordering::Relaxed);
    }

    /// The promisor remotes to fetch a missing object from, if lazy
    /// fetching is on and the repository has any.
    pub(crate) fn promisors_to_fetch(&self) -> Option<&promisor::Promisors> {
        if !self.inner.lazy_fetch.load(Ordering::Relaxed) || promisor::disabled_by_environment() {
            return None;
        }
        self.promisors()
    }

    /// The repository's promisor remotes, if it has any.
    pub(crate) fn promisors(&self) -> Option<&promisor::Promisors> {
        self.inner
            .promisors
            .get_or_init(|| {
                let objects_dir = self.inner.objects_dir.as_ref()?;
                promisor::Promisors::read(objects_dir.parent()?)
            })
            .as_ref()
    }

    /// How many scans changed the set so far.
    pub(crate) fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Scans the object directories again, as git does after a lookup
    /// misses (`reprepare_packed_git`): alternates are read again, packs
    /// that appeared are opened, packs whose files are gone are no longer
    /// searched, and the lookup order is sorted again (readers restart
    /// their most-recently-used order from it). Returns what git reports
    /// about the alternates while reading them (it reports them again on
    /// every scan).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::new("refresh")?;
    /// # dir.git(&["init", "-q"])?;
    /// let odb = packread::Odb::open(&dir)?;
    /// assert_eq!(odb.packs().len(), 0);
    /// # std::fs::write(dir.join("hello.txt"), "hello\n")?;
    /// # dir.git(&["add", "hello.txt"])?;
    /// # dir.git(&["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "c"])?;
    /// # dir.git(&["gc", "-q"])?;
    /// // ... `git gc` writes a pack ...
    /// odb.refresh()?;
    /// assert_eq!(odb.packs().len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn refresh(&self) -> Result<Vec<Warning>, Error> {
        let Some(objects_dir) = &self.inner.objects_dir else {
            return Ok(Vec::new());
        };
        let (dirs, warnings) = packs::object_dirs(objects_dir, &self.inner.extra_alternates);
        let mut set = self
            .inner
            .set
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let fresh = set.rescan(
            dirs,
            warnings,
            &self.inner.manager,
            self.inner.hash,
            self.inner.use_midx,
        )?;
        let warnings = fresh.warnings.clone();
        *set = Arc::new(fresh);
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        Ok(warnings)
    }

    /// Bytes of delta bases each reader keeps by default.
    pub fn delta_base_cache_limit(&self) -> usize {
        self.inner.cache_limit
    }

    /// Counts a loose object written (see `loose_writes`).
    pub(crate) fn note_loose_write(&self) {
        self.inner.loose_writes.fetch_add(1, Ordering::AcqRel);
    }

    /// How many loose objects this database wrote.
    pub(crate) fn loose_writes(&self) -> u64 {
        self.inner.loose_writes.load(Ordering::Acquire)
    }

    /// The limit the database was opened with, if one was given.
    pub(crate) fn given_delta_base_cache_limit(&self) -> Option<usize> {
        self.inner.given_cache_limit
    }

    /// Bytes of delta bases a reader that diffs trees along history keeps
    /// by default (see [`Reader::keep_tree_bases`]): the limit the database
    /// was opened with, else
    /// [`HISTORY_DELTA_BASE_CACHE_LIMIT`](crate::pack::HISTORY_DELTA_BASE_CACHE_LIMIT),
    /// or [`SPARSE_HISTORY_DELTA_BASE_CACHE_LIMIT`](crate::pack::SPARSE_HISTORY_DELTA_BASE_CACHE_LIMIT)
    /// for a reader whose tree reads lie far apart (`sparse`).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("historylimit", &[("a.txt", "a\n")])?;
    /// use packread::pack::{
    ///     DEFAULT_DELTA_BASE_CACHE_LIMIT, HISTORY_DELTA_BASE_CACHE_LIMIT,
    ///     SPARSE_HISTORY_DELTA_BASE_CACHE_LIMIT,
    /// };
    /// let odb = packread::Repository::discover(&*dir)?.odb().clone();
    /// assert_eq!(odb.delta_base_cache_limit(), DEFAULT_DELTA_BASE_CACHE_LIMIT);
    /// assert_eq!(odb.history_delta_base_cache_limit(false), HISTORY_DELTA_BASE_CACHE_LIMIT);
    /// assert_eq!(odb.history_delta_base_cache_limit(true), SPARSE_HISTORY_DELTA_BASE_CACHE_LIMIT);
    /// let odb = packread::OpenOptions::new()
    ///     .delta_base_cache_limit(1 << 20)
    ///     .open(&*dir)?;
    /// assert_eq!(odb.history_delta_base_cache_limit(false), 1 << 20);
    /// # Ok(()) }
    /// ```
    pub fn history_delta_base_cache_limit(&self, sparse: bool) -> usize {
        self.inner.given_cache_limit.unwrap_or(if sparse {
            crate::pack::SPARSE_HISTORY_DELTA_BASE_CACHE_LIMIT
        } else {
            crate::pack::HISTORY_DELTA_BASE_CACHE_LIMIT
        })
    }

    /// The delta-base cache limit of a reader that walks commits alone (no
    /// paths to diff): the limit the database was opened with, if one was
    /// given, else [`COMMIT_WALK_DELTA_BASE_CACHE_LIMIT`](crate::pack::COMMIT_WALK_DELTA_BASE_CACHE_LIMIT).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("walklimit", &[("a.txt", "a\n")])?;
    /// use packread::pack::COMMIT_WALK_DELTA_BASE_CACHE_LIMIT;
    /// let odb = packread::Repository::discover(&*dir)?.odb().clone();
    /// assert_eq!(odb.commit_walk_delta_base_cache_limit(), COMMIT_WALK_DELTA_BASE_CACHE_LIMIT);
    /// let odb = packread::OpenOptions::new()
    ///     .delta_base_cache_limit(8 << 20)
    ///     .open(&*dir)?;
    /// assert_eq!(odb.commit_walk_delta_base_cache_limit(), 8 << 20);
    /// # Ok(()) }
    /// ```
    pub fn commit_walk_delta_base_cache_limit(&self) -> usize {
        self.inner
            .given_cache_limit
            .unwrap_or(crate::pack::COMMIT_WALK_DELTA_BASE_CACHE_LIMIT)
    }

    /// The hash the database's ids use.
    pub fn hash_kind(&self) -> HashKind {
        self.inner.hash
    }

    /// The window manager every pack and index is read through.
    pub fn manager(&self) -> &MapManager {
        &self.inner.manager
    }

    /// What was skipped when the database was last scanned (alternates,
    /// a multi-pack-index): git prints each as an `error:` line.
    pub fn warnings(&self) -> Vec<Warning> {
        self.set().warnings.clone()
    }

    /// The packs: those found when the database was opened, in git's lookup
    /// order (the repository's own first, then the alternates', each group
    /// newest first), then those [`refresh`](Self::refresh) found. A pack's
    /// [`PackId`] is its position here.
    pub fn packs(&self) -> Packs {
        Packs(self.set())
    }

    /// The ids of the packs, in the order of [`packs`](Self::packs).
    pub fn pack_ids(&self) -> impl ExactSizeIterator<Item = PackId> + use<> {
        (0..self.set().packs.len()).map(PackId::new)
    }

    /// The pack `id` names.
    ///
    /// # Panics
    /// If `id` comes from another database with more packs.
    pub fn pack(&self, id: PackId) -> Arc<Pack> {
        Arc::clone(&self.set().packs[id.index()])
    }

    /// The number of objects in the packs (loose objects are not counted), as
    /// git's `approximate_object_count`: what git sizes abbreviations by.
    pub fn approximate_object_count(&self) -> u64 {
        let set = self.set();
        // A multi-pack-index counts for the packs it covers.
        let packs: u64 = set
            .order
            .iter()
            .filter(|id| !set.covered[id.index()])
            .map(|id| u64::from(set.packs[id.index()].len()))
            .sum();
        packs
            + set
                .midxs
                .iter()
                .map(|m| u64::from(m.index.len()))
                .sum::<u64>()
    }

    /// The object directories, primary first, then alternates in git's order.
    pub fn object_dirs(&self) -> Vec<PathBuf> {
        self.set().dirs.clone()
    }

    /// Checks every entry of a pack — its CRC32, its zlib stream, its delta
    /// and its object id — and returns the entries' facts in pack order, as
    /// `git index-pack --verify` does: the delta trees are walked base first
    /// on several threads, so each entry is inflated once and each delta
    /// applied once to a base held in memory (within the options' budget).
    ///
    /// The error is the first problem a thread met; to name the first bad
    /// entry in pack order, check the entries one by one with
    /// [`Reader::verify_entry`]. The trailers are checked separately
    /// ([`Pack::verify_checksum`], [`PackIndex::verify_checksum`]).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("verify", &[("hello.txt", "hello\n")])?;
    /// # dir.git(&["gc", "-q"])?;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use packread::pack::verify::VerifyOptions;
    ///
    /// let odb = packread::Odb::open(&dir)?;
    /// let checked = AtomicU64::new(0);
    /// let pack = odb.pack_ids().next().unwrap();
    /// let entries = odb.verify_pack(pack, &VerifyOptions::new().threads(2).progress(&checked))?;
    /// assert_eq!(entries.len() as u64, checked.load(Ordering::Relaxed));
    /// # Ok(()) }
    /// ```
    ///
    /// [`PackIndex::verify_checksum`]: crate::pack::PackIndex::verify_checksum
    pub fn verify_pack(
        &self,
        pack: PackId,
        options: &VerifyOptions<'_>,
    ) -> Result<Vec<EntryInfo>, Error> {
        whole_pack::verify_entries(&self.pack(pack), options, self.inner.max_chain)
    }

    /// A reader with its own cursors and caches; cheap after the first (they
    /// are pooled). Use one per thread; a reader owns what it needs, so it
    /// can be stored or sent to another thread.
    pub fn reader(&self) -> Reader {
        let state = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let state = state.unwrap_or_else(|| {
            // The scan's number first: a scan in between is caught up with.
            let generation = self.generation();
            ReaderState::new(
                self.set(),
                generation,
                self.inner.cache_limit,
                self.inner.max_chain,
            )
        });
        Reader::new(self.clone(), state)
    }

    /// Gives a reader's state back to the pool.
    fn give_back(&self, state: ReaderState) {
        self.inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(state);
    }

    /// Whether the database has the object.
    ///
    /// A convenience: [`Reader::contains`] on a pooled reader.
    pub fn contains(&self, id: &ObjectId) -> Result<bool, Error> {
        self.reader().contains(id)
    }

    /// Reads an object; [`Error::NotFound`] if there is none with this id.
    ///
    /// A convenience: [`Reader::read`] on a pooled reader.
    pub fn read(&self, id: &ObjectId) -> Result<Object, Error> {
        self.reader().read(id)
    }

    /// Reads an object; `None` if there is none with this id.
    ///
    /// A convenience: [`Reader::try_read`] on a pooled reader.
    pub fn try_read(&self, id: &ObjectId) -> Result<Option<Object>, Error> {
        self.reader().try_read(id)
    }

    /// The object as a [`Read`](std::io::Read)er (see [`Reader::stream`]).
    ///
    /// A convenience: [`Reader::stream`] on a pooled reader.
    pub fn stream(&self, id: &ObjectId) -> Result<ObjectStream, Error> {
        self.reader().stream(id)
    }

    /// Reads an object into `out` (replacing its content), reusing its allocation.
    ///
    /// A convenience: [`Reader::read_into`] on a pooled reader.
    pub fn read_into(&self, id: &ObjectId, out: &mut Vec<u8>) -> Result<ObjectKind, Error> {
        self.reader().read_into(id, out)
    }

    /// An object's kind and size, without inflating more than git would.
    ///
    /// A convenience: [`Reader::header`] on a pooled reader.
    pub fn header(&self, id: &ObjectId) -> Result<Header, Error> {
        self.reader().header(id)
    }

    /// An object's kind and size; `None` if there is no such object.
    ///
    /// A convenience: [`Reader::try_header`] on a pooled reader.
    pub fn try_header(&self, id: &ObjectId) -> Result<Option<Header>, Error> {
        self.reader().try_header(id)
    }

    /// Everything known about where and how an object is stored (see
    /// [`Reader::info`]).
    ///
    /// A convenience: [`Reader::info`] on a pooled reader.
    pub fn info(&self, id: &ObjectId) -> Result<ObjectInfo, Error> {
        self.reader().info(id)
    }

    /// The object that `hex` (a full or abbreviated id) names.
    ///
    /// A convenience: [`Reader::resolve_prefix`] on a pooled reader.
    pub fn resolve_prefix(&self, hex: &str) -> Result<ObjectId, Error> {
        self.reader().resolve_prefix(hex)
    }

    /// Where the object is stored, in lookup order.
    ///
    /// A convenience: [`Reader::locate`] on a pooled reader.
    pub fn locate(&self, id: &ObjectId) -> Result<Option<Location>, Error> {
        self.reader().locate(id)
    }
}

impl std::fmt::Debug for Odb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Odb")
            .field("hash", &self.inner.hash)
            .field("dirs", &self.set().dirs)
            .field("packs", &self.set().packs.len())
            .field("manager", &self.inner.manager)
            .finish_non_exhaustive()
    }
}
