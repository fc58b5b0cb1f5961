//! Loose refs: one file per ref under the git directory, holding an id or
//! `ref: <name>`.

use std::io;
use std::path::Path;

use crate::error::{Corruption, Error, RefProblem};
use crate::object::{HashKind, ObjectId};

use super::Target;

/// Reads the loose ref at `path`: `None` if there is none (no file, or a
/// directory there).
pub(crate) fn read(path: &Path, hash: HashKind) -> Result<Option<Target>, Error> {
    let data = match std::fs::read(path) {
        Ok(data) => data,
        Err(e) if absent(&e) => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    parse(&data, hash)
        .map(Some)
        .ok_or_else(|| Error::corrupt(path, 0, Corruption::BadRef(RefProblem::BadContent)))
}

fn absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::IsADirectory | io::ErrorKind::NotADirectory
    )
}

/// A loose ref's content as git's `parse_loose_ref_contents` reads it:
/// `ref:` and whitespace before a symbolic ref's target (trailing
/// whitespace dropped), or an id followed by the end or whitespace (what
/// follows, as in `FETCH_HEAD`, is ignored).
pub(crate) fn parse(data: &[u8], hash: HashKind) -> Option<Target> {
    if let Some(rest) = data.strip_prefix(b"ref:") {
        let target = std::str::from_utf8(rest).ok()?.trim_ascii();
        return Some(Target::Symbolic(target.to_owned()));
    }
    let (id, rest) = ObjectId::parse_hex_prefix(data, hash)?;
    if rest.first().is_some_and(|b| !b.is_ascii_whitespace()) {
        return None;
    }
    Some(Target::Object { id, peeled: None })
}

/// Every loose ref file under `dir` (named `prefix/...`), skipping what git
/// skips (`.lock` files and names starting with `.`), in no order.
pub(crate) fn walk(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<(String, std::path::PathBuf)>,
) -> Result<(), Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if absent(&e) => return Ok(()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        if name.starts_with('.') || name.as_bytes().ends_with(b".lock") {
            continue;
        }
        let full = format!("{prefix}/{name}");
        let path = entry.path();
        if path.is_dir() {
            walk(&path, &full, out)?;
        } else {
            out.push((full, path));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_as_git_reads_them() {
        let id = "b06ba9d526bddb7bf7630fc9ccf3277c3737beaf";
        let sym = |t: &str| Some(Target::Symbolic(t.to_owned()));
        assert_eq!(
            parse(b"ref: refs/heads/main\n", HashKind::Sha1),
            sym("refs/heads/main")
        );
        assert_eq!(
            parse(b"ref:refs/heads/main", HashKind::Sha1),
            sym("refs/heads/main")
        );
        let object = parse(format!("{id}\n").as_bytes(), HashKind::Sha1);
        assert!(matches!(object, Some(Target::Object { peeled: None, .. })));
        let fetch_head = format!("{id}\t\tbranch 'main' of /x\n");
        assert!(parse(fetch_head.as_bytes(), HashKind::Sha1).is_some());
        assert_eq!(parse(format!("{id}x\n").as_bytes(), HashKind::Sha1), None);
        assert_eq!(parse(b"garbage\n", HashKind::Sha1), None);
        assert_eq!(parse(format!("{id}\n").as_bytes(), HashKind::Sha256), None);
    }
}
