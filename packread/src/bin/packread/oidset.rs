//! The order git prints the members of an `oidset` in: the iteration
//! order of its khash table (buckets by the id's first four bytes,
//! quadratic probing, grown at 77 % load, rehashed in
//! place), so that lists git prints from a set (`--missing=print`) come
//! out in git's order.

use packread::ObjectId;

/// The ids, inserted in `ids` order into a khash set made as rev-list's
/// (`oidset_init(set, 16 * 1024)`), in the table's iteration order.
pub fn iteration_order(ids: &[ObjectId]) -> Vec<ObjectId> {
    let mut t = Table::with_buckets(16 * 1024);
    for id in ids {
        t.put(*id);
    }
    t.keys.into_iter().flatten().collect()
}

/// git's `oidhash`: the first four bytes, as the host reads them
/// (little-endian).
fn hash(id: &ObjectId) -> u32 {
    let b = id.as_bytes();
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

struct Table {
    keys: Vec<Option<ObjectId>>,
    size: usize,
    upper_bound: usize,
}

impl Table {
    fn with_buckets(n: usize) -> Table {
        let n = n.next_power_of_two().max(4);
        Table {
            keys: vec![None; n],
            size: 0,
            upper_bound: upper_bound(n),
        }
    }

    fn put(&mut self, id: ObjectId) {
        if self.size >= self.upper_bound {
            self.resize(self.keys.len() + 1);
        }
        let mask = self.keys.len() - 1;
        let mut i = hash(&id) as usize & mask;
        let mut step = 0;
        while let Some(k) = self.keys[i] {
            if k == id {
                return;
            }
            step += 1;
            i = (i + step) & mask;
        }
        self.keys[i] = Some(id);
        self.size += 1;
    }

    /// khash's in-place resize: every key re-placed in table order, a key
    /// it lands on that is not yet re-placed kicked onward.
    fn resize(&mut self, want: usize) {
        let n = want.next_power_of_two().max(4);
        let old = self.keys.len();
        let mask = n - 1;
        let mut keys: Vec<Option<ObjectId>> = std::mem::take(&mut self.keys);
        keys.resize(n.max(old), None);
        // `placed[i]`: slot i holds a key already re-placed.
        let mut placed = vec![false; n.max(old)];
        let mut pending = vec![false; n.max(old)];
        for (j, k) in keys.iter().enumerate().take(old) {
            pending[j] = k.is_some();
        }
        for j in 0..old {
            if !pending[j] {
                continue;
            }
            let mut key = keys[j].take().expect("pending");
            pending[j] = false;
            loop {
                let mut i = hash(&key) as usize & mask;
                let mut step = 0;
                while placed[i] {
                    step += 1;
                    i = (i + step) & mask;
                }
                placed[i] = true;
                if i < old && pending[i] {
                    let kicked = keys[i].replace(key).expect("pending");
                    pending[i] = false;
                    key = kicked;
                } else {
                    keys[i] = Some(key);
                    break;
                }
            }
        }
        keys.truncate(n);
        self.keys = keys;
        self.upper_bound = upper_bound(n);
    }
}

/// khash's `upper_bound`: 77 % of the buckets, rounded (`n * 0.77 +
/// 0.5` truncated, in integers).
fn upper_bound(n: usize) -> usize {
    (n * 77 + 50) / 100
}
