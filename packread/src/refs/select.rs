//! The refs a walk's ref options add (`--all`, `--branches[=<pattern>]`,
//! `--tags[=<pattern>]`, `--remotes[=<pattern>]`, `--glob=<pattern>`), with
//! the `--exclude=<pattern>`s given before them, as git's
//! `handle_revision_pseudo_opt` selects them.

use crate::error::Error;
use crate::object::ObjectId;
use crate::wildmatch::{Wild, is_glob_special, wildmatch};

use super::RefStore;

/// Which refs a ref option names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefSelection<'a> {
    /// `--all`: every ref, then `HEAD`.
    All,
    /// `--branches[=<pattern>]`.
    Branches(Option<&'a str>),
    /// `--tags[=<pattern>]`.
    Tags(Option<&'a str>),
    /// `--remotes[=<pattern>]`.
    Remotes(Option<&'a str>),
    /// `--glob=<pattern>` (under `refs/` unless it starts there).
    Glob(&'a str),
}

impl RefStore {
    /// The ids of the refs `selection` names, in name order (`HEAD` last
    /// for [`RefSelection::All`]), symbolic refs followed, leaving out
    /// those an `excludes` pattern matches. As git matches them: a pattern
    /// without glob characters names everything under it (`feature` is
    /// `feature/*`); exclusions match the names `--branches`, `--tags` and
    /// `--remotes` list without their `refs/heads/`, `refs/tags/` or
    /// `refs/remotes/` (given a pattern too), and whole names for `--all`
    /// and `--glob`.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("select", &[("a.txt", "a\n")])?;
    /// # dir.git(&["branch", "feature/x"])?;
    /// # dir.git(&["branch", "other"])?;
    /// use packread::refs::RefSelection;
    ///
    /// let repo = packread::Repository::discover(&dir)?;
    /// let refs = repo.refs();
    /// assert_eq!(refs.select(RefSelection::Branches(Some("feature")), &[])?.len(), 1);
    /// let all_but = refs.select(RefSelection::Branches(None), &["feature/*".to_owned()])?;
    /// assert_eq!(all_but.len(), 2); // main (or master) and other
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`ids_under`](Self::ids_under).
    pub fn select(
        &self,
        selection: RefSelection<'_>,
        excludes: &[String],
    ) -> Result<Vec<ObjectId>, Error> {
        let (pattern, strip) = match selection {
            RefSelection::All => (None, ""),
            RefSelection::Branches(p) => (p.map(|p| ("refs/heads/", p)), "refs/heads/"),
            RefSelection::Tags(p) => (p.map(|p| ("refs/tags/", p)), "refs/tags/"),
            RefSelection::Remotes(p) => (p.map(|p| ("refs/remotes/", p)), "refs/remotes/"),
            RefSelection::Glob(p) => (
                Some((if p.starts_with("refs/") { "" } else { "refs/" }, p)),
                "",
            ),
        };
        // git's `refs_for_each_glob_ref_in`: the prefix, the pattern, and
        // `/*` after a pattern without glob characters.
        let pattern = pattern.map(|(prefix, p)| {
            let mut full = format!("{prefix}{p}");
            if !p.bytes().any(is_glob_special) {
                if !full.ends_with('/') {
                    full.push('/');
                }
                full.push('*');
            }
            full
        });
        let excluded = |name: &str| {
            excludes
                .iter()
                .any(|e| wildmatch(e.as_bytes(), name.as_bytes()) == Wild::Match)
        };
        // Only the refs under the pattern's literal directory are read
        // (`refs/heads/` for `--branches`, everything for `--all`):
        // rust-analyzer's 13,736 packed refs are nearly all tags.
        let scope = pattern.as_deref().map_or(strip, literal_dir);
        let mut ids = Vec::new();
        for r in self.under(scope)? {
            let Ok(r) = r else { continue };
            let listed = pattern
                .as_ref()
                .is_none_or(|p| wildmatch(p.as_bytes(), r.name.as_bytes()) == Wild::Match);
            if !listed || excluded(r.name.strip_prefix(strip).unwrap_or(&r.name)) {
                continue;
            }
            ids.extend(self.target_id(&r)?);
        }
        if selection == RefSelection::All
            && !excluded("HEAD")
            && let Some(head) = self.resolve("HEAD")?.and_then(|r| r.id)
        {
            ids.push(head);
        }
        Ok(ids)
    }
}

/// The directory part of `pattern` before its first glob character
/// (`refs/tags/` of `refs/tags/v1*`), with its `/`; empty if none.
fn literal_dir(pattern: &str) -> &str {
    let literal = pattern
        .bytes()
        .position(is_glob_special)
        .map_or(pattern, |i| &pattern[..i]);
    literal.rfind('/').map_or("", |i| &pattern[..=i])
}

#[cfg(test)]
mod tests {
    use super::literal_dir;

    #[test]
    fn the_literal_directory_ends_before_the_first_glob_character() {
        assert_eq!(literal_dir("refs/tags/v1*"), "refs/tags/");
        assert_eq!(literal_dir("refs/heads/feature/*"), "refs/heads/feature/");
        assert_eq!(literal_dir("refs/heads/a[/]b/*"), "refs/heads/");
        assert_eq!(literal_dir("refs/*/x"), "refs/");
        assert_eq!(literal_dir("*"), "");
    }
}
