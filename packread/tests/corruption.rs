//! The corruption suite: every structure of a pack and its index, flipped
//! and truncated. Every read must return git's bytes or a typed error naming
//! the file, never a panic, a hang or wrong bytes reported as good; and
//! verification must always notice.

use packread::pack::verify::VerifyOptions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use packread::{Error, ObjectId, OpenOptions, Visited};
use testkit::{fixture, git_objects, git_out};

/// A private, writable copy of a bare repository's pack directory.
fn scratch(src: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir =
        std::env::temp_dir().join(format!("packread-corruption-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("objects/pack")).unwrap();
    let mut pack = PathBuf::new();
    for e in std::fs::read_dir(src.join("objects/pack")).unwrap() {
        let p = e.unwrap().path();
        let ext = p.extension().unwrap().to_str().unwrap().to_owned();
        if ext == "pack" || ext == "idx" {
            let to = dir.join("objects/pack").join(p.file_name().unwrap());
            std::fs::write(&to, std::fs::read(&p).unwrap()).unwrap();
            if ext == "pack" {
                pack = to;
            }
        }
    }
    let idx = pack.with_extension("idx");
    (dir, pack, idx)
}

/// Entry offsets, header lengths and sizes in the pack, from git.
fn entries(repo: &Path, idx: &Path) -> Vec<(u64, u64)> {
    let out = git_out(repo, &["verify-pack", "-v", idx.to_str().unwrap()]);
    let mut v: Vec<(u64, u64)> = String::from_utf8(out)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let f: Vec<_> = l.split_whitespace().collect();
            ObjectId::from_hex(f.first()?)?;
            Some((f[4].parse().ok()?, f[3].parse().ok()?))
        })
        .collect();
    v.sort_unstable();
    v
}

/// Reads every object of `dir` (with tiny windows, so that every structure
/// is read across window ends); returns (good, typed errors). Panics on wrong
/// bytes reported as good. Runs under a watchdog against hangs.
fn read_all(dir: &Path, objects: &HashMap<ObjectId, Vec<u8>>, what: &str) -> (usize, usize) {
    let (tx, rx) = mpsc::channel();
    let dir2 = dir.to_owned();
    let objects2 = objects.clone();
    let what = what.to_owned();
    let worker = std::thread::spawn(move || {
        let opts = OpenOptions::new()
            .window_size(4096)
            .max_memory(16 * 1024)
            .max_handles(8);
        let result = match opts.open(dir2.join("objects")) {
            Err(e) => {
                assert!(
                    matches!(e, Error::Corrupt { .. } | Error::Map(_)),
                    "open: {e}"
                );
                (0, objects2.len())
            }
            Ok(odb) => {
                let (mut good, mut bad) = (0, 0);
                let mut r = odb.reader();
                let mut buf = Vec::new();
                for (id, data) in &objects2 {
                    match r.read_into(id, &mut buf) {
                        Ok(_) => {
                            assert!(
                                buf == *data,
                                "{what}: wrong bytes for {id} reported as good"
                            );
                            good += 1;
                        }
                        Err(e) => {
                            assert!(
                                matches!(e, Error::NotFound(_)) || e.to_string().contains("pack-"),
                                "an error that names no file: {e}"
                            );
                            bad += 1;
                        }
                    }
                }
                // The base-first walk of every object: the right bytes for
                // each object it hands over, or a typed error.
                let handed = std::sync::atomic::AtomicUsize::new(0);
                let walked = odb.for_each_object(2, |&Visited { id, data, .. }| {
                    assert!(
                        objects2.get(id).is_some_and(|d| d == data),
                        "{what}: the walk hands over wrong bytes for {id}"
                    );
                    handed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    true
                });
                match walked {
                    Ok(_) => assert!(handed.into_inner() <= objects2.len()),
                    Err(e) => assert!(
                        matches!(
                            e,
                            Error::Corrupt { .. } | Error::Map(_) | Error::NotFound(_)
                        ),
                        "{what}: the walk fails untyped: {e}"
                    ),
                }
                (good, bad)
            }
        };
        tx.send(result).unwrap();
    });
    let result = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("reads finish (no hang)");
    worker.join().unwrap();
    result
}

/// Whether the library's verification of the pack notices the corruption.
/// (Reads through tiny windows are `read_all`'s part; here the default ones.)
fn verify_fails(dir: &Path) -> bool {
    let Ok(odb) = OpenOptions::new().open(dir.join("objects")) else {
        return true;
    };
    // A pack git can't use (its index's fan-out goes down, or it doesn't
    // match its index) is left out, as git leaves it out.
    let Some(pack) = odb.packs().first().cloned() else {
        return true;
    };
    let pack = &pack;
    let pack_id = odb.pack_ids().next().unwrap();
    let trailer_fails = pack.verify_checksum(&mut pack.cursors()).is_err()
        || pack
            .index()
            .verify_checksum(&mut pack.index().cursor())
            .is_err();
    let mut r = odb.reader();
    let mut buf = Vec::new();
    let entry_fails = (0..pack.len()).any(|pos| r.verify_entry(pack_id, pos, &mut buf).is_err());
    drop(r);
    // The delta-tree walk agrees, holding bases or decoding them again.
    for limit in [usize::MAX, 0] {
        let walk = odb.verify_pack(
            pack_id,
            &VerifyOptions::new().threads(2).memory_budget(limit),
        );
        assert_eq!(
            walk.is_err(),
            entry_fails,
            "walk (limit {limit}) and entry-by-entry verification disagree: {walk:?}"
        );
    }
    trailer_fails || entry_fails
}

fn suite(repo: &Path, name: &str) -> usize {
    let objects: HashMap<ObjectId, Vec<u8>> = git_objects(repo)
        .into_iter()
        .map(|o| (o.id, o.data))
        .collect();
    let (dir, pack, idx) = scratch(repo, name);
    let pack_bytes = std::fs::read(&pack).unwrap();
    let idx_bytes = std::fs::read(&idx).unwrap();
    let ents = entries(repo, &idx);

    // Where to hit the pack: its header, and in sampled entries the first
    // header byte, the next bytes (size varint, OFS offset or REF id), the
    // zlib header, the middle of the stream and its Adler-32; the trailer.
    // (Every 9th entry: all kinds of entries are hit, in reasonable time.)
    let mut pack_spots: Vec<usize> = (0..12).collect();
    for &(ofs, size) in ents.iter().step_by(9) {
        let (o, s) = (ofs as usize, size as usize);
        pack_spots.extend([o, o + 1, o + 2, o + 3, o + s / 2, o + s - 4, o + s - 1]);
    }
    pack_spots.extend(pack_bytes.len() - 20..pack_bytes.len());
    // And the index: magic and version, fan-out, names, CRCs, offsets, the
    // 64-bit table (if any) and the trailers, sampled through the file.
    let mut idx_spots: Vec<usize> = (0..8).chain((8..idx_bytes.len()).step_by(67)).collect();
    idx_spots.extend(idx_bytes.len() - 40..idx_bytes.len());

    let mut tried = 0;
    for (file, original, spots) in [
        (&pack, &pack_bytes, &pack_spots),
        (&idx, &idx_bytes, &idx_spots),
    ] {
        for &at in spots.iter().filter(|&&at| at < original.len()) {
            for flip in [0xff_u8, 0x01] {
                let mut bytes = original.clone();
                bytes[at] ^= flip;
                std::fs::write(file, &bytes).unwrap();
                read_all(
                    &dir,
                    &objects,
                    &format!("{} byte {at} ^ {flip:#x}", file.display()),
                );
                assert!(
                    verify_fails(&dir),
                    "verification misses a flip of byte {at} of {}",
                    file.display()
                );
                tried += 1;
            }
            // Truncated right there.
            std::fs::write(file, &original[..at]).unwrap();
            let (good, _) = read_all(&dir, &objects, &format!("{} cut at {at}", file.display()));
            assert!(
                good < objects.len() || at == original.len(),
                "a truncation at {at} goes unnoticed"
            );
            assert!(verify_fails(&dir));
            tried += 1;
        }
        std::fs::write(file, original).unwrap();
    }
    assert_eq!(
        read_all(&dir, &objects, "restored"),
        (objects.len(), 0),
        "the restored copy reads whole"
    );
    std::fs::remove_dir_all(dir).unwrap();
    tried
}

#[test]
fn every_structure_flipped_and_truncated() {
    let h = fixture("make_history.sh");
    let mut tried = 0;
    for repo in ["ofs.git", "ref.git", "v1.git", "large-offsets.git"] {
        tried += suite(&h.join(repo), repo);
    }
    println!("corruptions tried: {tried}");
    assert!(tried > 1000);
}
