//! packread's errors as Python exceptions, all under `PackreadError`:
//! `ObjectNotFound` (also a `KeyError`), `AmbiguousObjectName` (also a
//! `ValueError`), `BadRevision` (a revision that names nothing; also a
//! `KeyError`, as pygit2's), `CorruptObjectError` (with `path` and
//! `offset`), `NotARepository`, `WalkParentError` (a walk that could not read
//! a parent); the operating system's errors as `OSError`.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyError, PyOSError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

create_exception!(
    packread,
    PackreadError,
    PyException,
    "A failure of packread's (the base of its own exceptions)."
);
create_exception!(
    packread,
    CorruptObjectError,
    PackreadError,
    "A file of the database is corrupt: `path` and `offset` say where."
);
create_exception!(
    packread,
    NotARepository,
    PackreadError,
    "The path is not a repository, a git directory or an objects directory."
);

create_exception!(
    packread,
    WalkParentError,
    PackreadError,
    "A revision walk could not read a parent of a commit it went through: `commit`, \
     `parent` (hex ids), `stage` (`\"traverse\"`, `\"setup\"` or `\"simplify\"`) and \
     `reason` (`\"missing\"`, `\"not a commit\"` or `\"unreadable\"`)."
);

create_exception!(
    packread,
    PackreadWarning,
    PyUserWarning,
    "What git reports and goes on: a pack that doesn't match its index, a broken alternate..."
);

/// The exceptions with two bases (`PackreadError` and a built-in one),
/// made when the module is.
static OBJECT_NOT_FOUND: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static AMBIGUOUS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static BAD_REVISION: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `class <name>(PackreadError, <other>)` in module `packread`.
fn two_bases<'py>(
    py: Python<'py>,
    name: &str,
    other: Bound<'py, PyType>,
    doc: &str,
) -> PyResult<Bound<'py, PyType>> {
    let dict = PyDict::new(py);
    dict.set_item("__module__", "packread")?;
    dict.set_item("__doc__", doc)?;
    let bases = PyTuple::new(py, [py.get_type::<PackreadError>(), other])?;
    Ok(py
        .get_type::<PyType>()
        .call1((name, bases, dict))?
        .cast_into::<PyType>()?)
}

fn cached<'py>(py: Python<'py>, cell: &PyOnceLock<Py<PyType>>) -> Bound<'py, PyType> {
    cell.get(py)
        .map_or_else(|| py.get_type::<PackreadError>(), |t| t.bind(py).clone())
}

/// Adds the exceptions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("PackreadError", py.get_type::<PackreadError>())?;
    m.add("CorruptObjectError", py.get_type::<CorruptObjectError>())?;
    m.add("NotARepository", py.get_type::<NotARepository>())?;
    m.add("WalkParentError", py.get_type::<WalkParentError>())?;
    m.add("PackreadWarning", py.get_type::<PackreadWarning>())?;
    for (cell, name, other, doc) in [
        (
            &OBJECT_NOT_FOUND,
            "ObjectNotFound",
            py.get_type::<PyKeyError>(),
            "No object has this id, or no object starts with this prefix.",
        ),
        (
            &AMBIGUOUS,
            "AmbiguousObjectName",
            py.get_type::<PyValueError>(),
            "More than one object starts with this prefix.",
        ),
        (
            &BAD_REVISION,
            "BadRevision",
            py.get_type::<PyKeyError>(),
            "A revision that names no object (an unknown ref, a missing path...).",
        ),
    ] {
        let ty = two_bases(py, name, other, doc)?;
        m.add(name, &ty)?;
        let _ = cell.set(py, ty.unbind());
    }
    Ok(())
}

/// The Python exception for `err`.
pub fn to_py(err: packread::Error) -> PyErr {
    let message = err.to_string();
    Python::attach(|py| match err {
        packread::Error::NotFound(_)
        | packread::Error::PrefixNotFound(_)
        | packread::Error::PromisorFetchFailed(_) => {
            PyErr::from_type(cached(py, &OBJECT_NOT_FOUND), message)
        }
        packread::Error::Ambiguous(_) => PyErr::from_type(cached(py, &AMBIGUOUS), message),
        packread::Error::Revision { .. } => PyErr::from_type(cached(py, &BAD_REVISION), message),
        packread::Error::InvalidName(_) | packread::Error::InvalidOption(_) => {
            PyValueError::new_err(message)
        }
        packread::Error::Io { source, .. } | packread::Error::Write { source, .. } => {
            PyOSError::new_err((source.raw_os_error().unwrap_or(0), message))
        }
        packread::Error::NotARepository(_) => NotARepository::new_err(message),
        packread::Error::WalkParent {
            commit,
            parent,
            stage,
            source,
        } => {
            let err = WalkParentError::new_err(message);
            let value = err.value(py);
            // What git says of it: the walk's commit, the parent it could
            // not read, where the walk was and why (setting attributes on
            // a fresh exception object can't fail).
            let stage = match stage {
                packread::WalkStage::Setup => "setup",
                packread::WalkStage::Simplify => "simplify",
                _ => "traverse",
            };
            let reason = match *source {
                packread::Error::NotFound(_) => "missing",
                packread::Error::UnexpectedKind { .. } => "not a commit",
                _ => "unreadable",
            };
            let _ = value.setattr("commit", commit.to_hex());
            let _ = value.setattr("parent", parent.to_hex());
            let _ = value.setattr("stage", stage);
            let _ = value.setattr("reason", reason);
            err
        }
        packread::Error::CommitText { commit, source } => {
            // As reading the commit would fail, with the commit named.
            let err = match *source {
                packread::Error::NotFound(_) => {
                    PyErr::from_type(cached(py, &OBJECT_NOT_FOUND), message)
                }
                _ => PackreadError::new_err(message),
            };
            let _ = err.value(py).setattr("commit", commit.to_hex());
            err
        }
        packread::Error::Corrupt { path, offset, .. } => {
            let err = CorruptObjectError::new_err(message);
            let value = err.value(py);
            // Attributes git's callers can act on; setting them can't fail
            // on a fresh exception object.
            let _ = value.setattr("path", path.to_string_lossy().into_owned());
            let _ = value.setattr("offset", offset);
            err
        }
        _ => PackreadError::new_err(message),
    })
}
