//! [`MapRegion`]: one read-only mapping of a part of a file, and the lease a
//! cursor holds on it.

use std::fmt;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use memmap2::Mmap;

use crate::error::{Action, Error};
use crate::sys;

/// A process-wide clock for least-recently-used ordering: every use of a
/// region takes the next tick.
static CLOCK: AtomicU64 = AtomicU64::new(1);

fn tick() -> u64 {
    CLOCK.fetch_add(1, Ordering::Relaxed)
}

/// One read-only, private mapping of `size()` bytes of a file, starting at
/// file offset `ofs_begin()`.
///
/// Regions are shared: the manager keeps one reference while the region is
/// cached, and each cursor on it holds one more. [`client_count`](Self::client_count)
/// reports that number as upstream does (1 = only the manager: idle and
/// collectable; 2 or more = in use, never unmapped). The mapping itself is
/// reference counted too, so it stays mapped as long as anything can still
/// read from it, whatever the counts say.
///
/// ```
/// # fn main() -> Result<(), smmap::Error> {
/// // On its own, outside a manager (offsets must be aligned to the granularity).
/// let region = smmap::MapRegion::new("Cargo.toml", 0, 10)?;
/// assert_eq!((region.ofs_begin(), region.size(), region.client_count()), (0, 10, 1));
/// assert!(region.includes_ofs(9) && !region.includes_ofs(10));
/// assert_eq!(region.buffer(), &std::fs::read("Cargo.toml").unwrap()[..10]);
///
/// // Through a manager, each cursor on it is one more client.
/// let manager = smmap::SlidingWindowMapManager::new();
/// let mut cursor = manager.make_cursor("Cargo.toml");
/// cursor.use_region(0, 10)?;
/// assert_eq!(cursor.region().unwrap().client_count(), 2);
/// # Ok(()) }
/// ```
pub struct MapRegion {
    map: Mmap,
    ofs: u64,
    clients: AtomicUsize,
    last_use: AtomicU64,
}

impl MapRegion {
    /// Maps `size` bytes of the file at `path` from offset `ofs` on its own,
    /// outside any manager (upstream's `MapRegion(path, ofs, size)`).
    ///
    /// The size is clamped to the end of the file; a `size` of 0 maps to the end
    /// of the file. The file handle is closed before this returns. The region
    /// starts with a client count of 1, like upstream's.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be opened or mapped, and
    /// [`Error::OutOfBounds`] if `ofs` lies at or past the end of the file
    /// (which includes every offset of an empty file).
    pub fn new(path: impl AsRef<Path>, ofs: u64, size: usize) -> Result<MapRegion, Error> {
        let path = path.as_ref();
        let io = |action, source| Error::Io {
            action,
            path: Some(path.to_owned()),
            offset: ofs,
            source,
        };
        let file = File::open(path).map_err(|e| io(Action::Open, e))?;
        let file_size = file.metadata().map_err(|e| io(Action::Stat, e))?.len();
        if ofs >= file_size {
            return Err(Error::OutOfBounds {
                path: Some(path.to_owned()),
                offset: ofs,
                len: file_size,
            });
        }
        let available = file_size - ofs;
        let len = if size == 0 {
            available
        } else {
            available.min(size as u64)
        };
        MapRegion::map(&file, ofs, len).map_err(|e| io(Action::Map, e))
    }

    /// Maps `[ofs, ofs + len)` of `file`; `len` must not pass the file's end.
    pub(crate) fn map(file: &File, ofs: u64, len: u64) -> std::io::Result<MapRegion> {
        #[cfg(test)]
        if let Some(fault) = fault::take() {
            return Err(fault());
        }
        let len = usize::try_from(len)
            .map_err(|_| std::io::Error::other("window larger than the address space"))?;
        let map = sys::map_read_only(file, ofs, len)?;
        Ok(MapRegion {
            map,
            ofs,
            clients: AtomicUsize::new(1),
            last_use: AtomicU64::new(tick()),
        })
    }

    /// File offset of the first mapped byte.
    pub fn ofs_begin(&self) -> u64 {
        self.ofs
    }

    /// File offset one past the last mapped byte.
    pub fn ofs_end(&self) -> u64 {
        self.ofs + self.map.len() as u64
    }

    /// Number of mapped bytes.
    pub fn size(&self) -> usize {
        self.map.len()
    }

    /// Whether file offset `ofs` lies in this region.
    pub fn includes_ofs(&self, ofs: u64) -> bool {
        self.ofs <= ofs && ofs < self.ofs_end()
    }

    /// How many holders the region has: the manager (while it caches the
    /// region) plus every cursor currently placed on it.
    pub fn client_count(&self) -> usize {
        self.clients.load(Ordering::Acquire)
    }

    /// The mapped bytes, `size()` of them, starting at file offset `ofs_begin()`.
    pub fn buffer(&self) -> &[u8] {
        &self.map
    }

    /// The `len` bytes at file offset `offset`, if the region holds them
    /// all (and `offset` itself, even for `len` 0).
    pub(crate) fn bytes_at(&self, offset: u64, len: usize) -> Option<&[u8]> {
        if !self.includes_ofs(offset) {
            return None;
        }
        let from = (offset - self.ofs) as usize;
        self.map.get(from..from.checked_add(len)?)
    }

    /// Whether only the manager holds the region. Meaningful under the
    /// manager's lock, where no new lease can be handed out concurrently.
    pub(crate) fn is_idle(&self) -> bool {
        self.client_count() == 1
    }

    /// The tick of the region's last use (lease taken or given back).
    pub(crate) fn last_use(&self) -> u64 {
        self.last_use.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for MapRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MapRegion<{}, {}>", self.ofs, self.map.len())
    }
}

/// A cursor's hold on a region: counts as one client while it lives.
pub(crate) struct Lease(Arc<MapRegion>);

impl Lease {
    /// Takes a new lease. Called with the manager's lock held (or on a region
    /// that is already leased), so an idle region can't gain a client while
    /// the manager decides to unmap it.
    pub(crate) fn new(region: &Arc<MapRegion>) -> Lease {
        region.clients.fetch_add(1, Ordering::AcqRel);
        region.last_use.store(tick(), Ordering::Relaxed);
        Lease(Arc::clone(region))
    }

    pub(crate) fn region(&self) -> &MapRegion {
        &self.0
    }
}

impl Clone for Lease {
    fn clone(&self) -> Self {
        // This lease already counts, so the region is not idle: no lock needed.
        Lease::new(&self.0)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.0.last_use.store(tick(), Ordering::Relaxed);
        self.0.clients.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Unit tests make the next mapping on their thread fail, after running
/// whatever the test wants to happen just then (a file truncated, say).
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::RefCell;

    type Fault = Box<dyn FnOnce() -> std::io::Error>;

    thread_local! {
        static NEXT: RefCell<Option<Fault>> = RefCell::new(None);
    }

    /// The next `MapRegion::map` on this thread runs `f` and fails with its error.
    pub(crate) fn on_next_map(f: impl FnOnce() -> std::io::Error + 'static) {
        NEXT.with(|n| *n.borrow_mut() = Some(Box::new(f)));
    }

    pub(super) fn take() -> Option<Fault> {
        NEXT.with(|n| n.borrow_mut().take())
    }
}
