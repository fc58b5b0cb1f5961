//! Streaming an object's bytes with `std::io::Read`.

use std::io::{self, Read};
use std::path::PathBuf;

use smmap::WindowCursor;

use crate::error::{Corruption, Error};
use crate::inflate::{self, InflateError, Inflater, Pieces};
use crate::object::ObjectKind;

/// An object's bytes as a reader. Whole objects in packs are inflated from
/// the windows as they are read, and loose objects from their file, so
/// neither is held in memory whole; deltas are resolved first.
///
/// The stream checks what it reads: a short, long or corrupt stream is an
/// `InvalidData` error, never a silent truncation.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("stream", &[("hello.txt", "hello\n")])?;
/// # dir.git(&["gc", "-q"])?;
/// use packread::{HashKind, ObjectId};
///
/// let odb = packread::Odb::open(&dir)?;
/// let id = odb.resolve_prefix("ce01")?;
/// let mut stream = odb.stream(&id)?;
/// // Hash it piece by piece: the id comes out without holding the object.
/// let mut hasher = ObjectId::object_hasher(HashKind::Sha1, stream.kind(), stream.size());
/// std::io::copy(&mut stream, &mut hasher)?;
/// assert_eq!(hasher.finish(), id);
/// # Ok(()) }
/// ```
pub struct ObjectStream {
    kind: ObjectKind,
    size: u64,
    inner: Inner,
}

enum Inner {
    Memory(io::Cursor<Vec<u8>>),
    Packed(Box<Packed>),
    Loose {
        reader: Box<dyn Read + Send>,
        path: PathBuf,
        produced: u64,
    },
}

struct Packed {
    cursor: WindowCursor,
    z: Box<Inflater>,
    /// The inflater's buffer (it keeps the stream's history), made on the
    /// first read: the whole object if it is small, else [`STREAM_BUFFER`].
    buf: Vec<u8>,
    /// Output in `buf` not read yet.
    pending: std::ops::Range<usize>,
    pieces: Pieces,
    entry_offset: u64,
    path: PathBuf,
}

impl ObjectStream {
    pub(crate) fn memory(kind: ObjectKind, data: Vec<u8>) -> ObjectStream {
        ObjectStream {
            kind,
            size: data.len() as u64,
            inner: Inner::Memory(io::Cursor::new(data)),
        }
    }

    pub(crate) fn packed(
        kind: ObjectKind,
        size: u64,
        cursor: WindowCursor,
        data_offset: u64,
        limit: u64,
        entry_offset: u64,
        path: PathBuf,
    ) -> ObjectStream {
        let packed = Packed {
            cursor,
            z: inflate::inflater(),
            buf: Vec::new(),
            pending: 0..0,
            pieces: Pieces::new(data_offset, limit, size),
            entry_offset,
            path,
        };
        ObjectStream {
            kind,
            size,
            inner: Inner::Packed(Box::new(packed)),
        }
    }

    pub(crate) fn loose(
        kind: ObjectKind,
        size: u64,
        reader: Box<dyn Read + Send>,
        path: PathBuf,
    ) -> ObjectStream {
        ObjectStream {
            kind,
            size,
            inner: Inner::Loose {
                reader,
                path,
                produced: 0,
            },
        }
    }

    /// The object's kind.
    pub fn kind(&self) -> ObjectKind {
        self.kind
    }

    /// The object's size: how many bytes the stream yields.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl std::fmt::Debug for ObjectStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStream")
            .field("kind", &self.kind)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

fn invalid(path: &std::path::Path, offset: u64, reason: Corruption) -> io::Error {
    Error::corrupt(path, offset, reason).into()
}

/// The buffer a large packed object is inflated through.
const STREAM_BUFFER: usize = 256 * 1024;
const _: () = assert!(STREAM_BUFFER >= inflate::MIN_STREAM_BUFFER);

impl Packed {
    fn read(&mut self, size: u64, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if !self.pending.is_empty() {
                let ready = &self.buf[self.pending.clone()];
                let n = ready.len().min(out.len());
                out[..n].copy_from_slice(&ready[..n]);
                self.pending.start += n;
                return Ok(n);
            }
            if out.is_empty() {
                return Ok(0);
            }
            if self.buf.is_empty() && size > 0 {
                // Small objects are inflated whole, large ones through a
                // buffer that holds more than the 32 KiB of history.
                let len = usize::try_from(size).map_or(STREAM_BUFFER, |s| s.min(STREAM_BUFFER));
                self.buf = vec![0; len];
            }
            let piece = self
                .pieces
                .next(&mut self.z, &mut self.cursor, &mut self.buf);
            match piece {
                Ok(Some(piece)) => self.pending = piece,
                Ok(None) => return Ok(0),
                Err(InflateError::Map(e)) => return Err(e.into()),
                Err(InflateError::Corrupt(reason)) => {
                    return Err(invalid(&self.path, self.entry_offset, reason));
                }
            }
            if self.pieces.is_done() {
                self.cursor.unuse_region();
            }
        }
    }
}

impl Read for ObjectStream {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Memory(c) => c.read(out),
            Inner::Packed(p) => p.read(self.size, out),
            Inner::Loose {
                reader,
                path,
                produced,
            } => {
                let n = reader
                    .read(out)
                    .map_err(|e| invalid(path, 0, crate::inflate::io_corruption(&e)))?;
                *produced += n as u64;
                if *produced > self.size || (n == 0 && !out.is_empty() && *produced != self.size) {
                    return Err(invalid(
                        path,
                        0,
                        Corruption::SizeMismatch {
                            expected: self.size,
                            actual: *produced,
                        },
                    ));
                }
                Ok(n)
            }
        }
    }
}
