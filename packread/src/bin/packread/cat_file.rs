//! `packread cat-file`: git's `cat-file`, byte for byte.

use std::io::{self, BufRead, BufWriter, IsTerminal, Write};

use packread::{Location, ObjectId, ObjectKind, Odb, Reader};

use crate::format::{DEFAULT, Facts, Format};
use crate::names::{Resolved, looks_like_revision, quote_c_style, resolve};
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

/// Reads stdin records: lines (CR stripped) or NUL-terminated.
fn records(nul: bool) -> impl Iterator<Item = io::Result<Vec<u8>>> {
    let mut input = io::stdin().lock();
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
                Some(Ok(buf))
            }
            Err(e) => Some(Err(e)),
        }
    })
}

struct BatchRun<'a, W: Write> {
    odb: &'a Odb,
    reader: Reader<'a>,
    opts: &'a BatchOptions,
    out: W,
    data: Vec<u8>,
}

impl<W: Write> BatchRun<'_, W> {
    fn delim(&self) -> u8 {
        if self.opts.nul_output { 0 } else { b'\n' }
    }

    /// Writes a status line (`<name> missing`) that ignores the format.
    fn status(&mut self, name: &[u8], what: &str) -> Result<(), Exit> {
        self.out.write_all(name)?;
        write!(self.out, " {what}")?;
        let d = self.delim();
        self.out.write_all(&[d])?;
        self.flush_unless_buffered()
    }

    fn flush_unless_buffered(&mut self) -> Result<(), Exit> {
        if !self.opts.buffer {
            self.out.flush()?;
        }
        Ok(())
    }

    /// One object, found at `loc`: its format line, then its contents with `--batch`.
    fn object(&mut self, id: ObjectId, loc: &Location, rest: &[u8]) -> Result<(), Exit> {
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
        fmt.write(&mut self.out, &facts)?;
        let d = self.delim();
        self.out.write_all(&[d])?;
        if self.opts.kind == Batch::Contents {
            self.out.write_all(&self.data)?;
            self.out.write_all(&[d])?;
        }
        self.flush_unless_buffered()
    }

    fn named(&mut self, line: &[u8]) -> Result<(), Exit> {
        let (name, rest) = if self.opts.format.splits_rest() {
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
        } else {
            (line, &line[line.len()..])
        };
        let Ok(text) = std::str::from_utf8(name) else {
            return self.status(name, "missing");
        };
        let id = match resolve(&mut self.reader, self.odb.hash_kind().hex_len(), text)? {
            Resolved::Id(id) => id,
            Resolved::Ambiguous => return self.status(name, "ambiguous"),
            Resolved::Invalid => return self.status(name, "missing"),
        };
        match self.reader.locate(&id)? {
            Some(loc) => self.object(id, &loc, rest),
            None => self.status(name, "missing"),
        }
    }
}

fn run_batch(global: &Global, opts: &BatchOptions) -> Result<i32, Exit> {
    let odb = global.open()?;
    let stdout = io::stdout();
    let out = BufWriter::with_capacity(if opts.buffer { 1 << 16 } else { 1 << 13 }, stdout.lock());
    let mut run = BatchRun {
        odb: &odb,
        reader: odb.reader(),
        opts,
        out,
        data: Vec::new(),
    };
    if opts.all {
        let located: Vec<(ObjectId, Option<Location>)> = if opts.unordered {
            odb.object_locations_pack_order()?
                .into_iter()
                .map(|(id, loc)| (id, Some(loc)))
                .collect()
        } else {
            odb.object_ids()?.into_iter().map(|id| (id, None)).collect()
        };
        let mut progress = Progress::new(
            "Reading objects",
            located.len() as u64,
            io::stderr().is_terminal(),
        );
        for (id, loc) in located {
            let loc = match loc {
                Some(loc) => loc,
                None => run
                    .reader
                    .locate(&id)?
                    .ok_or(packread::Error::NotFound(id))?,
            };
            run.object(id, &loc, b"")?;
            progress.tick(1);
        }
        progress.finish();
    } else {
        for line in records(opts.nul_input) {
            run.named(&line?)?;
        }
    }
    run.out.flush()?;
    Ok(0)
}
