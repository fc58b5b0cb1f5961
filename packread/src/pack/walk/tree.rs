//! A pack's delta trees: every entry's header and its delta base as a
//! position in offset order, with the children of each entry listed, so that
//! a whole pack can be decoded base first (see `traverse.rs`).

use crate::error::{Corruption, Error};
use crate::object::{ObjectId, ObjectKind};
use crate::pack::entry::{EntryHeader, EntryKind};
use crate::pack::file::{Pack, PackCursors};
use crate::pack::walk::stretch::in_stretches;

/// No parent: the entry is a whole object.
pub(crate) const ROOT: u32 = u32::MAX;

/// The delta trees of one pack. Entries are numbered by their position in
/// offset order ([`Pack::entries_by_offset`]).
pub(crate) struct DeltaTree<'p> {
    /// (offset, index position) of every entry, by offset.
    pub(crate) sorted: &'p [(u64, u32)],
    /// Every entry's header, compact (see [`header`](Self::header)).
    headers: Vec<Compact>,
    /// The base ids of the `REF_DELTA` entries (few in most packs).
    ref_bases: std::collections::HashMap<u32, ObjectId>,
    /// Every entry's object id, from the index.
    pub(crate) ids: Vec<ObjectId>,
    /// Every entry's CRC32, from the index (none in version 1 indices).
    pub(crate) crc32: Vec<Option<u32>>,
    /// Every entry's delta base, or [`ROOT`].
    pub(crate) parent: Vec<u32>,
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
        let linked = in_stretches(n, threads, |range| link(pack, sorted, range, facts))?;
        let mut headers = Vec::with_capacity(n);
        let mut ref_bases = std::collections::HashMap::new();
        let mut parent = Vec::with_capacity(n);
        let mut ids = Vec::with_capacity(if facts { n } else { 0 });
        let mut crc32 = Vec::with_capacity(if facts { n } else { 0 });
        for l in linked {
            if let EntryKind::RefDelta { base } = l.header.kind {
                ref_bases.insert(headers.len() as u32, base);
            }
            headers.push(Compact {
                size: l.header.size,
                header_len: l.header.header_len,
                pack_type: l.header.kind.pack_type(),
            });
            parent.push(l.parent);
            if let Some((id, crc)) = l.facts {
                ids.push(id);
                crc32.push(crc);
            }
        }
        let roots = (0..n as u32)
            .filter(|&i| parent[i as usize] == ROOT)
            .collect();
        // Children lists, compressed: count, prefix sums, fill.
        let mut first = vec![0u32; n + 1];
        for &p in &parent {
            if p != ROOT {
                first[p as usize + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut children = vec![0u32; first[n] as usize];
        for (i, &p) in parent.iter().enumerate() {
            if p != ROOT {
                let slot = &mut fill[p as usize];
                children[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        let tree = DeltaTree {
            sorted,
            headers,
            ref_bases,
            ids,
            crc32,
            parent,
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
        let c = self.headers[i];
        let kind = match c.pack_type {
            6 => EntryKind::OfsDelta {
                base_offset: self.sorted[self.parent[i] as usize].0,
            },
            7 => EntryKind::RefDelta {
                base: self.ref_bases[&(i as u32)],
            },
            t => EntryKind::Base(ObjectKind::from_pack_type(t).expect("read from a valid header")),
        };
        EntryHeader {
            kind,
            size: c.size,
            header_len: c.header_len,
        }
    }

    /// Entry `i`'s inflated size (of its delta data, for a delta).
    pub(crate) fn size(&self, i: usize) -> u64 {
        self.headers[i].size
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

/// An entry header in 16 bytes rather than 64 (the base is the entry's
/// parent in the tree; a `REF_DELTA`'s id is kept aside).
#[derive(Clone, Copy)]
struct Compact {
    size: u64,
    header_len: u32,
    pack_type: u8,
}

/// What [`link`] finds out about one entry.
struct Linked {
    header: EntryHeader,
    parent: u32,
    /// The id and CRC32, when asked for.
    facts: Option<(ObjectId, Option<u32>)>,
}

/// The headers and delta bases of the entries `range` (positions in offset
/// order), with their ids and CRC32s: gathered here, in one loop that
/// overlaps its reads of the index (found in index order, needed in offset
/// order), rather than one at a time amid the decoding.
fn link(
    pack: &Pack,
    sorted: &[(u64, u32)],
    range: std::ops::Range<usize>,
    facts: bool,
) -> Result<Vec<Linked>, Error> {
    let mut c = pack.cursors();
    let position = |c: &mut PackCursors, offset: u64| -> Result<Option<u32>, Error> {
        Ok(pack
            .position_of(c.index_cursor(), offset)?
            .map(|i| i as u32))
    };
    let mut out = Vec::with_capacity(range.len());
    for &(offset, pos) in &sorted[range] {
        let h = pack.header_at(c.data_cursor(), offset)?;
        let facts = if facts {
            Some((
                pack.index().oid_at(c.index_cursor(), pos)?,
                pack.index().crc32_at(c.index_cursor(), pos)?,
            ))
        } else {
            None
        };
        let p = match h.kind {
            EntryKind::Base(_) => ROOT,
            EntryKind::OfsDelta { base_offset } => position(&mut c, base_offset)?
                .filter(|_| base_offset < offset)
                .ok_or_else(|| pack.corrupt(offset, Corruption::BadDeltaBaseOffset))?,
            EntryKind::RefDelta { base } => {
                let missing = || pack.corrupt(offset, Corruption::MissingDeltaBase(base));
                let pos = pack.index().lookup(c.index_cursor(), &base)?;
                let pos = pos.ok_or_else(missing)?;
                let base_offset = pack.checked_offset(&mut c, pos)?;
                position(&mut c, base_offset)?.ok_or_else(missing)?
            }
        };
        out.push(Linked {
            header: h,
            parent: p,
            facts,
        });
    }
    Ok(out)
}
