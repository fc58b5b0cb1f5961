//! Commits as GitPython's `Commit._deserialize` reads them, parsed here
//! so that `packread.gitpython.Repo.iter_commits` can hand out commits
//! whose fields are filled already.
//!
//! Only commits whose headers read the same in every GitPython version
//! are parsed here: `tree`, `parent`s, then `author` and `committer`
//! lines of git's own form (`name <email> seconds +hhmm`, one space
//! between the parts, no `<` or `>` in the name), no `encoding` header.
//! For any other, the id alone goes back, and GitPython reads the commit
//! itself when asked.

use std::sync::Mutex;

use packread::history::{ReadAhead, Walk};
use packread::{HashKind, ObjectId};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::errors::to_py;

/// An identity line's parts, as GitPython reads them.
struct Ident<'a> {
    name: &'a [u8],
    email: &'a [u8],
    time: i64,
    /// Seconds west of UTC (GitPython's `utctz_to_altz`).
    altz: i64,
}

/// What GitPython reads of a commit.
struct Fields<'a> {
    tree: &'a [u8],
    parents: Vec<&'a [u8]>,
    author: Ident<'a>,
    committer: Ident<'a>,
    gpgsig: Option<Vec<u8>>,
    message: &'a [u8],
}

/// Python's `bytes.readline()` over `data` from `*at`.
fn readline<'a>(data: &'a [u8], at: &mut usize) -> &'a [u8] {
    let rest = &data[*at..];
    let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
    *at += end;
    &rest[..end]
}

/// Python's `bytes.strip()`: ASCII whitespace off both ends.
fn strip(b: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |i| i + 1);
    &b[start..end]
}

/// `<keyword> <name> <<email>> <seconds> <+-hhmm>\n` in git's own form.
fn ident<'a>(line: &'a [u8], keyword: &[u8]) -> Option<Ident<'a>> {
    let rest = line.strip_prefix(keyword)?.strip_prefix(b" ")?;
    let rest = rest.strip_suffix(b"\n")?;
    let open = memchr::memchr(b'<', rest)?;
    let close = open + memchr::memchr(b'>', &rest[open..])?;
    let name = rest[..open].strip_suffix(b" ")?;
    let email = &rest[open + 1..close];
    let tail = rest[close + 1..].strip_prefix(b" ")?;
    let (seconds, zone) = tail.split_at(memchr::memchr(b' ', tail)?);
    let zone = &zone[1..];
    let plain = |b: &u8| !matches!(b, b'<' | b'>' | b'\n');
    let ascii_space = |b: &u8| b.is_ascii_whitespace();
    if name.is_empty()
        || !name.iter().all(plain)
        || ascii_space(&name[0])
        || ascii_space(&name[name.len() - 1])
        || !email.iter().all(plain)
        || seconds.is_empty()
        || seconds.len() > 18
        || !seconds.iter().all(u8::is_ascii_digit)
        || zone.len() != 5
        || !matches!(zone[0], b'+' | b'-')
        || !zone[1..].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let time = std::str::from_utf8(seconds).ok()?.parse().ok()?;
    let hhmm: i64 = std::str::from_utf8(&zone[1..]).ok()?.parse().ok()?;
    let west = (hhmm / 100) * 3600 + (hhmm % 100) * 60;
    // `int("-0000")` is 0, which GitPython takes for east.
    let altz = if zone[0] == b'-' && hhmm != 0 {
        west
    } else {
        -west
    };
    Some(Ident {
        name,
        email,
        time,
        altz,
    })
}

/// A `tree`/`parent` line's id, hex (`<keyword> <hex>\n`).
fn id_line<'a>(line: &'a [u8], keyword: &[u8], hex_len: usize) -> Option<&'a [u8]> {
    let hex = line
        .strip_prefix(keyword)?
        .strip_prefix(b" ")?
        .strip_suffix(b"\n")?;
    (hex.len() == hex_len && hex.iter().all(u8::is_ascii_hexdigit)).then_some(hex)
}

/// GitPython's `_deserialize`, for a commit of the form the module names.
fn fields(data: &[u8], hex_len: usize) -> Option<Fields<'_>> {
    let mut at = 0;
    let tree = id_line(readline(data, &mut at), b"tree", hex_len)?;
    let mut parents = Vec::new();
    let mut line = readline(data, &mut at);
    while line.starts_with(b"parent") {
        parents.push(id_line(line, b"parent", hex_len)?);
        line = readline(data, &mut at);
    }
    let author = ident(line, b"author")?;
    let committer = ident(readline(data, &mut at), b"committer")?;
    let headers_start = at;
    let mut next = readline(data, &mut at);
    while next.starts_with(b"mergetag ") {
        next = readline(data, &mut at);
        while next.starts_with(b" ") {
            next = readline(data, &mut at);
        }
    }
    let mut gpgsig = None;
    let mut buf = strip(next);
    while !buf.is_empty() {
        if buf.starts_with(b"gpgsig ") {
            let first = &buf[memchr::memchr(b' ', buf).map_or(0, |i| i + 1)..];
            let mut sig = first.to_vec();
            sig.push(b'\n');
            let mut next_header = None;
            loop {
                let s = readline(data, &mut at);
                if s.is_empty() {
                    break;
                }
                if s[0] != b' ' {
                    next_header = Some(strip(s));
                    break;
                }
                sig.extend_from_slice(&s[1..]);
            }
            while sig.last() == Some(&b'\n') {
                sig.pop();
            }
            gpgsig = Some(sig);
            if let Some(h) = next_header {
                buf = h;
                continue;
            }
        }
        buf = strip(readline(data, &mut at));
    }
    // An `encoding` header: GitPython versions read it differently.
    let headers = &data[headers_start..at];
    if headers
        .split(|&b| b == b'\n')
        .any(|l| l.starts_with(b"encoding"))
    {
        return None;
    }
    Some(Fields {
        tree,
        parents,
        author,
        committer,
        gpgsig,
        message: &data[at..],
    })
}

/// An id from a `tree`/`parent` line's hex (checked by `id_line`).
fn id_of(hex: &[u8]) -> Option<ObjectId> {
    ObjectId::from_hex(std::str::from_utf8(hex).ok()?)
}

/// What GitPython reads of a commit, its ids decoded.
struct Parsed<'a> {
    tree: ObjectId,
    parents: Vec<ObjectId>,
    author: Ident<'a>,
    committer: Ident<'a>,
    message: &'a [u8],
    gpgsig: Option<Vec<u8>>,
}

impl Parsed<'_> {
    fn of(data: &[u8], hex_len: usize) -> Option<Parsed<'_>> {
        let f = fields(data, hex_len)?;
        Some(Parsed {
            tree: id_of(f.tree)?,
            parents: f.parents.iter().map(|p| id_of(p)).collect::<Option<_>>()?,
            author: f.author,
            committer: f.committer,
            message: f.message,
            gpgsig: f.gpgsig,
        })
    }
}

/// The iterator `Repository.iter_gitpython` returns: lists of commits,
/// each `bytes` (the raw id of a commit GitPython should read itself)
/// or a tuple `(binsha, tree_binsha, parent_binshas, author_name,
/// author_email, authored_date, author_tz_offset, committer_name,
/// committer_email, committed_date, committer_tz_offset, message,
/// gpgsig)`, names, emails, message and signature as `bytes`. A thread
/// walks and reads ahead (the commits' ids and bytes) while Python parses
/// and builds its objects.
#[pyclass(module = "packread._packread", frozen)]
pub struct GitPythonCommits {
    read: Mutex<ReadAhead<Read>>,
    hex_len: usize,
}

/// A commit as the reading thread sends it: its id and bytes (`None`
/// where they could not be read: GitPython reads such a commit itself,
/// when it is used, and fails there as it would with git).
type Read = (ObjectId, Option<Vec<u8>>);

impl GitPythonCommits {
    pub fn new(mut walk: Walk, hash: HashKind) -> GitPythonCommits {
        walk.keep_commit_data();
        // The reading thread is the slower side: it only reads; each
        // commit is parsed once, here on the caller's.
        let read = ReadAhead::with_reads(walk, |c, data| Ok((c.id, data.ok())));
        GitPythonCommits {
            read: Mutex::new(read),
            hex_len: hash.len() * 2,
        }
    }
}

#[pymethods]
impl GitPythonCommits {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let chunk = py.detach(|| self.read.lock().ok()?.next_chunk());
        let items = match chunk {
            None => return Ok(None),
            Some(Err(e)) => return Err(to_py(e)),
            Some(Ok(items)) => items,
        };
        let list = PyList::empty(py);
        for (id, data) in items {
            match data.as_deref().and_then(|d| Parsed::of(d, self.hex_len)) {
                None => list.append(PyBytes::new(py, id.as_bytes()))?,
                Some(f) => {
                    let parents: Vec<Bound<'_, PyBytes>> = f
                        .parents
                        .iter()
                        .map(|p| PyBytes::new(py, p.as_bytes()))
                        .collect();
                    let sig = f.gpgsig.as_ref().map(|s| PyBytes::new(py, s));
                    let tuple = PyTuple::new(
                        py,
                        [
                            PyBytes::new(py, id.as_bytes()).into_any(),
                            PyBytes::new(py, f.tree.as_bytes()).into_any(),
                            PyTuple::new(py, parents)?.into_any(),
                            PyBytes::new(py, f.author.name).into_any(),
                            PyBytes::new(py, f.author.email).into_any(),
                            f.author.time.into_pyobject(py)?.into_any(),
                            f.author.altz.into_pyobject(py)?.into_any(),
                            PyBytes::new(py, f.committer.name).into_any(),
                            PyBytes::new(py, f.committer.email).into_any(),
                            f.committer.time.into_pyobject(py)?.into_any(),
                            f.committer.altz.into_pyobject(py)?.into_any(),
                            PyBytes::new(py, f.message).into_any(),
                            sig.map_or_else(|| py.None().into_bound(py), Bound::into_any),
                        ],
                    )?;
                    list.append(tuple)?;
                }
            }
        }
        Ok(Some(list))
    }
}
