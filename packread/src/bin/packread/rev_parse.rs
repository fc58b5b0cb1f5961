//! `packread rev-parse`: the object-naming part of `git rev-parse`
//! (`--verify`, `-q`, `--short[=<n>]`, `--symbolic-full-name`), with git's
//! output, messages and exit codes.

use std::io::{self, Write};
use std::path::Path;

use packread::history::Ancestry;
use packread::refs::RefStore;
use packread::{Error, ObjectId, Reader, RevisionProblem, revision};

use crate::ambiguous;
use crate::context::Context;
use crate::git_words;
use crate::loose_replay::{self, Fail, LooseFile};
use crate::names::MINIMUM_ABBREV;
use crate::{Exit, Global};
use packread::revision::ParentShorthand as Shorthand;

#[derive(Default)]
struct Options {
    verify: bool,
    quiet: bool,
    /// `--short`: the minimum length (0 for git's automatic one).
    short: Option<usize>,
    symbolic_full_name: bool,
}

pub fn run(global: &Global, args: &[String]) -> Result<i32, Exit> {
    let cx = &global.open()?;
    let odb = &cx.odb;
    let refs = cx.refs.as_ref().ok_or_else(|| {
        Exit::Fatal("not a git repository (or any of the parent directories): .git".into())
    })?;
    let mut reader = odb.reader();
    let out = io::stdout();
    let mut out = io::BufWriter::new(out.lock());
    let mut o = Options::default();
    let mut as_is = 0u8;
    let mut end_of_options = false;
    let mut verified: Vec<(String, ObjectId, bool)> = Vec::new();
    for arg in args {
        if as_is > 0 {
            writeln!(out, "{arg}")?;
            if as_is == 1 && !Path::new(arg).exists() {
                out.flush()?;
                return Err(Exit::Fatal(format!(
                    "{arg}: no such path in the working tree.\n\
                     Use 'git <command> -- <path>...' to specify paths that do not exist locally."
                )));
            }
            continue;
        }
        if !end_of_options && arg.starts_with('-') {
            match arg.as_str() {
                "--" => {
                    as_is = 2;
                    writeln!(out, "--")?;
                }
                "--end-of-options" => {
                    end_of_options = true;
                    writeln!(out, "{arg}")?;
                }
                "--verify" => o.verify = true,
                "-q" | "--quiet" => o.quiet = true,
                // `--short` is `--verify` with an abbreviation, as in git.
                "--short" => {
                    o.short = Some(0);
                    o.verify = true;
                }
                "--symbolic-full-name" => o.symbolic_full_name = true,
                _ => match arg.strip_prefix("--short=") {
                    Some(n) => {
                        let n: usize = n.parse().unwrap_or(0);
                        o.short = Some(n.max(MINIMUM_ABBREV));
                        o.verify = true;
                    }
                    None => {
                        return Err(Exit::Fatal(format!(
                            "packread rev-parse does not support '{arg}' (it names objects: \
                             --verify, -q, --short[=<n>], --symbolic-full-name)"
                        )));
                    }
                },
            }
            continue;
        }
        if printed_range(cx, &mut reader, &mut out, &o, arg)? {
            continue;
        }
        // `^<rev>`: the revision, excluded.
        let (name, reversed) = match arg.strip_prefix('^') {
            Some(name) if !name.is_empty() => (name, true),
            _ => (arg.as_str(), false),
        };
        let resolved = crate::names::resolve_revision(cx, &mut reader, refs, name);
        // Packs git keeps but can't use, met on the way.
        cx.report_warnings(reader.take_refresh_warnings());
        match resolved {
            Ok(rev) => {
                for w in rev
                    .warnings
                    .iter()
                    .flat_map(|w| cx.revision_warning_lines(w, false))
                {
                    eprintln!("{w}");
                }
                if o.verify {
                    verified.push((name.to_owned(), rev.id, reversed));
                } else {
                    show(&mut out, &mut reader, refs, &o, (name, reversed), rev.id)?;
                }
            }
            Err(e) => {
                if let Some(code) = unresolved(cx, &mut reader, &mut out, &o, arg, e)? {
                    return Ok(code);
                }
                // Not a revision: git took it for a file, which exists.
                as_is = 1;
            }
        }
    }
    if o.verify {
        if verified.len() != 1 {
            return no_single_revision(&mut out, o.quiet);
        }
        let (name, id, reversed) = verified.pop().expect("one");
        show(&mut out, &mut reader, refs, &o, (&name, reversed), id)?;
    }
    out.flush()?;
    Ok(0)
}

/// What git does with `arg`, which names no revision (`e` says why): its
/// warnings, then a fatal error, `--verify`'s refusal (`Some` exit code), or
/// the argument taken as a file that exists (`None`).
fn unresolved(
    cx: &Context,
    reader: &mut Reader,
    out: &mut impl Write,
    o: &Options,
    arg: &str,
    e: Error,
) -> Result<Option<i32>, Exit> {
    // A loose object the reader refused on the way: git parses it (its
    // lines, its hash checked) and, unless it dies, finds no revision.
    let mut damaged = None;
    // Lines printed now, and again when git looks the name up once more
    // (without the commit-graph's: git loads that once).
    let (warnings, again, problem) = match e {
        Error::Revision {
            warnings, problem, ..
        } => (
            warnings
                .iter()
                .flat_map(|w| cx.revision_warning_lines(w, false))
                .collect(),
            warnings
                .iter()
                .flat_map(|w| git_words::revision_warning(w, false))
                .collect(),
            Some(problem),
        ),
        Error::Ambiguous(_) => {
            let lines = ambiguous::report(reader, arg)?;
            (lines.clone(), lines, None)
        }
        Error::Corrupt { ref path, .. } if let Some(id) = loose_replay::loose_id(path) => {
            let file = LooseFile::open(cx, id, path);
            match file.parse_object() {
                Err(Fail::Die(msg)) => return Err(Exit::Fatal(msg)),
                // git reads what packread refused.
                Ok(Some(_)) => return Err(Exit::Fatal(crate::fatal_message(e))),
                Ok(None) | Err(Fail::Missing) => {}
            }
            damaged = Some(file);
            (Vec::new(), Vec::new(), None)
        }
        other => return Err(other.into()),
    };
    for w in &warnings {
        eprintln!("{w}");
    }
    // Forms packread refuses, and paths above the work tree
    // (git dies on those as it reads them).
    if let Some(
        problem @ (RevisionProblem::Unsupported(_)
        | RevisionProblem::PathOutsideRepository(_)
        | RevisionProblem::RelativePathWithoutWorkTree),
    ) = problem
    {
        out.flush()?;
        return Err(Error::Revision {
            name: arg.to_owned(),
            problem,
            warnings: Vec::new(),
        }
        .into());
    }
    if o.verify {
        return no_single_revision(out, o.quiet).map(Some);
    }
    // Not a revision: git takes it for a file, which must exist.
    writeln!(out, "{arg}")?;
    if !Path::new(arg).exists() {
        out.flush()?;
        // git looks the name up once more to explain the
        // failure, saying what it said the first time again.
        for w in &again {
            eprintln!("{w}");
        }
        if let Some(file) = &damaged {
            let _ = file.parse_object();
        }
        if let Some(RevisionProblem::PathNotInTree { path, rev }) = problem {
            return Err(Exit::Fatal(crate::names::missing_path(
                cx,
                Some(reader),
                &path,
                &rev,
            )));
        }
        return Err(Exit::Fatal(crate::names::unknown_revision_or_path(arg)));
    }
    Ok(None)
}

/// git's `die_no_single_rev`: quietly exit 1 with `-q`, else die.
fn no_single_revision(out: &mut impl Write, quiet: bool) -> Result<i32, Exit> {
    out.flush()?;
    if quiet {
        return Ok(1);
    }
    Err(Exit::Fatal("Needed a single revision".into()))
}

/// git's `show_rev`: the id, its abbreviation, or the full ref name.
fn show(
    out: &mut impl Write,
    reader: &mut Reader,
    refs: &RefStore,
    o: &Options,
    (name, reversed): (&str, bool),
    id: ObjectId,
) -> Result<(), Exit> {
    let sign = if reversed { "^" } else { "" };
    if o.symbolic_full_name {
        let found = revision::ref_candidates(refs, name)?;
        match found.as_slice() {
            [] => {}
            [one] => writeln!(out, "{sign}{}", one.name)?,
            _ => eprintln!("error: refname '{name}' is ambiguous"),
        }
        return Ok(());
    }
    if let Some(min) = o.short {
        writeln!(out, "{sign}{}", reader.abbreviate(&id, min)?)?;
        return Ok(());
    }
    writeln!(out, "{sign}{id}")?;
    Ok(())
}

/// Prints the ends of a range or a parent shorthand (git's
/// `try_difference`, `try_parent_shorthands`), if `arg` is one; not with
/// `--verify`, `--short` or `--symbolic-full-name`, which packread refuses
/// them. First refuses a name that leads through objects where git would
/// read them through replace refs.
fn printed_range(
    cx: &Context,
    reader: &mut Reader,
    out: &mut impl Write,
    o: &Options,
    arg: &str,
) -> Result<bool, Exit> {
    let refs = cx.refs.as_ref().expect("checked by the caller");
    // What replace refs change: the objects a name leads through.
    if arg
        .get(1..)
        .is_some_and(|rest| rest.contains(['^', '~', ':']))
        || arg.contains("...")
    {
        cx.refuse_replace_refs()?;
    }
    if o.verify || o.short.is_some() || o.symbolic_full_name {
        return Ok(false);
    }
    let Some(lines) = range_ends(cx, reader, refs, arg)? else {
        return Ok(false);
    };
    for (reversed, id) in lines {
        writeln!(out, "{}{id}", if reversed { "^" } else { "" })?;
    }
    Ok(true)
}

/// What `rev-parse` prints for a range or a parent shorthand (each id,
/// and whether it is excluded: `^<id>`), as git's `try_difference` and
/// `try_parent_shorthands`; `None` where `arg` is neither or its ends name
/// no commit (then it is read as a revision).
fn range_ends(
    cx: &Context,
    reader: &mut Reader,
    refs: &RefStore,
    arg: &str,
) -> Result<Option<Vec<(bool, ObjectId)>>, Exit> {
    if let Some(at) = arg.find("..") {
        let (a, mut b) = (&arg[..at], &arg[at + 2..]);
        let symmetric = b.starts_with('.');
        if symmetric {
            b = &b[1..];
        }
        if a.is_empty() && b.is_empty() && !symmetric {
            // `..` is the parent directory.
            return Ok(None);
        }
        let a = if a.is_empty() { "HEAD" } else { a };
        let b = if b.is_empty() { "HEAD" } else { b };
        let resolve = |reader: &mut Reader, name: &str| {
            crate::names::resolve_revision(cx, reader, refs, name)
                .ok()
                .map(|r| r.id)
        };
        let (Some(start), Some(end)) = (resolve(reader, a), resolve(reader, b)) else {
            return Ok(None);
        };
        let mut lines = vec![(false, end), (!symmetric, start)];
        if symmetric {
            let shallow = cx.shallow()?;
            let mut commit = |id| {
                packread::history::commit_and_parents(reader, id, &shallow)
                    .ok()
                    .flatten()
                    .map(|(commit, _)| commit)
            };
            let (Some(x), Some(y)) = (commit(start), commit(end)) else {
                return Ok(None);
            };
            let mut ancestry = Ancestry::with_graph(cx.odb.reader(), cx.commit_graph());
            ancestry.set_shallow(shallow);
            let bases = ancestry
                .merge_bases(x, &[y])
                .map_err(crate::rev_list::walk_error)?;
            lines.extend(bases.into_iter().map(|id| (true, id)));
        }
        return Ok(Some(lines));
    }
    let Some((base, shorthand)) = packread::revision::rev_parse_shorthand(arg) else {
        return Ok(None);
    };
    // The name's own object (a tag's, for a tag) is what git prints.
    let Some((id, _, parents)) = crate::shorthands::commit_and_parents(cx, reader, refs, base)?
    else {
        return Ok(None);
    };
    let mut lines = Vec::new();
    let wanted = match shorthand {
        Shorthand::Parents => &parents[..],
        Shorthand::Only => {
            lines.push((false, id));
            &parents[..]
        }
        Shorthand::WithoutParent(n) => {
            let Some(parent) = parents.get(n - 1) else {
                return Ok(None);
            };
            lines.push((false, id));
            std::slice::from_ref(parent)
        }
    };
    let excluded = shorthand != Shorthand::Parents;
    lines.extend(wanted.iter().map(|&p| (excluded, p)));
    Ok(Some(lines))
}
