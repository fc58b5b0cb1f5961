//! The `<path>` of `<rev>:<path>`: git's relative forms, then a walk down
//! the trees.

use crate::error::{Error, RevisionProblem};
use crate::object::{ObjectId, ObjectKind, tree};
use crate::odb::Reader;

/// The mode git gives a tree named by `<rev>:` (the root, or a path ending
/// in a directory).
const TREE_MODE: u32 = 0o040_000;

/// The entry `path` names under `tree`: its id, canonical mode and the path
/// as looked up (`./` and `../` resolved from the top, where this crate
/// stands). `rev` is the revision the tree came from, for git's message.
pub(super) fn lookup(
    reader: &mut Reader,
    tree: ObjectId,
    rev: &str,
    path: &str,
) -> Result<Result<(ObjectId, u32, String), RevisionProblem>, Error> {
    let path = if path.starts_with("./") || path.starts_with("../") {
        match normalize(path) {
            Some(p) => p,
            None => return Ok(Err(RevisionProblem::PathOutsideRepository(path.to_owned()))),
        }
    } else {
        path.to_owned()
    };
    let not_found = || {
        Ok(Err(RevisionProblem::PathNotInTree {
            path: path.clone(),
            rev: rev.to_owned(),
        }))
    };
    let wanted = path.trim_end_matches('/');
    if wanted.is_empty() {
        return Ok(Ok((tree, TREE_MODE, path.clone())));
    }
    let hash = reader.odb().hash_kind();
    let mut current = tree;
    let mut components = wanted.split('/').peekable();
    while let Some(component) = components.next() {
        let object = reader.read(&current)?;
        if object.kind != ObjectKind::Tree {
            return not_found();
        }
        let mut found = None;
        for entry in tree::entries(&object.data, hash) {
            let Ok(entry) = entry else {
                return not_found();
            };
            if entry.name == component.as_bytes() {
                found = Some((entry.id, entry.canonical_mode()));
                break;
            }
        }
        let Some((id, mode)) = found else {
            return not_found();
        };
        if components.peek().is_none() {
            return Ok(Ok((id, mode, path.clone())));
        }
        if mode != TREE_MODE {
            return not_found();
        }
        current = id;
    }
    not_found()
}

/// `path`, a path in the repository, with `.` and `..` components
/// resolved and empty ones dropped (`a/./b//c/../d` is `a/b/d`); `None` if
/// `..` climbs above the top. A trailing slash is the caller's to keep.
///
/// ```
/// use packread::revision::normalize_path;
/// assert_eq!(normalize_path("./a/./b//c/../d").as_deref(), Some("a/b/d"));
/// assert_eq!(normalize_path("a/..").as_deref(), Some(""));
/// assert_eq!(normalize_path("a/../.."), None);
/// ```
pub fn normalize_path(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for component in path.split('/') {
        match component {
            "." | "" => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

/// `./` and `../` resolved from the top of the work tree, a trailing slash
/// kept; `None` if the path climbs above it.
fn normalize(path: &str) -> Option<String> {
    let mut joined = normalize_path(path)?;
    if path.ends_with('/') && !joined.is_empty() {
        joined.push('/');
    }
    Some(joined)
}
