//! Corrupt packs and indices: every read gives the right bytes or a typed
//! error naming the file, never a panic or wrong bytes. (A first sweep; the
//! robustness issue extends it.)

use std::path::{Path, PathBuf};

use packread::{Error, HashKind, ObjectId, OpenOptions};
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

/// An index entry whose offset is changed to another entry's would read
/// that entry's object under its id. It is refused, with git's `.rev` file
/// beside the index (the first reads check their entry alone against it)
/// and without it (the whole offset table is checked, and where it is
/// damaged, the entries the damage doesn't touch are read, as git reads
/// them); the other objects are read with their own bytes or refused,
/// never another's.
#[test]
fn an_offset_redirected_to_another_entry_is_refused() {
    let src = fixture("make_history.sh").join("ofs.git");
    let objects = git_objects(&src);
    let repo = copy_repo(&src, "redirect");
    let idx = pack_file(&repo, "idx");
    let rev = idx.with_extension("rev");
    assert!(rev.is_file(), "git writes a .rev file beside the index");
    let bytes = std::fs::read(&idx).unwrap();
    // Version 2: 8 bytes of header, the fan-out, n ids, n CRC32s, n offsets.
    let n = u32::from_be_bytes(bytes[8 + 255 * 4..8 + 1024].try_into().unwrap()) as usize;
    let id_at = |pos: usize| {
        let at = 8 + 1024 + pos * 20;
        ObjectId::from_bytes(HashKind::Sha1, &bytes[at..at + 20])
    };
    let offsets = 8 + 1024 + n * 24;
    let (victim, other) = (n / 2, n / 2 + 1);
    let mut damaged = bytes.clone();
    damaged.copy_within(
        offsets + 4 * other..offsets + 4 * other + 4,
        offsets + 4 * victim,
    );
    std::fs::write(&idx, &damaged).unwrap();
    for with_rev in [true, false] {
        if !with_rev {
            std::fs::remove_file(&rev).unwrap();
        }
        let odb = OpenOptions::new().open(&repo).unwrap();
        let mut r = odb.reader();
        // The first read, checked against the `.rev` file where there is one.
        let err = r.read(&id_at(victim)).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{err}");
        // Past the first few hundred reads the whole table is checked (with
        // the `.rev` file, in one pass over it): the victim is still refused.
        let rounds = 300 / objects.len() + 1;
        for _ in 0..rounds {
            for o in &objects {
                if let Ok(obj) = r.read(&o.id) {
                    assert_eq!((obj.kind, &obj.data), (o.kind, &o.data), "{}", o.id);
                }
            }
        }
        assert!(r.read(&id_at(victim)).is_err());
        // A database's first read of another object: read, whether checked
        // alone against the `.rev` file or with the whole table (whose
        // damage is the two entries sharing an offset).
        let firsts = objects
            .iter()
            .filter(|o| o.id != id_at(victim) && o.id != id_at(other))
            .take(8)
            .filter(|o| {
                let odb = OpenOptions::new().open(&repo).unwrap();
                let read = odb.reader().read(&o.id);
                if let Ok(obj) = &read {
                    assert_eq!(obj.data, git_object(&objects, &o.id).data);
                }
                read.is_ok()
            })
            .count();
        assert_eq!(firsts, 8, "{firsts} first reads of 8");
        let shared = OpenOptions::new()
            .open(&repo)
            .unwrap()
            .reader()
            .read(&id_at(other));
        assert!(
            shared.is_err() || shared.unwrap().data == git_object(&objects, &id_at(other)).data
        );
    }
    std::fs::remove_dir_all(repo).unwrap();
}

fn git_object<'a>(objects: &'a [GitObject], id: &ObjectId) -> &'a GitObject {
    objects.iter().find(|o| o.id == *id).expect("git lists it")
}

/// One bad entry of an index's 64-bit offset table (an entry whose 32-bit
/// slot points past the table) fails the reads of that entry only: every
/// other object of the pack is read, as git reads them.
#[test]
fn a_bad_large_offset_fails_its_entry_only() {
    let src = fixture("make_history.sh").join("ofs.git");
    let objects = git_objects(&src);
    let repo = copy_repo(&src, "large-offset");
    let idx = pack_file(&repo, "idx");
    let pack = idx.with_extension("pack");
    // Rewrite the index with every offset past 64 bytes in the 64-bit table.
    let out = testkit::git(&repo)
        .args(["index-pack", "--index-version=2,0x40", "-o"])
        .arg(&idx)
        .arg(&pack)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(idx.with_extension("rev"));
    let mut bytes = std::fs::read(&idx).unwrap();
    let n = u32::from_be_bytes(bytes[8 + 255 * 4..8 + 1024].try_into().unwrap()) as usize;
    let offsets = 8 + 1024 + n * 24;
    let victim = n / 2;
    bytes[offsets + 4 * victim..offsets + 4 * victim + 4]
        .copy_from_slice(&(0x8000_0000u32 | 0x7fbf_e53f).to_be_bytes());
    std::fs::write(&idx, &bytes).unwrap();
    let victim_id = ObjectId::from_bytes(
        HashKind::Sha1,
        &bytes[8 + 1024 + victim * 20..8 + 1024 + victim * 20 + 20],
    );
    let odb = OpenOptions::new().open(&repo).unwrap();
    let mut r = odb.reader();
    assert!(matches!(r.read(&victim_id), Err(Error::Corrupt { .. })));
    let mut read = 0;
    for o in &objects {
        match r.read(&o.id) {
            Ok(obj) => {
                assert_eq!((obj.kind, &obj.data), (o.kind, &o.data), "{}", o.id);
                read += 1;
            }
            // Deltas on the damaged entry fail with it, as in git.
            Err(e) => assert!(matches!(e, Error::Corrupt { .. }), "{}: {e}", o.id),
        }
    }
    assert!(
        read * 10 >= objects.len() * 9,
        "{read} of {} read",
        objects.len()
    );
    std::fs::remove_dir_all(repo).unwrap();
}

/// Without a `.rev` file, a pack's first reads take an entry's offset as
/// the index gives it (as git does) and check what they read by its hash,
/// and header reads check the offset by a pass over the table: whatever
/// one entry's offset is changed to (another entry's, a byte into an
/// entry, past the pack), every object read, first reads included, is
/// git's own or an error, and every header is git's or an error.
#[test]
fn without_a_rev_file_first_reads_never_give_another_object() {
    let src = fixture("make_history.sh").join("ofs.git");
    let objects = git_objects(&src);
    let repo = copy_repo(&src, "norev");
    let idx = pack_file(&repo, "idx");
    std::fs::remove_file(idx.with_extension("rev")).unwrap();
    let bytes = std::fs::read(&idx).unwrap();
    let n = u32::from_be_bytes(bytes[8 + 255 * 4..8 + 1024].try_into().unwrap()) as usize;
    let offsets = 8 + 1024 + n * 24;
    let offset_of = |pos: usize| {
        u32::from_be_bytes(
            bytes[offsets + 4 * pos..offsets + 4 * pos + 4]
                .try_into()
                .unwrap(),
        )
    };
    let victim = n / 3;
    for new in [offset_of(n / 3 + 1), offset_of(victim) + 1, 0x7fff_0000] {
        let mut damaged = bytes.clone();
        damaged[offsets + 4 * victim..offsets + 4 * victim + 4].copy_from_slice(&new.to_be_bytes());
        std::fs::write(&idx, &damaged).unwrap();
        // A fresh database for each object: every read is a first read.
        for o in &objects {
            let odb = OpenOptions::new().open(&repo).unwrap();
            if let Ok(obj) = odb.reader().read(&o.id) {
                assert_eq!(
                    (obj.kind, &obj.data),
                    (o.kind, &o.data),
                    "{} (offset {new})",
                    o.id
                );
            }
            let odb = OpenOptions::new().open(&repo).unwrap();
            if let Ok(h) = odb.reader().header(&o.id) {
                assert_eq!((h.kind, h.size), (o.kind, o.data.len() as u64), "{}", o.id);
            }
        }
    }
    std::fs::remove_dir_all(repo).unwrap();
}
