//! The single-object modes: `-e`, `-t`, `-s`, `-p` and `<type> <object>`.

use std::io::{self, BufWriter, Write};

use packread::mailmap::Mailmap;
use packread::object::{ObjectKind, tree};
use packread::{Corruption, Location, ObjectId, Odb, Reader};

use super::transform::Transform;
use super::{Mode, replayed};
use crate::ambiguous;
use crate::context::Context;
use crate::damage;
use crate::loose_replay::LooseFile;
use crate::names::{Resolved, quote_c_style, resolve, resolve_revision};
use crate::{Exit, Global};

/// Resolves a command-line name to an id, or dies as git does.
fn name_to_id(cx: &Context, r: &mut Reader, name: &str) -> Result<ObjectId, Exit> {
    let resolved = resolve(cx, r, name)?;
    // A prefix no object has made git scan the directories again.
    cx.report_warnings(r.take_refresh_warnings());
    match resolved {
        Resolved::Id(id) => Ok(id),
        Resolved::Ambiguous => {
            for line in ambiguous::report(r, name)? {
                eprintln!("{line}");
            }
            Err(Exit::Fatal(format!("Not a valid object name {name}")))
        }
        Resolved::Invalid => Err(Exit::Fatal(format!("Not a valid object name {name}"))),
        Resolved::NoSuchPath(msg) => Err(Exit::Fatal(msg)),
    }
}

/// `-e`, `-t`, `-s` or `-p` of the object `name` names.
pub(super) fn one_object(
    global: &Global,
    mode: Mode,
    name: &str,
    unknown_type: bool,
    use_mailmap: bool,
) -> Result<i32, Exit> {
    let cx = &global.open()?;
    cx.refuse_replace_refs()?;
    let mut r = cx.odb.reader();
    let id = name_to_id(cx, &mut r, name)?;
    if mode == Mode::Exists {
        // git asks whether the object exists, not where: an index entry
        // is enough.
        let found = r.contains(&id)?;
        cx.report_warnings(r.take_refresh_warnings());
        return Ok(i32::from(!found));
    }
    let loc = r.locate(&id)?;
    // A miss made git scan the directories again, reporting the alternates.
    cx.report_warnings(r.take_refresh_warnings());
    let one = One {
        cx,
        id,
        name,
        mailmap: use_mailmap.then(|| cx.mailmap()),
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match mode {
        // Caught by the caller, which knows the option's name.
        Mode::Filter => return Err(Exit::Fatal("filters are not supported".into())),
        Mode::Exists => return Ok(i32::from(loc.is_none())),
        Mode::Type | Mode::Size => {
            let loc =
                loc.ok_or_else(|| Exit::Fatal("git cat-file: could not get object info".into()))?;
            one.header(&mut r, &loc, mode, unknown_type, &mut out)?;
        }
        Mode::Pretty => {
            let loc = loc.ok_or_else(|| Exit::Fatal(format!("Not a valid object name {name}")))?;
            one.pretty(&mut r, &loc, &mut out)?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// `--textconv` and `--filters` of `name` (`<rev>:<path>`, or any object
/// with `--path`): as git, a blob whose path's attributes call for nothing
/// is shown as it is stored (`--textconv` falling back to `-p`, `--filters`
/// showing any object's bytes); packread runs no textconv program and makes
/// no work-tree conversion, and refuses where git would.
pub(super) fn filtered(
    global: &Global,
    textconv: bool,
    name: &str,
    path: Option<&str>,
) -> Result<i32, Exit> {
    let cx = &global.open()?;
    cx.refuse_replace_refs()?;
    let mut r = cx.odb.reader();
    let id = name_to_id(cx, &mut r, name)?;
    // The path whose attributes apply: as given, or the one `name` looked up.
    let path: Vec<u8> = match (path, &cx.refs) {
        (Some(p), _) => p.as_bytes().to_vec(),
        (None, Some(refs)) => resolve_revision(cx, &mut r, refs, name)
            .ok()
            .and_then(|rev| rev.path)
            .map(|(p, _)| p.into_bytes())
            .unwrap_or_default(),
        (None, None) => Vec::new(),
    };
    if let Some(refused) = Transform::new(cx).refusal(&path, textconv) {
        return Err(refused);
    }
    if textconv {
        // No textconv: git shows the object as `-p` does.
        let loc = r
            .locate(&id)?
            .ok_or_else(|| Exit::Fatal(format!("Not a valid object name {name}")))?;
        let one = One {
            cx,
            id,
            name,
            mailmap: None,
        };
        let stdout = io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        one.pretty(&mut r, &loc, &mut out)?;
        out.flush()?;
        return Ok(0);
    }
    // Read whole, whatever its type, as git's `filter_object`.
    let object = r.read(&id)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(&object.data)?;
    out.flush()?;
    Ok(0)
}

/// One object asked for by a single-object mode.
struct One<'a> {
    cx: &'a Context,
    id: ObjectId,
    /// As given.
    name: &'a str,
    /// With `--use-mailmap`.
    mailmap: Option<Mailmap>,
}

impl One<'_> {
    /// git's end for a damaged packed object: its lines, then its fatal
    /// message (`told`: the mode's own, where it has one). A loose one
    /// goes through git's steps instead (see `replayed`).
    fn fatal(&self, e: packread::Error, loc: &Location, told: Option<&str>) -> Exit {
        match damage::packed(self.cx, &mut self.cx.odb.reader(), &self.id, loc, &e) {
            Some((lines, fatal)) => {
                for line in lines {
                    eprintln!("{line}");
                }
                Exit::Fatal(told.map_or(fatal, str::to_owned))
            }
            None => e.into(),
        }
    }

    /// `-t` and `-s`.
    fn header(
        &self,
        r: &mut Reader,
        loc: &Location,
        mode: Mode,
        unknown_type: bool,
        out: &mut dyn Write,
    ) -> Result<(), Exit> {
        let id = self.id;
        // `-s` with a mailmap reads the object: a commit's or tag's size is
        // that of its bytes with the people mapped.
        let mapped_size = |r: &mut Reader, at: &Location| {
            let mut data = Vec::new();
            let kind = r.read_location(at, &mut data)?;
            let size = match (&self.mailmap, kind) {
                (Some(map), ObjectKind::Commit | ObjectKind::Tag) => {
                    map.apply_to_header(&data).len()
                }
                _ => data.len(),
            };
            Ok(packread::Header {
                kind,
                size: size as u64,
            })
        };
        let header = if mode == Mode::Size && self.mailmap.is_some() {
            r.relocating(&id, loc, mapped_size)
        } else {
            r.relocating(&id, loc, Reader::header_location)
        };
        let (kind, size) = match header {
            Ok(h) => (h.kind.to_string(), h.size),
            // git's steps on a loose file the reader refused.
            Err(_) if let Location::Loose { path } = loc => {
                let file = LooseFile::open(self.cx, id, path);
                return replayed::header(&file, mode, unknown_type, self.mailmap.as_ref(), out);
            }
            // `--allow-unknown-type`: the type as written.
            Err(packread::Error::Corrupt {
                reason: Corruption::UnknownObjectType { name, size },
                ..
            }) if unknown_type => (name, size),
            Err(e) => return Err(self.fatal(e, loc, None)),
        };
        if mode == Mode::Type {
            writeln!(out, "{kind}")?;
        } else {
            writeln!(out, "{size}")?;
        }
        Ok(())
    }

    /// `-p`: a tree listed, a blob streamed, anything else as it is.
    fn pretty(&self, r: &mut Reader, loc: &Location, out: &mut dyn Write) -> Result<(), Exit> {
        let (cx, id, name) = (self.cx, self.id, self.name);
        let odb = &cx.odb;
        let mut data = Vec::new();
        let header = r.relocating(&id, loc, Reader::header_location);
        // Blobs are streamed as git streams them (see the batch's).
        let read = r.relocating(&id, loc, |r, at| r.read_location_as_streamed(at, &mut data));
        let kind = match read {
            Ok(kind) => kind,
            Err(_) if let Location::Loose { path } = loc => {
                // git's steps on a loose file the reader refused.
                let file = LooseFile::open(cx, id, path);
                let list = |tree: &[u8], out: &mut dyn Write| {
                    resolve(cx, r, name)?;
                    pretty_tree(odb, tree, out)
                };
                return replayed::pretty(&file, &id, name, self.mailmap.as_ref(), list, out);
            }
            Err(e) => {
                // git hands a tree to its ls-tree, which can't read a
                // damaged one as a tree; a commit or tag it reads whole (a
                // blob it streams: the pack's own message).
                let told = match header.map(|h| h.kind) {
                    Ok(ObjectKind::Tree) => Some("not a tree object".to_owned()),
                    Ok(ObjectKind::Commit | ObjectKind::Tag) => {
                        Some(format!("Cannot read object {name}"))
                    }
                    _ => None,
                };
                return Err(self.fatal(e, loc, told.as_deref()));
            }
        };
        if kind == ObjectKind::Tree {
            // git hands a tree to its `ls-tree`, which reads the name again
            // (its warnings come twice) and checks the tree's hash.
            resolve(cx, r, name)?;
            if ObjectId::compute(odb.hash_kind(), kind, &data) != id {
                eprintln!("error: hash mismatch {id}");
                return Err(Exit::Fatal("not a tree object".into()));
            }
            pretty_tree(odb, &data, out)?;
        } else if let (Some(map), ObjectKind::Commit | ObjectKind::Tag) = (&self.mailmap, kind) {
            out.write_all(&map.apply_to_header(&data))?;
        } else {
            out.write_all(&data)?;
        }
        Ok(())
    }
}

/// Prints a tree as `git ls-tree` does: `<mode> <type> <id>\t<path>`, modes
/// as git reads them. A malformed tree prints nothing and dies with git's
/// words, as git does (it parses the whole tree first).
fn pretty_tree(odb: &Odb, data: &[u8], out: &mut dyn Write) -> Result<(), Exit> {
    let entries: Vec<_> = tree::entries(data, odb.hash_kind())
        .collect::<Result<_, _>>()
        .map_err(|e| Exit::Fatal(crate::git_words::tree_error(e).to_owned()))?;
    for entry in entries {
        write!(
            out,
            "{:06o} {} {}\t",
            entry.canonical_mode(),
            entry.kind(),
            entry.id
        )?;
        out.write_all(&quote_c_style(entry.name))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// `cat-file <type> <object>`: the object's bytes, peeling tags (and commits
/// to their tree) until the type matches, as git's `read_object_with_reference`.
pub(super) fn typed_object(
    global: &Global,
    ty: &str,
    name: &str,
    use_mailmap: bool,
) -> Result<i32, Exit> {
    let want: ObjectKind = ty.parse().map_err(|e| Exit::Fatal(format!("{e}")))?;
    let cx = &global.open()?;
    cx.refuse_replace_refs()?;
    // git maps the people of whatever it read whole (a blob it streams).
    let mailmap = (use_mailmap && want != ObjectKind::Blob).then(|| cx.mailmap());
    let odb = &cx.odb;
    let mut r = odb.reader();
    let id = name_to_id(cx, &mut r, name)?;
    let mut data = Vec::new();
    // git looks a wanted blob up twice before it reads it (its type, then
    // the type of what a tag names): a missing one makes it scan the
    // directories, and report a broken alternate, twice more.
    if want == ObjectKind::Blob && !r.contains(&id)? {
        r.contains(&id)?;
    }
    let peeled = match r.read_peeled(&id, want, &mut data) {
        Ok(p) => p,
        Err(e) => {
            let loc = r.locate(&id)?;
            if let Some(Location::Loose { path }) = &loc {
                // git's steps on a loose file the reader refused.
                let file = LooseFile::open(cx, id, path);
                let stdout = io::stdout();
                let mut out = stdout.lock();
                replayed::typed(&file, &id, want, name, mailmap.as_ref(), &mut r, &mut out)?;
                out.flush()?;
                return Ok(0);
            }
            let told = loc
                .as_ref()
                .and_then(|loc| damage::packed(cx, &mut r, &id, loc, &e));
            // git streams a blob asked for as a blob (its failure names the
            // pack); anything else is read whole, and fails as a bad file.
            let streamed = want == ObjectKind::Blob
                && loc
                    .as_ref()
                    .and_then(|l| r.header_location(l).ok())
                    .is_some_and(|h| h.kind == ObjectKind::Blob);
            return Err(match told {
                Some((lines, fatal)) => {
                    for line in lines {
                        eprintln!("{line}");
                    }
                    if streamed {
                        Exit::Fatal(fatal)
                    } else {
                        Exit::Fatal(format!("git cat-file {name}: bad file"))
                    }
                }
                None => e.into(),
            });
        }
    };
    cx.report_warnings(r.take_refresh_warnings());
    if peeled.is_none() {
        return Err(Exit::Fatal(format!("git cat-file {name}: bad file")));
    }
    if let Some(map) = &mailmap {
        data = map.apply_to_header(&data);
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(&data)?;
    out.flush()?;
    Ok(0)
}
