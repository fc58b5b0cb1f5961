//! [`OpenOptions`]: how a database is opened (windows, limits, caches, hash).

use std::path::{Path, PathBuf};

use smmap::{MapManager, SlidingWindowMapManager, StaticWindowMapManager};

use crate::error::Error;
use crate::git_dir;
use crate::object::HashKind;
use crate::odb::{Odb, alternates, packs};
use crate::pack::{DEFAULT_DELTA_BASE_CACHE_LIMIT, DEFAULT_MAX_DELTA_CHAIN, Pack};

/// How to open a database: window size and limits of the window manager,
/// the delta-base cache, the hash.
///
/// Unset values take smmap's defaults (1 GiB windows and a memory limit of
/// 8 GiB on 64-bit systems, no handle limit), git's 96 MiB delta-base cache
/// per reader, and the repository's own hash.
///
/// ```no_run
/// # fn main() -> Result<(), packread::Error> {
/// let odb = packread::OpenOptions::new()
///     .window_size(1 << 20)   // 1 MiB windows
///     .max_memory(64 << 20)   // at most 64 MiB mapped (windows in use excepted)
///     .max_handles(256)       // at most 256 windows mapped
///     .delta_base_cache_limit(32 << 20)
///     .open("path/to/repo")?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions {
    window_size: Option<usize>,
    max_memory: Option<usize>,
    max_handles: Option<usize>,
    static_windows: bool,
    manager: Option<MapManager>,
    delta_base_cache_limit: Option<usize>,
    max_delta_chain: usize,
    hash: Option<HashKind>,
    objects_dir: Option<PathBuf>,
    alternates: Vec<PathBuf>,
    refresh_on_miss: bool,
    lazy_fetch: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            window_size: None,
            max_memory: None,
            max_handles: None,
            static_windows: false,
            manager: None,
            delta_base_cache_limit: None,
            max_delta_chain: DEFAULT_MAX_DELTA_CHAIN,
            hash: None,
            objects_dir: None,
            alternates: Vec::new(),
            refresh_on_miss: true,
            lazy_fetch: false,
        }
    }
}

impl OpenOptions {
    /// Defaults: smmap's sliding manager with its default limits, a 96 MiB
    /// delta-base cache per reader (git's default), and the repository's hash.
    pub fn new() -> Self {
        Self::default()
    }

    /// The size of the sliding windows in bytes (at least 1; rounded up to the
    /// page size by smmap). Unset: smmap's default, 1 GiB on 64-bit systems.
    #[must_use]
    pub fn window_size(mut self, bytes: usize) -> Self {
        self.window_size = Some(bytes);
        self
    }

    /// The soft limit on mapped memory in bytes (at least 1): idle windows
    /// are unloaded, least recently used first, to stay below it. Unset:
    /// smmap's default.
    #[must_use]
    pub fn max_memory(mut self, bytes: usize) -> Self {
        self.max_memory = Some(bytes);
        self
    }

    /// The limit on mapped windows, i.e. open handles (at least 1). Unset:
    /// no limit.
    #[must_use]
    pub fn max_handles(mut self, n: usize) -> Self {
        self.max_handles = Some(n);
        self
    }

    /// Map whole files instead of sliding windows (for comparison).
    #[must_use]
    pub fn static_windows(mut self, yes: bool) -> Self {
        self.static_windows = yes;
        self
    }

    /// Use this manager (and its limits) instead of making one, e.g. one
    /// manager shared by many databases. The window options are then unused.
    #[must_use]
    pub fn manager(mut self, manager: MapManager) -> Self {
        self.manager = Some(manager);
        self
    }

    /// Bytes of delta bases each reader keeps (a quarter of them as
    /// deltas kept inflated, for chains made again); 0 turns the cache
    /// off. Without it, 96 MiB ([`DEFAULT_DELTA_BASE_CACHE_LIMIT`]), and
    /// less for readers that diff trees along history (see
    /// [`Reader::keep_tree_bases`](crate::Reader::keep_tree_bases)).
    #[must_use]
    pub fn delta_base_cache_limit(mut self, bytes: usize) -> Self {
        self.delta_base_cache_limit = Some(bytes);
        self
    }

    /// The longest delta chain followed before the pack is called corrupt
    /// (at least 1; git writes at most 4,095).
    #[must_use]
    pub fn max_delta_chain(mut self, n: usize) -> Self {
        self.max_delta_chain = n;
        self
    }

    /// The hash of the ids, for object directories without a repository
    /// config (and to override the config).
    #[must_use]
    pub fn hash(mut self, hash: HashKind) -> Self {
        self.hash = Some(hash);
        self
    }

    /// Read objects from this directory instead of the repository's
    /// `objects` (git's `GIT_OBJECT_DIRECTORY`).
    #[must_use]
    pub fn objects_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.objects_dir = Some(dir.into());
        self
    }

    /// More object directories to search, before those the objects
    /// directory's `info/alternates` lists (git's
    /// `GIT_ALTERNATE_OBJECT_DIRECTORIES`, see [`alternates_list`](Self::alternates_list)).
    #[must_use]
    pub fn alternates(mut self, dirs: impl IntoIterator<Item = PathBuf>) -> Self {
        self.alternates = dirs.into_iter().collect();
        self
    }

    /// [`alternates`](Self::alternates) from a list as git's
    /// `GIT_ALTERNATE_OBJECT_DIRECTORIES` gives it: `:` separated (`;` on
    /// Windows), each possibly C-quoted, as git splits it.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("alt-list", &[("a.txt", "one\n")])?;
    /// # let other = packread::doctest::Scratch::committed("alt-other", &[("b.txt", "two\n")])?;
    /// let list = format!("{}:/nowhere", other.join(".git/objects").display());
    /// let odb = packread::OpenOptions::new().alternates_list(&list).open(&dir)?;
    /// assert_eq!(odb.object_dirs().len(), 2); // its own and `other`'s
    /// assert_eq!(odb.warnings().len(), 1); // `/nowhere` does not exist
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn alternates_list(self, list: &str) -> Self {
        self.alternates(alternates::split_env(list))
    }

    /// Whether a lookup that finds nothing scans the object directories
    /// again and looks once more, as git does (on by default: packs that
    /// appear while the database is open, after a `git gc` or a fetch, are
    /// found). Turn it off where many lookups miss and no pack appears:
    /// [`Odb::refresh`] still picks up new packs when called.
    #[must_use]
    pub fn refresh_on_miss(mut self, yes: bool) -> Self {
        self.refresh_on_miss = yes;
        self
    }

    /// Whether an object a partial clone lacks is fetched from its promisor
    /// remotes when a lookup misses it, as git does (a child `git fetch`
    /// for the object, then a rescan); off by default in the library, on
    /// in the CLI as in git. `GIT_NO_LAZY_FETCH` turns it off either way.
    /// Can be changed later with [`Odb::set_lazy_fetch`](crate::Odb::set_lazy_fetch).
    ///
    /// ```
    /// let options = packread::OpenOptions::new().lazy_fetch(true);
    /// ```
    #[must_use]
    pub fn lazy_fetch(mut self, yes: bool) -> Self {
        self.lazy_fetch = yes;
        self
    }

    pub(crate) fn fetches_lazily(&self) -> bool {
        self.lazy_fetch
    }

    pub(crate) fn refreshes_on_miss(&self) -> bool {
        self.refresh_on_miss
    }

    pub(crate) fn cache_limit(&self) -> usize {
        self.delta_base_cache_limit
            .unwrap_or(DEFAULT_DELTA_BASE_CACHE_LIMIT)
    }

    /// The limit given, if one was.
    pub(crate) fn given_cache_limit(&self) -> Option<usize> {
        self.delta_base_cache_limit
    }

    pub(crate) fn chain_limit(&self) -> usize {
        self.max_delta_chain
    }

    /// Refuses values that can't be used.
    fn check(&self) -> Result<(), Error> {
        let zero = |name: &str, v: Option<usize>| match v {
            Some(0) => Err(Error::InvalidOption(format!("{name} must be at least 1"))),
            _ => Ok(()),
        };
        zero("the window size", self.window_size)?;
        zero("the memory limit", self.max_memory)?;
        zero("the handle limit", self.max_handles)?;
        zero("the delta chain limit", Some(self.max_delta_chain))
    }

    /// The window manager these options describe (the one given to
    /// [`manager`](Self::manager), or a new one with the limits set here):
    /// for reading pack files without opening a database, as
    /// [`index_pack`](crate::pack::verify::index_pack) does.
    ///
    /// ```
    /// let m = packread::OpenOptions::new().max_handles(3).make_manager()?;
    /// assert_eq!(m.max_file_handles(), 3);
    /// # Ok::<(), packread::Error>(())
    /// ```
    pub fn make_manager(&self) -> Result<MapManager, Error> {
        self.check()?;
        if let Some(m) = &self.manager {
            return Ok(m.clone());
        }
        // smmap's constructors take 0 for "the default".
        let memory = self.max_memory.unwrap_or(0);
        let handles = self.max_handles.unwrap_or(0);
        Ok(if self.static_windows {
            StaticWindowMapManager::with_limits(0, memory, handles).into()
        } else {
            let window = self.window_size.unwrap_or(0);
            SlidingWindowMapManager::with_limits(window, memory, handles).into()
        })
    }

    /// Opens the database of `path`: a work tree (searched upwards for its
    /// repository, as git does), a `.git` directory (bare repository) or an
    /// `objects` directory.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Odb, Error> {
        self.open_found(&git_dir::discover(path.as_ref())?)
    }

    /// Opens the database of the git directory `git_dir` (or of the one a
    /// `.git` file there points to), as git's `--git-dir` and `GIT_DIR`
    /// name it: no search, and a work tree is not a git directory.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::new("gitdir")?;
    /// # dir.git(&["init", "-q"])?;
    /// let opts = packread::OpenOptions::new();
    /// assert!(opts.open_git_dir(dir.join(".git")).is_ok());
    /// assert!(matches!(opts.open_git_dir(&dir), Err(packread::Error::NotARepository(_))));
    /// # Ok(()) }
    /// ```
    pub fn open_git_dir(&self, git_dir: impl AsRef<Path>) -> Result<Odb, Error> {
        self.open_found(&git_dir::at_git_dir(git_dir.as_ref())?)
    }

    fn open_found(&self, found: &git_dir::Found) -> Result<Odb, Error> {
        let manager = self.make_manager()?;
        let hash = self.hash.unwrap_or(found.hash);
        let objects_dir = self.objects_dir.as_ref().unwrap_or(&found.objects_dir);
        let (dirs, warnings) = packs::object_dirs(objects_dir, &self.alternates);
        let set = packs::PackSet::open(dirs, warnings, &manager, hash, found.multi_pack_index)?;
        let roots = (
            Some(objects_dir.clone()),
            self.alternates.clone(),
            found.multi_pack_index,
        );
        Ok(Odb::assemble(manager, hash, set, roots, self))
    }

    /// Opens a single pack by its `.idx` or `.pack` path, as a database of
    /// that pack alone (no loose objects).
    pub fn open_pack(&self, path: impl AsRef<Path>) -> Result<Odb, Error> {
        let manager = self.make_manager()?;
        let idx = path.as_ref().with_extension("idx");
        let hash = self.hash.unwrap_or_default();
        let pack = Pack::open(&idx, &manager, hash)?;
        let set = packs::PackSet::of_one(pack);
        // A rescan of a lone pack's database finds nothing more.
        let roots = (None, Vec::new(), false);
        Ok(Odb::assemble(manager, hash, set, roots, self))
    }
}
