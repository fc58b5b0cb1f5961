//! A pack's delta trees: every entry's header and its delta base as a
//! position in offset order, with the children of each entry listed, so that
//! a whole pack can be decoded base first (see `traverse.rs`).

use crate::error::{Corruption, Error};
use crate::object::ObjectId;
use crate::pack::entry::{EntryHeader, EntryKind};
use crate::pack::file::{Pack, PackCursors};

/// No parent: the entry is a whole object.
pub(crate) const ROOT: u32 = u32::MAX;

/// The delta trees of one pack. Entries are numbered by their position in
/// offset order ([`Pack::entries_by_offset`]).
pub(crate) struct DeltaTree<'p> {
    /// (offset, index position) of every entry, by offset.
    pub(crate) sorted: &'p [(u64, u32)],
    /// Every entry's header.
    pub(crate) headers: Vec<EntryHeader>,
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
        let sorted = pack.entries_by_offset(&mut pack.cursors())?;
        let n = sorted.len();
        let chunk = n.div_ceil(threads.max(1)).max(1);
        let parts: Vec<Result<Vec<Linked>, Error>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..n)
                .step_by(chunk)
                .map(|start| s.spawn(move || link(pack, sorted, start..n.min(start + chunk))))
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("header readers don't panic"))
                .collect()
        });
        let mut headers = Vec::with_capacity(n);
        let mut parent = Vec::with_capacity(n);
        let mut ids = Vec::with_capacity(n);
        let mut crc32 = Vec::with_capacity(n);
        for part in parts {
            for l in part? {
                headers.push(l.header);
                parent.push(l.parent);
                ids.push(l.id);
                crc32.push(l.crc32);
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

/// What [`link`] finds out about one entry.
struct Linked {
    header: EntryHeader,
    parent: u32,
    id: ObjectId,
    crc32: Option<u32>,
}

/// The headers and delta bases of the entries `range` (positions in offset
/// order), with their ids and CRC32s: gathered here, in one loop that
/// overlaps its reads of the index (found in index order, needed in offset
/// order), rather than one at a time amid the decoding.
fn link(
    pack: &Pack,
    sorted: &[(u64, u32)],
    range: std::ops::Range<usize>,
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
        let id = pack.index().oid_at(c.index_cursor(), pos)?;
        let crc32 = pack.index().crc32_at(c.index_cursor(), pos)?;
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
            id,
            crc32,
        });
    }
    Ok(out)
}
