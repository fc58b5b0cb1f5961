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
        match self.resolve_prefix_once(hex) {
            // Nothing found: git scans the directories again and looks once
            // more (new packs may have appeared).
            Err(Error::PrefixNotFound(_)) if self.odb().refreshes_on_miss() => {
                let warnings = self.odb().refresh()?;
                self.note_refresh(warnings);
                self.resolve_prefix_once(hex)
            }
            other => other,
        }
    }

    fn resolve_prefix_once(&mut self, hex: &str) -> Result<ObjectId, Error> {
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
        let set = self.snapshot();
        for &pack in &set.order {
            let mut pr = self.pack_reader(pack);
            match pr.lookup_prefix(&prefix)? {
                PrefixLookup::None => {}
                PrefixLookup::Unique(pos) => note(pr.oid_at(pos)?)?,
                PrefixLookup::Ambiguous => return Err(Error::Ambiguous(prefix)),
            }
        }
        for dir in &set.dirs {
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

impl Reader {
    /// Every object whose id starts with `prefix`, in packs or loose, sorted,
    /// each once: the candidates of an abbreviation (git's built-in empty
    /// tree is none, as in git).
    pub fn prefix_candidates(&mut self, prefix: &Prefix) -> Result<Vec<ObjectId>, Error> {
        let odb = self.odb().clone();
        let set = self.snapshot();
        let mut ids = Vec::new();
        for &pack in &set.order {
            let mut pr = self.pack_reader(pack);
            for pos in pr.prefix_range(prefix)? {
                ids.push(pr.oid_at(pos)?);
            }
        }
        for dir in &set.dirs {
            ids.extend(loose_with_prefix(dir, prefix, odb.hash_kind())?);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// `id` abbreviated as git's `repo_find_unique_abbrev` does: at least
    /// `min` digits (0: git's automatic length, from the number of
    /// objects), more where other objects share them; the full id when
    /// `min` reaches its length.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("abbreviate", &[("a.txt", "a\n")])?;
    /// let repo = packread::Repository::discover(&dir)?;
    /// let id = repo.rev_parse("HEAD")?;
    /// let short = repo.odb().reader().abbreviate(&id, 0)?;
    /// assert_eq!(short, id.to_hex()[..7]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A pack index or objects directory that can't be read.
    pub fn abbreviate(&mut self, id: &ObjectId, min: usize) -> Result<String, Error> {
        let hex = id.to_hex();
        let min = if min == 0 {
            auto_abbrev(self.odb().approximate_object_count())
        } else {
            min
        };
        let len = if min >= hex.len() {
            hex.len()
        } else {
            self.unique_abbrev_len(id, min)?.min(hex.len())
        };
        Ok(hex[..len].to_owned())
    }

    /// The length, in hex digits, of the shortest abbreviation of `id` that
    /// is at least `min` digits long and that no other object of the
    /// database starts with (git's `find_unique_abbrev`).
    pub fn unique_abbrev_len(&mut self, id: &ObjectId, min: usize) -> Result<usize, Error> {
        let odb = self.odb().clone();
        let set = self.snapshot();
        let hex_len = odb.hash_kind().hex_len();
        // The longest prefix `id` shares with another object, in digits.
        let mut shared = 0;
        let mut note = |other: &ObjectId| {
            if other != id {
                shared = shared.max(common_hex_digits(id, other));
            }
        };
        for &pack in &set.order {
            let mut pr = self.pack_reader(pack);
            // Where `id` is (found from where its bytes put it), or would be.
            let at = match pr.lookup(id)? {
                Some(at) => at,
                None => pr.lower_bound(id)?,
            };
            // The neighbours in sorted order share the longest prefixes.
            for pos in [at.checked_sub(1), Some(at), at.checked_add(1)]
                .into_iter()
                .flatten()
            {
                if pos < pr.pack.len() {
                    note(&pr.oid_at(pos)?);
                }
            }
        }
        // Each fan-out directory listed once (git's loose-object cache): a
        // log abbreviates every merge's parents.
        let writes = odb.loose_writes();
        let state = self.state();
        if state.loose_writes != writes {
            state.loose_fans.clear();
            state.loose_writes = writes;
        }
        let fan = id.as_bytes()[0];
        for (i, dir) in set.dirs.iter().enumerate() {
            let ids = match state.loose_fans.entry((i, fan)) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let mut ids = Vec::new();
                    loose::list_fan(dir, fan, odb.hash_kind(), &mut ids)?;
                    e.insert(ids)
                }
            };
            ids.iter().for_each(&mut note);
        }
        Ok((shared + 1).max(min).min(hex_len))
    }
}

/// git's shortest abbreviation of automatic length (`FALLBACK_DEFAULT_ABBREV`).
const FALLBACK_ABBREV: usize = 7;

/// git's abbreviation length for `count` objects when `core.abbrev` is
/// auto: enough digits for 2^(bits/2) objects, at least 7.
///
/// ```
/// assert_eq!(packread::auto_abbrev(1_000), 7);
/// assert_eq!(packread::auto_abbrev(1 << 20), 11);
/// ```
pub fn auto_abbrev(count: u64) -> usize {
    let msb = 63 - count.max(1).leading_zeros() as usize;
    (msb + 1).div_ceil(2).max(FALLBACK_ABBREV)
}

/// How many leading hex digits two ids share.
fn common_hex_digits(a: &ObjectId, b: &ObjectId) -> usize {
    let mut n = 0;
    for (x, y) in a.as_bytes().iter().zip(b.as_bytes()) {
        if x == y {
            n += 2;
        } else {
            if x >> 4 == y >> 4 {
                n += 1;
            }
            break;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use crate::doctest::Scratch;
    use crate::{HashKind, ObjectId, ObjectKind};

    /// A reader's listing of a fan-out directory is kept, and renewed when
    /// the database writes a loose object: an abbreviation grows when an
    /// object sharing more of its digits is written.
    #[test]
    fn abbreviations_see_the_objects_the_database_writes() {
        let dir = Scratch::committed("abbrevwrite", &[("a.txt", "a\n")]).unwrap();
        // (Without rescans on a miss, which would renew the listing too.)
        let odb = crate::OpenOptions::new()
            .refresh_on_miss(false)
            .open(&*dir)
            .unwrap();
        let x = odb.write_object(ObjectKind::Blob, b"x").unwrap();
        let mut r = odb.reader();
        let before = r.unique_abbrev_len(&x, 1).unwrap();
        // A blob sharing x's first two digits (and more, maybe).
        let y = (0u32..100_000)
            .map(|i| format!("y{i}").into_bytes())
            .find(|d| {
                let id = ObjectId::compute(HashKind::Sha1, ObjectKind::Blob, d);
                id.as_bytes()[0] == x.as_bytes()[0] && id != x
            })
            .unwrap();
        let y_id = odb.write_object(ObjectKind::Blob, &y).unwrap();
        let shared = (0..40)
            .take_while(|&i| x.to_hex().as_bytes()[i] == y_id.to_hex().as_bytes()[i])
            .count();
        let after = r.unique_abbrev_len(&x, 1).unwrap();
        assert!(
            after > shared && after > 2,
            "{before} -> {after} ({shared} shared)"
        );
        assert_eq!(after, odb.reader().unique_abbrev_len(&x, 1).unwrap());
    }
}
