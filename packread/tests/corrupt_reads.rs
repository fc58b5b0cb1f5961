//! Corrupt packs and indices: every read gives the right bytes or a typed
//! error naming the file, never a panic or wrong bytes. (A first sweep; the
//! robustness issue extends it.)

use std::path::{Path, PathBuf};

use packread::{Error, OpenOptions};
use testkit::{GitObject, copy_repo, fixture, git_objects};

fn pack_file(repo: &Path, ext: &str) -> PathBuf {
    std::fs::read_dir(repo.join("objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == ext))
        .unwrap()
}

/// Reads every object; each read must give git's bytes or a typed error.
fn read_all(repo: &Path, objects: &[GitObject]) -> (usize, usize) {
    let opts = OpenOptions::new()
        .window_size(4096)
        .max_memory(32 * 1024)
        .max_handles(8);
    let odb = match opts.open(repo) {
        Ok(odb) => odb,
        Err(e) => {
            assert!(
                matches!(e, Error::Corrupt { .. } | Error::Map(_)),
                "open: {e}"
            );
            return (0, objects.len());
        }
    };
    let (mut good, mut bad) = (0, 0);
    let mut r = odb.reader();
    let mut buf = Vec::new();
    for o in objects {
        match r.read_into(&o.id, &mut buf) {
            Ok(kind) => {
                assert!(
                    kind == o.kind && buf == o.data,
                    "wrong bytes for {} reported as good",
                    o.id
                );
                good += 1;
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("pack-") || matches!(e, Error::NotFound(_)),
                    "{msg}"
                );
                bad += 1;
            }
        }
    }
    (good, bad)
}

#[test]
fn flipped_bytes_in_the_pack_never_give_wrong_bytes() {
    let src = fixture("make_history.sh").join("deep");
    let objects = git_objects(&src);
    let repo = copy_repo(&src.join(".git"), "flip");
    let pack = pack_file(&repo, "pack");
    let original = std::fs::read(&pack).unwrap();
    let mut errors = 0;
    // Every 61st byte (headers, offsets, zlib streams, trailer), flipped.
    for at in (0..original.len()).step_by(61) {
        let mut bytes = original.clone();
        bytes[at] ^= 0x5a;
        std::fs::write(&pack, &bytes).unwrap();
        errors += read_all(&repo, &objects).1;
    }
    std::fs::write(&pack, &original).unwrap();
    assert_eq!(read_all(&repo, &objects), (objects.len(), 0));
    assert!(errors > 0);
    std::fs::remove_dir_all(repo).unwrap();
}

#[test]
fn truncated_files_give_typed_errors() {
    let src = fixture("make_history.sh").join("ofs.git");
    let objects = git_objects(&src);
    let repo = copy_repo(&src, "trunc");
    for ext in ["pack", "idx"] {
        let file = pack_file(&repo, ext);
        let original = std::fs::read(&file).unwrap();
        for len in [
            0,
            11,
            12,
            100,
            1031,
            1032,
            original.len() / 2,
            original.len() - 21,
            original.len() - 1,
        ] {
            std::fs::write(&file, &original[..len]).unwrap();
            let (good, _) = read_all(&repo, &objects);
            assert!(good < objects.len(), "{ext} cut to {len} bytes is noticed");
        }
        std::fs::write(&file, &original).unwrap();
    }
    std::fs::remove_dir_all(repo).unwrap();
}
