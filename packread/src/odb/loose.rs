//! Loose objects: `objects/<2 hex>/<rest>`, a zlib stream of
//! `"<type> <size>\0"` and the body.
//!
//! Loose objects are small and written once; they are read with plain reads
//! rather than mapped, so that short-lived files don't churn the window
//! manager's windows and handles.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sirocco::Format;
use sirocco::inflate::{Error as ZError, Reader};

use crate::error::{Corruption, Error};
use crate::inflate::{self, Inflater};
use crate::object::ObjectKind;
use crate::object::{HashKind, ObjectId};

/// git's `MAX_HEADER_LEN`: the NUL must come within the first 32 bytes.
const MAX_HEADER_LEN: usize = 32;

/// The path of `id`'s loose file under `objects_dir`.
pub(crate) fn path_of(objects_dir: &Path, id: &ObjectId) -> PathBuf {
    let hex = id.to_hex();
    objects_dir.join(&hex[..2]).join(&hex[2..])
}

fn corrupt(path: &Path, reason: Corruption) -> Error {
    Error::corrupt(path, 0, reason)
}

/// Parses `"<type> <size>\0"` as git's `parse_loose_header` does; returns the
/// kind, the size and the header's length including the NUL.
pub(crate) fn parse_header(head: &[u8]) -> Option<(ObjectKind, u64, usize)> {
    let nul = head.iter().position(|&b| b == 0)?;
    let (name, size) = head[..nul].split_at(head[..nul].iter().position(|&b| b == b' ')?);
    let size = &size[1..];
    let kind = ObjectKind::from_name(name)?;
    let canonical = !size.is_empty()
        && size.iter().all(u8::is_ascii_digit)
        && (size == b"0" || size[0] != b'0');
    if !canonical {
        return None;
    }
    let size = std::str::from_utf8(size).ok()?.parse().ok()?;
    Some((kind, size, nul + 1))
}

/// Reads the loose file at `path`; `Ok(None)` if there is none.
fn read_file(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// What a data error in a loose file's stream means.
fn inflate_error(path: &Path, e: ZError) -> Error {
    corrupt(path, crate::inflate::corruption(e))
}

/// Inflates the header of a loose object's compressed bytes (what follows
/// it need not be whole).
fn header_of(
    path: &Path,
    z: &mut Inflater,
    compressed: &[u8],
) -> Result<(ObjectKind, u64, usize), Error> {
    // zlib's own words for a stream header it refuses (what git reports).
    if let Some(problem) = crate::inflate::header_problem(compressed) {
        return Err(corrupt(path, Corruption::Inflate(problem)));
    }
    let mut head = [0u8; MAX_HEADER_LEN];
    z.reset();
    let n = match z.decompress(compressed, &mut head, false) {
        Ok(p) => p.output.len(),
        // A buffer full before anything came out can't be.
        Err(ZError::BufferFull) => 0,
        Err(e) => return Err(inflate_error(path, e)),
    };
    parse_header(&head[..n]).ok_or_else(|| corrupt(path, header_problem(&head[..n])))
}

/// Why a header `parse_header` refused is wrong: an object type git doesn't
/// know (with a well-formed size), or anything else.
fn header_problem(head: &[u8]) -> Corruption {
    let text = head.split(|&b| b == 0).next().unwrap_or_default();
    if let Some(sp) = text.iter().position(|&b| b == b' ') {
        let size = std::str::from_utf8(&text[sp + 1..])
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse().ok());
        if let (true, Some(size)) = (head.contains(&0), size) {
            let name = String::from_utf8_lossy(&text[..sp]).into_owned();
            return Corruption::UnknownObjectType { name, size };
        }
    }
    Corruption::BadLooseHeader
}

/// Kind and size of the loose object at `path`, inflating only its header.
pub(crate) fn read_header(path: &Path) -> Result<Option<(ObjectKind, u64)>, Error> {
    let Some(bytes) = read_file(path)? else {
        return Ok(None);
    };
    let (kind, size, _) = header_of(path, &mut inflate::inflater(), &bytes)?;
    Ok(Some((kind, size)))
}

/// Reads the loose object at `path` as git streams a blob: whatever its
/// zlib stream inflates to after the header, however many bytes the header
/// announced, bytes after the stream ignored. Other kinds git reads whole,
/// as [`read`]. `Ok(None)` if there is none.
pub(crate) fn read_streamed(path: &Path, out: &mut Vec<u8>) -> Result<Option<ObjectKind>, Error> {
    let Some(bytes) = read_file(path)? else {
        return Ok(None);
    };
    let mut z = inflate::inflater();
    let (kind, _, header_len) = header_of(path, &mut z, &bytes)?;
    if kind != ObjectKind::Blob {
        return read(path, out);
    }
    z.reset();
    let mut reader = sirocco::inflate::Reader::new(Format::Zlib, &bytes[..]);
    out.clear();
    reader
        .read_to_end(out)
        .map_err(|e| corrupt(path, crate::inflate::io_corruption(&e)))?;
    out.drain(..header_len.min(out.len()));
    Ok(Some(kind))
}

/// Reads the loose object at `path` into `out`; `Ok(None)` if there is none.
pub(crate) fn read(path: &Path, out: &mut Vec<u8>) -> Result<Option<ObjectKind>, Error> {
    let Some(bytes) = read_file(path)? else {
        return Ok(None);
    };
    let mut z = inflate::inflater();
    let (kind, size, header_len) = header_of(path, &mut z, &bytes)?;
    if size > (bytes.len() as u64).saturating_mul(1032) + 64 {
        return Err(corrupt(path, Corruption::ObjectTooLarge(size)));
    }
    let size =
        usize::try_from(size).map_err(|_| corrupt(path, Corruption::ObjectTooLarge(size)))?;
    // Inflate header and body together into one buffer, then drop the
    // header; one byte more than announced tells a long stream.
    out.clear();
    out.try_reserve_exact(header_len + size + 1)
        .map_err(|_| corrupt(path, Corruption::ObjectTooLarge(size as u64)))?;
    out.resize(header_len + size + 1, 0);
    z.reset();
    let long = Corruption::SizeMismatch {
        expected: size as u64,
        actual: size as u64 + 1,
    };
    let p = match z.decompress(&bytes, out, true) {
        Ok(p) => p,
        Err(ZError::BufferFull) => return Err(corrupt(path, long)),
        Err(e) => return Err(inflate_error(path, e)),
    };
    let (produced, consumed) = (p.output.len(), p.consumed);
    if !p.done {
        // The stream went on past the room for what was announced.
        return Err(corrupt(path, long));
    }
    if produced != header_len + size {
        return Err(corrupt(
            path,
            Corruption::SizeMismatch {
                expected: size as u64,
                actual: produced.saturating_sub(header_len) as u64,
            },
        ));
    }
    if consumed < bytes.len() {
        return Err(corrupt(path, Corruption::GarbageAfterLooseObject));
    }
    out.truncate(produced);
    out.drain(..header_len);
    Ok(Some(kind))
}

/// A loose object's kind, size and a reader of its body.
pub(crate) type LooseStream = (ObjectKind, u64, Box<dyn Read + Send>);

/// A streaming reader of a loose object's body.
pub(crate) fn open_stream(path: &Path) -> Result<Option<LooseStream>, Error> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut dec = Reader::new(Format::Zlib, io::BufReader::new(file));
    let mut head = Vec::with_capacity(MAX_HEADER_LEN);
    let mut byte = [0u8; 1];
    loop {
        let n = dec
            .read(&mut byte)
            .map_err(|e| corrupt(path, crate::inflate::io_corruption(&e)))?;
        if n == 0 || head.len() == MAX_HEADER_LEN {
            return Err(corrupt(path, Corruption::BadLooseHeader));
        }
        head.push(byte[0]);
        if byte[0] == 0 {
            break;
        }
    }
    let (kind, size, _) =
        parse_header(&head).ok_or_else(|| corrupt(path, Corruption::BadLooseHeader))?;
    Ok(Some((kind, size, Box::new(dec))))
}

/// Every loose object id under `objects_dir`, fan-out directories in order,
/// files in directory order.
pub(crate) fn list(objects_dir: &Path, hash: HashKind) -> Result<Vec<ObjectId>, Error> {
    let mut ids = Vec::new();
    for fan in 0..=255u8 {
        list_fan(objects_dir, fan, hash, &mut ids)?;
    }
    Ok(ids)
}

/// Appends the loose object ids of fan-out directory `fan` to `ids`.
pub(crate) fn list_fan(
    objects_dir: &Path,
    fan: u8,
    hash: HashKind,
    ids: &mut Vec<ObjectId>,
) -> Result<(), Error> {
    let dir = objects_dir.join(format!("{fan:02x}"));
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(Error::Io { path: dir, source }),
    };
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let name = entry.file_name();
        let Some(rest) = name.to_str() else { continue };
        if rest.len() != hash.hex_len() - 2 {
            continue;
        }
        if let Some(id) =
            ObjectId::from_hex(&format!("{fan:02x}{rest}")).filter(|id| id.kind() == hash)
        {
            ids.push(id);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_as_git_parses_them() {
        assert_eq!(parse_header(b"blob 3\0abc"), Some((ObjectKind::Blob, 3, 7)));
        assert_eq!(
            parse_header(b"commit 0\0"),
            Some((ObjectKind::Commit, 0, 9))
        );
        assert_eq!(parse_header(b"blob 03\0"), None, "leading zero");
        assert_eq!(parse_header(b"blob \0"), None);
        assert_eq!(parse_header(b"blob 3"), None, "no NUL");
        assert_eq!(parse_header(b"bloc 3\0"), None);
        assert_eq!(parse_header(b"blob 3x\0"), None);
        assert_eq!(
            parse_header(b"blob 99999999999999999999999\0"),
            None,
            "overflow"
        );
    }
}
