//! References as git's files backend stores them: loose refs (one file per
//! ref), `packed-refs` (with the peeled ids of annotated tags), symbolic
//! refs such as `HEAD`, and linked work trees, whose `HEAD` and per-worktree
//! refs live in their own git directory while the rest is shared through
//! `commondir`. A repository whose refs are in the reftable format is
//! refused, never misread.
//!
//! ```no_run
//! use packread::refs::{RefStore, Target};
//! let refs = RefStore::open(".git".as_ref())?;
//! if let Some(head) = refs.resolve("HEAD")? {
//!     println!("HEAD is {} ({:?})", head.name, head.id);
//! }
//! for r in refs.all()? {
//!     match r {
//!         Ok(r) => println!("{} {:?}", r.name, r.target),
//!         Err(broken) => eprintln!("warning: {broken}"),
//!     }
//! }
//! # Ok::<(), packread::Error>(())
//! ```

mod loose;
mod name;
mod packed;
mod select;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::error::{Corruption, Error, RefProblem};
use crate::git_dir;
use crate::git_dir::config::{config_value, parse_bool};
use crate::object::{HashKind, ObjectId};

pub use name::is_valid_name;
use packed::{PackedRef, PackedRefs};
pub use select::RefSelection;

/// How many refs git reads while following symbolic refs before it gives
/// up (`SYMREF_MAXDEPTH`).
const MAX_SYMREF_DEPTH: usize = 5;

/// What a ref holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An object id; `peeled` is what an annotated tag peels to when
    /// `packed-refs` records it.
    Object {
        /// The id.
        id: ObjectId,
        /// The id the tag peels to (packed refs only).
        peeled: Option<ObjectId>,
    },
    /// Another ref's name (`ref: refs/heads/main`).
    Symbolic(String),
}

/// A ref and what it holds, not followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The full name (`refs/heads/main`, `HEAD`).
    pub name: String,
    /// Its content.
    pub target: Target,
}

/// Where a ref leads once symbolic refs are followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The last ref of the chain (`refs/heads/main` for `HEAD`).
    pub name: String,
    /// Its id; `None` when the chain ends at a ref that doesn't exist (an
    /// unborn branch, or what git calls a dangling symref).
    pub id: Option<ObjectId>,
    /// Whether the name asked for was a symbolic ref.
    pub symbolic: bool,
}

/// The refs of one repository (one work tree's view of them).
///
/// Cheap to share between threads; `packed-refs` is read once and read
/// again when its size or modification time changes.
#[derive(Debug)]
pub struct RefStore {
    git_dir: PathBuf,
    common_dir: PathBuf,
    hash: HashKind,
    packed: Mutex<Option<CachedPacked>>,
}

#[derive(Debug)]
struct CachedPacked {
    stamp: (u64, Option<SystemTime>),
    refs: Arc<PackedRefs>,
}

impl RefStore {
    /// The refs of the git directory `git_dir` (the `.git` directory, a
    /// bare repository, or a linked work tree's directory under
    /// `.git/worktrees`).
    ///
    /// Fails with [`Error::Unsupported`] when the repository keeps its refs
    /// in the reftable format (`extensions.refStorage = reftable`) or uses
    /// an object format this crate doesn't know.
    pub fn open(git_dir: &Path) -> Result<RefStore, Error> {
        let common_dir = git_dir::common_dir(git_dir);
        let hash = git_dir::repo_hash(&common_dir)?;
        let config = common_dir.join("config");
        if let Ok(text) = std::fs::read_to_string(&config)
            && let Some(storage) = git_dir::config_value(&text, "extensions", "refstorage")
            && !storage.eq_ignore_ascii_case("files")
        {
            return Err(Error::Unsupported {
                path: config,
                what: format!("ref storage format '{storage}' (only 'files' is read)"),
            });
        }
        Ok(RefStore {
            git_dir: git_dir.to_owned(),
            common_dir,
            hash,
            packed: Mutex::new(None),
        })
    }

    /// The refs of the repository `path` belongs to, found as git finds it
    /// (`path` itself if it is a git directory, else the `.git` of `path` or
    /// of the nearest directory above it).
    pub fn discover(path: &Path) -> Result<RefStore, Error> {
        let git_dir =
            git_dir::find_git_dir(path).ok_or_else(|| Error::NotARepository(path.to_owned()))?;
        RefStore::open(&git_dir)
    }

    /// The refs of the git directory `GIT_DIR` names: `git_dir` itself, or
    /// what the `.git` file it is points to; no search upwards.
    pub fn open_git_dir(git_dir: &Path) -> Result<RefStore, Error> {
        RefStore::open(&git_dir::resolve_git_dir(git_dir)?)
    }

    /// The hash the repository's ids use.
    pub fn hash_kind(&self) -> HashKind {
        self.hash
    }

    /// The ref called `name` (a full name: `HEAD`, `refs/heads/main`), not
    /// followed if it is symbolic: the loose file if there is one, else the
    /// `packed-refs` line. `Ok(None)` when there is no such ref or the name
    /// is not one git accepts ([`is_valid_name`]).
    ///
    /// A loose ref git can't read is an [`Error::Corrupt`] naming its file
    /// (git's `ignoring broken ref`).
    pub fn find(&self, name: &str) -> Result<Option<Reference>, Error> {
        if !is_valid_name(name, true) {
            return Ok(None);
        }
        if let Some(target) = loose::read(&self.loose_path(name), self.hash)? {
            return Ok(Some(Reference {
                name: name.to_owned(),
                target,
            }));
        }
        let packed = self.packed()?;
        Ok(packed
            .find(name)?
            .as_ref()
            .map(packed::PackedRef::to_reference))
    }

    /// Follows `name` through symbolic refs, as git's
    /// `refs_resolve_ref_unsafe` does: `Ok(None)` if there is no ref
    /// `name`; an id-less [`Resolved`] (what git calls a dangling symref)
    /// if the chain ends at a ref that doesn't exist or at a name git
    /// refuses, or if it loops or is longer than git follows (five refs
    /// read in all); an error for a broken loose ref on the way.
    pub fn resolve(&self, name: &str) -> Result<Option<Resolved>, Error> {
        let mut current = name.to_owned();
        for depth in 0..MAX_SYMREF_DEPTH {
            let Some(found) = self.find(&current)? else {
                if depth == 0 {
                    return Ok(None);
                }
                return Ok(Some(Resolved {
                    name: current,
                    id: None,
                    symbolic: true,
                }));
            };
            match found.target {
                Target::Object { id, .. } => {
                    return Ok(Some(Resolved {
                        name: current,
                        id: Some(id),
                        symbolic: depth > 0,
                    }));
                }
                Target::Symbolic(next) => current = next,
            }
        }
        Ok(Some(Resolved {
            name: current,
            id: None,
            symbolic: true,
        }))
    }

    /// The git directory the refs are read from.
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// The common git directory (the main repository's, for a linked
    /// work tree; else the git directory itself).
    pub fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    /// The ids of the refs whose names start with `prefix` (`refs/heads/`
    /// for `--branches`, `refs/` for `--all`), in name order, symbolic refs
    /// followed: the starting points `git rev-list` adds for them. Refs
    /// git can't read, and symbolic refs that lead nowhere, are left out
    /// as git leaves them out.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("ids-under", &[("a.txt", "a\n")])?;
    /// # dir.git(&["tag", "v1"])?;
    /// let repo = packread::Repository::discover(&dir)?;
    /// let tags = repo.refs().ids_under("refs/tags/")?;
    /// assert_eq!(tags, [repo.rev_parse("v1")?]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A directory or `packed-refs` that can't be read, or a symbolic ref
    /// whose chain fails to be read.
    pub fn ids_under(&self, prefix: &str) -> Result<Vec<ObjectId>, Error> {
        let mut ids = Vec::new();
        for r in self.under(prefix)? {
            let Ok(r) = r else { continue };
            ids.extend(self.target_id(&r)?);
        }
        Ok(ids)
    }

    /// The id a listed ref leads to, a symbolic one followed (`None` where
    /// its chain leads nowhere).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("target-id", &[("a.txt", "a\n")])?;
    /// let repo = packread::Repository::discover(&dir)?;
    /// let refs = repo.refs();
    /// let first = refs.all()?.into_iter().next().expect("a branch")?;
    /// assert_eq!(refs.target_id(&first)?, Some(repo.rev_parse("HEAD")?));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A broken loose ref on a symbolic ref's chain.
    pub fn target_id(&self, r: &Reference) -> Result<Option<ObjectId>, Error> {
        Ok(match r.target {
            Target::Object { id, .. } => Some(id),
            Target::Symbolic(_) => self.resolve(&r.name)?.and_then(|res| res.id),
        })
    }

    /// Whether git reads objects through this repository's replace refs
    /// (`git replace`): there are some under `refs/replace/`, and neither
    /// `GIT_NO_REPLACE_OBJECTS` nor `core.useReplaceRefs` turns them off.
    /// packread reads objects as stored: where this is true, git's answers
    /// about the replaced objects differ from packread's.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("replace", &[("a.txt", "a\n")])?;
    /// let repo = packread::Repository::discover(&dir)?;
    /// assert!(!repo.refs().replaces_objects()?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`ids_under`](Self::ids_under).
    pub fn replaces_objects(&self) -> Result<bool, Error> {
        Ok(self.reads_replace_refs() && !self.ids_under("refs/replace/")?.is_empty())
    }

    /// Whether git would read replace refs here at all: neither
    /// `GIT_NO_REPLACE_OBJECTS` nor `core.useReplaceRefs` says not.
    fn reads_replace_refs(&self) -> bool {
        if let Some(v) = std::env::var_os("GIT_NO_REPLACE_OBJECTS")
            && parse_bool(&v.to_string_lossy()).unwrap_or(true)
        {
            return false;
        }
        let config = std::fs::read_to_string(self.common_dir.join("config")).unwrap_or_default();
        config_value(&config, "core", "usereplacerefs")
            .is_none_or(|v| parse_bool(&v) != Some(false))
    }

    /// The replacements git reads objects through where
    /// [`replaces_objects`](Self::replaces_objects) says it does: each
    /// replaced object and its replacement (`refs/replace/<id>`), in name
    /// order; none otherwise. Names that are no id are left out, as git
    /// leaves them out.
    ///
    /// # Errors
    /// As [`ids_under`](Self::ids_under).
    pub fn replacements(&self) -> Result<Vec<(ObjectId, ObjectId)>, Error> {
        if !self.reads_replace_refs() {
            return Ok(Vec::new());
        }
        let mut pairs = Vec::new();
        for r in self.under("refs/replace/")? {
            let Ok(r) = r else { continue };
            let Some(original) = r
                .name
                .strip_prefix("refs/replace/")
                .and_then(ObjectId::from_hex)
                .filter(|id| id.kind() == self.hash)
            else {
                continue;
            };
            pairs.extend(self.target_id(&r)?.map(|id| (original, id)));
        }
        Ok(pairs)
    }

    /// Every ref under `refs/` (loose ones shadowing packed ones), sorted
    /// by name as `git for-each-ref` lists them; a loose ref git can't read
    /// is an `Err` in its place (git warns and goes on). The outer error is
    /// for a directory or `packed-refs` that can't be read.
    pub fn all(&self) -> Result<Vec<Result<Reference, Error>>, Error> {
        let mut files = Vec::new();
        let shared = self.common_dir.join("refs");
        loose::walk(&shared, "refs", &mut files)?;
        if self.common_dir != self.git_dir {
            files.retain(|(name, _)| !per_worktree(name));
            for dir in PER_WORKTREE_DIRS {
                let name = dir.trim_end_matches('/');
                loose::walk(&self.git_dir.join(name), name, &mut files)?;
            }
        }
        let packed = self.packed()?;
        let packed = packed
            .refs()?
            .iter()
            .filter(|p| p.name.starts_with("refs/"));
        Ok(self.merged(files, packed))
    }

    /// The refs whose names start with `prefix`, as [`all`](Self::all)
    /// lists them. Under a directory of refs git keeps in the common
    /// directory (`refs/replace/`, `refs/tags/`: a prefix ending in `/`),
    /// only that directory is read, and only its part of a sorted
    /// `packed-refs`: asking whether any replace refs exist cost every
    /// command 10 ms on rust-analyzer's 13,736 packed refs.
    fn under(&self, prefix: &str) -> Result<Vec<Result<Reference, Error>>, Error> {
        let per_worktree_part = PER_WORKTREE_DIRS
            .iter()
            .any(|d| d.starts_with(prefix) || prefix.starts_with(d));
        let dir = prefix
            .strip_suffix('/')
            .filter(|_| prefix.starts_with("refs/") && !per_worktree_part);
        let Some(dir) = dir else {
            let mut refs = self.all()?;
            refs.retain(|r| r.as_ref().map_or(true, |r| r.name.starts_with(prefix)));
            return Ok(refs);
        };
        let mut files = Vec::new();
        loose::walk(&self.common_dir.join(dir), dir, &mut files)?;
        let packed = self.packed()?.under(prefix)?;
        Ok(self.merged(files, packed.iter()))
    }

    /// The loose refs `files` (name and path) and the packed refs `packed`
    /// (sorted), a loose one shadowing a packed one of its name, sorted by
    /// name.
    fn merged<'a>(
        &self,
        files: Vec<(String, PathBuf)>,
        packed: impl Iterator<Item = &'a PackedRef>,
    ) -> Vec<Result<Reference, Error>> {
        let mut found: Vec<(String, Result<Reference, Error>)> = Vec::new();
        for (name, path) in files {
            let result = if is_valid_name(&name, false) {
                match loose::read(&path, self.hash) {
                    Ok(Some(target)) => Ok(Reference {
                        name: name.clone(),
                        target,
                    }),
                    Ok(None) => continue,
                    Err(e) => Err(e),
                }
            } else {
                let why = RefProblem::BadName;
                Err(Error::corrupt(&path, 0, Corruption::BadRef(why)))
            };
            found.push((name, result));
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let loose = found.len();
        for p in packed {
            if found[..loose]
                .binary_search_by(|(n, _)| n.as_str().cmp(&p.name))
                .is_err()
            {
                found.push((p.name.clone(), Ok(p.to_reference())));
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found.into_iter().map(|(_, r)| r).collect()
    }

    /// The file a loose ref `name` lives in: per-worktree refs (`HEAD` and
    /// other one-level names, `refs/bisect/`, `refs/worktree/`,
    /// `refs/rewritten/`) in the work tree's git directory, the rest in the
    /// common directory.
    fn loose_path(&self, name: &str) -> PathBuf {
        if !name.contains('/') || per_worktree(name) {
            self.git_dir.join(name)
        } else {
            self.common_dir.join(name)
        }
    }

    /// The parsed `packed-refs`, read again if the file changed.
    fn packed(&self) -> Result<Arc<PackedRefs>, Error> {
        let path = self.common_dir.join("packed-refs");
        let stamp = match std::fs::metadata(&path) {
            Ok(m) => (m.len(), m.modified().ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Arc::new(PackedRefs::default()));
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut cached = self
            .packed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = cached.as_ref()
            && c.stamp == stamp
        {
            return Ok(Arc::clone(&c.refs));
        }
        // A large file is mapped, as git maps it: reading rust-analyzer's
        // 1.1 MB (13,736 refs) into fresh memory was a third of a one-shot
        // command's time, for the few lines a search reads. Not on Windows,
        // where a mapped file can't be replaced (git maps it only for a
        // moment there) and the store keeps it as long as it lives.
        let mapped = (cfg!(unix) && stamp.0 >= MAP_PACKED_REFS_FROM)
            .then(|| smmap::MapRegion::new(&path, 0, 0).ok())
            .flatten();
        let data = match mapped {
            Some(region) => packed::Contents::Mapped(region),
            None => packed::Contents::Read(std::fs::read(&path).map_err(|e| Error::io(&path, e))?),
        };
        let refs = Arc::new(PackedRefs::new(&path, data, self.hash)?);
        *cached = Some(CachedPacked {
            stamp,
            refs: Arc::clone(&refs),
        });
        Ok(refs)
    }
}

/// `packed-refs` files this large or larger are mapped rather than read.
const MAP_PACKED_REFS_FROM: u64 = 64 * 1024;

/// The ref folders each work tree has for itself.
const PER_WORKTREE_DIRS: [&str; 3] = ["refs/bisect/", "refs/worktree/", "refs/rewritten/"];

fn per_worktree(name: &str) -> bool {
    PER_WORKTREE_DIRS.iter().any(|d| name.starts_with(d))
}
