//! What exactly is wrong with a corrupt file.

use std::fmt;

use crate::object::{ObjectId, Sha1Collision};

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
    Inflate(StreamError),
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
    BadDelta(DeltaError),
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
    /// (git: `ignoring broken ref`), or a ref file whose name git refuses.
    BadRef(RefProblem),
    /// A `packed-refs` line git can't read (git: `unexpected line in
    /// packed-refs`); the offset is the line's.
    BadPackedRefsLine,
    /// A commit-graph position (of a parent, say) past the graph's commits.
    GraphPositionOutOfRange(u32),
    /// A commit-graph generation that points into an overflow chunk the
    /// file doesn't have.
    GraphOverflowMissing,
    /// A commit-graph generation that points past its overflow chunk.
    GraphOverflowTooSmall,
    /// A commit-graph octopus merge whose parents run past the extra-edge
    /// chunk.
    GraphExtraEdgesOutOfBounds,
}

/// Why a zlib stream can't be inflated.
///
/// ```
/// use packread::StreamError;
///
/// assert_eq!(StreamError::Checksum.to_string(), "Adler-32 checksum mismatch");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamError {
    /// The first two bytes fail the header's check bits.
    HeaderCheck,
    /// The header names a compression method other than deflate.
    UnknownMethod,
    /// The header announces a window larger than 32 KiB.
    WindowSize,
    /// The stream needs a preset dictionary.
    PresetDictionary,
    /// The Adler-32 trailer doesn't match the output.
    Checksum,
    /// Deflate data that doesn't decode.
    InvalidData,
    /// The inflater could make no progress on the input it was given.
    Stalled,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StreamError::HeaderCheck => "bad zlib header check bits",
            StreamError::UnknownMethod => "zlib header names an unknown compression method",
            StreamError::WindowSize => "zlib header announces too large a window",
            StreamError::PresetDictionary => "stream needs a preset dictionary",
            StreamError::Checksum => "Adler-32 checksum mismatch",
            StreamError::InvalidData => "invalid deflate data",
            StreamError::Stalled => "the inflater made no progress",
        })
    }
}

/// Why delta data can't be applied to its base (the checks of git's
/// `patch_delta`).
///
/// ```
/// use packread::{Corruption, DeltaError};
///
/// let mut out = Vec::new();
/// let err = packread::pack::apply_delta(b"abc", &[3, 1, 1], &mut out).unwrap_err();
/// assert_eq!(err, Corruption::BadDelta(DeltaError::TooSmall));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeltaError {
    /// The delta is shorter than its two size headers can be.
    TooSmall,
    /// A size header ends with the delta.
    TruncatedSize,
    /// A size header doesn't fit 64 bits.
    SizeOverflow,
    /// The base size the delta announces is not the base's.
    BaseSizeMismatch,
    /// The announced result is larger than the delta's opcodes can make.
    ResultTooLarge,
    /// A copy opcode's parameters run past the end of the delta.
    TruncatedCopy,
    /// A copy reaches outside the base.
    CopyOutsideBase,
    /// A copy makes more than the announced result size.
    CopyPastResult,
    /// An insert runs past the result size or the delta's end.
    InsertPastEnd,
    /// The reserved opcode 0.
    OpcodeZero,
    /// The opcodes make a result of another size than announced.
    ResultSizeMismatch,
}

impl fmt::Display for DeltaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeltaError::TooSmall => "delta too small",
            DeltaError::TruncatedSize => "truncated size header",
            DeltaError::SizeOverflow => "size header overflows",
            DeltaError::BaseSizeMismatch => "base size differs from the base",
            DeltaError::ResultTooLarge => "result larger than the delta can make",
            DeltaError::TruncatedCopy => "truncated copy parameters",
            DeltaError::CopyOutsideBase => "copy from outside the base",
            DeltaError::CopyPastResult => "copy past the result size",
            DeltaError::InsertPastEnd => "insert past the result size or the delta",
            DeltaError::OpcodeZero => "reserved opcode 0",
            DeltaError::ResultSizeMismatch => "result size differs from the header",
        })
    }
}

/// Why a ref file can't be read as a ref.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefProblem {
    /// Its content is neither an id nor `ref: <name>`.
    BadContent,
    /// Its name is not one git allows.
    BadName,
}

impl fmt::Display for RefProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefProblem::BadContent => "neither an id nor `ref: <name>`",
            RefProblem::BadName => "the name is not one git allows",
        })
    }
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
            Corruption::GraphPositionOutOfRange(p) => {
                write!(f, "commit-graph position {p} is out of range")
            }
            Corruption::GraphOverflowMissing => {
                f.write_str("a generation points into a missing overflow chunk")
            }
            Corruption::GraphOverflowTooSmall => {
                f.write_str("a generation points past the overflow chunk")
            }
            Corruption::GraphExtraEdgesOutOfBounds => {
                f.write_str("an octopus merge's parents run past the extra-edge chunk")
            }
        }
    }
}
