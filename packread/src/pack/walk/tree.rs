//! A pack's delta trees: every entry's header and its delta base as a
//! position in offset order, with the children of each entry listed, so that
//! a whole pack can be decoded base first (see `work_stack.rs`).

use crate::error::{Corruption, Error};
use crate::object::{ObjectId, ObjectKind};
use crate::pack::entry::{EntryHeader, EntryKind};
use crate::pack::file::{Pack, PackCursors};
use crate::pack::walk::read_ahead::{PASS_READ, ReadAhead, reads_instead};
use crate::pack::walk::thread_stretches::fill_in_stretches;

/// No parent: the entry is a whole object.
pub(crate) const ROOT: u32 = u32::MAX;

/// The delta trees of one pack. Entries are numbered by their position in
/// offset order ([`Pack::entries_by_offset`]).
pub(crate) struct DeltaTree<'p> {
    /// (offset, index position) of every entry, by offset.
    pub(crate) sorted: &'p [(u64, u32)],
    /// Every entry's header and delta base, compact (see
    /// [`header`](Self::header)).
    nodes: Vec<Node>,
    /// The base ids of the `REF_DELTA` entries (few in most packs).
    ref_bases: std::collections::HashMap<u32, ObjectId>,
    /// Every entry's object id and CRC32 (none in version 1 indices), from
    /// the index, when asked for.
    facts: Vec<(ObjectId, Option<u32>)>,
    /// The children of entry `i` are `children[first[i]..first[i + 1]]`.
    first: Vec<u32>,
    children: Vec<u32>,
    /// The whole objects.
    pub(crate) roots: Vec<u32>,
    /// Where the last entry ends: the start of the pack's trailer.
    data_end: u64,
}

impl<'p> DeltaTree<'p> {
    /// Reads every entry header of `pack` and links each delta to its base,
    /// with `threads` threads. Fails on the first entry whose base is not an
    /// entry of this pack, and if some deltas can't be reached from a whole
    /// object (a cycle of `REF_DELTA`s).
    pub(crate) fn build(pack: &'p Pack, threads: usize) -> Result<DeltaTree<'p>, Error> {
        Self::build_with(pack, threads, true)
    }

    /// [`build`](Self::build) without the ids and CRC32s (`ids` and `crc32`
    /// stay empty): 40 bytes less per entry, for walks that look ids up
    /// only as they hand objects over.
    pub(crate) fn build_lean(pack: &'p Pack, threads: usize) -> Result<DeltaTree<'p>, Error> {
        Self::build_with(pack, threads, false)
    }

    fn build_with(pack: &'p Pack, threads: usize, facts: bool) -> Result<DeltaTree<'p>, Error> {
        let sorted = pack.entries_by_offset(&mut pack.cursors())?;
        let n = sorted.len();
        // Filled in place, each thread its stretch: 16 bytes per entry (and
        // the facts), nothing gathered per thread and copied.
        let mut nodes = vec![Node::default(); n];
        let mut found = vec![(pack.hash_kind().null(), None); if facts { n } else { 0 }];
        let ref_bases =
            fill_in_stretches(&mut nodes, &mut found, threads, |start, nodes, found| {
                link(pack, sorted, start, nodes, found)
            })?
            .into_iter()
            .flatten()
            .collect();
        let roots = (0..n as u32)
            .filter(|&i| nodes[i as usize].parent == ROOT)
            .collect();
        // Children lists, compressed: count, prefix sums, fill.
        let mut first = vec![0u32; n + 1];
        for node in &nodes {
            if node.parent != ROOT {
                first[node.parent as usize + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut children = vec![0u32; first[n] as usize];
        for (i, node) in nodes.iter().enumerate() {
            if node.parent != ROOT {
                let slot = &mut fill[node.parent as usize];
                children[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        drop(fill);
        let tree = DeltaTree {
            sorted,
            nodes,
            ref_bases,
            facts: found,
            first,
            children,
            roots,
            data_end: pack.data_end(),
        };
        tree.check_reachable(pack)?;
        Ok(tree)
    }

    /// Entry `i`'s header.
    pub(crate) fn header(&self, i: usize) -> EntryHeader {
        let c = self.nodes[i];
        let kind = match c.pack_type {
            6 => EntryKind::OfsDelta {
                base_offset: self.sorted[c.parent as usize].0,
            },
            7 => EntryKind::RefDelta {
                base: self.ref_bases[&(i as u32)],
            },
            t => EntryKind::Base(ObjectKind::from_pack_type(t).expect("read from a valid header")),
        };
        EntryHeader {
            kind,
            size: c.size,
            header_len: u32::from(c.header_len),
        }
    }

    /// Entry `i`'s delta base, or [`ROOT`].
    pub(crate) fn parent(&self, i: usize) -> u32 {
        self.nodes[i].parent
    }

    /// Entry `i`'s object id (from a tree built with its facts).
    pub(crate) fn id(&self, i: usize) -> ObjectId {
        self.facts[i].0
    }

    /// Entry `i`'s CRC32 (from a tree built with its facts; none in a
    /// version 1 index).
    pub(crate) fn crc32(&self, i: usize) -> Option<u32> {
        self.facts[i].1
    }

    /// Entry `i`'s inflated size (of its delta data, for a delta).
    pub(crate) fn size(&self, i: usize) -> u64 {
        self.nodes[i].size
    }

    /// Where entry `i` ends: where the next one starts.
    pub(crate) fn end(&self, i: usize) -> u64 {
        self.sorted.get(i + 1).map_or(self.data_end, |&(o, _)| o)
    }

    /// The children of entry `i`.
    pub(crate) fn children(&self, i: u32) -> &[u32] {
        let i = i as usize;
        &self.children[self.first[i] as usize..self.first[i + 1] as usize]
    }

    /// Every entry hangs below a whole object, unless some `REF_DELTA`s form a
    /// cycle (each entry has one base, so unreached entries lead into one).
    fn check_reachable(&self, pack: &Pack) -> Result<(), Error> {
        let mut reached = vec![false; self.sorted.len()];
        let mut stack = self.roots.clone();
        while let Some(i) = stack.pop() {
            reached[i as usize] = true;
            stack.extend_from_slice(self.children(i));
        }
        match reached.iter().position(|&r| !r) {
            None => Ok(()),
            Some(i) => Err(pack.corrupt(self.sorted[i].0, Corruption::DeltaCycle)),
        }
    }
}

/// An entry's header and delta base in 16 bytes rather than 64 (the base
/// is the entry's parent in the tree; a `REF_DELTA`'s id is kept aside).
#[derive(Clone, Copy)]
struct Node {
    size: u64,
    /// The delta base, or [`ROOT`].
    parent: u32,
    /// Entry headers are at most `entry::MAX_HEADER_LEN` (42) bytes long.
    header_len: u8,
    pack_type: u8,
}

impl Default for Node {
    fn default() -> Self {
        Node {
            size: 0,
            parent: ROOT,
            header_len: 0,
            pack_type: 0,
        }
    }
}

/// Reads the headers and delta bases of the entries from position `start`
/// on (in offset order) into `nodes`, with their ids and CRC32s into
/// `facts` when it is not empty: gathered here, in one loop that overlaps
/// its reads of the index (found in index order, needed in offset order),
/// rather than one at a time amid the decoding. Returns the `REF_DELTA`
/// entries' base ids.
fn link(
    pack: &Pack,
    sorted: &[(u64, u32)],
    start: usize,
    nodes: &mut [Node],
    facts: &mut [(ObjectId, Option<u32>)],
) -> Result<Vec<(u32, ObjectId)>, Error> {
    let mut c = pack.cursors();
    let position = |c: &mut PackCursors, offset: u64| -> Result<Option<u32>, Error> {
        Ok(pack
            .position_of(c.index_cursor(), offset)?
            .map(|i| i as u32))
    };
    let mut ref_bases = Vec::new();
    let mut read = HeaderReads::new(pack);
    let entries = &sorted[start..start + nodes.len()];
    for (k, (&(offset, pos), node)) in entries.iter().zip(nodes.iter_mut()).enumerate() {
        let h = read.header_at(pack, &mut c, offset)?;
        if let Some(f) = facts.get_mut(k) {
            *f = (
                pack.index().oid_at(c.index_cursor(), pos)?,
                pack.index().crc32_at(c.index_cursor(), pos)?,
            );
        }
        let parent = match h.kind {
            EntryKind::Base(_) => ROOT,
            EntryKind::OfsDelta { base_offset } => position(&mut c, base_offset)?
                .filter(|_| base_offset < offset)
                .ok_or_else(|| pack.corrupt(offset, Corruption::BadDeltaBaseOffset))?,
            EntryKind::RefDelta { base } => {
                let missing = || pack.corrupt(offset, Corruption::MissingDeltaBase(base));
                let pos = pack.index().lookup(c.index_cursor(), &base)?;
                let pos = pos.ok_or_else(missing)?;
                let base_offset = pack.checked_offset(&mut c, pos)?;
                ref_bases.push(((start + k) as u32, base));
                position(&mut c, base_offset)?.ok_or_else(missing)?
            }
        };
        *node = Node {
            size: h.size,
            parent,
            header_len: u8::try_from(h.header_len).expect("entry headers are at most 42 bytes"),
            pack_type: h.kind.pack_type(),
        };
    }
    Ok(ref_bases)
}

/// Entry headers read one after the other, in offset order. Through
/// windows too small to map for a whole pass ([`reads_instead`]): from the
/// bytes read before, else a window already mapped over them, else the file
/// in reads of [`PASS_READ`] bytes ([`ReadAhead::stream`]), mapping no window (git.git at 64 KiB windows:
/// 7,500 windows, 5 % of the pack-order pass). Bigger windows (and whole
/// files) are mapped as for any read: the entries' streams are read from
/// them next.
struct HeaderReads {
    /// Whether headers are read from the file rather than mapped.
    read: bool,
    ahead: ReadAhead,
}

impl HeaderReads {
    fn new(pack: &Pack) -> HeaderReads {
        HeaderReads {
            read: reads_instead(pack),
            ahead: ReadAhead::default(),
        }
    }

    /// The header of the entry at `offset`, as [`Pack::entry_header`] reads it.
    fn header_at(
        &mut self,
        pack: &Pack,
        c: &mut PackCursors,
        offset: u64,
    ) -> Result<EntryHeader, Error> {
        if !self.read {
            return pack.header_at(c.data_cursor(), offset);
        }
        let max = pack.header_room(offset)?;
        let rest = usize::try_from(pack.data_end() - offset).unwrap_or(PASS_READ);
        // Fewer than the header's room only if the file was cut since.
        let bytes = self
            .ahead
            .stream(c.data_cursor(), offset, max, PASS_READ.min(rest))?;
        pack.decode_header(bytes, offset)
    }
}
