//! Object ids from Python: a hex `str` (or hex `bytes`) of the full length,
//! or the raw 20 or 32 bytes.

use packread::{HashKind, ObjectId};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// The id `value` names in a database whose ids are of kind `hash`.
pub fn parse(value: &Bound<'_, PyAny>, hash: HashKind) -> PyResult<ObjectId> {
    if let Ok(s) = value.cast::<PyString>() {
        return from_hex(&s.to_cow()?, hash);
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        let bytes = b.as_bytes();
        if bytes.len() == hash.len() {
            return Ok(ObjectId::from_bytes(hash, bytes));
        }
        return match std::str::from_utf8(bytes) {
            Ok(hex) if hex.len() == hash.hex_len() => from_hex(hex, hash),
            _ => Err(PyValueError::new_err(format!(
                "an object id is {} raw bytes or {} hex digits, not {} bytes",
                hash.len(),
                hash.hex_len(),
                bytes.len()
            ))),
        };
    }
    Err(PyTypeError::new_err(format!(
        "an object id is a hex str or bytes, not {}",
        value.get_type().name()?
    )))
}

fn from_hex(hex: &str, hash: HashKind) -> PyResult<ObjectId> {
    let id = (hex.len() == hash.hex_len())
        .then(|| ObjectId::from_hex(&hex.to_ascii_lowercase()))
        .flatten();
    id.ok_or_else(|| {
        PyValueError::new_err(format!(
            "'{hex}' is not an object id ({} hex digits)",
            hash.hex_len()
        ))
    })
}

/// A path from a `str`, `bytes` (the file system's bytes) or `os.PathLike`.
pub fn path(value: &Bound<'_, PyAny>) -> PyResult<std::path::PathBuf> {
    if let Ok(b) = value.cast::<PyBytes>() {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            return Ok(std::ffi::OsStr::from_bytes(b.as_bytes()).into());
        }
        #[cfg(not(unix))]
        return Ok(String::from_utf8_lossy(b.as_bytes()).into_owned().into());
    }
    value.extract()
}

/// Text from a `str` or ASCII `bytes` (hex prefixes, say).
pub fn text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return std::str::from_utf8(b.as_bytes())
            .map(str::to_owned)
            .map_err(|_| PyValueError::new_err("not ASCII text"));
    }
    value.extract()
}

/// Python's hash of an object named by its hex id: its first 16 digits.
pub fn hash_of_hex(hex: &str) -> u64 {
    hex.get(..16)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or(0)
}
