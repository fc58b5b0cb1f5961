//! `Repository`: a repository's database and refs, for revisions.

use pyo3::prelude::*;

use crate::errors::to_py;
use crate::odb::Odb;

/// A git repository found as git finds it (a work tree, a `.git` file or
/// directory, a bare repository), with `rev_parse` for git's revisions.
#[pyclass(module = "packread._packread", frozen)]
pub struct Repository {
    repo: packread::Repository,
    odb: Py<Odb>,
}

#[pymethods]
impl Repository {
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Repository> {
        let repo = py
            .detach(|| packread::Repository::discover(&path))
            .map_err(to_py)?;
        let odb = Py::new(py, Odb::from_odb(repo.odb().clone()))?;
        Ok(Repository { repo, odb })
    }

    /// The object `spec` names, as `git rev-parse --verify` resolves it
    /// (`HEAD`, `main~2`, `v1.0^{tree}`, `HEAD:src/lib.rs`, `a1b2c3`): its
    /// id, hex.
    fn rev_parse(&self, py: Python<'_>, spec: &str) -> PyResult<String> {
        py.detach(|| self.repo.rev_parse(spec))
            .map(|id| id.to_hex())
            .map_err(to_py)
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
}
