//! Verifying a whole pack base first: every entry is inflated once, every
//! delta is applied once to its base held in memory, and the delta trees are
//! shared out between threads through one work stack.
//!
//! This is how `git index-pack` resolves deltas, and what makes verifying a
//! pack cheaper than reading its objects one by one (where each read walks
//! its chain and relies on the delta-base cache).

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Corruption, Error};
use crate::inflate::inflate_to;
use crate::object::ObjectKind;
use crate::object::{HashKind, Hasher, ObjectId};
use crate::pack::decode::{self, DecodeState};
use crate::pack::delta;
use crate::pack::entry::EntryKind;
use crate::pack::file::{Pack, PackCursors};
use crate::pack::verify::{EntryInfo, VerifyOptions};
use crate::pack::walk::tree::DeltaTree;
use crate::pack::walk::work_stack::{Task, Work, threads_for};

/// The buffer objects hashed as they are inflated go through: past it, the
/// inflater keeps the last 32 KiB as history, so each refill makes 224 KiB.
const CHUNK: usize = 256 * 1024;

/// Hashes a patched object piece by piece.
struct HashSink {
    hash: HashKind,
    kind: ObjectKind,
    hasher: Option<Hasher>,
}

impl delta::Sink for HashSink {
    fn start(&mut self, size: usize) -> Result<(), Corruption> {
        self.hasher = Some(ObjectId::object_hasher(self.hash, self.kind, size as u64));
        Ok(())
    }

    fn piece(&mut self, bytes: &[u8]) {
        if let Some(h) = &mut self.hasher {
            h.update(bytes);
        }
    }
}

/// What the walk found out about an entry, beyond what the tree knows.
#[derive(Clone, Copy)]
struct Checked {
    entry: u32,
    kind: ObjectKind,
    depth: u32,
}

/// One thread's cursors and buffers.
struct Worker<'a> {
    pack: &'a Pack,
    tree: &'a DeltaTree<'a>,
    c: PackCursors,
    decode: DecodeState,
    delta: Vec<u8>,
    reread: Vec<u8>,
    out: Vec<u8>,
    chunk: Vec<u8>,
    /// The entries this thread checked (kept per thread: no shared writes
    /// while decoding).
    checked: Vec<Checked>,
}

impl<'a> Worker<'a> {
    /// Decodes and checks the task's entry and records its facts. An entry
    /// with deltas of its own is left whole in `self.out` for them; others
    /// are hashed as they are inflated or patched, never made whole.
    fn run(&mut self, t: &Task<'a>, max_chain: usize) -> Result<(), Error> {
        let (pack, tree) = (self.pack, self.tree);
        let i = t.entry as usize;
        let offset = tree.sorted[i].0;
        let end = tree.end(i);
        let h = tree.header(i);
        let c = &mut self.c;
        if t.depth as usize > max_chain {
            return Err(pack.corrupt(offset, Corruption::DeltaChainTooLong(max_chain)));
        }
        let crc32 = tree.crc32(i);
        pack.check_crc32(c, crc32, offset, end)?;
        let z = self.decode.inflater();
        // An entry without deltas of its own is hashed as it is inflated or
        // patched: its bytes are never made whole (a 4 GiB blob is checked
        // with 256 KiB of memory).
        let leaf = tree.children(t.entry).is_empty();
        let mut streamed = None;
        match h.kind {
            EntryKind::Base(kind) if leaf => {
                let mut hasher = ObjectId::object_hasher(pack.hash_kind(), kind, h.size);
                let data = offset + u64::from(h.header_len);
                self.chunk.resize(CHUNK, 0);
                inflate_to(
                    z,
                    c.data_cursor(),
                    data,
                    end,
                    h.size,
                    &mut self.chunk,
                    |p| {
                        hasher.update(p);
                    },
                )
                .map_err(|e| e.at(pack.data_path(), offset))?;
                streamed = Some(hasher);
            }
            EntryKind::Base(_) => {
                self.out.clear();
                decode::inflate_entry(pack, c, z, (offset, end), &h, &mut self.out)?;
            }
            EntryKind::OfsDelta { .. } | EntryKind::RefDelta { .. } => {
                self.delta.clear();
                decode::inflate_entry(pack, c, z, (offset, end), &h, &mut self.delta)?;
                let p = tree.parent(i);
                let base_offset = tree.sorted[p as usize].0;
                let base = if let Some(b) = &t.base {
                    &b.data
                } else {
                    // The base was not held: decode it again.
                    let st = &mut self.decode;
                    decode::read_object(pack, 0, c, st, base_offset, &mut self.reread)?;
                    &self.reread
                };
                let patched = if leaf {
                    let mut sink = HashSink {
                        hash: pack.hash_kind(),
                        kind: t.kind,
                        hasher: None,
                    };
                    let r = delta::patch(base, &self.delta, &mut sink);
                    streamed = sink.hasher;
                    r
                } else {
                    delta::apply_delta(base, &self.delta, &mut self.out)
                };
                patched.map_err(|reason| pack.corrupt(offset, reason))?;
            }
        }
        let id = tree.id(i);
        let actual = match streamed {
            Some(h) => h.try_finish(),
            None => ObjectId::compute_checked(pack.hash_kind(), t.kind, &self.out),
        }
        .map_err(|c| pack.corrupt(offset, c.into()))?;
        if actual != id {
            return Err(pack.corrupt(
                offset,
                Corruption::HashMismatch {
                    expected: id,
                    actual,
                },
            ));
        }
        self.checked.push(Checked {
            entry: t.entry,
            kind: t.kind,
            depth: t.depth,
        });
        Ok(())
    }
}

/// Decodes and checks every entry of `pack` (CRC32, inflation, deltas,
/// object ids) and returns their facts in offset order. The error is the
/// first problem a thread met, not necessarily the first in pack order.
pub(crate) fn verify_entries(
    pack: &Pack,
    opts: &VerifyOptions<'_>,
    max_chain: usize,
) -> Result<Vec<EntryInfo>, Error> {
    let threads = threads_for(pack, opts.thread_count());
    let memory_budget = opts.budget();
    let tree = DeltaTree::build(pack, threads)?;
    let held = AtomicUsize::new(0);
    let work = Work::of_roots(&tree);

    let results: Vec<Result<Vec<Checked>, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (work, tree, held) = (&work, &tree, &held);
                s.spawn(move || {
                    let mut w = Worker {
                        pack,
                        tree,
                        c: pack.cursors(),
                        decode: DecodeState::new(0, max_chain),
                        delta: Vec::new(),
                        reread: Vec::new(),
                        out: Vec::new(),
                        chunk: Vec::new(),
                        checked: Vec::new(),
                    };
                    while let Some(t) = work.next() {
                        if opts.interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
                            work.fail();
                            return Err(Error::Interrupted);
                        }
                        if let Err(e) = w.run(&t, max_chain) {
                            work.fail();
                            return Err(e);
                        }
                        if let Some(p) = opts.progress {
                            p.fetch_add(1, Ordering::Relaxed);
                        }
                        work.finish(t, tree, &mut w.out, held, memory_budget);
                    }
                    Ok(w.checked)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("verification threads don't panic"))
            .collect()
    });
    let mut walked: Vec<Option<(ObjectKind, u32)>> = vec![None; tree.sorted.len()];
    for checked in results {
        for c in checked? {
            walked[c.entry as usize] = Some((c.kind, c.depth));
        }
    }
    walked
        .into_iter()
        .enumerate()
        .map(|(i, walked)| {
            let (offset, _) = tree.sorted[i];
            let (kind, depth) =
                walked.ok_or_else(|| pack.corrupt(offset, Corruption::DeltaCycle))?;
            let header = tree.header(i);
            let end = tree.end(i);
            Ok(EntryInfo {
                id: tree.id(i),
                offset,
                header,
                size_in_pack: end - offset,
                crc32: tree.crc32(i),
                kind,
                depth: depth as usize,
                base: match header.kind {
                    EntryKind::Base(_) => None,
                    EntryKind::RefDelta { base } => Some(base),
                    EntryKind::OfsDelta { .. } => Some(tree.id(tree.parent(i) as usize)),
                },
            })
        })
        .collect()
}
