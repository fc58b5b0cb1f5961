//! What the object database reports and goes on from: the problems git
//! prints as `error:` lines without stopping.

use std::fmt;
use std::path::PathBuf;

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
    /// A pack index whose fan-out table decreases: its pack is not used.
    BadIndex {
        /// The index file.
        index: PathBuf,
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
            Warning::BadIndex { index } => {
                write!(f, "'{}' has a non-monotonic fan-out table", index.display())
            }
            Warning::PackMismatchesIndex { pack } => {
                write!(f, "'{}' does not match its index", pack.display())
            }
        }
    }
}
