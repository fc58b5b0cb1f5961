//! A repository: its object database and its refs, and revisions resolved
//! against both; and git's setup, which finds the repository of a command.

mod setup;

pub use setup::Setup;

use std::path::{Path, PathBuf};

use std::sync::{Arc, OnceLock};

use crate::error::Error;
use crate::git_dir::shallow::Shallow;
use crate::git_dir::{self, common_dir};
use crate::graph::{CommitGraph, GraphProblem};
use crate::object::ObjectId;
use crate::odb::{Odb, OpenOptions};
use crate::refs::RefStore;
use crate::revision::{self, Revision};

/// A repository opened as git opens one: its objects (with alternates) and
/// its refs. Share it between threads by reference; each call reads with a
/// reader of its own.
///
/// ```no_run
/// use packread::Repository;
/// let repo = Repository::discover(".")?;
/// let tree = repo.rev_parse("HEAD^{tree}")?;
/// let readme = repo.rev_parse_with_path("HEAD:README.md")?;
/// println!("{tree} {} {:o}", readme.id, readme.path.unwrap().1);
/// # Ok::<(), packread::Error>(())
/// ```
#[derive(Debug)]
pub struct Repository {
    git_dir: PathBuf,
    odb: Odb,
    refs: RefStore,
    /// The commit-graph, loaded on first use.
    graph: OnceLock<(Option<Arc<CommitGraph>>, Vec<GraphProblem>)>,
    /// The shallow commits, read on first use.
    shallow: OnceLock<Arc<Shallow>>,
}

impl Repository {
    /// The repository `path` belongs to: `path` itself if it is a git
    /// directory, else the `.git` (directory or file) of `path` or of the
    /// nearest directory above it.
    pub fn discover(path: impl AsRef<Path>) -> Result<Repository, Error> {
        Repository::discover_with(path, &OpenOptions::new())
    }

    /// As [`discover`](Self::discover), the objects opened with `options`
    /// (window size, memory and handle limits...).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("discover-with", &[("a.txt", "a\n")])?;
    /// use packread::{OpenOptions, Repository};
    /// let options = OpenOptions::new().window_size(64 << 10).max_memory(1 << 20);
    /// let repo = Repository::discover_with(&*dir, &options)?;
    /// assert_eq!(repo.odb().manager().window_size(), 64 << 10);
    /// # Ok(()) }
    /// ```
    pub fn discover_with(
        path: impl AsRef<Path>,
        options: &OpenOptions,
    ) -> Result<Repository, Error> {
        let path = path.as_ref();
        let git_dir =
            git_dir::find_git_dir(path).ok_or_else(|| Error::NotARepository(path.to_owned()))?;
        Repository::open_git_dir(&git_dir, options)
    }

    /// The repository whose git directory is `git_dir` (as `GIT_DIR` names
    /// one; a `.git` file is followed), its objects opened with `options`.
    pub fn open_git_dir(git_dir: &Path, options: &OpenOptions) -> Result<Repository, Error> {
        let git_dir = git_dir::resolve_git_dir(git_dir)?;
        let odb = options.open_git_dir(&git_dir)?;
        let refs = RefStore::open(&git_dir)?;
        Ok(Repository {
            git_dir,
            odb,
            refs,
            graph: OnceLock::new(),
            shallow: OnceLock::new(),
        })
    }

    /// The git directory.
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// The commit-graph git would use (loaded on the first call), and what
    /// git would report while loading it: `None` where there is none, where
    /// none is usable, and where git reads none (`core.commitGraph=false`,
    /// shallow repositories, grafts).
    pub fn commit_graph(&self) -> (Option<Arc<CommitGraph>>, &[GraphProblem]) {
        let (graph, problems) = self.graph.get_or_init(|| {
            let (graph, problems) = CommitGraph::load(&self.odb, &self.git_dir);
            (graph.map(Arc::new), problems)
        });
        (graph.clone(), problems)
    }

    /// The commits git takes for parentless in a shallow repository (its
    /// `shallow` file, read once): what walks, merge bases and `~`/`^`
    /// revisions go by. Empty unless the repository is shallow.
    ///
    /// # Errors
    /// [`Error::BadShallowLine`] (git dies on it), or the file's read error.
    pub fn shallow(&self) -> Result<Arc<Shallow>, Error> {
        if let Some(shallow) = self.shallow.get() {
            return Ok(Arc::clone(shallow));
        }
        let shallow = Arc::new(Shallow::load(
            &common_dir(&self.git_dir),
            self.odb.hash_kind(),
        )?);
        Ok(Arc::clone(self.shallow.get_or_init(|| shallow)))
    }

    /// The object database.
    pub fn odb(&self) -> &Odb {
        &self.odb
    }

    /// The refs.
    pub fn refs(&self) -> &RefStore {
        &self.refs
    }

    /// The object `spec` names, as `git rev-parse --verify` resolves it:
    /// `HEAD`, `main~2`, `v1.0^{tree}`, `HEAD:src/lib.rs`, `a1b2c3`, ... An
    /// abbreviation several objects share is [`Error::Ambiguous`]; a name
    /// that leads nowhere is [`Error::Revision`].
    pub fn rev_parse(&self, spec: &str) -> Result<ObjectId, Error> {
        self.rev_parse_with_path(spec).map(|r| r.id)
    }

    /// Like [`rev_parse`](Self::rev_parse), with the path and mode of a
    /// `<rev>:<path>` answer and git's warnings.
    pub fn rev_parse_with_path(&self, spec: &str) -> Result<Revision, Error> {
        let mut reader = self.odb.reader();
        revision::resolve(&mut reader, &self.refs, spec)
    }
}
