//! Bytes of a pack read from its file rather than mapped, for passes that
//! would otherwise map a window for a few bytes and unmap it again (each
//! unmapping stops every core running the process to flush its TLB).

use smmap::WindowCursor;

use crate::error::{Corruption, Error};
use crate::inflate;
use crate::pack::decode::{self, DecodeState};
use crate::pack::entry::EntryHeader;
use crate::pack::file::{Pack, PackCursors};

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

/// The file is read a page at a time at least: a read for a stream goes on
/// to the end of the page it ends in (the next entry may start there).
const PAGE: u64 = 4 << 10;

/// How far a read for an entry's stream goes.
#[derive(Clone, Copy)]
pub(crate) enum Reach {
    /// To the end of the page the stream ends in: for entries here and there
    /// in the pack.
    PageEnd,
    /// [`PASS_READ`] bytes from the stream on: for entries one after the
    /// other.
    Pass,
}

/// Inflates the entry at `offset` (header `h`, its stream ending by `end`)
/// onto the end of `out` (left as it was on an error) from the bytes `ahead`
/// holds, else from a window already mapped over its stream, else from
/// bytes read from the file into `ahead` (as far as `reach` says, and kept
/// for the next entries): mapping nothing ([`ReadAhead::stream`]).
pub(crate) fn inflate_read_onto(
    pack: &Pack,
    (offset, h, end): (u64, &EntryHeader, u64),
    (c, st): (&mut PackCursors, &mut DecodeState),
    (ahead, reach): (&mut ReadAhead, Reach),
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let size = decode::reserve(pack, offset, h, out)?;
    let at = offset + u64::from(h.header_len);
    let len = usize::try_from(end.saturating_sub(at))
        .map_err(|_| pack.corrupt(offset, Corruption::ObjectTooLarge(h.size)))?;
    let reach = match reach {
        Reach::PageEnd => (end + PAGE) & !(PAGE - 1),
        Reach::Pass => at.saturating_add(PASS_READ as u64),
    };
    let want = usize::try_from(reach.min(pack.data_end()).saturating_sub(at)).unwrap_or(len);
    let stream = ahead.stream(c.data_cursor(), at, len, want)?;
    let start = out.len();
    out.resize(start + size, 0);
    inflate::inflate_slice_into(st.inflater(), stream, &mut out[start..]).map_err(|reason| {
        out.truncate(start);
        pack.corrupt(offset, reason)
    })
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

    /// The `len` bytes at `at`: from those held, else from a window already
    /// mapped over them (nothing is mapped for them; looking one up takes
    /// the manager's lock, so the bytes held are looked at first), else read
    /// anew with the `want` bytes from `at` on (at least `len`). Fewer only
    /// if the file was cut since.
    pub(crate) fn stream<'a>(
        &'a mut self,
        cursor: &'a mut WindowCursor,
        at: u64,
        len: usize,
        want: usize,
    ) -> Result<&'a [u8], Error> {
        if !self.holds(at, len) {
            if cursor.use_mapped_region(at, len).map_err(Error::Map)? {
                // The window holds them whole (the cursor's `buffer()` may
                // be shorter: a window-size request).
                let window = cursor.window_at(at).map_err(Error::Map)?;
                return Ok(&window[..len.min(window.len())]);
            }
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
