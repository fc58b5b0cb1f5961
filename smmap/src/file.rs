//! What the manager knows about one file: its descriptor, size, identity and
//! its mapped regions, sorted by offset.

use std::fs::{File, Metadata};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::region::MapRegion;
use crate::window::MapWindow;

/// Which file on disk a descriptor refers to (device and inode on Unix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Identity(u64, u64);

impl Identity {
    #[cfg(unix)]
    #[allow(clippy::unnecessary_wraps)] // `None` on other platforms
    pub(crate) fn of(meta: &Metadata) -> Option<Identity> {
        use std::os::unix::fs::MetadataExt;
        Some(Identity(meta.dev(), meta.ino()))
    }

    #[cfg(not(unix))]
    pub(crate) fn of(_meta: &Metadata) -> Option<Identity> {
        None
    }
}

/// The state of one file, kept under the manager's lock.
pub(crate) struct FileState {
    /// The path cursors were made from, or `None` for a caller's `File`.
    pub(crate) path: Option<PathBuf>,
    /// The open descriptor, if any. Path files hold one only while they have
    /// mapped regions (or while a mapping is being made); a caller's `File` is
    /// held until the last cursor and region are gone.
    /// Shared, so that a positional read can go on outside the lock.
    pub(crate) handle: Option<Arc<File>>,
    /// The file's size as last seen by the operating system.
    pub(crate) size: Option<u64>,
    /// When the operating system was last asked (size and identity).
    pub(crate) checked: Option<Instant>,
    /// Which file the regions were mapped from.
    pub(crate) identity: Option<Identity>,
    /// Mapped regions, sorted by start offset, which strictly increase.
    /// Change them only through [`insert_region`](Self::insert_region),
    /// [`remove_region`](Self::remove_region) and
    /// [`take_regions`](Self::take_regions), which keep `starts` beside.
    pub(crate) regions: Vec<Arc<MapRegion>>,
    /// Each region's start offset: the searches by offset read this
    /// array, not every region they pass (a cache miss each, with
    /// hundreds of small windows mapped).
    starts: Vec<u64>,
    /// Whole-file regions a static manager replaced after the file grew,
    /// kept mapped (and counted) until no cursor reads from them.
    pub(crate) retired: Vec<Arc<MapRegion>>,
}

impl FileState {
    pub(crate) fn new(path: Option<PathBuf>, handle: Option<File>) -> FileState {
        FileState {
            path,
            handle: handle.map(Arc::new),
            size: None,
            checked: None,
            identity: None,
            regions: Vec::new(),
            starts: Vec::new(),
            retired: Vec::new(),
        }
    }

    /// Whether no region of the file is mapped.
    pub(crate) fn has_no_windows(&self) -> bool {
        self.regions.is_empty() && self.retired.is_empty()
    }

    /// Adds a region to the sorted list.
    pub(crate) fn insert_region(&mut self, region: Arc<MapRegion>) {
        let ofs = region.ofs_begin();
        let pos = self.starts.partition_point(|&s| s <= ofs);
        self.starts.insert(pos, ofs);
        self.regions.insert(pos, region);
    }

    /// Takes region `i` out of the list.
    pub(crate) fn remove_region(&mut self, i: usize) -> Arc<MapRegion> {
        self.starts.remove(i);
        self.regions.remove(i)
    }

    /// Takes every region out of the list.
    pub(crate) fn take_regions(&mut self) -> Vec<Arc<MapRegion>> {
        self.starts.clear();
        std::mem::take(&mut self.regions)
    }

    /// Whether the descriptor belongs to the caller (it can't be reopened).
    pub(crate) fn is_callers_file(&self) -> bool {
        self.path.is_none()
    }

    /// The region that contains `offset`, if one is mapped.
    ///
    /// Regions start at strictly increasing offsets; the one with the largest
    /// start at or below `offset` is the only candidate.
    pub(crate) fn find(&self, offset: u64) -> Option<&Arc<MapRegion>> {
        let pos = self.starts.partition_point(|&s| s <= offset);
        pos.checked_sub(1)
            .map(|i| &self.regions[i])
            .filter(|r| r.includes_ofs(offset))
    }

    /// Places a new window for `offset` in a file of `size` bytes as
    /// upstream smmap does: start with `request` bytes at `offset`, grow left
    /// to the previous region's end and right to the next region's start (at
    /// most `max_window` bytes), align to `granularity`, then cut at the next
    /// region or the end of the file.
    pub(crate) fn place(
        &self,
        offset: u64,
        request: u64,
        max_window: u64,
        granularity: u64,
        size: u64,
    ) -> MapWindow {
        let pos = self.starts.partition_point(|&s| s <= offset);
        let left = pos.checked_sub(1).map_or(MapWindow::new(0, 0), |i| {
            MapWindow::from_region(&self.regions[i])
        });
        let right = self
            .regions
            .get(pos)
            .map_or(MapWindow::new(size, 0), |r| MapWindow::from_region(r));
        let mut mid = MapWindow::new(offset, request);
        mid.extend_left_to(&left, max_window);
        mid.extend_right_to(&right, max_window);
        mid.align_to(granularity);
        let limit = right.ofs.min(size);
        if mid.ofs_end() > limit {
            mid.size = limit.saturating_sub(mid.ofs);
        }
        mid
    }

    /// Reads size and identity from the open descriptor.
    pub(crate) fn stat_handle(&self) -> Option<io::Result<Metadata>> {
        self.handle.as_ref().map(|h| h.metadata())
    }
}
