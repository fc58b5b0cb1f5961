//! Where a database's objects are: its object directories (the primary one,
//! then its alternates, recursively, as git lists them) and their packs, in
//! git's lookup order.

use std::path::{Path, PathBuf};

use smmap::MapManager;

use crate::error::Error;
use crate::object::HashKind;
use crate::odb::alternates;
use crate::pack::Pack;

/// The object directories: `objects_dir`, then `extra` alternates (git's
/// `GIT_ALTERNATE_OBJECT_DIRECTORIES`, which git links first), then the
/// alternates `objects_dir/info/alternates` lists, each with its own
/// alternates, in git's order; and what git would have reported about
/// alternates it skipped.
pub(crate) fn object_dirs(objects_dir: &Path, extra: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut dirs = vec![objects_dir.to_owned()];
    let mut warnings = Vec::new();
    link_alternates(extra.to_vec(), 0, &mut dirs, &mut warnings);
    collect_alternates(objects_dir, 0, &mut dirs, &mut warnings);
    (dirs, warnings)
}

/// Every pack of every directory (`dirs[0]` is the repository's own), in
/// git's order: git installs each pack at the front of its list, directory
/// by directory in readdir order, then sorts stably: local packs first,
/// then by the pack's mtime in seconds, newest first.
pub(crate) fn open_all(
    dirs: &[PathBuf],
    manager: &MapManager,
    hash: HashKind,
) -> Result<Vec<Pack>, Error> {
    let mut packs: Vec<(bool, u64, Pack)> = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        for pack in open_dir(&dir.join("pack"), manager, hash)? {
            let secs = pack
                .mtime()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            packs.push((i == 0, secs, pack));
        }
    }
    packs.reverse();
    packs.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    Ok(packs.into_iter().map(|(_, _, p)| p).collect())
}

/// Every alternate of `dir`, recursively (depth-limited as git), skipping
/// missing directories and ones already listed, with git's messages for
/// the ones skipped.
fn collect_alternates(
    dir: &Path,
    depth: usize,
    out: &mut Vec<PathBuf>,
    warnings: &mut Vec<String>,
) {
    let Ok(list) = alternates::read(dir) else {
        return;
    };
    if depth >= alternates::MAX_DEPTH {
        if !list.is_empty() {
            warnings.push(format!(
                "{}: ignoring alternate object stores, nesting too deep",
                dir.display()
            ));
        }
        return;
    }
    link_alternates(list, depth, out, warnings);
}

/// Adds each of `list` (and, recursively, its alternates) that exists and
/// isn't listed yet.
fn link_alternates(
    list: Vec<PathBuf>,
    depth: usize,
    out: &mut Vec<PathBuf>,
    warnings: &mut Vec<String>,
) {
    for alt in list {
        // git's realpath allows only the last component to be missing.
        let parent_ok = alt
            .parent()
            .is_none_or(|p| p.as_os_str().is_empty() || p.exists());
        if !parent_ok {
            warnings.push(format!(
                "unable to normalize alternate object path: {}",
                alt.display()
            ));
            continue;
        }
        let real = std::fs::canonicalize(&alt).unwrap_or_else(|_| alt.clone());
        if !real.is_dir() {
            warnings.push(format!(
                "object directory {} does not exist; check .git/objects/info/alternates",
                real.display()
            ));
            continue;
        }
        let primary = out.first().and_then(|d| std::fs::canonicalize(d).ok());
        if primary.as_ref() == Some(&real) || out.iter().skip(1).any(|d| *d == real) {
            continue;
        }
        out.push(real.clone());
        collect_alternates(&real, depth + 1, out, warnings);
    }
}

/// Opens every pack in `pack_dir` that has both an index and a data file.
fn open_dir(pack_dir: &Path, manager: &MapManager, hash: HashKind) -> Result<Vec<Pack>, Error> {
    let entries = match std::fs::read_dir(pack_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                path: pack_dir.to_owned(),
                source,
            });
        }
    };
    let mut packs = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| Error::Io {
                path: pack_dir.to_owned(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|e| e == "idx") && path.with_extension("pack").is_file() {
            packs.push(Pack::open(&path, manager, hash)?);
        }
    }
    Ok(packs)
}
