//! Why a multi-pack-index is not used.

use std::fmt;
use std::sync::Arc;

/// A required chunk of a multi-pack-index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MidxChunk {
    /// `PNAM`: the packs' names.
    PackNames,
    /// `OIDF`: the fan-out table.
    OidFanout,
    /// `OIDL`: the sorted ids.
    OidLookup,
    /// `OOFF`: each object's pack and offset.
    ObjectOffsets,
}

impl fmt::Display for MidxChunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MidxChunk::PackNames => "pack-name (PNAM)",
            MidxChunk::OidFanout => "OID fan-out (OIDF)",
            MidxChunk::OidLookup => "OID lookup (OIDL)",
            MidxChunk::ObjectOffsets => "object offsets (OOFF)",
        })
    }
}

/// Why a multi-pack-index is not used. git reads the packs instead of one
/// that fails its first checks ([`is_fatal`](Self::is_fatal) is false: the
/// problem is a [`Warning`](crate::Warning)) and refuses to go on with one
/// that fails the others ([`Error::MultiPackIndex`](crate::Error::MultiPackIndex)).
///
/// ```
/// use packread::pack::{MidxChunk, MidxProblem};
///
/// assert!(!MidxProblem::TooSmall.is_fatal());
/// assert!(MidxProblem::MissingChunk(MidxChunk::OidFanout).is_fatal());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum MidxProblem {
    /// The file could not be read.
    Unreadable(Arc<smmap::Error>),
    /// Shorter than its header, chunk table and trailer.
    TooSmall,
    /// The first four bytes (big-endian) are not `MIDX`.
    BadSignature(u32),
    /// A version other than 1 or 2.
    UnsupportedVersion(u8),
    /// The object id version is not the repository's hash.
    HashVersionMismatch {
        /// The file's id version.
        found: u8,
        /// The repository's (1 for SHA-1, 2 for SHA-256).
        expected: u8,
    },
    /// A chunk id of 0 before the end of the table.
    EarlyTerminatingChunk,
    /// A chunk that doesn't start on a 4-byte boundary.
    UnalignedChunk(u32),
    /// A chunk's offsets that go backwards or past the trailer.
    BadChunkOffsets {
        /// The chunk's start.
        start: u64,
        /// The next chunk's start.
        next: u64,
    },
    /// A chunk id listed twice.
    DuplicateChunk(u32),
    /// The table's terminating row has a non-zero id.
    NonZeroFinalChunk(u32),
    /// A required chunk is missing.
    MissingChunk(MidxChunk),
    /// A required chunk is not of the size the object count requires.
    WrongChunkSize(MidxChunk),
    /// The fan-out table decreases at `index`.
    FanoutOutOfOrder {
        /// The entry smaller than the one before.
        index: usize,
        /// The entry before.
        before: u32,
        /// The entry at `index`.
        value: u32,
    },
    /// The pack-name chunk holds fewer names than the header's pack count.
    PackNamesTooShort,
    /// Pack names not in order (version 1 requires it).
    PackNamesOutOfOrder {
        /// The name that comes first.
        first: String,
        /// The name after it.
        second: String,
    },
}

impl MidxProblem {
    /// Whether git refuses to go on (rather than read the packs instead).
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            MidxProblem::Unreadable(_)
                | MidxProblem::TooSmall
                | MidxProblem::HashVersionMismatch { .. }
                | MidxProblem::EarlyTerminatingChunk
                | MidxProblem::UnalignedChunk(_)
                | MidxProblem::BadChunkOffsets { .. }
                | MidxProblem::DuplicateChunk(_)
                | MidxProblem::NonZeroFinalChunk(_)
        )
    }
}

impl fmt::Display for MidxProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MidxProblem::Unreadable(e) => write!(f, "could not be read: {e}"),
            MidxProblem::TooSmall => f.write_str("too small"),
            MidxProblem::BadSignature(found) => write!(f, "bad signature 0x{found:08x}"),
            MidxProblem::UnsupportedVersion(v) => write!(f, "version {v} is not supported"),
            MidxProblem::HashVersionMismatch { found, expected } => {
                write!(f, "hash version {found}, the repository's is {expected}")
            }
            MidxProblem::EarlyTerminatingChunk => f.write_str("chunk table ends early"),
            MidxProblem::UnalignedChunk(id) => write!(f, "chunk {id:08x} is not 4-byte aligned"),
            MidxProblem::BadChunkOffsets { start, next } => {
                write!(f, "bad chunk offsets {start:#x} and {next:#x}")
            }
            MidxProblem::DuplicateChunk(id) => write!(f, "chunk {id:08x} listed twice"),
            MidxProblem::NonZeroFinalChunk(id) => {
                write!(f, "chunk table ends with id {id:08x}, not 0")
            }
            MidxProblem::MissingChunk(c) => write!(f, "no {c} chunk"),
            MidxProblem::WrongChunkSize(c) => write!(f, "{c} chunk of the wrong size"),
            MidxProblem::FanoutOutOfOrder {
                index,
                before,
                value,
            } => write!(
                f,
                "fan-out entry {index} ({value}) is smaller than the one before ({before})"
            ),
            MidxProblem::PackNamesTooShort => f.write_str("pack-name chunk too short"),
            MidxProblem::PackNamesOutOfOrder { first, second } => {
                write!(f, "pack names out of order: '{first}' before '{second}'")
            }
        }
    }
}
