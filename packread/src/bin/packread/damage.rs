//! What git says about a loose object it can't read: a file whose zlib
//! stream or header can't be unpacked counts as missing (with git's error
//! lines on stderr), one of an unknown type is fatal.

use packread::{Corruption, Error, Location, ObjectId};

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
        Corruption::Inflate(msg) => Damage::Missing(vec![
            format!("error: inflate: data stream error ({msg})"),
            format!("error: unable to unpack {id} header"),
        ]),
        Corruption::TruncatedStream | Corruption::BadLooseHeader => {
            Damage::Missing(vec![format!("error: unable to unpack {id} header")])
        }
        Corruption::UnknownObjectType { .. } => Damage::Fatal("invalid object type".into()),
        _ => return None,
    })
}
