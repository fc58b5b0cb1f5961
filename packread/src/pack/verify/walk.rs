//! Verifying a whole pack base first: every entry is inflated once, every
//! delta is applied once to its base held in memory, and the delta trees are
//! shared out between threads through one work stack.
//!
//! This is how `git index-pack` resolves deltas, and what makes verifying a
//! pack cheaper than reading its objects one by one (where each read walks
//! its chain and relies on the delta-base cache).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use crate::error::{Corruption, Error};
use crate::inflate::inflate_to;
use crate::object::ObjectKind;
use crate::object::{HashKind, Hasher, ObjectId};
use crate::pack::decode::{self, DecodeState};
use crate::pack::delta;
use crate::pack::entry::EntryKind;
use crate::pack::file::{Pack, PackCursors};
use crate::pack::verify::tree::DeltaTree;
use crate::pack::verify::{EntryInfo, VerifyOptions};

/// A decoded base, shared by the deltas waiting for it; its bytes are
/// counted in `held` while it lives.
struct Base<'a> {
    data: Vec<u8>,
    held: &'a AtomicUsize,
}

impl Drop for Base<'_> {
    fn drop(&mut self) {
        self.held.fetch_sub(self.data.capacity(), Ordering::Relaxed);
    }
}

/// Holds `data` for the deltas waiting for it if the budget allows (or if
/// nothing else is held: a chain of large objects then still costs one
/// decode per entry); else they decode it again.
fn hold<'a>(data: &mut Vec<u8>, held: &'a AtomicUsize, limit: usize) -> Option<Arc<Base<'a>>> {
    let size = data.capacity();
    let before = held.fetch_add(size, Ordering::Relaxed);
    if before != 0 && before + size > limit {
        held.fetch_sub(size, Ordering::Relaxed);
        return None;
    }
    Some(Arc::new(Base {
        data: std::mem::take(data),
        held,
    }))
}

/// One entry to decode.
struct Task<'a> {
    entry: u32,
    depth: u32,
    /// The kind of the tree's whole object.
    kind: ObjectKind,
    /// The decoded delta base; `None` for whole objects, and for deltas whose
    /// base was not held (decoded again from the pack).
    base: Option<Arc<Base<'a>>>,
}

/// The shared work stack. Last in, first out: the walk stays depth first,
/// so the bases held are about one chain per thread.
struct Work<'a> {
    state: Mutex<WorkState<'a>>,
    ready: Condvar,
    failed: AtomicBool,
}

struct WorkState<'a> {
    tasks: Vec<Task<'a>>,
    /// Threads processing a task (which may add more).
    busy: usize,
    /// Threads waiting for a task.
    waiting: usize,
}

impl<'a> Work<'a> {
    /// The next task, or `None` once every task is done or one failed.
    fn next(&self) -> Option<Task<'a>> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.failed.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(t) = s.tasks.pop() {
                s.busy += 1;
                return Some(t);
            }
            if s.busy == 0 {
                return None;
            }
            s.waiting += 1;
            s = self.ready.wait(s).unwrap_or_else(PoisonError::into_inner);
            s.waiting -= 1;
        }
    }

    /// Ends a task, adding the tasks it made.
    fn done(&self, more: impl Iterator<Item = Task<'a>>) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.tasks.extend(more);
        s.busy -= 1;
        if s.waiting > 0 && (!s.tasks.is_empty() || s.busy == 0) {
            self.ready.notify_all();
        }
    }

    fn fail(&self) {
        self.failed.store(true, Ordering::Relaxed);
        let s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        drop(s);
        self.ready.notify_all();
    }
}

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
        let h = tree.headers[i];
        let c = &mut self.c;
        if t.depth as usize > max_chain {
            return Err(pack.corrupt(offset, Corruption::DeltaChainTooLong(max_chain)));
        }
        let crc32 = tree.crc32[i];
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
                .map_err(|e| decode::inflate_error(pack, offset, e))?;
                streamed = Some(hasher);
            }
            EntryKind::Base(_) => {
                decode::inflate_entry(pack, c, z, (offset, end), &h, &mut self.out)?;
            }
            EntryKind::OfsDelta { .. } | EntryKind::RefDelta { .. } => {
                decode::inflate_entry(pack, c, z, (offset, end), &h, &mut self.delta)?;
                let p = tree.parent[i];
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
        let id = tree.ids[i];
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
    // Each thread pins up to two windows (index and data); leave two of the
    // manager's windows for other readers.
    let room = pack.manager().max_file_handles().saturating_sub(2) / 2;
    let threads = opts.thread_count().min(room).max(1);
    let memory_budget = opts.budget();
    let tree = DeltaTree::build(pack, threads)?;
    let held = AtomicUsize::new(0);
    let roots = tree.roots.iter().rev().map(|&r| Task {
        entry: r,
        depth: 0,
        kind: match tree.headers[r as usize].kind {
            EntryKind::Base(k) => k,
            _ => unreachable!("roots are whole objects"),
        },
        base: None,
    });
    let work = Work {
        state: Mutex::new(WorkState {
            tasks: roots.collect(),
            busy: 0,
            waiting: 0,
        }),
        ready: Condvar::new(),
        failed: AtomicBool::new(false),
    };

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
                        // Done with the base: let it go before deciding
                        // whether this entry's bytes may be held.
                        drop(t.base);
                        let children = tree.children(t.entry);
                        let base = if children.is_empty() {
                            None
                        } else {
                            hold(&mut w.out, held, memory_budget)
                        };
                        work.done(children.iter().map(|&child| Task {
                            entry: child,
                            depth: t.depth + 1,
                            kind: t.kind,
                            base: base.clone(),
                        }));
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
            let header = tree.headers[i];
            let end = tree.end(i);
            Ok(EntryInfo {
                id: tree.ids[i],
                offset,
                header,
                size_in_pack: end - offset,
                crc32: tree.crc32[i],
                kind,
                depth: depth as usize,
                base: match header.kind {
                    EntryKind::Base(_) => None,
                    EntryKind::RefDelta { base } => Some(base),
                    EntryKind::OfsDelta { .. } => Some(tree.ids[tree.parent[i] as usize]),
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_bytes_are_counted_while_held() {
        let held = AtomicUsize::new(0);
        let data = Vec::with_capacity(100);
        held.fetch_add(data.capacity(), Ordering::Relaxed);
        let b = Arc::new(Base { data, held: &held });
        let b2 = Arc::clone(&b);
        drop(b);
        assert_eq!(held.load(Ordering::Relaxed), 100);
        drop(b2);
        assert_eq!(held.load(Ordering::Relaxed), 0);
    }
}
