//! git as the oracle for the workspace's tests: fixture repositories made by
//! real git (scripts in the workspace's `fixtures/`, run through
//! gix-testtools and cached) and git's own answers about them.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use packread::{ObjectId, ObjectKind, OpenOptions};

/// The directory a fixture script made (run once, then cached under the
/// calling crate's `tests/fixtures/generated-do-not-edit`).
///
/// # Panics
/// If the script fails.
pub fn fixture(script: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(script);
    gix_testtools::scripted_fixture_read_only(path)
        .unwrap_or_else(|e| panic!("fixture script {script} failed: {e}"))
}

/// Panics with a clear message unless the `git` on `PATH` is 2.47, the
/// oracle every comparison is made against (an older git first on `PATH`
/// answers some cases differently). Checked once per process.
pub fn require_git_2_47() {
    static CHECKED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    CHECKED.get_or_init(|| {
        let out = Command::new("git")
            .arg("--version")
            .output()
            .unwrap_or_else(|e| panic!("git could not be run: {e}"));
        let version = String::from_utf8_lossy(&out.stdout);
        assert!(
            version.starts_with("git version 2.47."),
            "the tests compare with git 2.47, but `git --version` on PATH says {:?}: \
             put git 2.47 first on PATH",
            version.trim()
        );
    });
}

/// `git` in `dir`, with a neutral environment (C locale, no user config).
///
/// # Panics
/// Unless the `git` on `PATH` is 2.47 (see [`require_git_2_47`]).
pub fn git(dir: &Path) -> Command {
    require_git_2_47();
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("LC_ALL", "C")
        .env("LANG", "C")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES");
    cmd
}

/// Runs `cmd` with `args`, feeding it `stdin` (from another thread, so a
/// large input can't deadlock against its output), and collects its output.
pub fn run_with_stdin<S: AsRef<std::ffi::OsStr>>(
    mut cmd: Command,
    args: &[S],
    stdin: &[u8],
) -> std::process::Output {
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// Runs git with `args` in `dir` and returns its stdout; panics on failure.
pub fn git_out(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = git(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// What git says about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitObject {
    /// Its id.
    pub id: ObjectId,
    /// Its kind, as `cat-file --batch` names it.
    pub kind: ObjectKind,
    /// Its size.
    pub size: u64,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// Every object of the repository at `dir` with its bytes, as `git cat-file
/// --batch-all-objects --batch` prints them.
pub fn git_objects(dir: &Path) -> Vec<GitObject> {
    let out = git_out(dir, &["cat-file", "--batch-all-objects", "--batch"]);
    let mut objects = Vec::new();
    let mut rest = &out[..];
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').expect("header line");
        let line = std::str::from_utf8(&rest[..nl]).unwrap();
        let mut parts = line.split(' ');
        let id = ObjectId::from_hex(parts.next().unwrap()).unwrap();
        let kind: ObjectKind = parts.next().unwrap().parse().unwrap();
        let size: u64 = parts.next().unwrap().parse().unwrap();
        let data = rest[nl + 1..nl + 1 + size as usize].to_vec();
        assert_eq!(rest[nl + 1 + size as usize], b'\n');
        rest = &rest[nl + 2 + size as usize..];
        objects.push(GitObject {
            id,
            kind,
            size,
            data,
        });
    }
    objects
}

/// Answers of `git cat-file --batch-check` for `names`, one line each.
pub fn git_batch_check(dir: &Path, names: &[String]) -> Vec<String> {
    git_cat_file_batch(dir, "--batch-check", names)
}

/// Answers of `git cat-file <option>` (a `--batch-check=<format>`, say) for
/// `names`, one line each.
pub fn git_cat_file_batch(dir: &Path, option: &str, names: &[String]) -> Vec<String> {
    let mut child = git(dir)
        .args(["cat-file", option])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input = names.join("\n") + "\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The configurations every oracle test runs under: smmap's defaults, tiny
/// sliding windows with tiny limits (every header, stream and delta base
/// crosses window ends; eviction all the time), and whole-file maps.
pub fn configurations() -> Vec<(&'static str, OpenOptions)> {
    vec![
        ("default", OpenOptions::new()),
        (
            "tiny-windows",
            OpenOptions::new()
                .window_size(4096)
                .max_memory(16 * 1024)
                .max_handles(6),
        ),
        (
            "one-page-windows-no-cache",
            OpenOptions::new()
                .window_size(1)
                .max_memory(1)
                .max_handles(4)
                .delta_base_cache_limit(0),
        ),
        ("static", OpenOptions::new().static_windows(true)),
    ]
}

/// Objects by id.
pub fn by_id(objects: &[GitObject]) -> HashMap<ObjectId, &GitObject> {
    objects.iter().map(|o| (o.id, o)).collect()
}

/// A private copy of the repository at `src` under the temp dir, with
/// writable files, for tests that damage it.
pub fn copy_repo(src: &Path, name: &str) -> PathBuf {
    let dst = std::env::temp_dir().join(format!("packread-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dst);
    copy_dir(src, &dst);
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            // Written anew rather than copied: git's pack files are read-only.
            std::fs::write(&to, std::fs::read(e.path()).unwrap()).unwrap();
        }
    }
}

/// zlib-deflates `data` (at zlib's default level).
pub fn zlib(data: &[u8]) -> Vec<u8> {
    sirocco::compress(
        sirocco::Format::Zlib,
        sirocco::deflate::Level::DEFAULT,
        data,
    )
}

/// A version 2 index of `entries` (id, CRC32, offset; any order, sorted
/// here) for the pack whose trailer is `pack_sum` (see [`packwrite::idx_v2`]).
pub fn idx_v2(entries: &[(ObjectId, u32, u64)], pack_sum: &ObjectId) -> Vec<u8> {
    let mut index: Vec<([u8; 20], u64, u32)> = entries
        .iter()
        .map(|(id, crc, ofs)| (id.as_bytes().try_into().expect("SHA-1"), *ofs, *crc))
        .collect();
    index.sort_unstable();
    let sum: [u8; 20] = pack_sum.as_bytes().try_into().expect("SHA-1");
    packwrite::idx_v2(&index, &sum)
}
