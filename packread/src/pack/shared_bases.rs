//! The whole objects under delta chains, shared by readers working side by
//! side on one database: where one reader has inflated a chain's base,
//! another resolving a delta on the same chain takes it from here rather
//! than inflating it again.

use std::sync::{Arc, Mutex, PoisonError};

use crate::generations::Generations;
use crate::object::ObjectKind;

/// A cached base: its kind and its bytes (shared with the readers' own
/// delta-base caches).
type Base = (ObjectKind, Arc<Vec<u8>>);

/// The whole objects at the bottom of delta chains that readers of one
/// database inflated, keyed by pack and offset, for the other readers
/// [`sharing`](crate::Reader::share_bases) them: several workers reading
/// one database at once (`cat-file --batch` on every core) each keep their
/// own delta-base cache, and without this each inflated the bases the
/// others had, a sixth more of them on two workers.
///
/// Bounded in bytes; the least recently used go first (two generations
/// standing for that order). A base is shared, not copied: its bytes stay
/// in memory while any reader's cache holds them too. Cheap to clone (one
/// store behind a lock); use it with readers of one [`Odb`](crate::Odb)
/// only, whose packs it keys by their place in the database.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("shared-bases", &[("a.txt", "a\n")])?;
/// use packread::pack::SharedBases;
///
/// let repo = packread::Repository::discover(&dir)?;
/// let (odb, id) = (repo.odb(), repo.rev_parse("HEAD")?);
/// let bases = SharedBases::new(32 << 20);
/// let workers: Vec<_> = (0..2)
///     .map(|_| {
///         let mut reader = odb.reader();
///         reader.share_bases(&bases);
///         std::thread::spawn(move || reader.read(&id).map(|o| o.data.len()))
///     })
///     .collect();
/// for w in workers {
///     assert!(w.join().unwrap()? > 0);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SharedBases {
    inner: Arc<Mutex<Generations<(u32, u64), Base>>>,
}

impl SharedBases {
    /// A store of at most about `limit` bytes of bases.
    pub fn new(limit: usize) -> SharedBases {
        // Two generations of at most half the limit each.
        SharedBases {
            inner: Arc::new(Mutex::new(Generations::new(limit / 2))),
        }
    }

    /// The base at `offset` of pack `pack`, if a reader left it here.
    pub(crate) fn get(&self, pack: u32, offset: u64) -> Option<Base> {
        let mut gone = Vec::new();
        let found = self
            .lock()
            .get(&(pack, offset), |b| gone.push(b))
            .map(|(kind, data)| (*kind, Arc::clone(data)));
        // Bases let go of are freed outside the lock.
        drop(gone);
        found
    }

    /// Leaves the base at `offset` of pack `pack` for the other readers.
    pub(crate) fn put(&self, pack: u32, offset: u64, kind: ObjectKind, data: &Arc<Vec<u8>>) {
        let mut gone = Vec::new();
        let weight = data.capacity();
        self.lock()
            .insert((pack, offset), (kind, Arc::clone(data)), weight, |b| {
                gone.push(b);
            });
        drop(gone);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations<(u32, u64), Base>> {
        // A reader that panicked holding the lock left whole entries: the
        // map is changed only by `Generations`' own calls.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
