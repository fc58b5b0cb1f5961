//! `packread rev-list`: git's revision walk (`git rev-list`) with git's
//! output, messages and exit codes: starting points and exclusions (`A`,
//! `^A`, `A..B`, `A...B`, `--all`, `--branches`, `--tags`, `--remotes`,
//! `--not`, `--stdin`), the orders (`--topo-order`, `--date-order`,
//! `--author-date-order`, `--reverse`), `--first-parent`, `-n`, `--skip`,
//! `--since`/`--until` (and `--max-age`/`--min-age`), `--merges`,
//! `--no-merges`, `--min-parents`, `--max-parents`, `--author`,
//! `--committer`, `--grep` (`-i`, `-E`, `-F`, `--all-match`),
//! `--boundary`, `--left-right`, `--count`, `--parents`, `--timestamp`.
//! `log` parses its walk options here too.

use std::io::{self, BufRead, Write};

use packread::history::{
    CommitFilter, ListError, Missing, ObjectList, Order, PatternSyntax, Walk, WalkOptions, Walked,
};
use packread::mailmap::Mailmap;
use packread::refs::RefSelection;
use packread::refs::RefStore;
use packread::{Error, ObjectId, ObjectKind, Reader, WalkStage};

use crate::context::Context;
use crate::loose_replay::GitRead;
use crate::{Exit, Global};
use packread::revision::ParentShorthand as Shorthand;

const USAGE: &str = "usage: git rev-list [<options>] <commit>... [--] [<path>...]

  limiting output:
    --max-count=<n>
    --max-age=<epoch>
    --min-age=<epoch>
    --sparse
    --no-merges
    --min-parents=<n>
    --no-min-parents
    --max-parents=<n>
    --no-max-parents
    --remove-empty
    --all
    --branches
    --tags
    --remotes
    --stdin
    --exclude-hidden=[fetch|receive|uploadpack]
    --quiet
  ordering output:
    --topo-order
    --date-order
    --reverse
  formatting output:
    --parents
    --children
    --objects | --objects-edge
    --disk-usage[=human]
    --unpacked
    --header | --pretty
    --[no-]object-names
    --abbrev=<n> | --no-abbrev
    --abbrev-commit
    --left-right
    --count
  special purpose:
    --bisect
    --bisect-vars
    --bisect-all";

/// How each commit is printed (with `count`, only how many there are).
#[allow(clippy::struct_excessive_bools)] // git's independent options
#[derive(Default)]
struct Output {
    count: Option<Count>,
    parents: bool,
    timestamp: bool,
    left_right: bool,
    /// `--objects`: the trees and blobs too.
    objects: bool,
    /// `--no-object-names` clears it.
    object_names: Option<bool>,
    /// The first valid `--missing=` (git ignores the others).
    missing: Option<Missing>,
}

/// `--author`, `--committer`, `--grep` and how their patterns are read.
#[derive(Default)]
struct Grep {
    authors: Vec<String>,
    committers: Vec<String>,
    messages: Vec<String>,
    syntax: PatternSyntax,
    ignore_case: bool,
    all_match: bool,
    invert: bool,
}

impl Grep {
    /// Takes a grep option (`Ok(false)` for another); `value` gives a
    /// separate argument's value.
    fn option(
        &mut self,
        arg: &str,
        value: &mut dyn FnMut() -> Option<String>,
    ) -> Result<bool, Exit> {
        for (name, list) in [
            ("--author", &mut self.authors),
            ("--committer", &mut self.committers),
            ("--grep", &mut self.messages),
        ] {
            if let Some(v) = arg.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                list.push(v.to_owned());
                return Ok(true);
            }
            if arg == name {
                let v = value()
                    .ok_or_else(|| Exit::Fatal(format!("Option '{name}' requires a value")))?;
                list.push(v);
                return Ok(true);
            }
        }
        match arg {
            "-i" | "--regexp-ignore-case" => self.ignore_case = true,
            "-E" | "--extended-regexp" => self.syntax = PatternSyntax::Extended,
            "-F" | "--fixed-strings" => self.syntax = PatternSyntax::Fixed,
            "--basic-regexp" => self.syntax = PatternSyntax::Basic,
            "--all-match" => self.all_match = true,
            "--invert-grep" => self.invert = true,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The walk's filter (log's people seen through `mailmap`).
    fn filter(&self, mailmap: Option<Mailmap>) -> Result<Option<CommitFilter>, Exit> {
        let filter = CommitFilter::new(
            &strs(&self.authors),
            &strs(&self.committers),
            &strs(&self.messages),
            self.syntax,
            self.ignore_case,
            self.all_match,
        )
        .map_err(|e| {
            Exit::Fatal(format!(
                "command line, '{}': {}",
                e.pattern,
                crate::git_words::regex_error(&e.reason)
            ))
        })?;
        if filter.is_empty() {
            return Ok(None);
        }
        let filter = if self.invert {
            filter.inverted()
        } else {
            filter
        };
        Ok(Some(match mailmap {
            Some(m) => filter.with_mailmap(m),
            None => filter,
        }))
    }
}

/// The patterns as `&str`s.
fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// `--count`'s tallies.
#[derive(Default)]
struct Count {
    left: usize,
    right: usize,
}

/// One starting point, as git adds it to its pending list.
enum Tip {
    One {
        id: ObjectId,
        uninteresting: bool,
        /// For `<rev>:<path>`: the path (the name `--objects` lists it
        /// under).
        path: Option<String>,
    },
    /// `A...B` (after `--not` if `not`).
    Symmetric {
        a: ObjectId,
        b: ObjectId,
        not: bool,
        arg: String,
    },
}

pub fn run(global: &Global, args: &[String]) -> Result<i32, Exit> {
    let cx = &global.open()?;
    cx.refuse_replace_refs()?;
    let mut parsed = parse(cx, args, |_| Ok(false))?;
    if parsed.tips.is_empty() && !parsed.given {
        return Err(Exit::Usage(String::new(), USAGE));
    }
    parsed.opts.filter = parsed.grep.filter(None)?;
    if parsed.out.objects {
        if parsed.out.count.is_some() && parsed.out.left_right {
            return Err(Exit::Fatal(
                "marked counting and '--objects' cannot be used together".into(),
            ));
        }
        // With --missing, git fetches nothing (`fetch_if_missing = 0`).
        if parsed.out.missing.is_some() {
            cx.odb.set_lazy_fetch(false);
        }
        let missing = parsed.out.missing.unwrap_or_default();
        let list = ObjectList::new(parsed.opts.paths.clone(), missing);
        let (walk, list) = start_listing(cx, parsed.opts, parsed.tips, Some(list))?;
        return print_listing(walk, list, &mut parsed.out);
    }
    let walk = start(cx, parsed.opts, parsed.tips)?;
    print(walk, &mut parsed.out)
}

/// What a command line asks of a walk.
pub struct Parsed {
    pub opts: WalkOptions,
    out: Output,
    grep: Grep,
    tips: Vec<Tip>,
    /// Whether a revision (or `--all`, `--stdin`...) was given, even one
    /// that adds nothing.
    pub given: bool,
}

impl Parsed {
    /// Whether no starting point was given.
    pub fn is_empty(&self) -> bool {
        self.tips.is_empty() && !self.given
    }

    /// `--left-right` and `--parents`.
    pub fn marks(&self) -> (bool, bool) {
        (self.out.left_right, self.out.parents)
    }

    /// Adds `id` as a starting point (`git log`'s default `HEAD`).
    pub fn push(&mut self, id: ObjectId) {
        self.tips.push(Tip::One {
            id,
            uninteresting: false,
            path: None,
        });
    }

    /// The walk it asks for; `--author` and `--committer` see people as
    /// `mailmap` shows them, if given (`git log`).
    pub fn walk(mut self, cx: &Context, mailmap: Option<Mailmap>) -> Result<Walk, Exit> {
        self.opts.filter = self.grep.filter(mailmap)?;
        start(cx, self.opts, self.tips)
    }
}

/// Parses walk arguments as git's `setup_revisions`; `extra` is offered
/// each option first (`Ok(true)`: it took it).
pub fn parse(
    cx: &Context,
    args: &[String],
    mut extra: impl FnMut(&str) -> Result<bool, Exit>,
) -> Result<Parsed, Exit> {
    let refs = cx.refs.as_ref().ok_or_else(|| {
        Exit::Fatal("not a git repository (or any of the parent directories): .git".into())
    })?;
    let mut reader = cx.odb.reader();
    let mut opts = WalkOptions::default();
    let mut out = Output::default();
    let mut grep = Grep::default();
    let mut tips: Vec<Tip> = Vec::new();
    let mut not = false;
    let mut stdin = false;
    let mut given = false;
    let mut unknown: Option<Exit> = None;
    let mut paths: Vec<String> = Vec::new();
    let mut excludes: Vec<String> = Vec::new();
    let dashdash = args.iter().any(|a| a == "--");
    let mut i = 0;
    let mut checked = 0;
    while i < args.len() {
        no_walk_after(&mut opts, &tips, &mut checked);
        let arg = args[i].as_str();
        i += 1;
        if arg == "--" {
            paths.extend(args[i..].iter().cloned());
            break;
        }
        if ref_option(refs, (arg, args, &mut i), &mut excludes, not, &mut tips)? {
            given |= !arg.starts_with("--exclude");
            continue;
        }
        if let Some(word) = arg.strip_prefix("--") {
            match word {
                "not" => {
                    not = !not;
                    continue;
                }
                "stdin" => {
                    stdin = true;
                    continue;
                }
                _ => {}
            }
        }
        if arg.starts_with('-') && arg != "-" {
            let mut value = || {
                let v = args.get(i).cloned();
                i += usize::from(v.is_some());
                v
            };
            if walk_or_not(arg, &mut opts)? || grep.option(arg, &mut value)? {
                continue;
            }
            if !extra(arg)? {
                // An option packread doesn't know is reported after the
                // revisions, as git reports them first.
                if let Err(e) = option(arg, args, &mut i, &mut opts, &mut out) {
                    match e {
                        Exit::Fatal(ref m) if m.starts_with("packread does not support") => {
                            unknown.get_or_insert(e);
                        }
                        other => return Err(other),
                    }
                }
            }
            continue;
        }
        given = true;
        let before = tips.len();
        if let Err(e) = revision(cx, &mut reader, refs, arg, not, &mut tips) {
            if dashdash || arg.starts_with('^') || !cx.work_tree || !is_file(arg) {
                return Err(e);
            }
            paths = paths_from(&args[i - 1..])?;
            break;
        }
        if !dashdash {
            crate::names::verify_non_filename(cx, crate::names::revision_as_checked(arg))
                .map_err(Exit::Fatal)?;
        }
        parse_references(cx, &tips[before..]);
    }
    no_walk_after(&mut opts, &tips, &mut checked);
    if stdin {
        given = true;
        read_stdin(cx, &mut reader, refs, &mut tips, not)?;
        no_walk_after(&mut opts, &tips, &mut checked);
    }
    if let Some(e) = unknown {
        return Err(e);
    }
    if !paths.is_empty() {
        opts.paths = cx.pathspec(&paths)?;
    }
    Ok(Parsed {
        opts,
        out,
        grep,
        tips,
        given,
    })
}

/// Applies one option; `args[*i]` is the next argument (a value).
fn option(
    arg: &str,
    args: &[String],
    i: &mut usize,
    opts: &mut WalkOptions,
    out: &mut Output,
) -> Result<(), Exit> {
    let number = |v: &str| -> Result<usize, Exit> {
        v.parse::<i64>()
            .map(|n| usize::try_from(n).unwrap_or(0))
            .map_err(|_| Exit::Fatal(format!("'{v}': not an integer")))
    };
    let count_value = |v: &str| -> Result<Option<usize>, Exit> {
        let n: i64 = v
            .parse()
            .map_err(|_| Exit::Fatal(format!("'{v}': not an integer")))?;
        Ok(usize::try_from(n).ok())
    };
    match arg {
        "--topo-order" => opts.order = Order::Topo,
        "--date-order" => opts.order = Order::CommitDate,
        "--author-date-order" => opts.order = Order::AuthorDate,
        "--reverse" => opts.reverse = !opts.reverse,
        "--first-parent" => opts.first_parent = true,
        "--merges" => opts.min_parents = 2,
        "--no-merges" => opts.max_parents = Some(1),
        "--no-min-parents" => opts.min_parents = 0,
        "--no-max-parents" => opts.max_parents = None,
        "--boundary" => opts.boundary = true,
        "--left-right" => out.left_right = true,
        "--left-only" | "--right-only" => only_side(arg, opts)?,
        "--count" => out.count = Some(Count::default()),
        "--parents" => {
            out.parents = true;
            opts.rewrite_parents = true;
        }
        "--full-history" => opts.full_history = true,
        "--objects" => out.objects = true,
        "--object-names" => out.object_names = Some(true),
        "--no-object-names" => out.object_names = Some(false),
        "--timestamp" => out.timestamp = true,
        "-n" => {
            let v = args
                .get(*i)
                .ok_or_else(|| Exit::Error("-n requires an argument".into()))?;
            *i += 1;
            opts.max_count = count_value(v)?;
        }
        "--max-count" | "--skip" | "--max-age" | "--min-age" => {
            let v = args
                .get(*i)
                .ok_or_else(|| Exit::Fatal(format!("Option '{arg}' requires a value")))?;
            *i += 1;
            return option(&format!("{arg}={v}"), args, i, opts, out);
        }
        "--since" | "--after" | "--until" | "--before" => {
            let v = args
                .get(*i)
                .ok_or_else(|| Exit::Fatal(format!("Option '{arg}' requires a value")))?;
            *i += 1;
            set_date_limit(arg, v, opts);
        }
        _ => {
            if let Some(v) = arg
                .strip_prefix("--max-count=")
                .or_else(|| arg.strip_prefix("-n"))
            {
                opts.max_count = count_value(v)?;
            } else if let Some(v) = arg.strip_prefix("--skip=") {
                opts.skip = number(v)?;
            } else if let Some(v) = arg.strip_prefix("--min-parents=") {
                opts.min_parents = number(v)?;
            } else if let Some(v) = arg.strip_prefix("--max-parents=") {
                opts.max_parents = count_value(v)?;
            } else if let Some((name, v)) = arg.split_once('=')
                && matches!(name, "--since" | "--after" | "--until" | "--before")
            {
                set_date_limit(name, v, opts);
            } else if let Some(v) = arg.strip_prefix("--missing=") {
                // The first valid value counts; git ignores the rest.
                let action = match v {
                    "error" => Some(Missing::Error),
                    "allow-any" => Some(Missing::AllowAny),
                    "allow-promisor" => Some(Missing::AllowPromisor),
                    "print" => Some(Missing::Print),
                    _ => None,
                };
                if out.missing.is_none() {
                    out.missing = action;
                }
            } else if let Some(v) = arg.strip_prefix("--max-age=") {
                opts.max_age = Some(parse_epoch(v));
            } else if let Some(v) = arg.strip_prefix("--min-age=") {
                opts.min_age = Some(parse_epoch(v));
            } else if let Some(n) = dash_count(arg) {
                opts.max_count = count_value(n)?;
            } else {
                return Err(Exit::Fatal(format!("packread does not support '{arg}'")));
            }
        }
    }
    Ok(())
}

/// The digits of `-<n>` (git's short form of `--max-count=<n>`).
fn dash_count(arg: &str) -> Option<&str> {
    arg.strip_prefix('-')
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `--since`/`--after` (the oldest commit date shown) or
/// `--until`/`--before` (the newest), read as git's `approxidate` reads
/// dates: at `GIT_TEST_DATE_NOW` if set (as git), in the local time zone.
fn set_date_limit(name: &str, value: &str, opts: &mut WalkOptions) {
    let now = crate::dates::now();
    let tz = jiff::tz::TimeZone::system();
    let t = packread::history::approxidate(value, now, &tz);
    // git keeps the date as an unsigned timestamp.
    let t = u64::try_from(t).unwrap_or(0);
    if matches!(name, "--since" | "--after") {
        opts.max_age = Some(t);
    } else {
        opts.min_age = Some(t);
    }
}

/// A timestamp as `--max-age`/`--min-age` take it (`strtoul`: digits up to
/// the first other byte).
fn parse_epoch(v: &str) -> u64 {
    let digits: String = v.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// `--no-walk[=sorted|unsorted]` and `--do-walk` (`Ok(true)`: taken),
/// and the count options after which git walks again (`-n`,
/// `--max-count`, `-<n>`: `Ok(false)`, left to be read).
fn walk_or_not(arg: &str, opts: &mut WalkOptions) -> Result<bool, Exit> {
    opts.no_walk = match arg {
        "--no-walk" | "--no-walk=sorted" => Some(true),
        "--no-walk=unsorted" => Some(false),
        "--do-walk" => None,
        _ if arg.starts_with("--no-walk=") => {
            return Err(Exit::Usage(
                "error: invalid argument to --no-walk".into(),
                USAGE,
            ));
        }
        _ => {
            if arg.starts_with("-n") || arg.starts_with("--max-count") || dash_count(arg).is_some()
            {
                opts.no_walk = None;
            }
            return Ok(false);
        }
    };
    Ok(true)
}

/// git's `add_pending_object_with_path`: an excluded starting point added
/// while `--no-walk` is on turns it off. Looks at the tips added since
/// `checked`.
fn no_walk_after(opts: &mut WalkOptions, tips: &[Tip], checked: &mut usize) {
    let excluded = tips[*checked..].iter().any(|t| match t {
        Tip::One { uninteresting, .. } => *uninteresting,
        // Its merge bases are.
        Tip::Symmetric { .. } => true,
    });
    if excluded {
        opts.no_walk = None;
    }
    *checked = tips.len();
}

/// `--left-only` or `--right-only` (not both, as git).
fn only_side(arg: &str, opts: &mut WalkOptions) -> Result<(), Exit> {
    let left = arg == "--left-only";
    if opts.only_side == Some(!left) {
        let other = if left {
            "--right-only/--cherry"
        } else {
            "--left-only"
        };
        return Err(Exit::Fatal(format!(
            "options '{arg}' and '{other}' cannot be used together"
        )));
    }
    opts.only_side = Some(left);
    Ok(())
}

/// Takes a ref option (`--all`, `--branches[=...]`, ..., `--glob`) and
/// adds its refs, leaving out those the `--exclude`s before it match, or
/// takes an `--exclude`; `false` for another argument.
fn ref_option(
    refs: &RefStore,
    (arg, args, i): (&str, &[String], &mut usize),
    excludes: &mut Vec<String>,
    not: bool,
    tips: &mut Vec<Tip>,
) -> Result<bool, Exit> {
    if let Some(v) = long_value(arg, "--exclude", args, i) {
        excludes.push(v?);
        return Ok(true);
    }
    let Some(selection) = ref_selection(arg, args, i)? else {
        return Ok(false);
    };
    for id in refs.select(selection.as_selection(), excludes)? {
        tips.push(Tip::One {
            id,
            uninteresting: not,
            path: None,
        });
    }
    excludes.clear();
    Ok(true)
}

/// A ref option's refs: which, and the pattern it was given.
enum Selected {
    All,
    Branches(Option<String>),
    Tags(Option<String>),
    Remotes(Option<String>),
    Glob(String),
}

impl Selected {
    fn as_selection(&self) -> RefSelection<'_> {
        match self {
            Selected::All => RefSelection::All,
            Selected::Branches(p) => RefSelection::Branches(p.as_deref()),
            Selected::Tags(p) => RefSelection::Tags(p.as_deref()),
            Selected::Remotes(p) => RefSelection::Remotes(p.as_deref()),
            Selected::Glob(p) => RefSelection::Glob(p),
        }
    }
}

/// The refs `arg` adds (`--all`, `--branches[=<pattern>]`,
/// `--tags[=<pattern>]`, `--remotes[=<pattern>]`, `--glob[=]<pattern>`),
/// if it is one of those options.
fn ref_selection(arg: &str, args: &[String], i: &mut usize) -> Result<Option<Selected>, Exit> {
    let pattern = |prefix: &str| arg.strip_prefix(prefix).map(str::to_owned);
    Ok(Some(match arg {
        "--all" => Selected::All,
        "--branches" => Selected::Branches(None),
        "--tags" => Selected::Tags(None),
        "--remotes" => Selected::Remotes(None),
        _ => {
            if let Some(p) = pattern("--branches=") {
                Selected::Branches(Some(p))
            } else if let Some(p) = pattern("--tags=") {
                Selected::Tags(Some(p))
            } else if let Some(p) = pattern("--remotes=") {
                Selected::Remotes(Some(p))
            } else if let Some(p) = long_value(arg, "--glob", args, i) {
                Selected::Glob(p?)
            } else {
                return Ok(None);
            }
        }
    }))
}

/// The value of option `name` (`--name=<v>` or `--name <v>`), if `arg` is
/// it; git's `requires a value` if the value is missing.
fn long_value(
    arg: &str,
    name: &str,
    args: &[String],
    i: &mut usize,
) -> Option<Result<String, Exit>> {
    if let Some(v) = arg
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('='))
    {
        return Some(Ok(v.to_owned()));
    }
    if arg != name {
        return None;
    }
    let v = args.get(*i).cloned();
    *i += 1;
    Some(v.ok_or_else(|| Exit::Fatal(format!("Option '{name}' requires a value"))))
}

/// Adds what a revision argument names: `A`, `^A`, `A..B`.
fn revision(
    cx: &Context,
    reader: &mut Reader,
    refs: &RefStore,
    arg: &str,
    not: bool,
    tips: &mut Vec<Tip>,
) -> Result<(), Exit> {
    if let Some(at) = arg.find("..") {
        let (a, mut b) = (&arg[..at], &arg[at + 2..]);
        let symmetric = b.starts_with('.');
        if symmetric {
            b = &b[1..];
        }
        let a = if a.is_empty() { "HEAD" } else { a };
        let b = if b.is_empty() { "HEAD" } else { b };
        let (Some(x), Some(y)) = (resolve(cx, reader, refs, a)?, resolve(cx, reader, refs, b)?)
        else {
            return Err(ambiguous(arg));
        };
        if symmetric {
            tips.push(Tip::Symmetric {
                a: x,
                b: y,
                not,
                arg: arg.to_owned(),
            });
            return Ok(());
        }
        tips.push(Tip::One {
            id: x,
            uninteresting: !not,
            path: None,
        });
        tips.push(Tip::One {
            id: y,
            uninteresting: not,
            path: None,
        });
        return Ok(());
    }
    // `X^@`, `X^!`, `X^-<n>` (git's `add_parents_only`): the parents,
    // with the sign of `X` (`^@`) or excluded, then `X` itself.
    let shorthand = packread::revision::parent_shorthand(arg).map_err(|()| ambiguous(arg))?;
    if let Some((base, shorthand)) = shorthand {
        let (name, flip) = match base.strip_prefix('^') {
            Some(rest) => (rest, true),
            None => (base, false),
        };
        if let Some((_, _, parents)) =
            crate::shorthands::commit_and_parents(cx, reader, refs, name)?
        {
            let uninteresting = (flip != not) != (shorthand != Shorthand::Parents);
            let wanted = match shorthand {
                Shorthand::WithoutParent(n) if n > parents.len() => None,
                Shorthand::WithoutParent(n) => Some(&parents[n - 1..n]),
                _ => Some(&parents[..]),
            };
            if let Some(wanted) = wanted {
                tips.extend(wanted.iter().map(|&id| Tip::One {
                    id,
                    uninteresting,
                    path: None,
                }));
                if shorthand == Shorthand::Parents {
                    return Ok(());
                }
                return revision(cx, reader, refs, base, not, tips);
            }
        }
    }
    let (name, negated) = match arg.strip_prefix('^') {
        Some(rest) => (rest, true),
        None => (arg, false),
    };
    let resolved = resolve_with_path(cx, reader, refs, name)?;
    let Some((id, path)) = resolved else {
        if let Some(msg) = crate::names::misspelt(cx, reader, refs, name) {
            return Err(Exit::Fatal(msg));
        }
        return Err(ambiguous(arg));
    };
    tips.push(Tip::One {
        id,
        uninteresting: negated != not,
        path,
    });
    Ok(())
}

/// Without `--`, the arguments from the first that names no revision but
/// a file in the work tree: paths, each of which must be a file.
fn paths_from(args: &[String]) -> Result<Vec<String>, Exit> {
    let rest: Vec<String> = args
        .iter()
        .take_while(|a| a.as_str() != "--")
        .cloned()
        .collect();
    match rest.iter().find(|a| !is_file(a)) {
        Some(missing) => Err(ambiguous(missing)),
        None => Ok(rest),
    }
}

/// Whether `path` names a file (of any kind) from where the command runs.
fn is_file(path: &str) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

fn ambiguous(arg: &str) -> Exit {
    Exit::Fatal(crate::names::unknown_revision_or_path(arg))
}

/// The id `name` names, printing git's warnings; `None` if it names none.
fn resolve(
    cx: &Context,
    reader: &mut Reader,
    refs: &RefStore,
    name: &str,
) -> Result<Option<ObjectId>, Exit> {
    Ok(resolve_with_path(cx, reader, refs, name)?.map(|(id, _)| id))
}

/// As [`resolve`], with the path of a `<rev>:<path>` name.
fn resolve_with_path(
    cx: &Context,
    reader: &mut Reader,
    refs: &RefStore,
    name: &str,
) -> Result<Option<(ObjectId, Option<String>)>, Exit> {
    match crate::names::resolve_revision(cx, reader, refs, name) {
        Ok(rev) => {
            for w in rev
                .warnings
                .iter()
                .flat_map(|w| cx.revision_warning_lines(w, false))
            {
                eprintln!("{w}");
            }
            Ok(Some((rev.id, rev.path.map(|(p, _)| p))))
        }
        Err(Error::Revision { warnings, .. }) => {
            crate::names::print_warnings(cx, &warnings);
            Ok(None)
        }
        Err(Error::Ambiguous(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `--stdin`: revisions one per line, until the end or a `--` line.
fn read_stdin(
    cx: &Context,
    reader: &mut Reader,
    refs: &RefStore,
    tips: &mut Vec<Tip>,
    mut not: bool,
) -> Result<(), Exit> {
    let stdin = io::stdin();
    for line in stdin.lock().lines() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        if line == "--" {
            break;
        }
        if line == "--not" {
            not = !not;
            continue;
        }
        if line.starts_with('-') {
            return Err(Exit::Fatal(format!(
                "invalid option '{line}' in --stdin mode"
            )));
        }
        let before = tips.len();
        revision(cx, reader, refs, &line, not, tips)?;
        parse_references(cx, &tips[before..]);
    }
    Ok(())
}

/// git's `get_reference` of the objects an argument named, after the
/// argument was checked against the work tree: it looks each up in the
/// commit-graph before reading it, whatever its kind, which loads the
/// graph (before any later argument is looked at).
fn parse_references(cx: &Context, tips: &[Tip]) {
    if !tips.is_empty() {
        cx.load_graph();
    }
}

/// The walk of `tips` (git's pending list, in order).
fn start(cx: &Context, opts: WalkOptions, tips: Vec<Tip>) -> Result<Walk, Exit> {
    Ok(start_listing(cx, opts, tips, None)?.0)
}

/// The walk of `tips`, and with `--objects` (`objects`: how missing
/// objects are handled), the listing of the trees, blobs and tags they
/// name, as git's `handle_commit` adds them.
fn start_listing(
    cx: &Context,
    opts: WalkOptions,
    tips: Vec<Tip>,
    objects: Option<ObjectList>,
) -> Result<(Walk, Option<ObjectList>), Exit> {
    let mut walk = Walk::with_graph(cx.odb.reader(), cx.commit_graph(), opts);
    walk.set_shallow(cx.shallow()?);
    let mut list = objects;
    let mut reader = cx.odb.reader();
    let bad = |e: Error| match e {
        Error::NotFound(id) => Exit::Fatal(format!("bad object {id}")),
        other => Exit::from_read(other, GitRead::Tip),
    };
    for t in tips {
        match t {
            Tip::One {
                id,
                uninteresting,
                path,
            } => {
                if let Some(list) = list.as_mut() {
                    listed_tip(&mut reader, list, id, uninteresting, path.as_deref())
                        .map_err(bad)?;
                }
                walk.push(id, uninteresting, false).map_err(bad)?;
            }
            Tip::Symmetric { a, b, not, arg } => {
                if !walk.push_symmetric(a, b, not).map_err(bad)? {
                    return Err(Exit::Fatal(format!(
                        "Invalid symmetric difference expression {arg}"
                    )));
                }
            }
        }
    }
    if let Some(list) = list.as_mut() {
        for tree in walk.edge_trees().map_err(walk_error)? {
            list.exclude_tree(&mut reader, tree)?;
        }
    }
    Ok((walk, list))
}

/// git's `handle_commit` for `--objects`: the tags on the way to what a
/// starting point names are listed under their names, trees and blobs
/// under the path they were named by (an excluded tree's contents are
/// left out).
fn listed_tip(
    reader: &mut Reader,
    list: &mut ObjectList,
    id: ObjectId,
    uninteresting: bool,
    path: Option<&str>,
) -> Result<(), Error> {
    let mut id = id;
    let mut data = Vec::new();
    loop {
        match reader.read_into(&id, &mut data)? {
            ObjectKind::Tag => {
                let tag = packread::object::commit::Tag::parse(&data, id.kind())
                    .map_err(|_| Error::MalformedCommit(id))?;
                if !uninteresting {
                    list.add(id, ObjectKind::Tag, tag.name.unwrap_or_default());
                }
                id = tag.object;
            }
            ObjectKind::Tree => {
                if uninteresting {
                    // git marks the tree's contents, not the tree.
                    for e in packread::object::tree::entries(&data, id.kind()).map_while(Result::ok)
                    {
                        match e.kind() {
                            ObjectKind::Tree => list.exclude_tree(reader, e.id)?,
                            ObjectKind::Blob => list.exclude_blob(e.id),
                            _ => {}
                        }
                    }
                } else {
                    list.add(id, ObjectKind::Tree, path.unwrap_or("").as_bytes());
                }
                return Ok(());
            }
            ObjectKind::Blob => {
                if !uninteresting {
                    list.add(id, ObjectKind::Blob, path.unwrap_or("").as_bytes());
                }
                return Ok(());
            }
            ObjectKind::Commit => return Ok(()),
        }
    }
}

/// A commit the walk failed on, in git's words: what parsing the parent
/// said, then where the walk gave up.
pub fn walk_error(e: Error) -> Exit {
    match e {
        Error::WalkParent {
            commit,
            parent,
            stage,
            source,
        } => {
            let error = match *source {
                Error::NotFound(id) => format!("Could not read {id}"),
                Error::UnexpectedKind { id, .. } => format!("Object {id} not a commit"),
                other => return other.into(),
            };
            let fatal = match stage {
                WalkStage::Setup => "revision walk setup failed".to_owned(),
                WalkStage::Simplify => {
                    format!("cannot simplify commit {commit} (because of {parent})")
                }
                _ => format!("Failed to traverse parents of commit {commit}"),
            };
            Exit::ErrorThenFatal(error, fatal)
        }
        Error::CommitText { commit, source } => match *source {
            Error::NotFound(_) => Exit::Fatal(format!("cannot read commit object {commit}")),
            other => other.into(),
        },
        Error::NotFound(id) => Exit::Fatal(format!("Failed to traverse parents of commit {id}")),
        other => other.into(),
    }
}

/// Walks and prints as `rev-list` does.
fn print(walk: Walk, out: &mut Output) -> Result<i32, Exit> {
    print_listing(walk, None, out)
}

/// As [`print`], then with `--objects` the trees, blobs and tags.
fn print_listing(mut walk: Walk, list: Option<ObjectList>, out: &mut Output) -> Result<i32, Exit> {
    let stdout = io::stdout();
    let mut w = io::BufWriter::new(stdout.lock());
    let mut list = list;
    if !out.parents {
        walk.without_parent_ids();
    }
    let result = (|| -> Result<(), Exit> {
        if list.is_none()
            && let Some(count) = out.count.as_mut()
        {
            let (left, right) = walk.count_sides().map_err(walk_error)?;
            count.left += left as usize;
            count.right += right as usize;
            return Ok(());
        }
        while let Some(c) = walk.next() {
            let c = c.map_err(walk_error)?;
            if let Some(list) = list.as_mut()
                && let Some(tree) = walk.tree_of(&c.id).map_err(walk_error)?
            {
                list.add(tree, ObjectKind::Tree, b"");
            }
            if let Some(count) = out.count.as_mut() {
                if c.left {
                    count.left += 1;
                } else {
                    count.right += 1;
                }
                continue;
            }
            line(&mut w, out, &c)?;
        }
        if let Some(list) = list.as_mut() {
            let names = out.object_names.unwrap_or(true);
            let mut reader = walk.reader_handle();
            let mut written: io::Result<()> = Ok(());
            let listed = list.traverse(&mut reader, &mut |o| {
                if let Some(count) = out.count.as_mut() {
                    count.right += 1;
                    return;
                }
                if written.is_err() {
                    return;
                }
                written = if names {
                    // git's `show_object_with_name`: the name up to a newline.
                    let end = o
                        .name
                        .iter()
                        .position(|&b| b == b'\n')
                        .unwrap_or(o.name.len());
                    write!(w, "{} ", o.id)
                        .and_then(|()| w.write_all(&o.name[..end]))
                        .and_then(|()| w.write_all(b"\n"))
                } else {
                    writeln!(w, "{}", o.id)
                };
            });
            written?;
            listed.map_err(list_error)?;
            if out.missing == Some(Missing::Print) {
                for id in crate::oidset::iteration_order(list.missing_found()) {
                    writeln!(w, "?{id}")?;
                }
            }
        }
        Ok(())
    })();
    if result.is_ok()
        && let Some(Count { left, right }) = out.count
    {
        if out.left_right {
            writeln!(w, "{left}\t{right}")?;
        } else {
            writeln!(w, "{}", left + right)?;
        }
    }
    w.flush()?;
    result.map(|()| 0)
}

/// An object listing that stopped, in git's words.
fn list_error(e: ListError) -> Exit {
    match e {
        ListError::BadTree(id) => Exit::Fatal(format!("bad tree object {id}")),
        ListError::Missing {
            id,
            kind,
            unexpected,
        } => Exit::Fatal(format!(
            "{}missing {kind} object '{id}'",
            if unexpected { "unexpected " } else { "" }
        )),
        ListError::Read(e) => e.into(),
    }
}

/// git's revision mark of a commit: `-` for a boundary, `^` for an
/// excluded one, `<`/`>` for the sides of `--left-right`.
pub fn mark(c: &Walked, left_right: bool) -> &'static str {
    if c.boundary {
        "-"
    } else if c.uninteresting {
        "^"
    } else if left_right {
        if c.left { "<" } else { ">" }
    } else {
        ""
    }
}

/// One commit's line: `[<timestamp> ][<mark>]<id>[ <parent>...]`.
fn line(w: &mut impl Write, out: &Output, c: &Walked) -> io::Result<()> {
    if out.timestamp {
        write!(w, "{} ", c.date)?;
    }
    let mut hex = [0u8; 64];
    w.write_all(mark(c, out.left_right).as_bytes())?;
    w.write_all(c.id.hex_into(&mut hex))?;
    if out.parents {
        for p in &c.parents {
            w.write_all(b" ")?;
            w.write_all(p.hex_into(&mut hex))?;
        }
    }
    w.write_all(b"\n")
}
