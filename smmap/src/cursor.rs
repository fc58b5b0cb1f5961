//! [`WindowCursor`]: a position in a file, backed by a mapped window.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::error::Error;
use crate::region::{Lease, MapRegion};
use crate::shared::FileToken;

/// What a cursor was made from: see [`WindowCursor::path_or_fd`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathOrFd<'a> {
    /// A path ([`MapManager::make_cursor`](crate::MapManager::make_cursor)).
    Path(&'a Path),
    /// A descriptor number the caller keeps
    /// ([`MapManager::make_cursor_from_fd`](crate::MapManager::make_cursor_from_fd)).
    Fd(i32),
    /// A `File` handed to the manager
    /// ([`MapManager::make_cursor_from_file`](crate::MapManager::make_cursor_from_file)).
    File,
}

/// A cursor into one file of a manager: a range of bytes in a mapped window.
///
/// Move it with [`use_region`](Self::use_region), read with
/// [`buffer`](Self::buffer). While the cursor is valid its window stays
/// mapped; a slice from `buffer()` borrows the cursor, so the window can't go
/// away, nor the cursor move, while the slice is alive.
///
/// Moving within the current window touches no lock and makes no system call.
/// Clones are independent cursors on the same file, starting on the same
/// window.
///
/// ```
/// # fn main() -> Result<(), smmap::Error> {
/// let manager = smmap::SlidingWindowMapManager::new();
/// let mut cursor = manager.make_cursor("Cargo.toml");
/// let first_line_end = cursor.use_region(0, 0)?.buffer().iter().position(|&b| b == b'\n');
/// assert!(first_line_end.is_some());
/// # Ok(()) }
/// ```
///
/// A slice can't outlive a move of its cursor (upstream raises `BufferError`
/// at run time, or reads an unmapped window):
///
/// ```compile_fail
/// # fn main() -> Result<(), smmap::Error> {
/// let manager = smmap::SlidingWindowMapManager::new();
/// let mut cursor = manager.make_cursor("Cargo.toml");
/// let slice = cursor.use_region(0, 10)?.buffer();
/// cursor.use_region(5, 10)?; // error: `cursor` is still borrowed by `slice`
/// println!("{}", slice[0]);
/// # Ok(()) }
/// ```
#[derive(Default)]
pub struct WindowCursor {
    file: Option<Arc<FileToken>>,
    lease: Option<Lease>,
    /// File offset of the cursor's first byte.
    begin: u64,
    /// Offset of the cursor's first byte inside the region.
    ofs: usize,
    size: usize,
    /// The largest request: the manager's window size, or `u64::MAX`.
    max_request: u64,
}

impl WindowCursor {
    pub(crate) fn new(file: Arc<FileToken>) -> WindowCursor {
        let max_request = file.shared.max_request();
        WindowCursor {
            file: Some(file),
            lease: None,
            begin: 0,
            ofs: 0,
            size: 0,
            max_request,
        }
    }

    /// Points the cursor at `size` bytes from file offset `offset`, mapping a
    /// window if no mapped one contains `offset`. A `size` of 0 asks for as
    /// much as possible. The cursor may end up smaller than asked for: it never
    /// exceeds the manager's window size, the window's end or the file's end.
    ///
    /// An `offset` at or past the end of the file leaves the cursor invalid
    /// ([`is_valid`](Self::is_valid) is false), as in upstream smmap; the
    /// file's size is asked of the OS again first, so a file that grew is seen
    /// at its new size.
    ///
    /// # Errors
    /// [`Error::NotAssociated`] for a cursor made with `default()`,
    /// [`Error::Io`] if the file can't be opened or mapped (after idle windows
    /// were unloaded and the operation retried), [`Error::HandleLimit`] if a new
    /// window is needed and every allowed one is in use. The cursor is invalid
    /// afterwards.
    pub fn use_region(&mut self, offset: u64, size: usize) -> Result<&mut Self, Error> {
        let request = self.request(size);
        if let Some(lease) = &self.lease {
            let region = lease.region();
            if region.includes_ofs(offset) {
                self.place(offset, request);
                return Ok(self);
            }
        }
        self.lease = None;
        let file = self.file.as_ref().ok_or(Error::NotAssociated)?;
        if let Some(lease) = file.shared.obtain(file, offset, size as u64)? {
            self.lease = Some(lease);
            self.place(offset, request);
        }
        Ok(self)
    }

    /// What a cursor asks for `size` bytes: the window size at most, and
    /// all of it for 0 (upstream's `min(size or fsize, window_size)`).
    fn request(&self, size: usize) -> u64 {
        if size == 0 {
            self.max_request
        } else {
            (size as u64).min(self.max_request)
        }
    }

    fn place(&mut self, offset: u64, request: u64) {
        let region = self
            .lease
            .as_ref()
            .expect("placed on a leased region")
            .region();
        let ofs = (offset - region.ofs_begin()) as usize;
        self.begin = offset;
        self.ofs = ofs;
        self.size = request.min((region.size() - ofs) as u64) as usize;
    }

    /// Lets go of the current window (it stays mapped, idle, until a limit or
    /// `collect()` unloads it). The cursor becomes invalid; `size()` keeps its
    /// last value, as upstream's does.
    pub fn unuse_region(&mut self) {
        self.lease = None;
    }

    /// Whether the cursor currently points into a mapped window.
    pub fn is_valid(&self) -> bool {
        self.lease.is_some()
    }

    /// Whether the cursor belongs to a manager and a file.
    pub fn is_associated(&self) -> bool {
        self.file.is_some()
    }

    /// The cursor's bytes: `size()` bytes from `ofs_begin()`. Empty if the
    /// cursor is invalid.
    #[inline]
    pub fn buffer(&self) -> &[u8] {
        match &self.lease {
            Some(lease) => &lease.region().buffer()[self.ofs..self.ofs + self.size],
            None => &[],
        }
    }

    /// The whole window the cursor is in, from the window's first byte (file
    /// offset `region().ofs_begin()`). Empty if the cursor is invalid.
    pub fn map(&self) -> &[u8] {
        self.lease.as_ref().map_or(&[], |l| l.region().buffer())
    }

    /// File offset of the cursor's first byte.
    pub fn ofs_begin(&self) -> u64 {
        self.begin
    }

    /// File offset one past the cursor's last byte.
    pub fn ofs_end(&self) -> u64 {
        self.begin + self.size as u64
    }

    /// Number of bytes the cursor exposes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether file offset `ofs` lies within the cursor's bytes (false for an
    /// invalid cursor).
    pub fn includes_ofs(&self, ofs: u64) -> bool {
        self.is_valid() && self.begin <= ofs && ofs < self.ofs_end()
    }

    /// The size of the cursor's file, asked of the operating system.
    ///
    /// # Errors
    /// [`Error::NotAssociated`], or [`Error::Io`] if the file can't be stat'ed.
    pub fn file_size(&self) -> Result<u64, Error> {
        let file = self.file.as_ref().ok_or(Error::NotAssociated)?;
        file.shared.file_size(file)
    }

    /// Whether the cursor's file is still the one its path names: `false`
    /// once the path is gone or names another file (as when git replaces a
    /// pack by renaming a new one over it); `true` for a cursor made from a
    /// `File` or a descriptor, and for a path no window or size was asked of
    /// yet. A cursor that isn't current keeps reading the windows it mapped;
    /// any new window fails with [`Error::FileReplaced`] or [`Error::Io`],
    /// and a cursor made anew for the path reads the file there now.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::env::temp_dir().join(format!("smmap-current-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("data");
    /// std::fs::write(&path, b"old")?;
    /// let manager = smmap::SlidingWindowMapManager::new();
    /// let mut old = manager.make_cursor(&path);
    /// old.use_region(0, 3)?;
    /// assert!(old.is_current());
    ///
    /// let next = dir.join("data.tmp");
    /// std::fs::write(&next, b"new")?;
    /// std::fs::rename(&next, &path)?; // another file under the same name
    /// assert!(!old.is_current());
    /// assert_eq!(old.buffer(), b"old"); // its window still reads the old one
    /// let mut new = manager.make_cursor(&path);
    /// assert_eq!(new.use_region(0, 3)?.buffer(), b"new");
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// ```
    pub fn is_current(&self) -> bool {
        self.file
            .as_ref()
            .is_none_or(|file| file.shared.is_current(file))
    }

    /// The path the cursor was made from; `None` for a cursor made from an
    /// open `File`, from a descriptor, or with `default()`.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_ref().and_then(|f| f.path.as_deref())
    }

    /// The descriptor number the cursor was made from
    /// ([`MapManager::make_cursor_from_fd`](crate::MapManager::make_cursor_from_fd));
    /// `None` for other cursors. Upstream raises `ValueError` here for path
    /// cursors.
    pub fn fd(&self) -> Option<i32> {
        self.file.as_ref().and_then(|f| f.fd)
    }

    /// What the cursor was made from: a path, a descriptor, or an open
    /// `File` (upstream's `path_or_fd()`).
    ///
    /// ```
    /// let manager = smmap::SlidingWindowMapManager::new();
    /// let cursor = manager.make_cursor("Cargo.toml");
    /// assert_eq!(cursor.path_or_fd(), Some(smmap::PathOrFd::Path("Cargo.toml".as_ref())));
    /// assert_eq!(smmap::WindowCursor::default().path_or_fd(), None);
    /// ```
    pub fn path_or_fd(&self) -> Option<PathOrFd<'_>> {
        let f = self.file.as_ref()?;
        Some(match (&f.path, f.fd) {
            (Some(path), _) => PathOrFd::Path(path),
            (None, Some(fd)) => PathOrFd::Fd(fd),
            (None, None) => PathOrFd::File,
        })
    }

    /// The window the cursor is in, if valid.
    pub fn region(&self) -> Option<&MapRegion> {
        self.lease.as_ref().map(Lease::region)
    }

    /// Copies up to `buf.len()` bytes from file offset `offset` into `buf`,
    /// moving the cursor across windows as needed, and returns how many were
    /// copied: fewer only at the end of the file.
    ///
    /// ```
    /// # fn main() -> Result<(), smmap::Error> {
    /// // 16-byte windows: a read of 40 bytes crosses three of them.
    /// let manager = smmap::SlidingWindowMapManager::with_limits(16, 0, 0);
    /// let mut cursor = manager.make_cursor("Cargo.toml");
    /// let mut buf = [0u8; 40];
    /// assert_eq!(cursor.read_at(0, &mut buf)?, 40);
    /// assert_eq!(&buf[..], &std::fs::read("Cargo.toml").unwrap()[..40]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`use_region`](Self::use_region).
    #[inline]
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
        // The common case, the bytes inside the window the cursor is in:
        // copied where the loop below would copy them from, the cursor
        // placed where it would place it.
        if let Some(lease) = &self.lease
            && !buf.is_empty()
        {
            let region = lease.region();
            let window = region.buffer();
            if let Some(start) = offset.checked_sub(region.ofs_begin())
                && let Ok(start) = usize::try_from(start)
                && let Some(end) = start.checked_add(buf.len())
                && end <= window.len()
                && buf.len() as u64 <= self.max_request
            {
                let len = buf.len() as u64;
                let placed = self.includes_ofs(offset);
                if !placed || offset + len <= self.ofs_end() {
                    buf.copy_from_slice(&window[start..end]);
                    if !placed {
                        self.place(offset, len);
                    }
                    return Ok(buf.len());
                }
            }
        }
        self.read_at_slowly(offset, buf)
    }

    /// Asks the processor to fetch the byte at file `offset` into its cache
    /// ahead of a read, if it lies in the window the cursor is in (a hint:
    /// no window is mapped or placed for it, nothing is read, nothing can
    /// fail). A walk that learns where it will read next, say the next
    /// entries of a table in random order, overlaps their fetches.
    ///
    /// ```
    /// # fn main() -> Result<(), smmap::Error> {
    /// let manager = smmap::SlidingWindowMapManager::new();
    /// let mut cursor = manager.make_cursor("Cargo.toml");
    /// cursor.use_region(0, 64)?;
    /// cursor.prefetch(40);
    /// let mut buf = [0u8; 8];
    /// assert_eq!(cursor.read_at(40, &mut buf)?, 8);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn prefetch(&self, offset: u64) {
        if let Some(lease) = &self.lease {
            let region = lease.region();
            if let Some(start) = offset.checked_sub(region.ofs_begin())
                && let Ok(start) = usize::try_from(start)
                && let Some(bytes) = region.buffer().get(start..)
            {
                crate::sys::prefetch(bytes);
            }
        }
    }

    /// The `len` bytes at file `offset`, if the window the cursor holds
    /// maps them all: nothing is mapped, the cursor's place is left as it
    /// is (where [`read_at`](Self::read_at) would move it), nothing can
    /// fail. For a reader that looks up small records all over a file
    /// mapped in one window (a commit-graph's tables), the check before a
    /// [`read_at`](Self::read_at) that would place the cursor.
    ///
    /// ```
    /// # fn main() -> Result<(), smmap::Error> {
    /// let manager = smmap::SlidingWindowMapManager::new();
    /// let mut cursor = manager.make_cursor("Cargo.toml");
    /// assert_eq!(cursor.mapped_at(0, 4), None); // no window yet
    /// cursor.use_region(0, 64)?;
    /// let file = std::fs::read("Cargo.toml").unwrap();
    /// assert_eq!(cursor.mapped_at(10, 4), Some(&file[10..14]));
    /// assert_eq!(cursor.ofs_begin(), 0);
    /// assert_eq!(cursor.mapped_at(file.len() as u64 - 2, 4), None);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn mapped_at(&self, offset: u64, len: usize) -> Option<&[u8]> {
        let region = self.lease.as_ref()?.region();
        let start = usize::try_from(offset.checked_sub(region.ofs_begin())?).ok()?;
        region.buffer().get(start..start.checked_add(len)?)
    }

    fn read_at_slowly(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
        let mut done = 0;
        while done < buf.len() {
            let at = offset + done as u64;
            if !self.includes_ofs(at) && !self.use_region(at, buf.len() - done)?.is_valid() {
                break;
            }
            let avail = &self.buffer()[(at - self.begin) as usize..];
            let n = avail.len().min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&avail[..n]);
            done += n;
        }
        Ok(done)
    }

    /// Moves the cursor onto a window already mapped that holds the `size`
    /// bytes at `offset`, if the manager has one (as
    /// [`use_region`](Self::use_region) would: `buffer()` then starts at
    /// `offset`, at most the window size long, and
    /// [`window_at`](Self::window_at) gives the rest of the window); never
    /// maps a window. Returns whether it did; if not, the
    /// cursor is left where it was.
    ///
    /// ```
    /// # fn main() -> Result<(), smmap::Error> {
    /// let manager = smmap::SlidingWindowMapManager::with_limits(4096, 8192, 0);
    /// let mut cursor = manager.make_cursor("Cargo.toml");
    /// assert!(!cursor.use_mapped_region(10, 20)?);
    /// cursor.use_region(0, 100)?;
    /// let mut other = manager.make_cursor("Cargo.toml");
    /// assert!(other.use_mapped_region(10, 20)?);
    /// assert_eq!(other.buffer()[0], std::fs::read("Cargo.toml").unwrap()[10]);
    /// assert_eq!(manager.stats().windows_mapped, 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotAssociated`] for a cursor made with `default()`.
    pub fn use_mapped_region(&mut self, offset: u64, size: usize) -> Result<bool, Error> {
        let file = self.file.as_ref().ok_or(Error::NotAssociated)?;
        let request = self.request(size);
        if let Some(lease) = &self.lease
            && lease.region().bytes_at(offset, size).is_some()
        {
            self.place(offset, request);
            return Ok(true);
        }
        match file.shared.mapped(file, offset, size) {
            Some(lease) => {
                self.lease = Some(lease);
                self.place(offset, request);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Copies the bytes at `offset` into `buf` without mapping anything:
    /// from a window of the manager's that holds them all if one is mapped,
    /// else with a positional read of the file. Returns how many bytes were
    /// copied, fewer than `buf.len()` only at the end of the file. The
    /// cursor stays where it is.
    ///
    /// For reads far from where the cursors work, under a memory limit: a
    /// window mapped for a few bytes costs more than their copy, and later
    /// another window's unmapping, which interrupts every core running the
    /// process to flush its TLB.
    ///
    /// ```
    /// # fn main() -> Result<(), smmap::Error> {
    /// let manager = smmap::SlidingWindowMapManager::with_limits(4096, 8192, 0);
    /// let mut cursor = manager.make_cursor("Cargo.toml");
    /// let mut buf = [0u8; 40];
    /// assert_eq!(cursor.read_unmapped(5, &mut buf)?, 40);
    /// assert_eq!(&buf[..], &std::fs::read("Cargo.toml").unwrap()[5..45]);
    /// assert_eq!(manager.stats().windows_mapped, 0);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotAssociated`] for a cursor made with `default()`,
    /// [`Error::Io`] if the file can't be opened or read.
    pub fn read_unmapped(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
        let file = self.file.as_ref().ok_or(Error::NotAssociated)?;
        if let Some(bytes) = self
            .lease
            .as_ref()
            .and_then(|lease| lease.region().bytes_at(offset, buf.len()))
        {
            buf.copy_from_slice(bytes);
            return Ok(buf.len());
        }
        file.shared.read_unmapped(file, offset, buf)
    }

    /// The mapped bytes from file offset `offset` to the end of the window
    /// that holds it, without copying; the cursor moves there if needed (and
    /// stays put when `offset` is already in its window). Empty at or past
    /// the end of the file.
    ///
    /// ```
    /// # fn main() -> Result<(), smmap::Error> {
    /// let manager = smmap::SlidingWindowMapManager::with_limits(4096, 0, 0);
    /// let mut cursor = manager.make_cursor("Cargo.toml");
    /// let rest = cursor.window_at(10)?;
    /// assert_eq!(rest[0], std::fs::read("Cargo.toml").unwrap()[10]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`use_region`](Self::use_region).
    #[inline]
    pub fn window_at(&mut self, offset: u64) -> Result<&[u8], Error> {
        if !self.includes_ofs(offset) {
            self.use_region(offset, 0)?;
            if !self.is_valid() {
                return Ok(&[]);
            }
        }
        let map = self.map();
        let start = (offset - self.region().map_or(0, MapRegion::ofs_begin)) as usize;
        Ok(&map[start..])
    }
}

impl Clone for WindowCursor {
    fn clone(&self) -> Self {
        WindowCursor {
            file: self.file.clone(),
            lease: self.lease.clone(),
            begin: self.begin,
            ofs: self.ofs,
            size: self.size,
            max_request: self.max_request,
        }
    }
}

impl fmt::Debug for WindowCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindowCursor")
            .field("path", &self.path())
            .field("region", &self.region())
            .field("ofs_begin", &self.begin)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    /// `read_at`'s shortcut for bytes inside the cursor's window gives
    /// the bytes and the placement the window-by-window loop gives, from
    /// every kind of starting placement.
    #[test]
    fn read_at_shortcut_places_as_the_loop_does() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/cursor.rs");
        let data = std::fs::read(path).unwrap();
        let len = data.len() as u64;
        let manager = crate::SlidingWindowMapManager::with_limits(4096, 0, 0);
        let mut cursor = manager.make_cursor(path);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |bound: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % bound
        };
        for _ in 0..5_000 {
            if next(4) == 0 {
                let at = next(len);
                let size = next(6000) as usize;
                cursor.use_region(at, size).unwrap();
            }
            let at = next(len + 10);
            let bound = if next(3) == 0 { 9000 } else { 64 };
            let n = next(bound) as usize;
            let mut fast = cursor.clone();
            let mut slow = cursor.clone();
            let (mut a, mut b) = (vec![0; n], vec![0; n]);
            let got = fast.read_at(at, &mut a).unwrap();
            assert_eq!(got, slow.read_at_slowly(at, &mut b).unwrap());
            assert_eq!(a[..got], b[..got]);
            let start = (at as usize).min(data.len());
            assert_eq!(a[..got], data[start..start + got]);
            assert_eq!(
                (fast.is_valid(), fast.ofs_begin(), fast.size()),
                (slow.is_valid(), slow.ofs_begin(), slow.size()),
                "read of {n} at {at}"
            );
            cursor = fast;
        }
    }
}
