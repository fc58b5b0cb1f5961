//! Streaming an object's bytes with `std::io::Read`.

use std::io::{self, Read};
use std::path::PathBuf;

use flate2::Decompress;
use smmap::WindowCursor;

use crate::error::{Corruption, Error};
use crate::inflate::{InflateError, step};
use crate::kind::ObjectKind;

/// An object's bytes as a reader. Whole objects in packs are inflated from
/// the windows as they are read, and loose objects from their file, so
/// neither is held in memory whole; deltas are resolved first.
///
/// The stream checks what it reads: a short, long or corrupt stream is an
/// `InvalidData` error, never a silent truncation.
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
    z: Decompress,
    pos: u64,
    limit: u64,
    produced: u64,
    done: bool,
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
            z: Decompress::new(true),
            pos: data_offset,
            limit,
            produced: 0,
            done: false,
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

impl Packed {
    fn read(&mut self, size: u64, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            let want = usize::try_from(size - self.produced)
                .unwrap_or(usize::MAX)
                .min(out.len());
            // Once all bytes are out, a one-byte probe checks that the stream ends.
            let mut probe = [0u8; 1];
            let dst = if want == 0 {
                &mut probe[..]
            } else {
                &mut out[..want]
            };
            let s = match step(
                &mut self.z,
                &mut self.cursor,
                self.pos,
                self.limit,
                dst,
                false,
            ) {
                Ok(s) => s,
                Err(InflateError::Map(e)) => return Err(e.into()),
                Err(InflateError::Corrupt(reason)) => {
                    return Err(invalid(&self.path, self.entry_offset, reason));
                }
            };
            self.pos += s.consumed;
            if want == 0 && s.made > 0 {
                let reason = Corruption::SizeMismatch {
                    expected: size,
                    actual: size + 1,
                };
                return Err(invalid(&self.path, self.entry_offset, reason));
            }
            self.produced += s.made as u64;
            if s.end {
                if self.produced != size {
                    let reason = Corruption::SizeMismatch {
                        expected: size,
                        actual: self.produced,
                    };
                    return Err(invalid(&self.path, self.entry_offset, reason));
                }
                self.done = true;
                self.cursor.unuse_region();
            }
            if s.made > 0 {
                return Ok(s.made);
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
                    .map_err(|e| invalid(path, 0, Corruption::Inflate(e.to_string())))?;
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
