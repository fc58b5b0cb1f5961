//! `packread dump`: write objects to files, `<dir>/<2 hex>/<rest of hex>`.

use std::fs::OpenOptions;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use packread::{Location, ObjectId, ObjectKind};

use crate::names::{Resolved, resolve};
use crate::progress::Progress;
use crate::{Exit, Global};

const USAGE: &str = "usage: packread dump [--type=<type>] [--pack=<pack>] <directory> [<object>...]

Writes the contents of each named object (all objects if none are named) to
<directory>/<first two hex digits>/<remaining hex digits>. Existing files are
never overwritten.

    --type=<type>         only objects of this type (blob, tree, commit, tag)
    --pack=<pack>         the objects of this pack (.pack or .idx) instead of the repository's";

pub fn run(global: &Global, args: Vec<String>) -> Result<i32, Exit> {
    let mut only: Option<ObjectKind> = None;
    let mut pack: Option<String> = None;
    let mut positional = Vec::new();
    for arg in args {
        if let Some(p) = arg.strip_prefix("--pack=") {
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
    if positional.is_empty() {
        return Err(Exit::Usage("fatal: <directory> required".into(), USAGE));
    }
    let dir = PathBuf::from(positional.remove(0));
    let odb = match &pack {
        // A lone pack: its ids' hash comes from the repository we are in, if any.
        Some(p) => {
            let hash = global.repository_hash().unwrap_or_default();
            let idx = std::path::Path::new(p).with_extension("idx");
            if !idx.is_file() || !idx.with_extension("pack").is_file() {
                return Err(Exit::Fatal(format!(
                    "Cannot open existing pack file '{}'",
                    idx.display()
                )));
            }
            global.options().hash(hash).open_pack(&idx)?
        }
        None => global.open()?,
    };
    let mut r = odb.reader();
    let targets: Vec<(ObjectId, Option<Location>)> = if positional.is_empty() {
        odb.object_locations_pack_order()?
            .into_iter()
            .map(|(id, loc)| (id, Some(loc)))
            .collect()
    } else {
        let mut v = Vec::new();
        for name in &positional {
            match resolve(&mut r, odb.hash_kind().hex_len(), name)? {
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
    std::fs::create_dir_all(&dir)
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
        let kind = r.read_location(&loc, &mut data)?;
        progress.tick(1);
        if only.is_some_and(|k| k != kind) {
            continue;
        }
        write_new(&dir, &id, &data)?;
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
