//! Every entry of a pack handed over in offset order (the order of `git
//! cat-file --batch-all-objects --unordered`), decoding each entry once:
//! threads inflate the entries ahead, in runs, and one thread applies the
//! deltas in order, each to its base held from the base's own turn until
//! its last delta's (within a budget; past it, or for a base further on, the
//! base is decoded again from the pack).
//!
//! Reading pack order object by object instead (git's way) inflates a base
//! again whenever the delta-base cache has let it go, and copies every
//! object it makes into the cache in case it is a base.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

use crate::error::{Corruption, Error};
use crate::inflate;
use crate::object::{ObjectId, ObjectKind};
use crate::pack::decode::{self, DecodeState};
use crate::pack::delta;
use crate::pack::entry::EntryKind;
use crate::pack::file::Pack;
use crate::pack::walk::read_ahead::ReadAhead;
use crate::pack::walk::tree::{DeltaTree, ROOT};
use crate::pack::walk::work::threads_for;

/// Inflated bytes per run of entries handed to an inflating thread: a
/// sixteenth of the delta-base budget, at most this (a run ends with the
/// entry that reaches it, however big)...
const RUN_BYTES: u64 = 4 << 20;
/// ... and at least this.
const MIN_RUN_BYTES: u64 = 64 << 10;
/// Entries per run at most.
const RUN_ENTRIES: usize = 512;
/// Runs inflated ahead of the one being handed over, per thread.
const AHEAD_PER_THREAD: usize = 3;

/// A run's entries as inflated, up to the first that failed, and their ids
/// (looked up by the inflating thread, in index order: the handing-over
/// thread, which every entry waits for, then reads no index).
///
/// The entries lie one after the other in one buffer, kept for the next
/// runs: one buffer per entry, allocated by one thread and freed by another
/// at another time, left the allocator's heaps holding 40-50 MB more than
/// was in use on git.git.
struct InflatedRun {
    /// The entries' bytes, one after the other.
    bytes: Vec<u8>,
    /// Where each entry inflated ends in `bytes`.
    ends: Vec<usize>,
    /// Why the entry after those in `ends` could not be inflated.
    failed: Option<Error>,
    ids: Vec<Result<ObjectId, Error>>,
}

/// Where [`in_offset_order`] stopped: every entry before `offset` was handed
/// over, the one there failed.
#[derive(Debug)]
pub struct StoppedAt {
    /// The offset of the entry that failed (the first of the pack if the
    /// pack's delta trees could not be built).
    pub offset: u64,
    /// Why.
    pub error: Error,
}

impl std::fmt::Display for StoppedAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stopped at the entry at offset {}: {}",
            self.offset, self.error
        )
    }
}

impl std::error::Error for StoppedAt {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// A decoded base waiting for its deltas further on.
struct Held {
    kind: ObjectKind,
    data: Vec<u8>,
    /// The next entry that is a delta on it.
    next: u32,
}

/// Decoded bases waiting for their deltas, within a budget. When it is
/// full, the base needed furthest ahead goes first (what an optimal cache
/// lets go), so the bases the coming deltas need stay.
struct Holding<'t, 'p> {
    tree: &'t DeltaTree<'p>,
    budget: usize,
    bytes: usize,
    held: HashMap<u32, Held>,
    /// (the entry that next needs it, the base).
    by_next_use: BTreeSet<(u32, u32)>,
}

impl Holding<'_, '_> {
    /// The first delta on `base` after entry `after` (children are listed
    /// in offset order).
    fn next_delta(&self, base: u32, after: u32) -> Option<u32> {
        let kids = self.tree.children(base);
        kids.get(kids.partition_point(|&k| k <= after)).copied()
    }

    /// Entry `delta` has used the held `base`: keep it for its next delta,
    /// or let it go.
    fn used(&mut self, base: u32, delta: u32, pool: &Pool) {
        let next = self.next_delta(base, delta);
        let Some(h) = self.held.get_mut(&base) else {
            return;
        };
        self.by_next_use.remove(&(h.next, base));
        if let Some(next) = next {
            h.next = next;
            self.by_next_use.insert((next, base));
        } else if let Some(h) = self.held.remove(&base) {
            self.bytes -= h.data.capacity();
            pool.give(h.data);
        }
    }

    /// Entry `i`, just decoded: held if a delta further on needs it and it
    /// is needed sooner than what it would push out.
    fn offer(&mut self, i: u32, kind: ObjectKind, data: Vec<u8>, pool: &Pool) {
        self.offer_after(i, i, kind, data, pool);
    }

    /// Entry `i`, just decoded, as [`offer`](Self::offer) but copied only
    /// if a delta further on needs it.
    fn offer_copy(&mut self, i: u32, kind: ObjectKind, data: &[u8], pool: &Pool) {
        if data.len() > self.budget || self.next_delta(i, i).is_none() {
            return;
        }
        let mut held = pool.take(data.len());
        held.extend_from_slice(data);
        self.offer(i, kind, held, pool);
    }

    /// Entry `i`, decoded (again) for entry `after`: held if a delta after
    /// that needs it, as [`offer`](Self::offer) decides.
    fn offer_after(&mut self, i: u32, after: u32, kind: ObjectKind, data: Vec<u8>, pool: &Pool) {
        let size = data.capacity();
        let Some(next) = self.next_delta(i, after).filter(|_| size <= self.budget) else {
            pool.give(data);
            return;
        };
        while self.bytes + size > self.budget {
            match self.by_next_use.last().copied() {
                Some((far, base)) if far > next => {
                    self.by_next_use.remove(&(far, base));
                    if let Some(h) = self.held.remove(&base) {
                        self.bytes -= h.data.capacity();
                        pool.give(h.data);
                    }
                }
                _ => {
                    pool.give(data);
                    return;
                }
            }
        }
        self.bytes += size;
        self.by_next_use.insert((next, i));
        self.held.insert(i, Held { kind, data, next });
    }
}

/// Buffers of at least this many bytes are kept for reuse (smaller ones
/// come from the allocator's heap without page faults).
const POOLED: usize = 64 << 10;

/// Bytes of buffers kept for reuse at most.
const POOL_BYTES: usize = 32 << 20;

/// Big buffers handed back, for entries of about their size: a buffer of
/// megabytes allocated anew costs a page fault per page, and one kept for
/// any entry at all would hold its megabytes for a few bytes. At most
/// [`POOL_BYTES`] are kept, and no more than a quarter of the budget of held bases
/// (a tight memory limit stays tight).
struct Pool(Mutex<Vec<Vec<u8>>>, usize);

impl Pool {
    /// A buffer for `size` bytes: a kept one between `size` and twice it,
    /// or a new one.
    fn take(&self, size: usize) -> Vec<u8> {
        if size >= POOLED {
            let mut kept = lock(&self.0);
            if let Some(k) = kept
                .iter()
                .position(|b| b.capacity() >= size && b.capacity() <= 2 * size)
            {
                return kept.swap_remove(k);
            }
        }
        Vec::new()
    }

    fn give(&self, mut buf: Vec<u8>) {
        if buf.capacity() >= POOLED {
            buf.clear();
            let mut kept = lock(&self.0);
            let bytes: usize = kept.iter().map(Vec::capacity).sum();
            if kept.len() < 16 && bytes + buf.capacity() <= self.1 {
                kept.push(buf);
            }
        }
    }
}

/// The runs' inflating threads and the handing-over thread share this.
struct Gate {
    /// Runs handed over completely.
    done: Mutex<usize>,
    moved: Condvar,
    stop: AtomicBool,
}

/// Hands every entry of `pack` to `each` in offset order
/// with its offset, its id as the index lists it, its kind and bytes;
/// `threads` threads inflate, the calling thread applies deltas and calls
/// `each`. `Ok(false)` if `each` stopped it.
pub(crate) fn in_offset_order(
    pack: &Pack,
    threads: usize,
    budget: usize,
    max_chain: usize,
    mut each: impl FnMut(u64, &ObjectId, ObjectKind, &[u8]) -> bool,
) -> Result<bool, StoppedAt> {
    let threads = threads_for(pack, threads);
    let first = PACK_START;
    let tree = DeltaTree::build_lean(pack, threads).map_err(|error| StoppedAt {
        offset: first,
        error,
    })?;
    let n = tree.sorted.len();
    // Runs of entries: about `run_bytes` of output each.
    let run_bytes = (budget as u64 / 16).clamp(MIN_RUN_BYTES, RUN_BYTES);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let (mut start, mut bytes) = (0usize, 0u64);
    for i in 0..n {
        bytes = bytes.saturating_add(tree.size(i));
        if bytes >= run_bytes || i + 1 - start >= RUN_ENTRIES || i + 1 == n {
            runs.push((start, i + 1));
            start = i + 1;
            bytes = 0;
        }
    }
    let gate = Gate {
        done: Mutex::new(0),
        moved: Condvar::new(),
        stop: AtomicBool::new(false),
    };
    let next_run = Mutex::new(0usize);
    let ahead = AHEAD_PER_THREAD * threads;
    let pool = Pool(Mutex::new(Vec::new()), POOL_BYTES.min(budget / 4));
    // On one thread, no inflating thread: the runs are inflated as they are
    // needed, between the hand-overs (no waiting on another thread).
    let inflaters = if threads == 1 { 0 } else { threads };
    std::thread::scope(|s| {
        let (send, receive) = mpsc::channel::<(usize, InflatedRun)>();
        for _ in 0..inflaters {
            let send = send.clone();
            let (tree, runs, gate, next_run, pool) = (&tree, &runs, &gate, &next_run, &pool);
            s.spawn(move || {
                let mut c = pack.cursors();
                let mut st = DecodeState::new(0, max_chain);
                loop {
                    let r = {
                        let mut next = lock(next_run);
                        let mut done = lock(&gate.done);
                        while *next >= *done + ahead && !gate.stop.load(Ordering::Relaxed) {
                            done = gate
                                .moved
                                .wait(done)
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                        }
                        if gate.stop.load(Ordering::Relaxed) || *next >= runs.len() {
                            return;
                        }
                        *next += 1;
                        *next - 1
                    };
                    let out = inflate_run(pack, tree, runs[r], (&mut c, &mut st), pool);
                    // Let go of the windows while waiting for the next run.
                    c.release();
                    if send.send((r, out)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(send);
        let mut arrived: BTreeMap<usize, InflatedRun> = BTreeMap::new();
        let (mut c, mut st) = (pack.cursors(), DecodeState::new(0, max_chain));
        let mut fetch = |r: usize| loop {
            if inflaters == 0 {
                return Some(inflate_run(pack, &tree, runs[r], (&mut c, &mut st), &pool));
            }
            if let Some(v) = arrived.remove(&r) {
                return Some(v);
            }
            // The inflating threads send every run until stopped: only
            // a thread that died could leave one unsent.
            let (k, v) = receive.recv().ok()?;
            arrived.insert(k, v);
        };
        let result = hand_over(
            pack,
            &tree,
            &runs,
            &mut fetch,
            &gate,
            &pool,
            (budget, max_chain),
            &mut each,
        );
        gate.stop.store(true, Ordering::Relaxed);
        {
            let _done = lock(&gate.done);
            gate.moved.notify_all();
        }
        drop(receive);
        result
    })
}

/// Inflates the entries `from..to` (positions in offset order), up to the
/// first that fails, and looks up their ids.
fn inflate_run(
    pack: &Pack,
    tree: &DeltaTree<'_>,
    (from, to): (usize, usize),
    (c, st): (&mut crate::pack::file::PackCursors, &mut DecodeState),
    pool: &Pool,
) -> InflatedRun {
    let (bytes, ends, failed) = inflate_entries(pack, tree, (from, to), (c, st), pool);
    InflatedRun {
        bytes,
        ends,
        failed,
        ids: ids_of(pack, tree, (from, to), c),
    }
}

/// The ids of the entries `from..to`, read in index order: neighbours in
/// the pack lie anywhere in the index, and in its order, ids in one window
/// of the index are read one after the other.
fn ids_of(
    pack: &Pack,
    tree: &DeltaTree<'_>,
    (from, to): (usize, usize),
    c: &mut crate::pack::file::PackCursors,
) -> Vec<Result<ObjectId, Error>> {
    let mut by_position: Vec<(u32, usize)> =
        (from..to).map(|i| (tree.sorted[i].1, i - from)).collect();
    by_position.sort_unstable();
    let mut ids: Vec<Option<Result<ObjectId, Error>>> = (from..to).map(|_| None).collect();
    for (position, k) in by_position {
        ids[k] = Some(pack.index().oid_at(c.index_cursor(), position));
    }
    ids.into_iter().flatten().collect()
}

/// Inflates the entries `from..to` (positions in offset order), up to the
/// first that fails, one after the other into one buffer; returns it, where
/// each entry ends in it, and the error.
fn inflate_entries(
    pack: &Pack,
    tree: &DeltaTree<'_>,
    (from, to): (usize, usize),
    (c, st): (&mut crate::pack::file::PackCursors, &mut DecodeState),
    pool: &Pool,
) -> (Vec<u8>, Vec<usize>, Option<Error>) {
    // Runs hold up to about RUN_BYTES; a run past twice that (a big
    // object's) grows as its entries are checked and inflated.
    let total = (from..to).fold(0u64, |sum, i| sum.saturating_add(tree.size(i)));
    let want = usize::try_from(total.min(2 * RUN_BYTES)).unwrap_or(0);
    let mut bytes = pool.take(want);
    // Failing here, the entries' own reservations say which one is too big.
    let _ = bytes.try_reserve_exact(want);
    let mut ends = Vec::with_capacity(to - from);
    for i in from..to {
        let (offset, _) = tree.sorted[i];
        let inflated = decode::inflate_entry_onto(
            pack,
            c,
            st.inflater(),
            (offset, tree.end(i)),
            &tree.header(i),
            &mut bytes,
        );
        if let Err(e) = inflated {
            return (bytes, ends, Some(e));
        }
        ends.push(bytes.len());
    }
    (bytes, ends, None)
}

/// The offset of a pack's first entry.
const PACK_START: u64 = crate::pack::file::PACK_HEADER_LEN;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Decodes entry `p` into `out` from the nearest of its bases that is held
/// (or in the small cache `st` keeps, or else from the whole object at the
/// bottom of its chain), applying the deltas between. Returns `None` if the
/// chain is longer than [`ANCESTORS`].
///
/// These entries lie behind the inflating threads, anywhere in the pack:
/// they are read without mapping windows for them (see
/// [`inflate_unmapped`]).
fn from_held_ancestor(
    pack: &Pack,
    tree: &DeltaTree<'_>,
    holding: &Holding<'_, '_>,
    p: u32,
    (c, st): (&mut crate::pack::file::PackCursors, &mut DecodeState),
    out: &mut Vec<u8>,
    (delta_buf, next, ahead): &mut (Vec<u8>, Vec<u8>, ReadAhead),
) -> Result<Option<ObjectKind>, Error> {
    let mut chain = Vec::new();
    let mut a = p;
    let (kind, held) = loop {
        if let Some(h) = holding.held.get(&a) {
            break (h.kind, Some(&h.data));
        }
        let offset = tree.sorted[a as usize].0;
        if let Some((kind, data)) = st.cache.get(0, offset) {
            out.clear();
            out.extend_from_slice(data);
            break (kind, None);
        }
        let up = tree.parent(a as usize);
        if up == ROOT {
            let EntryKind::Base(kind) = tree.header(a as usize).kind else {
                unreachable!("roots are whole objects")
            };
            inflate_unmapped(pack, tree, a as usize, (c, st), ahead, out)?;
            if !chain.is_empty() {
                // A base for more deltas, as `read_object` keeps it.
                st.cache.put(0, offset, kind, out);
            }
            break (kind, None);
        }
        if chain.len() >= ANCESTORS {
            return Ok(None);
        }
        chain.push(a);
        a = up;
    };
    let mut first = true;
    for &e in chain.iter().rev() {
        inflate_unmapped(pack, tree, e as usize, (c, st), ahead, delta_buf)?;
        let base: &[u8] = match held {
            Some(h) if first => h,
            _ => out,
        };
        let offset = tree.sorted[e as usize].0;
        delta::apply_delta(base, delta_buf, next).map_err(|reason| pack.corrupt(offset, reason))?;
        std::mem::swap(out, next);
        first = false;
    }
    if held.is_none() && !chain.is_empty() {
        // As `read_object` keeps it.
        st.cache.put(0, tree.sorted[p as usize].0, kind, out);
    }
    Ok(Some(kind))
}

/// Bytes read at once from the pack file, from an entry on, for the entries
/// [`inflate_unmapped`] reads: a chain's entries mostly lie close together.
const READ_AHEAD: usize = 16 << 10;

/// Inflates entry `e` into `out` from a window if one is mapped over its
/// stream, else from bytes read from the file (at least [`READ_AHEAD`] of
/// them, kept in `ahead` for the next entries). These entries lie behind
/// the inflating threads, anywhere in the pack: under a mapped-memory
/// limit, a window mapped for one entry far back costs more than a read,
/// and then another window's unmapping, which stops every core running the
/// process to flush its TLB.
fn inflate_unmapped(
    pack: &Pack,
    tree: &DeltaTree<'_>,
    e: usize,
    (c, st): (&mut crate::pack::file::PackCursors, &mut DecodeState),
    ahead: &mut ReadAhead,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let offset = tree.sorted[e].0;
    let h = tree.header(e);
    let size = decode::prepare(pack, offset, &h, out)?;
    let at = offset + u64::from(h.header_len);
    let end = tree.end(e);
    let len = usize::try_from(end.saturating_sub(at))
        .map_err(|_| pack.corrupt(offset, Corruption::ObjectTooLarge(h.size)))?;
    let cursor = c.data_cursor();
    let stream = if cursor.use_mapped_region(at, len).map_err(Error::Map)? {
        // The window holds the stream whole (the cursor's `buffer()` may be
        // shorter: a window-size request).
        let window = cursor.window_at(at).map_err(Error::Map)?;
        &window[..len.min(window.len())]
    } else {
        if !ahead.holds(at, len) {
            let want = len
                .max(READ_AHEAD)
                .min(usize::try_from(pack.data_end().saturating_sub(at)).unwrap_or(usize::MAX))
                .max(len);
            ahead.read(cursor, at, want)?;
        }
        // After a read, `ahead` starts at `at`, and holds less than the
        // stream only if the file was cut since (the stream then ends early).
        ahead.held(at, len).unwrap_or_default()
    };
    let inflated = inflate::inflate_slice(st.inflater(), stream, out, size)
        .map_err(|reason| pack.corrupt(offset, reason));
    if ahead.capacity() > 4 * READ_AHEAD {
        // A big object's stream: not kept for the rest of the walk.
        *ahead = ReadAhead::default();
    }
    inflated
}

/// The largest buffer kept for objects made from deltas that no later delta
/// needs (a bigger one goes back to the pool).
const LEAF_KEPT: usize = 1 << 20;

/// How far up a chain [`from_held_ancestor`] looks for a held base.
const ANCESTORS: usize = 64;

/// The handing-over thread: takes the inflated runs in order, applies each
/// delta to its held base, calls `each`, holds what later deltas need.
#[allow(clippy::too_many_arguments)]
fn hand_over(
    pack: &Pack,
    tree: &DeltaTree<'_>,
    runs: &[(usize, usize)],
    fetch: &mut dyn FnMut(usize) -> Option<InflatedRun>,
    gate: &Gate,
    pool: &Pool,
    (budget, max_chain): (usize, usize),
    each: &mut impl FnMut(u64, &ObjectId, ObjectKind, &[u8]) -> bool,
) -> Result<bool, StoppedAt> {
    let mut holding = Holding {
        tree,
        budget,
        bytes: 0,
        held: HashMap::new(),
        by_next_use: BTreeSet::new(),
    };
    let mut c = pack.cursors();
    // For bases decoded again: a small cache of its own.
    let mut st = DecodeState::new(budget / 8, max_chain);
    let mut reread = Vec::new();
    let mut scratch = (Vec::new(), Vec::new(), ReadAhead::default());
    // Objects made from deltas that no later delta needs: made in one
    // buffer, again and again.
    let mut leaf = Vec::new();
    for (r, &(from, _)) in runs.iter().enumerate() {
        let Some(inflated) = fetch(r) else {
            return Err(StoppedAt {
                offset: tree.sorted[from].0,
                error: Error::Io {
                    path: pack.data_path().to_owned(),
                    source: std::io::Error::other("an inflating thread ended early"),
                },
            });
        };
        let InflatedRun {
            bytes,
            ends,
            failed,
            ids,
        } = inflated;
        let mut start = 0;
        for (k, (&end, id)) in ends.iter().zip(ids).enumerate() {
            let i = from + k;
            let raw = &bytes[start..end];
            start = end;
            let offset = tree.sorted[i].0;
            let stopped = |error| StoppedAt { offset, error };
            let id = id.map_err(stopped)?;
            if let EntryKind::Base(kind) = tree.header(i).kind {
                if !each(offset, &id, kind, raw) {
                    return Ok(false);
                }
                holding.offer_copy(i as u32, kind, raw, pool);
                continue;
            }
            let p = tree.parent(i);
            debug_assert_ne!(p, ROOT);
            let base_of_more = holding.next_delta(i as u32, i as u32).is_some();
            let mut out = if base_of_more {
                let made = delta::sizes(raw).map_or(0, |(_, made, _)| made);
                pool.take(usize::try_from(made).unwrap_or(0))
            } else {
                std::mem::take(&mut leaf)
            };
            let kind = if let Some(b) = holding.held.get(&p) {
                delta::apply_delta(&b.data, raw, &mut out)
                    .map_err(|reason| stopped(pack.corrupt(offset, reason)))?;
                let kind = b.kind;
                holding.used(p, i as u32, pool);
                kind
            } else {
                let held_above = from_held_ancestor(
                    pack,
                    tree,
                    &holding,
                    p,
                    (&mut c, &mut st),
                    &mut reread,
                    &mut scratch,
                )
                .map_err(stopped)?;
                let kind = if let Some(kind) = held_above {
                    kind
                } else {
                    let base_offset = tree.sorted[p as usize].0;
                    decode::read_object(pack, 0, &mut c, &mut st, base_offset, &mut reread)
                        .map_err(stopped)?
                        .kind
                };
                delta::apply_delta(&reread, raw, &mut out)
                    .map_err(|reason| stopped(pack.corrupt(offset, reason)))?;
                // Its other deltas further on take it from here
                // rather than decoding it again each.
                if holding.next_delta(p, i as u32).is_some() {
                    let again = std::mem::take(&mut reread);
                    holding.offer_after(p, i as u32, kind, again, pool);
                }
                kind
            };
            if !each(offset, &id, kind, &out) {
                return Ok(false);
            }
            if base_of_more {
                holding.offer(i as u32, kind, out, pool);
            } else if out.capacity() <= LEAF_KEPT {
                leaf = out;
            } else {
                pool.give(out);
            }
        }
        if let Some(error) = failed {
            let offset = tree.sorted[from + ends.len()].0;
            return Err(StoppedAt { offset, error });
        }
        pool.give(bytes);
        *lock(&gate.done) = r + 1;
        gate.moved.notify_all();
    }
    Ok(true)
}
