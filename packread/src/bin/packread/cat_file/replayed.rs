//! The single-object modes for a loose object packread's reader refused:
//! git's steps for each mode, replayed on the file (see
//! [`crate::loose_replay`]), so that what git still prints, the lines it
//! says at each step and how it ends are git's.

use std::io::Write;

use packread::mailmap::Mailmap;
use packread::object::ObjectKind;
use packread::{ObjectId, Reader};

use super::Mode;
use crate::Exit;
use crate::loose_replay::{Fail, LooseFile, Want};

/// git's death for `fail`, or `missing()` where the step returned -1.
fn or_fatal(fail: Fail, missing: impl FnOnce() -> String) -> Exit {
    fail.exit(missing)
}

/// `-t` and `-s`.
/// `-t` and `-s`; with a mailmap, `-s` reads the object whole and gives a
/// commit's or tag's size with its people mapped.
pub(super) fn header(
    file: &LooseFile,
    mode: Mode,
    allow_unknown: bool,
    mailmap: Option<&Mailmap>,
    out: &mut dyn Write,
) -> Result<(), Exit> {
    let whole = mode == Mode::Size && mailmap.is_some();
    let (h, body) = file
        .info(Want {
            allow_unknown,
            contents: whole,
            ..Want::default()
        })
        .map_err(|f| or_fatal(f, || "git cat-file: could not get object info".into()))?;
    if mode == Mode::Type {
        out.write_all(&h.type_name)?;
        out.write_all(b"\n")?;
    } else {
        let size = match (mailmap, h.kind, body) {
            (Some(map), Some(ObjectKind::Commit | ObjectKind::Tag), Some(body)) => {
                map.apply_to_header(&body).len() as u64
            }
            _ => h.size,
        };
        writeln!(out, "{size}")?;
    }
    Ok(())
}

/// `-p`: the type first, then a tree listed (read whole, its hash checked),
/// a blob streamed, anything else read whole.
pub(super) fn pretty(
    file: &LooseFile,
    id: &ObjectId,
    name: &str,
    mailmap: Option<&Mailmap>,
    list_tree: impl FnOnce(&[u8], &mut dyn Write) -> Result<(), Exit>,
    out: &mut dyn Write,
) -> Result<(), Exit> {
    let invalid = || format!("Not a valid object name {name}");
    let (h, _) = file
        .info(Want::default())
        .map_err(|f| or_fatal(f, invalid))?;
    match h.kind {
        Some(ObjectKind::Tree) => {
            // git's ls-tree parses the object again, checking its hash.
            match file.parse_object().map_err(|f| or_fatal(f, String::new))? {
                Some((ObjectKind::Tree, tree)) => list_tree(&tree, out),
                _ => Err(Exit::Fatal("not a tree object".into())),
            }
        }
        Some(ObjectKind::Blob) => stream(file, id, out),
        _ => {
            let (_, body) = file
                .read()
                .map_err(|f| or_fatal(f, || format!("Cannot read object {name}")))?;
            match mailmap {
                Some(map) => out.write_all(&map.apply_to_header(&body))?,
                None => out.write_all(&body)?,
            }
            Ok(())
        }
    }
}

/// `stream_blob`: the blob streamed to `out`, or git's death.
pub(super) fn stream(file: &LooseFile, id: &ObjectId, out: &mut dyn Write) -> Result<(), Exit> {
    match file.stream_blob(out) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Exit::Fatal(format!("unable to stream {id} to stdout"))),
        Err(f) => Err(or_fatal(f, String::new)),
    }
}

/// `<type> <object>` for a loose `id`: a blob asked for as a blob is
/// streamed (git looks its type up twice first), anything else is read
/// whole and peeled through `reader` as git's `read_object_with_reference`.
/// With a mailmap, what is read whole is shown with its people mapped.
pub(super) fn typed(
    file: &LooseFile,
    id: &ObjectId,
    want: ObjectKind,
    name: &str,
    mailmap: Option<&Mailmap>,
    reader: &mut Reader,
    out: &mut dyn Write,
) -> Result<(), Exit> {
    let mut shown = Vec::new();
    let done = typed_into(file, id, want, name, reader, &mut shown);
    // What a failing stream wrote stays written.
    match mailmap {
        Some(map) if done.is_ok() => out.write_all(&map.apply_to_header(&shown))?,
        _ => out.write_all(&shown)?,
    }
    done
}

fn typed_into(
    file: &LooseFile,
    id: &ObjectId,
    want: ObjectKind,
    name: &str,
    reader: &mut Reader,
    out: &mut Vec<u8>,
) -> Result<(), Exit> {
    let bad = || format!("git cat-file {name}: bad file");
    if want == ObjectKind::Blob {
        let first = file.info(Want::default());
        match first {
            Err(Fail::Die(msg)) => return Err(Exit::Fatal(msg)),
            Ok((h, _)) if h.kind == Some(ObjectKind::Tag) => {
                // A tag asked for as a blob: its target's id from its
                // first line, then the target read as any other object.
                let (_, body) = file
                    .read()
                    .map_err(|f| or_fatal(f, || format!("unable to read {id}")))?;
                let target = id_after(&body, b"object ", id)
                    .ok_or_else(|| Exit::Fatal(format!("{id} not a valid tag")))?;
                return peel_rest(reader, target, want, bad, out);
            }
            _ => {}
        }
        if let Ok((h, _)) = file.info(Want::default())
            && h.kind == Some(ObjectKind::Blob)
        {
            return stream(file, id, out);
        }
    }
    let (kind, body) = file.read().map_err(|f| or_fatal(f, bad))?;
    if kind == want {
        out.write_all(&body)?;
        return Ok(());
    }
    let prefix: &[u8] = match kind {
        ObjectKind::Commit => b"tree ",
        ObjectKind::Tag => b"object ",
        _ => return Err(Exit::Fatal(bad())),
    };
    let next = id_after(&body, prefix, id).ok_or_else(|| Exit::Fatal(bad()))?;
    peel_rest(reader, next, want, bad, out)
}

/// The id in hex right after `prefix` at the start of `body` (git reads a
/// commit's tree or a tag's object so when it peels), of `id`'s hash kind.
fn id_after(body: &[u8], prefix: &[u8], id: &ObjectId) -> Option<ObjectId> {
    let hex = body.strip_prefix(prefix)?.get(..id.kind().hex_len())?;
    ObjectId::from_hex(std::str::from_utf8(hex).ok()?)
}

/// The rest of a peel, from `next` on, through packread's reader.
fn peel_rest(
    reader: &mut Reader,
    next: ObjectId,
    want: ObjectKind,
    bad: impl Fn() -> String,
    out: &mut dyn Write,
) -> Result<(), Exit> {
    let mut data = Vec::new();
    match reader.read_peeled(&next, want, &mut data) {
        Ok(Some(_)) => {
            out.write_all(&data)?;
            Ok(())
        }
        Ok(None) => Err(Exit::Fatal(bad())),
        Err(e) => Err(e.into()),
    }
}
