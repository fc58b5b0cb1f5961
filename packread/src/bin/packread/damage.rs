//! What git says about an object it can't read. A loose file whose zlib
//! stream or header can't be unpacked counts as missing (with git's error
//! lines on stderr), one of an unknown type is fatal. A packed object that
//! can't be unpacked is fatal, after git's lines for the zlib error and for
//! each delta base on the way that failed.

use packread::{Corruption, Error, Location, ObjectId, Reader};

use crate::context::Context;
use crate::git_words;

/// How git treats a damaged object.
pub enum Damage {
    /// The object is missing: these lines go to stderr first.
    Missing(Vec<String>),
    /// git dies with this message.
    Fatal(String),
}

/// git's answer for `err`, met reading the object `id` at `loc`; `None`
/// where git has no answer of its own (the error is reported as it is).
pub fn classify(id: &ObjectId, loc: &Location, err: &Error) -> Option<Damage> {
    let Location::Loose { .. } = loc else {
        return None;
    };
    let Error::Corrupt { reason, .. } = err else {
        return None;
    };
    Some(match reason {
        Corruption::Inflate(e) => Damage::Missing(vec![
            format!(
                "error: inflate: data stream error ({})",
                git_words::stream_error_words(*e)
            ),
            format!("error: unable to unpack {id} header"),
        ]),
        Corruption::TruncatedStream | Corruption::BadLooseHeader => {
            Damage::Missing(vec![format!("error: unable to unpack {id} header")])
        }
        Corruption::UnknownObjectType { .. } => Damage::Fatal("invalid object type".into()),
        _ => return None,
    })
}

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
