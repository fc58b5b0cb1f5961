//! What git says about a packed object it can't read: it is fatal, after
//! git's lines for the zlib error and for each delta base on the way that
//! failed. (Loose files git reads its own way: see `loose_replay`.)

use packread::pack::Pack;
use packread::{Corruption, Error, Location, ObjectId, Reader};

use crate::context::Context;
use crate::git_words;

/// git's answer for `err`, met unpacking the packed object `id` at `loc`:
/// the `error:` lines (the zlib error, then each delta base that failed,
/// bottom up) and the fatal message; `None` for other errors.
pub fn packed(
    cx: &Context,
    reader: &mut Reader,
    id: &ObjectId,
    loc: &Location,
    err: &Error,
) -> Option<(Vec<String>, String)> {
    let Location::Packed { pack, .. } = loc else {
        return None;
    };
    let Error::Corrupt {
        path,
        offset: bad,
        reason,
    } = err
    else {
        return None;
    };
    let pack_path = cx.git_path(path);
    let mut lines = Vec::new();
    // An entry whose header announces more than packread will hold: git
    // allocates it and inflates, and zlib may have words for the stream.
    if let Corruption::ObjectTooLarge(_) = reason
        && let Some(line) = zlib_line(&reader.odb().pack(*pack), path, *bad)
    {
        lines.push(format!("error: {line}"));
    }
    if let Corruption::Inflate(e) = reason {
        // zlib's own words, from its decoder run on the entry as git runs
        // it; the words packread's reason carries where that can't be read.
        match zlib_line(&reader.odb().pack(*pack), path, *bad) {
            Some(line) => lines.push(format!("error: {line}")),
            None => {
                if let Some(words) = git_words::zlib_words(*e) {
                    lines.push(format!("error: inflate: data stream error ({words})"));
                }
            }
        }
    }
    // The chain from the object down to the entry that failed: git names
    // each base it could not read, from that entry up.
    let mut chain = Vec::new();
    let mut at = loc.clone();
    for _ in 0..10_000 {
        let Location::Packed { offset: o, .. } = at else {
            break;
        };
        if o == *bad {
            break;
        }
        let Some(base) = reader.disk_info(&at).ok().and_then(|d| d.delta_base) else {
            chain.clear();
            break;
        };
        let Ok(Some(next)) = reader.locate(&base) else {
            chain.clear();
            break;
        };
        match next {
            Location::Packed {
                pack: p, offset: o, ..
            } if p == *pack => chain.push((base, o)),
            _ => {
                chain.clear();
                break;
            }
        }
        at = next;
    }
    for (base, o) in chain.iter().rev() {
        lines.push(format!(
            "error: failed to read delta base object {base} at offset {o} from {pack_path}"
        ));
    }
    Some((
        lines,
        format!("packed object {id} (stored in {pack_path}) is corrupt"),
    ))
}

/// The line git prints inflating the entry at `offset` of `pack` (the
/// damage met at `path`, if that is its data file), its stream read from
/// the file; `None` if none or unreadable.
fn zlib_line(pack: &Pack, path: &std::path::Path, offset: u64) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    if pack.data_path() != path {
        return None;
    }
    let header = pack.entry_header(&mut pack.cursors(), offset).ok()?;
    let size = usize::try_from(header.size).ok()?;
    // A stream holds at most about its output plus its block headers.
    let start = offset + u64::from(header.header_len);
    let room = pack.data_end().saturating_sub(start);
    let want = header
        .size
        .saturating_add(header.size / 8)
        .saturating_add(1024)
        .min(room);
    let mut file = std::fs::File::open(pack.data_path()).ok()?;
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut stream = vec![0u8; usize::try_from(want).ok()?];
    file.read_exact(&mut stream).ok()?;
    crate::loose_replay::packed_inflate_error(&stream, size)
}
