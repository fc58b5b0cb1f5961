//! Reading small pieces of a file through a window cursor, also where they
//! straddle a window end.

use smmap::WindowCursor;

/// Copies up to `buf.len()` bytes at file offset `ofs` into `buf`, moving the
/// cursor across windows as needed. Returns how many bytes were copied: fewer
/// only at the end of the file.
pub(crate) fn read_at(
    cursor: &mut WindowCursor,
    ofs: u64,
    buf: &mut [u8],
) -> Result<usize, smmap::Error> {
    let mut done = 0;
    while done < buf.len() {
        let at = ofs + done as u64;
        if !cursor.includes_ofs(at) && !cursor.use_region(at, buf.len() - done)?.is_valid() {
            break;
        }
        let avail = &cursor.buffer()[(at - cursor.ofs_begin()) as usize..];
        let n = avail.len().min(buf.len() - done);
        buf[done..done + n].copy_from_slice(&avail[..n]);
        done += n;
    }
    Ok(done)
}

/// The mapped bytes from file offset `ofs` to the end of the cursor's window,
/// without copying. Empty at or past the end of the file.
#[inline]
pub(crate) fn window_at(cursor: &mut WindowCursor, ofs: u64) -> Result<&[u8], smmap::Error> {
    if !cursor.includes_ofs(ofs) {
        cursor.use_region(ofs, 0)?;
        if !cursor.is_valid() {
            return Ok(&[]);
        }
    }
    let map = cursor.map();
    let start = (ofs - cursor.region().map_or(0, smmap::MapRegion::ofs_begin)) as usize;
    Ok(&map[start..])
}

/// Reads a big-endian `u32` at `ofs`; `None` past the end of the file.
pub(crate) fn be_u32_at(cursor: &mut WindowCursor, ofs: u64) -> Result<Option<u32>, smmap::Error> {
    let mut b = [0u8; 4];
    Ok((read_at(cursor, ofs, &mut b)? == 4).then(|| u32::from_be_bytes(b)))
}

/// Reads a big-endian `u64` at `ofs`; `None` past the end of the file.
pub(crate) fn be_u64_at(cursor: &mut WindowCursor, ofs: u64) -> Result<Option<u64>, smmap::Error> {
    let mut b = [0u8; 8];
    Ok((read_at(cursor, ofs, &mut b)? == 8).then(|| u64::from_be_bytes(b)))
}
