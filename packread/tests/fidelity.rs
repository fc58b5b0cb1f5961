//! The differential harness of git fidelity: each case runs one command
//! with git 2.47 and with packread on a repository git built
//! (`fixtures/make_fidelity.sh` and the other fixtures) and compares stdout
//! byte for byte, the exit code, and stderr.
//!
//! Cases are data: a repository, the arguments and stdin, where `{name}`
//! stands for a value found at run time (`{E}`: the empty tree; `{HEAD}`:
//! the repository's HEAD commit; `{modes}` etc.: the ids
//! `make_fidelity.sh` wrote to `oddtrees.<name>`). Adding a case is a line.
//!
//! stderr is compared exactly, except the usage text after a usage error
//! (and on stdout for `-h`): packread's names itself and lists its own
//! options (a deliberate difference, see README.md); that both print one is
//! compared.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};

use libtest_mimic::{Arguments, Failed, Trial};

use testkit::{fixture, git, git_out};

/// One command, run by both.
#[derive(Clone, Copy)]
struct Case {
    repo: &'static str,
    args: &'static [&'static str],
    stdin: &'static str,
    /// packread's own options, put before the command (git runs without).
    ours: &'static [&'static str],
    /// Environment variables for both.
    env: &'static [(&'static str, &'static str)],
    /// A difference README.md documents, tested as such.
    differs: Option<Differs>,
}

/// A documented difference from git, and what must hold all the same.
#[derive(Clone, Copy)]
enum Differs {
    /// git crashes (a signal); packread exits, saying this on stderr.
    GitCrashes(&'static str),
    /// git answers where packread refuses (a body shorter than its header,
    /// padded with memory git never set; a conversion or textconv program
    /// packread doesn't run): git exits 0, packread 128 saying this.
    Refused(&'static str),
    /// git reads a size it never set (a header it can't parse): the exit
    /// code is git's, and the rest too unless git ran out of memory.
    Unset,
    /// A pack git can't use is complained of at packread's lookups, fewer
    /// than git's: stdout and the exit code are git's, and each line
    /// packread prints on stderr is one of git's.
    FewerComplaints,
}

const fn case(repo: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        repo,
        args,
        stdin: "",
        ours: &[],
        env: &[],
        differs: None,
    }
}

const fn batch(repo: &'static str, args: &'static [&'static str], stdin: &'static str) -> Case {
    Case {
        repo,
        args,
        stdin,
        ours: &[],
        env: &[],
        differs: None,
    }
}

/// A case both run with the environment variables `env`.
const fn env(env: &'static [(&'static str, &'static str)], c: Case) -> Case {
    Case { env, ..c }
}

/// A case whose difference from git README.md documents.
const fn differs(d: Differs, c: Case) -> Case {
    Case {
        differs: Some(d),
        ..c
    }
}

/// A case packread runs with its own options `ours` (tiny limits, say).
const fn with(ours: &'static [&'static str], c: Case) -> Case {
    Case { ours, ..c }
}

const ONE_HANDLE: &[&str] = &["--handle-limit=1", "--window-size=4k", "--memory-limit=8k"];
const TWO_HANDLES: &[&str] = &["--handle-limit=2", "--window-size=4k"];

const ALL: &str =
    "--batch-check=%(objectname) %(objecttype) %(objectsize) %(objectsize:disk) %(deltabase)";
const REST: &str = "--batch-check=<%(objectname)> <%(rest)>";

const CASES: &[Case] = &[
    // git's command modes (the later option named first), the options a
    // batch mode needs (in git's order; `--unordered` unchecked), filters
    // given too many arguments.
    case("plain", &["cat-file", "-t", "--batch-all-objects"]),
    case(
        "plain",
        &["cat-file", "--batch-all-objects", "--batch", "-t"],
    ),
    case("plain", &["cat-file", "--unordered", "HEAD"]),
    case(
        "plain",
        &["cat-file", "--buffer", "--follow-symlinks", "-p", "HEAD"],
    ),
    case("plain", &["cat-file", "--textconv", "--buffer"]),
    case("plain", &["cat-file", "--filters", "blob", "HEAD"]),
    case("plain", &["cat-file", "--allow-unknown-type", "-p"]),
    case(
        "plain",
        &[
            "cat-file",
            "--batch-check",
            "--batch-all-objects",
            "--unordered",
            "-p",
        ],
    ),
    // 1. The built-in empty tree: present in every repository, and found
    //    before a stored copy (disk size 0, no delta base), except where
    //    `--unordered` describes the copy it iterates.
    case("bare", &["cat-file", "-p", "HEAD^{tree}"]),
    case("bare", &["rev-parse", "HEAD:./a"]),
    case("bare", &["cat-file", "-p", "HEAD:./a"]),
    case("bare", &["ls-tree", "HEAD", "a"]),
    case("plain", &["cat-file", "-t", "{E}"]),
    case("plain", &["cat-file", "-s", "{E}"]),
    case("plain", &["cat-file", "-e", "{E}"]),
    case("plain", &["cat-file", "-p", "{E}"]),
    case("plain", &["cat-file", "tree", "{E}"]),
    batch("plain", &["cat-file", "--batch"], "{E}\n"),
    batch("plain", &[ALL], "{E}\n"),
    case("plain", &["cat-file", "--batch-all-objects", ALL]),
    case("emptyroot", &["cat-file", "-t", "{E}"]),
    case("emptyroot", &["cat-file", "-p", "{E}"]),
    batch("emptyroot", &["cat-file", ALL], "{E}\n"),
    case("emptyroot", &["cat-file", "--batch-all-objects", ALL]),
    case(
        "emptyroot",
        &["cat-file", "--batch-all-objects", "--unordered", ALL],
    ),
    case("emptyroot", &["cat-file", "--batch-all-objects", "--batch"]),
    case(
        "emptyroot",
        &["cat-file", "--batch-all-objects", "--unordered", "--batch"],
    ),
    // The empty blob is not built in.
    case(
        "plain",
        &["cat-file", "-e", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"],
    ),
    // 2. The multi-pack-index: objects found through it first (the copy in
    //    the pack it chose), the packs it covers skipped, `--unordered` in
    //    git's order, `core.multiPackIndex` honoured.
    case("midx", &["cat-file", "--batch-all-objects", ALL]),
    case(
        "midx",
        &["cat-file", "--batch-all-objects", "--unordered", ALL],
    ),
    case(
        "midx",
        &["cat-file", "--batch-all-objects", "--unordered", "--batch"],
    ),
    batch("midx", &["cat-file", ALL], "{allids}"),
    batch("midx", &["cat-file", "--batch-check"], "{allprefixes}"),
    case("midx-off", &["cat-file", "--batch-all-objects", ALL]),
    case(
        "midx-off",
        &["cat-file", "--batch-all-objects", "--unordered", ALL],
    ),
    batch("midx-off", &["cat-file", ALL], "{allids}"),
    with(ONE_HANDLE, batch("midx", &["cat-file", ALL], "{allids}")),
    // An alternate's own multi-pack-index.
    case("altmidx", &["cat-file", "--batch-all-objects", ALL]),
    case(
        "altmidx",
        &["cat-file", "--batch-all-objects", "--unordered", ALL],
    ),
    batch("altmidx", &["cat-file", ALL], "{allids}"),
    // 3. Trees as git prints them: modes read as git reads them; malformed
    //    trees refused with git's words and nothing printed.
    case("oddtrees", &["cat-file", "-p", "{modes}"]),
    case("oddtrees", &["cat-file", "tree", "{modes}"]),
    case("oddtrees", &["cat-file", "-p", "{emptyname}"]),
    case("oddtrees", &["cat-file", "-p", "{truncated}"]),
    case("oddtrees", &["cat-file", "-p", "{badmode}"]),
    case("oddtrees", &["cat-file", "-p", "{spacemode}"]),
    batch("oddtrees", &["cat-file", "--batch"], "{modes}\n{badmode}\n"),
    // A commit whose tree line names a blob: `cat-file blob` follows it.
    case("oddtrees", &["cat-file", "blob", "{blobcommit}"]),
    case("oddtrees", &["cat-file", "blob", "{blobcommittag}"]),
    case("oddtrees", &["cat-file", "tree", "{blobcommit}"]),
    case("oddtrees", &["cat-file", "commit", "{blobcommittag}"]),
    case("oddtrees", &["cat-file", "tag", "{blobcommit}"]),
    case("oddtrees", &["cat-file", "-p", "{blobcommittag}"]),
    // 4. Ambiguous short ids: git's candidates block on stderr (tags, then
    //    commits with date and subject, trees, blobs), in single mode with
    //    a fatal, in batch mode with `<name> ambiguous` and going on.
    case("ambiguous", &["cat-file", "-t", "{amb0}"]),
    case("ambiguous", &["cat-file", "-p", "{amb1}"]),
    case("ambiguous", &["cat-file", "-s", "{AMB2}"]),
    case("ambiguous", &["cat-file", "-e", "{amb3}"]),
    case("ambiguous", &["cat-file", "commit", "{amb4}"]),
    case("ambiguous", &["cat-file", "-t", "{ambtag}"]),
    batch("ambiguous", &["cat-file", "--batch-check"], "{amball}"),
    batch("ambiguous", &["cat-file", "--batch"], "{amball}"),
    with(
        ONE_HANDLE,
        batch("ambiguous", &["cat-file", "--batch-check"], "{amball}"),
    ),
    // Hex names longer than an id, and of every length up to it.
    case("ambiguous", &["cat-file", "-t", "{HEAD}0"]),
    case(
        "ambiguous",
        &["cat-file", "-t", "{HEAD}ffffffffffffffffffffffff"],
    ),
    case(
        "ambiguous",
        &["cat-file", "-t", "{HEAD}fffffffffffffffffffffffff"],
    ),
    batch(
        "ambiguous",
        &["cat-file", "--batch-check"],
        "{HEAD}0\n{amb0}00000000000000000000000000000000000000\n",
    ),
    case("ambiguous", &["cat-file", "-t", "00000"]),
    case("ambiguous", &["cat-file", "-t", "abc"]),
    // 5. Batch input: split at the first space or tab only, the rest kept
    //    verbatim; a NUL ends the name; CR kept under -z.
    batch("plain", &["cat-file", REST], "{HEAD} \t x y \n"),
    batch("plain", &["cat-file", REST], "{HEAD}\tfoo bar\t\n"),
    batch("plain", &["cat-file", REST], " {HEAD}\n"),
    batch("plain", &["cat-file", REST], "{HEAD}\u{b}foo\n"),
    batch("plain", &["cat-file", REST], "{HEAD}\u{c}foo\n"),
    batch("plain", &["cat-file", REST], "{HEAD}\rfoo\n"),
    batch("plain", &["cat-file", REST], "{HEAD}\r\n"),
    batch("plain", &["cat-file", REST], "{HEAD}\0junk rest\n"),
    batch("plain", &["cat-file", REST], "{HEAD} a\0b\n"),
    batch("plain", &["cat-file", "--batch-check"], "{HEAD} two\n"),
    batch(
        "plain",
        &["cat-file", "--batch-check", "-z"],
        "{HEAD}\r\0{HEAD}\0",
    ),
    batch("plain", &["cat-file", REST, "-z"], "{HEAD} x\ny\0"),
    batch("plain", &["cat-file", REST, "-Z"], "{HEAD} x\0{E}\0"),
    // --batch-command: contents/info/flush parsed as git parses them, the
    // name all of the rest, answers at once or (with --buffer) at flush.
    batch(
        "plain",
        &["cat-file", "--batch-command"],
        "info {HEAD}\ncontents {hello}\ninfo nothing\n",
    ),
    batch(
        "plain",
        &["cat-file", "--batch-command", "--buffer"],
        "info {HEAD}\nflush\ncontents {hello}\n",
    ),
    batch(
        "plain",
        &["cat-file", "--batch-command", "--buffer"],
        "info {HEAD}\nbogus\n",
    ),
    batch(
        "plain",
        &["cat-file", "--batch-command", "--buffer"],
        "info {HEAD}\nflush\nbogus\n",
    ),
    batch(
        "plain",
        &["cat-file", "--batch-command"],
        "info {HEAD}\nbogus\n",
    ),
    batch(
        "plain",
        &["cat-file", "--batch-command"],
        "info {HEAD}\nflush\n",
    ),
    batch("plain", &["cat-file", "--batch-command"], "\n"),
    batch("plain", &["cat-file", "--batch-command"], " info {HEAD}\n"),
    batch("plain", &["cat-file", "--batch-command"], "infox {HEAD}\n"),
    batch("plain", &["cat-file", "--batch-command"], "info\t{HEAD}\n"),
    batch(
        "plain",
        &["cat-file", "--batch-command", "--buffer"],
        "flush \n",
    ),
    batch(
        "plain",
        &["cat-file", "--batch-command"],
        "info  {HEAD}\ninfo {HEAD} extra\ninfo \n",
    ),
    batch(
        "plain",
        &["cat-file", "--batch-command", "-z"],
        "info {HEAD}\0contents {hello}\0\0",
    ),
    batch(
        "plain",
        &["cat-file", "--batch-command", "-Z", "--buffer"],
        "info {HEAD}\0flush\0contents {E}\0",
    ),
    batch(
        "plain",
        &["cat-file", "--batch-command=%(objectname)|%(rest)|"],
        "info {HEAD}\n",
    ),
    batch("plain", &["cat-file", "--batch-command"], "info {HEAD}"),
    case("plain", &["cat-file", "--batch-command", "--batch"]),
    with(
        ONE_HANDLE,
        batch(
            "ambiguous",
            &["cat-file", "--batch-command"],
            "info {amb0}\ncontents {HEAD}\n",
        ),
    ),
    // 7. Damaged and odd loose objects: unreadable ones are missing (with
    //    git's error lines), blobs stream whatever their stream holds, an
    //    unknown type is fatal, and what was answered before is kept.
    case("oddloose", &["cat-file", "-t", "{bad1}"]),
    case("oddloose", &["cat-file", "-s", "{bad1}"]),
    case("oddloose", &["cat-file", "-p", "{bad1}"]),
    case("oddloose", &["cat-file", "-e", "{bad1}"]),
    case("oddloose", &["cat-file", "-s", "{bad2}"]),
    case("oddloose", &["cat-file", "-p", "{bad2}"]),
    case("oddloose", &["cat-file", "-p", "{bad3}"]),
    case("oddloose", &["cat-file", "-p", "{hello}"]),
    case("oddloose", &["cat-file", "-p", "{bad4}"]),
    case("oddloose", &["cat-file", "-t", "{bad5}"]),
    case("oddloose", &["cat-file", "-p", "{bad5}"]),
    case("oddloose", &["cat-file", "-e", "{bad5}"]),
    batch("oddloose", &["--batch"], "{bad5}\n"),
    batch(
        "oddloose",
        &["cat-file", "--batch"],
        "{bad1}\n{bad2}\n{bad3}\n{hello}\n{bad4}\n",
    ),
    batch(
        "oddloose",
        &["cat-file", ALL],
        "{bad1}\n{bad2}\n{bad3}\n{hello}\n{bad4}\n",
    ),
    case(
        "oddloose",
        &["cat-file", "--batch-all-objects", "--batch-check"],
    ),
    case("damaged-type", &["cat-file", "-t", "{badtype}"]),
    case("damaged-type", &["cat-file", "-p", "{badtype}"]),
    batch(
        "damaged-type",
        &["cat-file", "--batch-check"],
        "{HEAD}\n{badtype}\n{HEAD}\n",
    ),
    // 9. Options as git parses them.
    case("plain", &["cat-file"]),
    case("plain", &["cat-file", "-h"]),
    case("plain", &["cat-file", "-t"]),
    case("plain", &["cat-file", "-t", "-s", "{HEAD}"]),
    case("plain", &["cat-file", "--batch", "--batch-check"]),
    case("plain", &["cat-file", "-p", "--batch"]),
    case("plain", &["cat-file", "--frobnicate"]),
    case("plain", &["cat-file", "-x"]),
    case("plain", &["cat-file", "-e", "--", "{HEAD}"]),
    case("plain", &["cat-file", "--", "-e", "{HEAD}"]),
    case("plain", &["cat-file", "blob"]),
    case("plain", &["cat-file", "-t", "{HEAD}", "extra"]),
    case("plain", &["cat-file", "--batch-all-objects"]),
    case("plain", &["cat-file", "--buffer", "-t", "{HEAD}"]),
    case("plain", &["cat-file", "trees", "{HEAD}"]),
    case(
        "plain",
        &["cat-file", "-e", "0000000000000000000000000000000000000000"],
    ),
    case(
        "plain",
        &["cat-file", "-t", "0000000000000000000000000000000000000000"],
    ),
    case(
        "plain",
        &["cat-file", "-p", "0000000000000000000000000000000000000000"],
    ),
    case("plain", &["cat-file", "--textconv", "{HEAD}"]),
    case("plain", &["cat-file", "--filters", "{HEAD}"]),
    case("plain", &["cat-file", "--filters"]),
    case("plain", &["cat-file", "--textconv", "-t", "{HEAD}"]),
    case("plain", &["cat-file", "-t", "--textconv", "{HEAD}"]),
    case(
        "damaged-type",
        &["cat-file", "-t", "--allow-unknown-type", "{badtype}"],
    ),
    case(
        "damaged-type",
        &["cat-file", "-s", "--allow-unknown-type", "{badtype}"],
    ),
    case(
        "damaged-type",
        &["cat-file", "-p", "--allow-unknown-type", "{badtype}"],
    ),
    case(
        "damaged-type",
        &["cat-file", "--allow-unknown-type", "-t", "{HEAD}"],
    ),
    case("damaged-type", &["cat-file", "--allow-unknown-type"]),
    batch(
        "damaged-type",
        &["cat-file", "--batch-check", "--allow-unknown-type"],
        "{HEAD}\n",
    ),
    case("plain", &["verify-pack", "-h"]),
    case("plain", &["show-index", "-h"]),
    // 8. show-index follows the repository's hash; its option in one word
    //    or two; other arguments ignored. verify-pack's unknown format.
    batch("sha256", &["show-index"], "@{idx}"),
    batch(
        "sha256",
        &["show-index", "--object-format", "sha256"],
        "@{idx}",
    ),
    batch("sha256", &["show-index", "extra", "args"], "@{idx}"),
    batch("sha256", &["show-index"], "@{idx_ambiguous}"),
    batch("plain", &["show-index"], "@{idx_ambiguous}"),
    batch(
        "plain",
        &["show-index", "--object-format=md5"],
        "@{idx_ambiguous}",
    ),
    batch(
        "plain",
        &["show-index", "--object-format"],
        "@{idx_ambiguous}",
    ),
    case("sha256", &["verify-pack", "--object-format=md5", "{idx}"]),
    case(
        "sha256",
        &["verify-pack", "-v", "--object-format=md5", "{idx}"],
    ),
    case("ambiguous", &["verify-pack", "-v", "{idx}"]),
    case("sha256", &["verify-pack", "-v", "{idx}"]),
    case(
        "plain",
        &["verify-pack", "-v", "{dir_badpacks}/trailer.idx"],
    ),
    case("plain", &["verify-pack", "{dir_badpacks}/fanout.idx"]),
    case("plain", &["verify-pack", "-v", "{dir_badpacks}/fanout.idx"]),
    // 10. Finding the repository and its objects as git does.
    case(
        "plain",
        &["--git-dir={dir_plain}", "cat-file", "-t", "{HEAD}"],
    ),
    case(
        "plain",
        &["--git-dir={dir_plain}/.git", "cat-file", "-t", "{HEAD}"],
    ),
    case(
        "plain",
        &["--git-dir={dir_plain}/nothing", "cat-file", "-t", "{HEAD}"],
    ),
    env(
        &[("GIT_DIR", "{dir_plain}")],
        case("emptyroot", &["cat-file", "-t", "{HEAD}"]),
    ),
    env(
        &[("GIT_DIR", "{dir_plain}/.git")],
        case("emptyroot", &["cat-file", "-e", "{hello}"]),
    ),
    env(
        &[("GIT_OBJECT_DIRECTORY", "{dir_plain}/.git/objects")],
        case("emptyroot", &["cat-file", "-p", "{hello}"]),
    ),
    env(
        &[(
            "GIT_ALTERNATE_OBJECT_DIRECTORIES",
            "/nowhere:{dir_plain}/.git/objects",
        )],
        case("emptyroot", &["cat-file", "-p", "{hello}"]),
    ),
    env(
        &[(
            "GIT_ALTERNATE_OBJECT_DIRECTORIES",
            "{dir_plain}/.git/objects",
        )],
        batch("emptyroot", &["cat-file", ALL], "{hello}\n{HEAD}\n"),
    ),
    case("crlfalt", &["cat-file", "-p", "{HEAD}"]),
    // 6. A miss makes git scan the directories again (reporting a broken
    //    alternate each time) and restart its most-recently-used order.
    case("crlfalt", &["cat-file", "-p", "{hello}"]),
    case("crlfalt", &["cat-file", "-e", "{hello}"]),
    case("crlfalt", &["cat-file", "-t", "ce01362"]),
    case("crlfalt", &["cat-file", "blob", "{hello}"]),
    case("crlfalt", &["cat-file", "tree", "{hello}"]),
    batch(
        "crlfalt",
        &["cat-file", "--batch-check"],
        "{hello}\n{HEAD}\n{hello}\nffff\n",
    ),
    // 11. The smallest handle limits: one reader, one window at a time.
    with(
        ONE_HANDLE,
        case("ambiguous", &["cat-file", "--batch-all-objects", "--batch"]),
    ),
    with(
        ONE_HANDLE,
        case(
            "ambiguous",
            &["cat-file", "--batch-all-objects", "--unordered", ALL],
        ),
    ),
    with(ONE_HANDLE, case("emptyroot", &["cat-file", "-p", "{HEAD}"])),
    with(
        ONE_HANDLE,
        batch("plain", &["cat-file", "--batch"], "{HEAD}\n{E}\nnothing\n"),
    ),
    with(
        ONE_HANDLE,
        case("ambiguous", &["verify-pack", "-v", "{idx}"]),
    ),
    with(
        TWO_HANDLES,
        case("ambiguous", &["cat-file", "--batch-all-objects", "--batch"]),
    ),
    with(
        TWO_HANDLES,
        case("ambiguous", &["verify-pack", "-v", "{idx}"]),
    ),
    // 12. Revisions: refs, suffixes and paths, as single objects and in
    //     batches, under the smallest limits, through --git-dir and GIT_DIR.
    case("plain", &["cat-file", "-p", "HEAD"]),
    case("plain", &["cat-file", "-p", "HEAD^{tree}"]),
    case("plain", &["cat-file", "-p", "HEAD:hello.txt"]),
    case("plain", &["cat-file", "-p", "HEAD:./hello.txt"]),
    case("plain", &["cat-file", "-p", "HEAD:nope"]),
    case("plain", &["cat-file", "-t", "HEAD~1"]),
    case("plain", &["cat-file", "-t", "HEAD^{blob}"]),
    case("plain", &["cat-file", "blob", "HEAD:hello.txt"]),
    case("plain", &["cat-file", "tree", "HEAD"]),
    case("plain", &["cat-file", "-s", "@"]),
    with(
        ONE_HANDLE,
        batch(
            "plain",
            &["cat-file", "--batch"],
            "HEAD\nHEAD^{tree}\nHEAD:hello.txt\nHEAD:nope\n@\nHEAD^\n",
        ),
    ),
    batch("plain", &[ALL], "HEAD\nHEAD:\nHEAD^{tree}:hello.txt\n"),
    batch(
        "plain",
        &["cat-file", "--batch-command"],
        "info HEAD\ncontents HEAD:hello.txt\n",
    ),
    case(
        "plain",
        &[
            "--git-dir={dir_plain}/.git",
            "cat-file",
            "-p",
            "HEAD:hello.txt",
        ],
    ),
    env(
        &[("GIT_DIR", "{dir_plain}/.git")],
        case("emptyroot", &["cat-file", "-t", "HEAD^{tree}"]),
    ),
    // 13. rev-parse: ids, abbreviations, full ref names; what is not a
    //     revision is a file that must exist, as git has it.
    case("revisions", &["rev-parse", "HEAD", "nope"]),
    case("revisions", &["rev-parse", "nope", "HEAD"]),
    case("revisions", &["rev-parse", "--verify", "nope"]),
    case("revisions", &["rev-parse", "--verify", "-q", "nope"]),
    case("revisions", &["rev-parse", "--verify", "HEAD", "HEAD"]),
    case("revisions", &["rev-parse", "-q", "nope"]),
    case("revisions", &["rev-parse", "--short", "HEAD"]),
    case("revisions", &["rev-parse", "--short=4", "HEAD"]),
    case("revisions", &["rev-parse", "--short=50", "HEAD"]),
    case("revisions", &["rev-parse", "--short=2", "HEAD"]),
    case("revisions", &["rev-parse", "--short", "HEAD", "HEAD~1"]),
    case("revisions", &["rev-parse", "--short", "nope"]),
    case("revisions", &["rev-parse", "c1", "loop1"]),
    case(
        "revisions",
        &["rev-parse", "--symbolic-full-name", "c1", "c0"],
    ),
    case("revisions", &["rev-parse", "--verify", "badtarget"]),
    case("revisions", &["cat-file", "-p", "HEAD:../a"]),
    case("revisions", &["cat-file", "-p", "HEAD:./dir/../a"]),
    batch(
        "revisions",
        &["cat-file", "--batch-check"],
        "HEAD\nHEAD:./../a\nHEAD\n",
    ),
    case("revisions", &["rev-parse", "-q", "--short", "nope"]),
    case(
        "revisions",
        &[
            "rev-parse",
            "--symbolic-full-name",
            "HEAD",
            "v1",
            "main",
            "nope",
        ],
    ),
    case(
        "revisions",
        &["rev-parse", "--symbolic-full-name", "HEAD~1"],
    ),
    case(
        "revisions",
        &[
            "rev-parse",
            "--symbolic-full-name",
            "origin",
            "origin/HEAD",
            "heads/main",
            "@",
        ],
    ),
    case("revisions", &["rev-parse", "--verify", "--short", "HEAD"]),
    case("revisions", &["rev-parse", "a"]),
    case("revisions", &["rev-parse", "HEAD", "--", "a", "nope"]),
    case("revisions", &["rev-parse", "--end-of-options", "HEAD"]),
    case("revisions", &["rev-parse", "--verify"]),
    case("revisions", &["rev-parse", "HEAD", "a", "nope"]),
    case("revisions", &["rev-parse", "--verify", "HEAD:nope"]),
    case("revisions", &["rev-parse", "HEAD:nope"]),
    case(
        "revisions",
        &["rev-parse", "--symbolic-full-name", "dangling"],
    ),
    case("revisions", &["rev-parse", "--short", "HEAD:a"]),
    case("revisions", &["rev-parse", "broken"]),
    case("revisions", &["rev-parse", "--verify", "broken"]),
    case(
        "revisions",
        &[
            "rev-parse",
            "HEAD~1^2",
            "v1",
            "light",
            "annotated^{}",
            "treetag^{tree}",
            "tagtag^{}",
        ],
    ),
    case("revisions", &["rev-parse", "--verify", "-q", "HEAD^{blob}"]),
    case("revisions", &["rev-parse", "HEAD^{blob}"]),
    case(
        "revisions",
        &[
            "rev-parse",
            "HEAD:dir/sub/c",
            "HEAD:./x",
            "HEAD:link",
            "HEAD:",
        ],
    ),
    case("revisions", &["rev-parse", "treetag^0"]),
    case("revisions", &["rev-parse", "HEAD~999"]),
    case("revisions", &["rev-parse", "blobtag^{tree}"]),
    case("revisions", &["cat-file", "-p", "v1"]),
    case("revisions", &["cat-file", "-p", "tagtag"]),
    case("revisions", &["cat-file", "-t", "broken"]),
    case("revisions", &["cat-file", "-t", "dangling"]),
    case("revisions", &["cat-file", "commit", "annotated"]),
    case("revisions", &["cat-file", "tree", "annotated"]),
    with(
        ONE_HANDLE,
        batch(
            "revisions",
            &["cat-file", "--batch"],
            "HEAD^2\nv1~1\ntreetag^{}\nblobtag^{}\nHEAD:dir/sub/c\nHEAD:link\nbroken\norigin\n",
        ),
    ),
    // 14. ls-tree: every listing option, on trees, commits and tags, and on
    //     trees git would not write (odd modes, gitlinks, quoted names).
    case("revisions", &["ls-tree", "HEAD"]),
    case("revisions", &["ls-tree", "-r", "HEAD"]),
    case("revisions", &["ls-tree", "-r", "-t", "HEAD"]),
    case("revisions", &["ls-tree", "-rt", "HEAD"]),
    case("revisions", &["ls-tree", "-d", "HEAD"]),
    case("revisions", &["ls-tree", "-r", "-d", "HEAD"]),
    case("revisions", &["ls-tree", "-l", "HEAD"]),
    case("revisions", &["ls-tree", "-l", "-r", "-t", "HEAD"]),
    case("revisions", &["ls-tree", "--name-only", "-r", "HEAD"]),
    case("revisions", &["ls-tree", "--name-status", "HEAD"]),
    case("revisions", &["ls-tree", "-z", "-r", "-l", "HEAD"]),
    case("revisions", &["ls-tree", "HEAD~1"]),
    case("revisions", &["ls-tree", "annotated"]),
    case("revisions", &["ls-tree", "treetag"]),
    case("revisions", &["ls-tree", "HEAD:dir"]),
    case("revisions", &["ls-tree", "HEAD:a"]),
    case("revisions", &["ls-tree", "HEAD~9"]),
    case("revisions", &["ls-tree", "nope"]),
    case("revisions", &["ls-tree", "--full-tree", "-r", "HEAD"]),
    case("revisions", &["ls-tree", "-x", "HEAD"]),
    case("revisions", &["ls-tree", "--bogus", "HEAD"]),
    case("revisions", &["ls-tree"]),
    case("oddtrees", &["ls-tree", "{modes}"]),
    case("oddtrees", &["ls-tree", "-l", "{modes}"]),
    case("oddtrees", &["ls-tree", "-r", "-t", "{modes}"]),
    case("oddtrees", &["ls-tree", "-z", "{modes}"]),
    case("oddtrees", &["ls-tree", "-d", "{modes}"]),
    case("oddtrees", &["ls-tree", "{emptyname}"]),
    case("oddtrees", &["ls-tree", "{badmode}"]),
    case("oddtrees", &["ls-tree", "{truncated}"]),
    case("oddtrees", &["ls-tree", "{blobcommit}"]),
    with(
        ONE_HANDLE,
        case("revisions", &["ls-tree", "-r", "-t", "-l", "HEAD"]),
    ),
    case("revisions", &["ls-tree", "-r", "HEAD", "sp ace/"]),
    case("revisions", &["ls-tree", "-r", "-z", "HEAD", "sp ace"]),
    case(
        "revisions",
        &["ls-tree", "HEAD", "sp ace/ünï/fïle name.txt"],
    ),
    case(
        "revisions",
        &[
            "rev-parse",
            "HEAD:sp ace/ünï/fïle name.txt",
            "HEAD:sp ace/ünï",
        ],
    ),
    case(
        "revisions",
        &["cat-file", "-p", "HEAD:sp ace/ünï/fïle name.txt"],
    ),
    case("revisions", &["cat-file", "-p", "HEAD:sp ace"]),
    batch(
        "revisions",
        &["cat-file", "--batch-check"],
        "HEAD:sp ace/ünï/fïle name.txt\nHEAD:sp ace/tab\tand \"quote\"\n",
    ),
    // --follow-symlinks: links out of the tree, up, in chains and loops,
    // dangling, into files and submodules, empty and with a NUL.
    batch(
        "export",
        &["cat-file", "--batch", "--follow-symlinks"],
        "links:up\nlinks:dir/up\nlinks:dir/upfile\nlinks:dir/upup\nlinks:dir/sub/deep\nlinks:dir/sub/back\nlinks:self\nlinks:ping\nlinks:pong\nlinks:chain/c0\nlinks:chain/c1\nlinks:chain/c2\nlinks:chain/c2/x\nlinks:chain/c41\nlinks:dot\nlinks:slashes\nlinks:trailing\nlinks:emptylink\nlinks:tolink\nlinks:intofile\nlinks:nul\nlinks:root\nlinks:tosub\nlinks:tosubdir\nlinks:dirup\nlinks:up/README\nlinks:up/dir/sub\nlinks:dir/up/README\nlinks:dir/up/dir/upfile\nlinks:dirup/README\nlinks:trailing/sub\nlinks:tolink/x\nlinks:dot/README\nlinks:emptylink/README\nlinks:root/x\nlinks:self/x\nlinks:dir/upup/x\nlinks:link\nlinks:dirlink\nlinks:dirlink/file\nlinks:absolute\nlinks:absolute/x\nlinks:dangling\nlinks:README/x\nlinks:\nlinks:dir\nlinks:dir/\nlinks:README/\nlinks:submodule\nlinks:submodule/x\nlinks:nope\nlinks:dir//sub\nlinks:link/x\nlinks:./up\nlinks:./dir/up/README\nnope:x\nlinks\nHEAD\n",
    ),
    batch(
        "export",
        &["cat-file", "--batch-check", "--follow-symlinks", "-Z"],
        "links:up\0links:self\0links:intofile\0links:dangling\0links:link\0",
    ),
    batch(
        "export",
        &["cat-file", "--batch-command", "--follow-symlinks"],
        "info links:up\ncontents links:dir/upfile\ninfo links:self\ncontents links:absolute\n",
    ),
    batch(
        "export",
        &[
            "cat-file",
            "--batch-check",
            "--follow-symlinks",
            "--no-follow-symlinks",
        ],
        "links:link\nlinks:up/README\n",
    ),
    batch(
        "export",
        &[
            "cat-file",
            "--batch-check=%(objectname) %(rest)",
            "--follow-symlinks",
        ],
        "links:link with rest\nlinks:dangling  rest\n",
    ),
    // ls-tree's --format, --object-only and --abbrev, and its mode conflicts.
    case(
        "export",
        &[
            "ls-tree",
            "-r",
            "-t",
            "--format=%(objectmode) %(objecttype) %(objectname) %(objectsize) [%(objectsize:padded)] %(path) %x41 %% %n.",
            "HEAD",
        ],
    ),
    case(
        "export",
        &["ls-tree", "-z", "--format=%(path)|", "-r", "HEAD", "sp ace"],
    ),
    case("export", &["ls-tree", "--format", "%(path)", "HEAD"]),
    case("export", &["ls-tree", "--format=", "HEAD"]),
    case(
        "export",
        &["ls-tree", "--format=%(objectname)", "--abbrev=6", "HEAD"],
    ),
    case("export", &["ls-tree", "--format=%q", "HEAD"]),
    case("export", &["ls-tree", "--format=%(foo", "HEAD"]),
    case("export", &["ls-tree", "--format=%(foo)", "HEAD"]),
    case("export", &["ls-tree", "--format=x%", "HEAD"]),
    case("export", &["ls-tree", "--format=%(path)", "-l", "HEAD"]),
    case("export", &["ls-tree", "--object-only", "-r", "-t", "HEAD"]),
    case(
        "export",
        &["ls-tree", "--object-only", "--abbrev=5", "-d", "HEAD"],
    ),
    case("export", &["ls-tree", "--abbrev", "-r", "-l", "HEAD"]),
    case("export", &["ls-tree", "--abbrev=2", "HEAD"]),
    case("export", &["ls-tree", "--abbrev=0", "HEAD"]),
    case("export", &["ls-tree", "--abbrev=50", "HEAD"]),
    case("export", &["ls-tree", "--abbrev=x", "HEAD"]),
    case("export", &["ls-tree", "--abbrev", "--no-abbrev", "HEAD"]),
    case(
        "export",
        &["ls-tree", "--name-only", "--name-status", "HEAD"],
    ),
    case("export", &["ls-tree", "-rl", "--object-only", "HEAD"]),
    case("export", &["ls-tree", "--object-only", "-l", "HEAD"]),
    // A ref named like an id: git's warning and advice outside batch mode,
    // twice for a tree that -p hands to ls-tree; none in batch mode.
    case("export", &["cat-file", "-t", "{HEAD}"]),
    case("export", &["cat-file", "-p", "{HEAD}^{tree}"]),
    case("export", &["rev-parse", "{HEAD}", "{HEAD}:README"]),
    case("export", &["ls-tree", "{HEAD}"]),
    batch(
        "export",
        &["cat-file", "--batch-check"],
        "{HEAD}\n{HEAD}:README\n",
    ),
    case("revisions", &["cat-file", "-p", "v1^{tree}"]),
    case("export", &["cat-file", "--follow-symlinks", "-p", "HEAD"]),
    // Damaged packed objects: zlib's words, a line per delta base that
    // failed, git's fatal message naming the pack as git names it; in batch
    // mode the header line comes first.
    case("damaged", &["cat-file", "-p", "{blob}"]),
    case("damaged", &["cat-file", "-p", "{top}"]),
    case("damaged", &["cat-file", "-p", "{base}"]),
    case("damaged", &["cat-file", "-t", "{top}"]),
    case("damaged", &["cat-file", "-s", "{blob}"]),
    case("damaged", &["cat-file", "blob", "{blob}"]),
    case("damaged", &["cat-file", "tree", "{blob}"]),
    case("damaged", &["cat-file", "tree", "{top}"]),
    case("damaged", &["cat-file", "blob", "{base}"]),
    case("damaged", &["ls-tree", "{top}"]),
    case("damaged", &["ls-tree", "{blob}"]),
    batch("damaged", &["cat-file", "--batch"], "HEAD\n{blob}\nHEAD\n"),
    batch("damaged", &["cat-file", "--batch"], "{top}\n"),
    // Packs git keeps but can't use: reported at each lookup that reaches
    // them, their objects missing, the rest of the repository readable.
    case("fanout", &["cat-file", "-p", "HEAD"]),
    case("fanout", &["cat-file", "-t", "{loose}"]),
    case("fanout", &["cat-file", "-e", "HEAD"]),
    case("fanout", &["cat-file", "-p", "HEAD:docs/big.txt"]),
    case("fanout", &["ls-tree", "HEAD"]),
    batch(
        "fanout",
        &["cat-file", "--batch-check"],
        "HEAD\n{loose}\nHEAD:README\n",
    ),
    case("mismatch", &["cat-file", "-p", "HEAD"]),
    case("mismatch", &["cat-file", "-p", "{loose}"]),
    case("mismatch", &["rev-parse", "--verify", "HEAD"]),
    case("mismatch", &["ls-tree", "HEAD"]),
    batch("mismatch", &["cat-file", "--batch"], "HEAD\n{loose}\n"),
    // verify-pack of a pack git can't use: git's lookups for collisions
    // complain once per object hashed before the first bad entry.
    case("mismatch", &["verify-pack", "{idx}"]),
    case("mismatch", &["verify-pack", "-v", "{idx}"]),
    case("fanout", &["verify-pack", "-s", "{idx}"]),
    case("midxcut", &["cat-file", "-p", "HEAD"]),
    batch("midxcut", &["cat-file", "--batch-check"], "HEAD\nHEAD~1\n"),
    // Pack order decoded a pack at a time: a damaged entry ends the fast
    // way, and from it on objects are read one by one, as git reports them.
    case(
        "damaged",
        &["cat-file", "--batch-all-objects", "--unordered", "--batch"],
    ),
    with(
        &["--window-size=4k", "--memory-limit=64k", "--delta-cache=8k"],
        case(
            "damaged",
            &["cat-file", "--batch-all-objects", "--unordered", "--batch"],
        ),
    ),
    case("damaged", &["verify-pack", "{idx}"]),
    case("damaged", &["verify-pack", "-v", "{idx}"]),
    batch(
        "damaged",
        &["cat-file", "--batch-check"],
        "{top}\n{blob}\n{base}\n",
    ),
    // --use-mailmap: commits and tags with their people mapped (sizes
    // too), git's quirks included; other objects as they are.
    case("mailmap", &["cat-file", "--use-mailmap", "-s", "HEAD"]),
    case("mailmap", &["cat-file", "--mailmap", "-p", "HEAD"]),
    case("mailmap", &["cat-file", "--use-mailmap", "-p", "HEAD~1"]),
    case("mailmap", &["cat-file", "--use-mailmap", "-s", "t1"]),
    case("mailmap", &["cat-file", "--use-mailmap", "-p", "t1"]),
    case("mailmap", &["cat-file", "--use-mailmap", "-t", "t1"]),
    case("mailmap", &["cat-file", "--use-mailmap", "commit", "t1"]),
    case("mailmap", &["cat-file", "--use-mailmap", "tree", "HEAD"]),
    case("mailmap", &["cat-file", "--use-mailmap", "-s", "HEAD:a"]),
    case(
        "mailmap",
        &["cat-file", "--mailmap", "--no-mailmap", "-p", "HEAD"],
    ),
    batch(
        "mailmap",
        &["cat-file", "--use-mailmap", "--batch"],
        "HEAD\nHEAD~1\nt1\nHEAD^{tree}\nHEAD:a\n",
    ),
    batch(
        "mailmap",
        &["cat-file", "--use-mailmap", "--batch-check"],
        "HEAD\nHEAD~1\nt1\nHEAD^{tree}\nHEAD:a\n",
    ),
    case(
        "mailmap",
        &[
            "cat-file",
            "--use-mailmap",
            "--batch-all-objects",
            "--batch-check",
        ],
    ),
    case(
        "mailmap",
        &[
            "cat-file",
            "--use-mailmap",
            "--batch-all-objects",
            "--unordered",
            "--batch",
        ],
    ),
    // --filters and --textconv where the attributes call for nothing: the
    // object as stored; where they call for a conversion or a textconv
    // program, git runs it and packread refuses, saying so.
    case("attrs", &["cat-file", "--filters", "HEAD:a.txt"]),
    case("attrs", &["cat-file", "--textconv", "HEAD:a.txt"]),
    case("attrs", &["cat-file", "--filters", "HEAD:b.bin"]),
    case("attrs", &["cat-file", "--textconv", "HEAD:b.bin"]),
    case("attrs", &["cat-file", "--textconv", "HEAD:"]),
    case(
        "attrs",
        &["cat-file", "--filters", "--path=a.txt", "HEAD:s.sh"],
    ),
    case("attrs", &["cat-file", "--textconv", "--path=x.txt", "HEAD"]),
    batch(
        "attrs",
        &["cat-file", "--batch", "--textconv"],
        "HEAD:a.txt a.txt\nHEAD:b.bin b.bin\nHEAD\nHEAD:s.sh x.txt\nHEAD:a.txt\n",
    ),
    batch(
        "attrs",
        &["cat-file", "--filters", "--batch=%(objectname) %(rest)"],
        "HEAD:a.txt a.txt\nHEAD:b.bin b.bin\nHEAD\nHEAD:s.sh x.txt\nHEAD:a.txt\n",
    ),
    differs(
        Differs::Refused("does not convert for the work tree"),
        case("attrs", &["cat-file", "--filters", "HEAD:s.sh"]),
    ),
    differs(
        Differs::Refused("does not convert for the work tree"),
        batch(
            "attrs",
            &["cat-file", "--batch", "--filters"],
            "HEAD:s.sh s.sh\n",
        ),
    ),
    differs(
        Differs::Refused("does not run textconv programs"),
        case("attrs", &["cat-file", "--textconv", "HEAD:c.c"]),
    ),
    // git crashes peeling a commit to a tag under a mailmap.
    differs(
        Differs::GitCrashes("bad file"),
        case("mailmap", &["cat-file", "--use-mailmap", "tag", "HEAD"]),
    ),
    case("mailmap", &["cat-file", "--path=x", "-t", "HEAD"]),
    case("mailmap", &["cat-file", "--path", "x", "--batch"]),
    case("mailmap", &["cat-file", "--path"]),
    // An index of the other hash kind among the packs: git's complaint at
    // each lookup that reaches it; the other objects read.
    case("otherhash", &["cat-file", "-t", "HEAD"]),
    case("otherhash", &["cat-file", "-p", "HEAD:a"]),
    case("otherhash", &["cat-file", "-e", "{bad1}"]),
    case("otherhash", &["cat-file", "-t", "{bad1}"]),
    batch(
        "otherhash",
        &["cat-file", "--batch-check"],
        "HEAD\n{bad1}\nHEAD:a\n",
    ),
    case("otherhash", &["ls-tree", "HEAD"]),
    case("otherhash", &["rev-parse", "HEAD", "HEAD^{tree}"]),
    differs(
        Differs::FewerComplaints,
        case("otherhash", &["log", "--oneline"]),
    ),
    differs(
        Differs::FewerComplaints,
        case("otherhash", &["rev-parse", "7445"]),
    ),
    differs(
        Differs::FewerComplaints,
        case(
            "otherhash",
            &["cat-file", "--batch-all-objects", "--batch-check"],
        ),
    ),
    differs(
        Differs::FewerComplaints,
        case(
            "fanout",
            &["cat-file", "--batch-all-objects", "--batch-check"],
        ),
    ),
    case(
        "otherhash",
        &["verify-pack", ".git/objects/pack/{otheridx}"],
    ),
    // Invalid deflate data in a pack: zlib's own words, then git's.
    case("midstream", &["cat-file", "-p", "{midblob}"]),
    case("midstream", &["cat-file", "blob", "{midblob}"]),
    case("midstream", &["cat-file", "-s", "{midblob}"]),
    batch("midstream", &["cat-file", "--batch"], "{midblob}\n"),
    case("midstream", &["cat-file", "--batch-all-objects", "--batch"]),
    case("midstream", &["verify-pack", "-v", "{idx}"]),
    with(
        ONE_HANDLE,
        case("midstream", &["cat-file", "-p", "{midblob}"]),
    ),
    case(
        "export",
        &["cat-file", "--buffer", "--follow-symlinks", "-t", "HEAD"],
    ),
];

/// `verify-pack`, `-v` and `-s` of each damaged copy of a pack that
/// `make_bad_index.sh` lists (indexes, reverse indexes and packs damaged in
/// every way git tells apart), and of a pack with `REF_DELTA`s, under
/// default and tiny windows.
fn damaged_index_cases() -> Vec<Case> {
    let dir = fixture("make_bad_index.sh").join("bad");
    let names = std::fs::read_to_string(dir.join("names")).unwrap();
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut cases = Vec::new();
    for name in names.lines() {
        let idx = leak(format!("../bad/{name}.idx"));
        for mode in [None, Some("-v"), Some("-s")] {
            let args: Vec<&'static str> = std::iter::once("verify-pack")
                .chain(mode)
                .chain(std::iter::once(idx))
                .collect();
            let c = case("badindex", Box::leak(args.into_boxed_slice()));
            cases.push(c);
            if mode == Some("-v") {
                cases.push(with(ONE_HANDLE, c));
            }
        }
    }
    cases
}

/// `rev-list` on each commit-graph state of `make_walks.sh`'s history
/// (none, one file, a split chain, topological levels only): every order,
/// exclusions and ranges, limits, marks and counts.
/// `log` arguments of [`walk_cases`].
const LOG_ARGS: &[&str] = &[
    "--oneline --all --author=Proper --grep=tabs --invert-grep",
    "--oneline --all --author=Other --grep=x --invert-grep",
    "--oneline --all -i --grep=^S --invert-grep",
    "--oneline --all -- f-r2b.txt",
    "--format=%h%x20%p --all -- f-s1.txt",
    "--parents --format=%h%x20%p --all -- f-s1.txt",
    "--parents --oneline --full-history --all -- f-t1.txt f-s1.txt",
    "",
    "--all",
    "--oneline --all",
    "--pretty=oneline HEAD",
    "--pretty=short -3",
    "--pretty=full -3",
    "--pretty=fuller -3",
    "--pretty=raw -2",
    "--format=%H%n%h%n%T%n%t%n%P%n%p -3 --all",
    "--format=%an|%ae|%aN|%aE|%ad|%at|%ai|%aI|%as --all",
    "--format=%cn|%ce|%cN|%cE|%cd|%ct|%ci|%cI|%cs --all",
    "--format=%s%x00%b%x09%B --all",
    "--format=%an|%aN|%s -2",
    "--pretty=format:%h%x20%s --all",
    "--decorate --oneline --all",
    "--decorate=full --parents --all",
    "--decorate --pretty=raw -3",
    "--no-decorate --oneline -3",
    "--format=%h%d%x20%D%+d --all",
    "--decorate=full --format=%d --all",
    "--decorate=sometimes -1",
    "--no-walk --decorate --oneline --tags",
    "--pretty=format:%h%n%b -3",
    "--format=%e|%f|%al|%aL|%cl|%cL|%m --all",
    "--format=%h%+s%-b%x20%+b%x20%+Q%-Q --all",
    "--format=%m%h --boundary HEAD~2..HEAD",
    "--format=%%%x20%q%x20%z --all",
    "--date=iso --all",
    "--date=iso-strict -3",
    "--date=rfc -3",
    "--date=short -3",
    "--date=raw -3",
    "--date=unix -3",
    "--abbrev-commit -2",
    "--no-use-mailmap -3",
    "--author=proper --oneline --all",
    "--no-use-mailmap --author=proper --oneline --all",
    "--grep=Caf --format=%s --all",
    "--topo-order --oneline --all",
    "main...topic --oneline --left-right",
    "--left-right main...topic",
    "--boundary --oneline topic..main",
    "--parents --oneline -3",
    "--reverse -4",
    "--date=bogus",
    "--pretty=bogus",
];

/// `rev-list` arguments of [`walk_cases`].
const WALK_ARGS: &[&str] = &[
    // The starting points alone.
    "--no-walk main side o1",
    "--no-walk=unsorted o1 main side",
    "--no-walk ^side main",
    "^side main --no-walk",
    "--no-walk -n 2 main side o1",
    "-n 2 --no-walk main side o1 o2",
    "--no-walk --count --parents main side o1",
    "--no-walk --reverse --tags",
    "--no-walk side...main",
    "side...main --no-walk",
    "--no-walk --do-walk main",
    "--no-walk=sometimes main",
    // One side of a symmetric difference.
    "--left-only side...main",
    "--right-only --parents side...main",
    "--left-only --count side...main",
    "--right-only --left-right --count side...main",
    "--left-right --left-only --boundary side...main",
    "--left-only main",
    "--left-only --topo-order main",
    "--left-only --right-only side...main",
    "--right-only --left-only side...main",
    "--left-only --parents side...main -- f-s1.txt",
    // Ref options with patterns, and exclusions.
    "--branches=s*",
    "--branches=o",
    "--exclude=o* --branches",
    "--exclude=refs/heads/o* --all",
    "--exclude=o* --branches --branches",
    "--glob=heads/t*",
    "--glob heads",
    "--tags=v*",
    "--remotes=origin",
    "--exclude=origin/HEAD --remotes",
    "--exclude=HEAD --all",
    "--not --branches=o* --not --all",
    "--exclude",
    // Parent shorthands: `^@`, `^!`, `^-<n>`.
    "main^@",
    "--parents main^!",
    "main^-",
    "main^-1 side",
    "^main~2^@ main",
    "--not main^@ --not topic",
    "v1^!",
    "main^-9",
    "main^-x",
    // Path limiting: TREESAME, history simplification, --full-history.
    "--all -- f-a.txt",
    "--all -- f-t2.txt",
    "--all --full-history -- f-t2.txt",
    "HEAD -- f-o1.txt f-o2.txt",
    "--topo-order --all -- f-s1.txt",
    "--date-order HEAD -- f-root2.txt",
    "--first-parent HEAD -- f-t1.txt",
    "--boundary main~3..main -- f-o1.txt",
    "--count --all -- f-*.txt",
    "--full-history --topo-order --all -- f-t3.txt",
    "side...main -- f-s2.txt",
    "--left-right side...main -- f-e.txt",
    "--all -- nothere",
    "--reverse --all -- f-g.txt",
    "-n 3 --all -- tabs.txt",
    "--full-history main~4..main -- f-t1.txt",
    "--author-date-order --full-history --all -- f-o2.txt",
    "--merges --full-history --all -- f-t1.txt",
    "--topo-order --full-history main~5..main -- f-o1.txt f-t1.txt",
    "main -- ../x",
    "--objects --all",
    "--objects main~3..main",
    "--objects --all -- f-a.txt",
    "--objects v1-again",
    "--objects --tags",
    "--parents --all -- f-t2.txt",
    "--parents --all --full-history -- f-t2.txt",
    "--parents --topo-order --all -- f-s1.txt",
    "--parents --first-parent HEAD -- f-t1.txt",
    "--parents --boundary main~3..main -- f-o1.txt",
    "--parents --full-history --topo-order --all -- f-t3.txt",
    "--parents --reverse --all -- f-g.txt",
    "--parents --full-history --all -- f-e.txt f-s2.txt f-o2.txt",
    "main:nope/x",
    "HEAD",
    "--all",
    "--topo-order --all",
    "--date-order --all",
    "--author-date-order --all",
    "--reverse HEAD",
    "--reverse --topo-order --all",
    "--first-parent HEAD",
    "--parents --first-parent HEAD",
    "-n 3 HEAD",
    "--skip=2 -n4 --all",
    "-5 --topo-order --all",
    "--max-count=0 HEAD",
    "--merges --all",
    "--no-merges HEAD",
    "--min-parents=3 --all",
    "--max-parents=0 --all",
    "--parents HEAD",
    "--timestamp --all",
    "--count --all",
    "--count HEAD",
    "--count --first-parent --all",
    "--count main topic main",
    "--count --topo-order --reverse --all",
    "--count --parents v1 side",
    "--count -n 3 --all",
    "--left-right --count HEAD ^side",
    "HEAD ^topic",
    "topic..main",
    "main..topic",
    "..topic",
    "--boundary topic..main",
    "--boundary --topo-order HEAD ^side",
    "--boundary -n 3 HEAD",
    "--topo-order topic..main",
    "--date-order side..main",
    "--branches",
    "--tags",
    "--remotes",
    "--all --not topic",
    "--max-age=1700000500 HEAD",
    "--min-age=1700000500 HEAD",
    "--since=2023-11-14T22:20:00Z --all",
    "--until=@1700000600 --all",
    "--after=2023-11-14T22:20:00+0100 --topo-order --all",
    "--before=Nov.14.2023.22:25:00.UTC HEAD",
    "--since 2023-11-14T22:20:00Z HEAD",
    "--since",
    "--since=garbage --all",
    "--author=Other --all",
    "--author=other -i --all",
    "--author Proper --all",
    "--committer=Mitter --all",
    "--grep=o --grep=i --all",
    "--grep=o --grep=i --all-match --all",
    "--grep=a --invert-grep --all",
    "--grep=t --grep=o --all-match --invert-grep --all",
    "--committer=C --grep=e --invert-grep --all",
    "--invert-grep --all",
    "--author=Other --grep=person --all",
    "--grep=a.b -F --all",
    "--grep=\\(mail\\|tabs\\) --all",
    "-E --grep=(mail|tabs) --all",
    "-E --grep=(mail --all",
    "--grep=[abc --all",
    "--grep=[[:digit:]] --all",
    "--author",
    "-n",
    "--max-count",
    "--skip 1 --max-count 2 HEAD",
    "--min-parents 2 --all",
    "v1",
    "v1-again..HEAD",
    "main...topic",
    "--left-right main...topic",
    "--left-right --count main...side",
    "--topo-order --left-right side...topic",
    "--boundary main...topic",
    "--not main...topic",
    "--left-right --boundary v1...side",
    "^HEAD",
    "nope",
    "HEAD nope",
    "",
];
/// `merge-base` arguments of [`walk_cases`].
const MERGE_BASE_ARGS: &[&str] = &[
    "main topic",
    "--all main topic",
    "main side",
    "--all side topic",
    "o1 o2",
    "--all o1 o2 topic",
    "--octopus o1 o2 side",
    "--octopus --all o1 o2 side",
    "--independent main topic side o1 o2",
    "--independent o1 o2 main",
    "--is-ancestor topic main",
    "--is-ancestor main topic",
    "--is-ancestor main main",
    "main other",
    "other topic",
    "v1 side",
    "nope main",
    "main",
    "",
    "HEAD^{tree} HEAD",
    "--is-ancestor --all main topic",
    "--independent --all main",
    "--octopus --independent main topic",
    "--bogus",
    "-h",
    "-a main~1 side",
];
/// `git diff-tree` on the diff fixture (its `main` is 9 commits past its
/// root; `main~3` is a merge).
const DIFF_TREE_ARGS: &[&str] = &[
    "main",
    "-r main~9 main",
    "-t main~9 main",
    "--root main~9",
    "--root -r --numstat main~9",
    "-r --numstat main~9 main",
    "-r --numstat main~8",
    "-r --numstat main~7",
    "--numstat main~6",
    "--name-status -r main~8",
    "--name-only main~7",
    "-r -z main~8",
    "--numstat -z main~8",
    "--raw --numstat -r main~8",
    "-m -r main~3",
    "-m --numstat main~3",
    "main~3",
    "--always main~3",
    "-r main~9 main -- src",
    "-r main~9 main -- src/*.c",
    "-r main~9 main -- *.c",
    "main~9 main -- *.c",
    "main~9 main -- docs/",
    "main~9 main -- docs",
    "-r main~9 main -- bin.dat/",
    "-r main~9 main -- sub t/last.txt",
    "-t main~9 main -- src/lib/util.c",
    "-r main~9 main -- ../x",
    "-r main~9 main -- sub/",
    "-s main~1",
    "--no-commit-id -r main~1",
    "-r v1 main",
    "v1",
    "main:src",
    "main~9:src main:src",
    "-r main~9..main",
    "main..main~9",
    "^main main~9",
    "main:t/last.txt",
    "main main:t/last.txt",
    "main~1:t/last.txt",
    "main main~1:t/last.txt",
    "main~1:t/last.txt -- x",
    "main~2 main~1 main",
    "nosuch",
    "main nosuch",
    "-- main",
    "--name-only --name-status main",
    "--bogus main",
    "-h",
];

/// Path-limited walks on the diff fixture (a merge whose sides touch
/// different paths, a path changed and changed back).
const PATH_ARGS: &[&str] = &[
    "rev-list main -- src",
    "rev-list --all -- src/lib/util.c",
    "rev-list --all --full-history -- src/lib/util.c",
    "rev-list main -- t",
    "rev-list --topo-order main -- t",
    "rev-list --date-order --all -- t/braces.txt",
    "rev-list main -- docs",
    "rev-list main -- src/*.c",
    "rev-list main~3..main -- src",
    "rev-list --count main -- sub",
    "rev-list --full-history --topo-order main -- src/lib",
    "rev-list --first-parent main -- t",
    "rev-list --boundary main~4..main -- src",
    "rev-list --full-history main~5..main -- src/lib/util.c",
    "rev-list side..main -- src/lib/util.c",
    "rev-list main -- src t/side.txt",
    "log --oneline main -- src/lib/util.c",
    "log --format=%H%x20%P main -- t",
    "rev-list --parents main -- src",
    "rev-list --parents --all --full-history -- src/lib/util.c",
    "rev-list --parents --full-history --topo-order main -- src/lib",
    "log --parents --oneline main -- src/lib/util.c",
    // Paths that change type (a directory that becomes a file and the
    // reverse), directory-only paths (a trailing `/`) meeting files, a
    // directory and a submodule, and paths under a file.
    "rev-list main -- docs bin.dat",
    "rev-list --full-history main -- docs/ bin.dat/",
    "rev-list main -- bin.dat/inside docs/readme.txt",
    "rev-list main -- sub/ src/",
    "rev-list --all -- noeol.txt/x link",
];

/// `rev-list --objects` on the diff fixture.
const OBJECTS_ARGS: &[&str] = &[
    "--objects main",
    "--objects --all",
    "--objects main~8..main~6",
    "--objects v1 main:src main~9^{tree}",
    "--objects main:t/last.txt",
    "--objects ^main~1^{tree} main^{tree}",
    "--objects main -- src",
    "--objects main -- src/*.c",
    "--count --objects main",
    "--objects --boundary main~2..main",
    "--objects --no-object-names main",
    "--objects --count --left-right main...side",
    "--objects --topo-order side ^main~2",
    "--objects --first-parent main",
    "--objects --missing=print main",
];

/// `rev-list --objects` where blobs are missing: a partial clone, and the
/// same with its pack no longer a promisor pack.
const MISSING_ARGS: &[&str] = &[
    "--objects --missing=print --all",
    "--objects --missing=allow-any --all",
    "--objects --missing=allow-promisor --all",
    "--objects --missing=print main~3..main",
    "--count --objects --missing=print --all",
    "--objects --missing=bogus --missing=print main",
    "--objects --missing=print --no-object-names main -- src",
];

/// A pack whose index has one damaged entry (`make_damaged_pack.sh`: an
/// offset past the pack, a 64-bit one past it, one into another entry, a
/// slot past the 64-bit table): git reads the pack's other objects, finds
/// that one to exist, and fails only where it reads it.
fn damaged_entry_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for repo in ["off32", "off64", "offmid", "off64slot"] {
        let id: &'static str = Box::leak(format!("{{{repo}id}}").into_boxed_str());
        let args = |a: &[&'static str]| -> &'static [&'static str] {
            Box::leak(a.to_vec().into_boxed_slice())
        };
        for mode in ["-p", "-t", "-s", "-e", "blob", "commit"] {
            cases.push(case(repo, args(&["cat-file", mode, id])));
        }
        cases.push(case(repo, args(&["ls-tree", id])));
        cases.push(case(repo, &["ls-tree", "-r", "HEAD"]));
        cases.push(case(
            repo,
            &["cat-file", "--batch-all-objects", "--batch-check"],
        ));
        cases.push(case(repo, &["verify-pack", "{idx}"]));
        cases.push(case(repo, &["verify-pack", "-v", "{idx}"]));
        if repo != "offmid" {
            cases.push(case(repo, &["rev-list", "--objects", "--all"]));
        }
    }
    cases
}

/// Each loose object `make_damaged_loose.sh` damaged, asked about in every
/// single-object mode, as `<kind> <object>` for its kind, in both batch
/// modes and (trees) by `ls-tree`. Left out: reads that print a body whose
/// header announced more than the stream holds, where git prints whatever
/// its allocator left in the rest (a documented difference).
fn damaged_loose_cases() -> Vec<Case> {
    let dir = fixture("make_damaged_loose.sh");
    let names = std::fs::read_to_string(dir.join("names")).unwrap();
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut cases = Vec::new();
    for name in names.lines() {
        let id = leak(format!("{{{name}}}"));
        let line = leak(format!("{{{name}}}\n"));
        let kind = name
            .split('_')
            .next()
            .filter(|k| ["blob", "tree", "commit", "tag"].contains(k));
        let padded = kind.is_some_and(|k| k != "blob") && name.contains("_short");
        let args = |a: &[&'static str]| -> &'static [&'static str] {
            Box::leak(a.to_vec().into_boxed_slice())
        };
        for mode in ["-t", "-s", "-e", "-p"] {
            if !(mode == "-p" && padded && kind != Some("tree")) {
                cases.push(case("loose", args(&["cat-file", mode, id])));
            }
        }
        if let Some(kind) = kind
            && !padded
        {
            cases.push(case(
                "loose",
                args(&["cat-file", leak(kind.to_owned()), id]),
            ));
        }
        if !padded {
            cases.push(batch("loose", &["cat-file", "--batch"], line));
        }
        cases.push(batch("loose", &["cat-file", "--batch-check"], line));
        if kind == Some("tree") {
            cases.push(case("loose", args(&["ls-tree", id])));
        }
        // The history commands, where git parses or reads it whole.
        let unset_size = name == "no_space";
        let commands: [&[&'static str]; 6] = [
            &["rev-parse", "--verify", leak(format!("{id}^{{tree}}"))],
            &["rev-parse", leak(format!("{id}^{{commit}}"))],
            &["log", "-1", "--format=%s", id],
            &["rev-list", id],
            &["ls-tree", "-r", id],
            &["diff-tree", "-r", id],
        ];
        for command in commands {
            let c = case("loose", args(command));
            // A tree is not walked; what git reads whole it reads padded.
            let reads = matches!(command[0], "diff-tree")
                || (matches!(command[0], "log" | "rev-list") && kind != Some("tree"));
            let parses = matches!(command[0], "log" | "rev-list" | "diff-tree");
            cases.push(if padded && reads {
                differs(Differs::Refused("differs from the header"), c)
            } else if unset_size && (parses || command.len() == 2) {
                differs(Differs::Unset, c)
            } else {
                c
            });
        }
    }
    // git hits a BUG() on a stream that needs a preset dictionary wherever
    // it inflates one (`-e` only looks for the file).
    for c in &mut cases {
        let named = c.stdin.contains("{preset_dictionary}")
            || c.args.iter().any(|a| a.contains("{preset_dictionary}"));
        if named && !c.args.contains(&"-e") {
            *c = differs(Differs::GitCrashes("needs dictionary"), *c);
        }
    }
    cases
}

/// Cases on the diff fixture (`diff-tree`, paths, `--objects`).
fn diff_cases() -> Vec<Case> {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut cases = Vec::new();
    for state in ["none", "bloom"] {
        let repo = leak(format!("diffs-{state}"));
        for args in DIFF_TREE_ARGS {
            cases.push(case(repo, command("diff-tree", args)));
        }
        for args in PATH_ARGS {
            let (first, rest) = args.split_once(' ').expect("a command and its arguments");
            cases.push(case(repo, command(leak(first.to_owned()), rest)));
        }
        for args in [
            &["diff-tree", "--stdin", "-r", "--numstat"][..],
            &["diff-tree", "--stdin", "-m", "--name-status"],
            &["diff-tree", "--stdin", "-z", "-t", "--root"],
        ] {
            cases.push(batch(repo, args, "{revparents}"));
            cases.push(batch(repo, args, "{diffmix}"));
        }
        // Ids alone: each commit's parent read once, as the line before's
        // parent (from the commit-graph where there is one).
        cases.push(batch(repo, &["diff-tree", "--stdin", "-r"], "{revs}"));
        cases.push(with(
            ONE_HANDLE,
            batch(
                repo,
                &["diff-tree", "--stdin", "-r", "--numstat", "-m"],
                "{revparents}",
            ),
        ));
        for args in OBJECTS_ARGS {
            cases.push(case(repo, command("rev-list", args)));
        }
    }
    // A partial clone's missing blobs: sizes git can't give are BAD; a
    // promisor remote that can't be reached ends in git's words.
    for repo in ["diffs-snapshot", "diffs-partial"] {
        for args in [
            &["ls-tree", "-l", "-r", "main"][..],
            &[
                "ls-tree",
                "-r",
                "--format=%(objectsize:padded) %(path)",
                "main",
            ],
            &["ls-tree", "-l", "main", "--", "t"],
            &["cat-file", "-p", "main:t/last.txt"],
            &["cat-file", "-s", "main:src/lib/util.c"],
        ] {
            cases.push(case(repo, args));
        }
        cases.push(batch(
            repo,
            &["cat-file", "--batch-check"],
            "main:t/last.txt\nmain\n",
        ));
    }
    // A blob gone: git counts every file's lines before it shows any,
    // and dies at the first it can't read (raw lines shown before).
    for args in [
        "-r --numstat main~4 main",
        "-r --raw --numstat main~4 main",
        "-r --numstat main~2 main",
    ] {
        cases.push(case("diffs-holed", command("diff-tree", args)));
    }
    // In a work tree with attributes and settings that class files for
    // line counts (see make_diffs.sh).
    for args in DIFF_TREE_ARGS.iter().filter(|a| a.contains("--numstat")) {
        cases.push(case("diffs-base", command("diff-tree", args)));
    }
    cases.push(batch(
        "diffs-base",
        &["diff-tree", "--stdin", "-r", "--numstat", "--root"],
        "{revparents}",
    ));
    // A revision that is also a file of the work tree: refused without
    // `--` (git's `verify_non_filename`), whole for a range.
    for args in [
        "rev-list -1 noeol.txt",
        "rev-list -1 noeol.txt --",
        "rev-list -1 main ^noeol.txt",
        "rev-list noeol.txt..main",
        "rev-list -1 main noeol.txt",
        "log --oneline -1 noeol.txt",
        "diff-tree -r noeol.txt main",
        "diff-tree -r noeol.txt main --",
        "diff-tree -r main noeol.txt",
    ] {
        let (first, rest) = args.split_once(' ').expect("a command and its arguments");
        cases.push(case("diffs-base", command(leak(first.to_owned()), rest)));
    }
    for repo in ["diffs-partial", "diffs-unexpected", "diffs-snapshot"] {
        for args in MISSING_ARGS {
            cases.push(case(repo, command("rev-list", args)));
        }
    }
    cases
}

/// Commit-graphs git refuses: its errors and warnings where it loads the
/// graph, then the same answers from the objects.
fn bad_graph_cases() -> Vec<Case> {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut cases = Vec::new();
    for which in [
        "badsig",
        "badversion",
        "badhash",
        "toosmall",
        "manychunks",
        "nofanout",
        "dupchunk",
        "earlyend",
        "badoffset",
        "chainline",
        "chainmissing",
        "chainshort",
    ] {
        let repo = leak(format!("badgraph-{which}"));
        for args in [
            &["rev-list", "--all"][..],
            &["log", "--oneline", "-2", "side"],
            &["merge-base", "--all", "main", "side"],
            &["diff-tree", "-r", "main~1", "main"],
            // git loads the graph where it first parses a commit: in
            // `~`, `^` and `^{...}`, in ls-tree, not in `<rev>:<path>`.
            &["rev-parse", "main~1"],
            &["rev-parse", "main", "main^{tree}"],
            &["rev-parse", "main:f1.txt"],
            &["rev-parse", "main~1:f1.txt"],
            &["rev-parse", "--verify", "main~9"],
            &["ls-tree", "main"],
            &["cat-file", "-p", "main^{tree}"],
            &["cat-file", "-t", "main"],
            &["merge-base", "main~9", "side"],
            &["rev-list", "main^{blob}"],
            // Any argument found loads it (git's `get_reference` looks in
            // the graph first), before a later one fails.
            &["rev-list", "-1", "main", "nope"],
            &["diff-tree", "main^{tree}", "side^{tree}"],
        ] {
            cases.push(case(repo, args));
        }
        cases.push(batch(
            repo,
            &["diff-tree", "--stdin", "-r", "--root"],
            "{revs}",
        ));
        cases.push(batch(
            repo,
            &["cat-file", "--batch-check"],
            "main:f1.txt\nmain~1\nside~1\n",
        ));
    }
    cases
}

/// `args` split at spaces, after the command `first` (leaked: cases are
/// `'static`).
fn command(first: &'static str, args: &str) -> &'static [&'static str] {
    let v: Vec<&'static str> = std::iter::once(first)
        .chain(
            args.split_whitespace()
                .map(|a| -> &'static str { Box::leak(a.to_owned().into_boxed_str()) }),
        )
        .collect();
    Box::leak(v.into_boxed_slice())
}

/// Walks that meet a parent they can't read (`make_walks.sh`'s
/// `broken`): git's error where it parses the parent, then its death where
/// the walk gives up (going through commits, setting up a limited walk,
/// simplifying for paths), the commits before it printed. With a
/// commit-graph, git walks without reading the commits.
fn broken_parent_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for args in [
        "main",
        "--parents main",
        "--count main",
        "--reverse main",
        "--topo-order main",
        "--date-order main",
        "--first-parent main",
        "--objects main",
        "main -- x",
        "--full-history main -- x",
        "main~1..main",
        "-n 1 main",
        "bad",
        "--topo-order bad",
        "--count bad",
        "bad -- x",
        "--all",
    ] {
        cases.push(case("walks-broken", command("rev-list", args)));
    }
    for args in [
        "--oneline main",
        "--topo-order --format=%s main",
        "--oneline bad",
    ] {
        cases.push(case("walks-broken", command("log", args)));
    }
    for args in [
        "main",
        "--topo-order main",
        "--parents main",
        "--count main",
        "--grep=c main",
        "--author=x main",
    ] {
        cases.push(case("walks-brokengraph", command("rev-list", args)));
    }
    // The graph lists a commit whose object is gone: git shows what the
    // graph holds of it, and dies where it needs the commit's text.
    for args in [
        "main",
        "--oneline main",
        "--oneline --parents --reverse main",
        "--pretty=short main",
        "--pretty=raw main",
        "--format=%H main",
        "--format=%H%x20%T%x20%P%x20%h%x20%t%x20%p%x20%m main",
        "--pretty=format:%H main",
        "--pretty=format:%s main",
        "--format=%H%n%s main",
        "--format=%Q main",
        "--author=x main",
        "--grep=c --format=%H main",
    ] {
        cases.push(case("walks-brokengraph", command("log", args)));
    }
    cases
}

/// A shallow clone (`make_walks.sh`'s `shallow`): git takes the commits
/// its `shallow` file lists for parentless, in walks, merge bases,
/// revisions and diffs; a line of it that is no id is git's death
/// (`badshallow`) wherever git parses a commit.
fn shallow_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (command_name, args) in [
        ("rev-list", "HEAD"),
        ("rev-list", "--parents --all"),
        ("rev-list", "--count --all"),
        ("rev-list", "--topo-order --parents --all"),
        ("rev-list", "--date-order --all"),
        ("rev-list", "--boundary HEAD~1..HEAD"),
        ("rev-list", "--objects --all"),
        ("rev-list", "--all -- t"),
        ("log", "--oneline --all"),
        ("log", "--format=%H%x20%P --all"),
        ("log", "--oneline --reverse HEAD"),
        ("log", "--decorate --oneline --all"),
        ("log", "--format=%h%d --all"),
        ("merge-base", "--all HEAD origin/topic"),
        ("merge-base", "--is-ancestor HEAD~2 HEAD"),
        ("merge-base", "--independent HEAD origin/topic origin/side"),
        ("diff-tree", "-r HEAD~2"),
        ("diff-tree", "-r --root HEAD~2"),
        ("diff-tree", "-r HEAD~1"),
        ("rev-parse", "HEAD~2"),
        ("rev-parse", "HEAD~3"),
        ("rev-parse", "HEAD~2^2"),
    ] {
        cases.push(case("walks-shallow", command(command_name, args)));
    }
    for (command_name, args) in [
        ("rev-list", "HEAD"),
        ("log", "--oneline"),
        ("merge-base", "HEAD HEAD~1"),
        ("rev-parse", "HEAD~1"),
        ("rev-parse", "HEAD"),
        ("diff-tree", "HEAD"),
        ("cat-file", "-t HEAD"),
    ] {
        cases.push(case("walks-badshallow", command(command_name, args)));
    }
    cases
}

/// `rev-parse` of ranges, excluded revisions and parent shorthands: the
/// ends git prints (`^` before an excluded one; a tag's own id).
fn rev_parse_range_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for args in [
        "HEAD^@",
        "HEAD^! main^-1",
        "v1^! v1^-",
        "HEAD~1..HEAD",
        "side...main",
        "main.. ..main",
        "v1..main",
        "^HEAD ^v1 HEAD",
        "--verify ^HEAD",
        "--short ^HEAD",
        "HEAD^-9",
        "nope..HEAD",
        "^nope",
    ] {
        for repo in ["walks-none", "walks-graph"] {
            cases.push(case(repo, command("rev-parse", args)));
        }
    }
    cases
}

/// Walks long enough to run on a thread of their own
/// (`make_long_walks.sh`): git's answers, and git's death where the walk
/// meets a parent past the graph's end, after the commits before it; and
/// path-limited walks long enough to sample their Bloom filters.
fn long_walk_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for repo in ["long-long", "long-longbroken"] {
        for args in [
            "main",
            "--parents main",
            "--first-parent main",
            "-n 1200 main",
            "--skip=1000 main",
            "--count main",
            "--all",
        ] {
            cases.push(case(repo, command("rev-list", args)));
        }
        for args in ["--oneline -n 1300 main", "--format=%H%x20%P main"] {
            cases.push(case(repo, command("log", args)));
        }
    }
    // Path-limited walks long enough to sample the Bloom filters (a path
    // that changes often, one in seven, a directory, a rare one, one the
    // merges leave out), with the filters and without.
    for repo in ["long-paths", "long-pathsnone"] {
        for args in [
            "main -- hot.txt",
            "--count main -- d",
            "main -- d/f3",
            "--full-history main -- d/f3",
            "--parents main -- d/ hot.txt",
            "main -- d/cold.txt",
            "--all -- side/s.txt",
            "--full-history --parents --all -- side/s.txt",
        ] {
            cases.push(case(repo, command("rev-list", args)));
        }
        for args in ["--format=%H%x20%P main -- hot.txt", "--oneline main -- d"] {
            cases.push(case(repo, command("log", args)));
        }
    }
    cases
}

fn walk_cases() -> Vec<Case> {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut cases = Vec::new();
    for state in ["none", "graph", "split", "levels"] {
        let repo = leak(format!("walks-{state}"));
        for args in WALK_ARGS {
            cases.push(case(repo, command("rev-list", args)));
        }
        for args in LOG_ARGS {
            cases.push(case(repo, command("log", args)));
        }
        for args in MERGE_BASE_ARGS {
            cases.push(case(repo, command("merge-base", args)));
        }
        // Dates shown relative to a fixed now and in local zones.
        for (now, tz) in [
            ("1700001000", "UTC0"),
            ("1700100000", "EST5EDT,M3.2.0,M11.1.0"),
            ("1800000000", "IST-5:30"),
        ] {
            let vars: &'static [(&str, &str)] =
                Box::leak(vec![("GIT_TEST_DATE_NOW", now), ("TZ", tz)].into_boxed_slice());
            for date in [
                "relative",
                "local",
                "iso-local",
                "human",
                "rfc-local",
                "raw-local",
            ] {
                let args = command(
                    "log",
                    &format!("--all --format=%h%x20%ad|%ar|%ch --date={date}"),
                );
                cases.push(env(vars, case(repo, args)));
            }
            cases.push(env(
                vars,
                case(repo, &["log", "--relative-date", "-3", "main"]),
            ));
        }
        // Relative dates and dates without a zone, at a fixed now.
        let now: &'static [(&str, &str)] = &[("GIT_TEST_DATE_NOW", "1700001000"), ("TZ", "UTC0")];
        for args in [
            &["rev-list", "--since=10.minutes.ago", "--all"][..],
            &["rev-list", "--until=yesterday", "--all"],
            &["log", "--oneline", "--since=2023-11-14", "--all"],
            &[
                "log",
                "--format=%h %cd",
                "--since=2023-11-14 22:20",
                "--until=now",
                "--all",
            ],
        ] {
            cases.push(env(now, case(repo, args)));
        }
        cases.push(batch(repo, &["rev-list", "--stdin"], "topic\n^side\n"));
        cases.push(batch(
            repo,
            &["rev-list", "--topo-order", "--stdin", "HEAD"],
            "--not\ntopic\n",
        ));
        cases.push(with(
            &["--window-size=4k", "--memory-limit=16k", "--handle-limit=2"],
            case(repo, &["rev-list", "--topo-order", "--parents", "--all"]),
        ));
    }
    // Subjects that end in every way: walks that read only the commits'
    // starts (`%s`, `--oneline`) and the whole (`%b`, `%B`).
    for args in [
        "--format=%s",
        "--oneline",
        "--format=%H%x20%an%x20%s%x20%e",
        "--format=%f",
        "--format=%s%n%b",
        "--format=%B",
        "--format=%s --author-date-order",
        "--format=%an%x09%ad%x09%e",
        "--author=Thor --format=%s",
        "--committer=Mitter --oneline",
        "--author=Thor --format=%B",
        "--grep=line.5 --format=%s",
        "--grep=tab --author=Thor --oneline",
    ] {
        let args = command("log", args);
        cases.push(case("walks-subjects", args));
        cases.push(with(ONE_HANDLE, case("walks-subjects", args)));
    }
    cases.push(case("walks-subjects", &["rev-list", "--all"]));
    cases.push(case(
        "walks-subjects",
        &["rev-list", "--author=A U", "--all"],
    ));
    cases
}

/// The fixture repositories by name.
fn repo(name: &str) -> PathBuf {
    if let Some(which) = name.strip_prefix("badgraph-") {
        return fixture("make_bad_graphs.sh").join(format!("{which}.git"));
    }
    if name == "diffs-base" {
        return fixture("make_diffs.sh").join("base");
    }
    if let Some(state) = name.strip_prefix("diffs-") {
        return fixture("make_diffs.sh").join(format!("{state}.git"));
    }
    if let Some(which) = name.strip_prefix("long-") {
        return fixture("make_long_walks.sh").join(format!("{which}.git"));
    }
    if let Some(state) = name.strip_prefix("walks-") {
        return fixture("make_walks.sh").join(format!("{state}.git"));
    }
    match name {
        "sha256" => fixture("make_sha256.sh").join("sha256"),
        "revisions" => fixture("make_revisions.sh").join("repo"),
        "export" => fixture("make_export.sh").join("repo"),
        "damaged" => fixture("make_damaged_pack.sh").join("repo"),
        "fanout" => fixture("make_damaged_pack.sh").join("fanout"),
        "mismatch" => fixture("make_damaged_pack.sh").join("mismatch"),
        "midxcut" => fixture("make_damaged_pack.sh").join("midxcut"),
        "midstream" | "off32" | "off64" | "offmid" | "off64slot" | "otherhash" => {
            fixture("make_damaged_pack.sh").join(name)
        }
        "badindex" => fixture("make_bad_index.sh").join("repo"),
        "loose" => fixture("make_damaged_loose.sh").join("repo"),
        "oddloose" => fixture("make_fidelity.sh").join("damaged"),
        _ => fixture("make_fidelity.sh").join(name),
    }
}

/// The value `{name}` stands for in `repo`.
/// `diff-tree --stdin` lines of every kind: a tree pair, a commit with
/// other parents (kept for its later lines), a commit alone, text copied,
/// a blob, one tree, a short id, a missing object, an unterminated last
/// line.
fn diff_mix(repo: &Path) -> String {
    let id = |rev: &str| {
        let out = git_out(repo, &["rev-parse", rev]);
        String::from_utf8(out).unwrap().trim().to_owned()
    };
    let (c1, c2, c9) = (id("main~1"), id("main~2"), id("main~9"));
    let merge = id("main~3");
    let (t1, t9) = (id("main~1^{tree}"), id("main~9^{tree}"));
    let blob = id("main:t/last.txt");
    format!(
        "{t9} {t1}\n{c1} {c9}\nhello world\n{merge} {c9}\n{merge}\n{c2}\n{c1}\n{t9}\n\
         {blob}\n{t9} {t1} x\n{}\n{}\n{c1} junk\n{c2}",
        &c1[..10],
        "1".repeat(40)
    )
}

fn value(repo: &Path, name: &str) -> String {
    match name {
        "E" => "4b825dc642cb6eb9a060e54bf8d69288fbee4904".into(),
        "hello" => "ce013625030ba8dba906f756967f9e9ca394464a".into(),
        "bad1" => "1".repeat(40),
        "bad2" => "2".repeat(40),
        "bad3" => format!("{}3", "2".repeat(39)),
        "bad4" => "3".repeat(40),
        "bad5" => "4".repeat(40),
        "badtype" => "342e708865ce77ac7a82ea01336b81e3be8abf30".into(),
        "amball" => ambiguous_prefixes(repo).join("\n") + "\n",
        // Every commit with its parents, as `diff-tree --stdin` reads them.
        "revparents" => {
            String::from_utf8(git_out(repo, &["rev-list", "--parents", "--all"])).unwrap()
        }
        "revs" => String::from_utf8(git_out(repo, &["rev-list", "--all"])).unwrap(),
        "diffmix" => diff_mix(repo),
        "allids" | "allprefixes" => {
            let ids = git_out(
                repo,
                &[
                    "cat-file",
                    "--batch-all-objects",
                    "--batch-check=%(objectname)",
                ],
            );
            let ids = String::from_utf8(ids).unwrap();
            let len = if name == "allids" { 40 } else { 4 };
            let lines: Vec<&str> = ids.lines().map(|l| &l[..len]).collect();
            lines.join("\n") + "\n"
        }
        "ambtag" => {
            // A prefix one of whose candidates is a tag.
            let tags = git_out(
                repo,
                &["for-each-ref", "--format=%(objectname)", "refs/tags"],
            );
            let tags = String::from_utf8(tags).unwrap();
            ambiguous_prefixes(repo)
                .into_iter()
                .find(|p| tags.lines().any(|t| t.starts_with(p.as_str())))
                .expect("a tag among the candidates of some prefix")
        }
        other if other.starts_with("amb") || other.starts_with("AMB") => {
            let i: usize = other[3..].parse().unwrap();
            let p = ambiguous_prefixes(repo)[i].clone();
            if other.starts_with("AMB") {
                p.to_ascii_uppercase()
            } else {
                p
            }
        }
        other if other.starts_with("dir_") => {
            let dir = fixture("make_fidelity.sh").join(&other[4..]);
            let dir = std::fs::canonicalize(dir).unwrap();
            dir.to_str().unwrap().to_owned()
        }
        "HEAD" => String::from_utf8(git_out(repo, &["rev-parse", "HEAD"]))
            .unwrap()
            .trim()
            .to_owned(),
        other if other.starts_with("idx") => {
            let repo = match other.strip_prefix("idx_") {
                Some(name) => self::repo(name),
                None => repo.to_owned(),
            };
            let pack_dir = repo.join(".git/objects/pack");
            let idx = std::fs::read_dir(&pack_dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|e| e == "idx"))
                .expect("a pack");
            std::fs::canonicalize(idx)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        }
        // Ids a fixture script wrote beside its repository.
        other
            if repo
                .parent()
                .is_some_and(|p| p.join(format!("value.{other}")).is_file()) =>
        {
            let file = repo.parent().unwrap().join(format!("value.{other}"));
            std::fs::read_to_string(file).unwrap().trim().to_owned()
        }
        other => {
            let file = fixture("make_fidelity.sh").join(format!("oddtrees.{other}"));
            std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
                .trim()
                .to_owned()
        }
    }
}

/// The 4-digit prefixes several objects of `repo` start with.
fn ambiguous_prefixes(repo: &Path) -> Vec<String> {
    let ids = git_out(
        repo,
        &[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname)",
        ],
    );
    let ids = String::from_utf8(ids).unwrap();
    let prefixes: Vec<&str> = ids.lines().map(|l| &l[..4]).collect();
    let mut amb: Vec<String> = prefixes
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0].to_owned())
        .collect();
    amb.dedup();
    assert!(amb.len() >= 5, "the fixture has ambiguous prefixes");
    amb
}

/// `text` with every `{name}` replaced (but `^{name}`, git's own syntax).
fn fill(repo: &Path, text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map(|c| open + c);
        match close {
            // `^{tree}` and the like are git's syntax, not placeholders.
            Some(close)
                if close > open + 1
                    && !rest[..open].ends_with('^')
                    && rest[open + 1..close]
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                out.push_str(&rest[..open]);
                out.push_str(&value(repo, &rest[open + 1..close]));
                rest = &rest[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn run(cmd: Command, args: &[String], stdin: &[u8]) -> Output {
    testkit::run_with_stdin(cmd, args, stdin)
}

fn packread(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_packread"));
    cmd.current_dir(dir)
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES");
    cmd
}

/// stderr without the usage text (but with a marker where it was).
fn stderr_of(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr);
    match text.find("usage: ") {
        Some(at) if at == 0 || text[..at].ends_with('\n') => format!("{}<usage>", &text[..at]),
        _ => text.into_owned(),
    }
}

fn show(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(3000)]);
    format!("{s:?}")
}

/// The case's name in the test list: its number, repository, packread's own
/// options, environment and arguments, as written (placeholders unfilled).
fn name(i: usize, c: &Case) -> String {
    let mut name = format!("{i:03} {}:", c.repo);
    for (k, v) in c.env {
        let _ = write!(name, " {k}={v}");
    }
    for a in c.ours.iter().chain(c.args) {
        name.push(' ');
        name.push_str(a);
    }
    if !c.stdin.is_empty() {
        let head: String = c.stdin.chars().take(40).collect();
        let _ = write!(name, " < {head:?}");
    }
    name
}

/// Runs `c` with git and packread; what differs, if anything.
fn check(c: &Case) -> Result<(), String> {
    let dir = repo(c.repo);
    let args: Vec<String> = c.args.iter().map(|a| fill(&dir, a)).collect();
    // A bare `--batch-check=...` is `cat-file`'s.
    let args = if args[0].starts_with("--batch") {
        std::iter::once("cat-file".to_owned()).chain(args).collect()
    } else {
        args
    };
    // `@<path>`: the bytes of a file.
    let stdin = match fill(&dir, c.stdin).strip_prefix('@') {
        Some(path) => std::fs::read(path).unwrap(),
        None => fill(&dir, c.stdin).into_bytes(),
    };
    let vars: Vec<(&str, String)> = c.env.iter().map(|(k, v)| (*k, fill(&dir, v))).collect();
    let mut theirs_cmd = git(&dir);
    theirs_cmd.envs(vars.iter().map(|(k, v)| (*k, v.as_str())));
    let theirs = run(theirs_cmd, &args, &stdin);
    let ours_args: Vec<String> = c
        .ours
        .iter()
        .map(|a| (*a).to_owned())
        .chain(args.iter().cloned())
        .collect();
    let mut ours_cmd = packread(&dir);
    ours_cmd.envs(vars.iter().map(|(k, v)| (*k, v.as_str())));
    let ours = run(ours_cmd, &ours_args, &stdin);
    if let Some(d) = c.differs {
        return documented(d, &theirs, &ours)
            .map_err(|why| format!("{} $ {:?} (documented difference)\n  {why}", c.repo, args));
    }
    let mut why = Vec::new();
    // `-h` prints the usage on stdout: that both do is what is compared.
    let usage = |o: &Output| o.stdout.starts_with(b"usage: ");
    if ours.stdout != theirs.stdout && !(usage(&ours) && usage(&theirs)) {
        why.push(format!(
            "stdout\n    git:      {}\n    packread: {}",
            show(&theirs.stdout),
            show(&ours.stdout)
        ));
    }
    if ours.status.code() != theirs.status.code() {
        why.push(format!(
            "exit code: git {:?}, packread {:?}",
            theirs.status.code(),
            ours.status.code()
        ));
    }
    let (gs, ps) = (stderr_of(&theirs), stderr_of(&ours));
    if gs != ps {
        why.push(format!(
            "stderr\n    git:      {gs:?}\n    packread: {ps:?}"
        ));
    }
    if why.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} $ {:?} {:?} {:?} < {:?}\n  {}",
        c.repo,
        vars,
        c.ours,
        args,
        show(&stdin[..stdin.len().min(200)]),
        why.join("\n  ")
    ))
}

/// Each case is a test of its own (`cargo test --test fidelity -- --list`
/// lists them; a filter picks some), run in parallel.
/// Checks a documented difference: what must hold all the same, and (but
/// for git's unset memory) that the difference is still there, else
/// README.md's list must shrink.
fn documented(d: Differs, theirs: &Output, ours: &Output) -> Result<(), String> {
    let (gs, ps) = (stderr_of(theirs), stderr_of(ours));
    let (gc, pc) = (theirs.status.code(), ours.status.code());
    let ok = match d {
        Differs::GitCrashes(said) => gc.is_none() && pc.is_some() && ps.contains(said),
        Differs::Refused(said) => gc == Some(0) && pc == Some(128) && ps.contains(said),
        Differs::FewerComplaints => {
            let theirs_lines: Vec<&str> = gs.lines().collect();
            ours.stdout == theirs.stdout
                && gc == pc
                && ps.lines().count() < theirs_lines.len()
                && ps.lines().all(|l| theirs_lines.contains(&l))
        }
        Differs::Unset => {
            gc == pc && (gs.contains("Out of memory") || (gs == ps && ours.stdout == theirs.stdout))
        }
    };
    if ok {
        return Ok(());
    }
    Err(format!(
        "git: {gc:?} {gs:?} stdout {}\n  packread: {pc:?} {ps:?} stdout {}",
        show(&theirs.stdout),
        show(&ours.stdout)
    ))
}

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    testkit::require_git_2_47();
    let cases = CASES
        .iter()
        .copied()
        .chain(damaged_index_cases())
        .chain(damaged_loose_cases())
        .chain(damaged_entry_cases())
        .chain(walk_cases())
        .chain(broken_parent_cases())
        .chain(shallow_cases())
        .chain(rev_parse_range_cases())
        .chain(long_walk_cases())
        .chain(diff_cases())
        .chain(bad_graph_cases());
    let trials = cases
        .enumerate()
        .map(|(i, c)| Trial::test(name(i, &c), move || check(&c).map_err(Failed::from)))
        .collect();
    libtest_mimic::run(&arguments, trials).exit_code()
}
