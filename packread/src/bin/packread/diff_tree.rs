//! `packread diff-tree`: `git diff-tree` without rename detection (`-r`,
//! `-t`, `--root`, `-m`, `--raw`, `--name-only`, `--name-status`,
//! `--numstat`, `-z`, `-s`, `--no-commit-id`, `--always`, `--stdin`,
//! paths), with git's output, messages and exit codes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufRead, BufWriter, Write};
use std::ops::ControlFlow;
use std::sync::Arc;

use packread::attributes::{Attributes, Sources};
use packread::diff::{self, Change, DiffConfig, LineStat, TreeDiffOptions};
use packread::graph::{CommitGraph, GraphCursors};
use packread::object::commit::Commit;
use packread::{Error, HashKind, ObjectId, ObjectKind, Reader};

use crate::context::Context;
use crate::loose_replay::GitRead;
use crate::names::{needs_c_quotes, quote_c_style};
use crate::{Exit, Global, pipeline};

const USAGE: &str = "usage: git diff-tree [--stdin] [-m] [-s] [-v] [--no-commit-id] [--pretty]
              [-t] [-r] [-c | --cc] [--combined-all-paths] [--root] [--merge-base]
              [<common-diff-options>] <tree-ish> [<tree-ish>] [<path>...]

  -r            diff recursively
  -c            show combined diff for merge commits
  --cc          show combined diff for merge commits removing uninteresting hunks
  --combined-all-paths
                show name of file in all parents for combined diffs
  --root        include the initial commit as diff against /dev/null

common diff options:
  -z            output diff-raw with lines terminated with NUL.
  -p            output patch format.
  -u            synonym for -p.
  --patch-with-raw
                output both a patch and the diff-raw format.
  --stat        show diffstat instead of patch.
  --numstat     show numeric diffstat instead of patch.
  --patch-with-stat
                output a patch and prepend its diffstat.
  --name-only   show only names of changed files.
  --name-status show names and status of changed files.
  --full-index  show full object name on index lines.
  --abbrev=<n>  abbreviate object names in diff-tree header and diff-raw.
  -R            swap input file pairs.
  -B            detect complete rewrites.
  -M            detect renames.
  -C            detect copies.
  --find-copies-harder
                try unchanged files as candidate for copy detection.
  -l<n>         limit rename attempts up to <n> paths.
  -O<file>      reorder diffs according to the <file>.
  -S<string>    find filepair whose only one side contains the string.
  --pickaxe-all
                show all files diff when -S is used and hit is found.
  -a  --text    treat all files as text.
";

/// git options packread knows but doesn't implement.
const UNSUPPORTED: &[&str] = &[
    "-p",
    "-u",
    "--patch",
    "--patch-with-raw",
    "--stat",
    "--patch-with-stat",
    "-M",
    "-C",
    "-B",
    "-R",
    "-c",
    "--cc",
    "--combined-all-paths",
    "-v",
    "--pretty",
    "--merge-base",
    "--full-index",
    "--find-renames",
    "--find-copies",
    "--find-copies-harder",
    "-a",
    "--text",
    "--shortstat",
    "--dirstat",
    "--summary",
    "--check",
    "--follow",
    "--diff-filter",
    "--abbrev",
];

/// What is printed for each change (git's `output_format` bits).
#[allow(clippy::struct_excessive_bools)] // git's independent bits
#[derive(Clone, Copy, Default)]
struct Format {
    raw: bool,
    name_only: bool,
    name_status: bool,
    numstat: bool,
    no_output: bool,
}

/// The command line, parsed.
#[allow(clippy::struct_excessive_bools)] // git's independent options
#[derive(Clone, Default)]
struct Options {
    format: Format,
    recursive: bool,
    show_trees: bool,
    root: bool,
    merges: bool,
    nul: bool,
    no_commit_id: bool,
    always: bool,
    stdin: bool,
}

/// The options, the names before `--` (or the first path), the paths
/// after it, and whether there was a `--`.
type Parsed<'a> = (Options, Vec<&'a str>, Vec<&'a str>, bool);

fn parse_args(args: &[String]) -> Result<Parsed<'_>, Exit> {
    let mut o = Options::default();
    let mut names = Vec::new();
    let mut paths = Vec::new();
    let dashdash = args.iter().position(|a| a == "--");
    let options_end = dashdash.unwrap_or(args.len());
    for arg in &args[..options_end] {
        let arg = arg.as_str();
        if !arg.starts_with('-') || arg == "-" {
            names.push(arg);
            continue;
        }
        match arg {
            "-h" if args.len() == 1 => return Err(Exit::Usage(String::new(), USAGE)),
            "-r" => o.recursive = true,
            "-t" => {
                o.recursive = true;
                o.show_trees = true;
            }
            "--root" => o.root = true,
            "-m" => o.merges = true,
            "-z" => o.nul = true,
            "--raw" => o.format.raw = true,
            "--name-only" => o.format.name_only = true,
            "--name-status" => o.format.name_status = true,
            "--numstat" => o.format.numstat = true,
            "-s" | "--no-patch" => o.format.no_output = true,
            "--no-commit-id" => o.no_commit_id = true,
            "--always" => o.always = true,
            "--stdin" => o.stdin = true,
            "--no-renames" => {}
            other => {
                let word = other.split('=').next().unwrap_or(other);
                if UNSUPPORTED.contains(&word)
                    || (word.len() > 2
                        && ["-M", "-C", "-B", "-l", "-O", "-S", "-G"].contains(&&word[..2]))
                {
                    return Err(Exit::Fatal(format!(
                        "packread diff-tree does not support {other}"
                    )));
                }
                return Err(Exit::Usage(String::new(), USAGE));
            }
        }
    }
    if let Some(at) = dashdash {
        paths.extend(args[at + 1..].iter().map(String::as_str));
    }
    let f = o.format;
    let exclusive = [f.name_only, f.name_status, f.no_output];
    if exclusive.iter().filter(|&&b| b).count() > 1 {
        return Err(Exit::Fatal(
            "options '--name-only', '--name-status', '--check', and '-s' cannot be used together"
                .into(),
        ));
    }
    if f.name_only || f.name_status || f.no_output {
        o.format.raw = false;
        o.format.numstat = false;
    } else if !f.raw && !f.numstat {
        o.format.raw = true;
    }
    if o.format.numstat {
        o.recursive = true;
    }
    Ok((o, names, paths, dashdash.is_some()))
}

/// One object named on the command line (`^A` and `A..B` mark the excluded
/// side).
struct Pending {
    id: ObjectId,
    uninteresting: bool,
}

pub fn run(global: &Global, args: &[String]) -> Result<i32, Exit> {
    let (o, names, mut paths, dashdash) = parse_args(args)?;
    let cx = Arc::new(global.open()?);
    cx.refuse_replace_refs()?;
    let mut reader = cx.odb.reader();
    let pending = pending_objects(&cx, &mut reader, &names, &mut paths, dashdash)?;
    let pathspec = cx.pathspec(&paths)?;
    if pending.is_empty() && !o.stdin {
        return Err(Exit::Usage(String::new(), USAGE));
    }
    let o = Arc::new(o);
    let diff = TreeDiffOptions {
        recursive: o.recursive,
        show_trees: o.show_trees,
        pathspec,
    };
    let mut resolver = Resolver {
        cx: Arc::clone(&cx),
        reader,
        hash: cx.odb.hash_kind(),
        o: Arc::clone(&o),
        grafts: HashMap::new(),
        seen: HashMap::new(),
        parsed: HashMap::new(),
        graph: Graph::NotLoaded,
        failed: None,
        said: Vec::new(),
    };
    let mut differ = Differ::new(&cx, &o, &diff);
    let mut out = BufWriter::with_capacity(64 << 10, io::stdout().lock());
    // One reader finds what to diff, another diffs: under a tight handle
    // limit each lets go of its windows before the other reads.
    let result = resolver
        .run_pending(&pending)
        .and_then(|plan| {
            resolver.release_windows();
            match plan {
                Some(plan) => differ.run_plan(&mut out, &plan),
                None => Ok(()),
            }
        })
        .and_then(|()| {
            if o.stdin {
                run_stdin(resolver, differ, &cx, &o, &diff, &mut out)
            } else {
                Ok(())
            }
        });
    out.flush()?;
    result.map(|()| 0)
}

/// Lines of `--stdin` a job holds at most: few handoffs between threads.
const LINES_PER_JOB: usize = 32;

/// git's `--stdin` loop: lines naming a commit (and parents to diff it
/// against) or two trees; other lines copied. The lines are resolved in
/// order on a thread of their own (commits parsed, parents' trees found,
/// git's messages about them kept), the diffs made on every core, and
/// messages and diffs written in order: an error stops both after the
/// lines before it. rails, 20,000 commits `-r` on two CPUs: 0.72 -> 0.47 s
/// (git 1.02 s); 2,000 with `--numstat` 0.57 -> 0.33 s (git 0.99 s).
fn run_stdin(
    mut resolver: Resolver,
    differ: Differ,
    cx: &Arc<Context>,
    o: &Arc<Options>,
    diff: &TreeDiffOptions,
    out: &mut BufWriter<io::StdoutLock<'static>>,
) -> Result<(), Exit> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    // The resolver's reader and the commit-graph may hold four windows,
    // each thread's two readers six: all must fit the handle limit, or one
    // thread resolves and diffs in turn, each reader letting go of its
    // windows before the other reads.
    let room = cx.odb.manager().max_file_handles().saturating_sub(4) / 6;
    let threads = cores.min(room).max(1);
    drop(differ);
    let mut output = PlanOutput { out };
    pipeline::ordered(
        move |jobs: &mut pipeline::Jobs<Result<Vec<Plan>, Exit>>| {
            let mut input = io::BufReader::with_capacity(1 << 16, io::stdin());
            while let Some(plans) = resolver.next_plans(&mut input, LINES_PER_JOB) {
                resolver.release_windows();
                let failed = plans.is_err();
                if !jobs.push(plans) || failed {
                    return;
                }
            }
        },
        threads,
        4 * threads,
        || Differ::new(cx, o, diff),
        |differ, plans| {
            let mut made = Made {
                stdout: Vec::new(),
                plans: Vec::new(),
                done: Ok(()),
            };
            made.done = plans.and_then(|plans| {
                for plan in plans {
                    let ran = differ.run_plan(&mut made.stdout, &plan);
                    // What a failed plan wrote goes out too, as git's
                    // buffered output does when it dies.
                    made.plans
                        .push((made.stdout.len(), plan.stderr, plan.flush));
                    ran?;
                }
                Ok(())
            });
            differ.reader.release_windows();
            made
        },
        &mut output,
    )
}

/// What a job of `--stdin` lines made: the output, and for each line's
/// plan where its output ends, git's messages about the line (printed
/// before its output, as git prints them while it reads the line) and
/// whether git flushes after it; then the error that stops the output.
struct Made {
    stdout: Vec<u8>,
    plans: Vec<(usize, Vec<String>, bool)>,
    done: Result<(), Exit>,
}

/// Writes what the pipeline made, in order.
struct PlanOutput<'a> {
    out: &'a mut BufWriter<io::StdoutLock<'static>>,
}

impl pipeline::Consumer<Made, Exit> for PlanOutput<'_> {
    fn take(&mut self, made: Made) -> Result<(), Exit> {
        let mut at = 0;
        for (end, messages, flush) in &made.plans {
            if !messages.is_empty() {
                // git flushes its output after each commit where it isn't
                // a file: a message comes after the lines before it.
                self.out.flush()?;
            }
            for message in messages {
                eprintln!("{message}");
            }
            self.out.write_all(&made.stdout[at..*end])?;
            at = *end;
            if *flush {
                self.out.flush()?;
            }
        }
        made.done
    }

    /// The next lines' diffs aren't made yet (or their lines not read):
    /// what was made goes out, as git flushes after each commit where its
    /// output isn't a file, so that a caller feeding lines one at a time
    /// gets each diff before it sends the next.
    fn idle(&mut self) -> Result<(), Exit> {
        self.out.flush()?;
        Ok(())
    }
}

/// The objects `names` name, as git's `setup_revisions` collects them; at
/// the first that names none (without `--`), it and the rest become
/// paths, put before `paths`.
fn pending_objects<'a>(
    cx: &Context,
    reader: &mut Reader,
    names: &[&'a str],
    paths: &mut Vec<&'a str>,
    dashdash: bool,
) -> Result<Vec<Pending>, Exit> {
    let refs = cx.refs.as_ref().ok_or_else(|| {
        Exit::Fatal("not a git repository (or any of the parent directories): .git".into())
    })?;
    let mut pending = Vec::new();
    for (at, name) in names.iter().enumerate() {
        let before = pending.len();
        let (name, negated) = match name.strip_prefix('^') {
            Some(rest) => (rest, true),
            None => (*name, false),
        };
        let resolve = |reader: &mut Reader, n: &str| -> Result<Option<ObjectId>, Exit> {
            match crate::names::resolve_revision(cx, reader, refs, n) {
                Ok(rev) => {
                    crate::names::print_warnings(cx, &rev.warnings);
                    Ok(Some(rev.id))
                }
                Err(Error::Revision { warnings, .. }) => {
                    crate::names::print_warnings(cx, &warnings);
                    Ok(None)
                }
                Err(Error::Ambiguous(_)) => Ok(None),
                Err(e) => Err(e.into()),
            }
        };
        let range = name.find("..").filter(|_| !name.contains("..."));
        let found = match range {
            Some(cut) => {
                let a = if cut == 0 { "HEAD" } else { &name[..cut] };
                let b = if cut + 2 == name.len() {
                    "HEAD"
                } else {
                    &name[cut + 2..]
                };
                match (resolve(reader, a)?, resolve(reader, b)?) {
                    (Some(x), Some(y)) => {
                        pending.push(Pending {
                            id: x,
                            uninteresting: !negated,
                        });
                        pending.push(Pending {
                            id: y,
                            uninteresting: negated,
                        });
                        true
                    }
                    _ => false,
                }
            }
            None => match resolve(reader, name)? {
                Some(id) => {
                    pending.push(Pending {
                        id,
                        uninteresting: negated,
                    });
                    true
                }
                None => false,
            },
        };
        if !found {
            if dashdash || negated {
                return Err(Exit::Fatal(format!("bad revision '{}'", names[at])));
            }
            // The rest are paths, each of which must be in the work tree.
            for path in &names[at..] {
                if !cx.work_tree || std::fs::symlink_metadata(path).is_err() {
                    if let Some(msg) = crate::names::misspelt(cx, reader, refs, path) {
                        return Err(Exit::Fatal(msg));
                    }
                    return Err(Exit::Fatal(crate::names::unknown_revision_or_path(path)));
                }
            }
            let mut all: Vec<&str> = names[at..].to_vec();
            all.append(paths);
            *paths = all;
            break;
        }
        if !dashdash {
            let arg = crate::names::revision_as_checked(names[at]);
            crate::names::verify_non_filename(cx, arg).map_err(Exit::Fatal)?;
        }
        // git's `get_reference` of the objects named, once checked: it
        // looks each up in the commit-graph first (see rev-list's).
        if pending.len() > before {
            cx.load_graph();
        }
    }
    Ok(pending)
}

/// What a line (or the objects named) asks to be shown: bytes first, then
/// the diffs of pairs of trees, each after the commit's header if it shows
/// anything.
struct Plan {
    /// git's messages about the line's objects, for stderr (in order with
    /// the lines', and not after an error that stops the output).
    stderr: Vec<String>,
    /// Written first whatever the diffs: a line copied, or two trees' ids.
    lead: Vec<u8>,
    /// The commit's id line, before each diff that shows anything.
    header: Option<Vec<u8>>,
    /// The trees to compare, old and new.
    pairs: Vec<(Option<ObjectId>, Option<ObjectId>)>,
    /// The header even when no diff shows anything (`--always`).
    always: bool,
    /// Whether git flushes its output after this (a line copied).
    flush: bool,
}

impl Plan {
    fn lead(lead: Vec<u8>) -> Plan {
        Plan {
            stderr: Vec::new(),
            lead,
            header: None,
            pairs: Vec::new(),
            always: false,
            flush: false,
        }
    }
}

/// Finds what to diff as git's `diff-tree` does: the objects named, or
/// each `--stdin` line in turn (commits parsed, their parents' trees
/// found, and git's messages about the objects printed).
struct Resolver {
    cx: Arc<Context>,
    reader: Reader,
    hash: HashKind,
    o: Arc<Options>,
    /// Parents given on `--stdin` lines, which git keeps for the commit's
    /// later lines.
    grafts: HashMap<ObjectId, Vec<ObjectId>>,
    /// Objects earlier `--stdin` lines read, by kind.
    seen: HashMap<ObjectId, ObjectKind>,
    /// The commits parsed so far: git parses each commit once, so a
    /// `--stdin` line naming a commit an earlier line diffed against is
    /// not read again.
    parsed: HashMap<ObjectId, ParsedCommit>,
    /// The commit-graph once git would have loaded it (at the first commit
    /// it parses), with cursors into it.
    graph: Graph,
    /// What ended the `--stdin` lines, for after the plans before it.
    failed: Option<Exit>,
    /// git's messages about the current `--stdin` line's objects.
    said: Vec<String>,
}

/// Makes the diffs and writes them as git's `log_tree_diff_flush` does.
struct Differ {
    reader: Reader,
    hash: HashKind,
    diff: TreeDiffOptions,
    o: Arc<Options>,
    /// What decides `--numstat`'s binary files: attributes and settings.
    lines: (Attributes, DiffConfig),
    /// A second reader for `--numstat` (lines of large diffs are counted
    /// on two threads), and the files each thread read last (a version
    /// between two commits is read for both).
    counters: diff::LineCounters,
}

/// Bytes of files `--numstat` keeps for the next commits' diffs: the
/// versions met again are mostly small, and a bigger cache is fresh
/// memory to fault in (16 MiB made git.git's `--numstat HEAD~200 HEAD`,
/// one diff of a thousand files, 10-20 % slower; 2 MiB costs nothing
/// there and keeps the gain of `--stdin`).
const BLOB_CACHE_BYTES: usize = 2 << 20;

/// The commit-graph as far as a diff has needed it.
enum Graph {
    NotLoaded,
    /// Loaded: none git would use.
    Absent,
    Loaded(Arc<CommitGraph>, GraphCursors),
}

/// A commit as parsed: from its object, or from the commit-graph where git
/// parses a parent from there (its tree is all a diff against it needs).
enum ParsedCommit {
    Object {
        tree: ObjectId,
        parents: Vec<ObjectId>,
    },
    Graph {
        tree: ObjectId,
        pos: u32,
    },
}

/// The attributes and settings of `cx`'s repository that class files for
/// line counts, read as git reads them for `diff-tree`: the work tree's
/// `.gitattributes` when the command runs in one.
fn line_settings(cx: &Context) -> (Attributes, DiffConfig) {
    let work_tree = cx.setup.in_work_tree().then(|| cx.setup.work_tree_top());
    match &cx.refs {
        Some(refs) => (
            Attributes::new(Sources::for_repository(refs.common_dir(), work_tree)),
            DiffConfig::read(refs.common_dir()),
        ),
        None => (Attributes::new(Sources::default()), DiffConfig::default()),
    }
}

impl Resolver {
    /// Lets go of the windows its reads hold (the commit-graph's too).
    fn release_windows(&mut self) {
        self.reader.release_windows();
        if let Graph::Loaded(_, cursors) = &mut self.graph {
            cursors.release();
        }
    }

    /// What the objects named on the command line ask for.
    fn run_pending(&mut self, pending: &[Pending]) -> Result<Option<Plan>, Exit> {
        match pending {
            [one] => self.commit(one.id),
            [a, b] => {
                let (a, b) = if b.uninteresting { (b, a) } else { (a, b) };
                let old = self.tree_of(a.id)?;
                let new = self.tree_of(b.id)?;
                let mut plan = Plan::lead(Vec::new());
                plan.pairs.push((Some(old), Some(new)));
                Ok(Some(plan))
            }
            _ => Ok(None),
        }
    }

    /// The tree `id` leads to (a tree, or a commit's or a tag's), as git's
    /// `read_object_with_reference` finds it.
    fn tree_of(&mut self, id: ObjectId) -> Result<ObjectId, Exit> {
        let mut data = Vec::new();
        match self.reader.read_peeled(&id, ObjectKind::Tree, &mut data)? {
            Some(tree) => Ok(tree),
            None => Err(Exit::Fatal(format!("unable to read tree ({id})"))),
        }
    }

    /// git's `log_tree_commit` for one commit: against its parent, against
    /// the empty tree with `--root`, against each parent with `-m`.
    fn commit(&mut self, id: ObjectId) -> Result<Option<Plan>, Exit> {
        let mut data = Vec::new();
        // git takes a blob's type from its header, and parses a tree (its
        // hash checked) before it finds it is no commit.
        let kind = self
            .reader
            .header(&id)
            .map_err(|e| Exit::from_read(e, GitRead::Tip))?
            .kind;
        if kind == ObjectKind::Tree
            && self.reader.parse_object(&id)? == packread::Parsed::HashMismatch
        {
            eprintln!("error: hash mismatch {id}");
            return Ok(None);
        }
        if matches!(kind, ObjectKind::Blob | ObjectKind::Tree) {
            eprintln!("error: object {id} is a {kind}, not a commit");
            return Ok(None);
        }
        let Some(commit_id) = self
            .reader
            .read_peeled(&id, ObjectKind::Commit, &mut data)?
        else {
            let kind = self.reader.header(&id)?.kind;
            eprintln!("error: object {id} is a {kind}, not a commit");
            return Ok(None);
        };
        let (tree, real_parents) = self.parse_commit(commit_id, &data)?;
        let parents = self.grafts.get(&commit_id).cloned().unwrap_or(real_parents);
        self.plan_commit(commit_id, tree, &parents).map(Some)
    }

    /// Parses commit `id` from its object's `data`, as git's
    /// `parse_commit_buffer` (which then loads the commit-graph).
    fn parse_commit(
        &mut self,
        id: ObjectId,
        data: &[u8],
    ) -> Result<(ObjectId, Vec<ObjectId>), Exit> {
        let mut commit = Commit::parse(data, self.hash)
            .map_err(|_| Exit::Fatal(format!("unable to parse commit {id}")))?;
        // A shallow repository's boundary commits have no parents for git
        // (which reads its `shallow` file when it first parses a commit).
        if self.cx.shallow()?.contains(&id) {
            commit.parents.clear();
        }
        self.graph();
        self.parsed.insert(
            id,
            ParsedCommit::Object {
                tree: commit.tree,
                parents: commit.parents.clone(),
            },
        );
        Ok((commit.tree, commit.parents))
    }

    /// The commit-graph, loaded the first time (its problems printed as
    /// git prints them).
    fn graph(&mut self) -> Option<(&CommitGraph, &mut GraphCursors)> {
        if let Graph::NotLoaded = self.graph {
            self.graph = match self.cx.commit_graph() {
                Some(g) => {
                    let c = g.cursors();
                    Graph::Loaded(g, c)
                }
                None => Graph::Absent,
            };
        }
        match &mut self.graph {
            Graph::Loaded(g, c) => Some((g, c)),
            Graph::NotLoaded | Graph::Absent => None,
        }
    }

    /// The tree and parents of a commit parsed before.
    fn parsed_before(&mut self, id: &ObjectId) -> Result<Option<(ObjectId, Vec<ObjectId>)>, Exit> {
        match self.parsed.get(id) {
            None => Ok(None),
            Some(ParsedCommit::Object { tree, parents }) => Ok(Some((*tree, parents.clone()))),
            Some(&ParsedCommit::Graph { tree, pos }) => {
                let (graph, cursors) = self.graph().expect("parsed from it");
                let commit = graph.commit_at(cursors, pos)?;
                let parents = commit
                    .parents
                    .iter()
                    .map(|&p| graph.id_at(cursors, p))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some((tree, parents)))
            }
        }
    }

    /// The tree of a parent, parsed as git's `repo_parse_commit` parses it:
    /// once, from the commit-graph if it lists it.
    fn commit_tree(&mut self, id: ObjectId) -> Result<ObjectId, Exit> {
        match self.parsed.get(&id) {
            Some(ParsedCommit::Object { tree, .. } | ParsedCommit::Graph { tree, .. }) => {
                return Ok(*tree);
            }
            None => {}
        }
        if let Some((graph, cursors)) = self.graph()
            && let Some(pos) = graph.find(cursors, &id)?
        {
            let tree = graph.commit_at(cursors, pos)?.tree;
            self.parsed.insert(id, ParsedCommit::Graph { tree, pos });
            self.seen.insert(id, ObjectKind::Commit);
            return Ok(tree);
        }
        let mut data = Vec::new();
        match self.reader.read_into(&id, &mut data) {
            Ok(ObjectKind::Commit) => {
                self.seen.insert(id, ObjectKind::Commit);
                Ok(self.parse_commit(id, &data)?.0)
            }
            Ok(_) | Err(Error::NotFound(_)) => {
                Err(Exit::Fatal(format!("unable to parse commit {id}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// What commit `id` (its tree and the parents it is diffed against)
    /// shows, its parents' trees found.
    fn plan_commit(
        &mut self,
        id: ObjectId,
        tree: ObjectId,
        parents: &[ObjectId],
    ) -> Result<Plan, Exit> {
        let mut plan = Plan::lead(Vec::new());
        plan.header = Some(self.header(&id));
        plan.always = self.o.always && !self.o.no_commit_id;
        match parents {
            [] if !self.o.root => {}
            [] => plan.pairs.push((None, Some(tree))),
            [parent] => {
                let old = self.commit_tree(*parent)?;
                plan.pairs.push((Some(old), Some(tree)));
            }
            many if self.o.merges => {
                for parent in many {
                    let old = self.commit_tree(*parent)?;
                    plan.pairs.push((Some(old), Some(tree)));
                }
            }
            _ => {}
        }
        Ok(plan)
    }

    fn header(&self, id: &ObjectId) -> Vec<u8> {
        let mut line = id.to_hex().into_bytes();
        line.push(if self.o.nul { 0 } else { b'\n' });
        line
    }

    /// What the next `--stdin` lines ask for (up to `most` of them, fewer
    /// where no more input is buffered yet); `None` at the end of the
    /// input. An error comes after the plans of the lines before it.
    fn next_plans(
        &mut self,
        input: &mut io::BufReader<impl io::Read>,
        most: usize,
    ) -> Option<Result<Vec<Plan>, Exit>> {
        if let Some(e) = self.failed.take() {
            return Some(Err(e));
        }
        let mut plans = Vec::new();
        let mut line = Vec::new();
        let hex = self.hash.hex_len();
        loop {
            line.clear();
            match input.read_until(b'\n', &mut line) {
                Ok(0) => return (!plans.is_empty()).then_some(Ok(plans)),
                Ok(_) => {}
                Err(e) => {
                    self.failed = Some(e.into());
                    break;
                }
            }
            let id = line
                .get(..hex)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(ObjectId::from_hex)
                .filter(|id| id.kind() == self.hash);
            if let Some(id) = id {
                if line.last() == Some(&b'\n') {
                    let rest = line[hex..line.len() - 1].to_vec();
                    let planned = self.stdin_line(id, &rest);
                    let said = std::mem::take(&mut self.said);
                    let (plan, failed) = match planned {
                        Ok(plan) => (plan, None),
                        Err(e) => (None, Some(e)),
                    };
                    match plan {
                        Some(mut plan) => {
                            plan.stderr = said;
                            plans.push(plan);
                        }
                        None if !said.is_empty() => {
                            let mut plan = Plan::lead(Vec::new());
                            plan.stderr = said;
                            plans.push(plan);
                        }
                        None => {}
                    }
                    if let Some(e) = failed {
                        self.failed = Some(e);
                        break;
                    }
                }
            } else {
                let mut plan = Plan::lead(line.clone());
                plan.flush = true;
                plans.push(plan);
            }
            if !plans.is_empty() && (plans.len() >= most || input.buffer().is_empty()) {
                break;
            }
        }
        if plans.is_empty() {
            return self.failed.take().map(Err);
        }
        Some(Ok(plans))
    }

    /// Keeps one of git's messages about the current line for stderr.
    fn say(&mut self, message: String) {
        self.said.push(message);
    }

    fn stdin_line(&mut self, id: ObjectId, rest: &[u8]) -> Result<Option<Plan>, Exit> {
        let mut data = Vec::new();
        // git's `parse_object` returns a commit parsed before as it is.
        let before = self.parsed_before(&id)?;
        let kind = match before {
            Some(_) => ObjectKind::Commit,
            None => match self.reader.read_into(&id, &mut data) {
                Ok(kind) => kind,
                Err(Error::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            },
        };
        self.seen.insert(id, kind);
        match kind {
            ObjectKind::Commit => {
                let (tree, real) = match before {
                    Some(parsed) => parsed,
                    None => self.parse_commit(id, &data)?,
                };
                let mut fake: Option<Vec<ObjectId>> = None;
                let mut p = rest;
                let hex = self.hash.hex_len();
                while let Some((&c, after)) = p.split_first() {
                    if !c.is_ascii_whitespace() {
                        break;
                    }
                    let Some(parent) = after
                        .get(..hex)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(ObjectId::from_hex)
                    else {
                        break;
                    };
                    p = &after[hex..];
                    let list = fake.get_or_insert_with(Vec::new);
                    match self.seen.get(&parent) {
                        Some(kind) if *kind != ObjectKind::Commit => {
                            self.say(format!("error: object {parent} is a {kind}, not a commit"));
                        }
                        _ => list.push(parent),
                    }
                }
                if let Some(list) = fake {
                    for parent in &list {
                        if !self.seen.contains_key(parent) {
                            let kind = self.reader.header(parent).map(|h| h.kind);
                            if let Ok(kind) = kind
                                && kind != ObjectKind::Commit
                            {
                                self.say(format!("error: Object {parent} not a commit"));
                                return Err(Exit::Fatal(format!(
                                    "unable to parse commit {parent}"
                                )));
                            }
                        }
                    }
                    self.grafts.insert(id, list);
                }
                let parents = self.grafts.get(&id).cloned().unwrap_or(real);
                self.plan_commit(id, tree, &parents).map(Some)
            }
            ObjectKind::Tree => {
                let hex = self.hash.hex_len();
                // git: one whitespace byte, then exactly an id.
                let second = rest
                    .split_first()
                    .filter(|(c, _)| c.is_ascii_whitespace())
                    .map(|(_, r)| r)
                    .filter(|r| r.len() == hex)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(ObjectId::from_hex);
                let Some(other) = second else {
                    self.say("error: Need exactly two trees, separated by a space".into());
                    return Ok(None);
                };
                let mut other_data = Vec::new();
                match self.reader.read_into(&other, &mut other_data) {
                    Ok(ObjectKind::Tree) => {}
                    Ok(_) | Err(Error::NotFound(_)) => return Ok(None),
                    Err(e) => return Err(e.into()),
                }
                self.seen.insert(other, ObjectKind::Tree);
                let mut plan = Plan::lead(format!("{id} {other}\n").into_bytes());
                plan.pairs.push((Some(id), Some(other)));
                Ok(Some(plan))
            }
            other => {
                self.say(format!(
                    "error: Object {id} is a {other}, not a commit or tree"
                ));
                Ok(None)
            }
        }
    }
}

impl Differ {
    fn new(cx: &Context, o: &Arc<Options>, diff: &TreeDiffOptions) -> Differ {
        let mut reader = cx.odb.reader();
        // Commits from `--stdin` come in history order: their trees share
        // delta chains.
        reader.keep_tree_bases(usize::MAX);
        Differ {
            reader,
            hash: cx.odb.hash_kind(),
            diff: diff.clone(),
            o: Arc::clone(o),
            lines: line_settings(cx),
            counters: diff::LineCounters::new(cx.odb.reader(), BLOB_CACHE_BYTES),
        }
    }

    /// Writes what `plan` shows to `out`.
    fn run_plan(&mut self, out: &mut impl Write, plan: &Plan) -> Result<(), Exit> {
        out.write_all(&plan.lead)?;
        let mut shown = false;
        for &(old, new) in &plan.pairs {
            let changes = self.changes(old, new)?;
            shown |= self.flush(out, plan.header.as_deref(), &changes)?;
        }
        if !shown
            && plan.always
            && let Some(header) = &plan.header
        {
            out.write_all(header)?;
        }
        Ok(())
    }

    fn changes(
        &mut self,
        old: Option<ObjectId>,
        new: Option<ObjectId>,
    ) -> Result<Vec<Change>, Exit> {
        let mut changes = Vec::new();
        let _: ControlFlow<()> = diff::diff_trees(
            &mut self.reader,
            old.as_ref(),
            new.as_ref(),
            &self.diff,
            &mut |c| {
                changes.push(c);
                ControlFlow::Continue(())
            },
        )
        .map_err(|e| match e {
            Error::NotFound(id) | Error::UnexpectedKind { id, .. } => {
                Exit::Fatal(format!("unable to read tree ({id})"))
            }
            Error::TreeTooDeep(_) => Exit::Fatal("exceeded maximum allowed tree depth".into()),
            other => other.into(),
        })?;
        Ok(changes)
    }

    /// Prints `changes` after `header`; whether anything was printed.
    fn flush(
        &mut self,
        out: &mut impl Write,
        header: Option<&[u8]>,
        changes: &[Change],
    ) -> Result<bool, Exit> {
        if changes.is_empty() {
            return Ok(false);
        }
        if let Some(header) = header.filter(|_| !self.o.no_commit_id) {
            out.write_all(header)?;
        }
        let f = self.o.format;
        let term = if self.o.nul { 0 } else { b'\n' };
        let inter = if self.o.nul { 0 } else { b'\t' };
        if f.raw || f.name_status {
            let null = ObjectId::from_bytes(self.hash, &[0; 32][..self.hash.len()]);
            for c in changes {
                if f.raw {
                    let (om, oi) = c.old.map_or((0, null), |s| (s.mode, s.id));
                    let (nm, ni) = c.new.map_or((0, null), |s| (s.mode, s.id));
                    raw_prefix(out, (om, &oi), (nm, &ni))?;
                }
                out.write_all(&[c.status().letter() as u8, inter])?;
                self.name(out, &c.path, term)?;
            }
        } else if f.name_only {
            for c in changes {
                self.name(out, &c.path, term)?;
            }
        }
        if f.numstat {
            // As git, every file's lines are counted before any is shown;
            // trees (`-t`) have none: the changes are copied only then.
            let tree = |c: &Change| {
                c.old.is_some_and(|s| s.is_tree()) || c.new.is_some_and(|s| s.is_tree())
            };
            let files: Cow<'_, [Change]> = if changes.iter().any(tree) {
                Cow::Owned(changes.iter().filter(|c| !tree(c)).cloned().collect())
            } else {
                Cow::Borrowed(changes)
            };
            let (attributes, config) = &mut self.lines;
            let classings: Vec<_> = files
                .iter()
                .map(|c| config.classing(attributes, &c.path))
                .collect();
            let threshold = config.big_file_threshold;
            let stats = diff::line_stats(
                &mut self.reader,
                &mut self.counters,
                &files,
                &classings,
                threshold,
            )
            .map_err(|e| match e {
                Error::NotFound(id) => Exit::Fatal(format!("unable to read {id}")),
                other => other.into(),
            })?;
            for (c, stat) in files.iter().zip(stats) {
                match stat {
                    LineStat::Binary => out.write_all(b"-\t-\t")?,
                    LineStat::Text { added, removed } => write!(out, "{added}\t{removed}\t")?,
                }
                self.name(out, &c.path, term)?;
            }
        }
        Ok(true)
    }

    fn name(&self, out: &mut impl Write, path: &[u8], term: u8) -> io::Result<()> {
        if self.o.nul || !needs_c_quotes(path) {
            out.write_all(path)?;
        } else {
            out.write_all(&quote_c_style(path))?;
        }
        out.write_all(&[term])
    }
}

/// The start of a `--raw` line, `:<old mode> <new mode> <old id> <new id> `,
/// made without the formatting machinery (a line per changed file).
fn raw_prefix(
    out: &mut impl Write,
    (old_mode, old): (u32, &ObjectId),
    (new_mode, new): (u32, &ObjectId),
) -> io::Result<()> {
    if old_mode > 0o777_777 || new_mode > 0o777_777 {
        return write!(out, ":{old_mode:06o} {new_mode:06o} {old} {new} ");
    }
    let mut line = [0u8; 2 * 7 + 2 * 65 + 1];
    line[0] = b':';
    let mut n = 1;
    for mode in [old_mode, new_mode] {
        for (k, digit) in line[n..n + 6].iter_mut().enumerate() {
            *digit = b'0' + ((mode >> (3 * (5 - k))) & 7) as u8;
        }
        line[n + 6] = b' ';
        n += 7;
    }
    let mut hex = [0u8; 64];
    for id in [old, new] {
        let hex = id.hex_into(&mut hex);
        line[n..n + hex.len()].copy_from_slice(hex);
        line[n + hex.len()] = b' ';
        n += hex.len() + 1;
    }
    out.write_all(&line[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_lines_start_as_formatted() {
        let a = ObjectId::from_hex("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391").unwrap();
        let b = HashKind::Sha256.empty_tree();
        for (om, nm) in [
            (0, 0o100_644),
            (0o40000, 0o160_000),
            (0o120_000, 0o100_755),
            (0o1_000_000, 7),
        ] {
            for (x, y) in [(&a, &a), (&b, &b)] {
                let mut ours = Vec::new();
                raw_prefix(&mut ours, (om, x), (nm, y)).unwrap();
                assert_eq!(ours, format!(":{om:06o} {nm:06o} {x} {y} ").into_bytes());
            }
        }
    }
}
