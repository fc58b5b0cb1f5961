//! The crate's error type: every failure names the file and the offset.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::object::tree::TreeError;
use crate::object::{ObjectId, ObjectKind, Prefix, Sha1Collision};

/// What exactly is wrong with a corrupt file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Corruption {
    /// The file is shorter than its format requires.
    TooSmall,
    /// The pack does not start with `PACK`.
    BadPackSignature,
    /// A pack version other than 2 or 3, or an index version other than 1 or 2.
    UnsupportedVersion(u32),
    /// The index's size doesn't match its object count.
    WrongIndexSize {
        /// Objects in the fan-out table.
        objects: u32,
    },
    /// The fan-out table decreases.
    NonMonotonicFanout,
    /// Pack and index disagree on the number of objects.
    ObjectCountMismatch {
        /// Objects according to the pack header.
        pack: u32,
        /// Objects according to the index.
        index: u32,
    },
    /// An entry header runs past the end of the pack data or overflows.
    BadObjectHeader,
    /// Entry type 0 or 5.
    BadObjectType(u8),
    /// An `OFS_DELTA` base offset that is 0, overflows or lies outside the pack.
    BadDeltaBaseOffset,
    /// An index entry's offset lies outside the pack data.
    OffsetOutOfRange(u64),
    /// An index entry points into the 64-bit offset table beyond its end.
    BadLargeOffsetIndex(u32),
    /// The zlib stream is invalid.
    Inflate(String),
    /// The zlib stream ends before the end of the file.
    TruncatedStream,
    /// The inflated size differs from the size the header announced.
    SizeMismatch {
        /// Size from the header.
        expected: u64,
        /// Size that came out (at least).
        actual: u64,
    },
    /// A delta is invalid, as git's `patch_delta` would find.
    BadDelta(&'static str),
    /// A `REF_DELTA` base is not in the pack.
    MissingDeltaBase(ObjectId),
    /// A chain of deltas that leads back to itself.
    DeltaCycle,
    /// A delta chain longer than the configured limit.
    DeltaChainTooLong(usize),
    /// An object larger than this process can hold.
    ObjectTooLarge(u64),
    /// The file ends inside an entry, or before the pack's trailer.
    UnexpectedEnd,
    /// Bytes after the pack's trailer.
    TrailingData,
    /// Deltas whose base is no entry of the pack (`REF_DELTA` bases
    /// elsewhere, `OFS_DELTA` offsets between entries, cycles).
    UnresolvedDeltas(u32),
    /// A loose object whose header is not `<type> <size>\0`.
    BadLooseHeader,
    /// A loose object of a type git doesn't know (`<name> <size>\0`).
    UnknownObjectType {
        /// The type's name, as written.
        name: String,
        /// The size the header announces.
        size: u64,
    },
    /// A loose object with bytes after its zlib stream.
    GarbageAfterLooseObject,
    /// A checksum over the file doesn't match the trailer.
    ChecksumMismatch {
        /// The trailer's value.
        expected: ObjectId,
        /// The computed value.
        actual: ObjectId,
    },
    /// The index's copy of the pack checksum differs from the pack's trailer.
    PackChecksumMismatch,
    /// An entry's CRC32 differs from the index's.
    CrcMismatch {
        /// The index's value.
        expected: u32,
        /// The computed value.
        actual: u32,
    },
    /// An object's bytes hash to another id than its name.
    HashMismatch {
        /// The name it is stored under.
        expected: ObjectId,
        /// The hash of its content.
        actual: ObjectId,
    },
    /// SHA-1 collision detection (git's SHA-1DC) found the hashed bytes to
    /// be part of a collision attack; the digest names two contents.
    Sha1Collision(ObjectId),
    /// A loose ref whose content is neither `ref: <name>` nor an id
    /// (git: `ignoring broken ref`), or a symbolic ref to a name git refuses.
    BadRef(&'static str),
    /// A `packed-refs` line git can't read (git: `unexpected line in
    /// packed-refs`); the offset is the line's.
    BadPackedRefsLine,
}

impl From<Sha1Collision> for Corruption {
    fn from(c: Sha1Collision) -> Self {
        Corruption::Sha1Collision(c.digest())
    }
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Corruption::TooSmall => f.write_str("file too small"),
            Corruption::BadPackSignature => f.write_str("bad pack signature"),
            Corruption::UnsupportedVersion(v) => write!(f, "version {v} is not supported"),
            Corruption::WrongIndexSize { objects } => {
                write!(f, "wrong index file size for {objects} objects")
            }
            Corruption::NonMonotonicFanout => f.write_str("non-monotonic index fan-out table"),
            Corruption::ObjectCountMismatch { pack, index } => {
                write!(f, "pack has {pack} objects but its index {index}")
            }
            Corruption::BadObjectHeader => f.write_str("bad object header"),
            Corruption::BadObjectType(t) => write!(f, "bad object type {t}"),
            Corruption::BadDeltaBaseOffset => f.write_str("delta base offset is out of bound"),
            Corruption::OffsetOutOfRange(o) => write!(f, "object offset {o} lies outside the pack"),
            Corruption::BadLargeOffsetIndex(i) => {
                write!(f, "64-bit offset index {i} is out of range")
            }
            Corruption::Inflate(msg) => write!(f, "inflate failed: {msg}"),
            Corruption::TruncatedStream => f.write_str("zlib stream is truncated"),
            Corruption::SizeMismatch { expected, actual } => {
                write!(
                    f,
                    "inflated size {actual} differs from the header's {expected}"
                )
            }
            Corruption::BadDelta(why) => write!(f, "bad delta: {why}"),
            Corruption::MissingDeltaBase(id) => write!(f, "delta base {id} is not in the pack"),
            Corruption::DeltaCycle => f.write_str("delta chain forms a cycle"),
            Corruption::DeltaChainTooLong(n) => write!(f, "delta chain longer than {n}"),
            Corruption::ObjectTooLarge(n) => {
                write!(f, "object of {n} bytes is too large for this process")
            }
            Corruption::UnexpectedEnd => f.write_str("file ends early"),
            Corruption::TrailingData => f.write_str("junk after the pack's trailer"),
            Corruption::UnresolvedDeltas(n) => write!(f, "{n} deltas have no base in the pack"),
            Corruption::BadLooseHeader => f.write_str("bad loose object header"),
            Corruption::UnknownObjectType { name, .. } => {
                write!(f, "invalid object type \"{name}\"")
            }
            Corruption::GarbageAfterLooseObject => f.write_str("garbage at end of loose object"),
            Corruption::ChecksumMismatch { expected, actual } => {
                write!(
                    f,
                    "checksum mismatch: trailer says {expected}, content hashes to {actual}"
                )
            }
            Corruption::PackChecksumMismatch => {
                f.write_str("index's pack checksum differs from the pack's trailer")
            }
            Corruption::CrcMismatch { expected, actual } => {
                write!(
                    f,
                    "CRC32 {actual:08x} differs from the index's {expected:08x}"
                )
            }
            Corruption::HashMismatch { expected, actual } => {
                write!(f, "object {expected} hashes to {actual}")
            }
            Corruption::Sha1Collision(id) => {
                write!(f, "SHA-1 appears to be part of a collision attack: {id}")
            }
            Corruption::BadRef(why) => write!(f, "broken ref: {why}"),
            Corruption::BadPackedRefsLine => f.write_str("unexpected line in packed-refs"),
        }
    }
}

/// Everything that can go wrong reading an object database. Every failure
/// to read a file names the file (and, for corruption, the offset).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = std::env::temp_dir().join(format!("packread-doc-error-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::process::Command::new("git").args(["init", "-q"]).current_dir(&dir).output()?;
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
/// # std::fs::remove_dir_all(&dir)?;
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
        /// What git reports first (as `error:` lines).
        errors: Vec<String>,
        /// What git dies with.
        fatal: String,
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
        warnings: Vec<String>,
    },
}

/// Why a revision names no object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevisionProblem {
    /// No ref, id or abbreviation by that name, or a suffix that leads
    /// nowhere (`HEAD^3` of a commit with one parent, `blob^{tree}`).
    Unknown,
    /// `<rev>:<path>` where the tree has no such path.
    PathNotInTree {
        /// The path, as looked up.
        path: String,
        /// The revision whose tree was searched.
        rev: String,
    },
    /// A `./` or `../` path that climbs out of the repository.
    PathOutsideRepository(String),
    /// A `./` or `../` path where there is no work tree to start from (a
    /// bare repository, or standing in the git directory): git refuses it.
    /// This crate reads such paths from the top, so only callers that know
    /// where they stand return this.
    RelativePathWithoutWorkTree,
    /// A form that needs what this crate doesn't read (reflogs, the index,
    /// upstream configuration, message search).
    Unsupported(&'static str),
}

impl Error {
    /// Whether the error means "no such object" (as opposed to a failure).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_) | Error::PrefixNotFound(_))
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
            Error::PrefixNotFound(p) => write!(f, "no object starts with {p}"),
            Error::Ambiguous(p) => write!(f, "short object ID {p} is ambiguous"),
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
            Error::InvalidPath(path) => write!(f, "invalid path '{path}'"),
            Error::MultiPackIndex { path, fatal, .. } => {
                write!(f, "'{}': {fatal}", path.display())
            }
            Error::Revision { name, problem, .. } => match problem {
                RevisionProblem::Unknown => write!(f, "unknown revision '{name}'"),
                RevisionProblem::PathNotInTree { path, rev } => {
                    write!(f, "path '{path}' does not exist in '{rev}'")
                }
                RevisionProblem::PathOutsideRepository(path) => {
                    write!(f, "'{path}' is outside repository")
                }
                RevisionProblem::RelativePathWithoutWorkTree => {
                    f.write_str("relative path syntax can't be used outside working tree")
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
            _ => None,
        }
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
