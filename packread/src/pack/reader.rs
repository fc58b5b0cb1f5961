//! One pack as one thread reads it: the pack, the cursors that pin its
//! windows, and the decoding state (inflater, delta-base cache, chain).

use std::ops::Range;
use std::sync::Arc;

use crate::error::Error;
use crate::object::{ObjectId, ObjectKind, Prefix};
use crate::pack::decode::{self, ChainWalk, DecodeState, Decoded};
use crate::pack::entry::{EntryHeader, EntryKind};
use crate::pack::file::{Pack, PackCursors};
use crate::pack::index::PrefixLookup;
use crate::pack::verify::{EntryInfo, entry};

/// A pack with what reading it needs, borrowed from its reader.
pub(crate) struct PackReader<'a> {
    /// The pack.
    pub(crate) pack: &'a Pack,
    /// The cursors on its index and data.
    pub(crate) cursors: &'a mut PackCursors,
    /// The inflater, the delta-base cache and the chain being walked.
    pub(crate) state: &'a mut DecodeState,
    /// The key the delta-base cache files this pack's objects under.
    pub(crate) key: u32,
}

impl PackReader<'_> {
    /// The index position of `id`, if the pack has it.
    pub(crate) fn lookup(&mut self, id: &ObjectId) -> Result<Option<u32>, Error> {
        self.pack.index().lookup(self.cursors.index_cursor(), id)
    }

    /// Which index positions hold ids starting with `prefix`.
    pub(crate) fn lookup_prefix(&mut self, prefix: &Prefix) -> Result<PrefixLookup, Error> {
        self.pack
            .index()
            .lookup_prefix(self.cursors.index_cursor(), prefix)
    }

    /// The id at index position `pos`.
    pub(crate) fn oid_at(&mut self, pos: u32) -> Result<ObjectId, Error> {
        self.pack.index().oid_at(self.cursors.index_cursor(), pos)
    }

    /// The offset of the entry at index position `pos`, checked (see
    /// [`Pack::checked_offset`]).
    pub(crate) fn offset_at(&mut self, pos: u32) -> Result<u64, Error> {
        self.pack.checked_offset(self.cursors, pos)
    }

    /// The offset of the entry at index position `pos`, as the index gives
    /// it (a 64-bit slot past the table is still an error, as in git).
    pub(crate) fn raw_offset_at(&mut self, pos: u32) -> Result<u64, Error> {
        self.pack
            .index()
            .offset_at(self.cursors.index_cursor(), pos)
    }

    /// The index position of the first id not below `id`.
    pub(crate) fn lower_bound(&mut self, id: &ObjectId) -> Result<u32, Error> {
        self.pack
            .index()
            .lower_bound(self.cursors.index_cursor(), id)
    }

    /// The index positions of the ids starting with `prefix`.
    pub(crate) fn prefix_range(&mut self, prefix: &Prefix) -> Result<Range<u32>, Error> {
        self.pack
            .index()
            .prefix_range(self.cursors.index_cursor(), prefix)
    }

    /// Appends the offsets and index positions of the entries at `ranks`
    /// in offset order to `out` (see [`Pack::entries_by_rank`]).
    pub(crate) fn entries_by_rank(
        &mut self,
        ranks: Range<usize>,
        out: &mut Vec<(u64, u32)>,
    ) -> Result<(), Error> {
        self.pack.entries_by_rank(self.cursors, ranks, out)
    }

    /// The rank in offset order of the entry at exactly `offset`.
    pub(crate) fn rank_of(&mut self, offset: u64) -> Result<Option<usize>, Error> {
        self.pack.rank_of(self.cursors, offset)
    }

    /// Whether entries can be had by rank without a pass over the pack's
    /// tables first (see [`Pack::has_ranks`]).
    pub(crate) fn has_ranks(&self) -> bool {
        self.pack.has_ranks()
    }

    /// Where the entry at `offset` ends (the next entry, or the trailer).
    pub(crate) fn entry_end(&mut self, offset: u64) -> Result<u64, Error> {
        self.pack.next_offset(self.cursors, offset)
    }

    /// The id of the immediate delta base of the entry at `offset` (of kind
    /// `kind`), or `None` for a whole object.
    pub(crate) fn delta_base_id(
        &mut self,
        offset: u64,
        kind: &EntryKind,
    ) -> Result<Option<ObjectId>, Error> {
        self.pack.delta_base_id(self.cursors, offset, kind)
    }

    /// The header of the entry at `offset`.
    pub(crate) fn header_at(&mut self, offset: u64) -> Result<EntryHeader, Error> {
        self.pack.header_at(self.cursors.data_cursor(), offset)
    }

    /// The object whose entry is at `offset`, into `out`, its delta chain
    /// resolved through the delta-base cache.
    pub(crate) fn read_object(&mut self, offset: u64, out: &mut Vec<u8>) -> Result<Decoded, Error> {
        decode::read_object(self.pack, self.key, self.cursors, self.state, offset, out)
    }

    /// The object at `offset`, shared with the delta-base cache (see
    /// [`decode::read_object_shared`]), made in `buf` if it must be made.
    pub(crate) fn read_object_shared(
        &mut self,
        offset: u64,
        buf: Vec<u8>,
    ) -> Result<(Decoded, Arc<Vec<u8>>), Error> {
        decode::read_object_shared(self.pack, self.key, self.cursors, self.state, offset, buf)
    }

    /// The object at `offset`, or only as much of its start as `enough`
    /// accepts (see [`decode::read_prefix`]).
    pub(crate) fn read_prefix(
        &mut self,
        offset: u64,
        out: &mut Vec<u8>,
        enough: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<Decoded, Error> {
        decode::read_prefix(
            self.pack,
            self.key,
            self.cursors,
            self.state,
            offset,
            out,
            enough,
        )
    }

    /// The kind and size of the object at `offset`, inflating no more than
    /// a delta's size header.
    pub(crate) fn read_header(&mut self, offset: u64) -> Result<(ObjectKind, u64), Error> {
        decode::read_header(self.pack, self.cursors, self.state, offset)
    }

    /// The length of the delta chain under the entry at `offset` (0 for a
    /// whole object), walked to its end.
    pub(crate) fn chain_length(&mut self, offset: u64) -> Result<usize, Error> {
        let h = self.header_at(offset)?;
        let (_, depth) = decode::resolve_kind(
            self.pack,
            ChainWalk::Full,
            self.cursors,
            self.state,
            offset,
            h,
        )?;
        Ok(depth)
    }

    /// What `git verify-pack -v` shows of the entry at index position
    /// `pos`, and its CRC32.
    pub(crate) fn entry_info(&mut self, pos: u32) -> Result<EntryInfo, Error> {
        entry::entry_info(self.pack, self.cursors, self.state, pos)
    }

    /// Checks the entry at index position `pos` as `git verify-pack` does
    /// (decoding its object into `buf`).
    pub(crate) fn verify_entry(&mut self, pos: u32, buf: &mut Vec<u8>) -> Result<EntryInfo, Error> {
        entry::verify_entry(self.pack, self.key, self.cursors, self.state, pos, buf)
    }
}
