//! What the object database reports and goes on from: the problems git
//! prints as `error:` lines without stopping.

use std::fmt;
use std::io::Read;
use std::path::PathBuf;

use crate::error::{Corruption, Error};
use crate::pack::MidxProblem;

/// A problem met while finding the object directories and packs, or while
/// looking up an object, that leaves the rest of the database usable: git
/// prints each as an `error:` line and goes on. Returned by
/// [`Odb::warnings`](crate::Odb::warnings),
/// [`Odb::refresh`](crate::Odb::refresh) and
/// [`Reader::take_refresh_warnings`](crate::Reader::take_refresh_warnings).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::new("warning")?;
/// # dir.git(&["init", "-q"])?;
/// use packread::Warning;
///
/// let missing = dir.join("nowhere");
/// std::fs::write(dir.join(".git/objects/info/alternates"), format!("{}\n", missing.display()))?;
/// let odb = packread::Odb::open(&dir)?;
/// assert!(matches!(&odb.warnings()[..], [Warning::MissingAlternate { .. }]));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Warning {
    /// Alternates of alternates more than five levels deep: those of this
    /// object directory are not read.
    AlternatesTooDeep {
        /// The object directory whose alternates are skipped.
        objects_dir: PathBuf,
    },
    /// An alternate whose parent directory doesn't exist, so that its path
    /// can't be made absolute.
    UnresolvableAlternate {
        /// The alternate as listed.
        path: PathBuf,
    },
    /// An alternate that is not a directory.
    MissingAlternate {
        /// The alternate, made absolute.
        path: PathBuf,
    },
    /// A multi-pack-index that is not used (the packs are read instead).
    MultiPackIndexIgnored {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: MidxProblem,
    },
    /// A pack index git can't load (reported at each lookup that reaches
    /// it): its pack is not used.
    BadIndex {
        /// The index file.
        index: PathBuf,
        /// What is wrong with it.
        problem: IndexProblem,
    },
    /// A pack whose trailer doesn't match its index's copy of it: the pack
    /// is not used (reported when a lookup finds the object in its index).
    PackMismatchesIndex {
        /// The pack file.
        pack: PathBuf,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::AlternatesTooDeep { objects_dir } => write!(
                f,
                "alternates of '{}' not read: nested too deep",
                objects_dir.display()
            ),
            Warning::UnresolvableAlternate { path } => {
                write!(f, "alternate '{}' can't be resolved", path.display())
            }
            Warning::MissingAlternate { path } => {
                write!(f, "alternate '{}' is not a directory", path.display())
            }
            Warning::MultiPackIndexIgnored { path, problem } => {
                write!(f, "'{}' not used: {problem}", path.display())
            }
            Warning::BadIndex { index, problem } => {
                write!(f, "'{}' not used: {problem}", index.display())
            }
            Warning::PackMismatchesIndex { pack } => {
                write!(f, "'{}' does not match its index", pack.display())
            }
        }
    }
}

/// Why git can't load a pack index (its `load_idx` checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IndexProblem {
    /// Shorter than a fan-out table and two checksums.
    TooSmall,
    /// A version other than 1 or 2.
    UnsupportedVersion(u32),
    /// The fan-out table decreases.
    NonMonotonic,
    /// A size that doesn't fit the object count (an index of another hash
    /// kind has one); the version read.
    WrongSize {
        /// 1 or 2.
        version: u8,
    },
}

impl IndexProblem {
    /// What git's `load_idx` refuses in the index that `err` (from
    /// opening it) is about; `None` for an error of another kind.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::new("index-problem")?;
    /// use packread::{IndexProblem, pack::PackIndex};
    ///
    /// let idx = dir.join("short.idx");
    /// std::fs::write(&idx, b"\xfftOc\0\0\0\x02")?;
    /// let manager = packread::OpenOptions::new().make_manager()?;
    /// let err = PackIndex::open(&idx, &manager, packread::HashKind::Sha1).unwrap_err();
    /// assert_eq!(IndexProblem::of(&err), Some(IndexProblem::TooSmall));
    /// # Ok(()) }
    /// ```
    pub fn of(err: &Error) -> Option<IndexProblem> {
        let Error::Corrupt { path, reason, .. } = err else {
            return None;
        };
        Some(match reason {
            Corruption::TooSmall => IndexProblem::TooSmall,
            Corruption::UnsupportedVersion(v) => IndexProblem::UnsupportedVersion(*v),
            Corruption::NonMonotonicFanout => IndexProblem::NonMonotonic,
            Corruption::WrongIndexSize { .. } => {
                // Version 2 starts with its magic; anything else is version 1.
                let mut magic = [0u8; 4];
                let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic));
                let version = if read.is_ok() && magic == *b"\xfftOc" {
                    2
                } else {
                    1
                };
                IndexProblem::WrongSize { version }
            }
            _ => return None,
        })
    }
}

impl fmt::Display for IndexProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexProblem::TooSmall => f.write_str("file too small"),
            IndexProblem::UnsupportedVersion(v) => write!(f, "version {v} is not supported"),
            IndexProblem::NonMonotonic => f.write_str("non-monotonic fan-out table"),
            IndexProblem::WrongSize { version } => {
                write!(f, "wrong size for a version {version} index")
            }
        }
    }
}
