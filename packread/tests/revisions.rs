//! Revisions resolved by `Repository::rev_parse` against `git rev-parse
//! --verify`: the same object or the same refusal, and git's warnings.

use std::path::Path;

use packread::revision::RevisionWarning;
use packread::{Error, Repository, RevisionProblem};
use testkit::{fixture, git, git_out};

/// The `warning:` and `error:` lines git prints for `warnings` (its advice
/// after a ref named like an id has no such prefix; where a commit was
/// parsed, none: the fixture's commit-graph is sound, see the fidelity
/// cases of broken graphs).
fn git_lines(warnings: &[RevisionWarning]) -> Vec<String> {
    warnings
        .iter()
        .filter(|w| **w != RevisionWarning::CommitParsed)
        .map(|w| match w {
            RevisionWarning::AmbiguousRef(name) | RevisionWarning::RefNamedLikeId(name) => {
                format!("warning: refname '{name}' is ambiguous.")
            }
            RevisionWarning::DanglingSymref(name) => {
                format!("warning: ignoring dangling symref {name}")
            }
            RevisionWarning::BrokenRef(name) => format!("warning: ignoring broken ref {name}"),
            RevisionWarning::PeelMismatch {
                name,
                expected,
                found,
            } => format!(
                "error: {name}: expected {expected} type, but the object dereferences to {found} type"
            ),
            RevisionWarning::NotACommit { id, kind } => {
                format!("error: object {id} is a {kind}, not a commit")
            }
            other => panic!("no git line known for {other:?}"),
        })
        .collect()
}

/// git's answer for `spec`: the id (or `None`) and its `warning:` and
/// `error:` lines.
fn git_rev_parse(dir: &Path, spec: &str) -> (Option<String>, Vec<String>) {
    let out = git(dir)
        .args(["rev-parse", "--verify", "--end-of-options", spec])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let warnings = stderr
        .lines()
        .filter(|l| l.starts_with("warning:") || l.starts_with("error:"))
        .map(str::to_owned)
        .collect();
    let id = out
        .status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap().trim().to_owned());
    (id, warnings)
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap().trim().to_owned()
}

/// Revisions of `make_revisions.sh`'s repository, compared with git's answers
/// (with ids and abbreviations of the repository added at run time).
const SPECS: &[&str] = &[
    "HEAD",
    "@",
    "main",
    "heads/main",
    "refs/heads/main",
    "side",
    "origin",
    "origin/main",
    "remotes/origin/HEAD",
    "ROOTREF",
    "HEAD~1",
    "HEAD~",
    "HEAD^",
    "HEAD^1",
    "HEAD^2",
    "HEAD^3",
    "HEAD~1^2",
    "HEAD~2^2",
    "HEAD^0",
    "HEAD~0",
    "HEAD~3",
    "HEAD~4",
    "HEAD~100",
    "HEAD^^",
    "HEAD~1~1",
    "main^2~1",
    "@~2",
    "v1",
    "v1~1",
    "light",
    "annotated",
    "annotated^{}",
    "annotated^{commit}",
    "annotated^{tree}",
    "annotated^{tag}",
    "annotated^{object}",
    "annotated^{blob}",
    "annotated^0",
    "annotated~1",
    "treetag",
    "treetag^{}",
    "treetag^{tree}",
    "treetag^{commit}",
    "treetag^0",
    "blobtag^{}",
    "blobtag^{blob}",
    "tagtag",
    "tagtag^{}",
    "tagtag^{tag}",
    "tagtag^{commit}",
    "HEAD^{tree}",
    "HEAD^{commit}",
    "HEAD^{tag}",
    "HEAD^{bogus}",
    "HEAD^{tree}^{tree}",
    "nonexistent",
    "broken",
    "refs/heads/broken",
    "dangling",
    "refs/heads/nowhere",
    "a..b",
    "HEAD^-1",
    "~1",
    "^",
    "",
    "HEAD^{tree}~1",
    "HEAD:a",
    "HEAD:dir",
    "HEAD:dir/",
    "HEAD:dir/sub/c",
    "HEAD:",
    "HEAD:./dir/b",
    "HEAD:./",
    "HEAD:dir/../a",
    "HEAD:../a",
    "HEAD:nope",
    "HEAD:a/b",
    "HEAD:x",
    "HEAD:link",
    "annotated:a",
    "treetag:dir/b",
    "HEAD^{tree}:dir",
    "HEAD~1:a",
    "HEAD^2:side",
    "blobtag:a",
    "HEAD:dir/sub/",
    "HEAD:dir//b",
    "loop1",
    "c0",
    "c1",
    "badtarget",
    "refs/heads/c1",
];

#[test]
fn revisions_resolve_as_git_resolves_them() {
    let dir = fixture("make_revisions.sh").join("repo");
    let repo = Repository::discover(&dir).unwrap();
    let head = text(git_out(&dir, &["rev-parse", "HEAD"]));
    let short_tree = text(git_out(&dir, &["rev-parse", "--short", "HEAD^{tree}"]));
    let described = format!("light-1-g{}", &head[..8]);
    let ids = [
        head.clone(),
        head[..7].to_owned(),
        head[..4].to_owned(),
        head.to_uppercase(),
        short_tree,
        described,
    ];
    // The repository has a branch named like the abbreviated id: git takes
    // the branch (and warns), a case compared below.
    assert!(git_rev_parse(&dir, &head[..7]).0.is_some());
    for spec in SPECS.iter().copied().chain(ids.iter().map(String::as_str)) {
        same_as_git(&repo, &dir, spec);
    }
}

/// `spec` resolved by packread names what git names, with git's warnings,
/// or both refuse it (and packread not for want of support).
fn same_as_git(repo: &Repository, dir: &Path, spec: &str) {
    let (git_id, git_warnings) = git_rev_parse(dir, spec);
    let ours = repo.rev_parse_with_path(spec);
    match (&git_id, &ours) {
        (Some(id), Ok(rev)) => {
            assert_eq!(&rev.id.to_string(), id, "{spec:?}");
            assert_eq!(git_lines(&rev.warnings), git_warnings, "{spec:?}");
        }
        (
            None,
            Err(Error::Revision {
                name,
                problem,
                warnings,
            }),
        ) => {
            assert_eq!(name, spec);
            assert_eq!(git_lines(warnings), git_warnings, "{spec:?}");
            assert!(
                !matches!(problem, RevisionProblem::Unsupported(_)),
                "{spec:?}"
            );
        }
        _ => panic!("{spec:?}: git {git_id:?} {git_warnings:?}, packread {ours:?}"),
    }
}

#[test]
fn paths_carry_the_mode_git_lists() {
    let dir = fixture("make_revisions.sh").join("repo");
    let repo = Repository::discover(&dir).unwrap();
    for path in ["a", "x", "link", "dir", "dir/sub/c"] {
        let listed = text(git_out(&dir, &["ls-tree", "HEAD", "--", path]));
        let (mode, rest) = listed.split_once(' ').unwrap();
        let rev = repo.rev_parse_with_path(&format!("HEAD:{path}")).unwrap();
        let (ours_path, ours_mode) = rev.path.unwrap();
        assert_eq!(format!("{ours_mode:06o}"), mode, "{path}");
        assert_eq!(ours_path, path);
        assert!(rest.ends_with(&format!("{}\t{path}", rev.id)), "{listed}");
    }
    let root = repo.rev_parse_with_path("HEAD:").unwrap();
    assert_eq!(root.path, Some((String::new(), 0o040_000)));
    assert_eq!(
        root.id.to_string(),
        text(git_out(&dir, &["rev-parse", "HEAD^{tree}"]))
    );
}

#[test]
fn forms_needing_reflogs_or_the_index_are_refused_not_misread() {
    let dir = fixture("make_revisions.sh").join("repo");
    let repo = Repository::discover(&dir).unwrap();
    for spec in [
        "HEAD@{1}",
        "main@{upstream}",
        "@{-1}",
        ":a",
        ":0:a",
        ":/two",
        "HEAD^{/two}",
    ] {
        match repo.rev_parse(spec) {
            Err(Error::Revision {
                problem: RevisionProblem::Unsupported(_),
                ..
            }) => {}
            other => panic!("{spec}: {other:?}"),
        }
    }
}

#[test]
fn hostile_revisions_end_as_git_ends_them() {
    let dir = fixture("make_revisions.sh").join("repo");
    let repo = Repository::discover(&dir).unwrap();
    let specs = [
        format!("HEAD{}", "^{}".repeat(50_000)),
        format!("HEAD{}", "~0".repeat(50_000)),
        format!("annotated{}", "^0^{tree}^{}".repeat(3)),
        format!("HEAD{}", "^".repeat(5_000)),
        "HEAD~2147483647".to_owned(),
        "HEAD~2147483648".to_owned(),
        "HEAD~99999999999999999999".to_owned(),
        format!("HEAD:{}", "../".repeat(1_000)),
        format!("HEAD:{}", "dir/".repeat(1_000)),
        format!("{}HEAD", "^{".repeat(1_000)),
    ];
    // Long names go to git on stdin (an argument that long is refused by
    // the OS); cat-file's answer is the object or `<name> missing`. git
    // 2.47 recurses once per suffix and dies of a segmentation fault on the
    // 50,000-suffix names; there packread must give what the suffixes mean
    // (`^{}` and `~0` of a commit are the commit).
    let head = text(git_out(&dir, &["rev-parse", "HEAD"]));
    for spec in &specs {
        let out = testkit::run_with_stdin(
            git(&dir),
            &["cat-file", "--batch-check=%(objectname)"],
            format!("{spec}\n").as_bytes(),
        );
        let ours = repo.rev_parse(spec);
        let short = &spec[..spec.len().min(40)];
        if out.status.code().is_none() {
            assert!(spec.len() > 100_000, "git crashed on {short}");
            assert_eq!(ours.unwrap().to_string(), head, "{short}");
            continue;
        }
        let git = text(out.stdout);
        if !out.status.success() {
            // git dies on a path above the work tree, even in a batch.
            assert!(git.is_empty(), "{short}");
            assert!(
                matches!(
                    ours,
                    Err(Error::Revision {
                        problem: RevisionProblem::PathOutsideRepository(_),
                        ..
                    })
                ),
                "{short}"
            );
        } else if git.ends_with(" missing") {
            assert!(
                matches!(ours, Err(Error::Revision { .. })),
                "{short}: {ours:?}"
            );
        } else {
            assert_eq!(ours.unwrap().to_string(), git, "{short}");
        }
    }
}
