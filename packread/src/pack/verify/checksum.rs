//! Verification primitives: trailer checksums, entry CRC32s, object hashes.

use smmap::WindowCursor;

use crate::error::{Corruption, Error};
use crate::object::{HashKind, ObjectId};
use crate::pack::file::{Pack, PackCursors};
use crate::pack::index::PackIndex;

/// Feeds `[start, end)` of the cursor's file to `f`, window by window.
fn for_each_window(
    c: &mut WindowCursor,
    start: u64,
    end: u64,
    mut f: impl FnMut(&[u8]),
) -> Result<(), smmap::Error> {
    let mut pos = start;
    while pos < end {
        let w = c.window_at(pos)?;
        if w.is_empty() {
            break;
        }
        let n = w
            .len()
            .min(usize::try_from(end - pos).unwrap_or(usize::MAX));
        f(&w[..n]);
        pos += n as u64;
    }
    Ok(())
}

/// Hashes `[0, end)` of the cursor's file.
pub(crate) fn hash_range(
    c: &mut WindowCursor,
    hash: HashKind,
    end: u64,
) -> Result<ObjectId, smmap::Error> {
    let mut h = hash.hasher();
    for_each_window(c, 0, end, |w| h.update(w))?;
    c.unuse_region();
    Ok(h.finish())
}

/// The CRC32 of `[start, end)` of the cursor's file.
pub(crate) fn crc32_range(c: &mut WindowCursor, start: u64, end: u64) -> Result<u32, smmap::Error> {
    let mut h = crc32fast::Hasher::new();
    for_each_window(c, start, end, |w| h.update(w))?;
    Ok(h.finalize())
}

impl PackIndex {
    /// Checks the index's trailer: the hash of everything before it.
    pub fn verify_checksum(&self, c: &mut WindowCursor) -> Result<(), Error> {
        let h = self.hash_kind().len() as u64;
        let expected = self.index_checksum(c)?;
        let actual = hash_range(c, self.hash_kind(), self.file_size() - h)?;
        if expected != actual {
            return Err(Error::corrupt(
                self.path(),
                self.file_size() - h,
                Corruption::ChecksumMismatch { expected, actual },
            ));
        }
        Ok(())
    }
}

impl Pack {
    /// Checks the pack's trailer (the hash of all bytes before it) and that
    /// the index's copy of it matches. Reads the whole pack through windows.
    pub fn verify_checksum(&self, c: &mut PackCursors) -> Result<(), Error> {
        let end = self.data_end();
        let actual = hash_range(c.data_cursor(), self.hash_kind(), end)?;
        let expected = self.checksum();
        if expected != actual {
            return Err(self.corrupt(end, Corruption::ChecksumMismatch { expected, actual }));
        }
        if self.index().pack_checksum(c.index_cursor())? != expected {
            let at = self.index().file_size() - 2 * self.hash_kind().len() as u64;
            return Err(Error::corrupt(
                self.index().path(),
                at,
                Corruption::PackChecksumMismatch,
            ));
        }
        Ok(())
    }

    /// Checks the CRC32 of the entry at `offset` (which ends at `end`)
    /// against the index's value for position `pos` (version 2 indices;
    /// version 1 has none, so this checks nothing there).
    pub fn verify_crc32(
        &self,
        c: &mut PackCursors,
        pos: u32,
        offset: u64,
        end: u64,
    ) -> Result<(), Error> {
        let expected = self.index().crc32_at(c.index_cursor(), pos)?;
        self.check_crc32(c, expected, offset, end)
    }

    /// Checks the CRC32 of the entry bytes `offset..end` against `expected`
    /// (none: a version 1 index, which records no CRC32s).
    pub(crate) fn check_crc32(
        &self,
        c: &mut PackCursors,
        expected: Option<u32>,
        offset: u64,
        end: u64,
    ) -> Result<(), Error> {
        let Some(expected) = expected else {
            return Ok(());
        };
        let actual = crc32_range(c.data_cursor(), offset, end)?;
        if expected != actual {
            return Err(self.corrupt(offset, Corruption::CrcMismatch { expected, actual }));
        }
        Ok(())
    }
}
