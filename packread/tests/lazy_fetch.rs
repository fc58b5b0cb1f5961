//! Partial clones as git reads them: an object the clone lacks is
//! fetched from its promisor remote by the child `git fetch` git runs
//! (then read); not with `GIT_NO_LAZY_FETCH` or `--no-lazy-fetch`, nor for
//! `rev-list --missing`; an unreachable remote ends in git's words. Each
//! case runs git on one fresh clone and packread on another, and compares
//! stdout, stderr, exit code, and which objects each clone has after.

use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::{git, run_with_stdin};

struct Fixture {
    root: PathBuf,
    n: usize,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let root =
            std::env::temp_dir().join(format!("packread-lazy-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let src = root.join("src");
        assert!(
            git(&root)
                .args(["init", "-q", "-b", "main", "src"])
                .status()
                .unwrap()
                .success()
        );
        for i in 1..=4 {
            std::fs::write(
                src.join(format!("f{i}.txt")),
                format!("file {i}\n").repeat(i * 10),
            )
            .unwrap();
            assert!(git(&src).args(["add", "."]).status().unwrap().success());
            let date = format!("@{} +0000", 1_700_000_000 + i * 100);
            let ok = git(&src)
                .args([
                    "-c",
                    "user.name=a",
                    "-c",
                    "user.email=a@b",
                    "commit",
                    "-qm",
                    &format!("c{i}"),
                ])
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date)
                .status()
                .unwrap()
                .success();
            assert!(ok);
        }
        assert!(
            git(&src)
                .args(["config", "uploadpack.allowfilter", "true"])
                .status()
                .unwrap()
                .success()
        );
        Fixture { root, n: 0 }
    }

    /// A fresh `--filter=blob:none` clone of the source.
    fn clone(&mut self) -> PathBuf {
        self.n += 1;
        let name = format!("clone{}.git", self.n);
        let url = format!("file://{}", self.root.join("src").display());
        let ok = git(&self.root)
            .args(["clone", "-q", "--bare", "--filter=blob:none", &url, &name])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        self.root.join(name)
    }

    fn blob(&self, name: &str) -> String {
        let out = git(&self.root.join("src"))
            .args(["rev-parse", &format!("HEAD:{name}")])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The objects `repo` has (`cat-file --batch-all-objects`, no fetching).
fn objects(repo: &Path) -> String {
    let out = git(repo)
        .args(["cat-file", "--batch-all-objects", "--batch-check"])
        .env("GIT_NO_LAZY_FETCH", "1")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn packread(repo: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_packread"));
    cmd.current_dir(repo)
        .env("LC_ALL", "C")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    cmd
}

/// `args` (with `stdin`, `env`) by git on one fresh clone and packread on
/// another, `prepare` applied to both first: equal in every way.
fn same(
    f: &mut Fixture,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
    prepare: &dyn Fn(&Path),
) {
    let (a, b) = (f.clone(), f.clone());
    prepare(&a);
    prepare(&b);
    let mut g = git(&a);
    let mut p = packread(&b);
    for (k, v) in env {
        g.env(k, v);
        p.env(k, v);
    }
    let want = run_with_stdin(g, args, stdin.as_bytes());
    let got = run_with_stdin(p, args, stdin.as_bytes());
    let show = |o: &std::process::Output| {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert_eq!(show(&got), show(&want), "{args:?} {env:?}");
    assert_eq!(objects(&b), objects(&a), "objects after {args:?} {env:?}");
}

#[test]
fn missing_objects_are_fetched_as_git_fetches_them() {
    testkit::require_git_2_47();
    let mut f = Fixture::new("cli");
    let (b1, b2, b3) = (f.blob("f1.txt"), f.blob("f2.txt"), f.blob("f3.txt"));
    let nothing: &dyn Fn(&Path) = &|_| {};
    same(&mut f, &["cat-file", "-p", &b1], "", &[], nothing);
    same(&mut f, &["cat-file", "-t", &b2], "", &[], nothing);
    same(&mut f, &["cat-file", "-s", "HEAD:f4.txt"], "", &[], nothing);
    same(
        &mut f,
        &["cat-file", "--batch-check"],
        &format!("{b1}\n{b2}\n{b3}\n"),
        &[],
        nothing,
    );
    same(
        &mut f,
        &["cat-file", "--batch"],
        &format!("{b3}\nHEAD~2:f1.txt\n"),
        &[],
        nothing,
    );
    same(&mut f, &["ls-tree", "-l", "HEAD"], "", &[], nothing);
    // Not fetched: the environment says no, or rev-list --missing.
    same(
        &mut f,
        &["cat-file", "-p", &b1],
        "",
        &[("GIT_NO_LAZY_FETCH", "1")],
        nothing,
    );
    same(
        &mut f,
        &["--no-lazy-fetch", "cat-file", "-t", &b1],
        "",
        &[],
        nothing,
    );
    same(
        &mut f,
        &["rev-list", "--objects", "--missing=print", "--all"],
        "",
        &[],
        nothing,
    );
    // A promisor remote that can't be reached: the child's words, then git's.
    let unreachable: &dyn Fn(&Path) = &|repo| {
        assert!(
            git(repo)
                .args(["config", "remote.origin.url", "/nonexistent/promisor.git"])
                .status()
                .unwrap()
                .success()
        );
    };
    same(&mut f, &["cat-file", "-p", &b1], "", &[], unreachable);
    same(
        &mut f,
        &["cat-file", "--batch-check"],
        &format!("{b2}\n"),
        &[],
        unreachable,
    );
}

#[test]
fn the_library_fetches_only_when_asked() {
    let mut f = Fixture::new("library");
    let repo = f.clone();
    let blob = packread::ObjectId::from_hex(&f.blob("f2.txt")).unwrap();
    let odb = packread::Odb::open(&repo).unwrap();
    assert!(matches!(
        odb.reader().read(&blob),
        Err(packread::Error::NotFound(_))
    ));
    odb.set_lazy_fetch(true);
    assert_eq!(
        odb.reader().read(&blob).unwrap().data,
        "file 2\n".repeat(20).into_bytes()
    );
}
