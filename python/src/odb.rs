//! `Odb`: a packread database for Python, read by a pool of readers with
//! the GIL released.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use packread::pack::SharedBases;
use packread::{ObjectId, OpenOptions, Reader, Visited};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::errors::to_py;
use crate::ids;
use crate::stream::Stream;

/// An object read whole: `id` (hex), `type` (`"blob"`, `"tree"`,
/// `"commit"`, `"tag"`), `size` and `data` (the content, as `bytes`).
/// Objects with the same id are equal.
#[pyclass(module = "packread._packread", frozen, get_all)]
pub struct Object {
    /// The object's id, hex.
    id: String,
    /// The object's type name.
    #[pyo3(name = "type")]
    kind: &'static str,
    /// The content's length.
    size: u64,
    /// The content.
    data: Py<PyBytes>,
}

#[pymethods]
impl Object {
    fn __repr__(&self) -> String {
        format!(
            "<packread.Object {} {} of {} bytes>",
            self.kind, self.id, self.size
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Object>().is_ok_and(|o| o.get().id == self.id)
    }

    fn __hash__(&self) -> u64 {
        crate::ids::hash_of_hex(&self.id)
    }
}

/// A git object database: packs (with their indexes and a multi-pack-index),
/// loose objects and alternates, SHA-1 or SHA-256, read through sliding
/// memory-map windows.
///
/// `Odb(path, *, window_size=None, memory_limit=None, handle_limit=None,
/// delta_cache=None, static=False, lazy_fetch=True)`: `path` is a work
/// tree, a git directory or an objects directory; the limits are smmap's
/// (bytes, windows), unset for its defaults; with `lazy_fetch`, an object
/// a partial clone lacks is fetched from its promisor remote as git
/// fetches it (a child `git fetch`). Ids are a hex `str` or the raw
/// `bytes`.
#[pyclass(module = "packread._packread", frozen)]
#[allow(clippy::struct_field_names)] // the database, and what wraps it
pub struct Odb {
    odb: packread::Odb,
    /// Readers not in use: each call takes one (or makes one) and gives it
    /// back, so delta-base caches last across calls and threads don't wait.
    pool: Mutex<Vec<Reader>>,
    /// Readers in use now.
    busy: AtomicUsize,
    /// The whole objects under delta chains, shared by the readers once two
    /// have worked side by side (each then takes the bases another
    /// inflated rather than inflating them again); let go by `close()`.
    bases: Mutex<Option<SharedBases>>,
    /// Set by `close()`.
    closed: AtomicBool,
    /// The path and keyword arguments it was opened with (for pickling);
    /// `None` for the database of a `Repository`.
    opened: Option<(std::path::PathBuf, Py<PyDict>)>,
}

/// What [`Odb::iter_objects`]' walk sends: an object, or the error that
/// ended the walk.
type Walked = Result<(ObjectId, packread::ObjectKind, Vec<u8>), packread::Error>;

/// The iterator `Odb.iter_objects()` returns: `(id, type, data)` tuples as
/// a thread walking the database decodes them.
#[pyclass(module = "packread._packread", frozen)]
pub struct ObjectWalk {
    rx: Mutex<std::sync::mpsc::Receiver<Walked>>,
}

#[pymethods]
impl ObjectWalk {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Option<(String, &'static str, Bound<'py, PyBytes>)>> {
        let next = py.detach(|| match self.rx.lock() {
            Ok(rx) => rx.recv().ok(),
            Err(_) => None,
        });
        match next {
            Some(Ok((id, kind, data))) => {
                Ok(Some((id.to_hex(), kind.as_str(), PyBytes::new(py, &data))))
            }
            Some(Err(e)) => Err(to_py(e)),
            None => Ok(None),
        }
    }
}

/// The open options of the keyword arguments `Odb` and `Repository`
/// take, and those arguments as a dict (to pickle the object with).
pub fn open_options(
    py: Python<'_>,
    window_size: Option<usize>,
    memory_limit: Option<usize>,
    handle_limit: Option<usize>,
    delta_cache: Option<usize>,
    r#static: bool,
    lazy_fetch: bool,
) -> PyResult<(OpenOptions, Py<PyDict>)> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("lazy_fetch", lazy_fetch)?;
    kwargs.set_item("window_size", window_size)?;
    kwargs.set_item("memory_limit", memory_limit)?;
    kwargs.set_item("handle_limit", handle_limit)?;
    kwargs.set_item("delta_cache", delta_cache)?;
    kwargs.set_item("static", r#static)?;
    let mut options = OpenOptions::new()
        .static_windows(r#static)
        .lazy_fetch(lazy_fetch);
    if let Some(n) = window_size {
        options = options.window_size(n);
    }
    if let Some(n) = memory_limit {
        options = options.max_memory(n);
    }
    if let Some(n) = handle_limit {
        options = options.max_handles(n);
    }
    if let Some(n) = delta_cache {
        options = options.delta_base_cache_limit(n);
    }
    Ok((options, kwargs.unbind()))
}

/// What `__reduce__` gives for an object of type `ty` opened on `path`
/// with the keyword arguments `kwargs`: it is opened again so.
pub fn reopen<'py>(
    py: Python<'py>,
    ty: Bound<'py, pyo3::types::PyType>,
    path: std::path::PathBuf,
    kwargs: &Py<PyDict>,
) -> PyResult<Bound<'py, PyTuple>> {
    let make = py
        .import("functools")?
        .getattr("partial")?
        .call((ty,), Some(kwargs.bind(py)))?;
    PyTuple::new(py, [make, PyTuple::new(py, [path])?.into_any()])
}

/// Each of `warnings` as a Python `PackreadWarning`, in git's words.
pub fn warn(py: Python<'_>, warnings: &[packread::Warning]) -> PyResult<()> {
    for w in warnings {
        PyErr::warn(
            py,
            &py.get_type::<crate::errors::PackreadWarning>(),
            &std::ffi::CString::new(w.to_string()).unwrap_or_default(),
            1,
        )?;
    }
    Ok(())
}

/// A Python binary file-like object as a `Read` (its `read` called with
/// the GIL taken for each piece).
struct PyReader(Py<PyAny>);

impl std::io::Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Python::attach(|py| {
            let got = self
                .0
                .bind(py)
                .call_method1("read", (buf.len(),))
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let bytes = got
                .cast::<PyBytes>()
                .map_err(|_| std::io::Error::other("read() gave no bytes"))?
                .as_bytes();
            if bytes.len() > buf.len() {
                return Err(std::io::Error::other(
                    "read() gave more bytes than asked for",
                ));
            }
            buf[..bytes.len()].copy_from_slice(bytes);
            Ok(bytes.len())
        })
    }
}

/// The iterator `iter(odb)` returns: ids (hex), read as they are needed.
#[pyclass(module = "packread._packread", frozen)]
pub struct IdIter {
    ids: Mutex<packread::ObjectIds>,
}

#[pymethods]
impl IdIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let next = py.detach(|| self.ids.lock().ok()?.next());
        match next {
            None => Ok(None),
            Some(Ok(id)) => Ok(Some(id.to_hex())),
            Some(Err(e)) => Err(to_py(e)),
        }
    }
}

/// `native` as the package's `packread.ObjectStream`.
fn wrap_stream(py: Python<'_>, native: Stream) -> PyResult<Bound<'_, PyAny>> {
    py.import("packread")?
        .getattr("ObjectStream")?
        .call1((Bound::new(py, native)?,))
}

impl Odb {
    pub fn from_odb(odb: packread::Odb) -> Odb {
        Odb {
            odb,
            pool: Mutex::new(Vec::new()),
            busy: AtomicUsize::new(0),
            bases: Mutex::new(None),
            closed: AtomicBool::new(false),
            opened: None,
        }
    }

    fn check_open(&self) -> PyResult<()> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(PyValueError::new_err("I/O operation on closed Odb"));
        }
        Ok(())
    }

    /// Runs `f` on a pooled reader with the GIL released; what git would
    /// have reported on the way becomes `PackreadWarning`s.
    fn with_reader<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Reader) -> Result<T, packread::Error> + Send,
    ) -> PyResult<T> {
        self.check_open()?;
        let (result, warnings) = py.detach(|| {
            let others = self.busy.fetch_add(1, Ordering::Relaxed);
            let taken = self.pool.lock().ok().and_then(|mut p| p.pop());
            let mut reader = taken.unwrap_or_else(|| self.odb.reader());
            if let Some(bases) = self.shared_bases(others > 0) {
                reader.share_bases(&bases);
            }
            let result = f(&mut reader);
            self.busy.fetch_sub(1, Ordering::Relaxed);
            let warnings = reader.take_refresh_warnings();
            if let Ok(mut pool) = self.pool.lock() {
                pool.push(reader);
            }
            (result, warnings)
        });
        warn(py, &warnings)?;
        result.map_err(to_py)
    }

    /// The readers' shared bases, made now if `make` (readers side by
    /// side) and there are none yet.
    fn shared_bases(&self, make: bool) -> Option<SharedBases> {
        let mut bases = self.bases.lock().ok()?;
        if bases.is_none() && make {
            *bases = Some(SharedBases::new(self.odb.delta_base_cache_limit() / 2));
        }
        bases.clone()
    }

    fn id(&self, value: &Bound<'_, PyAny>) -> PyResult<ObjectId> {
        ids::parse(value, self.odb.hash_kind())
    }
}

#[pymethods]
impl Odb {
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
    ) -> PyResult<Odb> {
        let (options, kwargs) = open_options(
            py,
            window_size,
            memory_limit,
            handle_limit,
            delta_cache,
            r#static,
            lazy_fetch,
        )?;
        let path = crate::ids::path(path)?;
        let odb = py.detach(|| options.open(&path)).map_err(to_py)?;
        warn(py, &odb.warnings())?;
        Ok(Odb {
            opened: Some((path, kwargs)),
            ..Odb::from_odb(odb)
        })
    }

    /// Lets go of the database's mapped windows, file handles and readers;
    /// any read after is an error. `with Odb(path) as odb:` closes it at
    /// the end of the block.
    fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        if let Ok(mut pool) = self.pool.lock() {
            pool.clear();
        }
        if let Ok(mut bases) = self.bases.lock() {
            *bases = None;
        }
        let manager = self.odb.manager();
        manager.collect();
        manager.close_descriptors();
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __exit__(
        &self,
        _kind: &Bound<'_, PyAny>,
        _value: &Bound<'_, PyAny>,
        _traceback: &Bound<'_, PyAny>,
    ) -> bool {
        self.close();
        false
    }

    /// Pickled as what it was opened with (opened again on unpickling).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let Some((path, kwargs)) = &self.opened else {
            return Err(PyTypeError::new_err(
                "a Repository's Odb is pickled with its Repository",
            ));
        };
        reopen(py, py.get_type::<Odb>(), path.clone(), kwargs)
    }

    /// How many objects the database holds (each once).
    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.check_open()?;
        let mut n = 0;
        py.detach(|| {
            for id in self.odb.object_ids() {
                id?;
                n += 1;
            }
            Ok(())
        })
        .map_err(to_py)?;
        Ok(n)
    }

    /// The object `id` names, read whole.
    fn read(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<Object> {
        let id = self.id(id)?;
        let object = self.with_reader(py, |r| r.read(&id))?;
        Ok(Object {
            id: id.to_hex(),
            kind: object.kind.as_str(),
            size: object.data.len() as u64,
            data: PyBytes::new(py, &object.data).unbind(),
        })
    }

    /// `(type, content)` of the object `id` names: its type name and its
    /// content as `bytes`.
    fn read_data<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'_, PyAny>,
    ) -> PyResult<(&'static str, Bound<'py, PyBytes>)> {
        let id = self.id(id)?;
        let object = self.with_reader(py, |r| r.read(&id))?;
        Ok((object.kind.as_str(), PyBytes::new(py, &object.data)))
    }

    /// `(type, size)` of the object `id` names, without reading it whole.
    fn header(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<(&'static str, u64)> {
        let id = self.id(id)?;
        let h = self.with_reader(py, |r| r.header(&id))?;
        Ok((h.kind.as_str(), h.size))
    }

    /// The object as a `packread.ObjectStream` (an `io.RawIOBase`): a packed
    /// or loose object that is not a delta is inflated as it is read, never
    /// held whole.
    fn stream<'py>(&self, py: Python<'py>, id: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let id = self.id(id)?;
        let stream = self.with_reader(py, |r| r.stream(&id))?;
        wrap_stream(py, Stream::new(stream))
    }

    /// `(type, size, content)`: the content as `bytes` when the object is
    /// at most `limit` bytes, else as a `packread.ObjectStream`; one lookup
    /// either way (what a caller that reads small objects whole and streams
    /// big ones wants).
    fn read_or_stream<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'_, PyAny>,
        limit: u64,
    ) -> PyResult<(&'static str, u64, Bound<'py, PyAny>)> {
        let id = self.id(id)?;
        let opened = self.with_reader(py, |r| {
            let mut stream = r.stream(&id)?;
            if stream.size() > limit {
                return Ok(Err(stream));
            }
            // Room for what the header announces, within reason: a damaged
            // or hostile header may announce anything, and the stream itself
            // checks what it inflates.
            let room = usize::try_from(stream.size().min(64 << 20)).unwrap_or(0);
            let mut data = Vec::with_capacity(room);
            std::io::Read::read_to_end(&mut stream, &mut data).map_err(|e| match e
                .downcast::<packread::Error>()
            {
                Ok(err) => err,
                Err(e) => packread::Error::Io {
                    path: std::path::PathBuf::new(),
                    source: e,
                },
            })?;
            Ok(Ok((stream.kind(), data)))
        })?;
        match opened {
            Ok((kind, data)) => Ok((
                kind.as_str(),
                data.len() as u64,
                PyBytes::new(py, &data).into_any(),
            )),
            Err(stream) => {
                let (kind, size) = (stream.kind().as_str(), stream.size());
                Ok((kind, size, wrap_stream(py, Stream::new(stream))?))
            }
        }
    }

    /// Writes an object of `type` (`"blob"`, `"tree"`, `"commit"`, `"tag"`)
    /// as a loose object, as `git hash-object -w` writes it (the
    /// repository's compression and shared permissions; an object the
    /// database has is not written again); returns its id (hex). `data`
    /// is `bytes`, or a binary file-like object giving exactly `size`
    /// bytes, read piece by piece.
    #[pyo3(signature = (r#type, data, size=None))]
    fn write(
        &self,
        py: Python<'_>,
        r#type: &str,
        data: &Bound<'_, PyAny>,
        size: Option<u64>,
    ) -> PyResult<String> {
        self.check_open()?;
        let kind: packread::ObjectKind = r#type
            .parse()
            .map_err(|_| PyValueError::new_err(format!("not an object type: {type:?}")))?;
        let id = if let Ok(bytes) = data.cast::<PyBytes>() {
            let bytes = bytes.as_bytes().to_vec();
            py.detach(|| self.odb.write_object(kind, &bytes))
        } else {
            let size =
                size.ok_or_else(|| PyTypeError::new_err("writing from a stream needs its size"))?;
            let source = data.clone().unbind();
            py.detach(|| {
                let mut reader = PyReader(source);
                self.odb.write_object_from(kind, size, &mut reader)
            })
        };
        id.map(|id| id.to_hex()).map_err(to_py)
    }

    /// Whether the database holds the object.
    fn __contains__(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<bool> {
        let id = self.id(id)?;
        self.with_reader(py, |r| r.contains(&id))
    }

    /// The full id (hex) of the one object whose id starts with `hex` (a
    /// `str` or ASCII `bytes`).
    fn resolve_prefix(&self, py: Python<'_>, hex: &Bound<'_, PyAny>) -> PyResult<String> {
        let hex = crate::ids::text(hex)?;
        self.with_reader(py, move |r| r.resolve_prefix(&hex))
            .map(|id| id.to_hex())
    }

    /// Every object's id, each once: hex `str`s, or the raw `bytes` with
    /// `binary=True`.
    #[pyo3(signature = (*, binary=false))]
    fn ids<'py>(&self, py: Python<'py>, binary: bool) -> PyResult<Bound<'py, PyList>> {
        self.check_open()?;
        let all: Vec<ObjectId> = py
            .detach(|| self.odb.object_ids().collect::<Result<_, _>>())
            .map_err(to_py)?;
        if binary {
            PyList::new(py, all.iter().map(|id| PyBytes::new(py, id.as_bytes())))
        } else {
            PyList::new(py, all.iter().map(ObjectId::to_hex))
        }
    }

    /// Iterates over every object's id (hex), in id order, as the
    /// database lists them (lazily).
    fn __iter__(&self) -> PyResult<IdIter> {
        self.check_open()?;
        Ok(IdIter {
            ids: Mutex::new(self.odb.object_ids()),
        })
    }

    /// Every object once, in id order, as `git cat-file --batch-all-objects
    /// --batch-check='%(objectname) %(objecttype) %(objectsize)
    /// %(objectsize:disk)'` lists them: four lists (ids hex, type names,
    /// sizes, sizes on disk), read with the GIL released.
    #[allow(clippy::type_complexity)] // four columns
    fn object_columns(
        &self,
        py: Python<'_>,
    ) -> PyResult<(Vec<String>, Vec<&'static str>, Vec<u64>, Vec<u64>)> {
        self.check_open()?;
        py.detach(|| {
            let mut reader = self.odb.reader();
            let mut cols = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for id in self.odb.object_ids() {
                let id = id?;
                let info = reader.info(&id)?;
                cols.0.push(id.to_hex());
                cols.1.push(info.header.kind.as_str());
                cols.2.push(info.header.size);
                cols.3.push(info.disk.disk_size);
            }
            Ok(cols)
        })
        .map_err(to_py)
    }

    /// Every object once, in the order cheapest to read (each pack's delta
    /// trees base first on `threads` threads, then loose objects): an
    /// iterator of `(id, type, data)`, ids hex. The order is unspecified;
    /// the set is `git cat-file --batch-all-objects`'s. Objects are decoded
    /// ahead of the loop (at most 256 waiting); leaving the loop stops the
    /// walk.
    #[pyo3(signature = (*, threads=2))]
    fn iter_objects(&self, threads: usize) -> ObjectWalk {
        let (tx, rx) = std::sync::mpsc::sync_channel(256);
        let odb = self.odb.clone();
        std::thread::spawn(move || {
            let walked = odb
                .for_each_object(threads.max(1), |&Visited { id, kind, data, .. }| {
                    tx.send(Ok((*id, kind, data.to_vec()))).is_ok()
                });
            if let Err(e) = walked {
                let _ = tx.send(Err(e));
            }
        });
        ObjectWalk { rx: Mutex::new(rx) }
    }

    /// Picks up packs written or removed since the database was opened (as
    /// git does after a miss); returns git's warnings, if any, also issued
    /// as `PackreadWarning`s.
    fn refresh(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.check_open()?;
        let warnings = py.detach(|| self.odb.refresh()).map_err(to_py)?;
        warn(py, &warnings)?;
        Ok(warnings.iter().map(ToString::to_string).collect())
    }

    /// The database's hash: `"sha1"` or `"sha256"`.
    #[getter]
    fn hash(&self) -> &'static str {
        match self.odb.hash_kind() {
            packread::HashKind::Sha256 => "sha256",
            packread::HashKind::Sha1 => "sha1",
        }
    }

    /// The object directories read (the database's own, then alternates).
    #[getter]
    fn object_dirs(&self) -> Vec<std::path::PathBuf> {
        self.odb.object_dirs()
    }

    fn __repr__(&self) -> String {
        match self.odb.object_dirs().first() {
            Some(dir) => format!("<packread.Odb {}>", dir.display()),
            None => "<packread.Odb>".to_owned(),
        }
    }
}
