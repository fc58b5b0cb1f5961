//! Applying delta data, with the checks of git's `patch_delta`.

use crate::error::{Corruption, DeltaError};

/// Reads a delta size varint (7 bits per byte, least significant first).
fn varint(data: &[u8], pos: &mut usize) -> Result<u64, Corruption> {
    let mut v = 0u64;
    let mut shift = 0u32;
    loop {
        // `let else`, not `ok_or`: that builds the error (and drops it) on
        // every byte of every delta.
        let Some(&c) = data.get(*pos) else {
            return Err(Corruption::BadDelta(DeltaError::TruncatedSize));
        };
        *pos += 1;
        if shift > 63 {
            return Err(Corruption::BadDelta(DeltaError::SizeOverflow));
        }
        let Some(bits) = u64::from(c & 0x7f).checked_shl(shift) else {
            return Err(Corruption::BadDelta(DeltaError::SizeOverflow));
        };
        v |= bits;
        if c & 0x80 == 0 {
            return Ok(v);
        }
        shift += 7;
    }
}

/// The base and result sizes a delta announces, and where its opcodes start.
pub(crate) fn sizes(delta: &[u8]) -> Result<(u64, u64, usize), Corruption> {
    let mut pos = 0;
    let base = varint(delta, &mut pos)?;
    let result = varint(delta, &mut pos)?;
    Ok((base, result, pos))
}

/// Where a patched result goes.
pub(crate) trait Sink {
    /// Called once, with the result's size, before any piece.
    fn start(&mut self, size: usize) -> Result<(), Corruption>;
    /// The next piece of the result.
    fn piece(&mut self, bytes: &[u8]);
    /// The next piece of the result: `src[at..end]`.
    #[inline]
    fn piece_of(&mut self, src: &[u8], at: usize, end: usize) {
        self.piece(&src[at..end]);
    }
}

/// The longest piece a [`Vec`] sink copies as [`SHORT`] bytes and then
/// cuts back, rather than by a call to `memcpy` for its exact length.
const SHORT: usize = 64;

impl Sink for Vec<u8> {
    fn start(&mut self, size: usize) -> Result<(), Corruption> {
        self.clear();
        // Room for a short piece's copy to run past the result's end.
        reserve_exact(self, size.saturating_add(SHORT))
            .map_err(|_| Corruption::ObjectTooLarge(size as u64))
    }

    fn piece(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    /// A short piece with [`SHORT`] bytes after its start in `src` is
    /// copied as those bytes, a copy of a size known when compiling (a few
    /// vector moves), and the result cut back to its end: most pieces of
    /// source-code deltas are short (rust-analyzer's 20,000 random reads:
    /// 6 million of their 9.5 million pieces are under 64 bytes), and a
    /// call to `memcpy` for each was most of the time spent copying.
    #[inline]
    fn piece_of(&mut self, src: &[u8], at: usize, end: usize) {
        let len = end - at;
        match src.get(at..at + SHORT) {
            Some(run) if len <= SHORT => {
                let kept = self.len() + len;
                let run: &[u8; SHORT] = run.try_into().expect("SHORT bytes");
                self.extend_from_slice(run);
                self.truncate(kept);
            }
            _ => self.extend_from_slice(&src[at..end]),
        }
    }
}

/// `Vec::try_reserve_exact`, but an empty buffer too small is replaced
/// rather than grown: growing copies its old bytes, which no one needs
/// (a buffer reused for objects of growing sizes copied each time).
pub(crate) fn reserve_exact(
    buf: &mut Vec<u8>,
    additional: usize,
) -> Result<(), std::collections::TryReserveError> {
    if buf.is_empty() && buf.capacity() < additional {
        *buf = Vec::new();
    }
    buf.try_reserve_exact(additional)
}

/// Applies git delta data (as a delta pack entry inflates to) to `base`,
/// writing the result into `out` (cleared first), with every check of git's
/// `patch_delta`: the base size the delta announces, copies inside the base,
/// inserts inside the delta, the result size. A result larger than memory
/// allows is [`Corruption::ObjectTooLarge`], never an abort.
///
/// ```
/// // base 11 bytes, result 11: copy 6 bytes from offset 0, insert "there"
/// let delta = [11, 11, 0x90, 6, 5, b't', b'h', b'e', b'r', b'e'];
/// let mut out = Vec::new();
/// packread::pack::apply_delta(b"hello world", &delta, &mut out)?;
/// assert_eq!(out, b"hello there");
/// # Ok::<(), packread::Corruption>(())
/// ```
pub fn apply_delta(base: &[u8], delta: &[u8], out: &mut Vec<u8>) -> Result<(), Corruption> {
    patch(base, delta, out)
}

/// Checks `delta` against `base` as git's `patch_delta` does and hands the
/// result to `sink` piece by piece (copies from the base, inserted bytes):
/// a result no one needs whole (only its hash, say) is never made.
pub(crate) fn patch(base: &[u8], delta: &[u8], sink: &mut impl Sink) -> Result<(), Corruption> {
    if delta.len() < 4 {
        return Err(Corruption::BadDelta(DeltaError::TooSmall));
    }
    let (base_size, result_size, mut pos) = sizes(delta)?;
    if base_size != base.len() as u64 {
        return Err(Corruption::BadDelta(DeltaError::BaseSizeMismatch));
    }
    // One opcode byte makes at most 64 KiB (a copy with no size bytes): a
    // larger result is impossible, and refused before anything is reserved.
    if result_size > (delta.len() - pos) as u64 * 0x10000 {
        return Err(Corruption::BadDelta(DeltaError::ResultTooLarge));
    }
    let result_size =
        usize::try_from(result_size).map_err(|_| Corruption::ObjectTooLarge(result_size))?;
    sink.start(result_size)?;
    let mut made = 0usize;
    while pos < delta.len() {
        let cmd = delta[pos];
        pos += 1;
        if cmd & 0x80 != 0 {
            // The argument bytes the opcode's bits call for, bounds-checked
            // once and taken in order (checking and advancing the position
            // byte by byte kept it on the stack: most of this function's
            // own time on deep chains of short copies).
            let n = (cmd & 0x7f).count_ones() as usize;
            let Some(args) = delta.get(pos..pos + n) else {
                return Err(Corruption::BadDelta(DeltaError::TruncatedCopy));
            };
            let mut args = args.iter().map(|&b| usize::from(b));
            let mut next = |bit: u8| {
                if cmd & bit != 0 {
                    args.next().unwrap_or(0)
                } else {
                    0
                }
            };
            let off = next(0x01) | next(0x02) << 8 | next(0x04) << 16 | next(0x08) << 24;
            let mut size = next(0x10) | next(0x20) << 8 | next(0x40) << 16;
            pos += n;
            if size == 0 {
                size = 0x10000;
            }
            let end = off.checked_add(size).filter(|&e| e <= base.len());
            let Some(end) = end else {
                return Err(Corruption::BadDelta(DeltaError::CopyOutsideBase));
            };
            if size > result_size - made {
                return Err(Corruption::BadDelta(DeltaError::CopyPastResult));
            }
            sink.piece_of(base, off, end);
            made += size;
        } else if cmd != 0 {
            let n = usize::from(cmd);
            if n > result_size - made || n > delta.len() - pos {
                return Err(Corruption::BadDelta(DeltaError::InsertPastEnd));
            }
            sink.piece_of(delta, pos, pos + n);
            made += n;
            pos += n;
        } else {
            return Err(Corruption::BadDelta(DeltaError::OpcodeZero));
        }
    }
    if made != result_size {
        return Err(Corruption::BadDelta(DeltaError::ResultSizeMismatch));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, Corruption> {
        let mut out = Vec::new();
        apply_delta(base, delta, &mut out).map(|()| out)
    }

    #[test]
    fn copy_and_insert() {
        let base = b"hello world";
        // base 11, result 11: copy 6 from 0, insert "there"
        let delta = [11, 11, 0x90, 6, 5, b't', b'h', b'e', b'r', b'e'];
        assert_eq!(run(base, &delta).unwrap(), b"hello there");
        // An omitted o2 does not shift o3: offset 0x010000 is out of range.
        assert_eq!(
            run(base, &[11, 1, 0x95, 0, 1, 1]),
            Err(Corruption::BadDelta(DeltaError::CopyOutsideBase))
        );
    }

    /// Found by the `delta` fuzz target: a delta announcing a result of
    /// 2^63 - 1 bytes had that much reserved before its opcodes were read.
    #[test]
    fn impossible_result_sizes_are_refused_before_reserving() {
        let delta = [
            0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x90,
        ];
        assert_eq!(
            run(b"", &delta),
            Err(Corruption::BadDelta(DeltaError::ResultTooLarge))
        );
        // Just possible: one copy opcode of 64 KiB.
        let base = vec![5u8; 0x10000];
        assert_eq!(
            run(&base, &[0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80]).unwrap(),
            base
        );
        assert_eq!(
            run(&base, &[0x80, 0x80, 0x04, 0x81, 0x80, 0x04, 0x80]),
            Err(Corruption::BadDelta(DeltaError::ResultTooLarge))
        );
    }

    /// A delta's bytes: the sizes, then each opcode.
    enum Op<'a> {
        Copy(usize, usize),
        Insert(&'a [u8]),
    }

    fn encode(base_len: usize, ops: &[Op]) -> (Vec<u8>, usize) {
        fn varint(out: &mut Vec<u8>, mut v: usize) {
            while v >= 0x80 {
                out.push((v as u8) | 0x80);
                v >>= 7;
            }
            out.push(v as u8);
        }
        let mut body = Vec::new();
        let mut size = 0;
        for op in ops {
            match *op {
                Op::Copy(off, len) => {
                    let at = body.len();
                    body.push(0x80);
                    for (i, b) in off.to_le_bytes()[..4].iter().enumerate() {
                        if *b != 0 {
                            body[at] |= 1 << i;
                            body.push(*b);
                        }
                    }
                    for (i, b) in len.to_le_bytes()[..3].iter().enumerate() {
                        if *b != 0 {
                            body[at] |= 0x10 << i;
                            body.push(*b);
                        }
                    }
                    size += len;
                }
                Op::Insert(bytes) => {
                    body.push(bytes.len() as u8);
                    body.extend_from_slice(bytes);
                    size += bytes.len();
                }
            }
        }
        let mut delta = Vec::new();
        varint(&mut delta, base_len);
        varint(&mut delta, size);
        delta.extend_from_slice(&body);
        (delta, size)
    }

    /// Pieces short enough to be copied as [`SHORT`] bytes and cut back,
    /// one byte longer, and pieces that end where the base or the delta
    /// ends (no room to copy past them): each is the bytes it names.
    #[test]
    fn pieces_of_every_length_near_the_ends_are_their_bytes() {
        let base: Vec<u8> = (0..300u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let tail: Vec<u8> = (1..=SHORT as u8).collect();
        let end = base.len();
        let mut ops = vec![Op::Insert(b"x")];
        for len in [1, 2, SHORT - 1, SHORT, SHORT + 1, 2 * SHORT + 3] {
            ops.push(Op::Copy(0, len));
            ops.push(Op::Copy(end - len, len));
            ops.push(Op::Copy(end - len - 1, len));
            ops.push(Op::Copy(100, len));
            ops.push(Op::Insert(&tail[..len.min(SHORT)]));
        }
        ops.push(Op::Insert(&tail[..1]));
        ops.push(Op::Insert(&tail));
        let (delta, size) = encode(base.len(), &ops);
        let mut want = Vec::new();
        for op in &ops {
            match *op {
                Op::Copy(off, len) => want.extend_from_slice(&base[off..off + len]),
                Op::Insert(bytes) => want.extend_from_slice(bytes),
            }
        }
        assert_eq!(want.len(), size);
        // Into an empty buffer and into one that held a longer object.
        let mut out = vec![0xee; 5000];
        for _ in 0..2 {
            apply_delta(&base, &delta, &mut out).unwrap();
            assert_eq!(out, want);
        }
    }

    #[test]
    fn size_zero_means_64k() {
        let base = vec![7u8; 0x10000];
        let mut delta = vec![0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80];
        assert_eq!(run(&base, &delta).unwrap(), base);
        delta.push(0);
        assert_eq!(
            run(&base, &delta),
            Err(Corruption::BadDelta(DeltaError::OpcodeZero))
        );
    }

    #[test]
    fn patch_delta_checks() {
        assert_eq!(
            run(b"abc", &[3, 1, 1]),
            Err(Corruption::BadDelta(DeltaError::TooSmall))
        );
        assert_eq!(
            run(b"abc", &[4, 1, 1, b'x']),
            Err(Corruption::BadDelta(DeltaError::BaseSizeMismatch))
        );
        assert_eq!(
            run(b"abc", &[3, 1, 2, b'x', b'y']),
            Err(Corruption::BadDelta(DeltaError::InsertPastEnd))
        );
        assert_eq!(
            run(b"abc", &[3, 2, 1, b'x']),
            Err(Corruption::BadDelta(DeltaError::ResultSizeMismatch))
        );
        assert_eq!(
            run(b"abc", &[3, 3, 0x91, 0]),
            Err(Corruption::BadDelta(DeltaError::TruncatedCopy))
        );
        assert_eq!(
            run(b"abc", &[3, 2, 0x90, 3]),
            Err(Corruption::BadDelta(DeltaError::CopyPastResult))
        );
    }
}
