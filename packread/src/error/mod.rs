//! The crate's error type: every failure names the file and the offset.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::object::tree::TreeError;
use crate::object::{ObjectId, ObjectKind, Prefix};

mod corruption;
mod midx;
mod revision;

pub use corruption::{Corruption, DeltaError, RefProblem, StreamError};
pub use midx::{MidxChunk, MidxProblem};
pub use revision::{RevisionProblem, RevisionWarning};

/// Everything that can go wrong reading an object database. Every failure
/// to read a file names the file (and, for corruption, the offset).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::new("error")?;
/// # dir.git(&["init", "-q"])?;
/// use packread::{Error, ObjectId};
///
/// let odb = packread::Odb::open(&dir)?;
/// let id = ObjectId::from_hex("ce013625030ba8dba906f756967f9e9ca394464a").unwrap();
/// match odb.read(&id) {
///     Err(Error::NotFound(missing)) => assert_eq!(missing, id),
///     other => panic!("{other:?}"),
/// }
/// assert!(matches!(odb.resolve_prefix("zz"), Err(Error::InvalidName(_))));
/// let err = packread::OpenOptions::new().window_size(0).open(&dir).unwrap_err();
/// assert_eq!(err.to_string(), "invalid option: the window size must be at least 1");
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A file or directory could not be written (see
    /// [`export`](crate::export)); an existing file is never replaced, so
    /// one in the way gives an [`AlreadyExists`](io::ErrorKind::AlreadyExists)
    /// source.
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The window manager could not map a window of a file.
    Map(smmap::Error),
    /// A file is corrupt.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The offset in the file where the problem lies.
        offset: u64,
        /// What is wrong.
        reason: Corruption,
    },
    /// No object has this id.
    NotFound(ObjectId),
    /// An object a partial clone's promisor pack refers to, missing, that
    /// no promisor remote could be fetched from (git's `could not fetch
    /// <id> from promisor remote`).
    PromisorFetchFailed(ObjectId),
    /// No object starts with this prefix.
    PrefixNotFound(Prefix),
    /// More than one object starts with this prefix.
    Ambiguous(Prefix),
    /// A name that is neither a full id nor a hex prefix of one.
    InvalidName(String),
    /// The path is not a repository, a `.git` directory or an objects directory.
    NotARepository(PathBuf),
    /// An option given to [`OpenOptions`](crate::OpenOptions) that can't be
    /// used (a window size of 0, say).
    InvalidOption(String),
    /// A long operation was stopped through its interrupt flag.
    Interrupted,
    /// The multi-pack-index is broken in a way git won't read past.
    MultiPackIndex {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: MidxProblem,
    },
    /// An object is not of the kind it must be here (a tree entry with a
    /// file's mode that names a tree, a tree-ish that leads to no tree).
    UnexpectedKind {
        /// The object.
        id: ObjectId,
        /// The kind it must be.
        expected: ObjectKind,
        /// The kind it is.
        found: ObjectKind,
    },
    /// A tree's bytes that git can't read.
    MalformedTree {
        /// The tree.
        id: ObjectId,
        /// What is wrong, in git's words.
        problem: TreeError,
    },
    /// Trees nested deeper than git enters them (`core.maxTreeDepth`,
    /// 2048): the tree at that depth.
    TreeTooDeep(ObjectId),
    /// A commit whose headers git can't read (no `tree` line first, a
    /// `parent` line that is not an id).
    MalformedCommit(ObjectId),
    /// A revision walk could not parse a parent of a commit it went
    /// through (a missing or damaged object): git's `Failed to traverse
    /// parents of commit …`, or its words for the `stage`.
    WalkParent {
        /// The commit whose parent it is.
        commit: ObjectId,
        /// The parent.
        parent: ObjectId,
        /// Where the walk was.
        stage: WalkStage,
        /// What reading the parent met ([`Error::NotFound`] for a missing
        /// object).
        source: Box<Error>,
    },
    /// A commit a walk lists (a commit-graph holds it) whose object could
    /// not be read when its text was wanted: to show it, or for a filter
    /// (`--author`, `--grep`). git's `cannot read commit object …`.
    CommitText {
        /// The commit.
        commit: ObjectId,
        /// What reading it met ([`Error::NotFound`] for a missing object).
        source: Box<Error>,
    },
    /// A line of a shallow repository's `shallow` file that doesn't start
    /// with an id (as read, its newline included): git dies on it.
    BadShallowLine(String),
    /// A path in a tree that git would not write to a work tree (see
    /// [`export::verify_path`](crate::export::verify_path)).
    InvalidPath(String),
    /// The repository uses a hash or extension this crate can't read.
    Unsupported {
        /// The repository's config file.
        path: PathBuf,
        /// What is unsupported.
        what: String,
    },
    /// A revision that names no object (see
    /// [`Repository::rev_parse`](crate::Repository::rev_parse)).
    Revision {
        /// The revision as given.
        name: String,
        /// Why it names nothing.
        problem: RevisionProblem,
        /// What git warns about on the way (as in
        /// [`Revision::warnings`](crate::revision::Revision::warnings)).
        warnings: Vec<RevisionWarning>,
    },
}

impl Error {
    /// Whether the error means "no such object" (as opposed to a failure).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_) | Error::PrefixNotFound(_))
    }

    /// Whether a file of the database was deleted or replaced while it was
    /// read, as `git repack` and `git gc` do beside running readers: the
    /// object is elsewhere now. A [`Reader`](crate::Reader)'s reads by id
    /// scan the directories again and look once more by themselves; a read
    /// of a [`Location`](crate::Location) that fails so can be retried with
    /// [`Reader::relocating`](crate::Reader::relocating).
    pub fn is_file_gone(&self) -> bool {
        match self {
            Error::Io { source, .. } => source.kind() == io::ErrorKind::NotFound,
            Error::Map(e) => map_error_is_file_gone(e),
            _ => false,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn write(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Write {
            path: path.into(),
            source,
        }
    }

    #[cold]
    pub(crate) fn corrupt(path: impl Into<PathBuf>, offset: u64, reason: Corruption) -> Error {
        Error::Corrupt {
            path: path.into(),
            offset,
            reason,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => {
                write!(f, "could not read '{}': {source}", path.display())
            }
            Error::Write { path, source } => {
                write!(f, "could not write '{}': {source}", path.display())
            }
            Error::Map(err) => err.fmt(f),
            Error::Corrupt {
                path,
                offset,
                reason,
            } => {
                write!(
                    f,
                    "'{}' is corrupt at offset {offset}: {reason}",
                    path.display()
                )
            }
            Error::NotFound(id) => write!(f, "object {id} not found"),
            Error::PromisorFetchFailed(id) => {
                write!(f, "object {id} is missing and no promisor remote gave it")
            }
            Error::PrefixNotFound(p) => write!(f, "no object starts with {p}"),
            Error::Ambiguous(p) => write!(f, "more than one object starts with {p}"),
            Error::InvalidName(n) => write!(f, "'{n}' is not a hex object id or a prefix of one"),
            Error::NotARepository(p) => write!(
                f,
                "not a git repository (or objects directory): '{}'",
                p.display()
            ),
            Error::Unsupported { path, what } => write!(f, "'{}': {what}", path.display()),
            Error::InvalidOption(what) => write!(f, "invalid option: {what}"),
            Error::Interrupted => f.write_str("interrupted"),
            Error::UnexpectedKind {
                id,
                expected,
                found,
            } => write!(f, "object {id} is a {found}, not a {expected}"),
            Error::MalformedTree { id, problem } => write!(f, "tree {id}: {problem}"),
            Error::MalformedCommit(id) => write!(f, "commit {id} can't be parsed"),
            Error::WalkParent {
                commit,
                parent,
                source,
                ..
            } => write!(
                f,
                "parent {parent} of commit {commit} can't be read: {source}"
            ),
            Error::CommitText { commit, source } => {
                write!(f, "the object of commit {commit} can't be read: {source}")
            }
            Error::BadShallowLine(line) => write!(f, "bad shallow line: {line}"),
            Error::InvalidPath(path) => write!(f, "invalid path '{path}'"),
            Error::TreeTooDeep(id) => write!(f, "tree {id} lies deeper than 2048 trees"),
            Error::MultiPackIndex { path, problem } => {
                write!(f, "'{}' is unusable: {problem}", path.display())
            }
            Error::Revision { name, problem, .. } => match problem {
                RevisionProblem::Unknown => write!(f, "'{name}' names no object"),
                RevisionProblem::PathNotInTree { path, rev } => {
                    write!(f, "the tree of '{rev}' has no path '{path}'")
                }
                RevisionProblem::PathOutsideRepository(path) => {
                    write!(f, "path '{path}' leads outside the repository")
                }
                RevisionProblem::RelativePathWithoutWorkTree => {
                    write!(f, "'{name}': a './' or '../' path needs a work tree")
                }
                RevisionProblem::Unsupported(what) => {
                    write!(f, "'{name}': {what} is not supported")
                }
            },
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::Write { source, .. } => Some(source),
            Error::Map(err) => Some(err),
            Error::WalkParent { source, .. } | Error::CommitText { source, .. } => {
                Some(source.as_ref())
            }
            _ => None,
        }
    }
}

/// Where a revision walk was when it could not read a parent
/// ([`Error::WalkParent`]).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("walk-parent", &[("a.txt", "a\n")])?;
/// # dir.git(&["commit", "-q", "--allow-empty", "-m", "second"])?;
/// # dir.git(&["commit", "-q", "--allow-empty", "-m", "third"])?;
/// use packread::history::{Walk, WalkOptions};
/// use packread::{Error, WalkStage};
///
/// let repo = packread::Repository::discover(&dir)?;
/// let (second, first) = (repo.rev_parse("HEAD~")?, repo.rev_parse("HEAD~2")?);
/// let hex = first.to_hex();
/// std::fs::remove_file(dir.join(".git/objects").join(&hex[..2]).join(&hex[2..]))?;
/// let mut walk = Walk::new(&repo, WalkOptions::default());
/// walk.push(repo.rev_parse("HEAD")?, false, false)?;
/// // A commit goes out once its parents are read: the third, not the second.
/// assert_eq!(walk.next().unwrap()?.id, repo.rev_parse("HEAD")?);
/// match walk.next() {
///     Some(Err(Error::WalkParent { commit, parent, stage: WalkStage::Traverse, source })) => {
///         assert_eq!((commit, parent), (second, first));
///         assert!(matches!(*source, Error::NotFound(id) if id == first));
///     }
///     other => panic!("{other:?}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WalkStage {
    /// Going through the commits one by one (git: `Failed to traverse
    /// parents of commit <commit>`).
    Traverse,
    /// Walking the whole history before the first commit goes out, as a
    /// limited walk does (git: `revision walk setup failed`).
    Setup,
    /// Comparing the commit's trees with its parents' for paths (git:
    /// `cannot simplify commit <commit> (because of <parent>)`).
    Simplify,
}

/// Whether the window manager failed because the file was deleted or
/// replaced under it.
pub(crate) fn map_error_is_file_gone(e: &smmap::Error) -> bool {
    match e {
        smmap::Error::FileReplaced { .. } => true,
        smmap::Error::Io { source, .. } => source.kind() == io::ErrorKind::NotFound,
        _ => false,
    }
}

impl From<smmap::Error> for Error {
    fn from(err: smmap::Error) -> Self {
        Error::Map(err)
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> Self {
        let kind = match &err {
            Error::Io { source, .. } | Error::Write { source, .. } => source.kind(),
            Error::NotFound(_) | Error::PrefixNotFound(_) => io::ErrorKind::NotFound,
            Error::InvalidOption(_) => io::ErrorKind::InvalidInput,
            Error::Interrupted => io::ErrorKind::Interrupted,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, err)
    }
}
