//! Objects read recently, kept by id up to a number of bytes: what the tree
//! and blob caches of diffs along history hold (a tree or a file is met
//! again in the next commit's diff more often than not).

use std::sync::Arc;

use crate::error::Error;
use crate::generations::Generations;
use crate::object::ObjectId;

/// How many buffers of objects gone a cache keeps for the next reads.
const SPARE_BUFFERS: usize = 32;

/// Objects kept in two generations ([`Generations`]): a turn comes when
/// the young ones hold half the limit. The buffers of the objects a turn
/// drops (up to 32) are kept for the next objects read.
#[derive(Debug)]
pub(crate) struct Recent {
    objects: Generations<ObjectId, Arc<Vec<u8>>>,
    limit: usize,
    /// Buffers of objects gone at a turn over.
    spare: Vec<Vec<u8>>,
}

impl Recent {
    /// At most `limit` bytes (and one object more).
    pub(crate) fn new(limit: usize) -> Recent {
        Recent {
            objects: Generations::new(limit / 2),
            limit,
            spare: Vec::new(),
        }
    }

    /// The object `id` if it is held (it becomes young).
    pub(crate) fn get(&mut self, id: &ObjectId) -> Option<Arc<Vec<u8>>> {
        let spare = &mut self.spare;
        self.objects
            .get(id, |gone| {
                recycle(spare, gone);
            })
            .cloned()
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
        // Objects larger than half the limit are not kept.
        if data.len() <= self.limit / 2 {
            let spare = &mut self.spare;
            self.objects
                .insert(*id, Arc::clone(&data), data.len(), |gone| {
                    recycle(spare, gone);
                });
        }
        Ok(data)
    }

    /// Bytes held.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.objects.values().map(|d| d.len()).sum()
    }

    #[cfg(test)]
    fn is_young(&self, id: &ObjectId) -> bool {
        self.objects.is_young(id)
    }

    #[cfg(test)]
    fn holds(&self, id: &ObjectId) -> bool {
        self.objects.holds(id)
    }
}

/// Keeps the buffer of an object gone (unless a caller still holds it) for
/// the next objects read, up to [`SPARE_BUFFERS`].
fn recycle(spare: &mut Vec<Vec<u8>>, gone: Arc<Vec<u8>>) {
    if spare.len() < SPARE_BUFFERS
        && let Ok(buf) = Arc::try_unwrap(gone)
    {
        spare.push(buf);
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
