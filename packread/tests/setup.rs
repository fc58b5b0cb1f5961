//! `repository::Setup` against git's own answers about where a command
//! stands: `git rev-parse --is-inside-work-tree` and `--show-prefix` in a
//! work tree's top and subdirectories, in its `.git`, and in a bare
//! repository; and the database and refs it opens.

use std::path::Path;

use packread::OpenOptions;
use packread::repository::Setup;
use testkit::{fixture, git, git_out};

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap().trim_end().to_owned()
}

/// git's answers in `dir`: whether it is inside a work tree, and the prefix.
fn git_setup(dir: &Path) -> (bool, String) {
    let inside = text(git_out(dir, &["rev-parse", "--is-inside-work-tree"])) == "true";
    let prefix = if inside {
        text(git_out(dir, &["rev-parse", "--show-prefix"]))
    } else {
        String::new()
    };
    (inside, prefix)
}

#[test]
fn setup_stands_where_git_stands() {
    let top = fixture("make_revisions.sh").join("repo");
    let bare = fixture("make_history.sh").join("ofs.git");
    let head = text(git_out(&top, &["rev-parse", "HEAD"]));
    for dir in [
        top.clone(),
        top.join("dir"),
        top.join("dir/sub"),
        top.join(".git"),
        bare.clone(),
    ] {
        let setup = Setup::in_dir(&dir);
        let (inside, prefix) = git_setup(&dir);
        assert_eq!(setup.in_work_tree(), inside, "{}", dir.display());
        assert_eq!(
            String::from_utf8(setup.prefix()).unwrap(),
            prefix,
            "{}",
            dir.display()
        );
        let odb = setup.open_odb(OpenOptions::new()).unwrap();
        let listed = text(git_out(
            &dir,
            &["cat-file", "--batch-all-objects", "--batch-check"],
        ));
        assert_eq!(
            odb.object_ids().count(),
            listed.lines().count(),
            "{}",
            dir.display()
        );
        if dir.starts_with(&top) {
            let resolved = setup.open_refs().unwrap().resolve("HEAD").unwrap().unwrap();
            assert_eq!(resolved.id.unwrap().to_string(), head);
            // git names the top of the work tree, or `.git/.` standing in it.
            let top = std::fs::canonicalize(&top).unwrap();
            let named = if dir.ends_with(".git") {
                top.join(".git").join(".")
            } else {
                top
            };
            assert_eq!(setup.work_tree_top(), named, "{}", dir.display());
        }
    }
}

/// With the git directory named, git takes the directory it runs in for
/// the top of the work tree, and names a git directory that isn't one as
/// it was given.
#[test]
fn a_named_git_dir_is_taken_as_given() {
    let top = fixture("make_revisions.sh").join("repo");
    let setup = Setup::in_dir(top.join("dir")).git_dir("../.git");
    assert!(setup.git_dir_given() && setup.in_work_tree());
    assert!(setup.prefix().is_empty());
    assert!(setup.open_odb(OpenOptions::new()).is_ok());
    let out = git(&top.join("dir"))
        .args(["--git-dir=../.git", "rev-parse", "--show-prefix"])
        .output()
        .unwrap();
    assert_eq!(text(out.stdout), "");
    let wrong = Setup::in_dir(&top).git_dir("nowhere");
    match wrong.open_odb(OpenOptions::new()) {
        Err(packread::Error::NotARepository(p)) => assert_eq!(p, Path::new("nowhere")),
        other => panic!("{other:?}"),
    }
}
