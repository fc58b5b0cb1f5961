//! The delta-base cache: objects recently made from deltas, kept as bases
//! for the deltas read next, bounded in bytes (git's
//! `core.deltaBaseCacheLimit`). Two classes ([`Worth`]): the objects made
//! for a reader go first, least recently used first; the whole objects
//! under chains (and trees on chains, for walks) only when none is left.
//! Objects made are cached only while reads come back to enough of them
//! to pay for their copies ([`Admission`]).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use crate::cheap_hash::CheapHasher;
use crate::object::ObjectKind;

/// git's default `core.deltaBaseCacheLimit`: 96 MiB.
pub const DEFAULT_DELTA_BASE_CACHE_LIMIT: usize = 96 * 1024 * 1024;

/// The default limit of readers that diff trees along history (see
/// [`Reader::keep_tree_bases`](crate::Reader::keep_tree_bases)): 16 MiB.
/// Their reuse lies close by, in the trees of neighbouring commits, and
/// every cache byte is fresh memory the first time it is filled (a page
/// fault each 4 KiB): measured against 96 MiB on git.git and rails,
/// path-limited walks and `diff-tree --stdin` ran 8-17 % faster, as fast
/// as with 8 MiB; 2 MiB lost some of it again.
pub const HISTORY_DELTA_BASE_CACHE_LIMIT: usize = 16 * 1024 * 1024;

/// The default limit of history readers whose tree reads lie far apart
/// (a walk that changed-path Bloom filters thin out): 1 MiB. Their reads
/// hardly ever find a base cached, and a small cache recycles its memory
/// at once: git.git `rev-list --count HEAD -- README.md` with a graph ran
/// in 31 ms with 16 MiB, 25 with 4, 24 with 1; rails' path rows alike.
pub const SPARSE_HISTORY_DELTA_BASE_CACHE_LIMIT: usize = 1024 * 1024;

/// The default limit of walks that read commits alone (no paths): 1 MiB.
/// Each commit is read once, and the deltas among commits are few and
/// short: git.git `rev-list --all` without a graph peaked at 163 MB of
/// RSS with 64 MiB (git: 150 MB) and at 147 MB with 1 MiB, in the same
/// time.
pub const COMMIT_WALK_DELTA_BASE_CACHE_LIMIT: usize = 1024 * 1024;

/// What a cached object is kept as, which decides what goes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Worth {
    /// An object a read made from deltas: the base of the next delta
    /// only if a later read's chain passes through it.
    Made,
    /// A whole object under a chain, or a tree a chain passes through:
    /// every read through that chain starts from it. Out only when no
    /// [`Made`](Worth::Made) object is left: 20,000 random reads on one
    /// CPU, git.git 0.53 -> 0.49 s, tokio 0.35 -> 0.30 s; tokio's every
    /// object in id order 2.30 -> 2.08 s (pure recency before).
    Base,
}

/// Where no slot is.
const NIL: u32 = u32::MAX;

/// Whether the objects reads make from deltas are worth their copy into
/// the cache, judged by how often reads come back to the cached ones.
///
/// Caching an object made costs a copy of it (into fresh memory while the
/// cache grows) and pays only when a later read's chain passes through it
/// or reads it again. Reads in history order (`git rev-list --objects |
/// git cat-file --batch`, walks reading trees and blobs commit after
/// commit) come back to a fifth of them; reads at random, or of every
/// object by id, hardly ever (git.git, 20,000 at random: 38 uses of
/// 13,172 copies; tokio 303 of 14,574). So objects made are cached while
/// reads come back to at least one in
/// [`MIN_COPIES_PER_USE`](Admission::MIN_COPIES_PER_USE); below that only
/// one in [`SAMPLE`](Admission::SAMPLE) is, and the uses of those alone
/// (cached since the verdict) decide whether to cache them all again: a
/// verdict every [`WINDOW`](Admission::WINDOW) copies (a quarter of that
/// while off: every 2,048 objects offered either way) follows the reads'
/// pattern as it changes.
#[derive(Debug)]
struct Admission {
    /// Whether every object made is cached.
    on: bool,
    /// Copies between verdicts ([`WINDOW`](Admission::WINDOW)).
    window: u32,
    /// Changes of `on` so far: the uses of objects cached before the
    /// last change don't count towards the next verdict.
    era: u32,
    /// Objects made offered since the last verdict.
    offered: u32,
    /// Objects made cached since the last verdict.
    copies: u32,
    /// Uses of objects made cached in this era, since the last verdict.
    uses: u32,
}

impl Admission {
    /// Copies between verdicts.
    const WINDOW: u32 = 256;
    /// While off, one object made in this many is cached all the same.
    /// Each is a copy into fresh memory while the cache fills (page
    /// faults a third of the process's): 20,000 random reads on one CPU,
    /// cargo 0.339 -> 0.317 s, tokio 0.362 -> 0.357 s, git.git level, with
    /// one in 32 rather than 8 (one in 64 no faster).
    const SAMPLE: u32 = 32;
    /// While off, the share of [`WINDOW`](Self::WINDOW) between verdicts.
    const OFF_WINDOW_SHARE: u32 = 4;
    /// Copies per use above which caching objects made stops.
    const MIN_COPIES_PER_USE: u32 = 16;

    fn new() -> Admission {
        Admission {
            on: true,
            window: Self::WINDOW,
            era: 0,
            offered: 0,
            copies: 0,
            uses: 0,
        }
    }

    /// Whether to cache the object made that is offered now.
    fn admit(&mut self) -> bool {
        self.offered = self.offered.wrapping_add(1);
        let admit = self.on || self.offered.is_multiple_of(Self::SAMPLE);
        if admit {
            self.copies += 1;
            let window = if self.on {
                self.window
            } else {
                self.window / Self::OFF_WINDOW_SHARE
            };
            if self.copies >= window {
                let on = self.uses.saturating_mul(Self::MIN_COPIES_PER_USE) >= self.copies;
                if on != self.on {
                    self.era = self.era.wrapping_add(1);
                }
                self.on = on;
                (self.offered, self.copies, self.uses) = (0, 0, 0);
            }
        }
        admit
    }

    /// Counts a use of an object made cached in `era`.
    fn used(&mut self, era: u32) {
        if era == self.era {
            self.uses = self.uses.saturating_add(1);
        }
    }
}

/// One cached object, linked into its class's list in use order.
struct Slot {
    key: (u32, u64),
    kind: ObjectKind,
    /// The object (shared with readers that asked for it so: see
    /// [`get_shared`](DeltaBaseCache::get_shared)); `None` in a free slot.
    data: Option<Arc<Vec<u8>>>,
    /// The bytes it counts for (its buffer's capacity).
    size: usize,
    worth: Worth,
    /// The [`Admission`] era it was cached in.
    era: u32,
    prev: u32,
    next: u32,
}

/// Bases keyed by (pack, offset), each class (see [`Worth`]) in a list
/// from least to most recently used: a use moves an object to its list's
/// end, eviction takes the first object made, else the first base. Every
/// step is O(1) (slots linked by index, keys hashed cheaply).
pub(crate) struct DeltaBaseCache {
    limit: usize,
    bytes: usize,
    map: HashMap<(u32, u64), u32, BuildHasherDefault<CheapHasher>>,
    slots: Vec<Slot>,
    /// Slots not in use.
    free: Vec<u32>,
    /// The first and last slot of each class's list.
    ends: [(u32, u32); 2],
    /// Whether objects made are cached now.
    admission: Admission,
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

impl DeltaBaseCache {
    pub(crate) fn new(limit: usize) -> DeltaBaseCache {
        DeltaBaseCache {
            limit,
            bytes: 0,
            map: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            ends: [(NIL, NIL); 2],
            admission: Admission::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// Takes slot `i` out of its class's list.
    fn unlink(&mut self, i: u32) {
        let (prev, next, class) = {
            let s = &self.slots[i as usize];
            (s.prev, s.next, s.worth as usize)
        };
        match prev {
            NIL => self.ends[class].0 = next,
            p => self.slots[p as usize].next = next,
        }
        match next {
            NIL => self.ends[class].1 = prev,
            n => self.slots[n as usize].prev = prev,
        }
    }

    /// Puts slot `i` at the end of its class's list (most recently used).
    fn push_back(&mut self, i: u32) {
        let class = self.slots[i as usize].worth as usize;
        let last = self.ends[class].1;
        self.slots[i as usize].prev = last;
        self.slots[i as usize].next = NIL;
        match last {
            NIL => self.ends[class].0 = i,
            l => self.slots[l as usize].next = i,
        }
        self.ends[class].1 = i;
    }

    /// Unloads the next object in eviction order; its buffer, if any.
    fn evict(&mut self) -> Option<Vec<u8>> {
        let i = [
            self.ends[Worth::Made as usize].0,
            self.ends[Worth::Base as usize].0,
        ]
        .into_iter()
        .find(|&i| i != NIL)?;
        self.unlink(i);
        let slot = &mut self.slots[i as usize];
        let data = slot.data.take();
        self.map.remove(&slot.key);
        self.bytes -= slot.size;
        self.free.push(i);
        // Unless a reader still holds it.
        data.and_then(|d| Arc::try_unwrap(d).ok())
    }

    /// The cached base at `(pack, offset)`, marked as just used.
    pub(crate) fn get(&mut self, pack: u32, offset: u64) -> Option<(ObjectKind, &[u8])> {
        let slot = self.slot(pack, offset)?;
        Some((slot.kind, slot.data.as_deref().expect("in use")))
    }

    /// The cached object at `(pack, offset)`, shared (no copy), marked as
    /// just used.
    pub(crate) fn get_shared(
        &mut self,
        pack: u32,
        offset: u64,
    ) -> Option<(ObjectKind, Arc<Vec<u8>>)> {
        let slot = self.slot(pack, offset)?;
        Some((slot.kind, Arc::clone(slot.data.as_ref().expect("in use"))))
    }

    /// The slot of `(pack, offset)`, marked as just used.
    fn slot(&mut self, pack: u32, offset: u64) -> Option<&Slot> {
        let Some(&i) = self.map.get(&(pack, offset)) else {
            self.misses += 1;
            return None;
        };
        self.hits += 1;
        let slot = &self.slots[i as usize];
        if slot.worth == Worth::Made {
            self.admission.used(slot.era);
        }
        self.unlink(i);
        self.push_back(i);
        Some(&self.slots[i as usize])
    }

    /// Changes the limit, unloading least recently used bases if needed.
    pub(crate) fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        while self.bytes > self.limit && self.evict().is_some() {}
    }

    /// Whether `(pack, offset)` is cached (without marking it used).
    pub(crate) fn contains(&self, pack: u32, offset: u64) -> bool {
        self.map.contains_key(&(pack, offset))
    }

    /// Caches a copy of `data` as `worth` unless [`admits`](Self::admits)
    /// says no, or it is already cached (then it is only raised to
    /// `worth`, as just used); see [`insert`](Self::insert).
    pub(crate) fn put(
        &mut self,
        pack: u32,
        offset: u64,
        kind: ObjectKind,
        data: &[u8],
        worth: Worth,
    ) {
        if !self.would_insert(pack, offset, data.len(), worth) {
            return;
        }
        let mut buf = self.buffer_for(data.len());
        buf.extend_from_slice(data);
        self.insert(pack, offset, kind, buf, worth);
    }

    /// Whether [`insert`](Self::insert) would take an object of `len`
    /// bytes at `(pack, offset)` as `worth`: if it is cached already, it is
    /// raised to `worth` instead, as [`put`](Self::put) does, and the
    /// answer is no.
    pub(crate) fn would_insert(
        &mut self,
        pack: u32,
        offset: u64,
        len: usize,
        worth: Worth,
    ) -> bool {
        !self.raise(pack, offset, worth) && self.admits(len, worth)
    }

    /// Whether an object of `len` bytes would be cached as `worth`: not if
    /// it is larger than half the cache, nor if it is an object made while
    /// those aren't admitted ([`Admission`]; each ask is an offer).
    pub(crate) fn admits(&mut self, len: usize, worth: Worth) -> bool {
        len <= self.limit / 2 && (worth == Worth::Base || self.admission.admit())
    }

    /// If `(pack, offset)` is cached, raises it to `worth` if that is more,
    /// as just used, and says so.
    fn raise(&mut self, pack: u32, offset: u64, worth: Worth) -> bool {
        let Some(&i) = self.map.get(&(pack, offset)) else {
            return false;
        };
        if self.slots[i as usize].worth < worth {
            self.unlink(i);
            self.slots[i as usize].worth = worth;
            self.push_back(i);
        }
        true
    }

    /// An empty buffer to make an object of `len` bytes in, for
    /// [`insert`](Self::insert), with room made for it: objects are
    /// unloaded in eviction order to stay within the limit (counted in
    /// allocated bytes), and an unloaded buffer whose size fits is reused,
    /// so that a full cache allocates little.
    pub(crate) fn buffer_for(&mut self, len: usize) -> Vec<u8> {
        let mut spare: Option<Vec<u8>> = None;
        while self.bytes + len > self.limit {
            let Some(old) = self.evict() else {
                break;
            };
            let cap = old.capacity();
            if cap >= len && cap <= 2 * len.max(64) && self.bytes + cap <= self.limit {
                spare = Some(old);
            }
        }
        let mut buf = spare.unwrap_or_else(|| Vec::with_capacity(len));
        buf.clear();
        buf
    }

    /// Caches `data` (taken over, no copy) as `worth` unless already
    /// cached (then it is only raised to `worth`, as just used), unloading
    /// objects in eviction order to stay within the limit, but never
    /// `data` itself: it is cached when this returns.
    pub(crate) fn insert(
        &mut self,
        pack: u32,
        offset: u64,
        kind: ObjectKind,
        data: Vec<u8>,
        worth: Worth,
    ) {
        self.insert_shared(pack, offset, kind, Arc::new(data), worth);
    }

    /// As [`insert`](Self::insert), an object a reader holds too (its
    /// buffer is reused only once no one else holds it).
    pub(crate) fn insert_shared(
        &mut self,
        pack: u32,
        offset: u64,
        kind: ObjectKind,
        data: Arc<Vec<u8>>,
        worth: Worth,
    ) {
        if self.raise(pack, offset, worth) {
            return;
        }
        let size = data.capacity();
        self.bytes += size;
        let slot = Slot {
            key: (pack, offset),
            kind,
            data: Some(data),
            size,
            worth,
            era: self.admission.era,
            prev: NIL,
            next: NIL,
        };
        let i = if let Some(i) = self.free.pop() {
            self.slots[i as usize] = slot;
            i
        } else {
            self.slots.push(slot);
            (self.slots.len() - 1) as u32
        };
        self.push_back(i);
        self.map.insert((pack, offset), i);
        while self.bytes > self.limit && self.map.len() > 1 && self.evict().is_some() {}
    }

    /// Caches every object made, whatever the reads come back to (for
    /// tests of the eviction order).
    #[cfg(test)]
    fn admitting_all(mut self) -> DeltaBaseCache {
        self.admission.window = u32::MAX;
        self
    }

    /// Bytes held (allocated).
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_recently_used_goes_first_and_the_limit_holds() {
        let mut c = DeltaBaseCache::new(100);
        c.put(0, 1, ObjectKind::Blob, &[1; 40], Worth::Base);
        c.put(0, 2, ObjectKind::Blob, &[2; 40], Worth::Base);
        assert!(c.get(0, 1).is_some());
        c.put(0, 3, ObjectKind::Tree, &[3; 40], Worth::Base);
        assert!(c.contains(0, 1) && !c.contains(0, 2) && c.contains(0, 3));
        assert_eq!(c.bytes(), 80);
        c.put(1, 9, ObjectKind::Blob, &[9; 51], Worth::Base);
        assert!(!c.contains(1, 9), "larger than half the cache: not cached");
        assert_eq!(c.get(0, 3).unwrap(), (ObjectKind::Tree, &[3u8; 40][..]));
    }

    #[test]
    fn objects_made_go_before_bases_and_a_base_is_never_lowered() {
        let mut c = DeltaBaseCache::new(100);
        c.put(0, 1, ObjectKind::Blob, &[1; 30], Worth::Base);
        c.put(0, 2, ObjectKind::Blob, &[2; 30], Worth::Made);
        c.put(0, 3, ObjectKind::Blob, &[3; 30], Worth::Made);
        assert!(c.get(0, 2).is_some());
        // Room for one more: the least recently used object made goes,
        // though the base was used before both.
        c.put(0, 4, ObjectKind::Blob, &[4; 30], Worth::Base);
        assert!(c.contains(0, 1) && c.contains(0, 2) && !c.contains(0, 3) && c.contains(0, 4));
        // Put again as a base: raised. With only bases left, the least
        // recently used goes.
        c.put(0, 2, ObjectKind::Blob, &[2; 30], Worth::Base);
        c.put(0, 5, ObjectKind::Blob, &[5; 30], Worth::Made);
        assert!(!c.contains(0, 1) && c.contains(0, 2) && c.contains(0, 4) && c.contains(0, 5));
        // Put again as an object made: a base is never lowered; the object
        // made goes first.
        c.put(0, 2, ObjectKind::Blob, &[2; 30], Worth::Made);
        c.put(0, 1, ObjectKind::Blob, &[1; 30], Worth::Made);
        assert!(c.contains(0, 1) && c.contains(0, 2) && c.contains(0, 4) && !c.contains(0, 5));
        assert_eq!(c.bytes(), 90);
    }

    #[test]
    fn an_object_inserted_is_cached_when_insert_returns() {
        let mut c = DeltaBaseCache::new(100);
        c.put(0, 1, ObjectKind::Blob, &[1; 40], Worth::Base);
        c.put(0, 2, ObjectKind::Blob, &[2; 40], Worth::Made);
        // Room is made for 50 bytes, in a buffer that may be larger.
        assert!(c.admits(50, Worth::Base));
        let mut buf = c.buffer_for(60);
        assert!(buf.is_empty() && buf.capacity() >= 60);
        assert!(
            !c.contains(0, 2) && c.contains(0, 1),
            "the object made went first"
        );
        buf.extend_from_slice(&[3; 50]);
        c.insert(0, 3, ObjectKind::Tree, buf, Worth::Base);
        assert_eq!(c.get(0, 3).unwrap(), (ObjectKind::Tree, &[3u8; 50][..]));
        assert!(c.bytes() <= 100 || c.map.len() == 1);
        // Larger than the rest of the cache can make room for: still
        // cached, alone.
        let mut big = Vec::with_capacity(150);
        big.extend_from_slice(&[4; 50]);
        c.insert(0, 4, ObjectKind::Blob, big, Worth::Base);
        assert!(c.contains(0, 4) && !c.contains(0, 3) && !c.contains(0, 1));
        assert!(!c.admits(51, Worth::Base), "larger than half the cache");
    }

    /// Puts `n` objects made at offsets from `first` on (each read again
    /// right away if `reread`); how many were cached.
    fn made(c: &mut DeltaBaseCache, first: u64, n: u64, reread: bool) -> usize {
        let mut cached = 0;
        for offset in first..first + n {
            c.put(0, offset, ObjectKind::Blob, &[1; 8], Worth::Made);
            if c.contains(0, offset) {
                cached += 1;
                if reread {
                    assert!(c.get(0, offset).is_some());
                }
            }
        }
        cached
    }

    #[test]
    fn objects_made_are_cached_while_reads_come_back_to_them() {
        let (window, sample) = (Admission::WINDOW, Admission::SAMPLE);
        let mut c = DeltaBaseCache::new(1 << 20);
        // Never read again: all cached up to the verdict, then one in
        // `sample`.
        assert_eq!(made(&mut c, 0, u64::from(window), false), window as usize);
        assert!(!c.admission.on);
        let n = u64::from(window * sample / 2);
        assert_eq!(made(&mut c, 10_000, n, false), n as usize / sample as usize);
        // Bases are cached all the same.
        c.put(0, 50_000, ObjectKind::Tree, &[2; 8], Worth::Base);
        assert!(c.contains(0, 50_000));
        // Read again: the sampled copies' uses turn caching back on.
        made(&mut c, 20_000, u64::from(window * sample), true);
        assert!(c.admission.on);
        assert_eq!(made(&mut c, 40_000, 100, true), 100);
    }

    #[test]
    fn uses_of_objects_cached_before_a_change_do_not_count() {
        let window = Admission::WINDOW;
        let mut c = DeltaBaseCache::new(1 << 20);
        made(&mut c, 0, u64::from(window), false);
        assert!(!c.admission.on);
        // Reads come back to the objects cached while it was on, again and
        // again: they don't say the objects made now are worth caching.
        for round in 0..u64::from(4 * Admission::SAMPLE) {
            for offset in 0..u64::from(window) {
                assert!(c.get(0, offset).is_some());
            }
            made(&mut c, 10_000 + round * 1000, u64::from(window), false);
        }
        assert!(!c.admission.on);
    }

    /// Random puts, gets and limit changes give what a plain list ordered
    /// by (worth, last use) gives: the same objects cached, the same bytes
    /// (objects of one size, so that a reused buffer's size is the size).
    #[test]
    fn the_lists_evict_as_an_ordered_list_would() {
        let mut rand = crate::test_rand::xorshift(0x2545_f491_4f6c_dd1d);
        let mut next = move |bound: u64| rand() % bound;
        let mut c = DeltaBaseCache::new(1000).admitting_all();
        // (key, worth, last use, len)
        let mut model: Vec<((u32, u64), Worth, u64, usize)> = Vec::new();
        let (mut limit, mut clock) = (1000usize, 0u64);
        for _ in 0..20_000 {
            clock += 1;
            let key = (next(2) as u32, next(40));
            match next(10) {
                0..=4 => {
                    let worth = if next(2) == 0 {
                        Worth::Made
                    } else {
                        Worth::Base
                    };
                    let len = 100;
                    c.put(key.0, key.1, ObjectKind::Blob, &vec![7; len], worth);
                    if let Some(e) = model.iter_mut().find(|e| e.0 == key) {
                        if e.1 < worth {
                            (e.1, e.2) = (worth, clock);
                        }
                    } else if len <= limit / 2 {
                        let used = |m: &Vec<((u32, u64), Worth, u64, usize)>| {
                            m.iter().map(|e| e.3).sum::<usize>()
                        };
                        while used(&model) + len > limit && !model.is_empty() {
                            let i = (0..model.len()).min_by_key(|&i| (model[i].1, model[i].2));
                            model.swap_remove(i.unwrap());
                        }
                        model.push((key, worth, clock, len));
                    }
                }
                5..=8 => {
                    let got = c.get(key.0, key.1).map(|(_, d)| d.len());
                    let want = model.iter_mut().find(|e| e.0 == key).map(|e| {
                        e.2 = clock;
                        e.3
                    });
                    assert_eq!(got, want);
                }
                _ => {
                    limit = 200 + next(1000) as usize;
                    c.set_limit(limit);
                    while model.iter().map(|e| e.3).sum::<usize>() > limit {
                        let i = (0..model.len()).min_by_key(|&i| (model[i].1, model[i].2));
                        model.swap_remove(i.unwrap());
                    }
                }
            }
            assert_eq!(c.bytes(), model.iter().map(|e| e.3).sum::<usize>());
            for e in &model {
                assert!(c.contains(e.0.0, e.0.1));
            }
        }
    }
}
