//! Every entry of a pack handed over in offset order (the order of `git
//! cat-file --batch-all-objects --unordered`), decoding each entry once:
//! threads inflate the entries ahead, in runs, and one thread applies the
//! deltas in order, each to its base held from the base's own turn until
//! its last delta's (within a budget; past it, or for a base in another
//! pack's order, the base is decoded again from the pack, mostly by the
//! inflating threads ahead: see `redecode.rs`).
//!
//! Reading pack order object by object instead (git's way) inflates a base
//! again whenever the delta-base cache has let it go, and copies every
//! object it makes into the cache in case it is a base.

pub(crate) mod held_bases;
pub(crate) mod redecode;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};

use crate::error::Error;
use crate::object::{ObjectId, ObjectKind};
use crate::pack::decode::{self, DecodeState};
use crate::pack::delta;
use crate::pack::entry::EntryKind;
use crate::pack::file::{Pack, PackCursors};
use crate::pack::walk::read_ahead::{
    PASS_READ, Reach, ReadAhead, inflate_read_onto, reads_instead,
};
use crate::pack::walk::tree::{DeltaTree, ROOT};
use crate::pack::walk::work_stack::threads_for;
use held_bases::{Holding, Pool, Seen, lock};
use redecode::{Ready, Scratch, decode_ahead, from_held_ancestor};

/// Inflated bytes per run of entries handed to an inflating thread: a
/// sixteenth of the delta-base budget, at most this (a run ends with the
/// entry that reaches it, however big)...
const RUN_BYTES: u64 = 4 << 20;
/// ... and at least this.
const MIN_RUN_BYTES: u64 = 64 << 10;
/// Entries per run at most.
const RUN_ENTRIES: usize = 512;
/// Runs inflated ahead of the one being handed over, per thread.
const AHEAD_PER_THREAD: usize = 2;

/// A run's entries as inflated, up to the first that failed, and their ids
/// (looked up by the inflating thread, in index order: the handing-over
/// thread, which every entry waits for, then reads no index).
///
/// The entries lie one after the other in one buffer, kept for the next
/// runs: one buffer per entry, allocated by one thread and freed by another
/// at another time, left the allocator's heaps holding 40-50 MB more than
/// was in use on git.git.
struct InflatedRun {
    /// The entries' bytes, one after the other, and after them the bases
    /// in `ready`.
    bytes: Vec<u8>,
    /// Where each entry inflated ends in `bytes`.
    ends: Vec<usize>,
    /// Why the entry after those in `ends` could not be inflated.
    failed: Option<Error>,
    ids: Vec<Result<ObjectId, Error>>,
    /// Bases the handing-over thread let go, decoded again for this run's
    /// deltas.
    ready: Vec<Ready>,
}

/// Where [`in_offset_order`] stopped: every entry before `offset` was handed
/// over, the one there failed.
#[derive(Debug)]
pub(crate) struct StoppedAt {
    /// The offset of the entry that failed (the first of the pack if the
    /// pack's delta trees could not be built).
    pub(crate) offset: u64,
    /// Why.
    pub(crate) error: Error,
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
    // Runs of entries: about `run_bytes` of output each.
    let run_bytes = (budget as u64 / 16).clamp(MIN_RUN_BYTES, RUN_BYTES);
    let runs = runs_of(&tree, run_bytes);
    let gate = Gate {
        done: Mutex::new(0),
        moved: Condvar::new(),
        stop: AtomicBool::new(false),
    };
    let next_run = Mutex::new(0usize);
    let ahead = AHEAD_PER_THREAD * threads;
    let pool = Pool::new(budget);
    let run_buffers = Mutex::new(Vec::new());
    let seen = Mutex::new(Seen::default());
    // On one thread, no inflating thread: the runs are inflated as they are
    // needed, between the hand-overs (no waiting on another thread).
    let inflaters = if threads == 1 { 0 } else { threads };
    let pass = Pass {
        pack,
        tree: &tree,
        runs: &runs,
        gate: &gate,
        pool: &pool,
        run_buffers: &run_buffers,
        seen: &seen,
        // On one thread nothing is gained by decoding ahead (the same
        // thread hands over), and the bases would be copied twice more.
        ready_cap: if inflaters == 0 {
            0
        } else {
            usize::try_from(run_bytes / 4).unwrap_or(usize::MAX)
        },
        reads: reads_instead(pack),
    };
    std::thread::scope(|s| {
        let (send, receive) = mpsc::channel::<(usize, InflatedRun)>();
        for _ in 0..inflaters {
            let send = send.clone();
            let (pass, next_run) = (&pass, &next_run);
            s.spawn(move || inflate_runs(pass, next_run, ahead, max_chain, &send));
        }
        drop(send);
        let mut arrived: BTreeMap<usize, InflatedRun> = BTreeMap::new();
        let (mut c, mut st) = (pack.cursors(), DecodeState::new(0, max_chain));
        let (mut scratch, mut reads) = (Scratch::default(), ReadAhead::default());
        let mut fetch = |r: usize| loop {
            if inflaters == 0 {
                let buffers = (&mut scratch, &mut reads);
                return Some(pass.inflate_run(r, (&mut c, &mut st), buffers));
            }
            if let Some(v) = arrived.remove(&r) {
                return Some(v);
            }
            // The inflating threads send every run until stopped: only
            // a thread that died could leave one unsent.
            let (k, v) = receive.recv().ok()?;
            arrived.insert(k, v);
        };
        let result = hand_over(&pass, &mut fetch, (budget, max_chain), &mut each);
        gate.stop.store(true, Ordering::Relaxed);
        {
            let _done = lock(&gate.done);
            gate.moved.notify_all();
        }
        drop(receive);
        result
    })
}

/// What the inflating threads and the handing-over thread share.
struct Pass<'a, 'p> {
    pack: &'p Pack,
    tree: &'a DeltaTree<'p>,
    /// Every run's entries, `from..to` in offset order.
    runs: &'a [(usize, usize)],
    gate: &'a Gate,
    pool: &'a Pool,
    /// The runs' buffers, handed back after each run and kept until the
    /// pass ends. Freed and allocated anew instead (through the pool), they
    /// left the process 20 MB bigger on git.git: glibc raises its
    /// threshold for mapping a block of its own whenever such a block is
    /// freed, and the blocks of megabytes allocated after that fragment
    /// its heaps.
    run_buffers: &'a Mutex<Vec<Vec<u8>>>,
    seen: &'a Mutex<Seen>,
    /// Bytes of bases decoded again per run at most.
    ready_cap: usize,
    /// Whether the entries are read from the file rather than mapped.
    reads: bool,
}

impl Pass<'_, '_> {
    /// Inflates the entries of run `r`, up to the first that fails, looks
    /// up their ids, and decodes again the bases its deltas need that the
    /// handing-over thread has let go.
    fn inflate_run(
        &self,
        r: usize,
        (c, st): (&mut PackCursors, &mut DecodeState),
        (scratch, reads): (&mut Scratch, &mut ReadAhead),
    ) -> InflatedRun {
        let (from, to) = self.runs[r];
        let (mut bytes, ends, failed) = inflate_entries(self, (from, to), (c, st), reads);
        let done = *lock(&self.gate.done);
        let passed = self.runs.get(done).map_or(usize::MAX, |run| run.0);
        let ready = decode_ahead(
            self.pack,
            self.tree,
            (r, from, from + ends.len()),
            (passed, done),
            self.seen,
            (c, st),
            scratch,
            (&mut bytes, self.ready_cap),
        );
        InflatedRun {
            bytes,
            ends,
            failed,
            ids: ids_of(self.pack, self.tree, (from, to), c),
            ready,
        }
    }
}

/// The ids of the entries `from..to`, read in index order: neighbours in
/// the pack lie anywhere in the index, and in its order, ids in one window
/// of the index are read one after the other.
fn ids_of(
    pack: &Pack,
    tree: &DeltaTree<'_>,
    (from, to): (usize, usize),
    c: &mut PackCursors,
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
/// each entry ends in it, and the error. Through windows too small to map
/// for the pass, streams up to [`PASS_READ`] long are inflated from bytes
/// read into `reads` (see [`reads_instead`]).
fn inflate_entries(
    pass: &Pass<'_, '_>,
    (from, to): (usize, usize),
    (c, st): (&mut PackCursors, &mut DecodeState),
    reads: &mut ReadAhead,
) -> (Vec<u8>, Vec<usize>, Option<Error>) {
    let (pack, tree) = (pass.pack, pass.tree);
    // Runs hold up to about RUN_BYTES; a run past twice that (a big
    // object's) grows as its entries are checked and inflated.
    let total = (from..to).fold(0u64, |sum, i| sum.saturating_add(tree.size(i)));
    let want = usize::try_from(total.min(2 * RUN_BYTES)).unwrap_or(0);
    let mut bytes = lock(pass.run_buffers).pop().unwrap_or_default();
    // Failing here, the entries' own reservations say which one is too big.
    let _ = bytes.try_reserve(want);
    let mut ends = Vec::with_capacity(to - from);
    for i in from..to {
        let (offset, _) = tree.sorted[i];
        let h = tree.header(i);
        let stream = tree.end(i).saturating_sub(offset + u64::from(h.header_len));
        let inflated = if pass.reads && stream <= PASS_READ as u64 {
            let reads = (&mut *reads, Reach::Pass);
            inflate_read_onto(pack, (offset, &h, tree.end(i)), (c, st), reads, &mut bytes)
        } else {
            decode::inflate_entry(
                pack,
                c,
                st.inflater(),
                (offset, tree.end(i)),
                &h,
                &mut bytes,
            )
            .map(|_| ())
        };
        if let Err(e) = inflated {
            return (bytes, ends, Some(e));
        }
        ends.push(bytes.len());
    }
    (bytes, ends, None)
}

/// The pack's entries (in offset order) cut into runs of about `run_bytes`
/// of output and at most `RUN_ENTRIES` entries: `(first, end)` of each.
fn runs_of(tree: &DeltaTree, run_bytes: u64) -> Vec<(usize, usize)> {
    let n = tree.sorted.len();
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0usize, 0u64);
    for i in 0..n {
        bytes = bytes.saturating_add(tree.size(i));
        if bytes >= run_bytes || i + 1 - start >= RUN_ENTRIES || i + 1 == n {
            runs.push((start, i + 1));
            start = i + 1;
            bytes = 0;
        }
    }
    runs
}

/// An inflating thread: takes the next run (at most `ahead` runs ahead of
/// the last one handed over), inflates it and sends it, until every run is
/// taken or the pass stops.
fn inflate_runs(
    pass: &Pass<'_, '_>,
    next_run: &Mutex<usize>,
    ahead: usize,
    max_chain: usize,
    send: &mpsc::Sender<(usize, InflatedRun)>,
) {
    let mut c = pass.pack.cursors();
    let mut st = DecodeState::new(0, max_chain);
    let mut scratch = Scratch::default();
    let mut reads = ReadAhead::default();
    loop {
        let r = {
            let mut next = lock(next_run);
            let gate = pass.gate;
            let mut done = lock(&gate.done);
            while *next >= *done + ahead && !gate.stop.load(Ordering::Relaxed) {
                done = gate
                    .moved
                    .wait(done)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if gate.stop.load(Ordering::Relaxed) || *next >= pass.runs.len() {
                return;
            }
            *next += 1;
            *next - 1
        };
        let out = pass.inflate_run(r, (&mut c, &mut st), (&mut scratch, &mut reads));
        // Let go of the windows while waiting for the next run.
        c.release();
        if send.send((r, out)).is_err() {
            return;
        }
    }
}

/// The offset of a pack's first entry.
const PACK_START: u64 = crate::pack::file::PACK_HEADER_LEN;

/// The largest buffer kept for objects made from deltas that no later delta
/// needs (a bigger one goes back to the pool).
const LEAF_KEPT: usize = 1 << 20;

/// The base `p` of a delta, neither held nor decoded ahead, decoded into
/// `reread` from its nearest held ancestor (or the whole object at the
/// bottom of its chain); its kind.
fn decode_again(
    pass: &Pass<'_, '_>,
    holding: &Holding<'_, '_, '_>,
    p: u32,
    cursors: (&mut PackCursors, &mut DecodeState),
    reread: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<ObjectKind, Error> {
    let (pack, tree) = (pass.pack, pass.tree);
    let (c, st) = cursors;
    let held = &mut |a: u32| holding.get(a).map(|(k, d)| (k, Arc::clone(d)));
    if let Some(kind) =
        from_held_ancestor(pack, tree, held, p, (&mut *c, &mut *st), reread, scratch)?
    {
        return Ok(kind);
    }
    let base_offset = tree.sorted[p as usize].0;
    Ok(decode::read_object(pack, 0, c, st, base_offset, reread)?.kind)
}

/// Where the pass stops when an inflating thread died before sending the
/// run that starts at `offset`.
fn ended_early(pack: &Pack, offset: u64) -> StoppedAt {
    let error = std::io::Error::other("an inflating thread ended early");
    StoppedAt {
        offset,
        error: Error::io(pack.data_path(), error),
    }
}

/// The handing-over thread: takes the inflated runs in order, applies each
/// delta to its held base, calls `each`, holds what later deltas need.
fn hand_over(
    pass: &Pass<'_, '_>,
    fetch: &mut dyn FnMut(usize) -> Option<InflatedRun>,
    (budget, max_chain): (usize, usize),
    each: &mut impl FnMut(u64, &ObjectId, ObjectKind, &[u8]) -> bool,
) -> Result<bool, StoppedAt> {
    let (pack, tree, pool) = (pass.pack, pass.tree, pass.pool);
    let mut holding = Holding::new(tree, budget, pass.seen);
    let mut c = pack.cursors();
    // For bases neither held nor decoded ahead: a small cache of its own
    // (the inflating threads keep none: one did not make them faster).
    let mut st = DecodeState::new(budget / 16, max_chain);
    let mut reread = Vec::new();
    let mut scratch = Scratch::default();
    // Objects made from deltas that no later delta needs: made in one
    // buffer, again and again.
    let mut leaf = Vec::new();
    for (r, &(from, to)) in pass.runs.iter().enumerate() {
        // The inflating threads send every run until stopped: only a
        // thread that died could leave one unsent.
        let Some(inflated) = fetch(r) else {
            return Err(ended_early(pack, tree.sorted[from].0));
        };
        let InflatedRun {
            mut bytes,
            ends,
            failed,
            ids,
            mut ready,
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
                holding.offer_copy(i as u32, i as u32, kind, raw, pool);
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
            let kind = if let Some((kind, b)) = holding.get(p) {
                delta::apply_delta(b, raw, &mut out)
                    .map_err(|reason| stopped(pack.corrupt(offset, reason)))?;
                holding.used(p, i as u32, pool);
                kind
            } else if let Some(k) = ready.iter().position(|b| b.base == p) {
                let (kind, base) = (ready[k].kind, &bytes[ready[k].at.clone()]);
                delta::apply_delta(base, raw, &mut out)
                    .map_err(|reason| stopped(pack.corrupt(offset, reason)))?;
                // Kept in the run for its next delta there, else held for
                // the deltas further on.
                let next = holding.next_delta(p, i as u32);
                if next.is_none_or(|n| n as usize >= to) {
                    holding.offer_copy(p, i as u32, kind, base, pool);
                    ready.swap_remove(k);
                }
                kind
            } else {
                let kind = decode_again(
                    pass,
                    &holding,
                    p,
                    (&mut c, &mut st),
                    &mut reread,
                    &mut scratch,
                )
                .map_err(stopped)?;
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
        bytes.clear();
        lock(pass.run_buffers).push(bytes);
        *lock(&pass.gate.done) = r + 1;
        pass.gate.moved.notify_all();
    }
    Ok(true)
}
