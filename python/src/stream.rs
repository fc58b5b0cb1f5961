//! `Stream`: an object read piece by piece (the Python package wraps it in
//! an `io.RawIOBase`).

use std::io::Read;
use std::sync::Mutex;

use packread::ObjectStream;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// An object's content as a stream: `read(n=-1)`, with `type` and `size`.
#[pyclass(module = "packread._packread", frozen)]
pub struct Stream {
    /// `None` once closed: the inflater and its buffers are freed then.
    inner: Mutex<Option<ObjectStream>>,
    kind: &'static str,
    size: u64,
}

impl Stream {
    pub fn new(stream: ObjectStream) -> Stream {
        Stream {
            kind: stream.kind().as_str(),
            size: stream.size(),
            inner: Mutex::new(Some(stream)),
        }
    }
}

#[pymethods]
impl Stream {
    /// Up to `n` bytes (all that is left for a negative `n`); `b""` at the
    /// end. The GIL is released while inflating.
    #[pyo3(signature = (n=-1))]
    fn read<'py>(&self, py: Python<'py>, n: i64) -> PyResult<Bound<'py, PyBytes>> {
        let data = py.detach(|| -> std::io::Result<Vec<u8>> {
            let mut guard = self
                .inner
                .lock()
                .map_err(|_| std::io::Error::other("a read of this stream failed midway"))?;
            let inner = guard
                .as_mut()
                .ok_or_else(|| std::io::Error::other("I/O operation on closed stream"))?;
            let mut out = Vec::new();
            if n < 0 {
                inner.read_to_end(&mut out)?;
            } else {
                let want = usize::try_from(n).unwrap_or(usize::MAX);
                out.resize(
                    want.min(1 << 20)
                        .min(usize::try_from(self.size).unwrap_or(usize::MAX)),
                    0,
                );
                let mut filled = 0;
                while filled < want {
                    if filled == out.len() {
                        out.resize((out.len() * 2).clamp(1, want), 0);
                    }
                    let got = inner.read(&mut out[filled..])?;
                    if got == 0 {
                        break;
                    }
                    filled += got;
                }
                out.truncate(filled);
            }
            Ok(out)
        });
        match data {
            Ok(bytes) => Ok(PyBytes::new(py, &bytes)),
            Err(e) => Err(io_error(e)),
        }
    }

    /// Frees the stream (its inflater and buffers); reading after is an
    /// error.
    fn close(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            *inner = None;
        }
    }

    /// The object's type name.
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        self.kind
    }

    /// The object's size.
    #[getter]
    fn size(&self) -> u64 {
        self.size
    }
}

/// A stream's failure: packread's own error (corruption, say) as its
/// exception, else an `OSError`.
fn io_error(e: std::io::Error) -> PyErr {
    match e.downcast::<packread::Error>() {
        Ok(err) => crate::errors::to_py(err),
        Err(e) => PyOSError::new_err(e.to_string()),
    }
}
