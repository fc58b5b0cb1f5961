//! The refs store against git: every ref `git for-each-ref` lists, with the
//! id git gives it, in git's order; symbolic refs followed as git follows
//! them; peeled tags; a linked work tree's own refs; broken and dangling
//! refs; reftable refused.

use std::fmt::Write as _;
use std::path::Path;

use packread::refs::{RefStore, Target};
use packread::{Corruption, Error, ObjectId};
use testkit::{copy_repo, fixture, git, git_out, run_with_stdin};

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

/// What `git for-each-ref` lists in the work tree `dir`: name and id.
fn git_refs(dir: &Path) -> Vec<(String, String)> {
    text(git_out(
        dir,
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    ))
    .lines()
    .map(|l| {
        let (name, id) = l.split_once(' ').unwrap();
        (name.to_owned(), id.to_owned())
    })
    .collect()
}

/// What packread lists: every readable ref with the id it resolves to (as
/// git, leaving out dangling symbolic refs), and the broken ones' files.
fn our_refs(store: &RefStore) -> (Vec<(String, String)>, Vec<String>) {
    let mut listed = Vec::new();
    let mut broken = Vec::new();
    for r in store.all().unwrap() {
        match r {
            Ok(r) => {
                let id = match r.target {
                    Target::Object { id, .. } => Some(id),
                    Target::Symbolic(_) => store.resolve(&r.name).unwrap().unwrap().id,
                };
                if let Some(id) = id {
                    listed.push((r.name, id.to_string()));
                }
            }
            Err(Error::Corrupt { path, reason, .. }) => {
                assert!(matches!(reason, Corruption::BadRef(_)), "{reason:?}");
                broken.push(path.display().to_string());
            }
            Err(e) => panic!("{e}"),
        }
    }
    (listed, broken)
}

#[test]
fn all_refs_as_git_lists_them() {
    let root = fixture("make_refs.sh");
    let repo = root.join("repo");
    let store = RefStore::open(&repo.join(".git")).unwrap();
    let (listed, broken) = our_refs(&store);
    assert_eq!(listed, git_refs(&repo));
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(broken[0].ends_with("refs/heads/broken"), "{broken:?}");

    // A linked work tree: its own HEAD and per-worktree refs, the rest shared.
    let wt = root.join("wt");
    let wt_git_dir = text(git_out(&wt, &["rev-parse", "--absolute-git-dir"]));
    let wt_store = RefStore::open(Path::new(wt_git_dir.trim())).unwrap();
    let (listed, _) = our_refs(&wt_store);
    assert_eq!(listed, git_refs(&wt));
    assert!(listed.iter().any(|(n, _)| n == "refs/bisect/bad"));
    assert!(!git_refs(&repo).iter().any(|(n, _)| n == "refs/bisect/bad"));
    for name in ["refs/bisect/bad", "refs/worktree/mine"] {
        let id = text(git_out(&wt, &["rev-parse", "--verify", name]));
        let ours = wt_store.resolve(name).unwrap().unwrap().id.unwrap();
        assert_eq!(ours.to_string(), id.trim(), "{name}");
        assert_eq!(store.find(name).unwrap(), None, "{name}");
    }
    for (store, dir) in [(&store, &repo), (&wt_store, &wt)] {
        let head = store.resolve("HEAD").unwrap().unwrap();
        assert!(head.symbolic);
        assert_eq!(
            head.name,
            text(git_out(dir, &["symbolic-ref", "HEAD"])).trim()
        );
        let id = text(git_out(dir, &["rev-parse", "HEAD"]));
        assert_eq!(head.id.unwrap().to_string(), id.trim());
    }
}

/// The ids of the refs under a prefix are those `git for-each-ref <prefix>`
/// lists, whether only the prefix's own directory and part of
/// `packed-refs` are read (`refs/tags/`) or everything is (`refs/`, and
/// the per-worktree parts of a linked work tree).
#[test]
fn ids_under_a_prefix_as_git_lists_them() {
    let root = fixture("make_refs.sh");
    let wt = root.join("wt");
    let wt_git_dir = text(git_out(&wt, &["rev-parse", "--absolute-git-dir"]));
    let repo = root.join("repo");
    let cases = [
        (
            repo.clone(),
            repo.join(".git"),
            vec![
                "refs/tags/",
                "refs/heads/",
                "refs/",
                "refs/remotes/",
                "refs/nothing/",
            ],
        ),
        (
            wt.clone(),
            Path::new(wt_git_dir.trim()).to_owned(),
            vec!["refs/bisect/", "refs/worktree/", "refs/heads/", "refs/"],
        ),
    ];
    for (dir, git_dir, prefixes) in cases {
        let store = RefStore::open(&git_dir).unwrap();
        for prefix in prefixes {
            let git: Vec<String> = text(git_out(
                &dir,
                &["for-each-ref", "--format=%(objectname)", prefix],
            ))
            .lines()
            .map(str::to_owned)
            .collect();
            let ours: Vec<String> = store
                .ids_under(prefix)
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(ours, git, "{prefix} in {}", dir.display());
        }
    }
}

/// A `packed-refs` file large enough to be mapped (64 KiB and more) is
/// read as a small one is: every ref as git lists it, a search for one, the
/// refs under a prefix; and again after git rewrites it.
#[test]
fn large_packed_refs_as_git_lists_them() {
    let repo = copy_repo(&fixture("make_refs.sh").join("repo"), "large-packed-refs");
    let head = text(git_out(&repo, &["rev-parse", "HEAD"]));
    let mut updates = String::new();
    for i in 0..2000 {
        writeln!(updates, "create refs/tags/many/t{i:04} {}", head.trim()).unwrap();
    }
    let out = run_with_stdin(git(&repo), &["update-ref", "--stdin"], updates.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git_out(&repo, &["pack-refs", "--all"]);
    let size = std::fs::metadata(repo.join(".git/packed-refs"))
        .unwrap()
        .len();
    assert!(size >= 64 * 1024, "{size} bytes");
    let store = RefStore::open(&repo.join(".git")).unwrap();
    for round in 0..2 {
        let (listed, _) = our_refs(&store);
        assert_eq!(listed, git_refs(&repo), "round {round}");
        let found = store.find("refs/tags/many/t1234").unwrap().unwrap();
        assert_eq!(
            store.target_id(&found).unwrap().unwrap().to_string(),
            head.trim()
        );
        let git: Vec<String> = text(git_out(
            &repo,
            &["for-each-ref", "--format=%(objectname)", "refs/tags/many/"],
        ))
        .lines()
        .map(str::to_owned)
        .collect();
        let ours: Vec<String> = store
            .ids_under("refs/tags/many/")
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ours, git);
        // git rewrites the file (a rename over it): read anew.
        git_out(&repo, &["update-ref", "-d", "refs/tags/many/t0007"]);
        git_out(&repo, &["pack-refs", "--all"]);
    }
    let _ = std::fs::remove_dir_all(&repo);
}

#[test]
fn symbolic_refs_are_followed_as_git_follows_them() {
    let repo = fixture("make_refs.sh").join("repo");
    let store = RefStore::open(&repo.join(".git")).unwrap();
    for name in [
        "refs/heads/main",
        "refs/heads/feature",
        "refs/heads/nested/deep/name",
        "refs/heads/chain",
        "refs/remotes/origin/HEAD",
        "refs/tags/annotated",
        "refs/tags/after",
    ] {
        let resolved = store.resolve(name).unwrap().unwrap();
        let id = text(git_out(&repo, &["rev-parse", "--verify", name]));
        assert_eq!(resolved.id.unwrap().to_string(), id.trim(), "{name}");
        // `git symbolic-ref` names a symbolic ref's target (one step);
        // following the whole chain ends at origin/main.
        let direct = store.find(name).unwrap().unwrap();
        assert_eq!(
            resolved.symbolic,
            matches!(direct.target, Target::Symbolic(_)),
            "{name}"
        );
        if resolved.symbolic {
            assert_eq!(resolved.name, "refs/remotes/origin/main");
            let target = text(git_out(&repo, &["symbolic-ref", "--no-recurse", name]));
            assert_eq!(direct.target, Target::Symbolic(target.trim().to_owned()));
        } else {
            assert_eq!(resolved.name, name);
        }
    }

    // Dangling: git's symbolic-ref names the missing target; no id.
    let dangling = store.resolve("refs/heads/dangling").unwrap().unwrap();
    assert_eq!(dangling.id, None);
    let target = text(git_out(&repo, &["symbolic-ref", "refs/heads/dangling"]));
    assert_eq!(dangling.name, target.trim());

    // Where git gives up (it calls them dangling too): a loop, five refs
    // to read (four are followed), a target name git refuses.
    for (name, resolves) in [
        ("refs/heads/loop1", false),
        ("refs/heads/c0", false),
        ("refs/heads/c1", true),
        ("refs/heads/badtarget", false),
    ] {
        let ours = store.resolve(name).unwrap().unwrap();
        let git = git(&repo)
            .args(["rev-parse", "-q", "--verify", name])
            .output()
            .unwrap();
        assert_eq!(ours.id.is_some(), resolves, "{name}");
        assert_eq!(git.status.success(), resolves, "{name}");
        if resolves {
            assert_eq!(format!("{}\n", ours.id.unwrap()), text(git.stdout));
        }
    }

    // Absent, invalid, and broken names.
    assert_eq!(store.resolve("refs/heads/nowhere").unwrap(), None);
    assert_eq!(store.resolve("refs/heads/a..b").unwrap(), None);
    assert_eq!(store.find("refs/heads/zz").unwrap(), None);
    match store.resolve("refs/heads/broken") {
        Err(Error::Corrupt {
            path,
            offset: 0,
            reason: Corruption::BadRef(_),
        }) => {
            assert!(path.ends_with("refs/heads/broken"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn packed_tags_carry_what_they_peel_to() {
    let repo = fixture("make_refs.sh").join("repo");
    let store = RefStore::open(&repo.join(".git")).unwrap();
    let peeled = |name: &str| match store.find(name).unwrap().unwrap().target {
        Target::Object { peeled, .. } => peeled,
        Target::Symbolic(s) => panic!("{name} -> {s}"),
    };
    for tag in ["annotated", "annotated2"] {
        let name = format!("refs/tags/{tag}");
        let git = text(git_out(&repo, &["rev-parse", &format!("{name}^{{}}")]));
        assert_eq!(peeled(&name), ObjectId::from_hex(git.trim()), "{name}");
    }
    // A packed lightweight tag has no peeled line; a loose ref never has one.
    assert_eq!(peeled("refs/tags/light"), None);
    assert_eq!(peeled("refs/tags/after"), None);
    // main is loose now and shadows its packed line.
    let packed = std::fs::read_to_string(repo.join(".git/packed-refs")).unwrap();
    let main = text(git_out(&repo, &["rev-parse", "refs/heads/main"]));
    assert!(packed.contains("refs/heads/main") && !packed.contains(main.trim()));
    let found = store.find("refs/heads/main").unwrap().unwrap();
    assert_eq!(
        found.target,
        Target::Object {
            id: ObjectId::from_hex(main.trim()).unwrap(),
            peeled: None
        }
    );
}

#[test]
fn reftable_repositories_are_refused() {
    let dir = fixture("make_refs.sh").join("reftable");
    let git_dir = dir.join(".git");
    assert_eq!(
        text(git_out(&dir, &["rev-parse", "--show-ref-format"])).trim(),
        "reftable"
    );
    match RefStore::open(&git_dir) {
        Err(Error::Unsupported { path, what }) => {
            assert_eq!(path, git_dir.join("config"));
            assert!(what.contains("reftable"), "{what}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ref_names_as_git_check_ref_format_judges_them() {
    let dir = fixture("make_refs.sh").join("repo");
    let names = [
        "refs/heads/main",
        "HEAD",
        "main",
        "refs/heads/a..b",
        "refs/heads/x.lock",
        "refs/heads/x.lock/y",
        "refs/heads/.hidden",
        "refs/heads/a/",
        "refs/heads//a",
        "/refs/heads/a",
        "refs/heads/a.",
        "refs/heads/a@{b",
        "refs/heads/a@b",
        "@",
        "refs/@",
        "refs/heads/a b",
        "refs/heads/a~b",
        "refs/heads/a^b",
        "refs/heads/a:b",
        "refs/heads/a?b",
        "refs/heads/a*b",
        "refs/heads/a[b",
        "refs/heads/a\\b",
        "refs/heads/a\tb",
        "refs/heads/a\u{7f}b",
        "refs/heads/ünï",
        "refs/heads/a.b",
        "refs/heads/-dash",
        "refs/heads/lock",
        "refs/tags/v1.0",
        "refs/heads/a/.b",
        "refs/heads/a.lo",
        "",
    ];
    for name in names {
        for one_level in [false, true] {
            let mut cmd = testkit::git(&dir);
            cmd.arg("check-ref-format");
            if one_level {
                cmd.arg("--allow-onelevel");
            }
            let git = cmd.arg(name).output().unwrap().status.success();
            assert_eq!(
                packread::refs::is_valid_name(name, one_level),
                git,
                "{name:?} one_level={one_level}"
            );
        }
    }
}
