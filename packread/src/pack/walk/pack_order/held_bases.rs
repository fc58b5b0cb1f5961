//! What the pack-order pass keeps in memory between entries: decoded bases
//! waiting for their deltas further on (within a budget, shared read-only
//! with the inflating threads), and big buffers kept for reuse.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use crate::object::ObjectKind;
use crate::pack::walk::tree::DeltaTree;

/// A decoded base, shared between the thread that holds it and the threads
/// that decode other bases from it.
pub(crate) type Shared = Arc<Vec<u8>>;

/// A decoded base waiting for its deltas further on.
struct Held {
    kind: ObjectKind,
    data: Shared,
    /// The next entry that is a delta on it.
    next: u32,
}

/// The held bases as the inflating threads see them, and which run first
/// decodes again each base that was let go (see [`Holding::claim`]).
#[derive(Default)]
pub(crate) struct Seen {
    held: HashMap<u32, (ObjectKind, Shared)>,
    /// Base → the run whose inflating thread decodes it again.
    claims: HashMap<u32, usize>,
}

/// Decoded bases waiting for their deltas, within a budget. When it is
/// full, the base needed furthest ahead goes first (what an optimal cache
/// lets go), so the bases the coming deltas need stay.
///
/// Only the handing-over thread changes it; every change is mirrored in a
/// [`Seen`] behind a lock, where the inflating threads look bases up.
pub(crate) struct Holding<'t, 'p, 's> {
    tree: &'t DeltaTree<'p>,
    budget: usize,
    bytes: usize,
    held: HashMap<u32, Held>,
    /// (the entry that next needs it, the base).
    by_next_use: BTreeSet<(u32, u32)>,
    seen: &'s Mutex<Seen>,
}

impl<'t, 'p, 's> Holding<'t, 'p, 's> {
    pub(crate) fn new(
        tree: &'t DeltaTree<'p>,
        budget: usize,
        seen: &'s Mutex<Seen>,
    ) -> Holding<'t, 'p, 's> {
        Holding {
            tree,
            budget,
            bytes: 0,
            held: HashMap::new(),
            by_next_use: BTreeSet::new(),
            seen,
        }
    }

    /// The held entry `i`.
    pub(crate) fn get(&self, i: u32) -> Option<(ObjectKind, &Shared)> {
        self.held.get(&i).map(|h| (h.kind, &h.data))
    }

    /// The first delta on `base` after entry `after` (children are listed
    /// in offset order).
    pub(crate) fn next_delta(&self, base: u32, after: u32) -> Option<u32> {
        let kids = self.tree.children(base);
        kids.get(kids.partition_point(|&k| k <= after)).copied()
    }

    /// Entry `delta` has used the held `base`: keep it for its next delta,
    /// or let it go.
    pub(crate) fn used(&mut self, base: u32, delta: u32, pool: &Pool) {
        let next = self.next_delta(base, delta);
        let Some(h) = self.held.get_mut(&base) else {
            return;
        };
        self.by_next_use.remove(&(h.next, base));
        if let Some(next) = next {
            h.next = next;
            self.by_next_use.insert((next, base));
        } else {
            self.let_go(base, pool);
        }
    }

    fn let_go(&mut self, base: u32, pool: &Pool) {
        if let Some(h) = self.held.remove(&base) {
            self.bytes -= h.data.capacity();
            lock(self.seen).held.remove(&base);
            if let Ok(data) = Arc::try_unwrap(h.data) {
                pool.give(data);
            }
        }
    }

    /// Entry `i`, just decoded: held if a delta further on needs it and it
    /// is needed sooner than what it would push out.
    pub(crate) fn offer(&mut self, i: u32, kind: ObjectKind, data: Vec<u8>, pool: &Pool) {
        self.offer_after(i, i, kind, data, pool);
    }

    /// Entry `i`, decoded for entry `after`, as [`offer_after`](Self::offer_after)
    /// but copied only if a delta after that needs it.
    pub(crate) fn offer_copy(
        &mut self,
        i: u32,
        after: u32,
        kind: ObjectKind,
        data: &[u8],
        pool: &Pool,
    ) {
        if data.len() > self.budget || self.next_delta(i, after).is_none() {
            return;
        }
        let mut held = pool.take(data.len());
        held.extend_from_slice(data);
        self.offer_after(i, after, kind, held, pool);
    }

    /// Entry `i`, decoded (again) for entry `after`: held if a delta after
    /// that needs it, as [`offer`](Self::offer) decides.
    pub(crate) fn offer_after(
        &mut self,
        i: u32,
        after: u32,
        kind: ObjectKind,
        data: Vec<u8>,
        pool: &Pool,
    ) {
        let size = data.capacity();
        let Some(next) = self.next_delta(i, after).filter(|_| size <= self.budget) else {
            pool.give(data);
            return;
        };
        while self.bytes + size > self.budget {
            match self.by_next_use.last().copied() {
                Some((far, base)) if far > next => {
                    self.by_next_use.remove(&(far, base));
                    self.let_go(base, pool);
                }
                _ => {
                    pool.give(data);
                    return;
                }
            }
        }
        self.bytes += size;
        self.by_next_use.insert((next, i));
        let data = Arc::new(data);
        lock(self.seen).held.insert(i, (kind, Arc::clone(&data)));
        self.held.insert(i, Held { kind, data, next });
    }
}

impl Seen {
    /// The held entry `i`, for an inflating thread.
    pub(crate) fn get(&self, i: u32) -> Option<(ObjectKind, Shared)> {
        self.held
            .get(&i)
            .map(|(kind, data)| (*kind, Arc::clone(data)))
    }

    /// Whether run `run`'s inflating thread should decode `base` again for
    /// a delta of its run: not if `base` is held, nor if an earlier run not
    /// yet handed over (`done` runs are) decodes it (the handing-over thread
    /// then holds it for the later deltas, budget allowing). Records the
    /// claim if so.
    pub(crate) fn claim(&mut self, base: u32, run: usize, done: usize) -> bool {
        if self.held.contains_key(&base) {
            return false;
        }
        match self.claims.get(&base) {
            Some(&r) if r < run && r >= done => false,
            _ => {
                self.claims.insert(base, run);
                true
            }
        }
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
/// [`POOL_BYTES`] are kept, and no more than a quarter of the budget of
/// held bases (a tight memory limit stays tight).
pub(crate) struct Pool(Mutex<Vec<Vec<u8>>>, usize);

impl Pool {
    /// A pool for a pass whose held bases may take `budget` bytes.
    pub(crate) fn new(budget: usize) -> Pool {
        Pool(Mutex::new(Vec::new()), POOL_BYTES.min(budget / 4))
    }

    /// A buffer for `size` bytes: a kept one between `size` and twice it,
    /// or a new one.
    pub(crate) fn take(&self, size: usize) -> Vec<u8> {
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

    /// Keeps `buf` for reuse if it is big and there is room.
    pub(crate) fn give(&self, mut buf: Vec<u8>) {
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

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
