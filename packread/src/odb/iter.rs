//! Listing every object: by id (lazily, merged across packs and loose
//! objects) and in git's `--unordered` order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::error::Error;
use crate::object::{IdSet, ObjectId, ObjectKind};
use crate::odb::{Header, Location, Odb, PackId, Reader, loose};
use crate::pack::reader::PackReader;

/// An object handed to a visitor ([`Odb::for_each_object`],
/// [`Odb::for_each_in_pack_order`]); its bytes are borrowed for the call:
/// copy what must outlive it.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Visited<'a> {
    /// The object's id (as the pack's index lists it, for a packed one).
    pub id: &'a ObjectId,
    /// Its kind.
    pub kind: ObjectKind,
    /// Its bytes.
    pub data: &'a [u8],
    /// The offset of its entry in its pack; `None` for a loose object.
    pub offset: Option<u64>,
}

impl Odb {
    /// Every object id, sorted, each once (`cat-file --batch-all-objects`),
    /// read lazily: the packs' indices are merged as the iterator goes (they
    /// are sorted already); loose object ids are listed when iteration
    /// starts. An error ends the iteration.
    pub fn object_ids(&self) -> ObjectIds {
        ObjectIds {
            reader: self.reader(),
            sources: Vec::new(),
            heap: BinaryHeap::new(),
            last: None,
            state: IterState::NotStarted,
        }
    }

    /// Whether the database is one pack and nothing else (no loose objects,
    /// no other packs): its index then lists every object once, sorted, and
    /// where a lookup would find it. Stops at the first loose object found.
    pub fn is_one_pack(&self) -> Result<bool, Error> {
        Ok(self.packs_only()?.is_some_and(|packs| packs.len() == 1))
    }

    /// The packs, in git's lookup order, of a database that is packs and
    /// nothing else: no loose objects, no multi-pack-index, every pack one
    /// git can use (`None` otherwise). Their indices then list every
    /// object, each sorted; an object two packs hold is found in the first.
    /// Stops at the first loose object found.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("packs-only", &[("a.txt", "one\n")])?;
    /// let odb = packread::Odb::open(&dir)?;
    /// assert!(odb.packs_only()?.is_none(), "loose objects");
    /// # dir.git(&["gc", "-q"])?;
    /// let odb = packread::Odb::open(&dir)?;
    /// assert_eq!(odb.packs_only()?.map(|p| p.len()), Some(1));
    /// # Ok(()) }
    /// ```
    pub fn packs_only(&self) -> Result<Option<Vec<PackId>>, Error> {
        let set = self.set();
        if set.order.len() != set.packs.len() || !set.midxs.is_empty() || !set.broken.is_empty() {
            return Ok(None);
        }
        let mut ids = Vec::new();
        for dir in &set.dirs {
            for fan in 0..=255u8 {
                loose::list_fan(dir, fan, self.inner.hash, &mut ids)?;
                if !ids.is_empty() {
                    return Ok(None);
                }
            }
        }
        Ok(Some(set.order.clone()))
    }

    /// Calls `f` with every object id, sorted, each once, and where a lookup
    /// of it (through `r`, as [`Reader::locate`]) finds it, until `f`
    /// returns false. A database of one pack and no loose objects is walked
    /// straight from its index, without a lookup per id.
    pub fn for_each_object_location(
        &self,
        r: &mut Reader,
        mut f: impl FnMut(ObjectId, Location) -> bool,
    ) -> Result<(), Error> {
        if self.is_one_pack()? {
            let pack = PackId::new(0);
            for pos in 0..self.pack(pack).len() {
                let (id, loc) = r.location_at(pack, pos)?;
                if !f(id, loc) {
                    break;
                }
            }
            return Ok(());
        }
        for id in self.object_ids() {
            let id = id?;
            let loc = r.locate(&id)?.ok_or(Error::NotFound(id))?;
            if !f(id, loc) {
                break;
            }
        }
        Ok(())
    }

    /// Every object id, each once, in git 2.47's `--unordered` order: the
    /// loose objects of each object directory (fan-out directories in order,
    /// files in directory order), then each pack in pack order (the packs
    /// a multi-pack-index covers first, the last of them first, as git
    /// loads them).
    pub fn object_ids_pack_order(&self) -> Result<Vec<ObjectId>, Error> {
        Ok(self
            .object_locations_pack_order()?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    /// The header (kind and size) of every object of `pack`, by index
    /// position: the entries read in offset order on `threads` threads, a
    /// delta's kind taken from its base's. Faster than asking for each
    /// object's header by id, which jumps about the pack and walks each
    /// delta chain.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("headers", &[("a.txt", "one\n")])?;
    /// # dir.git(&["gc", "-q"])?;
    /// let odb = packread::Odb::open(&dir)?;
    /// let pack = odb.pack_ids().next().unwrap();
    /// let headers = odb.pack_headers(pack, 2)?;
    /// let mut r = odb.reader();
    /// for (pos, h) in headers.iter().enumerate() {
    ///     let (id, _) = r.location_at(pack, pos as u32)?;
    ///     assert_eq!(*h, r.header(&id)?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pack_headers(&self, pack: PackId, threads: usize) -> Result<Vec<Header>, Error> {
        Ok(
            crate::pack::walk::headers::by_position(&self.pack(pack), threads)?
                .into_iter()
                .map(|(kind, size)| Header { kind, size })
                .collect(),
        )
    }

    /// Every entry of `pack` in offset order (how `git cat-file
    /// --batch-all-objects --unordered` lists a pack), handed to `each` with
    /// its offset, its id as the index lists it, its kind and bytes
    /// (borrowed: copy what must outlive the call); returning `false` stops
    /// it (`Ok(false)`).
    ///
    /// Each entry is inflated once, by one of `threads` threads working
    /// ahead; the calling thread applies each delta once, to its base held
    /// from the base's turn until its last delta's (within the delta-base
    /// cache budget; past it, a base is decoded again). Reading pack order
    /// object by object instead inflates bases again whenever a cache has
    /// let them go.
    ///
    /// Entries are handed over in offset order: after a failure, those
    /// before the entry that failed were handed over, and none after it.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("order", &[("a.txt", "one\n")])?;
    /// # dir.git(&["gc", "-q"])?;
    /// let odb = packread::Odb::open(&dir)?;
    /// let pack = odb.pack_ids().next().unwrap();
    /// let mut offsets = Vec::new();
    /// odb.for_each_in_pack_order(pack, 2, |object| {
    ///     offsets.push(object.offset.expect("a packed object"));
    ///     true
    /// })?;
    /// assert_eq!(offsets.len(), 3);
    /// assert!(offsets.windows(2).all(|w| w[0] < w[1]));
    /// # Ok(()) }
    /// ```
    pub fn for_each_in_pack_order(
        &self,
        pack: PackId,
        threads: usize,
        mut each: impl FnMut(&Visited<'_>) -> bool,
    ) -> Result<bool, Error> {
        crate::pack::walk::pack_order::in_offset_order(
            &self.pack(pack),
            threads,
            self.delta_base_cache_limit(),
            self.inner.max_chain,
            |offset, id, kind, data| {
                each(&Visited {
                    id,
                    kind,
                    data,
                    offset: Some(offset),
                })
            },
        )
        .map_err(|stopped| stopped.error)
    }

    /// Like [`object_ids_pack_order`](Self::object_ids_pack_order), with the
    /// copy of each object that the order reaches first.
    pub fn object_locations_pack_order(&self) -> Result<Vec<(ObjectId, Location)>, Error> {
        let mut r = self.reader();
        let mut seen = IdSet::default();
        let mut out = Vec::new();
        let set = r.snapshot();
        for dir in &set.dirs {
            for id in loose::list(dir, self.inner.hash)? {
                if seen.insert(id) {
                    let path = loose::path_of(dir, &id);
                    out.push((id, Location::Loose { path }));
                }
            }
        }
        // git's list of all packs: those the multi-pack-index covers, each
        // put at the front as it is loaded (so the last pack-int-id first),
        // then the others in the lookup order.
        let mut packs: Vec<PackId> = Vec::new();
        for m in set.midxs.iter().rev() {
            packs.extend(m.packs.iter().rev().flatten());
        }
        packs.extend(set.order.iter().filter(|id| !set.covered[id.index()]));
        for pack in packs {
            let PackReader {
                pack: p,
                cursors: c,
                ..
            } = r.pack_reader(pack);
            // The ids in index order first: read in offset order, each id
            // lies anywhere in the index, and through windows smaller than
            // the index nearly every one moved the cursor to another window
            // (cargo at 1 MiB windows: 233,000 window switches, 4 % of the
            // pack-order pass).
            let ids = (0..p.index().len())
                .map(|position| p.index().oid_at(c.index_cursor(), position))
                .collect::<Result<Vec<_>, _>>()?;
            let sorted = p.entries_by_offset(c)?;
            for &(offset, index_position) in sorted {
                let id = match ids.get(index_position as usize) {
                    Some(&id) => id,
                    None => p.index().oid_at(c.index_cursor(), index_position)?,
                };
                if seen.insert(id) {
                    out.push((
                        id,
                        Location::Packed {
                            pack,
                            index_position,
                            offset,
                        },
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// Where the merge takes ids from.
enum Source {
    /// A pack's index, from position `next` on.
    Pack { pack: PackId, next: u32, len: u32 },
    /// Every loose object id of every object directory, sorted.
    Loose(std::vec::IntoIter<ObjectId>),
}

enum IterState {
    NotStarted,
    Running,
    Done,
}

/// Every object id of a database, sorted, each once: see
/// [`Odb::object_ids`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("ids", &[("hello.txt", "hello\n")])?;
/// # dir.git(&["gc", "-q"])?;
/// let odb = packread::Odb::open(&dir)?;
/// let ids = odb.object_ids().collect::<Result<Vec<_>, _>>()?;
/// assert!(ids.windows(2).all(|w| w[0] < w[1]));
/// // Lazily: the first id without listing the rest.
/// assert_eq!(odb.object_ids().next().transpose()?, Some(ids[0]));
/// # Ok(()) }
/// ```
pub struct ObjectIds {
    reader: Reader,
    sources: Vec<Source>,
    /// The next id of each source that has one.
    heap: BinaryHeap<Reverse<(ObjectId, usize)>>,
    last: Option<ObjectId>,
    state: IterState,
}

impl ObjectIds {
    fn start(&mut self) -> Result<(), Error> {
        let odb = self.reader.odb().clone();
        let set = self.reader.snapshot();
        let mut loose_ids = Vec::new();
        for dir in &set.dirs {
            loose_ids.extend(loose::list(dir, odb.hash_kind())?);
        }
        loose_ids.sort_unstable();
        if !loose_ids.is_empty() {
            self.sources.push(Source::Loose(loose_ids.into_iter()));
        }
        for &pack in &set.order {
            let len = set.packs[pack.index()].len();
            self.sources.push(Source::Pack { pack, next: 0, len });
        }
        for s in 0..self.sources.len() {
            self.refill(s)?;
        }
        Ok(())
    }

    /// Puts source `s`'s next id on the heap, if it has one.
    fn refill(&mut self, s: usize) -> Result<(), Error> {
        let id = match &mut self.sources[s] {
            Source::Loose(ids) => ids.next(),
            Source::Pack { pack, next, len } => {
                if *next < *len {
                    let id = self.reader.pack_reader(*pack).oid_at(*next)?;
                    *next += 1;
                    Some(id)
                } else {
                    None
                }
            }
        };
        if let Some(id) = id {
            self.heap.push(Reverse((id, s)));
        }
        Ok(())
    }

    fn step(&mut self) -> Result<Option<ObjectId>, Error> {
        if let IterState::NotStarted = self.state {
            self.state = IterState::Running;
            self.start()?;
        }
        while let Some(Reverse((id, s))) = self.heap.pop() {
            self.refill(s)?;
            if self.last != Some(id) {
                self.last = Some(id);
                return Ok(Some(id));
            }
        }
        Ok(None)
    }
}

impl Iterator for ObjectIds {
    type Item = Result<ObjectId, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let IterState::Done = self.state {
            return None;
        }
        match self.step() {
            Ok(Some(id)) => Some(Ok(id)),
            Ok(None) => {
                self.state = IterState::Done;
                None
            }
            Err(e) => {
                self.state = IterState::Done;
                Some(Err(e))
            }
        }
    }
}

impl std::fmt::Debug for ObjectIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectIds")
            .field("sources", &self.sources.len())
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl Odb {
    /// Hands every object of the database to `each` exactly once, in the
    /// order that is cheapest to read: each pack's delta trees base first
    /// (every entry inflated once, every delta applied once to a base held
    /// in memory, within the delta-base cache's budget), on `threads`
    /// threads, then the loose objects no pack holds. An object several
    /// packs hold is handed over once. `each` is called from several
    /// threads at once, with the object's id, kind and bytes (borrowed: copy
    /// what must outlive the call); returning `false` stops the walk.
    ///
    /// The order is unspecified; the set is `git cat-file
    /// --batch-all-objects`'s. Returns `Ok(false)` if `each` stopped it.
    /// Each index's checksum is verified first: objects are handed over
    /// under the ids the index lists, which a damaged index would mix up.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("each", &[("a.txt", "one\n")])?;
    /// # dir.git(&["gc", "-q"])?;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// let odb = packread::Odb::open(&dir)?;
    /// let (objects, bytes) = (AtomicU64::new(0), AtomicU64::new(0));
    /// odb.for_each_object(2, |object| {
    ///     objects.fetch_add(1, Ordering::Relaxed);
    ///     bytes.fetch_add(object.data.len() as u64, Ordering::Relaxed);
    ///     true
    /// })?;
    /// assert_eq!(objects.into_inner(), 3); // a blob, a tree, a commit
    /// # Ok(()) }
    /// ```
    pub fn for_each_object<F>(&self, threads: usize, each: F) -> Result<bool, Error>
    where
        F: Fn(&Visited<'_>) -> bool + Sync,
    {
        let packed = |offset, id: &ObjectId, kind, data: &[u8]| {
            each(&Visited {
                id,
                kind,
                data,
                offset: Some(offset),
            })
        };
        let set = self.set();
        let order: Vec<PackId> = set.order.clone();
        // The ids of the packs walked so far: an object one of them holds
        // was handed over already. (One pack and nothing else needs none.)
        let mut seen = IdSet::default();
        for (k, &pack) in order.iter().enumerate() {
            let pack = self.pack(pack);
            let skip = |id: &ObjectId| k > 0 && seen.contains(id);
            let visit = crate::pack::walk::base_first::Visit {
                threads,
                budget: self.delta_base_cache_limit(),
                max_chain: self.inner.max_chain,
                skip: &skip,
                each: &packed,
            };
            if !crate::pack::walk::base_first::visit_pack(&pack, &visit)? {
                return Ok(false);
            }
            let more_to_come = k + 1 < order.len() || !set.dirs.is_empty();
            if more_to_come {
                let index = pack.index();
                let mut c = index.cursor();
                seen.reserve(index.len() as usize);
                for i in 0..index.len() {
                    seen.insert(index.oid_at(&mut c, i)?);
                }
            }
        }
        // Loose objects no pack holds, each once (a directory's copy, then
        // an alternate's, are the same object).
        let mut reader = self.reader();
        let mut data = Vec::new();
        for dir in &set.dirs {
            for id in loose::list(dir, self.inner.hash)? {
                if !seen.insert(id) {
                    continue;
                }
                let kind = reader.read_location(
                    &Location::Loose {
                        path: loose::path_of(dir, &id),
                    },
                    &mut data,
                )?;
                let visited = Visited {
                    id: &id,
                    kind,
                    data: &data,
                    offset: None,
                };
                if !each(&visited) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}
