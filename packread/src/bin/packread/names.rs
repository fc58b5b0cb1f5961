//! Object names on the command line (full or abbreviated hex ids), and
//! git's C-style quoting of paths.

use packread::object::Prefix;
use packread::refs::RefStore;
use packread::revision::RevisionWarning;
use packread::{Error, ObjectId, Reader, RevisionProblem, revision};

use crate::context::Context;

/// git's refusal of a `<rev>:./path` or `<rev>:../path` outside a work tree.
fn refuse_relative_outside_work_tree(cx: &Context, name: &str) -> Result<(), Error> {
    let relative = name.find(':').is_some_and(|c| {
        c > 0 && (name[c + 1..].starts_with("./") || name[c + 1..].starts_with("../"))
    });
    if relative && !cx.work_tree {
        return Err(Error::Revision {
            name: name.to_owned(),
            problem: RevisionProblem::RelativePathWithoutWorkTree,
            warnings: Vec::new(),
        });
    }
    Ok(())
}

/// git's words for `<rev>:<path>` without such a path (`diagnose_invalid_oid_path`):
/// the path may exist in the work tree (looked for from its top, as git
/// looks once it has moved there), or, with `reader` given (`rev-parse`,
/// which knows where it stands), in the tree under the current directory.
pub fn missing_path(cx: &Context, reader: Option<&mut Reader>, path: &str, rev: &str) -> String {
    if cx.work_tree && std::fs::symlink_metadata(cx.setup.work_tree_top().join(path)).is_ok() {
        return format!("path '{path}' exists on disk, but not in '{rev}'");
    }
    let prefix = std::str::from_utf8(&cx.prefix).unwrap_or("");
    if let (Some(reader), Some(refs), false) = (reader, cx.refs.as_ref(), prefix.is_empty()) {
        let full = format!("{prefix}{path}");
        if revision::resolve(reader, refs, &format!("{rev}:{full}")).is_ok() {
            return format!(
                "path '{full}' exists, but not '{path}'\n\
                 hint: Did you mean '{rev}:{full}' aka '{rev}:./{path}'?"
            );
        }
    }
    format!("path '{path}' does not exist in '{rev}'")
}

/// git's advice after an argument it can't tell a revision or a path.
const USE_DASHDASH: &str = "Use '--' to separate paths from revisions, like this:\n\
'git <command> [<revision>...] -- [<file>...]'";

/// git's death for an argument that is neither a revision nor a path of
/// the work tree.
pub fn unknown_revision_or_path(arg: &str) -> String {
    format!(
        "ambiguous argument '{arg}': unknown revision or path not in the working tree.\n\
         {USE_DASHDASH}"
    )
}

/// What git checks against the work tree of a revision argument: a
/// range whole, a single revision without its `^`.
pub fn revision_as_checked(arg: &str) -> &str {
    if arg.contains("..") {
        arg
    } else {
        arg.strip_prefix('^').unwrap_or(arg)
    }
}

/// git's `verify_non_filename`: in a work tree, a revision argument
/// (without `--` on the command line) that also names a file is refused,
/// with git's message.
pub fn verify_non_filename(cx: &Context, arg: &str) -> Result<(), String> {
    if !cx.work_tree || arg.starts_with('-') {
        return Ok(());
    }
    let exists = |path: &std::path::Path| std::fs::symlink_metadata(path).is_ok();
    // git's `check_filename`, with its pathspec magic.
    let found = if let Some(rest) = arg.strip_prefix(":/") {
        rest.is_empty() || exists(&cx.setup.work_tree_top().join(rest))
    } else if let Some(rest) = arg.strip_prefix(":!").or_else(|| arg.strip_prefix(":^")) {
        rest.is_empty() || exists(rest.as_ref())
    } else {
        exists(arg.as_ref())
    };
    if found {
        return Err(format!(
            "ambiguous argument '{arg}': both revision and filename\n{USE_DASHDASH}"
        ));
    }
    Ok(())
}

/// git's `maybe_die_on_misspelt_object_name`: for a name that is neither
/// a revision nor a file, what git says instead of "ambiguous argument"
/// when the name is `<rev>:<path>` with a path not in the tree. The name
/// is resolved again, with git's warnings printed again.
pub fn misspelt(cx: &Context, reader: &mut Reader, refs: &RefStore, name: &str) -> Option<String> {
    let result = resolve_revision(cx, reader, refs, name);
    if let Err(Error::Revision { warnings, .. }) = &result {
        print_warnings(cx, warnings);
    }
    match result {
        Err(Error::Revision {
            problem: RevisionProblem::PathNotInTree { path, rev },
            ..
        }) => Some(missing_path(cx, Some(reader), &path, &rev)),
        _ => None,
    }
}

/// `spec` with a `./` or `../` path made relative to the top, as git reads
/// it from a subdirectory (`HEAD:./b` in `dir/` is `HEAD:./dir/b`).
fn from_top(cx: &Context, spec: &str) -> Option<String> {
    let prefix = Some(&cx.prefix).filter(|p| !p.is_empty())?;
    let colon = spec.find(':')?;
    let path = &spec[colon + 1..];
    if colon == 0 || !(path.starts_with("./") || path.starts_with("../")) {
        return None;
    }
    let prefix = std::str::from_utf8(prefix).ok()?;
    Some(format!("{}:./{prefix}{path}", &spec[..colon]))
}

/// Resolves the revision `name` as git does from where the command stands
/// (`./` and `../` paths from the current directory); errors name it, and
/// a path above the work tree, as they were given.
pub fn resolve_revision(
    cx: &Context,
    reader: &mut Reader,
    refs: &RefStore,
    name: &str,
) -> Result<revision::Revision, Error> {
    refuse_relative_outside_work_tree(cx, name)?;
    let rewritten = from_top(cx, name);
    revision::resolve(reader, refs, rewritten.as_deref().unwrap_or(name))
        .map_err(|e| as_given(e, name))
}

/// An error about the rewritten `name` made to name it, and a path above
/// the work tree, as given.
fn as_given(e: Error, name: &str) -> Error {
    match e {
        Error::Revision {
            problem, warnings, ..
        } => Error::Revision {
            name: name.to_owned(),
            problem: match problem {
                RevisionProblem::PathOutsideRepository(_) => {
                    RevisionProblem::PathOutsideRepository(
                        name.split_once(':').map_or(name, |(_, p)| p).to_owned(),
                    )
                }
                other => other,
            },
            warnings,
        },
        e => e,
    }
}

/// git's shortest abbreviation (`MINIMUM_ABBREV`).
pub const MINIMUM_ABBREV: usize = 4;

/// git's longest abbreviation (`GIT_MAX_HEXSZ`, whatever the repository's hash).
const MAX_HEX_LEN: usize = 64;

/// What a name on the command line refers to.
pub enum Resolved {
    /// An object id (not necessarily present, for a full id).
    Id(ObjectId),
    /// A well-formed abbreviation that no object starts with, or no hex at all.
    Invalid,
    /// An abbreviation several objects start with.
    Ambiguous,
    /// `<rev>:<path>` with no such path: git's message for it.
    NoSuchPath(String),
}

/// Resolves `name` as git's `get_oid` does: hex names as ids and
/// abbreviations, anything else (refs, `HEAD~2`, `v1^{tree}`, `main:path`)
/// as a revision, with git's warnings printed on the way.
pub fn resolve(cx: &Context, reader: &mut Reader, name: &str) -> Result<Resolved, Error> {
    let hex_len = cx.hex_len();
    // Full ids (and git's longer hex names) are ids whatever refs exist;
    // shorter names are refs first, as git has them. Outside batch mode a
    // full id goes through the revision rules too, for git's warning when
    // a ref has that name.
    let long_hex = name.len() >= hex_len && name.bytes().all(|b| b.is_ascii_hexdigit());
    let id_only = long_hex && (name.len() > hex_len || cx.batch);
    let (false, Some(refs)) = (id_only, cx.refs.as_ref()) else {
        return resolve_hex(reader, hex_len, name);
    };
    let result = resolve_revision(cx, reader, refs, name);
    settle(cx, result.map(|rev| (rev.id, rev.warnings)))
}

/// What a name leads to when symbolic links in `<rev>:<path>` are
/// followed (`cat-file --follow-symlinks`).
pub enum Followed {
    /// As without following.
    Resolved(Resolved),
    /// Where the links lead nowhere in the tree: git's status word
    /// (`symlink`, `dangling`, `loop`, `notdir`) and the text it shows (the
    /// path outside the tree, or the name as given).
    Link(&'static str, Vec<u8>),
}

/// Resolves `name` as [`resolve`] does, following symbolic links in the
/// tree of a `<rev>:<path>` name as git's `--follow-symlinks` does.
pub fn resolve_following_symlinks(
    cx: &Context,
    reader: &mut Reader,
    name: &str,
) -> Result<Followed, Error> {
    let (Some(refs), Some(colon)) = (cx.refs.as_ref(), name.find(':')) else {
        return resolve(cx, reader, name).map(Followed::Resolved);
    };
    if colon == 0 {
        return resolve(cx, reader, name).map(Followed::Resolved);
    }
    refuse_relative_outside_work_tree(cx, name)?;
    let rewritten = from_top(cx, name);
    let spec = rewritten.as_deref().unwrap_or(name);
    let followed = revision::resolve_following_symlinks(reader, refs, spec)
        .map_err(|e| as_given(e, name))
        .map(|f| (f.target, f.warnings));
    let link = |word| Ok(Followed::Link(word, name.as_bytes().to_vec()));
    match followed {
        Ok((target, warnings)) => {
            print_warnings(cx, &warnings);
            match target {
                revision::Target::Object(id) => Ok(Followed::Resolved(Resolved::Id(id))),
                revision::Target::Outside(path) => Ok(Followed::Link("symlink", path)),
                revision::Target::Dangling => link("dangling"),
                revision::Target::Loop => link("loop"),
                // `Target` may grow; anything new is a path that isn't a directory.
                _ => link("notdir"),
            }
        }
        Err(e) => settle(cx, Err(e)).map(Followed::Resolved),
    }
}

/// Prints git's warnings; in batch mode not those about refs named like
/// ids (git turns them off there).
pub fn print_warnings(cx: &Context, warnings: &[RevisionWarning]) {
    for w in warnings {
        for line in cx.revision_warning_lines(w, cx.batch) {
            eprintln!("{line}");
        }
    }
}

/// A revision's resolution as the commands take it: warnings printed, a
/// name that leads nowhere as [`Resolved`], what git dies of as the error.
fn settle(
    cx: &Context,
    result: Result<(ObjectId, Vec<RevisionWarning>), Error>,
) -> Result<Resolved, Error> {
    match result {
        Ok((id, warnings)) => {
            print_warnings(cx, &warnings);
            Ok(Resolved::Id(id))
        }
        Err(Error::Revision {
            warnings, problem, ..
        }) if !matches!(
            problem,
            RevisionProblem::Unsupported(_)
                | RevisionProblem::PathOutsideRepository(_)
                | RevisionProblem::RelativePathWithoutWorkTree
        ) =>
        {
            print_warnings(cx, &warnings);
            Ok(match problem {
                RevisionProblem::PathNotInTree { path, rev } => {
                    Resolved::NoSuchPath(missing_path(cx, None, &path, &rev))
                }
                _ => Resolved::Invalid,
            })
        }
        Err(Error::Ambiguous(_)) => Ok(Resolved::Ambiguous),
        Err(e) => Err(e),
    }
}

/// Resolves `name` as git's `get_oid` would for hex names.
fn resolve_hex(reader: &mut Reader, hex_len: usize, name: &str) -> Result<Resolved, Error> {
    let is_hex = !name.is_empty() && name.bytes().all(|b| b.is_ascii_hexdigit());
    if !is_hex || name.len() < MINIMUM_ABBREV || name.len() > MAX_HEX_LEN {
        return Ok(Resolved::Invalid);
    }
    if name.len() > hex_len {
        // git takes up to 64 digits as an abbreviation and compares only
        // an id's worth of them: the object named by the first digits, if
        // it exists.
        let prefix = Prefix::from_hex(&name[..hex_len].to_ascii_lowercase());
        let found = match prefix {
            Some(p) => reader.prefix_candidates(&p)?,
            None => Vec::new(),
        };
        return Ok(found
            .first()
            .map_or(Resolved::Invalid, |id| Resolved::Id(*id)));
    }
    if name.len() == hex_len {
        // Either case, as git's `get_oid_hex`.
        return Ok(ObjectId::from_hex(name).map_or(Resolved::Invalid, Resolved::Id));
    }
    match reader.resolve_prefix(name) {
        Ok(id) => Ok(Resolved::Id(id)),
        Err(Error::Ambiguous(_)) => Ok(Resolved::Ambiguous),
        Err(Error::PrefixNotFound(_)) => Ok(Resolved::Invalid),
        Err(e) => Err(e),
    }
}

/// Whether [`quote_c_style`] quotes `path`: a control character, a
/// quote, a backslash or a byte past ASCII in it.
pub fn needs_c_quotes(path: &[u8]) -> bool {
    path.iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f)
}

/// Quotes `path` as git's `quote_c_style` does (with `core.quotePath` on):
/// unchanged unless it holds control characters, `"`, `\` or non-ASCII bytes.
pub fn quote_c_style(path: &[u8]) -> Vec<u8> {
    if !needs_c_quotes(path) {
        return path.to_vec();
    }
    let mut out = vec![b'"'];
    for &b in path {
        match b {
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            11 => out.extend_from_slice(b"\\v"),
            12 => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b if !(0x20..0x7f).contains(&b) => {
                out.extend_from_slice(format!("\\{b:03o}").as_bytes());
            }
            b => out.push(b),
        }
    }
    out.push(b'"');
    out
}

#[cfg(test)]
mod tests {
    use super::quote_c_style;

    #[test]
    fn quotes_like_git() {
        assert_eq!(quote_c_style(b"plain.txt"), b"plain.txt");
        assert_eq!(quote_c_style(b"tab\there"), b"\"tab\\there\"");
        assert_eq!(quote_c_style("é".as_bytes()), b"\"\\303\\251\"");
        assert_eq!(quote_c_style(b"q\"b\\"), b"\"q\\\"b\\\\\"");
    }
}
