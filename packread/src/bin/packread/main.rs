//! `packread`: dump and verify git objects through sliding memory-map windows,
//! printing what git prints.

mod ambiguous;
mod cat_file;
mod civil;
mod context;
mod damage;
mod dates;
mod decorations;
mod diff_tree;
mod dump;
mod format;
mod git_words;
mod log;
mod loose_replay;
mod ls_tree;
mod merge_base;
mod names;
mod oidset;
mod pipeline;
mod progress;
mod rev_list;
mod rev_parse;
mod shorthands;
mod show_index;
mod shown_path;
mod stats;
mod verify_pack;
mod width;

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;

use packread::repository::Setup;
use packread::{HashKind, OpenOptions};

use context::Context;

const USAGE: &str = "usage: packread [-C <path>] [--git-dir=<path>] [--window-size=<n>]
                [--memory-limit=<n>] [--handle-limit=<n>] [--delta-cache=<n>] [--static]
                [--no-lazy-fetch] <command> [<args>]

commands:
   cat-file      show object contents, type or size (git cat-file)
   verify-pack   validate packed archive files (git verify-pack)
   show-index    show a pack index read from stdin (git show-index)
   dump          write objects to files in a directory
   stats         read objects and report what the mapping layer did
   rev-parse     name objects: ids, refs, revisions (git rev-parse)
   rev-list      list commits in git's walk order (git rev-list)
   merge-base    find common ancestors (git merge-base)
   log           show commits (git log)
   ls-tree       list a tree's entries (git ls-tree)
   diff-tree     compare trees and commits (git diff-tree)

Sizes take k, m and g suffixes (1m = 1048576). Objects are named as git names
them: ids, abbreviations, refs and revisions (HEAD~2, v1^{tree}, main:path).";

/// How the program ends, short of success.
#[derive(Debug)]
pub enum Exit {
    /// `fatal: <msg>`, exit 128.
    Fatal(String),
    /// `error: <msg>`, exit 128 (git's `error()` then `exit(128)`).
    Error(String),
    /// `error: <first>` then `fatal: <second>`, exit 128 (git's `error()`
    /// where it met the problem, then `die()` where it gave up).
    ErrorThenFatal(String, String),
    /// A usage error: the message (a `fatal:` one followed by a blank line,
    /// as git's `usage_msg_opt` does), then the command's usage; exit 129.
    Usage(String, &'static str),
    /// `-h`: the command's usage on stdout, exit 129 (as git).
    Help(&'static str),
    /// A usage error git reports in one line, without the usage; exit 129.
    UsageLine(String),
    /// stdout was closed under us (`| head`): stop quietly.
    BrokenPipe,
    /// A loose object packread's reader refused: git's whole read of the
    /// file is replayed (its lines, its death); `fatal:` `fallback` where
    /// git would read it.
    DamagedLoose {
        /// How git read it.
        how: loose_replay::GitRead,
        /// The object.
        id: packread::ObjectId,
        /// Its file.
        path: PathBuf,
        /// packread's own message for it.
        fallback: String,
    },
}

impl From<io::Error> for Exit {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Exit::BrokenPipe
        } else {
            Exit::Fatal(e.to_string())
        }
    }
}

impl From<packread::Error> for Exit {
    fn from(e: packread::Error) -> Self {
        Exit::from_read(e, loose_replay::GitRead::Whole)
    }
}

impl Exit {
    /// The end for `e`, met where git reads an object `how`.
    pub fn from_read(e: packread::Error, how: loose_replay::GitRead) -> Exit {
        if let packread::Error::Corrupt { path, .. } = &e
            && let Some(id) = loose_replay::loose_id(path)
        {
            return Exit::DamagedLoose {
                how,
                id,
                path: path.clone(),
                fallback: fatal_message(e),
            };
        }
        Exit::Fatal(fatal_message(e))
    }
}

/// The system's message for `e` as C's `strerror` gives it (what git
/// prints), without the error number Rust adds.
fn strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// What git dies with for `e` (after `fatal: `).
pub fn fatal_message(e: packread::Error) -> String {
    match e {
        // git names the top of the work tree it stands in.
        packread::Error::Revision {
            problem: packread::RevisionProblem::PathOutsideRepository(path),
            ..
        } => format!(
            "'{path}' is outside repository at '{}'",
            Setup::from_env().work_tree_top().display()
        ),
        e => git_words::fatal(&e),
    }
}

/// Options that come before the command.
#[derive(Debug, Default)]
pub struct Global {
    git_dir: Option<PathBuf>,
    window_size: Option<usize>,
    memory_limit: Option<usize>,
    handle_limit: Option<usize>,
    delta_cache: Option<usize>,
    static_windows: bool,
    /// `--no-lazy-fetch`: a partial clone's missing objects are not
    /// fetched (as git's option; `GIT_NO_LAZY_FETCH` does the same).
    no_lazy_fetch: bool,
}

impl Global {
    /// The delta-base cache budget of the whole process, to be split between
    /// its threads: `--delta-cache`, else 64 MiB. (The library's default is
    /// git's 96 MiB per reader; measured on the benchmark repository, 64 MiB
    /// in all reads as fast and keeps peak memory below git's, whose cache
    /// counts object bytes where ours counts allocated bytes.)
    pub fn delta_cache_budget(&self) -> usize {
        self.delta_cache.unwrap_or(64 << 20)
    }

    /// The open options these global options describe.
    pub fn options(&self) -> OpenOptions {
        // As git, a partial clone's missing objects are fetched from its
        // promisor remotes.
        let mut o = OpenOptions::new()
            .static_windows(self.static_windows)
            .lazy_fetch(!self.no_lazy_fetch);
        if let Some(n) = self.window_size {
            o = o.window_size(n);
        }
        if let Some(n) = self.memory_limit {
            o = o.max_memory(n);
            // smmap's default window (1 GiB) would outgrow any smaller limit
            // with its first window: under a limit, windows of an eighth of it.
            if self.window_size.is_none() {
                o = o.window_size((n / 8).max(64 << 10));
            }
        }
        if let Some(n) = self.handle_limit {
            o = o.max_handles(n);
        }
        if let Some(n) = self.delta_cache {
            o = o.delta_base_cache_limit(n);
        }
        o
    }

    /// git's setup: the environment, and `--git-dir` over `GIT_DIR`.
    pub fn setup(&self) -> Setup {
        let setup = Setup::from_env();
        match &self.git_dir {
            Some(dir) => setup.git_dir(dir.clone()),
            None => setup,
        }
    }

    /// The hash of the repository we are in, if we are in one (git's
    /// gentle setup: outside a repository, no error).
    pub fn repository_hash(&self) -> Option<HashKind> {
        let odb = self.setup().open_odb(self.options()).ok()?;
        Some(odb.hash_kind())
    }

    /// The database as [`open`](Self::open) finds it, opened with `opts`,
    /// its objects directory named as git names it; nothing reported, and
    /// `None` outside a repository (git's gentle setup).
    pub fn open_gently(&self, opts: OpenOptions) -> Option<Context> {
        let setup = self.setup();
        let odb = setup.open_odb(opts).ok()?;
        Some(Context::new(odb, setup))
    }

    /// The repository's database and refs, found as git finds them:
    /// `--git-dir`, else `$GIT_DIR` (a git directory, not searched for),
    /// else from the current directory upwards; `$GIT_OBJECT_DIRECTORY` and
    /// `$GIT_ALTERNATE_OBJECT_DIRECTORIES` as git reads them.
    pub fn open(&self) -> Result<Context, Exit> {
        let setup = self.setup();
        let git_dir_given = setup.git_dir_given();
        match setup.open_odb(self.options()) {
            Ok(odb) => {
                let mut cx = Context::new(odb, setup);
                cx.refs = cx.setup.open_refs().ok();
                // git reports broken alternates on every command.
                cx.report_warnings(cx.odb.warnings());
                // With the git directory named, git takes the current
                // directory for the top of the work tree; in a bare
                // repository or a git directory there is no work tree for
                // `./` paths to start from.
                cx.prefix = cx.setup.prefix();
                cx.work_tree = cx.setup.in_work_tree();
                Ok(cx)
            }
            Err(packread::Error::NotARepository(_)) if !git_dir_given => Err(Exit::Fatal(
                "not a git repository (or any of the parent directories): .git".into(),
            )),
            Err(packread::Error::NotARepository(p)) => Err(Exit::Fatal(format!(
                "not a git repository: '{}'",
                p.display()
            ))),
            Err(packread::Error::MultiPackIndex { path, problem }) => {
                let (errors, fatal) = git_words::midx(&path, &problem);
                for e in errors {
                    eprintln!("error: {e}");
                }
                Err(Exit::Fatal(fatal.unwrap_or_default()))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Parses a size with git's `k`/`m`/`g` suffixes.
pub fn parse_size(s: &str) -> Option<usize> {
    let (num, mult) = match s.chars().last()?.to_ascii_lowercase() {
        'k' => (&s[..s.len() - 1], 1usize << 10),
        'm' => (&s[..s.len() - 1], 1 << 20),
        'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<usize>().ok()?.checked_mul(mult)
}

/// git's complaint about an option it doesn't know: `unknown option` for a
/// long one (its name as given, without the dashes), `unknown switch` for
/// a short one (its first letter).
pub fn unknown_option(arg: &str, usage: &'static str) -> Exit {
    let msg = if let Some(long) = arg.strip_prefix("--") {
        format!("error: unknown option `{long}'")
    } else {
        let c = arg[1..].chars().next().unwrap_or('-');
        format!("error: unknown switch `{c}'")
    };
    Exit::Usage(msg, usage)
}

/// Splits `--name=value` or takes the value from the next argument.
pub fn option_value(
    arg: &str,
    name: &str,
    rest: &mut impl Iterator<Item = String>,
) -> Option<Result<String, Exit>> {
    if let Some(v) = arg.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
        return Some(Ok(v.to_owned()));
    }
    if arg == name {
        return Some(rest.next().ok_or_else(|| {
            Exit::Usage(
                format!("error: option `{}' requires a value", &name[2..]),
                USAGE,
            )
        }));
    }
    None
}

fn run(args: Vec<String>) -> Result<i32, Exit> {
    let mut global = Global::default();
    let mut it = args.into_iter();
    let command = loop {
        let Some(arg) = it.next() else {
            return Err(Exit::Usage(String::new(), USAGE));
        };
        let size = |v: Result<String, Exit>, what: &str| -> Result<usize, Exit> {
            let v = v?;
            parse_size(&v).ok_or_else(|| Exit::Fatal(format!("invalid {what} '{v}'")))
        };
        if arg == "-C" {
            // As git: run as if started there; an empty path changes nothing,
            // and several add up (each relative to the one before).
            let Some(dir) = it.next() else {
                return Err(Exit::Usage(
                    "no directory given for '-C' option".to_owned(),
                    USAGE,
                ));
            };
            if !dir.is_empty() {
                std::env::set_current_dir(&dir).map_err(|e| {
                    Exit::Fatal(format!("cannot change to '{dir}': {}", strerror(&e)))
                })?;
            }
        } else if let Some(v) = option_value(&arg, "--git-dir", &mut it) {
            global.git_dir = Some(PathBuf::from(v?));
        } else if let Some(v) = option_value(&arg, "--window-size", &mut it) {
            global.window_size = Some(size(v, "window size")?);
        } else if let Some(v) = option_value(&arg, "--memory-limit", &mut it) {
            global.memory_limit = Some(size(v, "memory limit")?);
        } else if let Some(v) = option_value(&arg, "--handle-limit", &mut it) {
            global.handle_limit = Some(size(v, "handle limit")?);
        } else if let Some(v) = option_value(&arg, "--delta-cache", &mut it) {
            global.delta_cache = Some(size(v, "delta cache size")?);
        } else if arg == "--static" {
            global.static_windows = true;
        } else if arg == "--no-lazy-fetch" {
            global.no_lazy_fetch = true;
        } else if arg == "-h" || arg == "--help" || arg == "help" {
            println!("{USAGE}");
            return Ok(0);
        } else if arg == "--version" || arg == "version" {
            println!("packread version {}", env!("CARGO_PKG_VERSION"));
            return Ok(0);
        } else if arg.starts_with('-') {
            return Err(Exit::Usage(format!("unknown option: {arg}"), USAGE));
        } else {
            break arg;
        }
    };
    let rest: Vec<String> = it.collect();
    match command.as_str() {
        "cat-file" => cat_file::run(&global, rest),
        "verify-pack" => verify_pack::run(&global, rest),
        "show-index" => show_index::run(&global, rest),
        "dump" => dump::run(&global, rest),
        "stats" => stats::run(&global, &rest),
        "rev-parse" => rev_parse::run(&global, &rest),
        "rev-list" => rev_list::run(&global, &rest),
        "merge-base" => merge_base::run(&global, &rest),
        "log" => log::run(&global, &rest),
        "ls-tree" => ls_tree::run(&global, &rest),
        "diff-tree" => diff_tree::run(&global, &rest),
        other => Err(Exit::Usage(
            format!("packread: '{other}' is not a packread command."),
            USAGE,
        )),
    }
}

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let args: Result<Vec<String>, _> = args.into_iter().map(OsString::into_string).collect();
    let code = match args {
        Err(bad) => {
            eprintln!(
                "fatal: argument is not valid UTF-8: {}",
                bad.to_string_lossy()
            );
            128
        }
        Ok(args) => match run(args) {
            Ok(code) => code,
            Err(Exit::Fatal(msg)) => {
                let _ = io::stdout().flush();
                eprintln!("fatal: {msg}");
                128
            }
            Err(Exit::Error(msg)) => {
                let _ = io::stdout().flush();
                eprintln!("error: {msg}");
                128
            }
            Err(Exit::ErrorThenFatal(error, fatal)) => {
                let _ = io::stdout().flush();
                eprintln!("error: {error}\nfatal: {fatal}");
                128
            }
            Err(Exit::Usage(msg, usage)) => {
                let _ = io::stdout().flush();
                if msg.starts_with("fatal:") {
                    eprintln!("{msg}\n");
                } else if !msg.is_empty() {
                    eprintln!("{msg}");
                }
                eprintln!("{usage}");
                129
            }
            Err(Exit::Help(usage)) => {
                println!("{usage}");
                129
            }
            Err(Exit::UsageLine(msg)) => {
                let _ = io::stdout().flush();
                eprintln!("{msg}");
                129
            }
            Err(Exit::BrokenPipe) => 141,
            Err(Exit::DamagedLoose {
                how,
                id,
                path,
                fallback,
            }) => {
                let _ = io::stdout().flush();
                let shown = shown_path::shown_path(&path);
                let msg = how.replay(id, &path, shown).unwrap_or(fallback);
                eprintln!("fatal: {msg}");
                128
            }
        },
    };
    let _ = io::stdout().flush();
    std::process::exit(code);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_git_suffixes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("64k"), Some(64 << 10));
        assert_eq!(parse_size("1M"), Some(1 << 20));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_size("k"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("99999999999999999999g"), None);
    }

    #[test]
    fn option_values_come_after_an_equals_sign_or_next() {
        let mut rest = vec!["next".to_owned()].into_iter();
        let v = option_value("--git-dir=a", "--git-dir", &mut rest);
        assert_eq!(v.unwrap().unwrap(), "a");
        let v = option_value("--git-dir", "--git-dir", &mut rest);
        assert_eq!(v.unwrap().unwrap(), "next");
        assert!(matches!(
            option_value("--git-dir", "--git-dir", &mut rest),
            Some(Err(Exit::Usage(msg, _))) if msg == "error: option `git-dir' requires a value"
        ));
        assert!(option_value("--git-dirx", "--git-dir", &mut rest).is_none());
    }

    #[test]
    fn unknown_options_are_named_as_git_names_them() {
        let msg = |arg| match unknown_option(arg, USAGE) {
            Exit::Usage(msg, _) => msg,
            other => panic!("{other:?}"),
        };
        assert_eq!(msg("--frob=1"), "error: unknown option `frob=1'");
        assert_eq!(msg("-xyz"), "error: unknown switch `x'");
    }
}
