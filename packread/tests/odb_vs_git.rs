//! For every object of every fixture, packread's kind, size and bytes equal
//! `git cat-file`'s, under every window configuration.

use std::path::Path;

use packread::{Error, Odb, OpenOptions, Reader};
use testkit::{GitObject, configurations, fixture, git_objects};

/// Reads `o` through `reader` into `buf`: git's kind and bytes, or a
/// failure naming `what` and the object.
fn read_as_git(reader: &mut Reader, buf: &mut Vec<u8>, o: &GitObject, what: &str) {
    let kind = reader
        .read_into(&o.id, buf)
        .unwrap_or_else(|e| panic!("{what} {}: {e}", o.id));
    assert_eq!(kind, o.kind, "{what}: kind of {}", o.id);
    assert!(
        *buf == o.data,
        "{what}: bytes of {} ({} vs git's {})",
        o.id,
        buf.len(),
        o.data.len()
    );
}

/// Reads every object git lists through `odb` and compares.
fn check_all(repo: &Path, label: &str, opts: &OpenOptions) -> usize {
    let objects = git_objects(repo);
    let odb = opts
        .open(repo)
        .unwrap_or_else(|e| panic!("{label}: open {}: {e}", repo.display()));
    let mut reader = odb.reader();
    let mut buf = Vec::new();
    for o in &objects {
        read_as_git(&mut reader, &mut buf, o, &format!("{label}: read"));
        let h = reader.header(&o.id).unwrap();
        assert_eq!(
            (h.kind, h.size),
            (o.kind, o.size),
            "{label}: header of {}",
            o.id
        );
        assert!(reader.contains(&o.id).unwrap());
    }
    // Again, backwards and each twice: objects made from deltas are cached
    // by now, and come straight from the cache or serve as bases.
    for o in objects.iter().rev() {
        for pass in 0..2 {
            read_as_git(
                &mut reader,
                &mut buf,
                o,
                &format!("{label}: read again ({pass})"),
            );
        }
    }
    // A reader that keeps every tree its chains pass through (as history
    // walks use it), both ways round.
    let mut walker = odb.reader();
    walker.keep_tree_bases(usize::MAX);
    for o in objects.iter().chain(objects.iter().rev()) {
        read_as_git(
            &mut walker,
            &mut buf,
            o,
            &format!("{label}: read keeping tree bases"),
        );
    }
    // The sorted listing is git's --batch-all-objects order.
    let ids: Vec<_> = objects.iter().map(|o| o.id).collect();
    let listed: Vec<_> = odb.object_ids().collect::<Result<_, _>>().unwrap();
    assert_eq!(listed, ids, "{label}: object ids");
    let stats = odb.manager().stats();
    if label == "tiny-windows" {
        assert!(
            stats.peak_mapped_memory <= 16 * 1024 + 3 * (4096 + 8192),
            "{label}: {stats:?}"
        );
    }
    objects.len()
}

fn check_repo(repo: &Path) {
    for (label, opts) in configurations() {
        let n = check_all(repo, label, &opts);
        assert!(
            n > 0 || repo.ends_with("empty"),
            "{label}: the fixture has objects"
        );
    }
}

#[test]
fn ofs_deltas() {
    check_repo(&fixture("make_history.sh").join("ofs.git"));
}

#[test]
fn ref_deltas() {
    check_repo(&fixture("make_history.sh").join("ref.git"));
}

#[test]
fn index_version_1() {
    let repo = fixture("make_history.sh").join("v1.git");
    let odb = Odb::open(&repo).unwrap();
    assert_eq!(
        odb.packs()[0].index().version(),
        packread::pack::IndexVersion::V1
    );
    check_repo(&repo);
}

#[test]
fn large_offset_table() {
    let repo = fixture("make_history.sh").join("large-offsets.git");
    let odb = Odb::open(&repo).unwrap();
    assert!(
        odb.packs()[0].index().num_large_offsets() > 100,
        "the 64-bit table is in use"
    );
    check_repo(&repo);
}

#[test]
fn deep_delta_chains() {
    let repo = fixture("make_history.sh").join("deep");
    check_repo(&repo);
    // A chain deeper than the limit is refused as corrupt, not followed.
    let odb = OpenOptions::new()
        .max_delta_chain(10)
        .delta_base_cache_limit(0)
        .open(&repo)
        .unwrap();
    let deepest = testkit::git_out(&repo, &["rev-parse", "HEAD~140:f.txt"]);
    let id = packread::ObjectId::from_hex(std::str::from_utf8(&deepest).unwrap().trim()).unwrap();
    let err = odb.read(&id).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Corrupt {
                reason: packread::Corruption::DeltaChainTooLong(10),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn loose_packed_and_alternates() {
    let dir = fixture("make_alternates.sh");
    let top = dir.join("top");
    check_repo(&top);
    let odb = Odb::open(&top).unwrap();
    let dirs = odb.object_dirs();
    assert_eq!(dirs.len(), 3, "own objects, mid's, shared's: {dirs:?}");
    assert!(dirs[1].ends_with("mid/.git/objects") && dirs[2].ends_with("shared/.git/objects"));
    assert!(odb.packs().len() >= 4, "two own packs, mid's and shared's");
}

#[test]
fn sha256_repository() {
    let repo = fixture("make_sha256.sh").join("sha256");
    let odb = Odb::open(&repo).unwrap();
    assert_eq!(odb.hash_kind(), packread::HashKind::Sha256);
    check_repo(&repo);
}

#[test]
fn empty_repository() {
    let repo = fixture("make_empty.sh").join("empty");
    check_repo(&repo);
    let odb = Odb::open(&repo).unwrap();
    let missing = packread::ObjectId::from_hex("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391").unwrap();
    assert!(matches!(odb.read(&missing), Err(Error::NotFound(id)) if id == missing));
    assert!(!odb.contains(&missing).unwrap());
}
