//! Finding a repository's object directory and hash, as git does.

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
    let start = std::fs::canonicalize(path).ok()?;
    for dir in start.ancestors() {
        if is_git_dir(dir) {
            return Some(dir.to_owned());
        }
        let dot = dir.join(".git");
        if dot.is_dir() && is_git_dir(&dot) {
            return Some(dot);
        }
        if dot.is_file()
            && let Some(target) = follow_gitfile(&dot)
            && is_git_dir(&target)
        {
            return Some(target);
        }
    }
    None
}

/// The value of `key` in `[section]` of a git config file (last one wins);
/// keys and section names are case-insensitive.
pub(crate) fn config_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    let mut value = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix('[') {
            current = rest
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            continue;
        }
        if current != section || line.starts_with(['#', ';']) {
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or((line, "true"));
        if k.trim().eq_ignore_ascii_case(key) {
            let v = v
                .split(['#', ';'])
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            value = Some(v.to_owned());
        }
    }
    value
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

/// Whether git reads the multi-pack-index of the repository whose git
/// directory is `git_dir` (`core.multiPackIndex`, true unless set false).
fn uses_midx(git_dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(git_dir.join("config")) else {
        return true;
    };
    !matches!(
        config_value(&text, "core", "multipackindex")
            .map(|v| v.to_ascii_lowercase())
            .as_deref(),
        Some("false" | "no" | "off" | "0")
    )
}

/// The hash of the repository whose git directory is `git_dir`, from its
/// config (`extensions.objectFormat`); SHA-1 without one.
pub(crate) fn repo_hash(git_dir: &Path) -> Result<HashKind, Error> {
    let config = git_dir.join("config");
    let Ok(text) = std::fs::read_to_string(&config) else {
        return Ok(HashKind::Sha1);
    };
    match config_value(&text, "extensions", "objectformat")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("sha1") => Ok(HashKind::Sha1),
        Some("sha256") => Ok(HashKind::Sha256),
        Some(other) => Err(Error::Unsupported {
            path: config,
            what: format!("unknown object format '{other}'"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_object_format() {
        let text = "[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectFormat = sha256\n";
        assert_eq!(
            config_value(text, "extensions", "objectformat").as_deref(),
            Some("sha256")
        );
        assert_eq!(config_value(text, "core", "bare"), None);
        assert_eq!(
            config_value(
                "[Extensions]\nobjectformat=sha1 # c\n",
                "extensions",
                "objectformat"
            )
            .as_deref(),
            Some("sha1")
        );
    }
}
