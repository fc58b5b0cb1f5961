//! `packread cat-file`: git's `cat-file`, byte for byte.

use std::io::{self, BufRead, BufWriter, IsTerminal, Write};

use packread::{Location, ObjectId, ObjectKind, Odb, Reader};

use crate::format::{DEFAULT, Facts, Format};
use crate::names::{Resolved, looks_like_revision, quote_c_style, resolve};
use crate::pipeline;
use crate::progress::Progress;
use crate::{Exit, Global};

const USAGE: &str = "usage: packread cat-file <type> <object>
   or: packread cat-file (-e | -p) <object>
   or: packread cat-file (-t | -s) <object>
   or: packread cat-file (--batch | --batch-check) [--batch-all-objects]
                         [--buffer] [--unordered] [-z | -Z]

    -e                    check if <object> exists
    -p                    pretty-print <object> content
    -t                    show object type
    -s                    show object size
    --batch[=<format>]    show full <object> contents
    --batch-check[=<format>]
                          like --batch, but don't emit <contents>
    --batch-all-objects   with --batch[-check]: ignores stdin, batches all known objects
    --buffer              buffer --batch output
    --unordered           do not order objects before emitting them
    -z                    stdin is NUL-terminated
    -Z                    stdin and stdout is NUL-terminated

<object> is a full or abbreviated hex object id (revision syntax is not supported).";

fn usage(msg: impl Into<String>) -> Exit {
    Exit::Usage(msg.into(), USAGE)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Type,
    Size,
    Exists,
    Pretty,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Batch {
    Contents,
    Check,
}

#[allow(clippy::struct_excessive_bools)] // mirrors git's independent flags
struct BatchOptions {
    kind: Batch,
    format: Format,
    all: bool,
    unordered: bool,
    buffer: bool,
    nul_input: bool,
    nul_output: bool,
}

pub fn run(global: &Global, args: Vec<String>) -> Result<i32, Exit> {
    let mut mode: Option<(Mode, char)> = None;
    let mut batch: Option<(Batch, Option<String>)> = None;
    let (mut all, mut unordered, mut buffer, mut z, mut big_z) =
        (false, false, false, false, false);
    let mut positional = Vec::new();
    for arg in args {
        let set_mode = |mode: &mut Option<(Mode, char)>, m, c| -> Result<(), Exit> {
            match *mode {
                Some((_, old)) if old != c => Err(usage(format!(
                    "error: options '-{c}' and '-{old}' cannot be used together"
                ))),
                _ => {
                    *mode = Some((m, c));
                    Ok(())
                }
            }
        };
        let mut set_batch = |kind, fmt: Option<String>| -> Result<(), Exit> {
            if batch.is_some() {
                return Err(usage("error: only one batch option may be specified"));
            }
            batch = Some((kind, fmt));
            Ok(())
        };
        match arg.as_str() {
            "-t" => set_mode(&mut mode, Mode::Type, 't')?,
            "-s" => set_mode(&mut mode, Mode::Size, 's')?,
            "-e" => set_mode(&mut mode, Mode::Exists, 'e')?,
            "-p" => set_mode(&mut mode, Mode::Pretty, 'p')?,
            "--batch" => set_batch(Batch::Contents, None)?,
            "--batch-check" => set_batch(Batch::Check, None)?,
            "--batch-all-objects" => all = true,
            "--unordered" => unordered = true,
            "--no-unordered" => unordered = false,
            "--buffer" => buffer = true,
            "--no-buffer" => buffer = false,
            "-z" => z = true,
            "-Z" => big_z = true,
            "-h" | "--help" => return Err(usage("")),
            a if a.starts_with("--batch=") => {
                set_batch(Batch::Contents, Some(a["--batch=".len()..].to_owned()))?;
            }
            a if a.starts_with("--batch-check=") => {
                set_batch(Batch::Check, Some(a["--batch-check=".len()..].to_owned()))?;
            }
            "--batch-command"
            | "--follow-symlinks"
            | "--textconv"
            | "--filters"
            | "--allow-unknown-type" => {
                return Err(Exit::Fatal(format!(
                    "packread cat-file does not support {arg}"
                )));
            }
            a if a.starts_with('-') && a.len() > 1 => {
                return Err(usage(format!(
                    "error: unknown option `{}'",
                    a.trim_start_matches('-')
                )));
            }
            _ => positional.push(arg),
        }
    }

    if let Some((kind, fmt)) = batch {
        if let Some((_, c)) = mode {
            return Err(usage(format!(
                "fatal: '-{c}' is incompatible with batch mode"
            )));
        }
        if !positional.is_empty() {
            return Err(usage("fatal: batch modes take no arguments"));
        }
        let format = Format::parse(fmt.as_deref().unwrap_or(DEFAULT)).map_err(Exit::Fatal)?;
        // git buffers the output of --batch-all-objects as if --buffer were given.
        let opts = BatchOptions {
            kind,
            format,
            all,
            unordered,
            buffer: buffer || all,
            nul_input: z || big_z,
            nul_output: big_z,
        };
        return run_batch(global, &opts);
    }
    if all {
        return Err(usage("fatal: '--batch-all-objects' requires a batch mode"));
    }
    if unordered || buffer || z || big_z {
        let opt = if unordered {
            "--unordered"
        } else if buffer {
            "--buffer"
        } else if z {
            "-z"
        } else {
            "-Z"
        };
        return Err(usage(format!("fatal: '{opt}' requires a batch mode")));
    }
    match mode {
        Some((m, c)) => {
            let obj = match positional.len() {
                0 => return Err(usage(format!("fatal: <object> required with '-{c}'"))),
                1 => positional.pop().expect("one"),
                _ => return Err(usage("fatal: too many arguments")),
            };
            one_object(global, m, &obj)
        }
        None => match positional.len() {
            2 => {
                let obj = positional.pop().expect("two");
                let ty = positional.pop().expect("two");
                typed_object(global, &ty, &obj)
            }
            0 => Err(usage("")),
            1 => Err(usage(
                "fatal: only two arguments allowed in <type> <object> mode, not 1",
            )),
            n => Err(usage(format!(
                "fatal: only two arguments allowed in <type> <object> mode, not {n}"
            ))),
        },
    }
}

/// Resolves a command-line name to an id, or dies as git does.
fn name_to_id(odb: &Odb, r: &mut Reader<'_>, name: &str) -> Result<ObjectId, Exit> {
    match resolve(r, odb.hash_kind().hex_len(), name)? {
        Resolved::Id(id) => Ok(id),
        Resolved::Ambiguous => {
            eprintln!("error: short object ID {name} is ambiguous");
            Err(Exit::Fatal(format!("Not a valid object name {name}")))
        }
        Resolved::Invalid => {
            if looks_like_revision(name) {
                eprintln!(
                    "hint: packread names objects by full or abbreviated hex ids only;\n\
                     hint: revision syntax such as HEAD~2 or main:path is not supported"
                );
            }
            Err(Exit::Fatal(format!("Not a valid object name {name}")))
        }
    }
}

fn one_object(global: &Global, mode: Mode, name: &str) -> Result<i32, Exit> {
    let odb = global.open()?;
    let mut r = odb.reader();
    let id = name_to_id(&odb, &mut r, name)?;
    let loc = r.locate(&id)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match mode {
        Mode::Exists => return Ok(i32::from(loc.is_none())),
        Mode::Type | Mode::Size => {
            let Some(loc) = loc else {
                return Err(Exit::Fatal(
                    "git cat-file: could not get object info".into(),
                ));
            };
            let (kind, size) = r.header_location(&loc)?;
            if mode == Mode::Type {
                writeln!(out, "{kind}")?;
            } else {
                writeln!(out, "{size}")?;
            }
        }
        Mode::Pretty => {
            let Some(loc) = loc else {
                return Err(Exit::Fatal(format!("Not a valid object name {name}")));
            };
            let mut data = Vec::new();
            let kind = r.read_location(&loc, &mut data)?;
            if kind == ObjectKind::Tree {
                pretty_tree(&odb, &data, &mut out, name)?;
            } else {
                out.write_all(&data)?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}

/// Prints a tree as `git ls-tree` does: `<mode> <type> <id>\t<path>`.
fn pretty_tree(odb: &Odb, data: &[u8], out: &mut impl Write, name: &str) -> Result<(), Exit> {
    let h = odb.hash_kind().len();
    let bad = || Exit::Fatal(format!("unable to read tree ({name})"));
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest.iter().position(|&b| b == b' ').ok_or_else(bad)?;
        let mode = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
            .ok_or_else(bad)?;
        let nul = sp
            + 1
            + rest[sp + 1..]
                .iter()
                .position(|&b| b == 0)
                .ok_or_else(bad)?;
        let path = &rest[sp + 1..nul];
        let id_bytes = rest.get(nul + 1..nul + 1 + h).ok_or_else(bad)?;
        let id = ObjectId::from_bytes(odb.hash_kind(), id_bytes);
        let kind = match mode & 0o170_000 {
            0o160_000 => "commit",
            0o040_000 => "tree",
            _ => "blob",
        };
        write!(out, "{mode:06o} {kind} {id}\t")?;
        out.write_all(&quote_c_style(path))?;
        out.write_all(b"\n")?;
        rest = &rest[nul + 1 + h..];
    }
    Ok(())
}

/// `cat-file <type> <object>`: the object's bytes, peeling tags (and commits
/// to their tree) until the type matches, as git's `read_object_with_reference`.
fn typed_object(global: &Global, ty: &str, name: &str) -> Result<i32, Exit> {
    let Ok(want) = ty.parse::<ObjectKind>() else {
        return Err(Exit::Fatal(format!("invalid object type \"{ty}\"")));
    };
    let odb = global.open()?;
    let mut r = odb.reader();
    let mut id = name_to_id(&odb, &mut r, name)?;
    let bad_file = || Exit::Fatal(format!("git cat-file {name}: bad file"));
    let mut data = Vec::new();
    loop {
        let Some(loc) = r.locate(&id)? else {
            return Err(bad_file());
        };
        let kind = r.read_location(&loc, &mut data)?;
        if kind == want {
            break;
        }
        let field: &[u8] = match (kind, want) {
            (ObjectKind::Tag, _) => b"object ",
            (ObjectKind::Commit, ObjectKind::Tree) => b"tree ",
            _ => return Err(bad_file()),
        };
        let hex_len = odb.hash_kind().hex_len();
        let target = data
            .strip_prefix(field)
            .and_then(|rest| rest.get(..hex_len))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(ObjectId::from_hex);
        id = target.ok_or_else(bad_file)?;
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(&data)?;
    out.flush()?;
    Ok(0)
}

/// Reads stdin records: lines (CR stripped) or NUL-terminated, each with
/// whether more input is already buffered (so reading on won't wait).
fn records(nul: bool) -> impl Iterator<Item = io::Result<(Vec<u8>, bool)>> {
    let mut input = io::BufReader::with_capacity(1 << 16, io::stdin());
    std::iter::from_fn(move || {
        let mut buf = Vec::new();
        match input.read_until(if nul { 0 } else { b'\n' }, &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                if nul {
                    if buf.last() == Some(&0) {
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

/// One answer, already looked up by the feeder (which alone resolves names
/// and finds objects, in input order, so that git's most-recently-used pack
/// order gives the same answers as git's).
enum Piece {
    /// A status line (`<name> missing`), which ignores the format.
    Status(Vec<u8>, &'static str),
    /// An object to show, with where it is stored and its `%(rest)`.
    Object(ObjectId, Location, Vec<u8>),
}

/// One unit of batch work.
enum Job {
    /// Answers in input order.
    Pieces(Vec<Piece>),
    /// The objects at index positions `start..end` of the database's only
    /// pack (`--batch-all-objects`: the workers look them up, not the feeder).
    Positions(u32, u32),
    /// The feeder failed: the fatal message.
    Failed(String),
}

/// Splits an input line into the name and `%(rest)` (when the format uses
/// it: at the first whitespace, the rest with leading whitespace dropped).
fn split_rest(line: &[u8], split: bool) -> (&[u8], &[u8]) {
    if !split {
        return (line, &[]);
    }
    let end = line
        .iter()
        .position(u8::is_ascii_whitespace)
        .unwrap_or(line.len());
    let mut rest = &line[end..];
    while let [first, tail @ ..] = rest
        && first.is_ascii_whitespace()
    {
        rest = tail;
    }
    (&line[..end], rest)
}

/// The answer for one input line.
fn named_piece(
    r: &mut Reader<'_>,
    hex_len: usize,
    line: &[u8],
    split: bool,
) -> Result<Piece, packread::Error> {
    let (name, rest) = split_rest(line, split);
    let Ok(text) = std::str::from_utf8(name) else {
        return Ok(Piece::Status(name.to_vec(), "missing"));
    };
    let id = match resolve(r, hex_len, text)? {
        Resolved::Id(id) => id,
        Resolved::Ambiguous => return Ok(Piece::Status(name.to_vec(), "ambiguous")),
        Resolved::Invalid => return Ok(Piece::Status(name.to_vec(), "missing")),
    };
    Ok(match r.locate(&id)? {
        Some(loc) => Piece::Object(id, loc, rest.to_vec()),
        None => Piece::Status(name.to_vec(), "missing"),
    })
}

/// Turns jobs into output bytes; one per thread, each with its own reader.
struct Renderer<'a> {
    odb: &'a Odb,
    reader: Reader<'a>,
    opts: &'a BatchOptions,
    data: Vec<u8>,
}

impl<'a> Renderer<'a> {
    fn new(odb: &'a Odb, opts: &'a BatchOptions, cache: usize) -> Renderer<'a> {
        let mut reader = odb.reader();
        reader.set_delta_base_cache_limit(cache);
        Renderer {
            odb,
            reader,
            opts,
            data: Vec::new(),
        }
    }

    fn delim(&self) -> u8 {
        if self.opts.nul_output { 0 } else { b'\n' }
    }

    fn render(&mut self, job: Job) -> Result<Vec<u8>, Exit> {
        let mut out = Vec::new();
        let pieces = match job {
            Job::Pieces(pieces) => pieces,
            Job::Positions(start, end) => {
                for pos in start..end {
                    let (id, loc) = self.reader.location_at(0, pos)?;
                    self.object(id, &loc, &[], &mut out)?;
                }
                return Ok(out);
            }
            Job::Failed(msg) => return Err(Exit::Fatal(msg)),
        };
        for piece in pieces {
            match piece {
                Piece::Status(name, what) => {
                    out.extend_from_slice(&name);
                    out.push(b' ');
                    out.extend_from_slice(what.as_bytes());
                    out.push(self.delim());
                }
                Piece::Object(id, loc, rest) => self.object(id, &loc, &rest, &mut out)?,
            }
        }
        Ok(out)
    }

    /// One object, found at `loc`: its format line, then its contents with `--batch`.
    fn object(
        &mut self,
        id: ObjectId,
        loc: &Location,
        rest: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Exit> {
        let fmt = &self.opts.format;
        let (mut kind, mut size) = (ObjectKind::Blob, 0);
        if self.opts.kind == Batch::Contents {
            kind = self.reader.read_location(loc, &mut self.data)?;
            size = self.data.len() as u64;
        } else if fmt.needs_header() {
            (kind, size) = self.reader.header_location(loc)?;
        }
        let (disk_size, base) = if fmt.needs_location() {
            self.reader.disk_facts(loc)?
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
        if self.opts.kind == Batch::Contents {
            out.extend_from_slice(&self.data);
            out.push(d);
        }
        Ok(())
    }
}

/// Jobs in flight per worker: enough to keep every core busy past a slow
/// object, few enough to keep finished output from piling up in memory.
const WINDOW_PER_THREAD: usize = 4;

/// Objects per job: few handoffs between threads, and for contents little
/// finished output waiting in memory.
fn run_len(kind: Batch) -> usize {
    if kind == Batch::Contents { 64 } else { 1024 }
}

fn run_batch(global: &Global, opts: &BatchOptions) -> Result<i32, Exit> {
    let odb = global.open()?;
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let feeder_odb = odb.clone();
    let run_len = run_len(opts.kind);
    let (all, unordered, nul, split) = (
        opts.all,
        opts.unordered,
        opts.nul_input,
        opts.format.splits_rest(),
    );
    let feed = move |push: &mut dyn FnMut(Job) -> bool| {
        let odb = feeder_odb;
        let mut r = odb.reader();
        let hex_len = odb.hash_kind().hex_len();
        let fail = |push: &mut dyn FnMut(Job) -> bool, e: packread::Error| {
            push(Job::Failed(e.to_string()));
        };
        if !all {
            // Lines already buffered on stdin go into one job (fewer handoffs
            // between threads); a line after which the input would have to be
            // waited for ends the job, so interactive use is answered at once.
            let mut run = Vec::new();
            // A read error ends the input, as EOF does for git.
            for (line, more) in records(nul).map_while(Result::ok) {
                match named_piece(&mut r, hex_len, &line, split) {
                    Ok(piece) => run.push(piece),
                    Err(e) => {
                        if !run.is_empty() {
                            push(Job::Pieces(std::mem::take(&mut run)));
                        }
                        return fail(push, e);
                    }
                }
                if (!more || run.len() >= run_len) && !push(Job::Pieces(std::mem::take(&mut run))) {
                    return;
                }
            }
            if !run.is_empty() {
                push(Job::Pieces(run));
            }
            return;
        }
        // Runs of consecutive objects: few handoffs between threads, and in
        // pack order each worker's delta-base cache sees neighbouring objects.
        let mut run = Vec::with_capacity(run_len);
        let mut stopped = false;
        let mut add = |item: Result<(ObjectId, Location), packread::Error>,
                       push: &mut dyn FnMut(Job) -> bool| {
            match item {
                Ok((id, loc)) => run.push(Piece::Object(id, loc, Vec::new())),
                Err(e) => {
                    if !run.is_empty() {
                        push(Job::Pieces(std::mem::take(&mut run)));
                    }
                    push(Job::Failed(e.to_string()));
                    stopped = true;
                    return false;
                }
            }
            if run.len() == run_len
                && !push(Job::Pieces(std::mem::replace(
                    &mut run,
                    Vec::with_capacity(run_len),
                )))
            {
                stopped = true;
                return false;
            }
            true
        };
        let listed = if unordered {
            odb.object_locations_pack_order().map(|v| {
                for (id, loc) in v {
                    // git describes a packed object where it iterates it, but
                    // a loose one through a normal lookup (packs first, MRU).
                    let item = match loc {
                        Location::Loose { .. } => r.locate(&id).and_then(|l| {
                            l.map(|loc| (id, loc)).ok_or(packread::Error::NotFound(id))
                        }),
                        packed @ Location::Packed { .. } => Ok((id, packed)),
                    };
                    if !add(item, push) {
                        break;
                    }
                }
            })
        } else {
            match odb.is_one_pack() {
                // One pack: its index is the sorted list; workers take ranges.
                Ok(true) => {
                    let n = odb.packs()[0].len();
                    let step = run_len as u32;
                    for start in (0..n).step_by(run_len) {
                        if !push(Job::Positions(start, n.min(start + step))) {
                            break;
                        }
                    }
                    Ok(())
                }
                Ok(false) => {
                    odb.for_each_object_location(&mut r, |id, loc| add(Ok((id, loc)), push))
                }
                Err(e) => Err(e),
            }
        };
        if let Err(e) = listed {
            if !run.is_empty() {
                push(Job::Pieces(std::mem::take(&mut run)));
            }
            return fail(push, e);
        }
        if !stopped && !run.is_empty() {
            push(Job::Pieces(run));
        }
    };
    let stdout = io::stdout();
    let out = std::cell::RefCell::new(BufWriter::with_capacity(1 << 16, stdout.lock()));
    let mut progress = Progress::new(
        "Reading object runs",
        0,
        opts.all && io::stderr().is_terminal(),
    );
    pipeline::ordered(
        feed,
        threads,
        WINDOW_PER_THREAD * threads,
        || Renderer::new(&odb, opts, global.delta_cache_budget() / threads),
        Renderer::render,
        |bytes: Result<Vec<u8>, Exit>| -> Result<(), Exit> {
            out.borrow_mut().write_all(&bytes?)?;
            progress.tick(1);
            Ok(())
        },
        || -> Result<(), Exit> {
            // Without --buffer, answer each request as soon as possible.
            if !opts.buffer {
                out.borrow_mut().flush()?;
            }
            Ok(())
        },
    )?;
    progress.finish();
    out.borrow_mut().flush()?;
    Ok(0)
}
