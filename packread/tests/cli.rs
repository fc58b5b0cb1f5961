//! The `packread` binary against `git` on every fixture: stdout byte for
//! byte, exit codes, and the important stderr lines.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use testkit::{fixture, git, git_objects};

fn packread(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_packread"));
    cmd.current_dir(dir)
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR");
    cmd
}

fn output(cmd: Command, args: &[&str], stdin: &[u8]) -> Output {
    testkit::run_with_stdin(cmd, args, stdin)
}

fn first_line(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

fn last_line(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .lines()
        .last()
        .unwrap_or("")
        .to_owned()
}

/// Runs both with `args` in `dir` and asserts the same stdout and exit code;
/// returns both outputs for further checks.
fn same(dir: &Path, args: &[&str], stdin: &[u8]) -> (Output, Output) {
    let theirs = output(git(dir), args, stdin);
    let ours = output(packread(dir), args, stdin);
    assert!(
        ours.stdout == theirs.stdout,
        "stdout differs for {args:?} in {}:\n--- packread ({} bytes)\n{}\n--- git ({} bytes)\n{}",
        dir.display(),
        ours.stdout.len(),
        String::from_utf8_lossy(&ours.stdout[..ours.stdout.len().min(2000)]),
        theirs.stdout.len(),
        String::from_utf8_lossy(&theirs.stdout[..theirs.stdout.len().min(2000)]),
    );
    assert_eq!(
        ours.status.code(),
        theirs.status.code(),
        "exit code for {args:?}: {}",
        String::from_utf8_lossy(&ours.stderr)
    );
    (ours, theirs)
}

/// Like `same`, and the first and last stderr lines match too.
fn same_with_stderr(dir: &Path, args: &[&str], stdin: &[u8]) {
    let (ours, theirs) = same(dir, args, stdin);
    assert_eq!(
        first_line(&ours.stderr),
        first_line(&theirs.stderr),
        "first stderr line for {args:?}"
    );
    assert_eq!(
        last_line(&ours.stderr),
        last_line(&theirs.stderr),
        "last stderr line for {args:?}"
    );
}

fn repos() -> Vec<PathBuf> {
    let h = fixture("make_history.sh");
    let mut v: Vec<_> = [
        "ofs.git",
        "ref.git",
        "v1.git",
        "large-offsets.git",
        "deep",
        "mixed.git",
    ]
    .iter()
    .map(|r| h.join(r))
    .collect();
    v.push(fixture("make_alternates.sh").join("top"));
    v.push(fixture("make_alternates.sh").join("dups"));
    v.push(fixture("make_alternates.sh").join("packs-only"));
    v.push(fixture("make_sha256.sh").join("sha256"));
    v.push(fixture("make_empty.sh").join("empty"));
    v
}

const ALL_ATOMS: &str = "%(objectname) %(objecttype) %(objectsize) %(objectsize:disk) %(deltabase)";

#[test]
fn batch_all_objects_in_every_form() {
    for repo in repos() {
        for args in [
            vec!["cat-file", "--batch-all-objects", "--batch"],
            vec!["cat-file", "--batch-all-objects", "--batch-check"],
            vec![
                "cat-file",
                "--batch-all-objects",
                "--batch-check",
                "--unordered",
            ],
            vec![
                "cat-file",
                "--batch-all-objects",
                "--batch",
                "--unordered",
                "--buffer",
            ],
            vec![
                "cat-file",
                "--batch-all-objects",
                &format!("--batch-check={ALL_ATOMS}"),
            ],
            vec![
                "cat-file",
                "--batch-all-objects",
                "--unordered",
                &format!("--batch-check={ALL_ATOMS}"),
            ],
            vec![
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objectname)",
                "-Z",
            ],
            vec![
                "cat-file",
                "--batch-all-objects",
                "--batch=100%% %x %(objecttype)",
            ],
        ] {
            same(&repo, &args, b"");
        }
    }
}

/// Names to feed on stdin: full, abbreviated, upper-case, too short,
/// missing, ambiguous, nonsense, empty, with rest text.
fn names(repo: &Path) -> Vec<String> {
    let objects = git_objects(repo);
    let mut hexes: Vec<_> = objects.iter().map(|o| o.id.to_hex()).collect();
    hexes.sort();
    let mut v = Vec::new();
    for h in hexes.iter().step_by(3) {
        v.push(h.clone());
        v.push(h[..7].to_owned());
        v.push(h.to_uppercase());
        v.push(format!("{h}  some rest\ttext"));
    }
    if let Some(w) = hexes.windows(2).find(|w| w[0][..4] == w[1][..4]) {
        v.push(w[0][..4].to_owned());
    }
    let null = "0".repeat(hexes.first().map_or(40, String::len));
    // (Revision syntax such as HEAD is out of scope: git resolves it, packread says missing.)
    v.extend([
        null.clone(),
        format!("{}1", &null[1..]),
        "abc".into(),
        "zzzz".into(),
        String::new(),
    ]);
    v.extend(["deadbeefdeadbeef".into(), "fffffff".into()]);
    v
}

#[test]
fn batch_on_stdin_with_formats_and_delimiters() {
    for repo in repos() {
        let names = names(&repo);
        let lines = names.join("\n") + "\n";
        let crlf = names.join("\r\n") + "\r\n";
        let nul: Vec<u8> = names.iter().flat_map(|n| n.bytes().chain([0])).collect();
        for fmt in [
            "--batch",
            "--batch-check",
            &format!("--batch-check={ALL_ATOMS} [%(rest)]"),
            "--batch=%(objectname)|%(rest)|",
        ] {
            same(&repo, &["cat-file", fmt], lines.as_bytes());
            same(&repo, &["cat-file", fmt, "--buffer"], crlf.as_bytes());
            same(&repo, &["cat-file", fmt, "-z"], &nul);
            same(&repo, &["cat-file", fmt, "-Z"], &nul);
        }
    }
}

#[test]
fn single_object_modes() {
    for repo in repos() {
        let objects = git_objects(&repo);
        for o in objects.iter().step_by(7) {
            let full = o.id.to_hex();
            for name in [full.clone(), full[..8].to_owned()] {
                for mode in ["-t", "-s", "-e", "-p"] {
                    same_with_stderr(&repo, &["cat-file", mode, &name], b"");
                }
                for ty in ["blob", "tree", "commit", "tag"] {
                    same_with_stderr(&repo, &["cat-file", ty, &name], b"");
                }
            }
        }
    }
}

#[test]
fn errors_and_exit_codes_match_git() {
    let repo = fixture("make_history.sh").join("ofs.git");
    let mut hexes: Vec<_> = git_objects(&repo).iter().map(|o| o.id.to_hex()).collect();
    hexes.sort();
    let ambiguous = hexes
        .windows(2)
        .find(|w| w[0][..4] == w[1][..4])
        .map(|w| w[0][..4].to_owned());
    let missing = "1".repeat(40);
    let mut cases: Vec<Vec<String>> = vec![
        vec!["-t".into(), missing.clone()],
        vec!["-s".into(), missing.clone()],
        vec!["-e".into(), missing.clone()],
        vec!["-p".into(), missing.clone()],
        vec!["blob".into(), missing.clone()],
        vec!["-t".into(), "deadbeef".into()],
        vec!["-e".into(), "deadbeef".into()],
        vec!["-t".into(), "abc".into()],
        vec!["foo".into(), hexes[0].clone()],
    ];
    if let Some(a) = ambiguous {
        cases.push(vec!["-t".into(), a]);
    }
    for case in &cases {
        let mut args = vec!["cat-file"];
        args.extend(case.iter().map(String::as_str));
        same_with_stderr(&repo, &args, b"");
    }
    // Usage errors: exit code 129 and git's message on the first line.
    for args in [
        &["cat-file", "-t"][..],
        &["cat-file", "-t", "a", "b"],
        &["cat-file", "--batch-all-objects"],
        &["cat-file", "--batch", "x"],
        &["cat-file", "-t", "-s", "x"],
        &["cat-file", "--batch", "--batch-check"],
        &["cat-file", "-s", "-t", "x"],
        &["cat-file", "-p", "-e", "x"],
        &["cat-file", "--batch", "-t"],
    ] {
        let (ours, theirs) = same(&repo, args, b"");
        assert_eq!(ours.status.code(), Some(129));
        assert_eq!(
            first_line(&ours.stderr),
            first_line(&theirs.stderr),
            "{args:?}"
        );
    }
    for fmt in ["--batch-check=%(xyz)", "--batch-check=%(objectname"] {
        same_with_stderr(
            &repo,
            &["cat-file", fmt],
            format!("{}\n", hexes[0]).as_bytes(),
        );
    }
    // Revisions: the answers, messages and exit codes git gives.
    for args in [
        &["cat-file", "-t", "HEAD~2"][..],
        &["cat-file", "-p", "HEAD^{tree}"],
        &["cat-file", "-s", "HEAD~1^{tree}"],
        &["cat-file", "-e", "HEAD~9999"],
        &["cat-file", "-t", "no-such-ref"],
        &["cat-file", "-p", "HEAD:no/such/path"],
    ] {
        same_with_stderr(&repo, args, b"");
    }
    same_with_stderr(
        &repo,
        &["cat-file", "--batch-check"],
        b"HEAD\nHEAD~1\nHEAD^{tree}\nHEAD:nope\nnope\n",
    );
    // A form that needs reflogs is refused, never answered wrongly.
    let out = output(packread(&repo), &["cat-file", "-t", "HEAD@{1}"], b"");
    assert_eq!(out.status.code(), Some(128));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not supported"), "{err}");
}

#[test]
fn verify_pack_and_show_index_on_every_pack() {
    for repo in repos() {
        let sha256 = repo.ends_with("sha256");
        for e in walk(&repo)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        {
            let idx = e.to_str().unwrap();
            let pack = idx.replace(".idx", ".pack");
            let bare = idx.trim_end_matches(".idx");
            for args in [
                vec!["verify-pack", "-v", idx],
                vec!["verify-pack", "-s", &pack],
                vec!["verify-pack", bare],
            ] {
                same(&repo, &args, b"");
            }
            let bytes = std::fs::read(&e).unwrap();
            let args: &[&str] = if sha256 {
                &["show-index", "--object-format=sha256"]
            } else {
                &["show-index"]
            };
            same(&repo, args, &bytes);
            // Truncated indices: the same partial output and fatal message.
            for cut in [0, 7, 500, 1032 + 30, bytes.len() / 2, bytes.len() - 50] {
                same_with_stderr(&repo, args, &bytes[..cut.min(bytes.len())]);
            }
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn verify_pack_says_bad_on_corrupt_packs() {
    let repo = fixture("make_history.sh").join("ofs.git");
    let src = walk(&repo)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    let dir = std::env::temp_dir().join(format!("packread-cli-corrupt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let original = std::fs::read(&src).unwrap();
    let pack = dir.join("pack-test.pack");
    std::fs::copy(src.with_extension("idx"), dir.join("pack-test.idx")).unwrap();
    let len = original.len();
    // Inside zlib streams, in an entry header, and in the trailer.
    for at in [2000, len / 2, len - 300, 12, len - 5] {
        let mut bytes = original.clone();
        bytes[at] ^= 0xff;
        std::fs::write(&pack, &bytes).unwrap();
        for flags in [&["-v"][..], &["-s"], &[]] {
            let mut args = vec!["verify-pack"];
            args.extend_from_slice(flags);
            args.push(pack.to_str().unwrap());
            let (ours, theirs) = same(&dir, &args, b"");
            assert_eq!(
                ours.status.code(),
                Some(1),
                "byte {at} flipped: {}",
                String::from_utf8_lossy(&ours.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&ours.stderr),
                String::from_utf8_lossy(&theirs.stderr),
                "stderr, byte {at} flipped, {flags:?}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // A pack that isn't there.
    same_with_stderr(
        &repo,
        &["verify-pack", "-v", "/nonexistent/pack-x.idx"],
        b"",
    );
}

#[test]
fn dump_writes_every_object_and_never_overwrites() {
    let repo = fixture("make_alternates.sh").join("top");
    let dir = std::env::temp_dir().join(format!("packread-dump-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = output(packread(&repo), &["dump", dir.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let objects = git_objects(&repo);
    for o in &objects {
        let hex = o.id.to_hex();
        assert_eq!(
            std::fs::read(dir.join(&hex[..2]).join(&hex[2..])).unwrap(),
            o.data
        );
    }
    // One pack on its own: exactly that pack's objects.
    let pack_dir = dir.with_extension("pack");
    let idx = walk(&repo)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    let idx = std::fs::canonicalize(idx).unwrap();
    let out = output(
        packread(&repo),
        &[
            "dump",
            &format!("--pack={}", idx.display()),
            pack_dir.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = std::fs::read(&idx).unwrap();
    let shown = output(git(&repo), &["show-index"], &index);
    let ids: Vec<_> = String::from_utf8(shown.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap().to_owned())
        .collect();
    let by_id = testkit::by_id(&objects);
    for hex in &ids {
        let id = packread::ObjectId::from_hex(hex).unwrap();
        assert_eq!(
            std::fs::read(pack_dir.join(&hex[..2]).join(&hex[2..])).unwrap(),
            by_id[&id].data
        );
    }
    let files = walk(&pack_dir).len();
    assert_eq!(files, ids.len(), "exactly the pack's objects");
    std::fs::remove_dir_all(&pack_dir).unwrap();
    let again = output(packread(&repo), &["dump", dir.to_str().unwrap()], b"");
    assert_eq!(again.status.code(), Some(128));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not overwriting"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `cat-file --batch` records (`<id> <type> <size>\n<bytes>\n`), by id; a
/// record repeated would be a failure.
fn batch_records(mut out: &[u8]) -> std::collections::BTreeMap<String, (String, Vec<u8>)> {
    let mut records = std::collections::BTreeMap::new();
    while !out.is_empty() {
        let nl = out.iter().position(|&b| b == b'\n').expect("a header line");
        let header = String::from_utf8(out[..nl].to_vec()).unwrap();
        let mut parts = header.split(' ');
        let (id, kind, size) = (
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().parse::<usize>().unwrap(),
        );
        let data = out[nl + 1..nl + 1 + size].to_vec();
        assert_eq!(
            out[nl + 1 + size],
            b'\n',
            "record of {id} ends in a newline"
        );
        out = &out[nl + 2 + size..];
        assert!(
            records.insert(id.clone(), (kind, data)).is_none(),
            "{id} twice"
        );
    }
    records
}

#[test]
fn dump_stdout_gives_every_object_once_as_batch_records() {
    for repo in repos() {
        let theirs = output(
            git(&repo),
            &["cat-file", "--batch-all-objects", "--batch"],
            b"",
        );
        for window in [
            &[][..],
            &["--window-size=4k", "--memory-limit=16k", "--delta-cache=8k"],
        ] {
            let mut cmd = packread(&repo);
            cmd.args(window);
            let ours = output(cmd, &["dump", "--stdout"], b"");
            assert!(
                ours.status.success(),
                "{}: {}",
                repo.display(),
                String::from_utf8_lossy(&ours.stderr)
            );
            assert_eq!(
                batch_records(&ours.stdout),
                batch_records(&theirs.stdout),
                "dump --stdout in {} ({window:?})",
                repo.display()
            );
        }
        // Only one type: exactly git's blobs.
        let blobs = output(packread(&repo), &["dump", "--stdout", "--type=blob"], b"");
        assert!(
            blobs.status.success(),
            "{}",
            String::from_utf8_lossy(&blobs.stderr)
        );
        let want: std::collections::BTreeMap<_, _> = batch_records(&theirs.stdout)
            .into_iter()
            .filter(|(_, (k, _))| k == "blob")
            .collect();
        assert_eq!(
            batch_records(&blobs.stdout),
            want,
            "--type=blob in {}",
            repo.display()
        );
    }
}

#[test]
fn stats_report_the_mapping_layer() {
    let repo = fixture("make_history.sh").join("ofs.git");
    let out = output(
        packread(&repo),
        &["--window-size=4k", "--memory-limit=16k", "stats"],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let field = |name: &str| -> u64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {text}"));
        line[name.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(field("objects read:"), git_objects(&repo).len() as u64);
    assert!(field("windows unloaded:") > 10, "{text}");
    assert!(
        field("peak mapped memory:") <= 16 * 1024 + 2 * 8192,
        "{text}"
    );
}

/// `-C <path>` as git takes it: run as if started there (several add up,
/// an empty one changes nothing), and git's errors when it can't.
#[test]
fn dash_c_runs_as_if_started_there() {
    let repo = fixture("make_revisions.sh").join("repo");
    let parent = repo.parent().unwrap();
    let name = repo.file_name().unwrap().to_str().unwrap();
    for args in [
        &["-C", name, "rev-parse", "HEAD", "HEAD:dir/b"][..],
        &["-C", name, "-C", "dir", "ls-tree", "HEAD"],
        &["-C", "", "-C", name, "cat-file", "-p", "HEAD:a"],
        &["-C", name, "--git-dir=.git", "rev-parse", "HEAD~1"],
    ] {
        same_with_stderr(parent, args, b"");
    }
    for args in [
        &["-C", "no-such-directory", "rev-parse", "HEAD"][..],
        &["-C"],
    ] {
        let (ours, theirs) = same(parent, args, b"");
        assert_eq!(
            first_line(&ours.stderr),
            first_line(&theirs.stderr),
            "first stderr line for {args:?}"
        );
    }
}

#[test]
fn ls_tree_and_revisions_from_subdirectories() {
    let repo = fixture("make_revisions.sh").join("repo");
    let arg_sets: &[&[&str]] = &[
        &["ls-tree", "HEAD"],
        &["ls-tree", "-r", "-t", "HEAD"],
        &["ls-tree", "HEAD", "b", "../a", "sub/"],
        &["ls-tree", "--full-name", "-r", "HEAD", ".."],
        &["ls-tree", "-z", "-d", "-r", "HEAD", "."],
        &["ls-tree", "--full-tree", "HEAD"],
        &["ls-tree", "HEAD", "../../../x"],
        &["rev-parse", "HEAD:dir/b", "HEAD~1"],
        &["cat-file", "-p", "HEAD:dir/b"],
        // `./` and `../` paths are read from where we stand.
        &["rev-parse", "HEAD:./", "HEAD:../a", "HEAD:./c"],
        &["rev-parse", "--verify", "HEAD:../../../a"],
        &["rev-parse", "HEAD:./nope"],
        &["cat-file", "-p", "HEAD:../b"],
        &["cat-file", "-t", "HEAD:./"],
        // Paths missing from the tree: on disk (`.git`, from the top), or in
        // the tree under the current directory (rev-parse's hint).
        &["cat-file", "-p", "HEAD:.git"],
        &["rev-parse", "HEAD:.git"],
        &["rev-parse", "HEAD:b"],
        &["rev-parse", "HEAD:c"],
        &["cat-file", "-p", "HEAD:c"],
    ];
    for sub in ["dir", "dir/sub"] {
        for args in arg_sets {
            same_with_stderr(&repo.join(sub), args, b"");
        }
    }
    // Outside a work tree (in the git directory; in a bare repository),
    // git refuses `./` and `../` paths, in batch mode too.
    let bare = std::env::temp_dir().join(format!("packread-bare-{}.git", std::process::id()));
    let _ = std::fs::remove_dir_all(&bare);
    // A copy of the git directory (its broken refs stop `git clone`).
    let copied = Command::new("cp")
        .args(["-r", ".git", bare.to_str().unwrap()])
        .current_dir(&repo)
        .status()
        .unwrap();
    assert!(copied.success());
    assert!(
        git(&bare)
            .args(["config", "core.bare", "true"])
            .status()
            .unwrap()
            .success()
    );
    for dir in [repo.join(".git"), repo.join(".git/refs"), bare.clone()] {
        for args in [
            &["cat-file", "-p", "HEAD:./a"][..],
            &["rev-parse", "HEAD:../a", "HEAD"],
            &["cat-file", "-p", "HEAD:a"],
        ] {
            same_with_stderr(&dir, args, b"");
        }
        same_with_stderr(
            &dir,
            &["cat-file", "--batch-check"],
            b"HEAD:a\nHEAD:./a\nHEAD\n",
        );
    }
    std::fs::remove_dir_all(&bare).unwrap();
}

/// A commit message with a line `<character>\t|` for a sample of every
/// kind of character (wide, combining, format, control, not UTF-8, every
/// 61st code point up to plane 3), and git's `log` in the formats that
/// expand tabs: the columns git counts for each, or where it gives up.
#[test]
fn log_expands_tabs_after_any_character_as_git_does() {
    let dir = std::env::temp_dir().join(format!("packread-tabs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str], stdin: &[u8]| {
        let mut cmd = git(&dir);
        cmd.env("GIT_AUTHOR_NAME", "A")
            .env("GIT_AUTHOR_EMAIL", "a@example.com")
            .env("GIT_AUTHOR_DATE", "1700000000 +0000")
            .env("GIT_COMMITTER_NAME", "C")
            .env("GIT_COMMITTER_EMAIL", "c@example.com")
            .env("GIT_COMMITTER_DATE", "1700000000 +0000");
        let out = output(cmd, args, stdin);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&["init", "-q", "."], b"");
    let mut message = b"subject\n\n".to_vec();
    let special = [
        0x41, 0xAD, 0x300, 0x483, 0x600, 0x1100, 0x1160, 0x11FF, 0x200B, 0x2E3A, 0x3000, 0x3164,
        0xFE0F, 0xFEFF, 0xFF21, 0x1F600, 0x1F1E6, 0x2A6E0, 0x3FFFD, 0xE0001,
    ];
    let sampled = (0xA0..0x40000).step_by(61);
    for c in special
        .into_iter()
        .chain(sampled)
        .filter_map(char::from_u32)
    {
        let mut b = [0u8; 4];
        message.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        message.extend_from_slice(b"\t|\n");
    }
    for raw in [
        &b"\x01"[..],
        b"\x1b[31m",
        b"\x7f",
        b"\xc2\x85",
        b"\xff",
        b"\xef\xbf\xbf",
    ] {
        message.extend_from_slice(raw);
        message.extend_from_slice(b"\t|\t|\n");
    }
    let tree = run(&["mktree"], b"");
    let tree = String::from_utf8(tree).unwrap();
    let commit = run(&["commit-tree", tree.trim()], &message);
    let commit = String::from_utf8(commit).unwrap();
    run(&["update-ref", "HEAD", commit.trim()], b"");
    for format in ["medium", "full", "fuller"] {
        same(&dir, &["log", &format!("--format={format}")], b"");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Replace refs: git reads the replaced objects through them, packread
/// reads objects as stored. Where git would answer through one, packread
/// refuses, saying so; `--batch-all-objects` (git lists objects as stored)
/// and `GIT_NO_REPLACE_OBJECTS=1` (git too reads them as stored) answer as
/// git does.
#[test]
fn replace_refs_are_refused_where_git_reads_through_them() {
    let dir = fixture("make_walks.sh").join("replaced.git");
    for args in [
        &["rev-list", "main"][..],
        &["log", "--oneline"],
        &["cat-file", "-p", "main~1"],
        &["cat-file", "-t", "main~1"],
        &["ls-tree", "main~1"],
        &["merge-base", "main", "side"],
        &["diff-tree", "main~1"],
        &["rev-parse", "main~1^{tree}"],
    ] {
        let theirs = output(git(&dir), args, b"");
        let ours = output(packread(&dir), args, b"");
        assert!(matches!(theirs.status.code(), Some(0 | 1)), "git {args:?}");
        assert_eq!(ours.status.code(), Some(128), "packread {args:?}");
        assert!(ours.stdout.is_empty(), "packread {args:?}");
        assert!(
            String::from_utf8_lossy(&ours.stderr)
                .contains("does not read objects through replace refs"),
            "packread {args:?}: {}",
            String::from_utf8_lossy(&ours.stderr)
        );
        // As stored, both agree.
        let mut git_stored = git(&dir);
        git_stored.env("GIT_NO_REPLACE_OBJECTS", "1");
        let mut ours_stored = packread(&dir);
        ours_stored.env("GIT_NO_REPLACE_OBJECTS", "1");
        let (theirs, ours) = (
            output(git_stored, args, b""),
            output(ours_stored, args, b""),
        );
        assert_eq!(ours.stdout, theirs.stdout, "{args:?} as stored");
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{args:?} as stored"
        );
    }
    // What git answers without reading through them.
    same(
        &dir,
        &["cat-file", "--batch-all-objects", "--batch-check"],
        b"",
    );
    same(&dir, &["rev-parse", "main", "side"], b"");
}

/// `diff-tree --stdin` on every core keeps git's order between its output
/// and its messages, both on one pipe (git flushes its output after each
/// commit where it isn't a file): a line naming a blob says so after the
/// diffs of the lines before it, and a tree that can't be read stops
/// everything after the diffs before it, with git's exit code.
#[test]
fn diff_tree_stdin_messages_come_in_order_with_the_diffs() {
    let dir = packread::doctest::Scratch::new("cli-dt-order").unwrap();
    let run = |args: &[&str]| {
        let out = git(&dir).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    run(&["init", "-q"]);
    for i in 0..40 {
        std::fs::create_dir_all(dir.join(format!("d{i}"))).unwrap();
        std::fs::write(dir.join(format!("d{i}/x")), format!("{i}\n")).unwrap();
        std::fs::write(dir.join("a"), format!("{i}\n")).unwrap();
        run(&["add", "-A"]);
        dir.commit("c").unwrap();
    }
    let mut lines: Vec<String> = (0..30)
        .map(|i| run(&["rev-parse", &format!("HEAD~{i}")]))
        .collect();
    lines.insert(3, "not an id".into());
    lines.insert(7, run(&["rev-parse", "HEAD:a"]));
    lines.insert(12, run(&["rev-parse", "HEAD^{tree}"]));
    // The tree of `d20` is gone: the diff of HEAD~19 needs it.
    let gone = run(&["rev-parse", "HEAD~19:d20"]);
    std::fs::remove_file(dir.join(".git/objects").join(&gone[..2]).join(&gone[2..])).unwrap();
    std::fs::write(dir.join("input"), lines.join("\n") + "\n").unwrap();
    let merged = |program: &str| {
        let script = format!("{program} diff-tree --stdin -r < input 2>&1");
        Command::new("sh")
            .args(["-c", &script])
            .current_dir(&*dir)
            .output()
            .unwrap()
    };
    let ours = merged(env!("CARGO_BIN_EXE_packread"));
    let theirs = merged("git");
    assert_eq!(ours.status.code(), Some(128));
    assert_eq!(ours.status.code(), theirs.status.code());
    assert!(
        ours.stdout == theirs.stdout,
        "packread:\n{}\ngit:\n{}",
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&theirs.stdout)
    );
}

/// A caller that feeds `diff-tree --stdin` one commit at a time gets each
/// diff before it sends the next line (git flushes after each commit where
/// its output is a pipe), on every core and on one.
#[test]
fn diff_tree_stdin_answers_a_line_at_a_time() {
    use std::io::{BufRead, BufReader, Write};
    let repo = fixture("make_diffs.sh").join("none.git");
    let ids = String::from_utf8(testkit::git_out(
        &repo,
        &["rev-list", "--no-merges", "-n", "3", "main"],
    ))
    .unwrap();
    for pin in [None, Some("0")] {
        let mut cmd = match pin {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.args(["-c", cpu, env!("CARGO_BIN_EXE_packread")]);
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_packread")),
        };
        let mut child = cmd
            .args([
                "-C",
                repo.to_str().unwrap(),
                "diff-tree",
                "--stdin",
                "--name-only",
                "-r",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line.unwrap()).is_err() {
                    return;
                }
            }
        });
        for id in ids.lines() {
            writeln!(stdin, "{id}").unwrap();
            stdin.flush().unwrap();
            let header = rx
                .recv_timeout(std::time::Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no answer to {id} (pinned to {pin:?})"));
            assert_eq!(header, id);
            // The commit's files follow at once.
            rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap();
            while rx
                .recv_timeout(std::time::Duration::from_millis(200))
                .is_ok()
            {}
        }
        drop(stdin);
        assert!(child.wait().unwrap().success());
    }
}
