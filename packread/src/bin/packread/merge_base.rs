//! `packread merge-base`: `git merge-base` (`--all`, `--octopus`,
//! `--independent`, `--is-ancestor`) with git's output, messages and exit
//! codes.

use std::io::{self, Write};

use packread::history::Ancestry;
use packread::{Error, ObjectId, ObjectKind};

use crate::context::Context;
use crate::{Exit, Global};

const USAGE: &str = "usage: git merge-base [-a | --all] <commit> <commit>...
   or: git merge-base [-a | --all] --octopus <commit>...
   or: git merge-base --is-ancestor <commit> <commit>
   or: git merge-base --independent <commit>...
   or: git merge-base --fork-point <ref> [<commit>]

    -a, --[no-]all        output all common ancestors
    --octopus             find ancestors for a single n-way merge
    --independent         list revs not reachable from others
    --is-ancestor         is the first one ancestor of the other?
    --fork-point          find where <commit> forked from reflog of <ref>
";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Bases,
    Octopus,
    Independent,
    IsAncestor,
}

impl Mode {
    fn flag(self) -> &'static str {
        match self {
            Mode::Bases => "",
            Mode::Octopus => "--octopus",
            Mode::Independent => "--independent",
            Mode::IsAncestor => "--is-ancestor",
        }
    }
}

/// The options and commit names, checked as git's parse-options and
/// `cmd_merge_base` check them.
fn parse_args(args: &[String]) -> Result<(Mode, bool, Vec<&str>), Exit> {
    let mut all = false;
    let mut mode = Mode::Bases;
    let mut names: Vec<&str> = Vec::new();
    let mut options_done = false;
    for arg in args {
        if options_done || !arg.starts_with('-') || arg == "-" {
            names.push(arg);
            continue;
        }
        let next = match arg.as_str() {
            "--" => {
                options_done = true;
                continue;
            }
            "-a" | "--all" => {
                all = true;
                continue;
            }
            "--no-all" => {
                all = false;
                continue;
            }
            "--octopus" => Mode::Octopus,
            "--independent" => Mode::Independent,
            "--is-ancestor" => Mode::IsAncestor,
            "-h" => return Err(Exit::Help(USAGE)),
            "--fork-point" => {
                return Err(Exit::Fatal(
                    "packread merge-base does not support --fork-point (it reads reflogs)".into(),
                ));
            }
            other => {
                return Err(crate::unknown_option(other, USAGE));
            }
        };
        if mode != Mode::Bases && mode != next {
            // git's parse-options: the error alone, exit 129.
            return Err(Exit::UsageLine(format!(
                "error: options '{}' and '{}' cannot be used together",
                next.flag(),
                mode.flag()
            )));
        }
        mode = next;
    }
    if mode == Mode::IsAncestor {
        if names.len() < 2 {
            return Err(Exit::Usage(String::new(), USAGE));
        }
        if all {
            return Err(Exit::Fatal(
                "options '--is-ancestor' and '--all' cannot be used together".into(),
            ));
        }
    }
    if mode == Mode::Independent && all {
        return Err(Exit::Fatal(
            "options '--independent' and '--all' cannot be used together".into(),
        ));
    }
    if mode == Mode::Bases && names.len() < 2 {
        return Err(Exit::Usage(String::new(), USAGE));
    }
    Ok((mode, all, names))
}

pub fn run(global: &Global, args: &[String]) -> Result<i32, Exit> {
    let (mode, all, names) = parse_args(args)?;
    let cx = &global.open()?;
    cx.refuse_replace_refs()?;
    let mut ids = Vec::with_capacity(names.len());
    for name in &names {
        ids.push(commit_reference(cx, name)?);
    }
    if mode == Mode::IsAncestor && ids.len() != 2 {
        return Err(Exit::Fatal(
            "--is-ancestor takes exactly two commits".into(),
        ));
    }
    let mut ancestry = Ancestry::with_graph(cx.odb.reader(), cx.commit_graph());
    ancestry.set_shallow(cx.shallow()?);
    let found = match mode {
        Mode::IsAncestor => {
            let yes = ancestry.is_ancestor(ids[0], ids[1]).map_err(failed)?;
            return Ok(i32::from(!yes));
        }
        Mode::Bases => ancestry.merge_bases(ids[0], &ids[1..]),
        Mode::Octopus => ancestry.octopus_merge_bases(&ids),
        Mode::Independent => ancestry.independent(&ids),
    }
    .map_err(failed)?;
    if found.is_empty() {
        return Ok(1);
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let shown = if all || mode == Mode::Independent {
        found.len()
    } else {
        1
    };
    for id in &found[..shown] {
        writeln!(out, "{id}")?;
    }
    out.flush()?;
    Ok(0)
}

/// git's `get_commit_reference`: the commit `name` names, tags followed.
fn commit_reference(cx: &Context, name: &str) -> Result<ObjectId, Exit> {
    let refs = cx.refs.as_ref().ok_or_else(|| {
        Exit::Fatal("not a git repository (or any of the parent directories): .git".into())
    })?;
    let mut reader = cx.odb.reader();
    let id = match crate::names::resolve_revision(cx, &mut reader, refs, name) {
        Ok(rev) => {
            crate::names::print_warnings(cx, &rev.warnings);
            rev.id
        }
        Err(Error::Revision { warnings, .. }) => {
            crate::names::print_warnings(cx, &warnings);
            return Err(Exit::Fatal(format!("Not a valid object name {name}")));
        }
        Err(Error::Ambiguous(_)) => {
            return Err(Exit::Fatal(format!("Not a valid object name {name}")));
        }
        Err(e) => return Err(e.into()),
    };
    let mut data = Vec::new();
    if let Some(commit) = reader.read_peeled(&id, ObjectKind::Commit, &mut data)? {
        return Ok(commit);
    }
    let kind = reader.header(&id)?.kind;
    eprintln!("error: object {id} is a {kind}, not a commit");
    Err(Exit::Fatal(format!("Not a valid commit name {name}")))
}

/// A merge-base computation that failed (a commit that can't be read).
fn failed(e: Error) -> Exit {
    match e {
        Error::NotFound(id) => Exit::Fatal(format!("could not parse commit {id}")),
        other => other.into(),
    }
}
