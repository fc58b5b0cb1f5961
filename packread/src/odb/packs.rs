//! Where a database's objects are: its object directories (the primary one,
//! then its alternates, recursively, as git lists them) and their packs, in
//! git's lookup order.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use smmap::MapManager;

use crate::error::{Corruption, Error};
use crate::object::{HashKind, ObjectId};
use crate::odb::{PackId, alternates};
use crate::pack::{MultiPackIndex, Pack, PackIndex};
use crate::warning::{IndexProblem, Warning};

/// The object directories: `objects_dir`, then `extra` alternates (git's
/// `GIT_ALTERNATE_OBJECT_DIRECTORIES`, which git links first), then the
/// alternates `objects_dir/info/alternates` lists, each with its own
/// alternates, in git's order; and what git would have reported about
/// alternates it skipped.
pub(crate) fn object_dirs(objects_dir: &Path, extra: &[PathBuf]) -> (Vec<PathBuf>, Vec<Warning>) {
    let mut dirs = vec![objects_dir.to_owned()];
    let mut warnings = Vec::new();
    link_alternates(extra.to_vec(), 0, &mut dirs, &mut warnings);
    collect_alternates(objects_dir, 0, &mut dirs, &mut warnings);
    (dirs, warnings)
}

/// The packs of a database at one moment, and the order git searches them
/// in. A pack's [`PackId`] is its place in `packs`, which only grows: a
/// refresh appends the packs it finds, and leaves out of `order` those
/// whose files are gone.
pub(crate) struct PackSet {
    /// Every pack ever opened, by `PackId`.
    pub(crate) packs: Vec<Arc<Pack>>,
    /// git's lookup order: local packs first, then by mtime (newest
    /// first), ties in the order git's list had them.
    pub(crate) order: Vec<PackId>,
    /// The object directories, primary first.
    pub(crate) dirs: Vec<PathBuf>,
    /// What git would have reported while reading the alternates.
    pub(crate) warnings: Vec<Warning>,
    /// Each pack's place in git's list before sorting (git puts a pack it
    /// finds at the front), whether it is local, and its mtime in seconds.
    keys: Vec<(i64, bool, u64)>,
    /// The multi-pack-indices git would use (one per object directory at
    /// most), in the order git's list has them.
    pub(crate) midxs: Vec<Arc<Midx>>,
    /// Whether each pack (by `PackId`) is one a multi-pack-index covers.
    pub(crate) covered: Vec<bool>,
    /// Packs git can't use, left out of lookups but reported as git reports
    /// them whenever a lookup reaches them.
    pub(crate) broken: Vec<Arc<BrokenPack>>,
}

/// A pack git keeps in its list but can't use: its index fails git's
/// checks, or the pack's trailer doesn't match the index's copy of it.
pub(crate) struct BrokenPack {
    /// The index file.
    pub(crate) index_path: PathBuf,
    /// The data file.
    pub(crate) pack_path: PathBuf,
    /// The index of a pack that doesn't match it (`None` for an index git
    /// can't load).
    pub(crate) index: Option<PackIndex>,
    /// What git refuses in the index itself, if that is the problem.
    pub(crate) bad_index: Option<IndexProblem>,
    /// Its place in git's list, as the packs' keys (see `PackSet::keys`).
    pub(crate) key: (i64, bool, u64),
}

impl BrokenPack {
    /// What git reports when a lookup of `id` reaches this pack, if
    /// anything: an index it can't load each time; a pack that doesn't
    /// match its index when the index lists `id`.
    pub(crate) fn complaint(&self, id: &ObjectId) -> Option<Warning> {
        if let Some(problem) = self.bad_index {
            return Some(Warning::BadIndex {
                index: self.index_path.clone(),
                problem,
            });
        }
        match &self.index {
            None => None,
            Some(index) => {
                let listed = index
                    .lookup(&mut index.cursor(), id)
                    .ok()
                    .flatten()
                    .is_some();
                listed.then(|| Warning::PackMismatchesIndex {
                    pack: self.pack_path.clone(),
                })
            }
        }
    }
}

/// A multi-pack-index and the packs it covers.
pub(crate) struct Midx {
    pub(crate) index: MultiPackIndex,
    /// The pack of each pack-int-id (none where the pack is missing).
    pub(crate) packs: Vec<Option<PackId>>,
}

impl PackSet {
    /// The packs of `dirs` (`dirs[0]` the repository's own).
    pub(crate) fn open(
        dirs: Vec<PathBuf>,
        warnings: Vec<Warning>,
        manager: &MapManager,
        hash: HashKind,
        use_midx: bool,
    ) -> Result<PackSet, Error> {
        let empty = PackSet {
            packs: Vec::new(),
            order: Vec::new(),
            dirs: Vec::new(),
            warnings: Vec::new(),
            keys: Vec::new(),
            midxs: Vec::new(),
            covered: Vec::new(),
            broken: Vec::new(),
        };
        let mut set = empty.rescan(dirs, warnings, manager, hash, use_midx)?;
        // PackIds in git's order from the start.
        let order: Vec<usize> = set.order.iter().map(|id| id.index()).collect();
        set.packs = order.iter().map(|&i| Arc::clone(&set.packs[i])).collect();
        set.keys = order.iter().map(|&i| set.keys[i]).collect();
        set.order = (0..set.packs.len()).map(PackId::new).collect();
        // The multi-pack-indices' view, with the PackIds renumbered.
        let midxs = std::mem::take(&mut set.midxs);
        set.covered = vec![false; set.packs.len()];
        for m in midxs {
            let index = Arc::try_unwrap(m).ok().expect("not shared yet").index;
            let live: Vec<usize> = (0..set.packs.len()).collect();
            let linked = link_midx(&set.packs, &live, index, &mut set.covered);
            set.midxs.push(Arc::new(linked));
        }
        Ok(set)
    }

    /// A set of one pack and no object directory (a lone pack's database).
    pub(crate) fn of_one(pack: Pack) -> PackSet {
        PackSet {
            packs: vec![Arc::new(pack)],
            order: vec![PackId::new(0)],
            dirs: Vec::new(),
            warnings: Vec::new(),
            keys: vec![(0, true, 0)],
            midxs: Vec::new(),
            covered: vec![false],
            broken: Vec::new(),
        }
    }

    /// This set with the packs `dirs` hold now: the packs already open are
    /// kept, new ones opened, and those whose files are gone left out of
    /// the order, as git's `reprepare_packed_git` (which also sorts the
    /// list again).
    pub(crate) fn rescan(
        &self,
        dirs: Vec<PathBuf>,
        mut warnings: Vec<Warning>,
        manager: &MapManager,
        hash: HashKind,
        use_midx: bool,
    ) -> Result<PackSet, Error> {
        let mut packs = self.packs.clone();
        let mut keys = self.keys.clone();
        let mut broken = self.broken.clone();
        // A pack whose files were deleted or replaced (a repack can write a
        // pack of the same name anew) is left out; a file of that name now
        // is opened as a pack of its own.
        let current: Vec<bool> = packs.iter().map(|p| p.is_current()).collect();
        let known: std::collections::HashSet<PathBuf> = packs
            .iter()
            .zip(&current)
            .filter(|&(_, &current)| current)
            .map(|(p, _)| p.index().path().to_owned())
            .chain(broken.iter().map(|b| b.index_path.clone()))
            .collect();
        // git puts each pack it finds at the front of its list.
        let mut front = keys.iter().map(|k| k.0).min().unwrap_or(0);
        for (i, dir) in dirs.iter().enumerate() {
            let known_broken = broken.len();
            let found = open_dir(&dir.join("pack"), manager, hash, &known, &mut broken)?;
            // The packs git can't use take their place in its list too.
            for b in &mut broken[known_broken..] {
                let secs = std::fs::metadata(&b.pack_path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                front -= 1;
                if let Some(b) = Arc::get_mut(b) {
                    b.key = (front, i == 0, secs);
                }
            }
            for pack in found {
                let secs = pack
                    .mtime()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                front -= 1;
                keys.push((front, i == 0, secs));
                packs.push(Arc::new(pack));
            }
        }
        let mut order: Vec<usize> = (0..current.len()).filter(|&i| current[i]).collect();
        order.extend(current.len()..packs.len());
        order.sort_by(|&a, &b| lookup_order(keys[a], keys[b]));
        // Each object directory's multi-pack-index (`core.multiPackIndex`,
        // on by default); one git rejects is reported and not used. git
        // keeps the first it loads first and puts each later one second.
        let mut midxs: Vec<Arc<Midx>> = Vec::new();
        let mut covered = vec![false; packs.len()];
        for dir in dirs.iter().filter(|_| use_midx) {
            let path = dir.join("pack/multi-pack-index");
            let index = match MultiPackIndex::open(&path, manager, hash) {
                Ok(Some(index)) => index,
                Ok(None) => continue,
                Err(problem) if problem.is_fatal() => {
                    return Err(Error::MultiPackIndex { path, problem });
                }
                Err(problem) => {
                    warnings.push(Warning::MultiPackIndexIgnored { path, problem });
                    continue;
                }
            };
            let linked = Arc::new(link_midx(&packs, &order, index, &mut covered));
            let at = midxs.len().min(1);
            midxs.insert(at, linked);
        }
        Ok(PackSet {
            packs,
            order: order.into_iter().map(PackId::new).collect(),
            dirs,
            warnings,
            keys,
            midxs,
            covered,
            broken,
        })
    }
}

/// git's lookup order of two packs by their keys: local first, then the
/// newest, then the place in git's list.
pub(crate) fn lookup_order(ka: (i64, bool, u64), kb: (i64, bool, u64)) -> std::cmp::Ordering {
    kb.1.cmp(&ka.1).then(kb.2.cmp(&ka.2)).then(ka.0.cmp(&kb.0))
}

impl PackSet {
    /// Whether the pack git can't use `b` comes before pack `p` in git's
    /// lookup order as a scan left it.
    pub(crate) fn broken_before(&self, b: &BrokenPack, p: PackId) -> bool {
        lookup_order(b.key, self.keys[p.index()]) == std::cmp::Ordering::Less
    }
}

/// The multi-pack-index `index` over `packs`: each pack-int-id's pack, the
/// one of that name in the index's own pack directory among the `live` ones
/// (a pack a repack replaced under the same name is not); the packs found
/// are marked in `covered`.
fn link_midx(
    packs: &[Arc<Pack>],
    live: &[usize],
    index: MultiPackIndex,
    covered: &mut [bool],
) -> Midx {
    let pack_dir = index.path().parent().map(Path::to_path_buf);
    let ids = index
        .pack_names()
        .iter()
        .map(|name| {
            let i = *live.iter().find(|&&i| {
                let p = &packs[i];
                let idx = p.index().path();
                idx.parent().map(Path::to_path_buf) == pack_dir
                    && idx
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy() == name.as_str())
            })?;
            covered[i] = true;
            Some(PackId::new(i))
        })
        .collect();
    Midx { index, packs: ids }
}

/// Every alternate of `dir`, recursively (depth-limited as git), skipping
/// missing directories and ones already listed, with git's messages for
/// the ones skipped.
fn collect_alternates(
    dir: &Path,
    depth: usize,
    out: &mut Vec<PathBuf>,
    warnings: &mut Vec<Warning>,
) {
    let Ok(list) = alternates::read(dir) else {
        return;
    };
    if depth >= alternates::MAX_DEPTH {
        if !list.is_empty() {
            warnings.push(Warning::AlternatesTooDeep {
                objects_dir: dir.to_owned(),
            });
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
    warnings: &mut Vec<Warning>,
) {
    for alt in list {
        // git's realpath allows only the last component to be missing.
        let parent_ok = alt
            .parent()
            .is_none_or(|p| p.as_os_str().is_empty() || p.exists());
        if !parent_ok {
            warnings.push(Warning::UnresolvableAlternate { path: alt });
            continue;
        }
        let real = std::fs::canonicalize(&alt).unwrap_or_else(|_| alt.clone());
        if !real.is_dir() {
            warnings.push(Warning::MissingAlternate { path: real });
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

/// Opens every pack in `pack_dir` that has both an index and a data file,
/// in directory order, but for those whose index is in `known`; lists the
/// directory again (a few times at most) while packs it listed are gone
/// when opened. A pack git
/// would keep but can't use (a non-monotonic index, a pack that doesn't
/// match its index) goes to `broken`.
fn open_dir(
    pack_dir: &Path,
    manager: &MapManager,
    hash: HashKind,
    known: &std::collections::HashSet<PathBuf>,
    broken: &mut Vec<Arc<BrokenPack>>,
) -> Result<Vec<Pack>, Error> {
    let mut packs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..MAX_LISTINGS {
        let Some(entries) = list_dir(pack_dir)? else {
            break;
        };
        super::race::at(super::race::Point::Listed);
        // A pack listed that is gone when opened was deleted by a repack
        // that installed its replacement first, perhaps after the listing:
        // list again, as the replacement may hold what the gone one held.
        let mut changed = false;
        for path in entries {
            if !(path.extension().is_some_and(|e| e == "idx")
                && !known.contains(&path)
                && seen.insert(path.clone()))
            {
                continue;
            }
            // git deletes a pack's index first: an index without its pack
            // is one git never wrote whole, a pack gone with its index one
            // deleted since the listing.
            if !path.with_extension("pack").is_file() {
                changed |= !path.is_file();
                continue;
            }
            // Replaced since the listing: open the new one.
            let opened = match Pack::open(&path, manager, hash) {
                Err(e) if e.is_file_gone() && path.is_file() => Pack::open(&path, manager, hash),
                opened => opened,
            };
            match opened {
                Ok(pack) => packs.push(pack),
                Err(e) if e.is_file_gone() => changed = true,
                Err(Error::Corrupt {
                    reason: Corruption::PackChecksumMismatch,
                    ..
                }) => broken.push(Arc::new(BrokenPack {
                    pack_path: path.with_extension("pack"),
                    index: PackIndex::open(&path, manager, hash).ok(),
                    bad_index: None,
                    index_path: path,
                    key: (0, false, 0),
                })),
                Err(e @ Error::Corrupt { .. })
                    if let Some(problem) = IndexProblem::of(&e)
                        && matches!(&e, Error::Corrupt { path: bad, .. } if *bad == path) =>
                {
                    broken.push(Arc::new(BrokenPack {
                        pack_path: path.with_extension("pack"),
                        index: None,
                        bad_index: Some(problem),
                        index_path: path,
                        key: (0, false, 0),
                    }));
                }
                Err(e) => return Err(e),
            }
        }
        if !changed {
            break;
        }
    }
    Ok(packs)
}

/// How many times one scan lists a pack directory that changes under it.
const MAX_LISTINGS: usize = 8;

/// The paths in `dir`; `None` if it doesn't exist.
fn list_dir(dir: &Path) -> Result<Option<Vec<PathBuf>>, Error> {
    let io = |source| Error::Io {
        path: dir.to_owned(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(io(source)),
    };
    entries
        .map(|entry| entry.map(|e| e.path()).map_err(io))
        .collect::<Result<_, _>>()
        .map(Some)
}
