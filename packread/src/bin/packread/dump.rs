//! `packread dump`: write objects to files, `<dir>/<2 hex>/<rest of hex>`.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use packread::{Error, Location, ObjectId, ObjectKind, Odb, Visited, export};

use crate::context::Context;
use crate::names::{Resolved, resolve};
use crate::progress::Progress;
use crate::{Exit, Global};

const USAGE: &str = "usage: packread dump [--type=<type>] [--pack=<pack>] <directory> [<object>...]
   or: packread dump [--type=<type>] [--pack=<pack>] --stdout
   or: packread dump --tree <tree-ish> <directory>

Writes the contents of each named object (all objects if none are named) to
<directory>/<first two hex digits>/<remaining hex digits>. Existing files are
never overwritten.

    --type=<type>         only objects of this type (blob, tree, commit, tag)
    --pack=<pack>         the objects of this pack (.pack or .idx) instead of the repository's

With --stdout, writes every object to stdout as `cat-file --batch` records
(`<id> <type> <size>`, a newline, the content, a newline), in the order
cheapest to read (each pack's delta trees base first, on every core; then
loose objects): the order is unspecified, the set is
`cat-file --batch-all-objects`'s. Writing every object to <directory> walks
them the same way.

With --tree, writes the files of <tree-ish> under their paths in <directory>,
as `git archive <tree-ish> | tar -x` leaves them: executable bits, symbolic
links, submodules as empty directories. Paths git would not check out (`..`,
`.git`, absolute) are refused before anything is written; existing files are
never overwritten and existing symlinks never followed.";

pub fn run(global: &Global, args: Vec<String>) -> Result<i32, Exit> {
    let mut only: Option<ObjectKind> = None;
    let mut pack: Option<String> = None;
    let mut tree: Option<String> = None;
    let mut to_stdout = false;
    let mut positional = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--stdout" {
            to_stdout = true;
        } else if arg == "--tree" {
            match args.next() {
                Some(t) => tree = Some(t),
                None => {
                    return Err(Exit::Usage(
                        "error: option `tree' requires a value".into(),
                        USAGE,
                    ));
                }
            }
        } else if let Some(t) = arg.strip_prefix("--tree=") {
            tree = Some(t.to_owned());
        } else if let Some(p) = arg.strip_prefix("--pack=") {
            pack = Some(p.to_owned());
        } else if let Some(t) = arg.strip_prefix("--type=") {
            only = Some(
                t.parse::<ObjectKind>()
                    .map_err(|e| Exit::Fatal(e.to_string()))?,
            );
        } else if arg == "-h" || arg == "--help" {
            return Err(Exit::Usage(String::new(), USAGE));
        } else if arg.starts_with('-') {
            return Err(Exit::Usage(
                format!("error: unknown option `{}'", arg.trim_start_matches('-')),
                USAGE,
            ));
        } else {
            positional.push(arg);
        }
    }
    if to_stdout {
        if !positional.is_empty() || tree.is_some() {
            return Err(Exit::Usage(
                "fatal: --stdout takes no directory and no objects".into(),
                USAGE,
            ));
        }
        let cx = open(global, pack.as_deref())?;
        return dump_stdout(&cx.odb, only);
    }
    if positional.is_empty() {
        return Err(Exit::Usage("fatal: <directory> required".into(), USAGE));
    }
    let dir = PathBuf::from(positional.remove(0));
    if let Some(tree) = tree {
        if !positional.is_empty() || only.is_some() || pack.is_some() {
            return Err(Exit::Usage(
                "fatal: --tree takes one <tree-ish> and a <directory>".into(),
                USAGE,
            ));
        }
        return dump_tree(global, &tree, &dir);
    }
    let cx = &open(global, pack.as_deref())?;
    let odb = &cx.odb;
    if positional.is_empty() {
        return dump_all(odb, only, &dir);
    }
    dump_named(cx, &positional, only, &dir)
}

/// `dump <dir> <object>...`: the named objects (of kind `only`, if given).
fn dump_named(
    cx: &Context,
    positional: &[String],
    only: Option<ObjectKind>,
    dir: &Path,
) -> Result<i32, Exit> {
    let mut r = cx.odb.reader();
    let targets: Vec<(ObjectId, Option<Location>)> = {
        let mut v = Vec::new();
        for name in positional {
            match resolve(cx, &mut r, name)? {
                Resolved::Id(id) => v.push((id, None)),
                Resolved::Ambiguous => {
                    return Err(Exit::Fatal(format!("short object ID {name} is ambiguous")));
                }
                Resolved::Invalid => {
                    return Err(Exit::Fatal(format!("Not a valid object name {name}")));
                }
                Resolved::NoSuchPath(msg) => return Err(Exit::Fatal(msg)),
            }
        }
        v
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Exit::Fatal(format!("cannot create '{}': {e}", dir.display())))?;
    let mut progress = Progress::new(
        "Dumping objects",
        targets.len() as u64,
        io::stderr().is_terminal(),
    );
    let (mut files, mut bytes) = (0u64, 0u64);
    let mut data = Vec::new();
    for (id, loc) in targets {
        let loc = match loc {
            Some(l) => l,
            None => r
                .locate(&id)?
                .ok_or_else(|| Exit::Fatal(format!("object {id} not found")))?,
        };
        let kind = r.relocating(&id, &loc, |r, at| r.read_location(at, &mut data))?;
        progress.tick(1);
        if only.is_some_and(|k| k != kind) {
            continue;
        }
        write_new(dir, &id, &data)?;
        files += 1;
        bytes += data.len() as u64;
    }
    progress.finish();
    eprintln!(
        "dumped {files} objects ({bytes} bytes) to {}",
        dir.display()
    );
    Ok(0)
}

/// The repository's database, or a lone pack's (`--pack`).
fn open(global: &Global, pack: Option<&str>) -> Result<Context, Exit> {
    match pack {
        // A lone pack: its ids' hash comes from the repository we are in, if any.
        Some(p) => {
            let hash = global.repository_hash().unwrap_or_default();
            let idx = Path::new(p).with_extension("idx");
            if !idx.is_file() || !idx.with_extension("pack").is_file() {
                return Err(Exit::Fatal(format!(
                    "Cannot open existing pack file '{}'",
                    idx.display()
                )));
            }
            Ok(Context::new(
                global.options().hash(hash).open_pack(&idx)?,
                global.setup(),
            ))
        }
        None => global.open(),
    }
}

/// The threads a walk of every object uses: every core.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// `dump --stdout`: every object as a `cat-file --batch` record, in the
/// walk's order.
fn dump_stdout(odb: &Odb, only: Option<ObjectKind>) -> Result<i32, Exit> {
    let out = Mutex::new(BufWriter::with_capacity(1 << 20, io::stdout()));
    let failed: Mutex<Option<io::Error>> = Mutex::new(None);
    let walked = odb.for_each_object(threads(), |&Visited { id, kind, data, .. }| {
        if only.is_some_and(|k| k != kind) {
            return true;
        }
        let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
        let written = writeln!(out, "{id} {kind} {}", data.len())
            .and_then(|()| out.write_all(data))
            .and_then(|()| out.write_all(b"\n"));
        match written {
            Ok(()) => true,
            Err(e) => {
                *failed.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                false
            }
        }
    });
    // What was produced is written out before any failure is reported.
    let flushed = out
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .flush();
    if let Some(e) = failed.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(e.into());
    }
    walked?;
    flushed?;
    Ok(0)
}

/// `dump <dir>` of every object: files made on every core as the walk
/// decodes the objects.
fn dump_all(odb: &Odb, only: Option<ObjectKind>, dir: &Path) -> Result<i32, Exit> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Exit::Fatal(format!("cannot create '{}': {e}", dir.display())))?;
    let progress = Mutex::new(Progress::new(
        "Dumping objects",
        odb.approximate_object_count(),
        io::stderr().is_terminal(),
    ));
    let (files, bytes) = (AtomicU64::new(0), AtomicU64::new(0));
    let failed: Mutex<Option<Exit>> = Mutex::new(None);
    odb.for_each_object(threads(), |&Visited { id, kind, data, .. }| {
        progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .tick(1);
        if only.is_some_and(|k| k != kind) {
            return true;
        }
        match write_new(dir, id, data) {
            Ok(()) => {
                files.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                true
            }
            Err(e) => {
                *failed.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = failed.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(e);
    }
    progress
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .finish();
    eprintln!(
        "dumped {} objects ({} bytes) to {}",
        files.into_inner(),
        bytes.into_inner(),
        dir.display()
    );
    Ok(0)
}

/// `dump --tree`: the files of `name`'s tree under `dir`, with `git
/// archive`'s messages for names that lead to no tree.
fn dump_tree(global: &Global, name: &str, dir: &Path) -> Result<i32, Exit> {
    let cx = &global.open()?;
    let odb = &cx.odb;
    let mut r = odb.reader();
    let id = match resolve(cx, &mut r, name)? {
        // A full id of no object: git archive's "not a tree object".
        Resolved::Id(id) if !r.contains(&id)? => {
            return Err(Exit::Fatal(format!("not a tree object: {id}")));
        }
        Resolved::Id(id) => id,
        Resolved::Ambiguous | Resolved::Invalid | Resolved::NoSuchPath(_) => {
            return Err(Exit::Fatal(format!("not a valid object name: {name}")));
        }
    };
    let written = match export::write_tree(&mut r, &id, dir) {
        Ok(w) => w,
        Err(Error::UnexpectedKind {
            expected: ObjectKind::Tree,
            id: found,
            ..
        }) if found == id => return Err(Exit::Fatal(format!("not a tree object: {id}"))),
        // A file where one is to be created (not a directory in the way).
        Err(Error::Write { path, source })
            if source.kind() == io::ErrorKind::AlreadyExists && source.get_ref().is_none() =>
        {
            return Err(Exit::Fatal(format!(
                "'{}' exists; not overwriting it",
                path.display()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    eprintln!(
        "wrote {} files ({} bytes), {} symlinks and {} directories to {}",
        written.files,
        written.bytes,
        written.symlinks,
        written.directories,
        dir.display()
    );
    Ok(0)
}

/// Writes `data` to the object's file, refusing to replace an existing one.
fn write_new(dir: &Path, id: &ObjectId, data: &[u8]) -> Result<(), Exit> {
    let hex = id.to_hex();
    let sub = dir.join(&hex[..2]);
    std::fs::create_dir_all(&sub)
        .map_err(|e| Exit::Fatal(format!("cannot create '{}': {e}", sub.display())))?;
    let path = sub.join(&hex[2..]);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                Exit::Fatal(format!("'{}' exists; not overwriting it", path.display()))
            } else {
                Exit::Fatal(format!("cannot create '{}': {e}", path.display()))
            }
        })?;
    f.write_all(data)
        .map_err(|e| Exit::Fatal(format!("cannot write '{}': {e}", path.display())))?;
    Ok(())
}
