//! A repository's git directory, found as git finds it (searched upwards
//! from a work tree, named by `GIT_DIR`, or behind a `.git` file), and what
//! its configuration says about reading it.

pub(crate) mod config;
pub(crate) mod shallow;

pub(crate) use config::{config_value, repo_hash, uses_midx};

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::object::HashKind;

/// What discovery found.
pub(crate) struct Found {
    pub(crate) objects_dir: PathBuf,
    pub(crate) hash: HashKind,
    /// `core.multiPackIndex` (on unless the config turns it off).
    pub(crate) multi_pack_index: bool,
}

fn is_git_dir(p: &Path) -> bool {
    p.join("HEAD").is_file() && (p.join("objects").is_dir() || p.join("commondir").is_file())
}

/// The git directory a `.git` file (`gitdir: <path>`) points to.
fn follow_gitfile(file: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(file).ok()?;
    let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    let target = Path::new(target);
    Some(if target.is_absolute() {
        target.to_owned()
    } else {
        file.parent()?.join(target)
    })
}

/// The git directory of `path`: `path` itself, `path/.git` (a directory or a
/// gitfile), searching upwards from `path` as git does.
pub(crate) fn find_git_dir(path: &Path) -> Option<PathBuf> {
    locate(path).map(|(git_dir, _)| git_dir)
}

/// The git directory of `path`, searched upwards from it as git does, and
/// the top of its work tree: the directory whose `.git` (a directory or a
/// gitfile) it is, or `None` where the search met a git directory itself
/// (a bare repository, or the inside of a `.git`).
pub(crate) fn locate(path: &Path) -> Option<(PathBuf, Option<PathBuf>)> {
    let start = std::fs::canonicalize(path).ok()?;
    for dir in start.ancestors() {
        if is_git_dir(dir) {
            return Some((dir.to_owned(), None));
        }
        let dot = dir.join(".git");
        if dot.is_dir() && is_git_dir(&dot) {
            return Some((dot, Some(dir.to_owned())));
        }
        if dot.is_file()
            && let Some(target) = follow_gitfile(&dot)
            && is_git_dir(&target)
        {
            return Some((target, Some(dir.to_owned())));
        }
    }
    None
}

/// The object directory and hash of the repository at `path` (a work tree or
/// a git directory), or `path` itself if it is an object directory.
pub(crate) fn discover(path: &Path) -> Result<Found, Error> {
    // An objects directory given directly.
    if path.join("pack").is_dir() && !path.join("HEAD").exists() {
        let hash = path.parent().map_or(Ok(HashKind::Sha1), repo_hash)?;
        let multi_pack_index = path.parent().is_none_or(uses_midx);
        return Ok(Found {
            objects_dir: path.to_owned(),
            hash,
            multi_pack_index,
        });
    }
    let git_dir = find_git_dir(path).ok_or_else(|| Error::NotARepository(path.to_owned()))?;
    found_at(&git_dir)
}

/// The object directory and hash of the git directory `git_dir` itself (or
/// of the one a `.git` file there points to), as git's `GIT_DIR` names one:
/// no search upwards, and a work tree is not a git directory.
pub(crate) fn at_git_dir(git_dir: &Path) -> Result<Found, Error> {
    found_at(&resolve_git_dir(git_dir)?)
}

/// The git directory `git_dir` names as `GIT_DIR` names one: itself, or
/// what the `.git` file it is points to.
pub(crate) fn resolve_git_dir(git_dir: &Path) -> Result<PathBuf, Error> {
    let not_one = || Error::NotARepository(git_dir.to_owned());
    let dir = if git_dir.is_file() {
        follow_gitfile(git_dir).ok_or_else(not_one)?
    } else {
        git_dir.to_owned()
    };
    if !is_git_dir(&dir) {
        return Err(not_one());
    }
    Ok(dir)
}

/// The directory shared by all of a repository's work trees: what a linked
/// work tree's `commondir` file names, else `git_dir` itself.
pub(crate) fn common_dir(git_dir: &Path) -> PathBuf {
    match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(c) => {
            let c = Path::new(c.trim());
            if c.is_absolute() {
                c.to_owned()
            } else {
                git_dir.join(c)
            }
        }
        Err(_) => git_dir.to_owned(),
    }
}

/// What a git directory holds: its (common) objects directory and hash.
fn found_at(git_dir: &Path) -> Result<Found, Error> {
    let common = common_dir(git_dir);
    let hash = repo_hash(&common)?;
    Ok(Found {
        objects_dir: common.join("objects"),
        hash,
        multi_pack_index: uses_midx(&common),
    })
}
