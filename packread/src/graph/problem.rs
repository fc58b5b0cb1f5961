//! Why a commit-graph file, a chain layer or an optional chunk is not used.

use std::fmt;
use std::sync::Arc;

use crate::object::ObjectId;
use crate::pack::chunks::TocProblem;

/// Why git would not use (part of) a commit-graph: it reports each and
/// reads commits from the object database instead. Returned by
/// [`CommitGraph::load`](crate::graph::CommitGraph::load) beside the graph
/// (if any was usable).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum GraphProblem {
    /// The file could not be read.
    Unreadable(Arc<smmap::Error>),
    /// Shorter than a header, a chunk table, a fan-out and a trailer.
    TooSmall,
    /// The first four bytes (big-endian) are not `CGPH`.
    BadSignature(u32),
    /// A version other than 1.
    UnsupportedVersion(u8),
    /// The hash version is not the repository's.
    HashVersionMismatch {
        /// The file's.
        found: u8,
        /// The repository's (1 for SHA-1, 2 for SHA-256).
        expected: u8,
    },
    /// Too small for the chunk table the header announces.
    TooSmallForChunks(u8),
    /// A chunk id of 0 before the end of the table.
    EarlyTerminatingChunk,
    /// A chunk's offsets that go backwards or past the trailer.
    BadChunkOffsets {
        /// The chunk's start.
        start: u64,
        /// The next chunk's start.
        next: u64,
    },
    /// A chunk that doesn't start on the boundary its format requires
    /// (none for the commit-graph: never reported).
    UnalignedChunk(u32),
    /// A chunk id listed twice.
    DuplicateChunk(u32),
    /// The table's terminating row has a non-zero id.
    NonZeroFinalChunk(u32),
    /// The fan-out chunk is missing, or what is wrong with it.
    MissingFanout(Option<Box<GraphProblem>>),
    /// The fan-out chunk is not 1024 bytes.
    FanoutWrongSize,
    /// The fan-out decreases.
    FanoutOutOfOrder,
    /// The id lookup chunk is missing, or what is wrong with it.
    MissingLookup(Option<Box<GraphProblem>>),
    /// The id lookup chunk doesn't hold one id per commit.
    LookupWrongSize,
    /// The commit data chunk is missing, or what is wrong with it.
    MissingCommitData(Option<Box<GraphProblem>>),
    /// The commit data chunk doesn't hold one entry per commit.
    CommitDataWrongSize,
    /// The generation data chunk doesn't hold one entry per commit (not
    /// used; the topological levels are).
    GenerationsWrongSize,
    /// The Bloom filter index doesn't hold one entry per commit (filters
    /// not used).
    BloomIndexTooSmall,
    /// The Bloom filter data chunk is smaller than its header (filters not
    /// used).
    BloomDataTooSmall(u64),
    /// A `commit-graph-chain` file shorter than one id.
    ChainTooSmall,
    /// A line of the chain file that is not an id.
    ChainLineNotAHash(String),
    /// A layer above the base without a base-graphs chunk.
    NoBaseGraphsChunk,
    /// A base-graphs chunk listing fewer layers than lie below.
    BaseGraphsTooSmall,
    /// A layer whose base-graphs chunk doesn't name the layers below it.
    ChainMismatch,
    /// A layer the chain names that is in no object directory, or that
    /// can't be used: the chain is used up to the layer before.
    MissingChainFiles,
    /// A layer whose Bloom filter settings differ from a lower layer's
    /// (its filters are not used).
    BloomSettingsDiffer(ObjectId),
}

impl From<TocProblem> for GraphProblem {
    fn from(p: TocProblem) -> Self {
        match p {
            TocProblem::Unreadable(e) => GraphProblem::unreadable(e),
            TocProblem::TooSmall => GraphProblem::TooSmall,
            TocProblem::EarlyTerminating => GraphProblem::EarlyTerminatingChunk,
            // git reads commit-graph chunks at any offset (an alignment of
            // 1): no chunk is ever unaligned.
            TocProblem::Unaligned(id) => GraphProblem::UnalignedChunk(id),
            TocProblem::BadOffsets { start, next } => GraphProblem::BadChunkOffsets { start, next },
            TocProblem::Duplicate(id) => GraphProblem::DuplicateChunk(id),
            TocProblem::NonZeroFinal(id) => GraphProblem::NonZeroFinalChunk(id),
        }
    }
}

impl GraphProblem {
    pub(crate) fn unreadable(e: smmap::Error) -> GraphProblem {
        GraphProblem::Unreadable(Arc::new(e))
    }

    /// Whether git reports it as a warning (rather than an error).
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            GraphProblem::BloomIndexTooSmall
                | GraphProblem::BloomDataTooSmall(_)
                | GraphProblem::ChainTooSmall
                | GraphProblem::ChainLineNotAHash(_)
                | GraphProblem::NoBaseGraphsChunk
                | GraphProblem::BaseGraphsTooSmall
                | GraphProblem::ChainMismatch
                | GraphProblem::MissingChainFiles
                | GraphProblem::BloomSettingsDiffer(_)
        )
    }
}

impl fmt::Display for GraphProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let missing =
            |f: &mut fmt::Formatter<'_>, what: &str, why: &Option<Box<GraphProblem>>| match why {
                Some(why) => write!(f, "{what}: {why}"),
                None => write!(f, "{what} chunk is missing"),
            };
        match self {
            GraphProblem::Unreadable(e) => write!(f, "could not be read: {e}"),
            GraphProblem::TooSmall => f.write_str("too small"),
            GraphProblem::BadSignature(s) => write!(f, "bad signature 0x{s:08x}"),
            GraphProblem::UnsupportedVersion(v) => write!(f, "version {v} is not supported"),
            GraphProblem::HashVersionMismatch { found, expected } => {
                write!(f, "hash version {found}, the repository's is {expected}")
            }
            GraphProblem::TooSmallForChunks(n) => write!(f, "too small to hold {n} chunks"),
            GraphProblem::EarlyTerminatingChunk => f.write_str("the chunk table ends early"),
            GraphProblem::BadChunkOffsets { start, next } => {
                write!(f, "chunk offsets {start:#x} and {next:#x} are out of order")
            }
            GraphProblem::UnalignedChunk(id) => write!(f, "chunk {id:#x} is not aligned"),
            GraphProblem::DuplicateChunk(id) => write!(f, "chunk {id:#x} is listed twice"),
            GraphProblem::NonZeroFinalChunk(id) => {
                write!(f, "the chunk table ends with id {id:#x}, not 0")
            }
            GraphProblem::MissingFanout(why) => missing(f, "fan-out", why),
            GraphProblem::FanoutWrongSize => f.write_str("the fan-out is not 1024 bytes"),
            GraphProblem::FanoutOutOfOrder => f.write_str("the fan-out decreases"),
            GraphProblem::MissingLookup(why) => missing(f, "id lookup", why),
            GraphProblem::LookupWrongSize => f.write_str("the id lookup is of the wrong size"),
            GraphProblem::MissingCommitData(why) => missing(f, "commit data", why),
            GraphProblem::CommitDataWrongSize => {
                f.write_str("the commit data is of the wrong size")
            }
            GraphProblem::GenerationsWrongSize => {
                f.write_str("the generation data is of the wrong size")
            }
            GraphProblem::BloomIndexTooSmall => f.write_str("the Bloom filter index is too small"),
            GraphProblem::BloomDataTooSmall(n) => {
                write!(f, "the Bloom filter data is too small ({n} bytes)")
            }
            GraphProblem::ChainTooSmall => f.write_str("the chain file is too small"),
            GraphProblem::ChainLineNotAHash(line) => {
                write!(f, "chain line '{line}' is not an id")
            }
            GraphProblem::NoBaseGraphsChunk => f.write_str("a layer has no base-graphs chunk"),
            GraphProblem::BaseGraphsTooSmall => f.write_str("a base-graphs chunk is too small"),
            GraphProblem::ChainMismatch => f.write_str("the chain's layers don't match"),
            GraphProblem::MissingChainFiles => {
                f.write_str("not every layer of the chain was found")
            }
            GraphProblem::BloomSettingsDiffer(id) => {
                write!(f, "layer {id} has other Bloom filter settings")
            }
        }
    }
}
