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
