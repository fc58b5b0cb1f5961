//! A revision's base name (git's `get_oid_basic`, then describe output,
//! then an abbreviation): ids, refs by git's lookup rules, `@`.

use crate::error::{Corruption, Error, RevisionProblem};
use crate::object::ObjectId;
use crate::refs::{RefStore, Resolved, is_valid_name};

use super::{Resolver, RevisionWarning};

/// git's `ref_rev_parse_rules`, in order.
const RULES: [(&str, &str); 6] = [
    ("", ""),
    ("refs/", ""),
    ("refs/tags/", ""),
    ("refs/heads/", ""),
    ("refs/remotes/", ""),
    ("refs/remotes/", "/HEAD"),
];

/// git's shortest abbreviation.
const MINIMUM_ABBREV: usize = 4;

impl Resolver<'_, '_> {
    pub(super) fn basic(&mut self, name: &str) -> Result<ObjectId, Error> {
        if name.contains("@{") {
            return Err(self.problem(RevisionProblem::Unsupported(
                "reflog and upstream forms (`@{...}`)",
            )));
        }
        let name = if name == "@" { "HEAD" } else { name };
        let hex_len = self.reader.odb().hash_kind().hex_len();
        let is_hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
        if name.len() == hex_len
            && is_hex(name)
            && let Some(id) = ObjectId::from_hex(&name.to_ascii_lowercase())
        {
            if self.dwim_ref(name, false)?.is_some() {
                self.warnings
                    .push(RevisionWarning::RefNamedLikeId(name.to_owned()));
            }
            return Ok(id);
        }
        if let Some((found, count)) = self.dwim_ref(name, true)? {
            let also_id = name.len() >= MINIMUM_ABBREV
                && name.len() < hex_len
                && is_hex(name)
                && self.reader.resolve_prefix(name).is_ok();
            if count > 1 || also_id {
                self.warn_ambiguous(name);
            }
            return Ok(found);
        }
        // `git describe` output: `<anything>-g<hex>`.
        if let Some(pos) = name.rfind("-g") {
            let hex = &name[pos + 2..];
            if hex.len() >= MINIMUM_ABBREV && hex.len() <= hex_len && is_hex(hex) {
                match self.reader.resolve_prefix(hex) {
                    Ok(id) => return Ok(id),
                    Err(e) if e.is_not_found() || matches!(e, Error::Ambiguous(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if name.len() >= MINIMUM_ABBREV && name.len() < hex_len && is_hex(name) {
            return match self.reader.resolve_prefix(name) {
                Ok(id) => Ok(id),
                Err(e) if e.is_not_found() => Err(self.unknown()),
                Err(e) => Err(e),
            };
        }
        Err(self.unknown())
    }

    fn warn_ambiguous(&mut self, name: &str) {
        self.warnings
            .push(RevisionWarning::AmbiguousRef(name.to_owned()));
    }

    /// git's `repo_dwim_ref`: the first ref the rules find for `name` and
    /// how many they find; with `warn`, git's warnings for dangling
    /// symbolic refs and broken refs met on the way.
    fn dwim_ref(&mut self, name: &str, warn: bool) -> Result<Option<(ObjectId, usize)>, Error> {
        let found = candidates(self.refs, name, warn.then_some(&mut self.warnings))?;
        Ok(found.first().and_then(|r| r.id).map(|id| (id, found.len())))
    }
}

/// The refs git's lookup rules find for `name`, in rule order, each
/// followed to its id (git's `repo_dwim_ref`, which `--symbolic-full-name`
/// uses: one means `name` is that ref, more that it is ambiguous).
/// Dangling symbolic refs and broken refs are skipped, with git's warnings
/// added to `warnings` when given.
pub(crate) fn candidates(
    refs: &RefStore,
    name: &str,
    mut warnings: Option<&mut Vec<RevisionWarning>>,
) -> Result<Vec<Resolved>, Error> {
    let name = if name == "@" { "HEAD" } else { name };
    let mut found = Vec::new();
    for (prefix, suffix) in RULES {
        let full = format!("{prefix}{name}{suffix}");
        if !is_valid_name(&full, true) {
            continue;
        }
        match refs.resolve(&full) {
            Ok(Some(resolved)) if resolved.id.is_some() => found.push(resolved),
            Ok(Some(_)) => {
                if let Some(w) = warnings.as_deref_mut()
                    && full != "HEAD"
                {
                    w.push(RevisionWarning::DanglingSymref(full));
                }
            }
            Ok(None) => {}
            Err(Error::Corrupt {
                reason: Corruption::BadRef(_),
                ..
            }) => {
                if let Some(w) = warnings.as_deref_mut()
                    && full.contains('/')
                {
                    w.push(RevisionWarning::BrokenRef(full));
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}
