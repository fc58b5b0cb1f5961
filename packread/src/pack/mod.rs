//! Packs, at the level of their files: the `.idx` index (fan-out, ids,
//! offsets, CRC32s), the reverse index (entries by offset), entry headers,
//! deltas, decoding an entry into its object through the delta-base cache,
//! and verification.
//!
//! Most programs read objects through [`Odb`](crate::Odb) and never touch
//! this module; it is for tools that inspect packs themselves
//! (`verify-pack`, `show-index`, fuzzers).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("packread-doc-pack-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let git = |args: &[&str]| std::process::Command::new("git").args(args).current_dir(&dir).output();
//! # git(&["init", "-q"])?;
//! # std::fs::write(dir.join("hello.txt"), "hello\n")?;
//! # git(&["add", "hello.txt"])?;
//! # git(&["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "c"])?;
//! # git(&["gc", "-q"])?;
//! use packread::pack::{EntryKind, Pack};
//! use packread::object::{HashKind, ObjectKind};
//!
//! let odb = packread::Odb::open(&dir)?;
//! let pack: &Pack = &odb.packs()[0];
//! let mut cursors = pack.cursors();
//! for &(offset, _position) in pack.entries_by_offset(&mut cursors)? {
//!     let header = pack.entry_header(&mut cursors, offset)?;
//!     if header.kind == EntryKind::Base(ObjectKind::Blob) {
//!         assert_eq!(header.size, 6); // "hello\n"
//!     }
//! }
//! pack.verify_checksum(&mut cursors)?;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```

pub(crate) mod cache;
pub(crate) mod chunks;
pub(crate) mod decode;
pub(crate) mod delta;
pub(crate) mod entry;
pub(crate) mod fanout;
pub(crate) mod file;
pub(crate) mod index;
mod inflated_deltas;
pub(crate) mod midx;
pub(crate) mod reader;
pub(crate) mod revindex;
mod shared_bases;
pub mod verify;
pub(crate) mod walk;
pub(crate) mod write;

pub use crate::error::{MidxChunk, MidxProblem};
pub use cache::{
    COMMIT_WALK_DELTA_BASE_CACHE_LIMIT, DEFAULT_DELTA_BASE_CACHE_LIMIT,
    HISTORY_DELTA_BASE_CACHE_LIMIT, SPARSE_HISTORY_DELTA_BASE_CACHE_LIMIT,
};
pub use decode::{DEFAULT_MAX_DELTA_CHAIN, Decoded};
pub use delta::apply_delta;
pub use entry::{EntryHeader, EntryKind};
pub use file::{PACK_HEADER_LEN, Pack, PackCursors};
pub use index::{IndexVersion, PackIndex, PrefixLookup};
pub use midx::MultiPackIndex;
pub use shared_bases::SharedBases;
pub use write::{IndexEntry, IndexFile, index_file, reverse_index_file};
