//! git's own reading of a loose object file, replayed step by step with
//! zlib's decoder, for the files packread's fast path refuses.
//!
//! What git makes of a damaged loose file depends on how far each of its
//! functions inflates it: the header is inflated into 32 bytes (an error
//! further on is not seen), a blob is streamed whatever size its header
//! announced, a whole read wants the stream to end exactly, and each step
//! prints its own lines (zlib's message among them) and is retried by its
//! callers. The functions here follow git 2.47's `loose_object_info`,
//! `unpack_loose_header`, `parse_loose_header`, `unpack_loose_rest` and the
//! loose stream of `streaming.c`, `stream_object_signature` and
//! `parse_object`, with zlib-rs (zlib's state machine and messages) as the
//! decoder; and zlib's words for a pack entry's stream. They are only
//! called once packread's own reader has refused a file, so their speed
//! doesn't matter; a file is read whole into memory for them.

use std::io::Write;
use std::path::Path;

use packread::ObjectId;
use packread::object::ObjectKind;
use zlib_rs::{Inflate, InflateError, InflateFlush, Status};

use crate::Exit;
use crate::context::Context;

/// git's `MAX_HEADER_LEN`.
const MAX_HEADER_LEN: usize = 32;

/// How one of git's steps ended, short of success.
#[derive(Debug)]
pub enum Fail {
    /// The step returned -1 (its lines are printed): the object is missing
    /// for the caller.
    Missing,
    /// git dies with this message.
    Die(String),
}

impl Fail {
    /// The program's end for this failure: git's death, or `missing()`
    /// where the step returned -1.
    pub fn exit(self, missing: impl FnOnce() -> String) -> Exit {
        match self {
            Fail::Missing => Exit::Fatal(missing()),
            Fail::Die(msg) => Exit::Fatal(msg),
        }
    }
}

/// Which of git's ways of reading an object met a damaged loose file.
#[derive(Clone, Copy, Debug)]
pub enum GitRead {
    /// `repo_read_object_file`: the whole object, dying if it is corrupt.
    Whole,
    /// `parse_object_with_flags` as `rev-list` takes a starting point.
    Tip,
}

impl GitRead {
    /// git's death for the loose file of `id` at `path` (named `shown`),
    /// after its lines, read this way; `None` where git reads it, or gets
    /// no object without dying.
    pub fn replay(self, id: ObjectId, path: &Path, shown: String) -> Option<String> {
        let file = LooseFile::open_shown(id, path, shown);
        let read = match self {
            GitRead::Whole => file.read().map(Some),
            GitRead::Tip => file.parse_object_with(true),
        };
        match read {
            Err(Fail::Die(msg)) => Some(msg),
            // A starting point git can't parse, without dying.
            Ok(None) if matches!(self, GitRead::Tip) => Some(format!("bad object {id}")),
            Ok(_) | Err(Fail::Missing) => None,
        }
    }
}

/// The id whose loose file `path` is (`<objects>/<2 hex>/<rest>`), if it
/// is one.
pub fn loose_id(path: &Path) -> Option<ObjectId> {
    let file = path.file_name()?.to_str()?;
    let dir = path.parent()?.file_name()?.to_str()?;
    if dir.len() != 2 {
        return None;
    }
    ObjectId::from_hex(&format!("{dir}{file}"))
}

/// A loose object's header as git parsed it.
pub struct Header {
    /// The type as written.
    pub type_name: Vec<u8>,
    /// The type, if git knows it.
    pub kind: Option<ObjectKind>,
    /// The size the header announces.
    pub size: u64,
}

/// What `oid_object_info_extended` is asked for.
#[derive(Clone, Copy, Default)]
pub struct Want {
    /// The contents (`oi->contentp`), else the header only.
    pub contents: bool,
    /// `OBJECT_INFO_ALLOW_UNKNOWN_TYPE`.
    pub allow_unknown: bool,
    /// `OBJECT_INFO_DIE_IF_CORRUPT`.
    pub die_if_corrupt: bool,
}

/// One loose object file, as git would open it.
pub struct LooseFile {
    id: ObjectId,
    /// The path as git names it in messages.
    shown: String,
    /// The file's bytes; `None` if it can't be opened.
    bytes: Option<Vec<u8>>,
}

/// git's `error()`.
fn error(line: &str) {
    eprintln!("error: {line}");
}

/// zlib's return codes, as git's callers test them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Code {
    Ok,
    StreamEnd,
    /// `Z_BUF_ERROR`: no progress was possible (below `Z_OK`).
    BufError,
    /// Any other error (already reported by `git_inflate`).
    Error,
}

/// A zlib stream over a file's bytes, counting as git's `git_zstream`.
struct Zs<'a> {
    z: Inflate,
    input: &'a [u8],
    used: usize,
    total_out: usize,
}

impl<'a> Zs<'a> {
    fn new(input: &'a [u8]) -> Self {
        Zs {
            z: Inflate::new(true, 15),
            input,
            used: 0,
            total_out: 0,
        }
    }

    fn avail_in(&self) -> usize {
        self.input.len() - self.used
    }

    /// git's `git_inflate` into `out`: the code and the bytes written. A
    /// data error is reported as git reports it.
    fn inflate(&mut self, out: &mut [u8], finish: bool) -> (Code, usize) {
        let (code, written, line) = self.inflate_quietly(out, finish);
        if let Some(line) = line {
            error(&line);
        }
        (code, written)
    }

    /// [`inflate`](Self::inflate), giving the line git would print for a
    /// data error instead of printing it.
    fn inflate_quietly(&mut self, out: &mut [u8], finish: bool) -> (Code, usize, Option<String>) {
        let flush = if finish {
            InflateFlush::Finish
        } else {
            InflateFlush::NoFlush
        };
        let (in0, out0) = (self.z.total_in(), self.z.total_out());
        let r = self.z.decompress(&self.input[self.used..], out, flush);
        // Bounded by the slices given, so they fit in usize.
        let consumed = usize::try_from(self.z.total_in() - in0).unwrap_or(usize::MAX);
        let written = usize::try_from(self.z.total_out() - out0).unwrap_or(usize::MAX);
        self.used += consumed;
        self.total_out += written;
        let code = match r {
            Ok(Status::Ok) => Code::Ok,
            Ok(Status::StreamEnd) => Code::StreamEnd,
            Ok(Status::BufError) => Code::BufError,
            Err(e) => {
                let what = match e {
                    InflateError::NeedDict { .. } => "needs dictionary",
                    InflateError::DataError => "data stream error",
                    InflateError::StreamError => "stream consistency error",
                    InflateError::MemError => "out of memory",
                };
                let msg = self.z.error_message().unwrap_or("no message");
                return (
                    Code::Error,
                    written,
                    Some(format!("inflate: {what} ({msg})")),
                );
            }
        };
        (code, written, None)
    }
}

/// The line git's `unpack_compressed_entry` prints for a pack entry's
/// zlib `stream` (the bytes after the entry's header, to the end of the
/// pack's data at most) that should inflate to `size` bytes: zlib's words
/// for a data error met within `size + 1` bytes of output, as git inflates
/// it; `None` if zlib finds none there.
pub fn packed_inflate_error(stream: &[u8], size: usize) -> Option<String> {
    let mut zs = Zs::new(stream);
    // No more than the stream can inflate to (zlib's ratio is at most
    // 1032:1): the same words, whatever the header claims.
    let room = size.min(stream.len().saturating_mul(1032) + 64);
    let mut out = vec![0u8; room.saturating_add(1)];
    let mut at = 0;
    loop {
        let (code, written, line) = zs.inflate_quietly(&mut out[at..], true);
        at += written;
        if line.is_some() || code != Code::Ok || at == out.len() {
            return line;
        }
    }
}

/// The result of git's `unpack_loose_header`.
enum Unpacked {
    /// The header and what else came out with it.
    Ok(Vec<u8>),
    Bad,
    TooLong,
}

/// git's `unpack_loose_header`: the first 32 bytes out (with
/// `--allow-unknown-type`, on until a NUL).
fn unpack_header(zs: &mut Zs<'_>, long_ok: bool) -> Unpacked {
    let mut buf = [0u8; MAX_HEADER_LEN];
    let (code, n) = zs.inflate(&mut buf, false);
    if matches!(code, Code::BufError | Code::Error) {
        return Unpacked::Bad;
    }
    if buf[..n].contains(&0) {
        return Unpacked::Ok(buf[..n].to_vec());
    }
    if !long_ok {
        return Unpacked::TooLong;
    }
    let mut header = buf[..n].to_vec();
    loop {
        let (code, n) = zs.inflate(&mut buf, false);
        header.extend_from_slice(&buf[..n]);
        if buf[..n].contains(&0) {
            return Unpacked::Ok(header);
        }
        // git loops until zlib says the stream ended; an error or a stream
        // that makes no progress would loop forever there.
        if code != Code::Ok || n == 0 {
            return Unpacked::TooLong;
        }
    }
}

/// Why git's `parse_loose_header` refused a header.
enum ParseFail {
    Bad,
    /// `st_add`/`st_mult` overflowed: git dies.
    Die(String),
}

/// git's `parse_loose_header` (the size in `size` as far as it got).
fn parse_header(hdr: &[u8], size_out: &mut u64) -> Result<Header, ParseFail> {
    let nul = hdr.iter().position(|&b| b == 0).unwrap_or(hdr.len());
    let text = &hdr[..nul];
    let Some(sp) = text.iter().position(|&b| b == b' ') else {
        return Err(ParseFail::Bad);
    };
    let type_name = text[..sp].to_vec();
    let kind = std::str::from_utf8(&type_name)
        .ok()
        .and_then(|s| s.parse::<ObjectKind>().ok());
    let digits = &text[sp + 1..];
    let Some((&first, rest)) = digits.split_first() else {
        return Err(ParseFail::Bad);
    };
    if !first.is_ascii_digit() {
        return Err(ParseFail::Bad);
    }
    let mut size = u64::from(first - b'0');
    let mut end = 0;
    if size != 0 {
        while end < rest.len() && rest[end].is_ascii_digit() {
            let c = u64::from(rest[end] - b'0');
            size = size
                .checked_mul(10)
                .ok_or_else(|| ParseFail::Die(format!("size_t overflow: {size} * 10")))?;
            size = size
                .checked_add(c)
                .ok_or_else(|| ParseFail::Die(format!("size_t overflow: {size} + {c}")))?;
            end += 1;
        }
    }
    *size_out = size;
    if end < rest.len() {
        return Err(ParseFail::Bad);
    }
    Ok(Header {
        type_name,
        kind,
        size,
    })
}

/// git's `unpack_loose_rest`: the body after `head` (the header buffer as
/// inflated), `size` bytes, the stream ending exactly there.
/// A stream that ends early leaves the rest of the buffer as allocated
/// (zeros here, as fresh memory is in practice).
fn unpack_rest(
    zs: &mut Zs<'_>,
    head: &[u8],
    size: u64,
    id: &ObjectId,
) -> Result<Option<Vec<u8>>, Fail> {
    let hdr_len = head
        .iter()
        .position(|&b| b == 0)
        .map_or(head.len(), |p| p + 1);
    // git allocates what the header announces. More than the file could
    // inflate to (zlib's ratio is at most 1032:1) is refused as git's
    // allocation fails for sizes beyond memory.
    let cap = zs.input.len().saturating_mul(1032) + 64;
    let Some(size) = usize::try_from(size).ok().filter(|&s| s <= cap) else {
        return Err(Fail::Die(format!(
            "Out of memory, malloc failed (tried to allocate {} bytes)",
            size.saturating_add(1)
        )));
    };
    let mut buf = vec![0u8; size];
    let n = (zs.total_out - hdr_len).min(size);
    buf[..n].copy_from_slice(&head[hdr_len..hdr_len + n]);
    let mut code = Code::Ok;
    let mut at = n;
    while code == Code::Ok {
        let (c, written) = zs.inflate(&mut buf[at..], true);
        at += written;
        code = c;
    }
    if code == Code::StreamEnd && zs.avail_in() == 0 {
        return Ok(Some(buf));
    }
    if matches!(code, Code::BufError | Code::Error) {
        error(&format!("corrupt loose object '{id}'"));
    } else if zs.avail_in() > 0 {
        error(&format!("garbage at end of loose object '{id}'"));
    }
    Ok(None)
}

impl LooseFile {
    /// The loose file of `id` at `path`, named as git names it.
    pub fn open(cx: &Context, id: ObjectId, path: &Path) -> LooseFile {
        Self::open_shown(id, path, cx.git_path(path))
    }

    /// The loose file of `id` at `path`, named `shown` in messages.
    pub fn open_shown(id: ObjectId, path: &Path, shown: String) -> LooseFile {
        LooseFile {
            id,
            shown,
            bytes: std::fs::read(path).ok(),
        }
    }

    /// git's `map_fd`: the bytes, or `None` (an empty file said so).
    fn map(&self) -> Option<&[u8]> {
        let bytes = self.bytes.as_deref()?;
        if bytes.is_empty() {
            error(&format!("object file {} is empty", self.shown));
            return None;
        }
        Some(bytes)
    }

    /// git's `loose_object_info` asked for the type and size, and the
    /// contents if `want.contents`.
    pub fn info(&self, want: Want) -> Result<(Header, Option<Vec<u8>>), Fail> {
        let id = &self.id;
        let map = self.map().ok_or(Fail::Missing)?;
        let mut zs = Zs::new(map);
        let mut failed = false;
        let mut parsed = None;
        match unpack_header(&mut zs, want.allow_unknown) {
            Unpacked::Ok(head) => {
                let mut size = 0;
                match parse_header(&head, &mut size) {
                    Ok(h) => {
                        if !want.allow_unknown && h.kind.is_none() {
                            return Err(Fail::Die("invalid object type".into()));
                        }
                        parsed = Some(h);
                    }
                    Err(ParseFail::Die(msg)) => return Err(Fail::Die(msg)),
                    Err(ParseFail::Bad) => {
                        error(&format!("unable to parse {id} header"));
                        failed = true;
                    }
                }
                if want.contents {
                    if let Some(body) = unpack_rest(&mut zs, &head, size, id)? {
                        // git returns what it read, but a header it could
                        // not parse still makes the read fail (quietly).
                        return match parsed {
                            Some(h) => Ok((h, Some(body))),
                            None => Err(Fail::Missing),
                        };
                    }
                    failed = true;
                }
            }
            Unpacked::Bad => {
                error(&format!("unable to unpack {id} header"));
                failed = true;
            }
            Unpacked::TooLong => {
                error(&format!(
                    "header for {id} too long, exceeds {MAX_HEADER_LEN} bytes"
                ));
                failed = true;
            }
        }
        if failed {
            if want.die_if_corrupt {
                return Err(Fail::Die(format!(
                    "loose object {id} (stored in {}) is corrupt",
                    self.shown
                )));
            }
            return Err(Fail::Missing);
        }
        parsed.map(|h| (h, None)).ok_or(Fail::Missing)
    }

    /// git's `repo_read_object_file`: the whole object, or git's death.
    pub fn read(&self) -> Result<(ObjectKind, Vec<u8>), Fail> {
        let (h, body) = self.info(Want {
            contents: true,
            die_if_corrupt: true,
            ..Want::default()
        })?;
        match (h.kind, body) {
            (Some(kind), Some(body)) => Ok((kind, body)),
            _ => Err(Fail::Missing),
        }
    }

    /// git's `parse_object` of this object: its type and body (a blob's
    /// streamed to check its hash, its body not kept), or `None` where git
    /// gets no object, after its lines (`hash mismatch` among them).
    pub fn parse_object(&self) -> Result<Option<(ObjectKind, Vec<u8>)>, Fail> {
        self.parse_object_with(false)
    }

    /// git's `parse_object_with_flags`; `quick`: with `SKIP_HASH_CHECK`
    /// and `DISCARD_TREE`, as `rev-list` takes its starting points (a blob
    /// or tree only has its type read, nothing is hashed).
    pub fn parse_object_with(&self, quick: bool) -> Result<Option<(ObjectKind, Vec<u8>)>, Fail> {
        let id = &self.id;
        let kind_is = |kind: ObjectKind| match self.info(Want::default()) {
            Ok((h, _)) => Ok(h.kind == Some(kind)),
            Err(Fail::Missing) => Ok(false),
            Err(die) => Err(die),
        };
        if quick {
            if kind_is(ObjectKind::Blob)? {
                return Ok(Some((ObjectKind::Blob, Vec::new())));
            }
            if kind_is(ObjectKind::Tree)? {
                return Ok(Some((ObjectKind::Tree, Vec::new())));
            }
            return match self.read() {
                Ok(found) => Ok(Some(found)),
                Err(Fail::Missing) => Ok(None),
                Err(die) => Err(die),
            };
        }
        match self.info(Want::default()) {
            Ok((
                Header {
                    kind: Some(ObjectKind::Blob),
                    ..
                },
                _,
            )) => {
                if !self.stream_signature_ok()? {
                    error(&format!("hash mismatch {id}"));
                    return Ok(None);
                }
                return Ok(Some((ObjectKind::Blob, Vec::new())));
            }
            Err(Fail::Die(msg)) => return Err(Fail::Die(msg)),
            Ok(_) | Err(Fail::Missing) => {}
        }
        match self.read() {
            Ok((kind, body)) => {
                if ObjectId::compute(id.kind(), kind, &body) == *id {
                    Ok(Some((kind, body)))
                } else {
                    error(&format!("hash mismatch {id}"));
                    Ok(None)
                }
            }
            Err(Fail::Missing) => Ok(None),
            Err(die) => Err(die),
        }
    }

    /// git's `open_istream`: a stream of the object's body (the loose
    /// stream, or the whole object read if that can't be opened); `Ok(None)`
    /// where git gets no stream.
    pub fn open_stream(&self) -> Result<Option<Stream<'_>>, Fail> {
        // istream_source: the type and size, through the lookup.
        match self.info(Want::default()) {
            Ok(_) => {}
            Err(Fail::Missing) => return Ok(None),
            Err(die) => return Err(die),
        }
        let opened = self.map().and_then(|map| {
            let mut zs = Zs::new(map);
            let Unpacked::Ok(head) = unpack_header(&mut zs, false) else {
                return None;
            };
            let mut size = 0;
            match parse_header(&head, &mut size) {
                Ok(Header {
                    kind: Some(kind),
                    size,
                    ..
                }) => Some((zs, head, kind, size)),
                _ => None,
            }
        });
        if let Some((zs, head, kind, size)) = opened {
            let hdr_len = head
                .iter()
                .position(|&b| b == 0)
                .map_or(head.len(), |p| p + 1);
            return Ok(Some(Stream {
                kind,
                size,
                source: Source::Loose {
                    zs,
                    left: head[hdr_len..].to_vec(),
                    done: false,
                    failed: false,
                },
            }));
        }
        // open_istream_incore: the whole object, dying if corrupt.
        match self.info(Want {
            contents: true,
            die_if_corrupt: true,
            ..Want::default()
        }) {
            Ok((
                Header {
                    kind: Some(kind),
                    size,
                    ..
                },
                Some(body),
            )) => Ok(Some(Stream {
                kind,
                size,
                source: Source::Incore(body, 0),
            })),
            Ok(_) | Err(Fail::Missing) => Ok(None),
            Err(die) => Err(die),
        }
    }

    /// git's `stream_blob_to_fd` into `out`, 16 KiB at a time: `Ok(true)`
    /// if the whole stream was written, `Ok(false)` where git's caller says
    /// it was unable to stream (what was written stays written).
    pub fn stream_blob(&self, out: &mut dyn Write) -> Result<bool, Fail> {
        let Some(mut st) = self.open_stream()? else {
            return Ok(false);
        };
        if st.kind != ObjectKind::Blob {
            return Ok(false);
        }
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match st.read(&mut buf) {
                None => return Ok(false),
                Some(0) => return Ok(true),
                Some(n) => out
                    .write_all(&buf[..n])
                    .map_err(|e| Fail::Die(e.to_string()))?,
            }
        }
    }

    /// git's `stream_object_signature`: whether the streamed object hashes
    /// to its id (a stream that fails doesn't).
    pub fn stream_signature_ok(&self) -> Result<bool, Fail> {
        let Some(mut st) = self.open_stream()? else {
            return Ok(false);
        };
        let mut hasher = ObjectId::object_hasher(self.id.kind(), st.kind, st.size);
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match st.read(&mut buf) {
                None => return Ok(false),
                Some(0) => return Ok(hasher.finish() == self.id),
                Some(n) => hasher.update(&buf[..n]),
            }
        }
    }
}

/// An object's body as git streams it.
pub struct Stream<'a> {
    /// The type the header gave.
    pub kind: ObjectKind,
    /// The size the header announced.
    pub size: u64,
    source: Source<'a>,
}

enum Source<'a> {
    /// The loose file's zlib stream, after what came out with the header.
    Loose {
        zs: Zs<'a>,
        left: Vec<u8>,
        done: bool,
        failed: bool,
    },
    /// The whole object, and how far it was read.
    Incore(Vec<u8>, usize),
}

impl Stream<'_> {
    /// git's `read_istream` into `buf`: the bytes read (0 at the end), or
    /// `None` where git's read returns -1.
    pub fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        let size = self.size;
        match &mut self.source {
            Source::Incore(body, at) => {
                // git's incore stream gives `size` bytes of its buffer.
                let end = usize::try_from(size).unwrap_or(usize::MAX).min(body.len());
                let n = end.saturating_sub(*at).min(buf.len());
                buf[..n].copy_from_slice(&body[*at..*at + n]);
                *at += n;
                Some(n)
            }
            Source::Loose {
                zs,
                left,
                done,
                failed,
            } => {
                if *failed {
                    return None;
                }
                if *done {
                    return Some(0);
                }
                let take = left.len().min(buf.len());
                buf[..take].copy_from_slice(&left[..take]);
                left.drain(..take);
                let mut total = take;
                while total < buf.len() {
                    let (code, written) = zs.inflate(&mut buf[total..], true);
                    total += written;
                    if code == Code::StreamEnd {
                        *done = true;
                        break;
                    }
                    if code != Code::Ok && (code != Code::BufError || total < buf.len()) {
                        *failed = true;
                        return None;
                    }
                }
                Some(total)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(h: &[u8]) -> Option<(Vec<u8>, Option<ObjectKind>, u64)> {
        let mut size = 0;
        parse_header(h, &mut size)
            .ok()
            .map(|h| (h.type_name, h.kind, h.size))
    }

    #[test]
    fn headers_as_git_parses_them() {
        assert_eq!(
            parse(b"blob 3\0"),
            Some((b"blob".to_vec(), Some(ObjectKind::Blob), 3))
        );
        assert_eq!(parse(b"foo 3\0"), Some((b"foo".to_vec(), None, 3)));
        assert!(parse(b"blob 03\0").is_none());
        assert!(parse(b"blob \0").is_none());
        assert!(parse(b"blob -1\0").is_none());
        assert!(parse(b"blob  3\0").is_none());
        assert!(parse(b"blob3\0").is_none());
        assert_eq!(parse(b"blob 0\0").map(|h| h.2), Some(0));
        let mut size = 0;
        assert!(matches!(
            parse_header(b"blob 99999999999999999999999\0", &mut size),
            Err(ParseFail::Die(m)) if m == "size_t overflow: 9999999999999999999 * 10"
        ));
    }
}
