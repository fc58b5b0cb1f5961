//! Resource faults: hundreds of packs under a low open-file limit, and packs
//! removed, truncated, grown or replaced while a database has them open. The
//! answer is always git's bytes or a typed error, never a crash.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use packread::{Error, ObjectId, OpenOptions};
use testkit::{copy_repo, fixture, git_objects};

const CHILD_ENV: &str = "PACKREAD_FD_LIMIT_CHILD_REPO";

#[test]
fn hundreds_of_packs_under_a_low_open_file_limit() {
    if let Ok(repo) = std::env::var(CHILD_ENV) {
        return child(Path::new(&repo));
    }
    let repo = std::fs::canonicalize(fixture("make_many_packs.sh").join("many")).unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 64 && exec "$0" --exact hundreds_of_packs_under_a_low_open_file_limit --nocapture --test-threads 1"#)
        .arg(exe)
        .env(CHILD_ENV, &repo)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("many-packs child ok"), "{stdout}");
}

fn child(repo: &Path) {
    let objects = git_objects(repo);
    let odb = OpenOptions::new().window_size(4096).open(repo).unwrap();
    assert!(odb.packs().len() >= 300, "{} packs", odb.packs().len());
    let mut r = odb.reader();
    let mut buf = Vec::new();
    for round in 0..2 {
        for o in &objects {
            assert_eq!(
                r.read_into(&o.id, &mut buf).unwrap(),
                o.kind,
                "round {round}"
            );
            assert!(buf == o.data);
        }
    }
    let stats = odb.manager().stats();
    assert!(odb.manager().num_open_descriptors() < 64);
    assert!(
        stats.descriptors_closed > 0,
        "descriptors ran out and were given back: {stats:?}"
    );
    println!(
        "many-packs child ok: {} packs, {} objects, {stats:?}",
        odb.packs().len(),
        objects.len()
    );
}

fn the_pack(repo: &Path) -> PathBuf {
    let dir = repo.join("objects/pack");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap()
}

/// Reads every object: git's bytes, or a typed error naming the pack, or
/// (if `gone`) no such object.
fn read_all_or_gone(
    odb: &packread::Odb,
    objects: &HashMap<ObjectId, Vec<u8>>,
    gone: bool,
) -> (usize, usize) {
    let mut r = odb.reader();
    let mut buf = Vec::new();
    let (mut good, mut bad) = (0, 0);
    for (id, data) in objects {
        match r.read_into(id, &mut buf) {
            Ok(_) => {
                assert!(buf == *data, "wrong bytes for {id}");
                good += 1;
            }
            Err(Error::NotFound(missing)) if gone && missing == *id => bad += 1,
            Err(e) => {
                assert!(matches!(e, Error::Map(_) | Error::Corrupt { .. }), "{e}");
                bad += 1;
            }
        }
    }
    (good, bad)
}

/// Reads every object: git's bytes, or a typed error naming the pack.
fn read_all(odb: &packread::Odb, objects: &HashMap<ObjectId, Vec<u8>>) -> (usize, usize) {
    read_all_or_gone(odb, objects, false)
}

#[test]
fn packs_removed_truncated_grown_or_replaced_between_reads() {
    let src = fixture("make_history.sh").join("ofs.git");
    let objects: HashMap<ObjectId, Vec<u8>> = git_objects(&src)
        .into_iter()
        .map(|o| (o.id, o.data))
        .collect();
    let opts = OpenOptions::new().window_size(4096).max_memory(32 * 1024);

    // Removed: the descriptors still held keep reading the unlinked files
    // (correct bytes); once they are closed, the directories are scanned
    // again and the objects are gone, as for git.
    let repo = copy_repo(&src, "removed");
    let odb = opts.open(&repo).unwrap();
    assert_eq!(read_all(&odb, &objects), (objects.len(), 0));
    let pack = the_pack(&repo);
    std::fs::remove_file(&pack).unwrap();
    std::fs::remove_file(pack.with_extension("idx")).unwrap();
    assert_eq!(
        read_all(&odb, &objects),
        (objects.len(), 0),
        "held descriptors read on"
    );
    odb.manager().collect();
    let (_, bad) = read_all_or_gone(&odb, &objects, true);
    assert!(bad > 0, "reads that need new windows find no object");
    drop(odb);

    // Truncated to half: objects in the first half still read (their windows
    // are checked before reuse), the rest fail, typed. No SIGBUS.
    let repo = copy_repo(&src, "truncated");
    let odb = opts.open(&repo).unwrap();
    assert_eq!(read_all(&odb, &objects), (objects.len(), 0));
    let pack = the_pack(&repo);
    let len = std::fs::metadata(&pack).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&pack)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    // Idle windows are rechecked once the last check is this old.
    std::thread::sleep(smmap::IDLE_RECHECK_INTERVAL + std::time::Duration::from_millis(50));
    let (good, bad) = read_all(&odb, &objects);
    assert!(good > 0 && bad > 0, "good {good}, bad {bad}");
    drop(odb);

    // Grown: appended bytes are never read; everything still reads.
    let repo = copy_repo(&src, "grown");
    let odb = opts.open(&repo).unwrap();
    let pack = the_pack(&repo);
    let mut bytes = std::fs::read(&pack).unwrap();
    bytes.resize(bytes.len() + 100_000, 0x55);
    std::fs::write(&pack, &bytes).unwrap();
    assert_eq!(read_all(&odb, &objects), (objects.len(), 0));
    drop(odb);

    // Replaced by another file under the same name: old descriptors keep
    // reading the old file; once they are gone, the database fails, typed,
    // rather than read the old index's offsets in the new file.
    let repo = copy_repo(&src, "replaced");
    let odb = opts.open(&repo).unwrap();
    assert_eq!(read_all(&odb, &objects), (objects.len(), 0));
    let pack = the_pack(&repo);
    let tmp = pack.with_extension("tmp");
    std::fs::write(&tmp, vec![0x42; bytes.len()]).unwrap();
    std::fs::rename(&tmp, &pack).unwrap();
    odb.manager().collect();
    let (_, bad) = read_all(&odb, &objects);
    assert!(bad > 0);
    for dir in ["removed", "truncated", "grown", "replaced"] {
        std::fs::remove_dir_all(
            std::env::temp_dir().join(format!("packread-test-{}-{dir}", std::process::id())),
        )
        .unwrap();
    }
}

/// A pack written while the database is open (a `git gc` or fetch beside a
/// long batch) is found: a lookup that misses scans the directories again,
/// as git does, and so does an abbreviation no object has.
#[test]
fn packs_written_while_open_are_found_after_a_miss() {
    use std::io::Write as _;

    let src = fixture("make_history.sh").join("ofs.git");
    let repo = copy_repo(&src, "new-pack");
    let odb = OpenOptions::new().window_size(4096).open(&repo).unwrap();
    let mut reader = odb.reader();
    let before = odb.packs().len();
    // A new object, packed on its own into a second pack.
    let mut hash = testkit::git(&repo)
        .args(["hash-object", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    hash.stdin
        .take()
        .unwrap()
        .write_all(b"appeared later\n")
        .unwrap();
    let out = hash.wait_with_output().unwrap();
    let hex = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let id = ObjectId::from_hex(&hex).unwrap();
    let mut pack = testkit::git(&repo)
        .args(["pack-objects", "-q", "objects/pack/pack"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    pack.stdin
        .take()
        .unwrap()
        .write_all(format!("{hex}\n").as_bytes())
        .unwrap();
    assert!(pack.wait().unwrap().success());
    std::fs::remove_file(repo.join("objects").join(&hex[..2]).join(&hex[2..])).unwrap();
    // Found through the new pack, by a reader made before it existed.
    let loc = reader.locate(&id).unwrap().expect("found after a rescan");
    assert!(matches!(loc, packread::Location::Packed { .. }), "{loc:?}");
    assert_eq!(reader.read(&id).unwrap().data, b"appeared later\n");
    assert_eq!(odb.packs().len(), before + 1);
    // Other readers catch up too, and so do abbreviations.
    assert_eq!(odb.reader().resolve_prefix(&hex[..10]).unwrap(), id);
    // Without refreshing on a miss, a database opened before the pack was
    // written doesn't find it until asked to refresh.
    let repo2 = copy_repo(&src, "no-refresh");
    let quiet = OpenOptions::new()
        .refresh_on_miss(false)
        .open(&repo2)
        .unwrap();
    for entry in std::fs::read_dir(repo.join("objects/pack")).unwrap() {
        let path = entry.unwrap().path();
        let to = repo2.join("objects/pack").join(path.file_name().unwrap());
        if !to.exists() {
            std::fs::copy(&path, &to).unwrap();
        }
    }
    assert_eq!(quiet.locate(&id).unwrap(), None);
    quiet.refresh().unwrap();
    assert!(quiet.locate(&id).unwrap().is_some());
    std::fs::remove_dir_all(&repo2).unwrap();
    std::fs::remove_dir_all(&repo).unwrap();
}
