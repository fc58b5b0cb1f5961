//! Bytes of a pack read from its file rather than mapped, for passes that
//! would otherwise map a window for a few bytes and unmap it again (each
//! unmapping stops every core running the process to flush its TLB).

use smmap::WindowCursor;

use crate::error::Error;

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

    /// The bytes its buffer holds room for.
    pub(crate) fn capacity(&self) -> usize {
        self.bytes.capacity()
    }
}
