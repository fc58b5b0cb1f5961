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
    let path = match from_top(path) {
        Ok(p) => p,
        Err(problem) => return Ok(Err(problem)),
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

/// A `./` or `../` path resolved from the top (other paths are taken as
/// they are, as git takes them).
pub(super) fn from_top(path: &str) -> Result<String, RevisionProblem> {
    if path.starts_with("./") || path.starts_with("../") {
        normalize(path).ok_or_else(|| RevisionProblem::PathOutsideRepository(path.to_owned()))
    } else {
        Ok(path.to_owned())
    }
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

/// How many symbolic links a walk follows before it calls the chain a loop
/// (git's `GET_TREE_ENTRY_FOLLOW_SYMLINKS_MAX_LINKS`, Linux's own limit).
const MAX_LINKS: usize = 40;

/// Where a walk that follows symbolic links ends.
pub(super) enum Walked {
    /// An entry of the tree (or a tree reached through `..`).
    Found(ObjectId),
    /// A link out of the tree: the path outside it.
    Outside(Vec<u8>),
    /// Nothing there, after at least one link was followed.
    Dangling,
    /// More than [`MAX_LINKS`] links.
    Loop,
    /// A path component that is a file.
    NotDir,
    /// Nothing there, no link followed.
    Missing,
}

/// The tree entry `name` names under `tree`, symbolic links in the tree
/// followed as git's `get_tree_entry_follow_symlinks` follows them: a link's
/// target replaces its component, `..` climbs to the parent tree, `/` runs
/// collapse, a link to an absolute path or above the top ends the walk
/// with the part outside. Trees are read one level at a time and at most
/// [`MAX_LINKS`] links are followed, so no tree can make it loop.
pub(super) fn follow(reader: &mut Reader, tree: ObjectId, name: &[u8]) -> Result<Walked, Error> {
    const DIR: u32 = 0o040_000;
    const FILE: u32 = 0o100_000;
    const LINK: u32 = 0o120_000;
    let hash = reader.odb().hash_kind();
    // git keeps the name as a C string: it ends at a NUL.
    let c_str = |b: &[u8]| b[..memchr::memchr(0, b).unwrap_or(b.len())].to_vec();
    let mut name = c_str(name);
    // The trees walked down, each as (id, bytes); the last is searched.
    let mut parents: Vec<(ObjectId, Vec<u8>)> = Vec::new();
    // Where the search of the last tree resumes: git's tree cursor, which a
    // lookup leaves after the entry it stopped at.
    let mut cursor: Option<usize> = None;
    let mut current = tree;
    let mut links_left = MAX_LINKS;
    let mut failure = Walked::Missing;
    loop {
        if cursor.is_none() {
            let mut data = Vec::new();
            let Some(root) = reader.read_peeled(&current, ObjectKind::Tree, &mut data)? else {
                return Ok(failure);
            };
            let empty = data.is_empty();
            parents.push((root, data));
            if name.is_empty() {
                return Ok(Walked::Found(root));
            }
            if empty {
                return Ok(failure);
            }
            cursor = Some(0);
        }
        let start = name.iter().take_while(|&&b| b == b'/').count();
        name.drain(..start);
        let slash = memchr::memchr(b'/', &name);
        let component = &name[..slash.unwrap_or(name.len())];
        if component == b".." {
            if parents.len() == 1 {
                return Ok(Walked::Outside(name));
            }
            parents.pop();
            cursor = Some(0);
            name.drain(..if slash.is_some() { 3 } else { 2 });
            continue;
        }
        let (top, data) = parents.last().expect("a tree was read");
        if component.is_empty() {
            return Ok(Walked::Found(*top));
        }
        let at = cursor.expect("set above");
        let Some((id, mode, next)) = find_entry(&data[at..], component, hash)
            .map_err(|problem| Error::MalformedTree { id: *top, problem })?
        else {
            return Ok(failure);
        };
        cursor = Some(at + next);
        match mode & 0o170_000 {
            DIR => {
                let Some(slash) = slash else {
                    return Ok(Walked::Found(id));
                };
                current = id;
                cursor = None;
                name.drain(..=slash);
            }
            FILE => {
                return Ok(if slash.is_none() {
                    Walked::Found(id)
                } else {
                    Walked::NotDir
                });
            }
            LINK => {
                if links_left == 0 {
                    return Ok(Walked::Loop);
                }
                links_left -= 1;
                failure = Walked::Dangling;
                let Some(target) = reader.try_read(&id)? else {
                    return Ok(failure);
                };
                let target = c_str(&target.data);
                if target.first() == Some(&b'/') {
                    return Ok(Walked::Outside(target));
                }
                cursor = Some(0);
                let len = slash.unwrap_or(name.len());
                name.splice(..len, target);
            }
            // A submodule: git looks again from after it, and finds nothing.
            _ => {}
        }
    }
}

/// git's `find_tree_entry` for one component: the entries from the start
/// of `data` are scanned in order, stopping early where sorted order says
/// the name can't come; the entry's id, canonical mode and the offset just
/// past it.
fn find_entry(
    data: &[u8],
    name: &[u8],
    hash: crate::object::HashKind,
) -> Result<Option<(ObjectId, u32, usize)>, tree::TreeError> {
    let mut entries = tree::entries(data, hash);
    while let Some(entry) = entries.next() {
        let entry = entry?;
        let consumed = data.len() - entries.remaining().len();
        let e = entry.name;
        if e.len() > name.len() {
            continue;
        }
        // `name` is one component: a shorter entry that starts it (no `/`
        // can follow) is passed over like one that sorts before it.
        match name[..e.len()].cmp(e) {
            std::cmp::Ordering::Less => break,
            std::cmp::Ordering::Equal if e.len() == name.len() => {
                return Ok(Some((entry.id, entry.canonical_mode(), consumed)));
            }
            _ => {}
        }
    }
    Ok(None)
}
