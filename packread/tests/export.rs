//! `packread dump --tree` against `git archive <tree-ish> | tar -x`: the same
//! files, contents, executable bits and symlinks; and hostile trees refused
//! before anything is written, never a write outside the target directory
//! or over an existing file.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use testkit::{fixture, git};

fn packread(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_packread"))
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        // Tiny windows: every blob and tree crosses window ends.
        .args(["--window-size=4k", "--memory-limit=16k", "--delta-cache=8k"])
        .args(args)
        .output()
        .unwrap()
}

/// What is at each path under `root`: kind, permission bits (files),
/// content or link target.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (char, u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(root).unwrap().to_owned();
            let perm = meta.permissions().mode() & 0o777;
            let value = if meta.file_type().is_symlink() {
                let target = fs::read_link(&path).unwrap();
                ('l', 0, target.into_os_string().into_encoded_bytes())
            } else if meta.is_dir() {
                pending.push(path);
                ('d', perm, Vec::new())
            } else {
                ('f', perm, fs::read(&path).unwrap())
            };
            out.insert(rel, value);
        }
    }
    out
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("packread-export-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// `git archive <rev> | tar -x` into `dir` (umask applied, as for a user).
fn git_archive(repo: &Path, rev: &str, dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let mut archive = git(repo)
        .args(["archive", rev])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let status = Command::new("tar")
        .args(["-x", "--no-same-permissions", "-C"])
        .arg(dir)
        .stdin(archive.stdout.take().unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(archive.wait().unwrap().success(), "git archive {rev}");
}

fn repo() -> PathBuf {
    fixture("make_export.sh").join("repo")
}

#[test]
fn same_files_as_git_archive() {
    let repo = repo();
    let work = scratch("same");
    for rev in [
        "HEAD",
        "HEAD~1",
        "HEAD^{tree}",
        "annotated",
        "treetag",
        "HEAD:dir",
        "odd",
    ] {
        let (theirs, ours) = (
            work.join(format!("git-{rev}")),
            work.join(format!("pr-{rev}")),
        );
        git_archive(&repo, rev, &theirs);
        let out = packread(&repo, &["dump", "--tree", rev, ours.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{rev}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (a, b) = (snapshot(&theirs), snapshot(&ours));
        assert!(a.len() > 2, "{rev}: git wrote {a:?}");
        assert_eq!(b, a, "dump --tree {rev} differs from git archive");
    }
    let head = snapshot(&work.join("pr-HEAD"));
    // What the comparison covers: a symlink, an executable, a gitlink as an
    // empty directory, a non-ASCII name.
    assert_eq!(head[Path::new("link")], ('l', 0, b"README".to_vec()));
    assert_eq!(head[Path::new("bin/run")].1 & 0o100, 0o100);
    assert_eq!(head[Path::new("submodule")].0, 'd');
    assert!(head.contains_key(Path::new("sp ace/ünï/fïle name.txt")));
    fs::remove_dir_all(&work).unwrap();
}

#[test]
fn names_that_lead_to_no_tree_fail_as_in_git_archive() {
    let repo = repo();
    let work = scratch("names");
    for rev in [
        "HEAD:README",
        "nope",
        "HEAD:missing",
        "1111111111111111111111111111111111111111",
    ] {
        let target = work.join("out");
        let ours = packread(&repo, &["dump", "--tree", rev, target.to_str().unwrap()]);
        let theirs = git(&repo).args(["archive", rev]).output().unwrap();
        assert_eq!(ours.status.code(), theirs.status.code(), "{rev}");
        assert_eq!(
            String::from_utf8_lossy(&ours.stderr),
            String::from_utf8_lossy(&theirs.stderr),
            "{rev}"
        );
        assert!(!target.exists(), "{rev}: nothing is created");
    }
    fs::remove_dir_all(&work).unwrap();
}

#[test]
fn hostile_paths_are_refused_before_anything_is_written() {
    let root = fixture("make_export.sh");
    let repo = root.join("repo");
    let work = scratch("hostile");
    let list = fs::read_to_string(root.join("hostile")).unwrap();
    assert!(list.lines().count() >= 17);
    // Where the hostile link `d` points: made, so that a write through the
    // link would land there (and be seen).
    let outside = Path::new("/tmp/packread-export-outside");
    let made_outside = !outside.exists() && fs::create_dir_all(outside).is_ok();
    for line in list.lines() {
        let (name, tree) = line.rsplit_once(' ').unwrap();
        let target = work.join("out");
        let out = packread(&repo, &["dump", "--tree", tree, target.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(128), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if name == "duplicate" {
            // A link `d` and a directory `d`: the link is written, the
            // directory refused rather than entered through it.
            assert!(stderr.contains("in the way of a directory"), "{stderr}");
            assert!(
                fs::symlink_metadata(target.join("d"))
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
            let _ = fs::remove_dir_all(&target);
        } else {
            assert!(
                stderr.starts_with("fatal: invalid path '"),
                "{name}: {stderr}"
            );
            assert!(!target.exists(), "{name}: nothing is written");
        }
    }
    assert!(!outside.join("f").exists(), "written through a link");
    if made_outside {
        let _ = fs::remove_dir_all(outside);
    }
    fs::remove_dir_all(&work).unwrap();
}

#[test]
fn never_overwrites_and_never_follows_existing_symlinks() {
    let repo = repo();
    let work = scratch("existing");
    let outside = work.join("outside");
    fs::create_dir_all(&outside).unwrap();

    // An existing file is kept, and the export stops there.
    let target = work.join("out");
    fs::create_dir_all(&target).unwrap();
    fs::write(target.join("README"), "mine\n").unwrap();
    let out = packread(&repo, &["dump", "--tree", "HEAD", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(128));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "fatal: '{}' exists; not overwriting it\n",
            target.join("README").display()
        )
    );
    assert_eq!(fs::read(target.join("README")).unwrap(), b"mine\n");

    // A symlink where the tree has a directory is not entered.
    let target = work.join("out2");
    fs::create_dir_all(&target).unwrap();
    std::os::unix::fs::symlink(&outside, target.join("dir")).unwrap();
    let out = packread(&repo, &["dump", "--tree", "HEAD", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(128));
    assert!(
        fs::read_dir(&outside).unwrap().next().is_none(),
        "nothing written through the link"
    );

    // Existing real directories are merged into.
    let target = work.join("out3");
    fs::create_dir_all(target.join("dir/sub")).unwrap();
    let out = packread(&repo, &["dump", "--tree", "HEAD", target.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read(target.join("dir/sub/file")).unwrap(), b"deep\n");
    fs::remove_dir_all(&work).unwrap();
}

#[test]
fn a_partial_clone_missing_files_writes_nothing() {
    // A snapshot of a partial clone: blobs absent, no promisor remote.
    let repo = fixture("make_diffs.sh").join("snapshot.git");
    let out = scratch("partial");
    let _ = std::fs::remove_dir_all(&out);
    let dump = packread(&repo, &["dump", "--tree", "main", out.to_str().unwrap()]);
    assert_eq!(dump.status.code(), Some(128));
    let stderr = String::from_utf8_lossy(&dump.stderr);
    assert!(
        stderr.starts_with("fatal: object ") && stderr.trim_end().ends_with("not found"),
        "{stderr}"
    );
    assert!(
        !out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(),
        "something was written"
    );
    // git archive fails too.
    let archive = git(&repo).args(["archive", "main"]).output().unwrap();
    assert!(!archive.status.success());
}
