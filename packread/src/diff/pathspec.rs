//! Pathspecs as git matches them against tree entries while it walks
//! trees (`tree_entry_interesting` in git's tree-walk.c): a path selects
//! itself and everything under it, a directory on the way to a path is
//! entered, and a path with `*`, `?` or `[` is a glob over the whole path
//! in which `*` also matches `/`.

use crate::wildmatch::{self, Wild};

/// One path of a pathspec, from the top of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Item {
    /// The path, normalized (`./` and `..` resolved); a trailing `/` kept
    /// (it selects directories only).
    path: Vec<u8>,
    /// How many leading bytes hold no glob character.
    literal_len: usize,
}

/// What a tree entry is to a pathspec (git's `enum interesting`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    /// Neither this entry nor any later one in its tree is selected.
    NoneLater,
    /// Not selected.
    No,
    /// Selected (a directory: to be entered and its entries asked).
    Yes,
    /// Selected with everything under it.
    All,
}

/// The paths a diff or a walk is limited to; empty selects everything.
///
/// ```
/// use packread::diff::{Interest, Pathspec};
///
/// let spec = Pathspec::new(["src/lib.rs", "docs/*.md"], "").unwrap();
/// assert_eq!(spec.interest(b"", b"src", true), Interest::Yes);
/// assert_eq!(spec.interest(b"src/", b"lib.rs", false), Interest::Yes);
/// assert_eq!(spec.interest(b"src/", b"main.rs", false), Interest::No);
/// assert_eq!(spec.interest(b"docs/", b"intro.md", false), Interest::Yes);
/// assert!(spec.matches(b"docs/a/b.md")); // `*` matches `/` too
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pathspec {
    items: Vec<Item>,
    has_wildcard: bool,
}

/// A path that leads outside the repository (`../..` from the top).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutsideRepository(pub String);

impl std::fmt::Display for OutsideRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'{}' is outside repository", self.0)
    }
}

impl std::error::Error for OutsideRepository {}

impl Pathspec {
    /// The pathspec of `paths` given from `prefix` (where the command
    /// stands in the work tree, `dir/` or empty), as git's
    /// `parse_pathspec` makes it: `.` and `..` resolved, `//` collapsed,
    /// globs recognised unless `GIT_LITERAL_PATHSPECS` is set.
    pub fn new<I, S>(paths: I, prefix: &str) -> Result<Pathspec, OutsideRepository>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let literal = std::env::var_os("GIT_LITERAL_PATHSPECS")
            .is_some_and(|v| v.to_str().is_some_and(|v| v == "1" || v == "true"));
        let mut spec = Pathspec::default();
        for path in paths {
            let path = path.as_ref();
            let joined = format!("{prefix}{path}");
            let mut normal = crate::revision::normalize_path(&joined)
                .ok_or_else(|| OutsideRepository(path.to_owned()))?
                .into_bytes();
            let dir_only = joined.ends_with('/')
                || joined.ends_with("/.")
                || joined.ends_with("/..")
                || path == "."
                || path == "..";
            if dir_only && !normal.is_empty() {
                normal.push(b'/');
            }
            let literal_len = if literal {
                normal.len()
            } else {
                normal
                    .iter()
                    .position(|&b| wildmatch::is_glob_special(b))
                    .unwrap_or(normal.len())
            };
            spec.has_wildcard |= literal_len < normal.len();
            spec.items.push(Item {
                path: normal,
                literal_len,
            });
        }
        Ok(spec)
    }

    /// Whether it selects everything (no paths).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// What the entry `name` of the tree at `base` (empty, or ending in
    /// `/`) is to the pathspec, for a walk that recurses into trees.
    pub fn interest(&self, base: &[u8], name: &[u8], is_dir: bool) -> Interest {
        self.interest_in(base, name, is_dir, 0, true)
    }

    /// As [`interest`](Self::interest), for an entry with `mode`, in a
    /// walk that recurses into trees or not (`git diff-tree` without
    /// `-r` selects no directory by a glob).
    pub fn interest_in(
        &self,
        base: &[u8],
        name: &[u8],
        is_dir: bool,
        mode: u32,
        recursive: bool,
    ) -> Interest {
        if self.items.is_empty() {
            return Interest::All;
        }
        let is_gitlink = mode & 0o170_000 == 0o160_000;
        let mut never = if self.has_wildcard {
            Interest::No
        } else {
            Interest::NoneLater
        };
        for item in self.items.iter().rev() {
            let spec = item.path.as_slice();
            if base.len() >= spec.len() {
                if dir_prefix(base, spec) {
                    return Interest::All;
                }
            } else if base.is_empty() || spec.starts_with(base) {
                let rest = &spec[base.len()..];
                if entry_matches(rest, name, is_dir, is_gitlink, &mut never) {
                    return Interest::Yes;
                }
                if item.literal_len < spec.len() {
                    let prefix = item.literal_len.saturating_sub(base.len());
                    if fnmatch(rest, name, prefix) {
                        return Interest::Yes;
                    }
                    if recursive && is_dir {
                        return Interest::Yes;
                    }
                }
                continue;
            }
            // The glob part.
            if item.literal_len == spec.len() {
                continue;
            }
            if item.literal_len > 0 && !wildcard_base(item, base) {
                continue;
            }
            let mut full = base.to_vec();
            full.extend_from_slice(name);
            if fnmatch(spec, &full, item.literal_len) {
                return Interest::Yes;
            }
            if recursive && is_dir {
                return Interest::Yes;
            }
        }
        never
    }

    /// Whether the whole path `path` (a file's) is selected.
    pub fn matches(&self, path: &[u8]) -> bool {
        if self.items.is_empty() {
            return true;
        }
        let mut base_len = 0;
        loop {
            let rest = &path[base_len..];
            match rest.iter().position(|&b| b == b'/') {
                Some(slash) => {
                    let name = &rest[..slash];
                    match self.interest(&path[..base_len], name, true) {
                        Interest::All => return true,
                        Interest::Yes => base_len += slash + 1,
                        Interest::No | Interest::NoneLater => return false,
                    }
                }
                None => {
                    return matches!(
                        self.interest(&path[..base_len], rest, false),
                        Interest::Yes | Interest::All
                    );
                }
            }
        }
    }

    /// The last entry name of the tree at `base` (empty, or ending in `/`)
    /// that the pathspec can select, byte order, where it can tell: the
    /// greatest first component of its paths under `base`; `None` where
    /// any name may be selected (no paths, a glob, or a path that selects
    /// all of `base`). Entries named after it are never selected.
    ///
    /// ```
    /// use packread::diff::Pathspec;
    /// let spec = Pathspec::new(["src/lib.rs", "docs/a.md", "Makefile"], "").unwrap();
    /// assert_eq!(spec.last_name_in(b""), Some(&b"src"[..]));
    /// assert_eq!(spec.last_name_in(b"src/"), Some(&b"lib.rs"[..]));
    /// assert_eq!(spec.last_name_in(b"tests/"), Some(&b""[..]));
    /// assert_eq!(Pathspec::new(["src"], "").unwrap().last_name_in(b"src/"), None);
    /// ```
    pub fn last_name_in(&self, base: &[u8]) -> Option<&[u8]> {
        if self.items.is_empty() || self.has_wildcard {
            return None;
        }
        let mut last: &[u8] = b"";
        for item in &self.items {
            let spec = item.path.as_slice();
            if base.len() >= spec.len() {
                if dir_prefix(base, spec) {
                    return None;
                }
            } else if spec.starts_with(base) {
                let rest = &spec[base.len()..];
                let name = rest.split(|&b| b == b'/').next().unwrap_or(rest);
                last = last.max(name);
            }
        }
        Some(last)
    }

    /// The literal paths (no globs) the pathspec consists of, without a
    /// trailing `/`; `None` if any path has a glob or is empty (git's
    /// test for using changed-path Bloom filters).
    pub fn literal_paths(&self) -> Option<Vec<&[u8]>> {
        Some(
            self.literal_items()?
                .into_iter()
                .map(|(path, _)| path)
                .collect(),
        )
    }

    /// As [`literal_paths`](Self::literal_paths), each with whether it
    /// selects directories only (was given with a trailing `/`).
    pub(crate) fn literal_items(&self) -> Option<Vec<(&[u8], bool)>> {
        if self.items.is_empty() || self.has_wildcard {
            return None;
        }
        let mut out = Vec::with_capacity(self.items.len());
        for item in &self.items {
            let (path, dir_only) = match item.path.strip_suffix(b"/") {
                Some(path) => (path, true),
                None => (item.path.as_slice(), false),
            };
            if path.is_empty() {
                return None;
            }
            out.push((path, dir_only));
        }
        Some(out)
    }
}

/// git's `match_dir_prefix`: whether `base` (ending in `/`) is `spec` or
/// lies under it.
fn dir_prefix(base: &[u8], spec: &[u8]) -> bool {
    if base[..spec.len()] != *spec {
        return false;
    }
    spec.is_empty() || base.get(spec.len()) == Some(&b'/') || spec.last() == Some(&b'/')
}

/// git's `match_entry`: whether the entry `name` is `spec` (relative to
/// the entry's tree) or a directory on the way to it; clears `never` once
/// a spec sorts at or after the entry.
fn entry_matches(
    spec: &[u8],
    name: &[u8],
    is_dir: bool,
    is_gitlink: bool,
    never: &mut Interest,
) -> bool {
    if *never != Interest::No {
        let n = spec.len().min(name.len());
        if spec[..n] < name[..n] {
            return false;
        }
        *never = Interest::No;
    }
    if name.len() > spec.len() {
        return false;
    }
    if spec.len() > name.len() {
        if spec[name.len()] != b'/' {
            return false;
        }
        if !is_dir && (!is_gitlink || spec.len() > name.len() + 1) {
            return false;
        }
    }
    spec[..name.len()] == *name
}

/// git's `match_wildcard_base`: whether `base` agrees with the literal
/// part of the item.
fn wildcard_base(item: &Item, base: &[u8]) -> bool {
    if base.is_empty() {
        return true;
    }
    let literal = &item.path[..item.literal_len];
    if base.len() >= literal.len() {
        return base[..literal.len()] == *literal;
    }
    literal.starts_with(base)
}

/// git's `git_fnmatch`: the first `prefix` bytes compared literally, the
/// rest as a glob in which `*` matches `/`.
fn fnmatch(pattern: &[u8], text: &[u8], prefix: usize) -> bool {
    let (pattern, text) = if prefix > 0 {
        if text.len() < prefix || pattern.len() < prefix || pattern[..prefix] != text[..prefix] {
            return false;
        }
        (&pattern[prefix..], &text[prefix..])
    } else {
        (pattern, text)
    };
    wildmatch::wildmatch(pattern, text) == Wild::Match
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(paths: &[&str]) -> Pathspec {
        Pathspec::new(paths, "").unwrap()
    }

    #[test]
    fn literal_paths_select_themselves_and_below() {
        let s = spec(&["d/e"]);
        assert_eq!(s.interest(b"", b"d", true), Interest::Yes);
        assert_eq!(s.interest(b"", b"a", false), Interest::No);
        assert_eq!(s.interest(b"", b"z", false), Interest::NoneLater);
        assert_eq!(s.interest(b"d/", b"e", true), Interest::Yes);
        assert_eq!(s.interest(b"d/e/", b"f", false), Interest::All);
        assert!(s.matches(b"d/e/f"));
        assert!(s.matches(b"d/e"));
        assert!(!s.matches(b"d/ef"));
        assert!(!s.matches(b"d"));
        let s = spec(&["d/e/"]);
        assert_eq!(s.interest(b"d/e/", b"f", false), Interest::All);
    }

    #[test]
    fn a_trailing_slash_selects_directories_only() {
        let s = spec(&["a/"]);
        assert_eq!(s.interest(b"", b"a", false), Interest::No);
        assert_eq!(s.interest(b"", b"a", true), Interest::Yes);
    }

    #[test]
    fn globs_match_across_slashes() {
        let s = spec(&["*f"]);
        assert!(s.matches(b"d/e/f"));
        assert!(!s.matches(b"d/e/g"));
        assert_eq!(s.interest_in(b"", b"d", true, 0o40000, false), Interest::No);
        let s = spec(&["d/?"]);
        assert_eq!(s.interest(b"", b"d", true), Interest::Yes);
        assert_eq!(s.interest(b"d/", b"e", true), Interest::Yes);
    }

    #[test]
    fn dot_selects_everything_and_dotdot_escapes() {
        assert!(spec(&["."]).matches(b"x/y"));
        assert!(Pathspec::new(["../x"], "").is_err());
        assert!(Pathspec::new(["../x"], "sub/").unwrap().matches(b"x"));
    }
}
