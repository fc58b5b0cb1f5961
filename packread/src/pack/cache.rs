//! The delta-base cache: objects recently made from deltas, kept as bases
//! for the deltas read next; least recently used out first, bounded in bytes
//! (git's `core.deltaBaseCacheLimit`).

use std::collections::{BTreeMap, HashMap};

use crate::object::ObjectKind;

/// git's default `core.deltaBaseCacheLimit`: 96 MiB.
pub const DEFAULT_DELTA_BASE_CACHE_LIMIT: usize = 96 * 1024 * 1024;

struct Entry {
    kind: ObjectKind,
    data: Vec<u8>,
    stamp: u64,
}

/// Bases keyed by (pack, offset).
pub(crate) struct DeltaBaseCache {
    limit: usize,
    bytes: usize,
    clock: u64,
    map: HashMap<(u32, u64), Entry>,
    lru: BTreeMap<u64, (u32, u64)>,
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
        e.stamp = self.clock;
        self.lru.insert(self.clock, (pack, offset));
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

    /// Caches a copy of `data` unless it is larger than half the cache or
    /// already cached, unloading least recently used bases to stay within the
    /// limit, counted in allocated bytes. Evicted buffers are reused when
    /// their size fits, so a full cache allocates little.
    pub(crate) fn put(&mut self, pack: u32, offset: u64, kind: ObjectKind, data: &[u8]) {
        if data.len() > self.limit / 2 || self.map.contains_key(&(pack, offset)) {
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
        self.lru.insert(self.clock, (pack, offset));
        self.map.insert(
            (pack, offset),
            Entry {
                kind,
                data: buf,
                stamp: self.clock,
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
        c.put(0, 1, ObjectKind::Blob, &[1; 40]);
        c.put(0, 2, ObjectKind::Blob, &[2; 40]);
        assert!(c.get(0, 1).is_some());
        c.put(0, 3, ObjectKind::Tree, &[3; 40]);
        assert!(c.contains(0, 1) && !c.contains(0, 2) && c.contains(0, 3));
        assert_eq!(c.bytes(), 80);
        c.put(1, 9, ObjectKind::Blob, &[9; 51]);
        assert!(!c.contains(1, 9), "larger than half the cache: not cached");
        assert_eq!(c.get(0, 3).unwrap(), (ObjectKind::Tree, &[3u8; 40][..]));
    }
}
