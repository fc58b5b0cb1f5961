//! [`MapWindow`]: the arithmetic that places a new window between its neighbours.

use crate::align::{align_to, allocation_granularity};
use crate::region::MapRegion;

/// A range of a file (`ofs`, `size`) that a window could map.
///
/// This is plain arithmetic with no mapping behind it. The sliding manager uses
/// it to place a new window: grow it left to the previous window's end, right
/// to the next window's start (never past `max_size`), then [align](Self::align)
/// it, exactly as upstream smmap does, so upstream's worked numbers hold.
///
/// ```
/// use smmap::MapWindow;
/// let mut w = MapWindow::new(10, 5);
/// w.extend_left_to(&MapWindow::new(1, 1), 100);
/// assert_eq!((w.ofs, w.size), (2, 13));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MapWindow {
    /// Offset of the first byte, in the file.
    pub ofs: u64,
    /// Number of bytes.
    pub size: u64,
}

impl MapWindow {
    /// A window of `size` bytes at `ofs`.
    pub const fn new(ofs: u64, size: u64) -> Self {
        MapWindow { ofs, size }
    }

    /// The window covering the same bytes as `region`.
    pub fn from_region(region: &MapRegion) -> Self {
        MapWindow::new(region.ofs_begin(), region.size() as u64)
    }

    /// One past the last byte: `ofs + size`.
    pub const fn ofs_end(&self) -> u64 {
        self.ofs.saturating_add(self.size)
    }

    /// Moves the start down to the allocation granularity and rounds the size
    /// up to it, so that the old range stays covered. The result may be up to
    /// one granule larger than a configured window size.
    pub fn align(&mut self) {
        self.align_to(allocation_granularity());
    }

    pub(crate) fn align_to(&mut self, granularity: u64) {
        let nofs = align_to(self.ofs, granularity, false);
        self.size = align_to(self.size + (self.ofs - nofs), granularity, true);
        self.ofs = nofs;
    }

    /// Moves the start left, down to `window`'s end, keeping the end fixed and
    /// never letting the size exceed `max_size`. If `window` overlaps this
    /// window, the start moves right instead (the window is cut from the left).
    pub fn extend_left_to(&mut self, window: &MapWindow, max_size: u64) {
        let (ofs, size) = (i128::from(self.ofs), i128::from(self.size));
        let mut rofs = ofs - i128::from(window.ofs_end());
        let nsize = rofs + size;
        rofs -= nsize - nsize.min(i128::from(max_size));
        self.ofs = clamp_u64(ofs - rofs);
        self.size = clamp_u64(size + rofs);
    }

    /// Grows the size until the end reaches `window`'s start, never beyond
    /// `max_size`. If `window` starts before this window's end, the size
    /// shrinks to end where `window` starts.
    pub fn extend_right_to(&mut self, window: &MapWindow, max_size: u64) {
        let grown = i128::from(self.size) + (i128::from(window.ofs) - i128::from(self.ofs_end()));
        self.size = clamp_u64(grown.min(i128::from(max_size)));
    }
}

fn clamp_u64(v: i128) -> u64 {
    u64::try_from(v.max(0)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::MapWindow;

    #[test]
    fn growth_never_wraps() {
        let mut w = MapWindow::new(u64::MAX - 1, 1);
        w.extend_right_to(&MapWindow::new(u64::MAX, 0), u64::MAX);
        assert_eq!(w, MapWindow::new(u64::MAX - 1, 1));
        let mut w = MapWindow::new(5, 5);
        w.extend_left_to(&MapWindow::new(0, 100), 100);
        assert_eq!(
            w,
            MapWindow::new(100, 0),
            "overlapping left neighbour cuts the window"
        );
    }

    #[test]
    fn align_to_granule() {
        let mut w = MapWindow::new(4097, 10);
        w.align_to(4096);
        assert_eq!(w, MapWindow::new(4096, 4096));
        let mut w = MapWindow::new(4095, 2);
        w.align_to(4096);
        assert_eq!(w, MapWindow::new(0, 8192));
    }
}
