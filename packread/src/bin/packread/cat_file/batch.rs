//! The batch modes: `--batch`, `--batch-check` and `--batch-all-objects`.
//!
//! A [`Feeder`] (one thread) turns stdin's lines, or the database's list of
//! objects, into [`Job`]s; [`Renderer`]s (one per core) turn jobs into
//! output bytes; the [`Output`] writes them in input order.

use std::io::{self, BufRead, BufWriter, IsTerminal, StdoutLock, Write};
use std::sync::Arc;

use packread::pack::SharedBases;
use packread::{Location, ObjectId, ObjectKind, Odb, Reader};

use super::{Batch, BatchOptions};
use crate::ambiguous;
use crate::context::Context;
use crate::damage;
use crate::loose_replay::{Fail, LooseFile, Want};

use super::replayed;
use super::transform::Transform;
use crate::format::Facts;
use crate::names::{Followed, Resolved, resolve, resolve_following_symlinks};
use crate::pipeline::{self, Consumer, Jobs};
use crate::progress::Progress;
use crate::{Exit, Global};

/// Jobs in flight per worker: enough to keep every core busy past a slow
/// object, few enough to keep finished output from piling up in memory.
const WINDOW_PER_THREAD: usize = 4;

/// With contents, a run of `--unordered` also ends once its objects make
/// this many bytes: in pack order the versions of a big file come together,
/// and 64 of them would hold hundreds of megabytes of output at once.
const RUN_BYTES: u64 = 8 << 20;

/// Objects per job: few handoffs between threads, and for contents little
/// finished output waiting in memory.
fn run_len(kind: Batch) -> usize {
    if kind == Batch::Check { 1024 } else { 64 }
}

/// Runs a batch mode on `odb`.
pub(super) fn run(global: &Global, cx: &Arc<Context>, opts: &BatchOptions) -> Result<i32, Exit> {
    let odb = &cx.odb;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    // The feeder's reader may hold three windows (the multi-pack-index's
    // and two of a pack), each worker's two: all must
    // fit the handle limit. Where they don't, one worker does the lookups
    // itself, in input order, and the feeder holds no window.
    let room = odb.manager().max_file_handles().saturating_sub(3) / 2;
    let threads = cores.min(room).max(1);
    let feeder = Feeder::new(cx, opts, room >= 2);
    let stdout = io::stdout();
    let spare = Spare::new(threads + 1);
    // Workers share the whole objects under chains (each inflated a sixth
    // more of them than one worker alone), up to half the budget besides
    // their own caches: a base both hold is one buffer. 20,000 random
    // reads on two CPUs: cargo 0.199 -> 0.183 s, tokio 0.251 -> 0.229 s,
    // rust-analyzer 0.258 -> 0.247 s, git.git 0.359 -> 0.347 s; peak RSS
    // lower (cargo 181 -> 171 MB; every object in id order 218 -> 202 MB,
    // as fast). Own caches of half their size made the id order slower.
    let budget = global.delta_cache_budget();
    let bases = (threads > 1).then(|| SharedBases::new(budget / 2));
    let mut output = Output {
        spare: &spare,
        out: BufWriter::with_capacity(1 << 16, stdout.lock()),
        buffer: opts.buffer,
        progress: Progress::new(
            "Reading object runs",
            0,
            opts.all && io::stderr().is_terminal(),
        ),
    };
    let result = pipeline::ordered(
        move |jobs| feeder.run(jobs),
        threads,
        WINDOW_PER_THREAD * threads,
        || Renderer::new(cx, opts, budget / threads, bases.as_ref(), &spare),
        Renderer::render,
        &mut output,
    );
    // What was answered before a failure is written out before the failure
    // is reported.
    let flushed = output.out.flush();
    result?;
    flushed?;
    output.progress.finish();
    Ok(0)
}

/// Reads stdin records: lines (CR stripped) or NUL-terminated, each with
/// whether more input is already buffered (so reading on won't wait). With
/// `keep_nul`, a record keeps its terminating NUL (git's `--batch-command`
/// strips nothing under `-z`: an empty record is one NUL long).
fn records(nul: bool, keep_nul: bool) -> impl Iterator<Item = io::Result<(Vec<u8>, bool)>> {
    let mut input = io::BufReader::with_capacity(1 << 16, io::stdin());
    std::iter::from_fn(move || {
        let mut buf = Vec::new();
        match input.read_until(if nul { 0 } else { b'\n' }, &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                if nul {
                    if buf.last() == Some(&0) && !keep_nul {
                        buf.pop();
                    }
                } else {
                    if buf.last() == Some(&b'\n') {
                        buf.pop();
                    }
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                }
                Some(Ok((buf, !input.buffer().is_empty())))
            }
            Err(e) => Some(Err(e)),
        }
    })
}

/// One answer. Names are resolved and objects found in input order (by the
/// feeder, or by the only worker), so that git's most-recently-used pack
/// order gives the same answers as git's.
pub(super) enum Piece {
    /// A status line (`<name> missing`), which ignores the format.
    Status(Vec<u8>, &'static str),
    /// Where `--follow-symlinks` ended outside an object: `dangling`,
    /// `loop`, `notdir` (with the name) or `symlink` (with the path
    /// outside), shown as `<what> <length>\n<text>\n`.
    Link(&'static str, Vec<u8>),
    /// An object to show, with where it is stored, its `%(rest)` and the
    /// name it was asked by (for `<name> missing` if it can't be read).
    Object(ObjectId, Location, Vec<u8>, Option<Vec<u8>>),
    /// An input line for the worker to resolve (whether `%(rest)` is split off).
    Line(Vec<u8>, bool),
    /// An object for the worker to find.
    Id(ObjectId),
    /// A `--batch-command` answer: with the contents (`contents`) or not
    /// (`info`).
    Command(bool, Box<Piece>),
}

/// One unit of batch work.
pub(super) enum Job {
    /// Answers in input order.
    Pieces(Vec<Piece>),
    /// The objects at index positions `start..end` of the database's only
    /// pack (`--batch-all-objects`: the workers look them up, not the feeder).
    Positions(u32, u32),
    /// The feeder failed: the fatal message.
    Failed(String),
    /// `flush` of `--batch-command --buffer`: write out what was answered.
    Flush,
}

/// Splits an input line into the name and `%(rest)` as git does: the line
/// is a C string (it ends at a NUL), and when the format uses `%(rest)` it
/// is split at the first space or tab, the whole run of spaces and tabs cut
/// out, and the rest kept verbatim (trailing blanks too). Other whitespace
/// (CR, VT, FF) separates nothing.
fn split_rest(line: &[u8], split: bool) -> (&[u8], &[u8]) {
    let line = &line[..memchr::memchr(0, line).unwrap_or(line.len())];
    let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
    if !split {
        return (line, &[]);
    }
    let Some(end) = line.iter().position(is_blank) else {
        return (line, &[]);
    };
    let skip = line[end..].iter().take_while(|b| is_blank(b)).count();
    (&line[..end], &line[end + skip..])
}

/// The answer for one input line, looked up through `reader`.
fn named_piece(
    cx: &Context,
    reader: &mut Reader,
    line: &[u8],
    split: bool,
    follow: bool,
) -> Result<Piece, packread::Error> {
    let (name, rest) = split_rest(line, split);
    let Ok(text) = std::str::from_utf8(name) else {
        return Ok(Piece::Status(name.to_vec(), "missing"));
    };
    let resolved = if follow {
        match resolve_following_symlinks(cx, reader, text)? {
            Followed::Resolved(r) => r,
            Followed::Link(word, shown) => return Ok(Piece::Link(word, shown)),
        }
    } else {
        resolve(cx, reader, text)?
    };
    // A prefix no object has made git scan the directories again.
    cx.report_warnings(reader.take_refresh_warnings());
    let id = match resolved {
        Resolved::Id(id) => id,
        Resolved::Ambiguous => {
            // git reports the candidates on stderr and goes on.
            let report = ambiguous::report(reader, text)?.join("\n");
            eprintln!("{report}");
            return Ok(Piece::Status(name.to_vec(), "ambiguous"));
        }
        Resolved::Invalid | Resolved::NoSuchPath(_) => {
            return Ok(Piece::Status(name.to_vec(), "missing"));
        }
    };
    let found = reader.locate(&id)?;
    // A miss made git scan the directories again, reporting the alternates.
    cx.report_warnings(reader.take_refresh_warnings());
    Ok(match found {
        Some(loc) => Piece::Object(id, loc, rest.to_vec(), Some(name.to_vec())),
        None => Piece::Status(name.to_vec(), "missing"),
    })
}

/// One `--batch-command` record.
enum Command<'a> {
    Contents(&'a [u8]),
    Info(&'a [u8]),
    Flush,
}

/// Parses a `--batch-command` record as git does (prefix matching in the
/// order `contents`, `info`, `flush`); the error is git's fatal message.
fn parse_command(line: &[u8]) -> Result<Command<'_>, String> {
    let shown = || {
        String::from_utf8_lossy(&line[..memchr::memchr(0, line).unwrap_or(line.len())]).into_owned()
    };
    let Some(&first) = line.first() else {
        return Err("empty command in input".into());
    };
    if matches!(first, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        return Err(format!("whitespace before command: '{}'", shown()));
    }
    for (word, info) in [(&b"contents"[..], false), (&b"info"[..], true)] {
        if let Some(rest) = line.strip_prefix(word) {
            let name = rest
                .strip_prefix(b" ")
                .ok_or_else(|| format!("{} requires arguments", String::from_utf8_lossy(word)))?;
            return Ok(if info {
                Command::Info(name)
            } else {
                Command::Contents(name)
            });
        }
    }
    if let Some(rest) = line.strip_prefix(b"flush") {
        // The record is a C string: it ends at a NUL.
        return if rest.first().is_none_or(|&b| b == 0) {
            Ok(Command::Flush)
        } else {
            Err("flush takes no arguments".into())
        };
    }
    Err(format!("unknown command: '{}'", shown()))
}

/// Why the feeder stopped early.
enum Stop {
    /// The consumer wants no more jobs.
    Unwanted,
    /// A lookup failed: what is fatal.
    Failed(packread::Error),
    /// The input is wrong, as git says (the answers still queued are not
    /// given).
    Fatal(String),
}

/// Turns the input (stdin's names, or every object of the database) into
/// jobs, in input order. It alone resolves names and finds objects, so
/// lookups see git's most-recently-used pack order.
struct Feeder {
    cx: Arc<Context>,
    odb: Odb,
    reader: Reader,
    /// The pieces of the job being gathered.
    run: Vec<Piece>,
    run_len: usize,
    input: Input,
    /// Whether the feeder looks objects up (else the only worker does).
    resolves: bool,
    /// `--follow-symlinks`.
    follow: bool,
    /// Whether the answers carry the objects' contents (`--batch`).
    contents: bool,
}

/// What a batch reads.
#[derive(Clone, Copy)]
enum Input {
    /// Names on stdin: NUL-terminated or lines; whether `%(rest)` is split off.
    Stdin { nul: bool, split_rest: bool },
    /// Every object, sorted by id.
    AllSorted,
    /// Every object, in git's `--unordered` order.
    AllUnordered,
    /// `--batch-command` records on stdin; with `--buffer`, answers wait
    /// for `flush` or the end of the input.
    Commands { nul: bool, buffer: bool },
}

impl Feeder {
    fn new(cx: &Arc<Context>, opts: &BatchOptions, resolves: bool) -> Feeder {
        let run_len = run_len(opts.kind);
        Feeder {
            cx: Arc::clone(cx),
            odb: cx.odb.clone(),
            reader: cx.odb.reader(),
            run: Vec::with_capacity(run_len),
            run_len,
            input: match (opts.all, opts.unordered) {
                (false, _) if opts.kind == Batch::Command => Input::Commands {
                    nul: opts.nul_input,
                    buffer: opts.buffer,
                },
                (false, _) => Input::Stdin {
                    nul: opts.nul_input,
                    split_rest: opts.format.splits_rest() || opts.textconv.is_some(),
                },
                (true, false) => Input::AllSorted,
                (true, true) => Input::AllUnordered,
            },
            resolves,
            follow: opts.follow_symlinks,
            contents: opts.kind == Batch::Contents,
        }
    }

    /// Feeds every job, then the failure if one ended the feed.
    fn run(mut self, jobs: &mut Jobs<Job>) {
        let fed = match self.input {
            Input::Stdin { nul, split_rest } => self.stdin_names(jobs, nul, split_rest),
            Input::AllSorted => self.sorted(jobs),
            Input::AllUnordered => self.pack_order(jobs),
            Input::Commands { nul, buffer } => self.commands(jobs, nul, buffer),
        };
        match fed {
            Ok(()) => {
                self.flush(jobs);
            }
            Err(Stop::Unwanted) => {}
            Err(Stop::Failed(e)) => {
                if self.flush(jobs) {
                    jobs.push(Job::Failed(crate::fatal_message(e)));
                }
            }
            Err(Stop::Fatal(msg)) => {
                if self.flush(jobs) {
                    jobs.push(Job::Failed(msg));
                }
            }
        }
    }

    /// Hands over the job gathered so far, if any; false if unwanted.
    fn flush(&mut self, jobs: &mut Jobs<Job>) -> bool {
        if self.run.is_empty() {
            return true;
        }
        let run = std::mem::replace(&mut self.run, Vec::with_capacity(self.run_len));
        jobs.push(Job::Pieces(run))
    }

    /// Adds a piece, handing over the job once it is full (or, with
    /// `now`, at once).
    fn add(&mut self, piece: Piece, now: bool, jobs: &mut Jobs<Job>) -> Result<(), Stop> {
        self.run.push(piece);
        if (now || self.run.len() >= self.run_len) && !self.flush(jobs) {
            return Err(Stop::Unwanted);
        }
        Ok(())
    }

    /// Lines already buffered on stdin go into one job (fewer handoffs
    /// between threads); a line after which the input would have to be
    /// waited for ends the job, so interactive use is answered at once.
    fn stdin_names(&mut self, jobs: &mut Jobs<Job>, nul: bool, split: bool) -> Result<(), Stop> {
        // A read error ends the input, as EOF does for git.
        for (line, more) in records(nul, false).map_while(Result::ok) {
            let piece = if self.resolves {
                named_piece(&self.cx, &mut self.reader, &line, split, self.follow)
                    .map_err(Stop::Failed)?
            } else {
                Piece::Line(line, split)
            };
            self.add(piece, !more, jobs)?;
        }
        Ok(())
    }

    /// `--batch-command`: each record is `contents <name>`, `info <name>` or
    /// `flush`, parsed as git parses them.
    fn commands(&mut self, jobs: &mut Jobs<Job>, nul: bool, buffer: bool) -> Result<(), Stop> {
        // A read error ends the input, as EOF does for git.
        for (line, more) in records(nul, true).map_while(Result::ok) {
            let command = match parse_command(&line) {
                Ok(c) => c,
                Err(msg) => {
                    // git dies with the queued commands not run.
                    if buffer {
                        self.run.clear();
                    }
                    return Err(Stop::Fatal(msg));
                }
            };
            let (contents, name) = match command {
                Command::Flush if !buffer => {
                    return Err(Stop::Fatal("flush is only for --buffer mode".into()));
                }
                Command::Flush => {
                    if !self.flush(jobs) || !jobs.push(Job::Flush) {
                        return Err(Stop::Unwanted);
                    }
                    continue;
                }
                Command::Contents(name) => (true, name),
                Command::Info(name) => (false, name),
            };
            // The name is all of the rest; `%(rest)` is always empty.
            let piece = if self.resolves {
                named_piece(&self.cx, &mut self.reader, name, false, self.follow)
                    .map_err(Stop::Failed)?
            } else {
                Piece::Line(name.to_vec(), false)
            };
            let piece = Piece::Command(contents, Box::new(piece));
            if buffer {
                // Answers wait for `flush` (or the end of the input).
                self.run.push(piece);
            } else {
                self.add(piece, !more, jobs)?;
            }
        }
        Ok(())
    }

    /// `--batch-all-objects --unordered`: git's pack order.
    fn pack_order(&mut self, jobs: &mut Jobs<Job>) -> Result<(), Stop> {
        let listed = self
            .odb
            .object_locations_pack_order()
            .map_err(Stop::Failed)?;
        let mut run_bytes = 0u64;
        for (id, loc) in listed {
            if self.contents && self.resolves {
                if self.run.is_empty() {
                    run_bytes = 0;
                }
                run_bytes += self.reader.header_location(&loc).map_or(0, |h| h.size);
            }
            // git describes a packed object where it iterates it, but a
            // loose one through a normal lookup (packs first, MRU).
            let piece = match loc {
                Location::Loose { .. } if !self.resolves => Piece::Id(id),
                Location::Loose { .. } => {
                    let loc = self
                        .reader
                        .locate(&id)
                        .and_then(|l| l.ok_or(packread::Error::NotFound(id)))
                        .map_err(Stop::Failed)?;
                    Piece::Object(id, loc, Vec::new(), None)
                }
                other => Piece::Object(id, other, Vec::new(), None),
            };
            self.add(piece, run_bytes >= RUN_BYTES, jobs)?;
        }
        Ok(())
    }

    /// `--batch-all-objects`: sorted by id. Runs of consecutive objects
    /// make few handoffs between threads; on a database of one pack, the
    /// workers take ranges of its index and look the objects up themselves.
    fn sorted(&mut self, jobs: &mut Jobs<Job>) -> Result<(), Stop> {
        if self.odb.is_one_pack().map_err(Stop::Failed)? {
            let n = self.odb.packs()[0].len();
            let step = self.run_len as u32;
            for start in (0..n).step_by(self.run_len) {
                if !jobs.push(Job::Positions(start, n.min(start + step))) {
                    return Err(Stop::Unwanted);
                }
            }
            return Ok(());
        }
        let odb = self.odb.clone();
        if !self.resolves {
            // The worker looks them up; the listing holds no window meanwhile.
            let ids: Vec<ObjectId> = odb
                .object_ids()
                .collect::<Result<_, _>>()
                .map_err(Stop::Failed)?;
            for id in ids {
                self.add(Piece::Id(id), false, jobs)?;
            }
            return Ok(());
        }
        let mut reader = odb.reader();
        let mut stop = None;
        odb.for_each_object_location(&mut reader, |id, loc| {
            match self.add(Piece::Object(id, loc, Vec::new(), None), false, jobs) {
                Ok(()) => true,
                Err(s) => {
                    stop = Some(s);
                    false
                }
            }
        })
        .map_err(Stop::Failed)?;
        stop.map_or(Ok(()), Err)
    }
}

/// What a job came to.
pub(super) struct Rendered {
    /// Its output, up to the failure if there was one.
    pub(super) bytes: Vec<u8>,
    /// Write everything out now (`flush`).
    flush: bool,
    /// The failure that ended the job early.
    error: Option<Exit>,
}

/// The failure a rendered job ended with, if any.
pub(super) fn take_error(rendered: Rendered) -> Result<(), Exit> {
    rendered.error.map_or(Ok(()), Err)
}

/// Turns jobs into output bytes; one per thread, each with its own reader.
pub(super) struct Renderer<'a> {
    cx: &'a Context,
    odb: &'a Odb,
    reader: Reader,
    opts: &'a BatchOptions,
    /// Output buffers the writer is done with, to render into again.
    spare: &'a Spare,
    data: Vec<u8>,
    /// Whether the answer being rendered shows the contents.
    contents: bool,
    /// For `--textconv`/`--filters`: the attributes and settings, once
    /// needed.
    transform: Option<Transform>,
}

impl<'a> Renderer<'a> {
    pub(super) fn new(
        cx: &'a Context,
        opts: &'a BatchOptions,
        cache: usize,
        bases: Option<&SharedBases>,
        spare: &'a Spare,
    ) -> Renderer<'a> {
        let odb = &cx.odb;
        let mut reader = odb.reader();
        reader.set_delta_base_cache_limit(cache);
        if let Some(bases) = bases {
            reader.share_bases(bases);
        }
        Renderer {
            cx,
            odb,
            reader,
            opts,
            spare,
            data: Vec::new(),
            contents: opts.kind == Batch::Contents,
            transform: None,
        }
    }

    /// The reader it looks objects up with.
    pub(super) fn reader(&mut self) -> &mut Reader {
        &mut self.reader
    }

    fn delim(&self) -> u8 {
        if self.opts.nul_output { 0 } else { b'\n' }
    }

    /// A job's output: what was rendered, and the failure that cut it short
    /// (the output before it is still written, as git's would be).
    pub(super) fn render(&mut self, job: Job) -> Rendered {
        let mut out = self.spare.take();
        let flush = matches!(job, Job::Flush);
        let error = self.render_into(job, &mut out).err();
        Rendered {
            bytes: out,
            flush,
            error,
        }
    }

    fn render_into(&mut self, job: Job, out: &mut Vec<u8>) -> Result<(), Exit> {
        self.contents = self.opts.kind == Batch::Contents;
        let pieces = match job {
            Job::Pieces(pieces) => pieces,
            Job::Positions(start, end) => {
                let pack = self.odb.pack_ids().next().expect("one pack");
                let empty_tree = self.odb.hash_kind().empty_tree();
                for pos in start..end {
                    let (id, mut loc) = self.reader.location_at(pack, pos)?;
                    // The sorted listing looks each object up, and a lookup
                    // finds git's built-in empty tree before any stored copy
                    // (`--unordered` describes the copy it iterates).
                    if id == empty_tree {
                        loc = Location::Builtin;
                    }
                    self.object(id, &loc, &[], None, out)?;
                }
                return Ok(());
            }
            Job::Failed(msg) => return Err(Exit::Fatal(msg)),
            Job::Flush => return Ok(()),
        };
        for piece in pieces {
            self.piece(piece, out)?;
        }
        Ok(())
    }

    /// Renders one answer.
    fn piece(&mut self, piece: Piece, out: &mut Vec<u8>) -> Result<(), Exit> {
        {
            match piece {
                Piece::Status(name, what) => self.status(&name, what, out),
                Piece::Object(id, loc, rest, name) => {
                    self.object(id, &loc, &rest, name.as_deref(), out)?;
                }
                Piece::Link(word, text) => self.link(word, &text, out),
                Piece::Line(line, split) => {
                    match named_piece(
                        self.cx,
                        &mut self.reader,
                        &line,
                        split,
                        self.opts.follow_symlinks,
                    )? {
                        Piece::Object(id, loc, rest, name) => {
                            self.object(id, &loc, &rest, name.as_deref(), out)?;
                        }
                        Piece::Status(name, what) => self.status(&name, what, out),
                        Piece::Link(word, text) => self.link(word, &text, out),
                        Piece::Line(..) | Piece::Id(_) | Piece::Command(..) => {
                            unreachable!("resolved")
                        }
                    }
                }
                Piece::Id(id) => {
                    let loc = self
                        .reader
                        .locate(&id)?
                        .ok_or(packread::Error::NotFound(id))?;
                    self.object(id, &loc, &[], None, out)?;
                }
                Piece::Command(contents, inner) => {
                    self.contents = contents;
                    self.piece(*inner, out)?;
                }
            }
        }
        Ok(())
    }

    /// Reads the object at `loc` into `self.data`: its kind and the size
    /// for the header line. A loose blob is streamed as git streams it
    /// (the header's size, whatever content the stream holds).
    fn read_contents(
        reader: &mut Reader,
        data: &mut Vec<u8>,
        loc: &Location,
    ) -> Result<(ObjectKind, u64), packread::Error> {
        if let Location::Loose { .. } = loc {
            let h = reader.header_location(loc)?;
            if h.kind == ObjectKind::Blob {
                reader.read_location_as_streamed(loc, data)?;
                return Ok((h.kind, h.size));
            }
        }
        let kind = reader.read_location(loc, data)?;
        Ok((kind, data.len() as u64))
    }

    /// One loose object the reader refused, as git's steps take it: its
    /// header (else `<name> missing`), the format line, then with
    /// `--batch` a blob streamed or anything else read whole (else git's
    /// death, after the format line).
    fn replayed(
        &mut self,
        id: ObjectId,
        path: &std::path::Path,
        rest: &[u8],
        name: Option<&[u8]>,
        out: &mut Vec<u8>,
    ) -> Result<(), Exit> {
        let file = LooseFile::open(self.cx, id, path);
        let fmt = &self.opts.format;
        let (kind, size) = match file.info(Want::default()) {
            Ok((h, _)) => (h.kind.unwrap_or(ObjectKind::Blob), h.size),
            Err(Fail::Missing) => {
                let hex = id.to_hex();
                self.status(name.unwrap_or(hex.as_bytes()), "missing", out);
                return Ok(());
            }
            Err(Fail::Die(msg)) => return Err(Exit::Fatal(msg)),
        };
        let mailmap = self.opts.mailmap.as_ref();
        let mut size = size;
        if let Some(map) = mailmap
            && matches!(kind, ObjectKind::Commit | ObjectKind::Tag)
        {
            // git reads it whole for its mapped size.
            match file.read() {
                Ok((_, body)) => size = map.apply_to_header(&body).len() as u64,
                Err(Fail::Missing) => return Err(Exit::Fatal(format!("unable to read {id}"))),
                Err(Fail::Die(msg)) => return Err(Exit::Fatal(msg)),
            }
        }
        let disk_size = std::fs::metadata(path).map_or(0, |m| m.len());
        let facts = Facts {
            id,
            kind,
            size,
            disk_size,
            delta_base: self.odb.hash_kind().null(),
            rest,
        };
        fmt.write(out, &facts)?;
        out.push(self.delim());
        if !self.contents {
            return Ok(());
        }
        if kind == ObjectKind::Blob {
            replayed::stream(&file, &id, out)?;
        } else {
            match file.read() {
                Ok((k, body)) if k == kind => match mailmap {
                    Some(map) => out.extend_from_slice(&map.apply_to_header(&body)),
                    None => out.extend_from_slice(&body),
                },
                Ok(_) => return Err(Exit::Fatal(format!("object {id} changed type!?"))),
                Err(Fail::Missing) => {
                    return Err(Exit::Fatal(format!("object {id} disappeared")));
                }
                Err(Fail::Die(msg)) => return Err(Exit::Fatal(msg)),
            }
        }
        out.push(self.delim());
        Ok(())
    }

    /// Where `--follow-symlinks` ended outside an object:
    /// `<word> <length>\n<text>\n`.
    fn link(&self, word: &str, text: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{word} {}", text.len()).as_bytes());
        out.push(self.delim());
        out.extend_from_slice(text);
        out.push(self.delim());
    }

    /// A status line: `<name> <what>`.
    fn status(&self, name: &[u8], what: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(name);
        out.push(b' ');
        out.extend_from_slice(what.as_bytes());
        out.push(self.delim());
    }

    /// One object, found at `loc`: its format line, then its contents with `--batch`.
    fn object(
        &mut self,
        id: ObjectId,
        loc: &Location,
        rest: &[u8],
        name: Option<&[u8]>,
        out: &mut Vec<u8>,
    ) -> Result<(), Exit> {
        let fmt = &self.opts.format;
        let (mut kind, mut size) = (ObjectKind::Blob, 0);
        // A repack that moves the object under us: read it where it is now.
        let mut moved = loc.clone();
        let (contents, needs_header) = (self.contents, fmt.needs_header());
        let read = self.reader.relocating(&id, loc, |reader, at| {
            moved = at.clone();
            if contents {
                Self::read_contents(reader, &mut self.data, at)
            } else if needs_header {
                reader.header_location(at).map(|h| (h.kind, h.size))
            } else {
                Ok((kind, size))
            }
        });
        let loc = &moved;
        match read {
            Ok(found) => (kind, size) = found,
            // git's steps on a loose file the reader refused.
            Err(_) if let Location::Loose { path } = loc => {
                let path = path.clone();
                return self.replayed(id, &path, rest, name, out);
            }
            Err(e) => match damage::packed(self.cx, &mut self.reader, &id, loc, &e) {
                // git writes the header line before it reads the
                // contents, and dies on them.
                Some((lines, mut fatal)) => {
                    if self.contents
                        && let Ok(h) = self.reader.header_location(loc)
                    {
                        // A blob is streamed (its failure names the
                        // pack); anything else is read whole first.
                        if h.kind != ObjectKind::Blob {
                            fatal = format!("object {id} disappeared");
                        }
                        let facts = Facts {
                            id,
                            kind: h.kind,
                            size: h.size,
                            disk_size: 0,
                            delta_base: self.odb.hash_kind().null(),
                            rest,
                        };
                        if !fmt.needs_location() {
                            fmt.write(out, &facts)?;
                            out.push(self.delim());
                        }
                    }
                    for line in lines {
                        eprintln!("{line}");
                    }
                    return Err(Exit::Fatal(fatal));
                }
                None => return Err(e.into()),
            },
        }
        if let Some(map) = &self.opts.mailmap {
            // git shows a commit's or tag's size with its people mapped,
            // and anything it reads whole (not a blob) mapped.
            if matches!(kind, ObjectKind::Commit | ObjectKind::Tag) {
                if !self.contents {
                    self.reader
                        .relocating(&id, loc, |r, at| r.read_location(at, &mut self.data))?;
                }
                size = map.apply_to_header(&self.data).len() as u64;
            }
            if self.contents && kind != ObjectKind::Blob {
                self.data = map.apply_to_header(&self.data);
            }
        }
        let (disk_size, base) = if fmt.needs_location() {
            let d = self.reader.relocating(&id, loc, Reader::disk_info)?;
            (d.disk_size, d.delta_base)
        } else {
            (0, None)
        };
        let facts = Facts {
            id,
            kind,
            size,
            disk_size,
            delta_base: base.unwrap_or_else(|| self.odb.hash_kind().null()),
            rest,
        };
        fmt.write(out, &facts)?;
        let d = self.delim();
        out.push(d);
        if self.contents {
            if kind == ObjectKind::Blob
                && let Some(textconv) = self.opts.textconv
            {
                self.transformed(id, loc, rest, textconv)?;
            }
            out.extend_from_slice(&self.data);
            out.push(d);
        }
        Ok(())
    }

    /// A blob as `--textconv`/`--filters` show it, for the path `rest`
    /// (after its header line, as git dies there): read whole, where the
    /// path's attributes call for no textconv program and no conversion
    /// (packread runs neither and refuses, saying which).
    fn transformed(
        &mut self,
        id: ObjectId,
        loc: &Location,
        rest: &[u8],
        textconv: bool,
    ) -> Result<(), Exit> {
        if rest.is_empty() {
            return Err(Exit::Fatal(format!("missing path for '{id}'")));
        }
        let cx = self.cx;
        let transform = self.transform.get_or_insert_with(|| Transform::new(cx));
        if let Some(refused) = transform.refusal(rest, textconv) {
            return Err(refused);
        }
        // Read whole (a loose blob's stream must end as announced).
        self.reader
            .relocating(&id, loc, |r, at| r.read_location(at, &mut self.data))?;
        Ok(())
    }
}

/// Output buffers written out, for renderers to fill again. A buffer of
/// megabytes freed and allocated anew costs a page fault per page each
/// time (the allocator hands big blocks back to the system): on a real
/// repository, most of `--batch`'s system time.
pub(super) struct Spare {
    kept: std::sync::Mutex<Vec<Vec<u8>>>,
    /// Buffers kept at most: enough for every renderer and the writer.
    keep: usize,
}

impl Spare {
    pub(super) fn new(keep: usize) -> Spare {
        Spare {
            kept: std::sync::Mutex::new(Vec::new()),
            keep,
        }
    }

    fn take(&self) -> Vec<u8> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
            .unwrap_or_default()
    }

    fn give(&self, mut buf: Vec<u8>) {
        buf.clear();
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() < self.keep {
            kept.push(buf);
        }
    }
}

/// Writes the rendered answers to stdout in input order.
struct Output<'a> {
    /// Where written buffers go back to the renderers.
    spare: &'a Spare,
    out: BufWriter<StdoutLock<'a>>,
    /// `--buffer` (or `--batch-all-objects`): flush only when full.
    buffer: bool,
    progress: Progress,
}

impl Consumer<Rendered, Exit> for Output<'_> {
    fn take(&mut self, rendered: Rendered) -> Result<(), Exit> {
        self.out.write_all(&rendered.bytes)?;
        self.spare.give(rendered.bytes);
        if let Some(e) = rendered.error {
            return Err(e);
        }
        if rendered.flush {
            self.out.flush()?;
        }
        self.progress.tick(1);
        Ok(())
    }

    fn idle(&mut self) -> Result<(), Exit> {
        // Without --buffer, answer each request as soon as possible.
        if !self.buffer {
            self.out.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_is_split_at_the_first_run_of_blanks() {
        assert_eq!(
            split_rest(b"HEAD  \tx y ", true),
            (&b"HEAD"[..], &b"x y "[..])
        );
        assert_eq!(split_rest(b"HEAD x", false), (&b"HEAD x"[..], &b""[..]));
        // CR separates nothing; a NUL ends the record.
        assert_eq!(split_rest(b"a\rb", true), (&b"a\rb"[..], &b""[..]));
        assert_eq!(split_rest(b"a b\0c", true), (&b"a"[..], &b"b"[..]));
    }

    #[test]
    fn commands_are_parsed_as_git_parses_them() {
        assert!(matches!(
            parse_command(b"contents HEAD"),
            Ok(Command::Contents(b"HEAD"))
        ));
        assert!(matches!(
            parse_command(b"info  x"),
            Ok(Command::Info(b" x"))
        ));
        assert!(matches!(parse_command(b"flush"), Ok(Command::Flush)));
        assert!(matches!(parse_command(b"flush\0junk"), Ok(Command::Flush)));
        let err = |line: &[u8]| parse_command(line).err().unwrap();
        assert_eq!(err(b""), "empty command in input");
        assert_eq!(err(b" info x"), "whitespace before command: ' info x'");
        assert_eq!(err(b"info"), "info requires arguments");
        assert_eq!(err(b"contentsHEAD"), "contents requires arguments");
        assert_eq!(err(b"flush now"), "flush takes no arguments");
        assert_eq!(err(b"list"), "unknown command: 'list'");
    }
}
