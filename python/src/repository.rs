//! `Repository`: a repository's database and refs, for revisions and
//! history.

use std::sync::{Mutex, PoisonError};

use packread::ObjectId;
use packread::history::Ancestry;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::to_py;
use crate::gitpython::GitPythonCommits;
use crate::history::{self, CommitIter, FileChange};
use crate::odb::Odb;

/// A git repository found as git finds it (a work tree, a `.git` file or
/// directory, a bare repository), with `rev_parse` for git's revisions
/// and its history: `iter_commits`, `count`, `merge_base`, `is_ancestor`,
/// `diff_tree`. Keyword arguments are `Odb`'s (window size, limits).
#[pyclass(module = "packread._packread", frozen)]
pub struct Repository {
    repo: packread::Repository,
    odb: Py<Odb>,
    work_tree: Option<std::path::PathBuf>,
    /// The commits merge-base questions parsed, for the next questions.
    ancestry: Mutex<Option<Ancestry>>,
    /// What `diff_tree` keeps between calls.
    diff: Mutex<Option<history::DiffState>>,
    /// The keyword arguments it was opened with (for pickling).
    options: Py<PyDict>,
}

/// The work tree of the repository whose git directory is `git_dir`: the
/// directory holding a `.git`, or a linked work tree's (its `gitdir`
/// file names its `.git`); `None` for a bare repository.
fn work_tree_of(git_dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let config = std::fs::read_to_string(git_dir.join("config")).unwrap_or_default();
    let bare = config
        .lines()
        .map(|l| {
            l.split_whitespace()
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .any(|l| l == "bare=true");
    if git_dir.file_name().is_some_and(|n| n == ".git") {
        return (!bare)
            .then(|| git_dir.parent().map(std::path::Path::to_path_buf))
            .flatten();
    }
    let linked = std::fs::read_to_string(git_dir.join("gitdir")).ok()?;
    std::path::Path::new(linked.trim())
        .parent()
        .map(std::path::Path::to_path_buf)
}

impl Repository {
    pub fn repo(&self) -> &packread::Repository {
        &self.repo
    }

    /// Runs `f` on the repository's `Ancestry` (made on first use).
    fn with_ancestry<T>(
        &self,
        f: impl FnOnce(&mut Ancestry) -> Result<T, packread::Error>,
    ) -> Result<T, packread::Error> {
        let mut guard = self.ancestry.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(Ancestry::new(&self.repo)?);
        }
        f(guard.as_mut().expect("made above"))
    }

    /// The commit `spec` names (tags followed), as `spec^{commit}`.
    fn commit(&self, spec: &str) -> Result<ObjectId, packread::Error> {
        self.repo.rev_parse(&format!("{spec}^{{commit}}"))
    }
}

#[pymethods]
impl Repository {
    #[new]
    #[pyo3(signature = (path, *, window_size=None, memory_limit=None, handle_limit=None, delta_cache=None, r#static=false, lazy_fetch=true))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn new(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        window_size: Option<usize>,
        memory_limit: Option<usize>,
        handle_limit: Option<usize>,
        delta_cache: Option<usize>,
        r#static: bool,
        lazy_fetch: bool,
    ) -> PyResult<Repository> {
        let path = crate::ids::path(path)?;
        let (options, kwargs) = crate::odb::open_options(
            py,
            window_size,
            memory_limit,
            handle_limit,
            delta_cache,
            r#static,
            lazy_fetch,
        )?;
        let repo = py
            .detach(|| packread::Repository::discover_with(&path, &options))
            .map_err(to_py)?;
        let odb = Py::new(py, Odb::from_odb(repo.odb().clone()))?;
        let work_tree = work_tree_of(repo.git_dir());
        Ok(Repository {
            options: kwargs,
            repo,
            odb,
            work_tree,
            ancestry: Mutex::new(None),
            diff: Mutex::new(None),
        })
    }

    /// The object `spec` names, as `git rev-parse --verify` resolves it
    /// (`HEAD`, `main~2`, `v1.0^{tree}`, `HEAD:src/lib.rs`, `a1b2c3`): its
    /// id, hex.
    fn rev_parse(&self, py: Python<'_>, spec: &str) -> PyResult<String> {
        py.detach(|| self.repo.rev_parse(spec))
            .map(|id| id.to_hex())
            .map_err(to_py)
    }

    /// The commits `rev` leads to, as `git rev-list rev -- paths` lists
    /// them, one at a time (lazily: the first come before the walk ends
    /// where git's order allows). `rev`: `None` (`HEAD`), a revision or
    /// range (`"main"`, `"v1..v2"`, `"A...B"`, `"^old"`), or a list of
    /// them; `paths` limit the walk with git's history simplification.
    /// Keyword options are `rev-list`'s: `max_count`, `skip`, `since`,
    /// `until` (int, datetime or git's date strings), `first_parent`,
    /// `topo_order`, `date_order`, `author_date_order`, `reverse`, `all`,
    /// `left_only`, `right_only`, `no_walk`, `merges`, `no_merges`, `min_parents`,
    /// `max_parents`,
    /// `full_history`, `author`, `committer`, `grep`,
    /// `regexp_ignore_case`, `extended_regexp`, `fixed_strings`,
    /// `all_match`, `invert_grep`.
    ///
    /// ```python
    /// for c in repo.iter_commits("main", paths="src", max_count=10):
    ///     print(c.id, c.author.name, c.message.splitlines()[0])
    /// ```
    #[pyo3(signature = (rev=None, paths=None, **options))]
    fn iter_commits(
        &self,
        rev: Option<&Bound<'_, PyAny>>,
        paths: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<CommitIter> {
        let walk = self.start_walk(rev, paths, options)?;
        Ok(history::commit_iter(walk, self.repo.odb().hash_kind()))
    }

    /// What `git rev-list rev -- paths` prints, in `bytes` of many lines
    /// (`<id>\n`; with `parents=True`, `<id> <parent>...\n`, parents as
    /// `--parents` rewrites them), lazily. Options as `iter_commits`.
    #[pyo3(signature = (rev=None, paths=None, **options))]
    fn rev_list_lines(
        &self,
        rev: Option<&Bound<'_, PyAny>>,
        paths: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<history::LineIter> {
        let parents = match options {
            Some(o) => o
                .get_item("parents")?
                .is_some_and(|v| v.is_truthy().unwrap_or(false)),
            None => false,
        };
        let walk = self.start_walk(rev, paths, options)?;
        Ok(history::line_iter(walk, parents))
    }

    /// The ids of the refs whose names start with `prefix` (`"refs/tags/"`),
    /// symbolic refs followed, in name order: what `git rev-list --all`
    /// starts from for `"refs/"`.
    #[pyo3(signature = (prefix="refs/"))]
    fn ref_ids(&self, py: Python<'_>, prefix: &str) -> PyResult<Vec<String>> {
        py.detach(|| self.repo.refs().ids_under(prefix))
            .map(|ids| ids.iter().map(ObjectId::to_hex).collect())
            .map_err(to_py)
    }

    /// The replacements git reads objects through (`git replace`): each
    /// replaced object's hex id and its replacement's; empty where none are
    /// in effect (no refs under `refs/replace/`, `GIT_NO_REPLACE_OBJECTS`,
    /// `core.useReplaceRefs=false`). packread's own reads are as stored.
    fn replacements(&self, py: Python<'_>) -> PyResult<Vec<(String, String)>> {
        py.detach(|| self.repo.refs().replacements())
            .map(|pairs| {
                pairs
                    .iter()
                    .map(|(a, b)| (a.to_hex(), b.to_hex()))
                    .collect()
            })
            .map_err(to_py)
    }

    /// The commits `iter_commits` yields, as `packread.gitpython` builds
    /// GitPython's commits from them: lists of raw ids (commits GitPython
    /// reads itself) and tuples of the fields GitPython would read (see
    /// `GitPythonCommits`).
    #[pyo3(signature = (rev=None, paths=None, **options))]
    fn iter_gitpython(
        &self,
        rev: Option<&Bound<'_, PyAny>>,
        paths: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<GitPythonCommits> {
        let walk = self.start_walk(rev, paths, options)?;
        Ok(GitPythonCommits::new(walk, self.repo.odb().hash_kind()))
    }

    /// `id` abbreviated as git abbreviates it (`git rev-parse --short`):
    /// at least `min` hex digits (0: git's automatic length), more where
    /// other objects share them.
    #[pyo3(signature = (id, min=0))]
    fn abbreviate(&self, py: Python<'_>, id: &str, min: usize) -> PyResult<String> {
        let id = packread::ObjectId::from_hex(id)
            .ok_or_else(|| PyValueError::new_err(format!("not an object id: {id:?}")))?;
        py.detach(|| self.repo.odb().reader().abbreviate(&id, min))
            .map_err(to_py)
    }

    /// How many commits `iter_commits` with the same arguments yields
    /// (`git rev-list --count`), counted with the GIL released.
    #[pyo3(signature = (rev=None, paths=None, **options))]
    fn count(
        &self,
        py: Python<'_>,
        rev: Option<&Bound<'_, PyAny>>,
        paths: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<usize> {
        let walk = self.start_walk(rev, paths, options)?;
        history::count(py, walk)
    }

    /// The best common ancestors of the commits `revs` name (two or more),
    /// as `git merge-base` finds them: one, or with `all` every one,
    /// newest first; `[]` if they have none.
    #[pyo3(signature = (*revs, all=false))]
    fn merge_base(&self, py: Python<'_>, revs: Vec<String>, all: bool) -> PyResult<Vec<String>> {
        if revs.len() < 2 {
            return Err(PyValueError::new_err(
                "merge_base needs two revisions or more",
            ));
        }
        py.detach(|| {
            let ids = revs
                .iter()
                .map(|r| self.commit(r))
                .collect::<Result<Vec<_>, _>>()?;
            self.with_ancestry(|a| history::merge_base(a, &ids, all))
        })
        .map_err(to_py)
    }

    /// Whether `ancestor` is `rev` or one of its ancestors (`git
    /// merge-base --is-ancestor`).
    fn is_ancestor(&self, py: Python<'_>, ancestor: &str, rev: &str) -> PyResult<bool> {
        py.detach(|| {
            let (a, b) = (self.commit(ancestor)?, self.commit(rev)?);
            self.with_ancestry(|anc| anc.is_ancestor(a, b))
        })
        .map_err(to_py)
    }

    /// The files that differ between two trees, as `git diff-tree -r
    /// --numstat` finds them (no rename detection): with one revision, a
    /// commit against its first parent (against nothing for a root
    /// commit); with two, tree-ish `old` against tree-ish `new`. `paths`
    /// limit it; `numstat=False` skips counting lines; `abbrev=True`
    /// abbreviates the ids as `git diff --raw` does.
    #[pyo3(signature = (old, new=None, paths=None, numstat=true, abbrev=false))]
    fn diff_tree(
        &self,
        py: Python<'_>,
        old: &str,
        new: Option<&str>,
        paths: Option<&Bound<'_, PyAny>>,
        numstat: bool,
        abbrev: bool,
    ) -> PyResult<Vec<Py<FileChange>>> {
        let paths = history::path_list(paths)?;
        let spec = history::pathspec(&paths)?;
        let diffed = py
            .detach(|| {
                let (a, b) = if let Some(new) = new {
                    (
                        Some(self.repo.rev_parse(&format!("{old}^{{tree}}"))?),
                        self.repo.rev_parse(&format!("{new}^{{tree}}"))?,
                    )
                } else {
                    let commit = self.commit(old)?;
                    let data = self.repo.odb().reader().read(&commit)?.data;
                    let hash = self.repo.odb().hash_kind();
                    let parsed = packread::object::commit::Commit::parse(&data, hash)
                        .map_err(|_| packread::Error::MalformedCommit(commit))?;
                    // A root commit is compared with nothing.
                    let parent = match parsed.parents.first() {
                        Some(p) => Some(self.repo.rev_parse(&format!("{p}^{{tree}}"))?),
                        None => None,
                    };
                    (parent, parsed.tree)
                };
                let work_tree = self.work_tree.as_deref();
                let mut guard = self.diff.lock().unwrap_or_else(PoisonError::into_inner);
                let state = guard.get_or_insert_with(|| history::DiffState::new(&self.repo));
                let paths = (&paths[..], spec);
                history::diff_tree(&self.repo, state, work_tree, a, b, paths, numstat, abbrev)
            })
            .map_err(to_py)?;
        diffed.into_py(py)
    }

    /// The repository's object database.
    #[getter]
    fn odb(&self, py: Python<'_>) -> Py<Odb> {
        self.odb.clone_ref(py)
    }

    /// The git directory.
    #[getter]
    fn git_dir(&self) -> std::path::PathBuf {
        self.repo.git_dir().to_owned()
    }

    /// The top of the work tree, or `None` for a bare repository (its
    /// `.gitattributes` files class files in `diff_tree`'s line counts).
    #[getter]
    fn work_tree(&self) -> Option<std::path::PathBuf> {
        self.work_tree.clone()
    }

    fn __repr__(&self) -> String {
        format!("<packread.Repository {}>", self.repo.git_dir().display())
    }

    /// Pickled as its git directory and options (opened again on
    /// unpickling).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let path = self.repo.git_dir().to_owned();
        crate::odb::reopen(py, py.get_type::<Repository>(), path, &self.options)
    }
}
