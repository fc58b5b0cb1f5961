//! Verifying packs as `git verify-pack` and `git index-pack --verify` do:
//! the trailers' checksums ([`Pack::verify_checksum`](crate::pack::Pack::verify_checksum)), each entry's CRC32, zlib stream,
//! delta and object id, either all at once by walking the delta trees base
//! first ([`Odb::verify_pack`](crate::Odb::verify_pack)) or one entry at a
//! time ([`Reader::verify_entry`](crate::Reader::verify_entry)).

pub(crate) mod checksum;
pub(crate) mod entry;
pub(crate) mod scan;
pub(crate) mod whole_pack;

pub use scan::{IndexedPack, SeenObject, index_pack};

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64};

use crate::object::{ObjectId, ObjectKind};
use crate::pack::entry::EntryHeader;
use crate::pack::write::IndexEntry;

/// Facts about one pack entry, as `git verify-pack -v` lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryInfo {
    /// The object's id.
    pub id: ObjectId,
    /// The entry's offset in the pack.
    pub offset: u64,
    /// The entry's header.
    pub header: EntryHeader,
    /// Bytes the entry takes in the pack: header, base reference and stream.
    pub size_in_pack: u64,
    /// The CRC32 the index records (version 2 indices).
    pub crc32: Option<u32>,
    /// The kind of the object (of the chain's base, for deltas).
    pub kind: ObjectKind,
    /// Deltas between the entry and a whole object (0 for whole objects).
    pub depth: usize,
    /// The id of the immediate delta base.
    pub base: Option<ObjectId>,
}

impl EntryInfo {
    /// The entry as an index records it (id, offset, CRC32; 0 where a
    /// version 1 index has none), for [`index_file`](crate::pack::index_file)
    /// and [`reverse_index_file`](crate::pack::reverse_index_file).
    ///
    /// ```
    /// use packread::object::{HashKind, ObjectId, ObjectKind};
    /// use packread::pack::verify::EntryInfo;
    /// use packread::pack::{EntryHeader, EntryKind};
    ///
    /// let id = ObjectId::compute(HashKind::Sha1, ObjectKind::Blob, b"hello\n");
    /// let header = EntryHeader { kind: EntryKind::Base(ObjectKind::Blob), size: 6, header_len: 1 };
    /// let info = EntryInfo {
    ///     id, offset: 12, header, size_in_pack: 15, crc32: Some(7),
    ///     kind: ObjectKind::Blob, depth: 0, base: None,
    /// };
    /// assert_eq!((info.index_entry().offset, info.index_entry().crc32), (12, 7));
    /// ```
    pub fn index_entry(&self) -> IndexEntry {
        IndexEntry {
            id: self.id,
            offset: self.offset,
            crc32: self.crc32.unwrap_or_default(),
        }
    }
}

/// How [`Odb::verify_pack`](crate::Odb::verify_pack) walks a pack: threads,
/// the memory it may hold, and where it reports progress and looks for an
/// interruption.
///
/// ```
/// use std::sync::atomic::{AtomicBool, AtomicU64};
/// use packread::pack::verify::VerifyOptions;
///
/// let checked = AtomicU64::new(0);
/// let stop = AtomicBool::new(false);
/// let opts = VerifyOptions::new()
///     .threads(2)
///     .memory_budget(64 << 20)
///     .progress(&checked)
///     .interrupt(&stop);
/// assert_eq!(opts.thread_count(), 2);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct VerifyOptions<'a> {
    threads: Option<NonZeroUsize>,
    memory_budget: usize,
    progress: Option<&'a AtomicU64>,
    interrupt: Option<&'a AtomicBool>,
}

impl Default for VerifyOptions<'_> {
    fn default() -> Self {
        VerifyOptions {
            threads: None,
            memory_budget: DEFAULT_VERIFY_MEMORY,
            progress: None,
            interrupt: None,
        }
    }
}

/// Bytes of decoded bases a verification holds by default (all threads).
pub const DEFAULT_VERIFY_MEMORY: usize = 64 << 20;

impl<'a> VerifyOptions<'a> {
    /// Every core, a 64 MiB budget for held bases, no progress, no interrupt.
    pub fn new() -> Self {
        Self::default()
    }

    /// Threads to decode with (values below 1 count as 1). By default, as
    /// many as the machine has cores.
    #[must_use]
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = NonZeroUsize::new(n.max(1));
        self
    }

    /// Bytes of decoded delta bases held for their pending deltas, all threads
    /// together. Past it, a delta's base is decoded again from the pack when
    /// the delta is reached (slower, but memory stays bounded); one base is
    /// always held, however large.
    #[must_use]
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// A counter to which every entry checked adds one (read it from another
    /// thread to show progress).
    #[must_use]
    pub fn progress(mut self, counter: &'a AtomicU64) -> Self {
        self.progress = Some(counter);
        self
    }

    /// A flag that stops the walk soon after it is set (the walk then fails
    /// with [`Error::Interrupted`](crate::Error::Interrupted)).
    #[must_use]
    pub fn interrupt(mut self, flag: &'a AtomicBool) -> Self {
        self.interrupt = Some(flag);
        self
    }

    /// The threads the walk will use.
    pub fn thread_count(&self) -> usize {
        self.threads.map_or_else(
            || std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            NonZeroUsize::get,
        )
    }

    /// The budget for held bases.
    pub fn budget(&self) -> usize {
        self.memory_budget
    }
}
