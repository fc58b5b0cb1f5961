//! `objects/info/alternates`: more object directories to search, as git reads them.

use std::path::{Path, PathBuf};

use crate::quote::{path_from_bytes, unquote_c_style};

/// A whole quoted line's path (git ignores what follows the quote).
fn unquoted(line: &str) -> Option<Vec<u8>> {
    unquote_c_style(line.as_bytes()).map(|(path, _)| path)
}

/// git's limit on alternates of alternates.
pub(crate) const MAX_DEPTH: usize = 5;

/// The object directories listed in `objects_dir/info/alternates`, resolved
/// relative to `objects_dir`, in file order. Comments (`#`) and empty lines
/// are skipped; quoted lines are unquoted (taken literally if the quoting is
/// broken, as git does).
pub(crate) fn read(objects_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let file = objects_dir.join("info").join("alternates");
    let text = match std::fs::read(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let text = String::from_utf8_lossy(&text);
    Ok(parse(&text, objects_dir))
}

/// The entries of `GIT_ALTERNATE_OBJECT_DIRECTORIES`: separated by `:` (`;`
/// on Windows), each possibly C-quoted, as git splits them.
pub(crate) fn split_env(value: &str) -> Vec<PathBuf> {
    let sep = if cfg!(windows) { ';' } else { ':' };
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (entry, tail) = if rest.starts_with('"') {
            // A quoted entry runs to its closing quote.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i + 1);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            match end {
                Some(e) => (
                    &rest[..e],
                    rest[e..].strip_prefix(sep).unwrap_or(&rest[e..]),
                ),
                None => (rest, ""),
            }
        } else {
            match rest.find(sep) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, ""),
            }
        };
        if !entry.is_empty() {
            let path = if entry.starts_with('"') {
                unquoted(entry).map_or_else(|| PathBuf::from(entry), path_from_bytes)
            } else {
                PathBuf::from(entry)
            };
            out.push(path);
        }
        rest = tail;
    }
    out
}

pub(crate) fn parse(text: &str, objects_dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    // Lines end at LF only: a CR before it is part of the path, as git
    // reads it (such a directory is then not found).
    for line in text.split('\n') {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let path = if line.starts_with('"') {
            unquoted(line).map_or_else(|| PathBuf::from(line), path_from_bytes)
        } else {
            PathBuf::from(line)
        };
        out.push(if path.is_absolute() {
            path
        } else {
            objects_dir.join(path)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_git() {
        let base = Path::new("/repo/.git/objects");
        let text = "# comment\n\n/abs/objects\n../../other/.git/objects\n\"/quoted\\tpath\"\n\"/broken\\q\"\n/crlf\r\n";
        assert_eq!(
            parse(text, base),
            vec![
                PathBuf::from("/abs/objects"),
                PathBuf::from("/repo/.git/objects/../../other/.git/objects"),
                PathBuf::from("/quoted\tpath"),
                // Broken quoting: taken literally, hence relative.
                PathBuf::from("/repo/.git/objects/\"/broken\\q\""),
                // A CR is part of the path, as git reads it.
                PathBuf::from("/crlf\r"),
            ]
        );
    }

    #[test]
    fn splits_the_environment_like_git() {
        assert_eq!(
            split_env("/a/objects:rel:\"/with:colon\":/b"),
            vec![
                PathBuf::from("/a/objects"),
                PathBuf::from("rel"),
                PathBuf::from("/with:colon"),
                PathBuf::from("/b"),
            ]
        );
        assert!(split_env("").is_empty());
    }
}
