//! packread's errors as Python exceptions: `ObjectNotFound` (a `KeyError`),
//! `AmbiguousObjectName` (a `ValueError`), `CorruptObjectError` (with
//! `path` and `offset`), `NotARepository`, all but the first two under
//! `PackreadError`; the operating system's errors as `OSError`.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyError, PyOSError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    packread,
    PackreadError,
    PyException,
    "A failure of packread's (the base of its own exceptions)."
);
create_exception!(
    packread,
    ObjectNotFound,
    PyKeyError,
    "No object has this id, or no object starts with this prefix."
);
create_exception!(
    packread,
    AmbiguousObjectName,
    PyValueError,
    "More than one object starts with this prefix."
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

/// Adds the exceptions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("PackreadError", py.get_type::<PackreadError>())?;
    m.add("ObjectNotFound", py.get_type::<ObjectNotFound>())?;
    m.add("AmbiguousObjectName", py.get_type::<AmbiguousObjectName>())?;
    m.add("CorruptObjectError", py.get_type::<CorruptObjectError>())?;
    m.add("NotARepository", py.get_type::<NotARepository>())?;
    Ok(())
}

/// The Python exception for `err`.
pub fn to_py(err: packread::Error) -> PyErr {
    let message = err.to_string();
    match err {
        packread::Error::NotFound(_) | packread::Error::PrefixNotFound(_) => {
            ObjectNotFound::new_err(message)
        }
        packread::Error::Ambiguous(_) => AmbiguousObjectName::new_err(message),
        packread::Error::InvalidName(_) | packread::Error::InvalidOption(_) => {
            PyValueError::new_err(message)
        }
        packread::Error::Io { source, .. } | packread::Error::Write { source, .. } => {
            PyOSError::new_err((source.raw_os_error().unwrap_or(0), message))
        }
        packread::Error::NotARepository(_) => NotARepository::new_err(message),
        packread::Error::Corrupt { path, offset, .. } => Python::attach(|py| {
            let err = CorruptObjectError::new_err(message);
            let value = err.value(py);
            // Attributes git's callers can act on; setting them can't fail
            // on a fresh exception object.
            let _ = value.setattr("path", path.to_string_lossy().into_owned());
            let _ = value.setattr("offset", offset);
            err
        }),
        _ => PackreadError::new_err(message),
    }
}
