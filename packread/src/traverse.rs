//! Verifying a whole pack base first: every entry is inflated once, every
//! delta is applied once to its base held in memory, and the delta trees are
//! shared out between threads through one work stack.
//!
//! This is how `git index-pack` resolves deltas, and what makes verifying a
//! pack cheaper than reading its objects one by one (where each read walks
//! its chain and relies on the delta-base cache).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};

use crate::decode::{self, DecodeState};
use crate::delta;
use crate::entry::EntryKind;
use crate::error::{Corruption, Error};
use crate::inflate::inflate_to;
use crate::kind::ObjectKind;
use crate::odb::EntryInfo;
use crate::oid::{HashKind, Hasher, ObjectId};
use crate::pack::{Pack, PackCursors};
use crate::tree::DeltaTree;

/// How to walk a pack.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WalkOptions {
    /// Threads to decode with (at least one).
    pub(crate) threads: usize,
    /// Bytes of decoded bases held for their pending deltas, all threads
    /// together. Past it, a delta's base is decoded again when the delta is
    /// reached instead of being held (slower, but memory stays bounded).
    pub(crate) memory_limit: usize,
    /// Longest delta chain accepted.
    pub(crate) max_chain: usize,
}

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

/// Bytes inflated at a time for objects hashed as they are inflated.
const CHUNK: usize = 64 * 1024;

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
    /// Every entry's facts, by position in offset order: each thread fills
    /// the slots of the entries it checks.
    infos: &'a [OnceLock<EntryInfo>],
}

impl<'a> Worker<'a> {
    /// Decodes and checks the task's entry and records its facts. An entry
    /// with deltas of its own is left whole in `self.out` for them; others
    /// are hashed as they are inflated or patched, never made whole.
    fn run(&mut self, t: &Task<'a>, opts: &WalkOptions) -> Result<(), Error> {
        let (pack, tree) = (self.pack, self.tree);
        let i = t.entry as usize;
        let (offset, pos) = tree.sorted[i];
        let end = tree.sorted.get(i + 1).map_or(pack.data_end(), |&(o, _)| o);
        let h = tree.headers[i];
        let c = &mut self.c;
        if t.depth as usize > opts.max_chain {
            return Err(pack.corrupt(offset, Corruption::DeltaChainTooLong(opts.max_chain)));
        }
        let crc32 = pack.index().crc32_at(&mut c.index, pos)?;
        pack.verify_crc32(c, pos, offset, end)?;
        let z = self.decode.inflater();
        // An entry without deltas of its own is hashed as it is inflated or
        // patched: its bytes are never made whole (a 4 GiB blob is checked
        // with 64 KiB of memory).
        let leaf = tree.children(t.entry).is_empty();
        let mut streamed = None;
        let base_id = match h.kind {
            EntryKind::Base(kind) if leaf => {
                let mut hasher = ObjectId::object_hasher(pack.hash_kind(), kind, h.size);
                let data = offset + u64::from(h.header_len);
                self.chunk.resize(CHUNK, 0);
                inflate_to(
                    z,
                    &mut c.data,
                    data,
                    pack.data_end(),
                    h.size,
                    &mut self.chunk,
                    |p| {
                        hasher.update(p);
                    },
                )
                .map_err(|e| decode::inflate_error(pack, offset, e))?;
                streamed = Some(hasher);
                None
            }
            EntryKind::Base(_) => {
                decode::inflate_entry(pack, c, z, offset, &h, &mut self.out)?;
                None
            }
            EntryKind::OfsDelta { .. } | EntryKind::RefDelta { .. } => {
                decode::inflate_entry(pack, c, z, offset, &h, &mut self.delta)?;
                let p = tree.parent[i];
                let (base_offset, base_pos) = tree.sorted[p as usize];
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
                Some(match h.kind {
                    EntryKind::RefDelta { base } => base,
                    _ => pack.index().oid_at(&mut c.index, base_pos)?,
                })
            }
        };
        let id = pack.index().oid_at(&mut c.index, pos)?;
        let actual = match streamed {
            Some(h) => h.try_finish(),
            None => ObjectId::compute_checked(pack.hash_kind(), t.kind, &self.out),
        }
        .map_err(|reason| pack.corrupt(offset, reason))?;
        if actual != id {
            return Err(pack.corrupt(
                offset,
                Corruption::HashMismatch {
                    expected: id,
                    actual,
                },
            ));
        }
        let info = EntryInfo {
            id,
            offset,
            header: h,
            size_in_pack: end - offset,
            crc32,
            kind: t.kind,
            depth: t.depth as usize,
            base: base_id,
        };
        // Each entry is one task: its slot is empty.
        let _ = self.infos[i].set(info);
        Ok(())
    }
}

/// Decodes and checks every entry of `pack` (CRC32, inflation, deltas,
/// object ids) and returns their facts in offset order. The error is the
/// first problem a thread met, not necessarily the first in pack order.
pub(crate) fn verify_entries(
    pack: &Pack,
    opts: &WalkOptions,
    progress: &AtomicU64,
) -> Result<Vec<EntryInfo>, Error> {
    // Each thread pins up to two windows (index and data); leave two of the
    // manager's windows for other readers.
    let room = pack.manager().max_file_handles().saturating_sub(2) / 2;
    let threads = opts.threads.min(room).max(1);
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

    let slots: Vec<OnceLock<EntryInfo>> = (0..tree.sorted.len()).map(|_| OnceLock::new()).collect();
    let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (work, tree, held, infos) = (&work, &tree, &held, &slots[..]);
                s.spawn(move || {
                    let mut w = Worker {
                        pack,
                        tree,
                        c: pack.cursors(),
                        decode: DecodeState::new(0, opts.max_chain),
                        delta: Vec::new(),
                        reread: Vec::new(),
                        out: Vec::new(),
                        chunk: Vec::new(),
                        infos,
                    };
                    while let Some(t) = work.next() {
                        if let Err(e) = w.run(&t, opts) {
                            work.fail();
                            return Err(e);
                        }
                        progress.fetch_add(1, Ordering::Relaxed);
                        // Done with the base: let it go before deciding
                        // whether this entry's bytes may be held.
                        drop(t.base);
                        let children = tree.children(t.entry);
                        let base = if children.is_empty() {
                            None
                        } else {
                            hold(&mut w.out, held, opts.memory_limit)
                        };
                        work.done(children.iter().map(|&child| Task {
                            entry: child,
                            depth: t.depth + 1,
                            kind: t.kind,
                            base: base.clone(),
                        }));
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("verification threads don't panic"))
            .collect()
    });
    results.into_iter().collect::<Result<(), Error>>()?;
    slots
        .into_iter()
        .enumerate()
        .map(|(i, info)| {
            info.into_inner()
                .ok_or_else(|| pack.corrupt(tree.sorted[i].0, Corruption::DeltaCycle))
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
