//! [`SlidingWindowMapBuffer`]: a byte range of a file, read through windows as
//! if it were one buffer.

use std::borrow::Cow;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::ops::{Bound, Range, RangeBounds};

use memchr::memmem;

use crate::cursor::WindowCursor;
use crate::error::Error;

/// A range of a file that reads like one byte buffer, whatever the windows.
///
/// Indices are **relative**: index 0 is the byte at the offset the buffer was
/// made with (upstream documents this but indexes by file offset). The buffer
/// moves its cursor from window to window as needed; a slice that lies inside
/// one window is borrowed from the mapping, one that crosses windows is copied.
///
/// It also implements [`Read`], [`Seek`] and [`BufRead`] (whose `fill_buf`
/// hands out the mapped window itself, without copying).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = std::env::temp_dir().join(format!("smmap-doc-buf-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # let path = dir.join("data");
/// std::fs::write(&path, b"0123456789")?;
/// let manager = smmap::SlidingWindowMapManager::new();
/// let mut buf = smmap::SlidingWindowMapBuffer::new(manager.make_cursor(&path), 2, u64::MAX)?;
/// assert_eq!(buf.len(), 8);
/// assert_eq!(buf.get(0)?, Some(b'2'));
/// assert_eq!(&*buf.slice(1..4)?, b"345");
/// assert_eq!(buf.find(b"78", ..)?, Some(5));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct SlidingWindowMapBuffer {
    cursor: Option<WindowCursor>,
    /// File offset of index 0.
    offset: u64,
    len: u64,
    /// Position for `Read`/`Seek`, relative to `offset`.
    pos: u64,
}

impl SlidingWindowMapBuffer {
    /// A buffer over `size` bytes of the cursor's file from file offset
    /// `offset` (clamped to the end of the file; `u64::MAX` means "to the end").
    ///
    /// # Errors
    /// [`Error::NotAssociated`] for an unassociated cursor,
    /// [`Error::OutOfBounds`] if `offset` lies at or past the end of the file,
    /// and the errors of [`WindowCursor::use_region`].
    pub fn new(cursor: WindowCursor, offset: u64, size: u64) -> Result<Self, Error> {
        let mut buf = SlidingWindowMapBuffer::default();
        if !cursor.is_associated() {
            return Err(Error::NotAssociated);
        }
        if !buf.begin_access(Some(cursor), offset, size)? {
            let cursor = buf.cursor.as_ref().expect("set by begin_access");
            return Err(Error::OutOfBounds {
                path: cursor.path().map(Into::into),
                offset,
                len: cursor.file_size()?,
            });
        }
        Ok(buf)
    }

    /// (Re)starts access: optionally replaces the cursor, then places the
    /// buffer at `offset` with `size` bytes (clamped to the end of the file).
    /// Returns whether the buffer is usable: false if there is no associated
    /// cursor or `offset` lies at or past the end of the file.
    ///
    /// # Errors
    /// The errors of [`WindowCursor::use_region`].
    pub fn begin_access(
        &mut self,
        cursor: Option<WindowCursor>,
        offset: u64,
        size: u64,
    ) -> Result<bool, Error> {
        if let Some(cursor) = cursor {
            self.cursor = Some(cursor);
        }
        self.len = 0;
        self.pos = 0;
        let Some(cursor) = self.cursor.as_mut().filter(|c| c.is_associated()) else {
            return Ok(false);
        };
        if !cursor.use_region(offset, 0)?.is_valid() {
            return Ok(false);
        }
        let file_size = cursor.file_size()?;
        self.offset = offset;
        self.len = size.min(file_size.saturating_sub(offset));
        Ok(true)
    }

    /// Ends access: the cursor lets go of its window and the buffer becomes
    /// empty. Call [`begin_access`](Self::begin_access) to use it again.
    pub fn end_access(&mut self) {
        self.len = 0;
        self.pos = 0;
        if let Some(cursor) = &mut self.cursor {
            cursor.unuse_region();
        }
    }

    /// The cursor the buffer reads through, if it has one.
    pub fn cursor(&self) -> Option<&WindowCursor> {
        self.cursor.as_ref()
    }

    /// Takes the cursor back out of the buffer.
    pub fn into_cursor(self) -> Option<WindowCursor> {
        self.cursor
    }

    /// Number of bytes in the buffer.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the buffer holds no bytes (also while access has ended).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The mapped bytes from buffer index `i` to the end of its window (at
    /// most to the buffer's end), without copying. Empty if `i >= len()`.
    ///
    /// # Errors
    /// The errors of [`WindowCursor::use_region`].
    pub fn window_at(&mut self, i: u64) -> Result<&[u8], Error> {
        if i >= self.len {
            return Ok(&[]);
        }
        let remaining = self.len - i;
        let abs = self.offset + i;
        let cursor = self.cursor.as_mut().ok_or(Error::NotAssociated)?;
        if !cursor.includes_ofs(abs) {
            cursor.use_region(abs, 0)?;
        }
        let cursor = self.cursor.as_ref().expect("checked above");
        if !cursor.is_valid() {
            // The file shrank below the buffer's end.
            return Err(Error::OutOfBounds {
                path: cursor.path().map(Into::into),
                offset: abs,
                len: cursor.file_size()?,
            });
        }
        let map = cursor.map();
        let start = (abs - cursor.region().expect("valid").ofs_begin()) as usize;
        let n = (map.len() - start).min(usize::try_from(remaining).unwrap_or(usize::MAX));
        Ok(&map[start..start + n])
    }

    /// The byte at index `i`, or `None` if `i >= len()`.
    ///
    /// # Errors
    /// The errors of [`WindowCursor::use_region`].
    #[inline]
    pub fn get(&mut self, i: u64) -> Result<Option<u8>, Error> {
        if i >= self.len {
            return Ok(None);
        }
        if let Some(c) = &self.cursor {
            let abs = self.offset + i;
            if c.includes_ofs(abs) {
                return Ok(Some(c.buffer()[(abs - c.ofs_begin()) as usize]));
            }
        }
        Ok(self.window_at(i)?.first().copied())
    }

    /// The bytes of `range` (indices relative to the buffer): borrowed from the
    /// mapping when they lie in one window, copied when they cross windows.
    ///
    /// # Errors
    /// [`Error::InvalidRange`] if the start lies after the end,
    /// [`Error::OutOfBounds`] if the end lies past `len()`, and the errors of
    /// [`WindowCursor::use_region`].
    pub fn slice(&mut self, range: impl RangeBounds<u64>) -> Result<Cow<'_, [u8]>, Error> {
        let Range { start, end } = self.resolve(range)?;
        let want = usize::try_from(end - start).map_err(|_| Error::InvalidRange { start, end })?;
        if want == 0 {
            return Ok(Cow::Borrowed(&[]));
        }
        // Zero-copy when the whole range lies in one window.
        if self.window_at(start)?.len() >= want {
            return Ok(Cow::Borrowed(&self.window_at(start)?[..want]));
        }
        let mut out = Vec::with_capacity(want);
        let mut at = start;
        while at < end {
            let chunk = self.window_at(at)?;
            let n = chunk
                .len()
                .min(usize::try_from(end - at).unwrap_or(usize::MAX));
            out.extend_from_slice(&chunk[..n]);
            at += n as u64;
        }
        Ok(Cow::Owned(out))
    }

    fn resolve(&self, range: impl RangeBounds<u64>) -> Result<Range<u64>, Error> {
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => e.saturating_add(1),
            Bound::Excluded(&e) => e,
            Bound::Unbounded => self.len,
        };
        if start > end {
            return Err(Error::InvalidRange { start, end });
        }
        if end > self.len {
            let path = self.cursor.as_ref().and_then(|c| c.path()).map(Into::into);
            return Err(Error::OutOfBounds {
                path,
                offset: end,
                len: self.len,
            });
        }
        Ok(start..end)
    }

    /// The index of the first occurrence of `needle` that lies wholly within
    /// `range`, like Python's `mmap.find`. Matches that cross window ends are
    /// found too. An empty needle matches at the range's start.
    ///
    /// # Errors
    /// As for [`slice`](Self::slice).
    pub fn find(
        &mut self,
        needle: &[u8],
        range: impl RangeBounds<u64>,
    ) -> Result<Option<u64>, Error> {
        let Range { start, end } = self.resolve(range)?;
        if needle.is_empty() {
            return Ok(Some(start));
        }
        if end - start < needle.len() as u64 {
            return Ok(None);
        }
        let finder = memmem::Finder::new(needle);
        let keep = needle.len() - 1;
        // The last `keep` bytes before `at`, gathered from as many windows as
        // it takes (a needle may be longer than a window): matches that start
        // there and end in the next window are found in `joined`.
        let mut tail: Vec<u8> = Vec::with_capacity(keep);
        let mut joined: Vec<u8> = Vec::with_capacity(2 * keep);
        let mut at = start;
        while at < end {
            let limit = usize::try_from(end - at).unwrap_or(usize::MAX);
            let window = self.window_at(at)?;
            let chunk = &window[..window.len().min(limit)];
            if !tail.is_empty() {
                // A match starting in `tail` ends within `keep` bytes of
                // `chunk`; one that needs more than `chunk` has is found
                // with the next window, and `chunk` is then too short to
                // hold an earlier-starting match of its own.
                joined.clear();
                joined.extend_from_slice(&tail);
                joined.extend_from_slice(&chunk[..chunk.len().min(keep)]);
                if let Some(i) = finder.find(&joined) {
                    return Ok(Some(at - tail.len() as u64 + i as u64));
                }
            }
            if let Some(i) = finder.find(chunk) {
                return Ok(Some(at + i as u64));
            }
            tail.extend_from_slice(&chunk[chunk.len().saturating_sub(keep)..]);
            tail.drain(..tail.len().saturating_sub(keep));
            at += chunk.len() as u64;
        }
        Ok(None)
    }

    /// The index of the last occurrence of `needle` that lies wholly within
    /// `range`, like Python's `mmap.rfind`. An empty needle matches at the
    /// range's end.
    ///
    /// # Errors
    /// As for [`slice`](Self::slice).
    pub fn rfind(
        &mut self,
        needle: &[u8],
        range: impl RangeBounds<u64>,
    ) -> Result<Option<u64>, Error> {
        let Range { start, end } = self.resolve(range)?;
        if needle.is_empty() {
            return Ok(Some(end));
        }
        if end - start < needle.len() as u64 {
            return Ok(None);
        }
        let finder = memmem::FinderRev::new(needle);
        let keep = needle.len() - 1;
        // The first `keep` bytes from `stop` on, gathered from as many
        // windows as it takes: matches that start in the current window and
        // end there are found in `joined`.
        let mut head: Vec<u8> = Vec::with_capacity(keep);
        let mut joined: Vec<u8> = Vec::with_capacity(2 * keep);
        let mut stop = end;
        while stop > start {
            let (chunk_start, chunk) = self.window_before(stop, start)?;
            if !head.is_empty() {
                let from = chunk.len().saturating_sub(keep);
                joined.clear();
                joined.extend_from_slice(&chunk[from..]);
                joined.extend_from_slice(&head);
                if let Some(i) = finder.rfind(&joined) {
                    return Ok(Some(chunk_start + (from + i) as u64));
                }
            }
            if let Some(i) = finder.rfind(chunk) {
                return Ok(Some(chunk_start + i as u64));
            }
            let mut next = chunk[..chunk.len().min(keep)].to_vec();
            next.extend_from_slice(&head[..head.len().min(keep - next.len())]);
            head = next;
            stop = chunk_start;
        }
        Ok(None)
    }

    /// The mapped bytes of the window that holds index `stop - 1`, from the
    /// window's start (but not before `floor`) up to `stop`.
    fn window_before(&mut self, stop: u64, floor: u64) -> Result<(u64, &[u8]), Error> {
        let abs = self.offset + stop - 1;
        let cursor = self.cursor.as_mut().ok_or(Error::NotAssociated)?;
        if !cursor.region().is_some_and(|r| r.includes_ofs(abs)) {
            // A one-byte request grows the new window to the left.
            cursor.use_region(abs, 1)?;
        }
        let Some(region) = cursor.region() else {
            // The file shrank below the buffer's end.
            return Err(Error::OutOfBounds {
                path: cursor.path().map(Into::into),
                offset: abs,
                len: cursor.file_size()?,
            });
        };
        let window_start = region.ofs_begin().max(self.offset + floor);
        let from = (window_start - region.ofs_begin()) as usize;
        let to = (abs + 1 - region.ofs_begin()) as usize;
        Ok((window_start - self.offset, &region.buffer()[from..to]))
    }
}

impl Read for SlidingWindowMapBuffer {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let window = self.fill_buf()?;
        let n = window.len().min(out.len());
        out[..n].copy_from_slice(&window[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for SlidingWindowMapBuffer {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let pos = self.pos;
        Ok(self.window_at(pos)?)
    }

    fn consume(&mut self, amt: usize) {
        self.pos = self
            .pos
            .saturating_add(amt as u64)
            .min(self.len.max(self.pos));
    }
}

impl Seek for SlidingWindowMapBuffer {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid seek to a negative or overflowing position",
            )
        })?;
        self.pos = target;
        Ok(target)
    }
}
