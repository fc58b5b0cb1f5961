//! The delta-base cache: objects recently made from deltas, kept as bases
//! for the deltas read next, bounded in bytes (git's
//! `core.deltaBaseCacheLimit`). Two classes ([`Worth`]): the objects made
//! for a reader go first, least recently used first; the whole objects
//! under chains (and trees on chains, for walks) only when none is left.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

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

/// One cached object, linked into its class's list in use order.
struct Slot {
    key: (u32, u64),
    kind: ObjectKind,
    data: Vec<u8>,
    worth: Worth,
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
        let data = std::mem::take(&mut slot.data);
        self.map.remove(&slot.key);
        self.bytes -= data.capacity();
        self.free.push(i);
        Some(data)
    }

    /// The cached base at `(pack, offset)`, marked as just used.
    pub(crate) fn get(&mut self, pack: u32, offset: u64) -> Option<(ObjectKind, &[u8])> {
        let Some(&i) = self.map.get(&(pack, offset)) else {
            self.misses += 1;
            return None;
        };
        self.hits += 1;
        self.unlink(i);
        self.push_back(i);
        let slot = &self.slots[i as usize];
        Some((slot.kind, &slot.data))
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

    /// Caches a copy of `data` as `worth` unless it is larger than half the
    /// cache or already cached (then it is only raised to `worth`, as just
    /// used), unloading objects in eviction order to stay within the limit,
    /// counted in allocated bytes. Evicted buffers are reused when their
    /// size fits, so a full cache allocates little.
    pub(crate) fn put(
        &mut self,
        pack: u32,
        offset: u64,
        kind: ObjectKind,
        data: &[u8],
        worth: Worth,
    ) {
        if let Some(&i) = self.map.get(&(pack, offset)) {
            if self.slots[i as usize].worth < worth {
                self.unlink(i);
                self.slots[i as usize].worth = worth;
                self.push_back(i);
            }
            return;
        }
        if data.len() > self.limit / 2 {
            return;
        }
        let mut spare: Option<Vec<u8>> = None;
        while self.bytes + data.len() > self.limit {
            let Some(old) = self.evict() else {
                break;
            };
            let cap = old.capacity();
            if cap >= data.len() && cap <= 2 * data.len().max(64) {
                spare = Some(old);
            }
        }
        let mut buf = spare.unwrap_or_else(|| Vec::with_capacity(data.len()));
        buf.clear();
        buf.extend_from_slice(data);
        self.bytes += buf.capacity();
        let slot = Slot {
            key: (pack, offset),
            kind,
            data: buf,
            worth,
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
        while self.bytes > self.limit && self.evict().is_some() {}
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

    /// Random puts, gets and limit changes give what a plain list ordered
    /// by (worth, last use) gives: the same objects cached, the same bytes
    /// (objects of one size, so that a reused buffer's size is the size).
    #[test]
    fn the_lists_evict_as_an_ordered_list_would() {
        let mut rand = crate::test_rand::xorshift(0x2545_f491_4f6c_dd1d);
        let mut next = move |bound: u64| rand() % bound;
        let mut c = DeltaBaseCache::new(1000);
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
