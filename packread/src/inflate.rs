//! Inflating zlib streams straight from the mapped windows.
//!
//! The inflater is `sirocco`'s: a table-driven decoder in libdeflate's
//! style that takes its input in pieces of any size, so a stream that
//! crosses a window end is fed window by window and never copied, and that
//! writes into a buffer we own (the output's history stays in it).

use sirocco::Format;
use sirocco::inflate::{Decoder, Error as ZError};
use smmap::WindowCursor;

use crate::error::{Corruption, Error, StreamError};

/// A zlib inflater, reused from stream to stream (its tables are costly to
/// set up, and it holds about 14 KiB: keep it boxed).
pub(crate) type Inflater = Decoder;

/// A new inflater for zlib streams.
pub(crate) fn inflater() -> Box<Inflater> {
    Box::new(Decoder::new(Format::Zlib))
}

/// The smallest buffer [`inflate_to`] can stream through.
pub(crate) const MIN_STREAM_BUFFER: usize = sirocco::inflate::MIN_BUFFER_LEN;

/// Why an inflation failed.
pub(crate) enum InflateError {
    Map(smmap::Error),
    Corrupt(Corruption),
}

impl InflateError {
    /// The error for the stream of the entry at `offset` of the file at
    /// `path`.
    pub(crate) fn at(self, path: &std::path::Path, offset: u64) -> Error {
        match self {
            InflateError::Map(e) => Error::Map(e),
            InflateError::Corrupt(reason) => Error::corrupt(path, offset, reason),
        }
    }
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

/// What a stream's data error means for a pack entry or loose file.
pub(crate) fn corruption(e: ZError) -> Corruption {
    match e {
        ZError::Truncated => Corruption::TruncatedStream,
        ZError::ChecksumMismatch => Corruption::Inflate(StreamError::Checksum),
        ZError::PresetDictionary => Corruption::Inflate(StreamError::PresetDictionary),
        _ => Corruption::Inflate(StreamError::InvalidData),
    }
}

/// What an error of sirocco's streaming reader means (its data errors come
/// wrapped in an [`std::io::Error`]).
pub(crate) fn io_corruption(e: &std::io::Error) -> Corruption {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<ZError>()) {
        Some(&z) => corruption(z),
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => Corruption::TruncatedStream,
        None => Corruption::Inflate(StreamError::InvalidData),
    }
}

/// What is wrong with a stream's first two bytes, in the order zlib checks
/// them (sirocco only says the data is invalid).
pub(crate) fn header_problem(stream: &[u8]) -> Option<StreamError> {
    let [cmf, flg, ..] = *stream else {
        return None;
    };
    if (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 {
        Some(StreamError::HeaderCheck)
    } else if cmf & 0x0f != 8 {
        Some(StreamError::UnknownMethod)
    } else if cmf >> 4 > 7 {
        Some(StreamError::WindowSize)
    } else {
        None
    }
}

/// What one [`step`] did.
pub(crate) struct Step {
    /// Compressed bytes taken.
    pub(crate) consumed: u64,
    /// Bytes written to the buffer, after what was in it.
    pub(crate) made: usize,
    /// Whether the stream ended (its Adler-32 checked).
    pub(crate) done: bool,
    /// Whether the buffer is full and the stream may go on.
    pub(crate) full: bool,
}

/// One step of inflating straight from the windows: feeds the mapped bytes
/// from file offset `pos` (up to `limit`, the end of the entry data) to
/// `z`, which writes into `buf` after the output it already holds (`buf`
/// must start with what the last step left in it).
///
/// `size`, the stream's announced output, lets the first step of a stream
/// take the inflater's one-shot loop (faster than feeding input in pieces)
/// when the window surely holds the whole stream, though `limit` lies beyond
/// it; if the stream goes on after all, it starts again in pieces.
///
/// Fails on invalid data, on a stream cut off at `limit`, and when `buf` is
/// full and the stream goes on (it holds more than `size`). Every step that
/// succeeds makes progress.
pub(crate) fn step(
    z: &mut Inflater,
    cursor: &mut WindowCursor,
    pos: u64,
    limit: u64,
    buf: &mut [u8],
    size: u64,
) -> Result<Step, InflateError> {
    let window = cursor.window_at(pos)?;
    let room = usize::try_from(limit.saturating_sub(pos)).unwrap_or(usize::MAX);
    // Past the end of the file there is no more input either.
    let last = window.len() >= room || window.is_empty();
    let input = &window[..window.len().min(room)];
    let out0 = z.total_out();
    let fresh = z.total_in() == 0 && out0 == 0;
    let failed = |e| refused(e, size, fresh.then_some(input));
    let p = if !last && fresh && holds_stream(input.len(), size) {
        if let Ok(p) = z.decompress(input, buf, true) {
            p
        } else {
            z.reset();
            z.decompress(input, buf, false).map_err(failed)?
        }
    } else if last && fresh && window.len() > input.len() {
        // The window goes on past the entry: give the inflater those bytes
        // too, so that its fast loop runs to the stream's end (a stream ends
        // by itself). One that runs past `limit` is decoded again within it,
        // for the error the bounded input gives.
        match z.decompress(window, buf, true) {
            Ok(p) if p.consumed <= input.len() => p,
            _ => {
                z.reset();
                z.decompress(input, buf, last).map_err(failed)?
            }
        }
    } else {
        z.decompress(input, buf, last).map_err(failed)?
    };
    let s = Step {
        consumed: p.consumed as u64,
        made: (z.total_out() - out0) as usize,
        done: p.done,
        full: p.full,
    };
    if !s.done && s.consumed == 0 && s.made == 0 {
        // Never loop on a step that did nothing.
        return Err(if s.full {
            too_long(size)
        } else {
            Corruption::Inflate(StreamError::Stalled)
        }
        .into());
    }
    Ok(s)
}

/// What the inflater's refusal `e` means for a stream announced as `size`
/// bytes; `first` is the stream's input if it was refused at its start
/// (zlib's words then name what is wrong with its header).
fn refused(e: ZError, size: u64, first: Option<&[u8]>) -> Corruption {
    match (e, first) {
        (ZError::BufferFull, _) => too_long(size),
        (ZError::BadData, Some(input)) => {
            header_problem(input).map_or_else(|| corruption(e), Corruption::Inflate)
        }
        (e, _) => corruption(e),
    }
}

/// Whether `len` input bytes surely hold a zlib stream of `size` bytes, as
/// any encoder writes it: stored blocks, the worst case, add 5 bytes to each
/// 64 KiB, the stream's header and trailer 6 (a hostile stream may be
/// longer: then [`step`] starts again).
fn holds_stream(len: usize, size: u64) -> bool {
    len as u64 >= size.saturating_add(size / 8192).saturating_add(64)
}

/// A stream that holds more than the `size` bytes announced.
pub(crate) fn too_long(size: u64) -> Corruption {
    Corruption::SizeMismatch {
        expected: size,
        actual: size + 1,
    }
}

/// A stream that ended after `actual` of the `size` bytes announced.
fn too_short(size: u64, actual: u64) -> Corruption {
    Corruption::SizeMismatch {
        expected: size,
        actual,
    }
}

/// Bytes of room past an object's end that [`inflate_onto`] gives the
/// inflater: its fast loop runs only while a longest match (and the word
/// copies that overrun it) fits before the buffer's end, and checks every
/// match on its last stretch otherwise.
pub(crate) const OUTPUT_ROOM: usize = 320;

/// Inflates the zlib stream at file offset `ofs` (which must end before
/// `limit`) onto the end of `out`, which it must grow by exactly `size`
/// bytes, fed window by window from the cursor (the compressed bytes are
/// never copied). Returns the number of compressed bytes the stream took.
///
/// Fails if the stream is invalid, ends early, or holds more than `size`
/// bytes; `out` is left as it was then.
pub(crate) fn inflate_onto(
    z: &mut Inflater,
    cursor: &mut WindowCursor,
    ofs: u64,
    limit: u64,
    out: &mut Vec<u8>,
    size: usize,
) -> Result<u64, InflateError> {
    let start = out.len();
    out.resize(start + size + OUTPUT_ROOM, 0);
    let r = inflate_into(z, cursor, ofs, limit, &mut out[start..], size);
    out.truncate(if r.is_ok() { start + size } else { start });
    r
}

/// Inflates the stream at `ofs` (see [`inflate_onto`]) into the first `size`
/// bytes of `out`, which it must fill exactly; the rest is room the
/// inflater may scribble on.
fn inflate_into(
    z: &mut Inflater,
    cursor: &mut WindowCursor,
    ofs: u64,
    limit: u64,
    out: &mut [u8],
    size: usize,
) -> Result<u64, InflateError> {
    z.reset();
    let mut pos = ofs;
    let mut made = 0;
    loop {
        let s = step(z, cursor, pos, limit, out, size as u64)?;
        pos += s.consumed;
        made += s.made;
        if s.done || made > size {
            if made > size {
                return Err(too_long(size as u64).into());
            }
            if made != size {
                return Err(too_short(size as u64, made as u64).into());
            }
            return Ok(pos - ofs);
        }
    }
}

/// Inflates a whole zlib stream held in memory into `out`, which it must
/// fill exactly.
pub(crate) fn inflate_slice_into(
    z: &mut Inflater,
    input: &[u8],
    out: &mut [u8],
) -> Result<(), Corruption> {
    let size = out.len();
    z.reset();
    let p = z
        .decompress(input, out, true)
        .map_err(|e| refused(e, size as u64, Some(input)))?;
    let made = z.total_out();
    if !p.done {
        return Err(if p.full {
            too_long(size as u64)
        } else {
            Corruption::TruncatedStream
        });
    }
    if made != size as u64 {
        return Err(too_short(size as u64, made));
    }
    Ok(())
}

/// A zlib stream inflated piece by piece through a buffer that keeps its
/// history (at least [`MIN_STREAM_BUFFER`] bytes, or room for the whole
/// output): the state [`inflate_to`] and object streams share. It checks
/// that the stream holds exactly the `size` bytes announced.
pub(crate) struct Pieces {
    start: u64,
    pos: u64,
    limit: u64,
    size: u64,
    produced: u64,
    /// Output in the buffer.
    filled: usize,
    /// The buffer is full: make room before inflating on.
    full: bool,
    done: bool,
}

impl Pieces {
    /// The stream at file offset `ofs`, which must end before `limit` and
    /// hold exactly `size` bytes; inflate it with a reset inflater.
    pub(crate) fn new(ofs: u64, limit: u64, size: u64) -> Pieces {
        Pieces {
            start: ofs,
            pos: ofs,
            limit,
            size,
            produced: 0,
            filled: 0,
            full: false,
            done: false,
        }
    }

    /// Inflates the next piece into `buf` (the same buffer each call) and
    /// returns where it lies there (it may be empty); `None` once the stream
    /// has ended, with exactly `size` bytes.
    pub(crate) fn next(
        &mut self,
        z: &mut Inflater,
        cursor: &mut WindowCursor,
        buf: &mut [u8],
    ) -> Result<Option<std::ops::Range<usize>>, InflateError> {
        if self.done {
            return Ok(None);
        }
        if self.full {
            self.filled -= z.make_room(buf);
            self.full = false;
        }
        let s = step(z, cursor, self.pos, self.limit, buf, self.size)?;
        self.pos += s.consumed;
        self.produced += s.made as u64;
        if self.produced > self.size {
            return Err(too_long(self.size).into());
        }
        if s.done && self.produced != self.size {
            return Err(too_short(self.size, self.produced).into());
        }
        self.done = s.done;
        self.full = s.full;
        let piece = self.filled..self.filled + s.made;
        self.filled += s.made;
        Ok(Some(piece))
    }

    /// Whether the stream has ended (its last piece may still be unread).
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Compressed bytes taken so far.
    pub(crate) fn consumed(&self) -> u64 {
        self.pos - self.start
    }
}

/// Inflates the zlib stream at file offset `ofs` (which must end before
/// `limit`) and hold exactly `size` bytes, handing the output to `sink` in
/// pieces: an object of any size is checked with `buf` of memory (at least
/// [`MIN_STREAM_BUFFER`] bytes, which keeps the stream's history). Returns
/// the number of compressed bytes taken.
pub(crate) fn inflate_to(
    z: &mut Inflater,
    cursor: &mut WindowCursor,
    ofs: u64,
    limit: u64,
    size: u64,
    buf: &mut [u8],
    mut sink: impl FnMut(&[u8]),
) -> Result<u64, InflateError> {
    debug_assert!(buf.len() >= MIN_STREAM_BUFFER);
    z.reset();
    let mut pieces = Pieces::new(ofs, limit, size);
    while let Some(piece) = pieces.next(z, cursor, buf)? {
        sink(&buf[piece]);
    }
    Ok(pieces.consumed())
}

/// Inflates at most `out.len()` bytes of the stream at `ofs`, for peeking at
/// the start of an entry (a delta's size header). Returns how many bytes came
/// out; the stream need not end.
pub(crate) fn inflate_prefix(
    z: &mut Inflater,
    cursor: &mut WindowCursor,
    ofs: u64,
    limit: u64,
    out: &mut [u8],
) -> Result<usize, InflateError> {
    z.reset();
    let mut pos = ofs;
    let mut made = 0;
    loop {
        let s = step(z, cursor, pos, limit, out, out.len() as u64)?;
        pos += s.consumed;
        made += s.made;
        // Full: the peek has what it asked for.
        if s.done || s.full {
            return Ok(made);
        }
    }
}

/// Inflates the start of the stream at `ofs` (which must end before `limit`
/// and announces `size` bytes) into `out`, `first` bytes at first and a
/// quarter (at least 64 bytes) more each time `enough` rejects what came
/// out, until `enough` accepts it: then `out` holds that prefix and the answer is `true`. The stream is
/// inflated once, on from where it stopped. `false` (and `out` emptied) if
/// the stream ends first, or would reach `size`: a read of the whole object
/// checks that.
pub(crate) fn inflate_until(
    z: &mut Inflater,
    cursor: &mut WindowCursor,
    (ofs, limit): (u64, u64),
    size: u64,
    first: usize,
    out: &mut Vec<u8>,
    enough: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<bool, InflateError> {
    z.reset();
    out.clear();
    let mut pos = ofs;
    let mut want = first;
    while (want as u64) < size {
        out.resize(want, 0);
        let s = step(z, cursor, pos, limit, out, size)?;
        pos += s.consumed;
        let made = z.total_out() as usize;
        if s.done {
            break;
        }
        if made == want {
            if enough(out) {
                return Ok(true);
            }
            want = want.saturating_add((want / 4).max(64));
        }
    }
    out.clear();
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smmap::SlidingWindowMapManager;

    /// [`inflate_onto`] an emptied buffer, which must grow by `size` bytes.
    fn inflate_exact(
        z: &mut Inflater,
        cursor: &mut WindowCursor,
        ofs: u64,
        limit: u64,
        out: &mut Vec<u8>,
        size: usize,
    ) -> Result<u64, InflateError> {
        out.clear();
        inflate_onto(z, cursor, ofs, limit, out, size)
    }

    /// A file holding `pad` bytes, a zlib stream of `data`, and more bytes;
    /// returns its path and the stream's extent.
    fn stream_file(name: &str, data: &[u8], pad: usize) -> (std::path::PathBuf, u64, u64) {
        let z = sirocco::compress(Format::Zlib, sirocco::deflate::Level::DEFAULT, data);
        let mut file = vec![0xee; pad];
        file.extend_from_slice(&z);
        file.extend_from_slice(&[0x78; 100]);
        let path =
            std::env::temp_dir().join(format!("packread-inflate-{}-{name}", std::process::id()));
        std::fs::write(&path, &file).unwrap();
        (path, pad as u64, (pad + z.len()) as u64)
    }

    /// 1 MiB of words, made up the same way each time: about 4:1 in zlib,
    /// so the stream crosses some 60 windows of 4 KiB.
    fn text() -> Vec<u8> {
        let mut x = 12345u32;
        let mut out = Vec::new();
        while out.len() < 1 << 20 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let word = [
                "pack", "window", "delta", "base", "zlib", "tree", "blob", "\n",
            ];
            out.extend_from_slice(word[(x >> 16) as usize % word.len()].as_bytes());
            out.push(b' ' + (x >> 28) as u8);
        }
        out.truncate(1 << 20);
        out
    }

    fn cursor(path: &std::path::Path) -> WindowCursor {
        SlidingWindowMapManager::with_limits(4096, 16 * 4096, 8).make_cursor(path)
    }

    fn size_mismatch(e: InflateError) -> (u64, u64) {
        match e {
            InflateError::Corrupt(Corruption::SizeMismatch { expected, actual }) => {
                (expected, actual)
            }
            InflateError::Corrupt(c) => panic!("not a size mismatch: {c:?}"),
            InflateError::Map(e) => panic!("not a size mismatch: {e}"),
        }
    }

    /// Inflates through the smallest buffer, collecting the pieces: the
    /// compressed length taken (or the error) and the bytes.
    fn stream_all(
        z: &mut Inflater,
        c: &mut WindowCursor,
        (start, limit): (u64, u64),
        size: u64,
    ) -> (Result<u64, InflateError>, Vec<u8>) {
        let mut buf = vec![0; MIN_STREAM_BUFFER];
        let mut got = Vec::new();
        let used = inflate_to(z, c, start, limit, size, &mut buf, |p| {
            got.extend_from_slice(p);
        });
        (used, got)
    }

    #[test]
    fn streams_across_windows_come_out_exactly() {
        let data = text();
        let (path, start, end) = stream_file("exact", &data, 4000);
        let mut c = cursor(&path);
        let mut z = inflater();
        let mut out = Vec::with_capacity(data.len());
        let used = inflate_exact(&mut z, &mut c, start, end + 100, &mut out, data.len());
        assert_eq!(used.ok(), Some(end - start));
        assert!(out == data);

        // Through a buffer that keeps only the history past its first fill.
        let (used, got) = stream_all(&mut z, &mut c, (start, end), data.len() as u64);
        assert_eq!(used.ok(), Some(end - start));
        assert!(got == data);

        let mut head = [0u8; 20];
        let n = inflate_prefix(&mut z, &mut c, start, end, &mut head).ok();
        assert_eq!(n, Some(20));
        assert_eq!(head[..], data[..20]);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_prefix_grows_until_it_is_enough() {
        let data = text();
        let (path, start, end) = stream_file("until", &data, 10);
        let mut c = cursor(&path);
        let mut z = inflater();
        let size = data.len() as u64;
        let mut out = Vec::new();
        // Enough once it holds `need` bytes: the first prefix of the
        // growing sizes that does (across many windows for the last).
        let sizes = |first: usize| {
            std::iter::successors(Some(first), |&n: &usize| Some(n + (n / 4).max(64)))
        };
        let first_over = |first, need| sizes(first).find(|&n| n >= need).unwrap();
        for (first, need) in [(100, 1), (100, 101), (256, 321), (64, 70_000)] {
            let got = first_over(first, need);
            let mut asked = Vec::new();
            let r = inflate_until(
                &mut z,
                &mut c,
                (start, end),
                size,
                first,
                &mut out,
                &mut |p| {
                    asked.push(p.len());
                    p.len() >= need
                },
            );
            assert_eq!(r.ok(), Some(true));
            assert_eq!(out.len(), got);
            assert!(out[..] == data[..got]);
            assert_eq!(asked.last(), Some(&got));
        }
        // Never enough: the whole object is left to a checked read, and
        // the prefixes asked about never reached its end.
        let mut longest = 0;
        let r = inflate_until(&mut z, &mut c, (start, end), size, 64, &mut out, &mut |p| {
            longest = p.len();
            false
        });
        assert_eq!(r.ok(), Some(false));
        assert!(out.is_empty() && longest < data.len() && longest >= data.len() / 2);
        // A stream shorter than announced ends before its prefix is enough.
        let r = inflate_until(
            &mut z,
            &mut c,
            (start, end),
            size * 4,
            1 << 20,
            &mut out,
            &mut |_| true,
        );
        assert_eq!(r.ok(), Some(false));
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn wrong_sizes_and_cut_streams_are_corruptions() {
        let data = text();
        let (path, start, end) = stream_file("wrong", &data, 10);
        let mut c = cursor(&path);
        let mut z = inflater();
        let n = data.len();
        let mut out = Vec::with_capacity(n + 1);
        let e = inflate_exact(&mut z, &mut c, start, end, &mut out, n - 1).err();
        assert_eq!(size_mismatch(e.unwrap()), (n as u64 - 1, n as u64));
        let e = inflate_exact(&mut z, &mut c, start, end, &mut out, n + 1).err();
        assert_eq!(size_mismatch(e.unwrap()), (n as u64 + 1, n as u64));

        for (size, mismatch) in [(n - 1, (n - 1, n)), (n + 1, (n + 1, n))] {
            let e = stream_all(&mut z, &mut c, (start, end), size as u64)
                .0
                .err();
            assert_eq!(
                size_mismatch(e.unwrap()),
                (mismatch.0 as u64, mismatch.1 as u64)
            );
        }

        // The stream must end before the limit.
        for limit in [start, start + 1, u64::midpoint(start, end), end - 1] {
            let e = inflate_exact(&mut z, &mut c, start, limit, &mut out, n).err();
            assert!(
                matches!(e, Some(InflateError::Corrupt(Corruption::TruncatedStream))),
                "limit {limit}"
            );
        }
        // The inflater is reusable after a failure.
        assert_eq!(
            inflate_exact(&mut z, &mut c, start, end, &mut out, n).ok(),
            Some(end - start)
        );
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn damage_is_found() {
        let data = text();
        let z = sirocco::compress(Format::Zlib, sirocco::deflate::Level::DEFAULT, &data);
        for at in [0, 1, z.len() / 3, z.len() - 3] {
            let mut bad = z.clone();
            bad[at] ^= 0x10;
            let path =
                std::env::temp_dir().join(format!("packread-inflate-{}-bad", std::process::id()));
            std::fs::write(&path, &bad).unwrap();
            let mut c = cursor(&path);
            let mut out = Vec::with_capacity(data.len());
            let r = inflate_exact(
                &mut inflater(),
                &mut c,
                0,
                bad.len() as u64,
                &mut out,
                data.len(),
            );
            assert!(matches!(r, Err(InflateError::Corrupt(_))), "flip at {at}");
            std::fs::remove_file(path).unwrap();
        }
    }

    /// A zlib stream of `data` in one stored block after `empty` empty
    /// ones: far longer than its output.
    fn padded_stream(data: &[u8], empty: usize) -> Vec<u8> {
        let mut z = vec![0x78, 0x01];
        for _ in 0..empty {
            z.extend_from_slice(&[0x00, 0x00, 0x00, 0xff, 0xff]);
        }
        let len = data.len() as u16;
        z.push(0x01);
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(data);
        let (mut a, mut b) = (1u32, 0u32);
        for &x in data {
            a = (a + u32::from(x)) % 65521;
            b = (b + a) % 65521;
        }
        z.extend_from_slice(&((b << 16) | a).to_be_bytes());
        z
    }

    #[test]
    fn streams_longer_than_their_window_promises_start_again_in_pieces() {
        // 5 bytes of output in a 10 KB stream: the first window seems to
        // hold it all, the one-shot attempt runs out of input, and the
        // stream is inflated again piece by piece.
        let z = padded_stream(b"hello", 2000);
        let mut file = vec![0xee; 100];
        file.extend_from_slice(&z);
        file.extend_from_slice(&[0; 50]);
        let path =
            std::env::temp_dir().join(format!("packread-inflate-{}-long", std::process::id()));
        std::fs::write(&path, &file).unwrap();
        let (start, end) = (100, 100 + z.len() as u64);
        let mut c = cursor(&path);
        let mut z = inflater();
        let mut out = Vec::with_capacity(5);
        let used = inflate_exact(&mut z, &mut c, start, end + 50, &mut out, 5);
        assert_eq!(used.ok(), Some(end - start));
        assert_eq!(out, b"hello");
        let (used, got) = stream_all(&mut z, &mut c, (start, end + 50), 5);
        assert_eq!(used.ok(), Some(end - start));
        assert_eq!(got, b"hello");
        // Cut short, it is still a truncated stream.
        let e = inflate_exact(&mut z, &mut c, start, end - 1, &mut out, 5).err();
        assert!(matches!(
            e,
            Some(InflateError::Corrupt(Corruption::TruncatedStream))
        ));
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_one_shot_start_that_fills_the_buffer_goes_on_in_pieces() {
        // A big window holds the whole stream and more (but not the limit):
        // the first step takes the one-shot loop, fills the small buffer,
        // and the stream goes on from there.
        let data = text();
        let (path, start, end) = stream_file("oneshot", &data, 10);
        let mut file = std::fs::read(&path).unwrap();
        file.resize(file.len() + (2 << 20), 0);
        std::fs::write(&path, &file).unwrap();
        let mut c = SlidingWindowMapManager::with_limits(4 << 20, 8 << 20, 4).make_cursor(&path);
        let mut z = inflater();
        let far = file.len() as u64 + 1000;
        let (used, got) = stream_all(&mut z, &mut c, (start, far), data.len() as u64);
        assert_eq!(used.ok(), Some(end - start));
        assert!(got == data);
        let mut out = Vec::with_capacity(data.len());
        let used = inflate_exact(&mut z, &mut c, start, far, &mut out, data.len());
        assert_eq!(used.ok(), Some(end - start));
        assert!(out == data);
        std::fs::remove_file(path).unwrap();
    }
}
