//! Attributes as git reads them: a work tree with `.gitattributes` at
//! several depths (globs, anchored and `**` patterns, quoted names,
//! macros, resets, ignored lines), `info/attributes` and a global file;
//! every path and attribute against `git check-attr`.

use std::fmt::Write;
use std::path::Path;

use packread::attributes::{Attributes, Sources, State};
use testkit::git;

const FILES: &[(&str, &str)] = &[
    (
        ".gitattributes",
        "* text\n\
         *.bin binary\n\
         *.c diff=cpp whitespace\n\
         [attr]mine -diff text=auto\n\
         *.m mine\n\
         /anchored.txt -text\n\
         docs/**/*.md diff=markdown\n\
         **/gen/* -diff\n\
         dir/ -diff\n\
         \"with space.txt\" diff=spaced\n\
         !negated diff\n\
         bad name\n\
         *.x -bogus-\n\
         t/t????-*.sh diff=shell\n\
         # a comment\n\
         \x20  *.pad   diff=pad  \n",
    ),
    (
        "sub/.gitattributes",
        "*.c -diff\n\
         [attr]nested -diff\n\
         deep/*.h diff=hdr\n\
         *.bin !diff\n\
         x.m -mine\n",
    ),
    (
        "sub/deep/.gitattributes",
        "*.h diff\n/only-here.txt diff=here\n",
    ),
    ("docs/.gitattributes", "*.md -text\n"),
];

const PATHS: &[&str] = &[
    "a.txt",
    "anchored.txt",
    "sub/anchored.txt",
    "x.bin",
    "sub/x.bin",
    "main.c",
    "sub/main.c",
    "sub/deep/main.c",
    "lib.m",
    "sub/x.m",
    "sub/y.m",
    "docs/a.md",
    "docs/x/y/b.md",
    "a.md",
    "gen/out",
    "a/b/gen/out",
    "a/b/gen/c/out",
    "dir",
    "dir/file",
    "with space.txt",
    "negated",
    "bad",
    "q.x",
    "t/t1234-x.sh",
    "t/t12-x.sh",
    "sub/deep/h.h",
    "sub/deep/only-here.txt",
    "sub/deep/x/only-here.txt",
    "sub/h.h",
    "z.pad",
    "global.g",
    "info.i",
];

const ATTRS: &[&str] = &["diff", "text", "binary", "mine", "whitespace", "bogus-"];

fn write(root: &Path, name: &str, text: &str) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn shown(state: &State) -> String {
    match state {
        State::Set => "set".into(),
        State::Unset => "unset".into(),
        State::Unspecified => "unspecified".into(),
        State::Value(v) => String::from_utf8_lossy(v).into_owned(),
    }
}

#[test]
fn attributes_are_read_as_git_reads_them() {
    let root = std::env::temp_dir().join(format!("packread-attributes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    assert!(git(&work).args(["init", "-q"]).status().unwrap().success());
    for (name, text) in FILES {
        write(&work, name, text);
    }
    write(
        &work,
        ".git/info/attributes",
        "*.i diff=info\n*.c -whitespace\n",
    );
    write(
        &root,
        "xdg/git/attributes",
        "*.g diff=global\n*.txt diff=globaltxt\n",
    );

    let mut cmd = git(&work);
    cmd.args(["check-attr", "--stdin"])
        .env("XDG_CONFIG_HOME", root.join("xdg"))
        .env("GIT_ATTR_NOSYSTEM", "1");
    let input = PATHS.join("\n") + "\n";
    let out = testkit::run_with_stdin(cmd, ATTRS, input.as_bytes());
    let want = String::from_utf8(out.stdout).unwrap();

    let mut attrs = Attributes::new(Sources {
        global: Some(root.join("xdg/git/attributes")),
        work_tree: Some(work.clone()),
        info: Some(work.join(".git/info/attributes")),
        ..Sources::default()
    });
    let mut got = String::new();
    for path in PATHS {
        for attr in ATTRS {
            let state = attrs.get(path.as_bytes(), attr);
            writeln!(got, "{path}: {attr}: {}", shown(&state)).unwrap();
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    assert_eq!(got, want);
}
