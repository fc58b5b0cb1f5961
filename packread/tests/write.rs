//! Loose objects written as git writes them: the same ids as `git
//! hash-object`, read back by git, `git fsck` clean, compressed at the
//! level git's settings give (the zlib header of git's own file for the
//! same object), with the permissions `core.sharedRepository` gives git's
//! files and directories; objects the database has are not written again;
//! a failed write leaves nothing behind.

use std::path::{Path, PathBuf};

use packread::{ObjectKind, Odb};
use testkit::{git, git_out, run_with_stdin};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("packread-write-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(git(&dir).args(["init", "-q"]).status().unwrap().success());
    dir
}

fn hash_object(repo: &Path, kind: &str, data: &[u8], write: bool) -> String {
    let mut args = vec!["hash-object", "-t", kind, "--stdin"];
    if write {
        args.push("-w");
    }
    let out = run_with_stdin(git(repo), &args, data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn loose(repo: &Path, id: &str) -> PathBuf {
    repo.join(".git/objects").join(&id[..2]).join(&id[2..])
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Objects of every kind: blobs (empty, small, 300 KB of noise), a tree,
/// a commit, a tag.
fn objects(repo: &Path) -> Vec<(ObjectKind, Vec<u8>)> {
    let blob = b"hello\n".to_vec();
    let blob_id = hash_object(repo, "blob", &blob, false);
    let mut noise = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..300_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        noise.push((x >> 16) as u8);
    }
    let mut tree = b"100644 hello.txt\0".to_vec();
    tree.extend_from_slice(&hex::decode(&blob_id).unwrap());
    let tree_id = hash_object(repo, "tree", &tree, false);
    let commit = format!(
        "tree {tree_id}\nauthor A <a@b> 1700000000 +0000\ncommitter C <c@d> 1700000000 +0000\n\nmsg\n"
    )
    .into_bytes();
    let commit_id = hash_object(repo, "commit", &commit, false);
    let tag =
        format!("object {commit_id}\ntype commit\ntag v1\ntagger T <t@e> 1700000000 +0000\n\nt\n")
            .into_bytes();
    vec![
        (ObjectKind::Blob, Vec::new()),
        (ObjectKind::Blob, blob),
        (ObjectKind::Blob, noise),
        (ObjectKind::Tree, tree),
        (ObjectKind::Commit, commit),
        (ObjectKind::Tag, tag),
    ]
}

#[test]
fn objects_are_written_as_git_writes_them() {
    let settings: &[&[(&str, &str)]] = &[
        &[],
        &[("core.compression", "9")],
        &[("core.compression", "9"), ("core.looseCompression", "0")],
        &[("core.compression", "-1")],
        &[("core.sharedRepository", "group")],
        &[("core.sharedRepository", "all")],
        &[("core.sharedRepository", "0640")],
    ];
    for (i, config) in settings.iter().enumerate() {
        let ours = scratch(&format!("ours{i}"));
        let theirs = scratch(&format!("theirs{i}"));
        for repo in [&ours, &theirs] {
            for (k, v) in *config {
                assert!(git(repo).args(["config", k, v]).status().unwrap().success());
            }
        }
        let odb = Odb::open(&ours).unwrap();
        for (kind, data) in objects(&ours) {
            let id = odb.write_object(kind, &data).unwrap().to_hex();
            let want = hash_object(&theirs, kind.as_str(), &data, true);
            assert_eq!(id, want, "{config:?} {kind:?}");
            assert_eq!(git_out(&ours, &["cat-file", kind.as_str(), &id]), data);
            let (a, b) = (
                std::fs::read(loose(&ours, &id)).unwrap(),
                std::fs::read(loose(&theirs, &id)).unwrap(),
            );
            assert_eq!(a[..2], b[..2], "zlib header, {config:?} {kind:?}");
            #[cfg(unix)]
            {
                assert_eq!(
                    mode(&loose(&ours, &id)),
                    mode(&loose(&theirs, &id)),
                    "{config:?} file"
                );
                let dir = |r: &Path| mode(loose(r, &id).parent().unwrap());
                assert_eq!(dir(&ours), dir(&theirs), "{config:?} directory");
            }
        }
        let fsck = git(&ours)
            .args(["fsck", "--strict", "--no-dangling"])
            .output()
            .unwrap();
        let complaints = String::from_utf8_lossy(&fsck.stderr)
            .lines()
            .filter(|l| !l.starts_with("notice:"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            fsck.status.success() && complaints.is_empty(),
            "{complaints}"
        );
        let left: Vec<_> = std::fs::read_dir(ours.join(".git/objects"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("tmp_obj_"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        let _ = std::fs::remove_dir_all(&ours);
        let _ = std::fs::remove_dir_all(&theirs);
    }
}

#[test]
fn objects_the_database_has_are_not_written_again() {
    let repo = scratch("existing");
    let id = hash_object(&repo, "blob", b"packed\n", true);
    assert!(
        git(&repo)
            .args(["tag", "keep", &id])
            .status()
            .unwrap()
            .success()
    );
    assert!(
        git(&repo)
            .args(["repack", "-adq"])
            .status()
            .unwrap()
            .success()
    );
    assert!(!loose(&repo, &id).exists());
    let odb = Odb::open(&repo).unwrap();
    assert_eq!(
        odb.write_object(ObjectKind::Blob, b"packed\n")
            .unwrap()
            .to_hex(),
        id
    );
    assert!(
        !loose(&repo, &id).exists(),
        "a packed object was written loose"
    );
    let _ = std::fs::remove_dir_all(&repo);
}

#[test]
fn a_failed_write_leaves_nothing() {
    let repo = scratch("short");
    let odb = Odb::open(&repo).unwrap();
    let err = odb
        .write_object_from(ObjectKind::Blob, 10, &mut &b"short"[..])
        .unwrap_err();
    assert!(err.to_string().contains("short"), "{err}");
    let err = odb
        .write_object_from(ObjectKind::Blob, 2, &mut &b"too long"[..])
        .unwrap_err();
    assert!(err.to_string().contains("longer"), "{err}");
    let names: Vec<_> = std::fs::read_dir(repo.join(".git/objects"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    assert!(
        names.iter().all(|n| n == "info" || n == "pack"),
        "{names:?}"
    );
    let _ = std::fs::remove_dir_all(&repo);
}
