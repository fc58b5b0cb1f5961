//! Inflating zlib streams straight from the mapped windows.

use flate2::{Decompress, FlushDecompress, Status};
use smmap::WindowCursor;

use crate::bytes::window_at;
use crate::error::Corruption;

/// Why an inflation failed.
pub(crate) enum InflateError {
    Map(smmap::Error),
    Corrupt(Corruption),
}

impl From<smmap::Error> for InflateError {
    fn from(e: smmap::Error) -> Self {
        InflateError::Map(e)
    }
}

impl From<Corruption> for InflateError {
    fn from(c: Corruption) -> Self {
        InflateError::Corrupt(c)
    }
}

/// What one [`step`] did.
pub(crate) struct Step {
    /// Compressed bytes taken.
    pub(crate) consumed: u64,
    /// Bytes written to the output.
    pub(crate) made: usize,
    /// Whether the stream ended (its Adler-32 checked).
    pub(crate) end: bool,
}

/// One step of inflating straight from the windows: feeds the mapped bytes
/// from file offset `pos` (up to `limit`, the end of the entry data) into
/// `z`, writing into `dst`. Fails on invalid data, and when no progress is
/// possible: input exhausted (a truncated stream) or a stuck stream.
///
/// `whole` says that `dst` has room for all the rest of the stream: zlib
/// then skips copying the output into its own window when the stream ends
/// in this step (it needs that copy only to go on in another call).
pub(crate) fn step(
    z: &mut Decompress,
    cursor: &mut WindowCursor,
    pos: u64,
    limit: u64,
    dst: &mut [u8],
    whole: bool,
) -> Result<Step, InflateError> {
    let flush = if whole {
        FlushDecompress::Finish
    } else {
        FlushDecompress::None
    };
    step_with(z, cursor, pos, limit, |z, input| {
        z.decompress(input, dst, flush)
    })
}

/// [`step`] with the call into zlib given: into a slice, or into a vector's
/// spare capacity.
fn step_with(
    z: &mut Decompress,
    cursor: &mut WindowCursor,
    pos: u64,
    limit: u64,
    call: impl FnOnce(&mut Decompress, &[u8]) -> Result<Status, flate2::DecompressError>,
) -> Result<Step, InflateError> {
    let window = window_at(cursor, pos)?;
    let room = usize::try_from(limit.saturating_sub(pos)).unwrap_or(usize::MAX);
    let input = &window[..window.len().min(room)];
    let (in0, out0) = (z.total_in(), z.total_out());
    let status = call(z, input).map_err(|e| Corruption::Inflate(e.to_string()))?;
    let step = Step {
        consumed: z.total_in() - in0,
        made: (z.total_out() - out0) as usize,
        end: status == Status::StreamEnd,
    };
    if !step.end && step.consumed == 0 && step.made == 0 {
        let stuck = if input.is_empty() {
            Corruption::TruncatedStream
        } else {
            Corruption::Inflate("no progress".into())
        };
        return Err(stuck.into());
    }
    Ok(step)
}

/// Inflates the zlib stream at file offset `ofs` (which must end before
/// `limit`) into `out`, which must come out exactly `size` bytes long; the
/// inflater writes straight into `out`'s spare capacity (reserve it first:
/// nothing is zero-filled), fed window by window from the cursor (the
/// compressed bytes are never copied). Returns the number of compressed
/// bytes the stream took.
///
/// Fails if the stream is invalid, ends early, or holds more than `size`
/// bytes.
pub(crate) fn inflate_exact(
    z: &mut Decompress,
    cursor: &mut WindowCursor,
    ofs: u64,
    limit: u64,
    out: &mut Vec<u8>,
    size: usize,
) -> Result<u64, InflateError> {
    debug_assert!(out.capacity() >= size, "the caller reserves `size` bytes");
    z.reset(true);
    out.clear();
    let mut pos = ofs;
    loop {
        // Once `out` is full, a one-byte probe tells the stream's end from
        // extra data.
        let full = out.len() >= size;
        let mut probe = [0u8; 1];
        let s = if full {
            step(z, cursor, pos, limit, &mut probe, true)?
        } else {
            step_with(z, cursor, pos, limit, |z, input| {
                z.decompress_vec(input, out, FlushDecompress::Finish)
            })?
        };
        pos += s.consumed;
        let made = out.len() + if full { s.made } else { 0 };
        if made > size {
            return Err(Corruption::SizeMismatch {
                expected: size as u64,
                actual: made as u64,
            }
            .into());
        }
        if s.end {
            if out.len() != size {
                return Err(Corruption::SizeMismatch {
                    expected: size as u64,
                    actual: out.len() as u64,
                }
                .into());
            }
            return Ok(pos - ofs);
        }
    }
}

/// Inflates the zlib stream at file offset `ofs` (which must end before
/// `limit`) and hold exactly `size` bytes, handing the output to `sink` in
/// pieces of at most `buf.len()` bytes: an object of any size is checked
/// with `buf` of memory. Returns the number of compressed bytes taken.
pub(crate) fn inflate_to(
    z: &mut Decompress,
    cursor: &mut WindowCursor,
    ofs: u64,
    limit: u64,
    size: u64,
    buf: &mut [u8],
    mut sink: impl FnMut(&[u8]),
) -> Result<u64, InflateError> {
    z.reset(true);
    let mut pos = ofs;
    let mut produced = 0u64;
    loop {
        let s = step(z, cursor, pos, limit, buf, false)?;
        pos += s.consumed;
        produced += s.made as u64;
        let mismatch = Corruption::SizeMismatch {
            expected: size,
            actual: produced,
        };
        if produced > size || (s.end && produced != size) {
            return Err(mismatch.into());
        }
        sink(&buf[..s.made]);
        if s.end {
            return Ok(pos - ofs);
        }
    }
}

/// Inflates at most `out.len()` bytes of the stream at `ofs`, for peeking at
/// the start of an entry (a delta's size header). Returns how many bytes came
/// out; the stream need not end.
pub(crate) fn inflate_prefix(
    z: &mut Decompress,
    cursor: &mut WindowCursor,
    ofs: u64,
    limit: u64,
    out: &mut [u8],
) -> Result<usize, InflateError> {
    z.reset(true);
    let mut pos = ofs;
    let mut produced = 0usize;
    while produced < out.len() {
        let s = step(z, cursor, pos, limit, &mut out[produced..], false)?;
        pos += s.consumed;
        produced += s.made;
        if s.end {
            break;
        }
    }
    Ok(produced)
}
