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

/// Inflates the zlib stream at file offset `ofs` (which must end before
/// `limit`) into exactly `out`, feeding the inflater window by window from
/// the cursor: the compressed bytes are never copied. Returns the number of
/// compressed bytes the stream took.
///
/// Fails if the stream is invalid, ends early, or holds more than `out.len()`
/// bytes.
pub(crate) fn inflate_exact(
    z: &mut Decompress,
    cursor: &mut WindowCursor,
    ofs: u64,
    limit: u64,
    out: &mut [u8],
) -> Result<u64, InflateError> {
    z.reset(true);
    let mut pos = ofs;
    let mut produced = 0usize;
    loop {
        let window = window_at(cursor, pos)?;
        let input = &window[..window
            .len()
            .min(usize::try_from(limit.saturating_sub(pos)).unwrap_or(usize::MAX))];
        let (in0, out0) = (z.total_in(), z.total_out());
        // Once `out` is full, a one-byte probe tells the stream's end from extra data.
        let mut probe = [0u8; 1];
        let full = produced == out.len();
        let dst = if full {
            &mut probe[..]
        } else {
            &mut out[produced..]
        };
        let status = z
            .decompress(input, dst, FlushDecompress::None)
            .map_err(|e| Corruption::Inflate(e.to_string()))?;
        let consumed = z.total_in() - in0;
        let made = (z.total_out() - out0) as usize;
        pos += consumed;
        if full && made > 0 {
            return Err(Corruption::SizeMismatch {
                expected: out.len() as u64,
                actual: out.len() as u64 + 1,
            }
            .into());
        }
        produced += made;
        match status {
            Status::StreamEnd => {
                if produced != out.len() {
                    return Err(Corruption::SizeMismatch {
                        expected: out.len() as u64,
                        actual: produced as u64,
                    }
                    .into());
                }
                return Ok(pos - ofs);
            }
            Status::Ok | Status::BufError => {
                if consumed == 0 && made == 0 {
                    // No progress: out of input (truncated) or a stuck stream.
                    return Err(if input.is_empty() {
                        Corruption::TruncatedStream
                    } else {
                        Corruption::Inflate("no progress".into())
                    }
                    .into());
                }
            }
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
        let window = window_at(cursor, pos)?;
        let input = &window[..window
            .len()
            .min(usize::try_from(limit.saturating_sub(pos)).unwrap_or(usize::MAX))];
        let (in0, out0) = (z.total_in(), z.total_out());
        let status = z
            .decompress(input, &mut out[produced..], FlushDecompress::None)
            .map_err(|e| Corruption::Inflate(e.to_string()))?;
        let consumed = z.total_in() - in0;
        let made = (z.total_out() - out0) as usize;
        pos += consumed;
        produced += made;
        if status == Status::StreamEnd {
            break;
        }
        if consumed == 0 && made == 0 {
            return Err(if input.is_empty() {
                Corruption::TruncatedStream
            } else {
                Corruption::Inflate("no progress".into())
            }
            .into());
        }
    }
    Ok(produced)
}
