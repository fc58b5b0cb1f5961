//! The delta-base cache: objects recently made from deltas, kept as bases
//! for the deltas read next, bounded in bytes (git's
//! `core.deltaBaseCacheLimit`). Two classes ([`Worth`]): the objects made
//! for a reader go first, least recently used first; the whole objects
//! under chains (and trees on chains, for walks) only when none is left.

use std::collections::{BTreeMap, HashMap};

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

struct Entry {
    kind: ObjectKind,
    data: Vec<u8>,
    stamp: (Worth, u64),
}

/// Bases keyed by (pack, offset).
pub(crate) struct DeltaBaseCache {
    limit: usize,
    bytes: usize,
    clock: u64,
    map: HashMap<(u32, u64), Entry>,
    /// Entries in eviction order: by worth, then last use.
    lru: BTreeMap<(Worth, u64), (u32, u64)>,
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

impl DeltaBaseCache {
    pub(crate) fn new(limit: usize) -> DeltaBaseCache {
        DeltaBaseCache {
            limit,
            bytes: 0,
            clock: 0,
            map: HashMap::new(),
            lru: BTreeMap::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// The cached base at `(pack, offset)`, marked as just used.
    pub(crate) fn get(&mut self, pack: u32, offset: u64) -> Option<(ObjectKind, &[u8])> {
        let Some(e) = self.map.get_mut(&(pack, offset)) else {
            self.misses += 1;
            return None;
        };
        self.hits += 1;
        self.clock += 1;
        self.lru.remove(&e.stamp);
        e.stamp = (e.stamp.0, self.clock);
        self.lru.insert(e.stamp, (pack, offset));
        Some((e.kind, &e.data))
    }

    /// Changes the limit, unloading least recently used bases if needed.
    pub(crate) fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        while self.bytes > self.limit {
            let Some((_, key)) = self.lru.pop_first() else {
                break;
            };
            if let Some(old) = self.map.remove(&key) {
                self.bytes -= old.data.capacity();
            }
        }
    }

    /// Whether `(pack, offset)` is cached (without marking it used).
    pub(crate) fn contains(&self, pack: u32, offset: u64) -> bool {
        self.map.contains_key(&(pack, offset))
    }

    /// Caches a copy of `data` as `worth` unless it is larger than half the
    /// cache or already cached (then it is only raised to `worth`),
    /// unloading objects in eviction order to stay within the limit,
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
        if let Some(e) = self.map.get_mut(&(pack, offset)) {
            if e.stamp.0 < worth {
                self.lru.remove(&e.stamp);
                e.stamp.0 = worth;
                self.lru.insert(e.stamp, (pack, offset));
            }
            return;
        }
        if data.len() > self.limit / 2 {
            return;
        }
        let mut spare: Option<Vec<u8>> = None;
        while self.bytes + data.len() > self.limit {
            let Some((_, key)) = self.lru.pop_first() else {
                break;
            };
            if let Some(old) = self.map.remove(&key) {
                self.bytes -= old.data.capacity();
                let cap = old.data.capacity();
                if cap >= data.len() && cap <= 2 * data.len().max(64) {
                    spare = Some(old.data);
                }
            }
        }
        let mut buf = spare.unwrap_or_else(|| Vec::with_capacity(data.len()));
        buf.clear();
        buf.extend_from_slice(data);
        self.clock += 1;
        self.bytes += buf.capacity();
        let stamp = (worth, self.clock);
        self.lru.insert(stamp, (pack, offset));
        self.map.insert(
            (pack, offset),
            Entry {
                kind,
                data: buf,
                stamp,
            },
        );
        while self.bytes > self.limit {
            let Some((_, key)) = self.lru.pop_first() else {
                break;
            };
            if let Some(old) = self.map.remove(&key) {
                self.bytes -= old.data.capacity();
            }
        }
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
}
