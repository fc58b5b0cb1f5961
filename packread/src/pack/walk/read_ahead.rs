//! Bytes of a pack read from its file rather than mapped, for passes that
//! would otherwise map a window for a few bytes and unmap it again (each
//! unmapping stops every core running the process to flush its TLB).

use smmap::WindowCursor;

use crate::error::Error;
use crate::pack::file::Pack;

/// Windows smaller than this are not mapped for a pass over every entry of
/// a pack: each would be mapped for a few entries, then unmapped again, and
/// every unmapping stops the other cores running the process to flush their
/// TLBs (git.git at 64 KiB windows: 7,500 windows a pass). Bigger windows,
/// and whole files, are mapped as for any read.
const SMALL_WINDOW: usize = 1 << 20;

/// Bytes of the pack read at once by a pass over every entry that reads.
pub(crate) const PASS_READ: usize = 128 << 10;

/// Whether a pass over every entry of `pack` reads the file rather than
/// mapping windows over it (see [`SMALL_WINDOW`]).
pub(crate) fn reads_instead(pack: &Pack) -> bool {
    let window = pack.manager().window_size();
    window != 0 && window < SMALL_WINDOW
}

/// Bytes of the pack read from the file, not mapped: `bytes` from `start`.
#[derive(Default)]
pub(crate) struct ReadAhead {
    start: u64,
    bytes: Vec<u8>,
}

impl ReadAhead {
    /// Whether the `len` bytes at `at` are held.
    pub(crate) fn holds(&self, at: u64, len: usize) -> bool {
        self.held(at, len).is_some_and(|b| b.len() == len)
    }

    /// The `len` bytes at `at`, or as many of them as are held (fewer when
    /// the read that brought them ended early); `None` if `at` is not held.
    pub(crate) fn held(&self, at: u64, len: usize) -> Option<&[u8]> {
        let from = usize::try_from(at.checked_sub(self.start)?).ok()?;
        let rest = self.bytes.get(from..)?;
        Some(&rest[..len.min(rest.len())])
    }

    /// Reads `want` bytes from `at` through `cursor` (from a window already
    /// mapped there, else from the file: nothing is mapped), in place of
    /// those held; fewer only at the end of the file.
    pub(crate) fn read(
        &mut self,
        cursor: &mut WindowCursor,
        at: u64,
        want: usize,
    ) -> Result<(), Error> {
        self.bytes.clear();
        self.bytes.resize(want, 0);
        let got = cursor
            .read_unmapped(at, &mut self.bytes)
            .map_err(Error::Map)?;
        self.bytes.truncate(got);
        self.start = at;
        Ok(())
    }

    /// The `len` bytes at `at`: from a window already mapped over them
    /// (nothing is mapped for them), else from those held, else read anew
    /// with the `want` bytes from `at` on (at least `len`). Fewer only if
    /// the file was cut since.
    pub(crate) fn stream<'a>(
        &'a mut self,
        cursor: &'a mut WindowCursor,
        at: u64,
        len: usize,
        want: usize,
    ) -> Result<&'a [u8], Error> {
        if cursor.use_mapped_region(at, len).map_err(Error::Map)? {
            // The window holds them whole (the cursor's `buffer()` may be
            // shorter: a window-size request).
            let window = cursor.window_at(at).map_err(Error::Map)?;
            return Ok(&window[..len.min(window.len())]);
        }
        if !self.holds(at, len) {
            self.read(cursor, at, want.max(len))?;
        }
        // After a read, the bytes start at `at`.
        Ok(self.held(at, len).unwrap_or_default())
    }

    /// The bytes its buffer holds room for.
    pub(crate) fn capacity(&self) -> usize {
        self.bytes.capacity()
    }
}
