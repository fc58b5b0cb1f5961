//! Objects read recently, kept by id up to a number of bytes: what the tree
//! and blob caches of diffs along history hold (a tree or a file is met
//! again in the next commit's diff more often than not).

use std::sync::Arc;

use crate::error::Error;
use crate::object::{IdMap, ObjectId};

/// How many buffers of objects gone a cache keeps for the next reads.
const SPARE_BUFFERS: usize = 32;

/// Two generations stand for least-recently-used order: the objects used
/// since the last turn over, and those of the turn before, gone at the
/// next turn unless used again. A turn comes when the young ones hold half
/// the limit: no order is kept object by object. The buffers of the
/// objects a turn drops (up to 32) are kept for the next objects read.
#[derive(Debug)]
pub(crate) struct Recent {
    /// The objects used since the last turn over.
    young: IdMap<Arc<Vec<u8>>>,
    /// The objects used in the turn before: one used again moves to
    /// `young`; the rest go at the next turn over.
    old: IdMap<Arc<Vec<u8>>>,
    /// Bytes of objects in `young`.
    young_bytes: usize,
    limit: usize,
    /// Buffers of objects gone at a turn over.
    spare: Vec<Vec<u8>>,
}

impl Recent {
    /// At most `limit` bytes (and one object more).
    pub(crate) fn new(limit: usize) -> Recent {
        Recent {
            young: IdMap::default(),
            old: IdMap::default(),
            young_bytes: 0,
            limit,
            spare: Vec::new(),
        }
    }

    /// The object `id` if it is held (it becomes young).
    pub(crate) fn get(&mut self, id: &ObjectId) -> Option<Arc<Vec<u8>>> {
        if let Some(data) = self.young.get(id) {
            return Some(Arc::clone(data));
        }
        let data = self.old.remove(id)?;
        self.keep(id, &data);
        Some(data)
    }

    /// The object `id`, held or read by `read`, which is given a buffer to
    /// read into (empty, or another object's bytes to write over) and may
    /// hand over another (one the reader shares).
    pub(crate) fn get_or_read(
        &mut self,
        id: &ObjectId,
        read: impl FnOnce(Vec<u8>) -> Result<Arc<Vec<u8>>, Error>,
    ) -> Result<Arc<Vec<u8>>, Error> {
        if let Some(data) = self.get(id) {
            return Ok(data);
        }
        let data = read(self.spare.pop().unwrap_or_default())?;
        self.keep(id, &data);
        Ok(data)
    }

    /// Makes `data` young, unless it is larger than half the limit.
    fn keep(&mut self, id: &ObjectId, data: &Arc<Vec<u8>>) {
        if data.len() > self.limit / 2 {
            return;
        }
        if self.young_bytes + data.len() > self.limit / 2 {
            let gone = std::mem::replace(&mut self.old, std::mem::take(&mut self.young));
            for (_, object) in gone {
                if self.spare.len() == SPARE_BUFFERS {
                    break;
                }
                // Unless a caller still holds it.
                if let Ok(buf) = Arc::try_unwrap(object) {
                    self.spare.push(buf);
                }
            }
            self.young_bytes = 0;
        }
        self.young_bytes += data.len();
        self.young.insert(*id, Arc::clone(data));
    }

    /// Bytes held.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.young
            .values()
            .chain(self.old.values())
            .map(|d| d.len())
            .sum()
    }

    #[cfg(test)]
    fn is_young(&self, id: &ObjectId) -> bool {
        self.young.contains_key(id)
    }

    #[cfg(test)]
    fn holds(&self, id: &ObjectId) -> bool {
        self.young.contains_key(id) || self.old.contains_key(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::HashKind;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes(HashKind::Sha1, &[n; 20])
    }

    /// The cache holds at most its limit (and one object more), keeps an
    /// object used in each turn, lets go of one not used for two turns,
    /// and reads only what it doesn't hold.
    #[test]
    fn keeps_what_is_used_within_its_limit() {
        let size = 100;
        // Room for two objects a turn.
        let mut cache = Recent::new(4 * size);
        let mut reads = 0;
        let read = |n: u8| {
            move |mut buf: Vec<u8>| -> Result<Arc<Vec<u8>>, Error> {
                buf.clear();
                buf.resize(size, n);
                Ok(Arc::new(buf))
            }
        };
        let kept = id(0);
        for round in 0..5 {
            for n in 1..8 {
                let before = reads;
                let got = cache
                    .get_or_read(&id(n), |b| {
                        reads += 1;
                        read(n)(b)
                    })
                    .unwrap();
                assert_eq!(*got, vec![n; size]);
                // Seven objects go round through room for four: each is
                // gone again when it comes back.
                assert_eq!(reads, before + 1, "round {round}, object {n}");
                assert!(cache.held() <= 5 * size, "{} bytes held", cache.held());
                // Used between every two reads: always among the young.
                let got = cache.get_or_read(&kept, read(0)).unwrap();
                assert_eq!(*got, vec![0; size]);
                assert!(cache.is_young(&kept));
            }
        }
        assert!(!cache.holds(&id(1)));
        // Used again right away: not read again.
        let before = reads;
        cache.get_or_read(&id(7), |_| panic!("held")).unwrap();
        assert_eq!(reads, before);
    }

    #[test]
    fn objects_over_half_the_limit_are_not_kept() {
        let mut cache = Recent::new(100);
        let big = cache
            .get_or_read(&id(1), |mut b| {
                b.resize(51, 1);
                Ok(Arc::new(b))
            })
            .unwrap();
        assert_eq!(big.len(), 51);
        assert!(!cache.holds(&id(1)));
    }
}
