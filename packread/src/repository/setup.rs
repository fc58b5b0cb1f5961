//! git's setup: which repository a command started in a directory reads,
//! as git finds it from the environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::Error;
use crate::git_dir;
use crate::odb::{Odb, OpenOptions};
use crate::refs::RefStore;

/// How git finds the repository of a command: the git directory named by
/// `--git-dir` or `GIT_DIR` (taken as it is, not searched for), else the
/// current directory's, searched upwards; the objects directory of
/// `GIT_OBJECT_DIRECTORY` and the alternates of
/// `GIT_ALTERNATE_OBJECT_DIRECTORIES` where they are set. It also says where
/// the command stands in the work tree, for paths relative to it.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("setup", &[("a.txt", "one\n")])?;
/// use packread::repository::Setup;
///
/// let setup = Setup::in_dir(dir.join(".git")).git_dir(dir.join(".git"));
/// let odb = setup.open_odb(packread::OpenOptions::new())?;
/// assert_eq!(odb.object_dirs().len(), 1);
/// assert!(setup.open_refs()?.resolve("HEAD")?.is_some());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Setup {
    /// Where the command runs: `None` for the process's current directory
    /// (relative paths are then used as they are, as git uses them).
    cwd: Option<PathBuf>,
    /// `--git-dir` or `GIT_DIR`.
    git_dir: Option<PathBuf>,
    /// `GIT_OBJECT_DIRECTORY`.
    objects_dir: Option<PathBuf>,
    /// `GIT_ALTERNATE_OBJECT_DIRECTORIES`.
    alternates: Option<OsString>,
    /// Where the search upwards from `cwd` ends, once asked.
    found: OnceLock<(PathBuf, Found)>,
}

impl Setup {
    /// The setup of a command started in the current directory, with the
    /// process's `GIT_DIR`, `GIT_OBJECT_DIRECTORY` and
    /// `GIT_ALTERNATE_OBJECT_DIRECTORIES`.
    pub fn from_env() -> Setup {
        Setup {
            cwd: None,
            git_dir: std::env::var_os("GIT_DIR").map(PathBuf::from),
            objects_dir: std::env::var_os("GIT_OBJECT_DIRECTORY")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            alternates: std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES"),
            found: OnceLock::new(),
        }
    }

    /// The setup of a command started in `dir`, no variable set.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Setup {
        Setup {
            cwd: Some(dir.into()),
            git_dir: None,
            objects_dir: None,
            alternates: None,
            found: OnceLock::new(),
        }
    }

    /// The git directory, as `--git-dir` names it (over `GIT_DIR`); a
    /// relative path is taken from where the command runs.
    #[must_use]
    pub fn git_dir(mut self, dir: impl Into<PathBuf>) -> Setup {
        self.git_dir = Some(dir.into());
        self
    }

    /// Whether the git directory was named (`--git-dir`, `GIT_DIR`): git
    /// then takes the current directory for the top of the work tree.
    pub fn git_dir_given(&self) -> bool {
        self.git_dir.is_some()
    }

    /// The git directory as it was named, if it was.
    pub fn given_git_dir(&self) -> Option<&Path> {
        self.git_dir.as_deref()
    }

    /// The objects directory `GIT_OBJECT_DIRECTORY` names, if set.
    pub fn given_objects_dir(&self) -> Option<&Path> {
        self.objects_dir.as_deref()
    }

    /// The object database, opened with `options` (its own objects
    /// directory and alternates set by the environment where it sets them).
    pub fn open_odb(&self, mut options: OpenOptions) -> Result<Odb, Error> {
        if let Some(dir) = &self.objects_dir {
            options = options.objects_dir(self.path(dir));
        }
        if let Some(alts) = &self.alternates {
            options = options.alternates_list(&alts.to_string_lossy());
        }
        match &self.git_dir {
            Some(dir) => options
                .open_git_dir(self.path(dir))
                .map_err(|e| as_given(e, dir)),
            None => options.open(self.path(Path::new("."))),
        }
    }

    /// The refs.
    pub fn open_refs(&self) -> Result<RefStore, Error> {
        match &self.git_dir {
            Some(dir) => RefStore::open_git_dir(&self.path(dir)).map_err(|e| as_given(e, dir)),
            None => RefStore::discover(&self.path(Path::new("."))),
        }
    }

    /// `path` from where the command runs.
    fn path(&self, path: &Path) -> PathBuf {
        match &self.cwd {
            Some(cwd) => cwd.join(path),
            None => path.to_owned(),
        }
    }

    /// The directory the command runs in (canonical), and where git's
    /// search upwards from it ends: searched once.
    fn here(&self) -> (&Path, &Found) {
        let (cwd, found) = self.found.get_or_init(|| {
            let Ok(cwd) = std::fs::canonicalize(self.path(Path::new("."))) else {
                return (PathBuf::new(), Found::Nothing);
            };
            let found = match git_dir::locate(&cwd) {
                Some((_, Some(top))) => Found::WorkTree(top),
                Some((git_dir, None)) => Found::GitDir(git_dir),
                None => Found::Nothing,
            };
            (cwd, found)
        });
        (cwd, found)
    }

    /// Whether the command runs in a work tree: not in a bare repository,
    /// nor in the git directory of a work tree (where git refuses `./` and
    /// `../` paths). With the git directory named, git takes the current
    /// directory for the top of a work tree.
    pub fn in_work_tree(&self) -> bool {
        self.git_dir_given() || matches!(self.here().1, Found::WorkTree(_))
    }

    /// The top of the work tree around the directory the command runs in
    /// as git names it in messages: in a work tree's `.git`, that directory
    /// (`.git/.`) at its top and the work tree's top below it; elsewhere
    /// outside a work tree, the directory itself.
    pub fn work_tree_top(&self) -> PathBuf {
        match self.here() {
            (_, Found::WorkTree(top)) => top.clone(),
            (cwd, Found::GitDir(git_dir)) if git_dir.ends_with(".git") => {
                if cwd == git_dir {
                    cwd.join(".")
                } else {
                    git_dir.parent().unwrap_or(cwd).to_owned()
                }
            }
            (cwd, _) => cwd.to_owned(),
        }
    }

    /// Where the command runs within the work tree, with a trailing slash
    /// (`dir/sub/`; empty at the top, in a git directory, outside a work
    /// tree, or with the git directory named).
    pub fn prefix(&self) -> Vec<u8> {
        if self.git_dir_given() {
            return Vec::new();
        }
        let (cwd, Found::WorkTree(top)) = self.here() else {
            return Vec::new();
        };
        let mut prefix = Vec::new();
        for part in cwd.strip_prefix(top).unwrap_or(cwd).components() {
            prefix.extend_from_slice(part.as_os_str().as_encoded_bytes());
            prefix.push(b'/');
        }
        prefix
    }
}

/// Where git's search for a repository ends.
#[derive(Clone, Debug)]
enum Found {
    /// At a directory with a `.git`: the top of a work tree.
    WorkTree(PathBuf),
    /// At a git directory itself: a bare repository, or inside a `.git`.
    GitDir(PathBuf),
    /// Nowhere.
    Nothing,
}

/// `e`, naming the git directory as it was given where it names it.
fn as_given(e: Error, given: &Path) -> Error {
    match e {
        Error::NotARepository(_) => Error::NotARepository(given.to_owned()),
        e => e,
    }
}
