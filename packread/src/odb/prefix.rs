//! Abbreviated ids: the object a hex prefix names, across packs and loose
//! objects, with git's ambiguity.

use std::path::Path;

use crate::error::Error;
use crate::object::{HashKind, ObjectId, Prefix};
use crate::odb::{Reader, loose};
use crate::pack::PrefixLookup;

impl Reader {
    /// The object that `hex` names: a full id, or a prefix that exactly one
    /// object (in any pack or loose) starts with. A name that is not hex, or
    /// longer than an id, is [`Error::InvalidName`]; a prefix no object has
    /// is [`Error::PrefixNotFound`], one several have [`Error::Ambiguous`].
    pub fn resolve_prefix(&mut self, hex: &str) -> Result<ObjectId, Error> {
        let hash = self.odb().hash_kind();
        if hex.len() == hash.hex_len()
            && let Some(id) = ObjectId::from_hex(hex)
        {
            return Ok(id);
        }
        let prefix = Prefix::from_hex(hex).filter(|p| p.hex_len() <= hash.hex_len());
        let Some(prefix) = prefix else {
            return Err(Error::InvalidName(hex.to_owned()));
        };
        let mut found: Option<ObjectId> = None;
        let mut note = |id: ObjectId| -> Result<(), Error> {
            match found {
                Some(f) if f != id => Err(Error::Ambiguous(prefix)),
                _ => {
                    found = Some(id);
                    Ok(())
                }
            }
        };
        let odb = self.odb().clone();
        for pack in odb.pack_ids() {
            let (p, c, _) = self.parts(pack);
            match p.index().lookup_prefix(c.index_cursor(), &prefix)? {
                PrefixLookup::None => {}
                PrefixLookup::Unique(pos) => note(p.index().oid_at(c.index_cursor(), pos)?)?,
                PrefixLookup::Ambiguous => return Err(Error::Ambiguous(prefix)),
            }
        }
        for dir in odb.object_dirs() {
            for id in loose_with_prefix(dir, &prefix, hash)? {
                note(id)?;
            }
        }
        found.ok_or(Error::PrefixNotFound(prefix))
    }
}

/// Loose objects under `dir` whose ids start with `prefix`.
fn loose_with_prefix(dir: &Path, prefix: &Prefix, hash: HashKind) -> Result<Vec<ObjectId>, Error> {
    let mut ids = Vec::new();
    if prefix.hex_len() < 2 {
        ids = loose::list(dir, hash)?;
    } else {
        loose::list_fan(dir, prefix.first_byte(), hash, &mut ids)?;
    }
    ids.retain(|id| prefix.matches(id));
    Ok(ids)
}
