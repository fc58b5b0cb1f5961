//! What git says about a packed object it can't read: it is fatal, after
//! git's lines for the zlib error and for each delta base on the way that
//! failed. (Loose files git reads its own way: see `loose_replay`.)

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
    if let Corruption::Inflate(e) = reason
        && let Some(words) = git_words::zlib_words(*e)
    {
        lines.push(format!("error: inflate: data stream error ({words})"));
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
