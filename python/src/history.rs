//! History for Python: `Repository.iter_commits` (a lazy walk yielding
//! `Commit`s), `count`, `merge_base`, `is_ancestor` and `diff_tree`, each
//! run with the GIL released.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use packread::attributes::{Attributes, Sources};
use packread::diff::{
    DiffConfig, LineCounters, LineStat, Pathspec, TreeCache, TreeDiffOptions, line_stats,
};
use packread::history::{
    Ancestry, CommitFilter, Order, PatternSyntax, ReadAhead, Walk, WalkOptions,
};
use packread::object::commit;
use packread::{HashKind, ObjectId, Reader};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

use crate::errors::to_py;

/// A person and a moment: `name`, `email`, `time` (seconds since the
/// epoch) and `tz_offset` (the zone, minutes east of UTC: `+0200` is 120).
#[pyclass(module = "packread._packread", frozen, get_all, eq)]
#[derive(PartialEq, Eq)]
pub struct Signature {
    /// The name (UTF-8, undecodable bytes replaced).
    name: String,
    /// The email, without its angle brackets.
    email: String,
    /// Seconds since the epoch.
    time: i64,
    /// Minutes east of UTC.
    tz_offset: i32,
}

#[pymethods]
impl Signature {
    fn __repr__(&self) -> String {
        format!(
            "<packread.Signature {:?} <{}> {} {:+03}{:02}>",
            self.name,
            self.email,
            self.time,
            self.tz_offset / 60,
            (self.tz_offset % 60).abs()
        )
    }
}

/// A commit as a walk hands it over: `id`, `tree`, `parents` (hex, as
/// the commit lists them), `author`, `committer` ([`Signature`]s),
/// `message` (decoded with the commit's `encoding`, UTF-8 without one,
/// undecodable bytes replaced), `raw_message` (the bytes) and `encoding`
/// (the header's value, or `None`).
#[pyclass(module = "packread._packread", frozen, get_all)]
pub struct Commit {
    id: String,
    tree: String,
    parents: Py<PyTuple>,
    author: Py<Signature>,
    committer: Py<Signature>,
    message: Py<PyString>,
    raw_message: Py<PyBytes>,
    encoding: Option<String>,
}

#[pymethods]
impl Commit {
    fn __repr__(&self) -> String {
        format!("<packread.Commit {}>", self.id)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Commit>().is_ok_and(|o| o.get().id == self.id)
    }

    fn __hash__(&self) -> u64 {
        crate::ids::hash_of_hex(&self.id)
    }
}

/// A commit's fields, owned, read with the GIL released.
pub struct Parsed {
    id: ObjectId,
    tree: ObjectId,
    parents: Vec<ObjectId>,
    author: Person,
    committer: Person,
    encoding: Option<String>,
    message: Vec<u8>,
}

struct Person {
    name: Vec<u8>,
    email: Vec<u8>,
    time: i64,
    tz_offset: i32,
}

impl Person {
    fn from(sig: Option<commit::Signature<'_>>) -> Person {
        match sig {
            Some(s) => Person {
                name: s.name.to_vec(),
                email: s.email.to_vec(),
                time: s.time,
                tz_offset: s.zone_minutes,
            },
            None => Person {
                name: Vec::new(),
                email: Vec::new(),
                time: 0,
                tz_offset: 0,
            },
        }
    }

    fn to_py(&self, py: Python<'_>) -> PyResult<Py<Signature>> {
        Py::new(
            py,
            Signature {
                name: String::from_utf8_lossy(&self.name).into_owned(),
                email: String::from_utf8_lossy(&self.email).into_owned(),
                time: self.time,
                tz_offset: self.tz_offset,
            },
        )
    }
}

fn parse(id: ObjectId, data: &[u8], hash: HashKind) -> Result<Parsed, packread::Error> {
    let c = commit::Commit::parse(data, hash).map_err(|_| packread::Error::MalformedCommit(id))?;
    Ok(Parsed {
        id,
        tree: c.tree,
        parents: c.parents.clone(),
        author: Person::from(c.author),
        committer: Person::from(c.committer),
        encoding: c.encoding.map(|e| String::from_utf8_lossy(e).into_owned()),
        message: c.message.to_vec(),
    })
}

/// `raw` decoded as `encoding` names it (Python's codecs), UTF-8 if it
/// names none Python knows; undecodable bytes replaced.
fn decode<'py>(
    py: Python<'py>,
    raw: &Bound<'py, PyBytes>,
    encoding: Option<&str>,
) -> Bound<'py, PyString> {
    if let Some(enc) = encoding
        && let Ok(s) = raw.call_method1("decode", (enc, "replace"))
        && let Ok(s) = s.cast_into::<PyString>()
    {
        return s;
    }
    PyString::new(py, &String::from_utf8_lossy(raw.as_bytes()))
}

impl Parsed {
    fn into_py(self, py: Python<'_>) -> PyResult<Commit> {
        let raw = PyBytes::new(py, &self.message);
        let message = decode(py, &raw, self.encoding.as_deref());
        let parents: Vec<String> = self.parents.iter().map(ObjectId::to_hex).collect();
        Ok(Commit {
            id: self.id.to_hex(),
            tree: self.tree.to_hex(),
            parents: PyTuple::new(py, parents)?.unbind(),
            author: self.author.to_py(py)?,
            committer: self.committer.to_py(py)?,
            message: message.unbind(),
            raw_message: raw.unbind(),
            encoding: self.encoding,
        })
    }
}

/// The iterator `Repository.iter_commits` returns: commits as the walk
/// hands them over, read ahead by a thread.
#[pyclass(module = "packread._packread", frozen)]
pub struct CommitIter {
    read: Mutex<ReadAhead<Parsed>>,
    /// Commits received and not handed over yet.
    ready: Mutex<std::collections::VecDeque<Parsed>>,
}

#[pymethods]
impl CommitIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Commit>> {
        let mut ready = self
            .ready
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if ready.is_empty() {
            match py.detach(|| self.read.lock().ok()?.next_chunk()) {
                None => return Ok(None),
                Some(Err(e)) => return Err(to_py(e)),
                Some(Ok(chunk)) => ready.extend(chunk),
            }
        }
        match ready.pop_front() {
            Some(parsed) => parsed.into_py(py).map(Some),
            None => Ok(None),
        }
    }
}

/// The iterator `Repository.rev_list_lines` returns: `git rev-list`'s
/// output (`<id>\n`, or `<id> <parents>\n`), in `bytes` of many lines.
/// A failure of the walk is raised after the lines before it.
#[pyclass(module = "packread._packread", frozen)]
pub struct LineIter {
    state: Mutex<Lines>,
}

/// What a [`LineIter`] has left: its walk, or the error that ended it
/// (raised once the lines before it are handed over).
struct Lines {
    walk: Option<Walk>,
    failed: Option<packread::Error>,
}

/// Lines a [`LineIter`] hands over at once.
const LINES_PER_CHUNK: usize = 512;

#[pymethods]
impl LineIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        self.take(py, LINES_PER_CHUNK)
    }

    /// All the lines left, in one `bytes` (`b""` at the end): what reading
    /// the whole output wants, without a chunk per 512 lines to join. A
    /// failure after some lines is raised by the next call, as `__next__`
    /// raises it.
    fn rest<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(self
            .take(py, usize::MAX)?
            .unwrap_or_else(|| PyBytes::new(py, b"")))
    }
}

impl LineIter {
    /// Up to `max` more lines, the GIL released while walking; `None` at
    /// the end.
    fn take<'py>(&self, py: Python<'py>, max: usize) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let chunk = py.detach(|| {
            let mut guard = self.state.lock().ok()?;
            let lines = &mut *guard;
            if let Some(e) = lines.failed.take() {
                return Some(Err(e));
            }
            let walk = lines.walk.as_mut()?;
            // A line is 41 bytes (65 with SHA-256), more with parents.
            let mut out = Vec::with_capacity(max.min(LINES_PER_CHUNK) * 41);
            let mut hex = [0u8; 64];
            for _ in 0..max {
                match walk.next() {
                    Some(Ok(c)) => {
                        out.extend_from_slice(c.id.hex_into(&mut hex));
                        for p in &c.parents {
                            out.push(b' ');
                            out.extend_from_slice(p.hex_into(&mut hex));
                        }
                        out.push(b'\n');
                    }
                    Some(Err(e)) => {
                        lines.walk = None;
                        if out.is_empty() {
                            return Some(Err(e));
                        }
                        lines.failed = Some(e);
                        break;
                    }
                    None => {
                        lines.walk = None;
                        break;
                    }
                }
            }
            (!out.is_empty()).then_some(Ok(out))
        });
        match chunk {
            None => Ok(None),
            Some(Ok(bytes)) => Ok(Some(PyBytes::new(py, &bytes))),
            Some(Err(e)) => Err(to_py(e)),
        }
    }
}

/// `rev_list_lines`: the walk, wrapped for Python.
pub fn line_iter(mut walk: Walk, parents: bool) -> LineIter {
    if !parents {
        walk.without_parent_ids();
    }
    LineIter {
        state: Mutex::new(Lines {
            walk: Some(walk),
            failed: None,
        }),
    }
}

/// The revision arguments `rev` names: `None` is `HEAD`, a `str` one
/// argument (`"main"`, `"A..B"`, `"--all"`), a sequence several.
fn revisions(rev: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(rev) = rev.filter(|r| !r.is_none()) else {
        return Ok(vec!["HEAD".to_owned()]);
    };
    if let Ok(s) = rev.extract::<String>() {
        return Ok(vec![s]);
    }
    rev.extract::<Vec<String>>()
        .map_err(|_| PyTypeError::new_err("rev: a str, or a sequence of str"))
}

/// The paths `paths` names: `None`, a `str` (one path) or a sequence.
pub fn path_list(paths: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(paths) = paths.filter(|p| !p.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(s) = paths.extract::<String>() {
        return Ok(if s.is_empty() { Vec::new() } else { vec![s] });
    }
    paths
        .extract::<Vec<String>>()
        .map_err(|_| PyTypeError::new_err("paths: a str, or a sequence of str"))
}

/// A pathspec of `paths`, from the top of the work tree.
pub fn pathspec(paths: &[String]) -> PyResult<Pathspec> {
    Pathspec::new(paths, "")
        .map_err(|e| PyValueError::new_err(format!("'{}' is outside repository", e.0)))
}

/// A date as `since`/`until` take it: seconds since the epoch (`int` or
/// `float`), a `datetime`, or a `str` as git reads it (`"2 weeks ago"`,
/// `"2024-01-31"`).
fn date(value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if let Ok(s) = value.extract::<String>() {
        let now = jiff::Timestamp::now().as_second();
        let tz = jiff::tz::TimeZone::system();
        return Ok(u64::try_from(packread::history::approxidate(&s, now, &tz)).unwrap_or(0));
    }
    let seconds: f64 = if value.hasattr("timestamp")? {
        value.call_method0("timestamp")?.extract()?
    } else {
        value
            .extract()
            .map_err(|_| PyTypeError::new_err("a date: int, float, datetime or str"))?
    };
    // git's dates before the epoch are 0 (its `unsigned long` timestamps);
    // fractions of a second are dropped.
    let whole = seconds.trunc();
    Ok(if (1.0..1.8e19).contains(&whole) {
        format!("{whole:.0}").parse().unwrap_or(0)
    } else {
        0
    })
}

/// Pattern options of the text filter: `author`, `committer`, `grep`
/// (each a `str` or a sequence of them).
fn patterns(value: Option<Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    path_list(value.as_ref())
}

/// Walk options from keyword arguments (`rev-list`'s long options, with
/// `_` for `-`), refusing any other.
pub fn walk_options(
    options: Option<&Bound<'_, PyDict>>,
    paths: &[String],
) -> PyResult<(WalkOptions, bool)> {
    let mut opts = WalkOptions {
        paths: pathspec(paths)?,
        ..WalkOptions::default()
    };
    let mut all = false;
    let (mut authors, mut committers, mut greps) = (Vec::new(), Vec::new(), Vec::new());
    let (mut syntax, mut ignore_case, mut all_match, mut invert) =
        (PatternSyntax::Basic, false, false, false);
    if let Some(options) = options {
        for (key, value) in options.iter() {
            let key: String = key.extract()?;
            let flag = || value.is_truthy();
            let count = || -> PyResult<Option<usize>> {
                if value.is_none() {
                    return Ok(None);
                }
                let n: i64 = value.extract()?;
                Ok(usize::try_from(n).ok())
            };
            match key.as_str() {
                "max_count" => opts.max_count = count()?,
                "skip" => opts.skip = count()?.unwrap_or(0),
                "since" | "after" | "max_age" => {
                    opts.max_age = (!value.is_none()).then(|| date(&value)).transpose()?;
                }
                "until" | "before" | "min_age" => {
                    opts.min_age = (!value.is_none()).then(|| date(&value)).transpose()?;
                }
                "first_parent" => opts.first_parent = flag()?,
                "topo_order" | "date_order" | "author_date_order" => {
                    if flag()? {
                        opts.order = match key.as_str() {
                            "topo_order" => Order::Topo,
                            "date_order" => Order::CommitDate,
                            _ => Order::AuthorDate,
                        };
                    }
                }
                "reverse" => opts.reverse = flag()?,
                "no_walk" => opts.no_walk = flag()?.then_some(true),
                "left_only" | "right_only" => {
                    if flag()? {
                        opts.only_side = Some(key == "left_only");
                    }
                }
                "all" => all = flag()?,
                "merges" | "no_merges" => {
                    if flag()? && key == "merges" {
                        opts.min_parents = 2;
                    } else if flag()? {
                        opts.max_parents = Some(1);
                    }
                }
                "min_parents" => opts.min_parents = count()?.unwrap_or(0),
                "max_parents" => opts.max_parents = count()?,
                "full_history" => opts.full_history = flag()?,
                "parents" => opts.rewrite_parents = flag()?,
                "author" => authors = patterns(Some(value))?,
                "committer" => committers = patterns(Some(value))?,
                "grep" => greps = patterns(Some(value))?,
                "regexp_ignore_case" | "ignore_case" => ignore_case = flag()?,
                "extended_regexp" | "fixed_strings" => {
                    if flag()? {
                        syntax = if key == "fixed_strings" {
                            PatternSyntax::Fixed
                        } else {
                            PatternSyntax::Extended
                        };
                    }
                }
                "all_match" => all_match = flag()?,
                "invert_grep" => invert = flag()?,
                other => {
                    return Err(PyTypeError::new_err(format!(
                        "unexpected keyword argument '{other}'"
                    )));
                }
            }
        }
    }
    if !(authors.is_empty() && committers.is_empty() && greps.is_empty()) {
        fn s(v: &[String]) -> Vec<&str> {
            v.iter().map(String::as_str).collect()
        }
        let filter = CommitFilter::new(
            &s(&authors),
            &s(&committers),
            &s(&greps),
            syntax,
            ignore_case,
            all_match,
        )
        .map_err(|e| PyValueError::new_err(format!("bad pattern {:?}: {}", e.pattern, e.reason)))?;
        opts.filter = Some(if invert { filter.inverted() } else { filter });
    }
    Ok((opts, all))
}

impl crate::repository::Repository {
    /// A walk of `rev` with `options`, its starting points pushed.
    pub fn start_walk(
        &self,
        rev: Option<&Bound<'_, PyAny>>,
        paths: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Walk> {
        let paths = path_list(paths)?;
        let (opts, all) = walk_options(options, &paths)?;
        let mut args = if all && rev.is_none_or(PyAnyMethods::is_none) {
            Vec::new()
        } else {
            revisions(rev)?
        };
        if all {
            args.push("--all".to_owned());
        }
        let repo = self.repo();
        let mut walk = Walk::new(repo, opts);
        walk.push_revisions(repo, &args).map_err(to_py)?;
        Ok(walk)
    }
}

/// `iter_commits`: the walk, wrapped for Python.
pub fn commit_iter(mut walk: Walk, hash: HashKind) -> CommitIter {
    // Each commit's bytes are wanted: those parsed on the way are kept.
    walk.keep_commit_data();
    // A shallow repository's boundary commits have no parents, as git has it.
    let shallow = Arc::clone(walk.shallow());
    CommitIter {
        read: Mutex::new(ReadAhead::new(walk, move |c, data| {
            let mut parsed = parse(c.id, &data, hash)?;
            if shallow.contains(&c.id) {
                parsed.parents.clear();
            }
            Ok(parsed)
        })),
        ready: Mutex::new(std::collections::VecDeque::new()),
    }
}

/// The number of commits `walk` selects.
pub fn count(py: Python<'_>, mut walk: Walk) -> PyResult<usize> {
    py.detach(|| {
        walk.count_sides()
            .map(|(left, right)| (left + right) as usize)
    })
    .map_err(to_py)
}

/// `git merge-base [--all] revs...` over `ancestry` (whose parsed commits
/// later calls reuse): hex ids, newest first.
pub fn merge_base(
    ancestry: &mut Ancestry,
    revs: &[ObjectId],
    all: bool,
) -> Result<Vec<String>, packread::Error> {
    let (one, others) = revs.split_first().expect("checked by the caller");
    let mut bases = ancestry.merge_bases(*one, others)?;
    if !all {
        bases.truncate(1);
    }
    Ok(bases.iter().map(ObjectId::to_hex).collect())
}

/// What `diff_tree` keeps between calls: a reader (its delta-base cache)
/// and the trees read last (a commit's are its child's parent trees).
pub struct DiffState {
    reader: Reader,
    trees: TreeCache,
    /// A second reader, for counting lines on a second thread, and the
    /// files each thread read last: a version between two commits is
    /// counted for both (GitPython's `stats` along history).
    counters: LineCounters,
    /// git's automatic abbreviation length, once counted.
    abbrev: Option<usize>,
    /// The last results, with what they were computed from.
    recent: std::collections::VecDeque<Recent>,
}

/// A diff's question: the trees, the paths, what was asked.
#[derive(Clone, PartialEq, Eq)]
struct DiffKey {
    old: Option<ObjectId>,
    new: ObjectId,
    paths: Vec<String>,
    numstat: bool,
    abbrev: bool,
}

/// What a file was when a result was computed (`None`: absent).
type FileStamp = Option<(std::time::SystemTime, u64)>;

fn stamp_of(path: &std::path::Path) -> FileStamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// A result kept for the same question (GitPython asks `Commit.stats`
/// anew on each access): valid while the files it was read from (the
/// repository's config, the attribute files that could apply) are
/// unchanged.
struct Recent {
    key: DiffKey,
    files: Vec<(PathBuf, FileStamp)>,
    diffed: Diffed,
}

/// Results kept.
const RECENT: usize = 8;

impl DiffState {
    pub fn new(repo: &packread::Repository) -> DiffState {
        let mut reader = repo.odb().reader();
        // Commits are diffed in history order: their trees share chains.
        reader.keep_tree_bases(usize::MAX);
        DiffState {
            reader,
            trees: TreeCache::new(TREE_CACHE_BYTES),
            counters: LineCounters::new(repo.odb().reader(), BLOB_CACHE_BYTES),
            abbrev: None,
            recent: std::collections::VecDeque::new(),
        }
    }
}

/// The trees `diff_tree` keeps for its next calls.
const TREE_CACHE_BYTES: usize = 8 << 20;

/// The bytes of files each reader of `diff_tree` keeps for its next calls.
const BLOB_CACHE_BYTES: usize = 2 << 20;

/// One path a tree diff found changed: `path`, `status` (`"A"`, `"D"`,
/// `"M"`, `"T"`), `old_mode`/`new_mode` (0 for none), `old_id`/`new_id`
/// (hex, abbreviated with `abbrev`; zeros for none), and with `numstat`
/// the lines `added` and
/// `deleted` (`None` for a binary file, as git prints `-`).
#[pyclass(module = "packread._packread", frozen, get_all)]
pub struct FileChange {
    path: String,
    status: String,
    old_mode: u32,
    new_mode: u32,
    old_id: String,
    new_id: String,
    added: Option<u64>,
    deleted: Option<u64>,
}

#[pymethods]
impl FileChange {
    fn __repr__(&self) -> String {
        format!("<packread.FileChange {} {}>", self.status, self.path)
    }
}

/// A change and its lines added and deleted (`None`: binary, or not
/// counted).
type Counted = (packread::diff::Change, Option<(u64, u64)>);

/// What `diff_tree` computes, owned: changes and their line counts.
#[derive(Clone)]
pub struct Diffed {
    changes: Vec<Counted>,
    /// With `abbrev`, each change's ids abbreviated.
    short: Vec<(String, String)>,
    hash: HashKind,
}

/// `git diff-tree -r [--numstat] old new -- paths`: `old` `None` for the
/// empty tree; files classed for line counts by the attributes of
/// `work_tree` and the repository's settings, as git classes them.
#[allow(clippy::too_many_arguments)] // the diff's own parameters
pub fn diff_tree(
    repo: &packread::Repository,
    state: &mut DiffState,
    work_tree: Option<&std::path::Path>,
    old: Option<ObjectId>,
    new: ObjectId,
    (paths, pathspec): (&[String], Pathspec),
    numstat: bool,
    abbrev: bool,
) -> Result<Diffed, packread::Error> {
    let key = DiffKey {
        old,
        new,
        paths: paths.to_vec(),
        numstat,
        abbrev,
    };
    if let Some(hit) = state.recent.iter().find(|r| r.key == key)
        && hit.files.iter().all(|(f, st)| stamp_of(f) == *st)
    {
        return Ok(hit.diffed.clone());
    }
    let common = repo.refs().common_dir();
    let sources = Sources::for_repository(common, work_tree.map(Into::into));
    let diffed = compute(repo, state, &sources, &key, pathspec)?;
    // The files the result depends on: the config, and every attribute
    // file that could apply to a changed path.
    let mut files = vec![common.join("config")];
    files.extend(sources.info.clone());
    files.extend(sources.global.clone());
    if let Some(top) = work_tree {
        let mut dirs = std::collections::BTreeSet::new();
        dirs.insert(String::new());
        for (c, _) in &diffed.changes {
            let path = String::from_utf8_lossy(&c.path);
            for (i, _) in path.match_indices('/') {
                dirs.insert(path[..i].to_owned());
            }
        }
        files.extend(dirs.iter().map(|d| top.join(d).join(".gitattributes")));
    }
    let files = files.into_iter().map(|f| {
        let st = stamp_of(&f);
        (f, st)
    });
    if state.recent.len() == RECENT {
        state.recent.pop_front();
    }
    state.recent.push_back(Recent {
        key,
        files: files.collect(),
        diffed: diffed.clone(),
    });
    Ok(diffed)
}

fn compute(
    repo: &packread::Repository,
    state: &mut DiffState,
    sources: &Sources,
    key: &DiffKey,
    pathspec: Pathspec,
) -> Result<Diffed, packread::Error> {
    let (old, new, numstat, abbrev) = (key.old, key.new, key.numstat, key.abbrev);
    let DiffState {
        reader,
        trees,
        counters,
        abbrev: abbrev_len,
        ..
    } = state;
    let options = TreeDiffOptions {
        recursive: true,
        pathspec,
        ..TreeDiffOptions::default()
    };
    let mut found = Vec::new();
    // The visitor never stops the diff early.
    let _: ControlFlow<()> = packread::diff::diff_trees_cached(
        reader,
        trees,
        old.as_ref(),
        Some(&new),
        &options,
        &mut |c| {
            found.push(c);
            ControlFlow::Continue(())
        },
    )?;
    // Attributes and settings are read only where lines are counted.
    let lines = if numstat {
        let mut attributes = Attributes::new(sources.clone());
        let config = DiffConfig::read(repo.refs().common_dir());
        let classed: Vec<_> = found
            .iter()
            .map(|c| config.classing(&mut attributes, &c.path))
            .collect();
        line_stats(
            reader,
            counters,
            &found,
            &classed,
            config.big_file_threshold,
        )?
        .into_iter()
        .map(|stat| match stat {
            LineStat::Text { added, removed } => Some((added, removed)),
            LineStat::Binary => None,
        })
        .collect()
    } else {
        vec![None; found.len()]
    };
    let changes: Vec<Counted> = found.into_iter().zip(lines).collect();
    // git's `--raw` ids, abbreviated as `git diff` shows them.
    let mut short = Vec::new();
    if abbrev {
        let min = *abbrev_len
            .get_or_insert_with(|| packread::auto_abbrev(repo.odb().approximate_object_count()));
        for (c, _) in &changes {
            let mut side = |s: Option<&packread::diff::Side>| -> Result<String, packread::Error> {
                match s {
                    Some(s) => reader.abbreviate(&s.id, min),
                    None => Ok("0".repeat(min)),
                }
            };
            short.push((side(c.old.as_ref())?, side(c.new.as_ref())?));
        }
    }
    Ok(Diffed {
        changes,
        short,
        hash: repo.odb().hash_kind(),
    })
}

impl Diffed {
    pub fn into_py(self, py: Python<'_>) -> PyResult<Vec<Py<FileChange>>> {
        let zero = "0".repeat(self.hash.len() * 2);
        let mut short = self.short.into_iter();
        self.changes
            .into_iter()
            .map(|(c, lines)| {
                let side = |s: Option<&packread::diff::Side>| {
                    s.map_or((0, zero.clone()), |s| (s.mode, s.id.to_hex()))
                };
                let (old_mode, mut old_id) = side(c.old.as_ref());
                let (new_mode, mut new_id) = side(c.new.as_ref());
                if let Some((old, new)) = short.next() {
                    (old_id, new_id) = (old, new);
                }
                Py::new(
                    py,
                    FileChange {
                        path: String::from_utf8_lossy(&c.path).into_owned(),
                        status: c.status().letter().to_string(),
                        old_mode,
                        new_mode,
                        old_id,
                        new_id,
                        added: lines.map(|l| l.0),
                        deleted: lines.map(|l| l.1),
                    },
                )
            })
            .collect()
    }
}
