//! Per-entry facts, pack order, prefixes, streams and verification, against git.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use packread::pack::EntryKind;
use packread::pack::verify::VerifyOptions;
use packread::{Error, ObjectId, Odb};
use testkit::{configurations, fixture, git_objects, git_out};

/// `git verify-pack -v` lines by id: (type, size, size in pack, offset, depth+base).
fn git_verify_pack(repo: &Path, idx: &Path) -> HashMap<ObjectId, Vec<String>> {
    let out = git_out(repo, &["verify-pack", "-v", idx.to_str().unwrap()]);
    String::from_utf8(out)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let f: Vec<_> = l.split_whitespace().map(str::to_owned).collect();
            let id = ObjectId::from_hex(f.first()?)?;
            Some((id, f[1..].to_vec()))
        })
        .collect()
}

fn check_entries(repo: &Path) {
    for (label, opts) in configurations() {
        let odb = opts.open(repo).unwrap();
        let mut r = odb.reader();
        let mut buf = Vec::new();
        for (p, pack) in odb.pack_ids().zip(odb.packs()) {
            let git = git_verify_pack(repo, pack.index().path());
            assert_eq!(git.len(), pack.len() as usize);
            let mut one_by_one = Vec::new();
            for pos in 0..pack.len() {
                let info = r
                    .verify_entry(p, pos, &mut buf)
                    .unwrap_or_else(|e| panic!("{label}: {e}"));
                let mut mine = vec![
                    info.kind.to_string(),
                    info.header.size.to_string(),
                    info.size_in_pack.to_string(),
                    info.offset.to_string(),
                ];
                if let Some(base) = info.base {
                    mine.push(info.depth.to_string());
                    mine.push(base.to_string());
                }
                assert_eq!(
                    mine, git[&info.id],
                    "{label}: verify-pack -v line of {}",
                    info.id
                );
                one_by_one.push(info);
            }
            // The delta-tree walk finds the same facts, in pack order, with
            // any number of threads, holding all bases or (almost) none.
            one_by_one.sort_by_key(|i| i.offset);
            for (threads, limit) in [(1, usize::MAX), (3, usize::MAX), (2, 0), (3, 5000)] {
                let done = AtomicU64::new(0);
                let opts = VerifyOptions::new()
                    .threads(threads)
                    .memory_budget(limit)
                    .progress(&done);
                let walked = odb
                    .verify_pack(p, &opts)
                    .unwrap_or_else(|e| panic!("{label}: walk: {e}"));
                assert_eq!(
                    walked, one_by_one,
                    "{label}: {threads} threads, limit {limit}"
                );
                assert_eq!(done.load(Ordering::Relaxed), u64::from(pack.len()));
            }
            pack.verify_checksum(&mut pack.cursors()).unwrap();
            pack.index()
                .verify_checksum(&mut pack.index().cursor())
                .unwrap();
        }
    }
}

#[test]
fn entries_match_verify_pack_for_every_packing() {
    let dir = fixture("make_history.sh");
    for repo in [
        "ofs.git",
        "ref.git",
        "v1.git",
        "large-offsets.git",
        "deep",
        "mixed.git",
    ] {
        check_entries(&dir.join(repo));
    }
    check_entries(&fixture("make_sha256.sh").join("sha256"));
}

#[test]
fn verification_stops_when_interrupted() {
    let repo = fixture("make_history.sh").join("deep");
    let odb = Odb::open(&repo).unwrap();
    let pack = odb.pack_ids().next().unwrap();
    let stop = std::sync::atomic::AtomicBool::new(true);
    let done = AtomicU64::new(0);
    let opts = VerifyOptions::new()
        .threads(2)
        .interrupt(&stop)
        .progress(&done);
    assert!(matches!(
        odb.verify_pack(pack, &opts),
        Err(Error::Interrupted)
    ));
    assert_eq!(
        done.load(Ordering::Relaxed),
        0,
        "nothing checked after the flag"
    );
    stop.store(false, Ordering::Relaxed);
    let entries = odb.verify_pack(pack, &opts).unwrap();
    assert_eq!(entries.len() as u64, done.load(Ordering::Relaxed));
}

#[test]
fn mixed_pack_has_ref_and_ofs_deltas_and_reads_right() {
    let repo = fixture("make_history.sh").join("mixed.git");
    let odb = Odb::open(&repo).unwrap();
    let mut r = odb.reader();
    let (mut ofs, mut refs) = (0, 0);
    for (p, pack) in odb.pack_ids().zip(odb.packs()) {
        for pos in 0..pack.len() {
            match r.entry_info(p, pos).unwrap().header.kind {
                EntryKind::OfsDelta { .. } => ofs += 1,
                EntryKind::RefDelta { .. } => refs += 1,
                EntryKind::Base(_) => {}
            }
        }
    }
    assert!(ofs > 0 && refs > 0, "ofs {ofs}, ref {refs}");
    for o in git_objects(&repo) {
        assert_eq!(r.read(&o.id).unwrap().data, o.data);
    }
}

#[test]
fn pack_order_matches_git_unordered() {
    for repo in [
        fixture("make_alternates.sh").join("top"),
        fixture("make_history.sh").join("ofs.git"),
    ] {
        let out = git_out(
            &repo,
            &[
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objectname)",
                "--unordered",
            ],
        );
        let git: Vec<_> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| ObjectId::from_hex(l).unwrap())
            .collect();
        let odb = Odb::open(&repo).unwrap();
        assert_eq!(
            odb.object_ids_pack_order().unwrap(),
            git,
            "git 2.47's --unordered order, exactly"
        );
    }
}

/// Every pack read in offset order, a delta applied to a held base or to one
/// decoded again (budgets from none to plenty, tiny windows): each entry
/// once, in offset order, with git's bytes.
#[test]
fn pack_order_decoding_gives_git_objects() {
    for repo in [
        fixture("make_history.sh").join("ofs.git"),
        fixture("make_history.sh").join("ref.git"),
        fixture("make_history.sh").join("mixed.git"),
        fixture("make_history.sh").join("deep"),
    ] {
        let git: HashMap<ObjectId, Vec<u8>> = git_objects(&repo)
            .into_iter()
            .map(|o| (o.id, o.data))
            .collect();
        for budget in [0, 4096, 1 << 20, 96 << 20] {
            for (label, opts) in configurations() {
                let odb = opts.delta_base_cache_limit(budget).open(&repo).unwrap();
                // One inflating thread (inline) and two.
                for threads in [1, 2] {
                    for (p, pack) in odb.pack_ids().zip(odb.packs()) {
                        let mut seen = Vec::new();
                        let done = odb
                            .for_each_in_pack_order(p, threads, |object| {
                                let (id, data) = (object.id, object.data);
                                let offset = object.offset.expect("a packed object");
                                assert_eq!(
                                    git.get(id).map(Vec::as_slice),
                                    Some(data),
                                    "{label}, budget {budget}: {id} at {offset} of {}",
                                    repo.display()
                                );
                                seen.push(offset);
                                true
                            })
                            .unwrap();
                        assert!(done);
                        let offsets: Vec<u64> = pack
                            .entries_by_offset(&mut pack.cursors())
                            .unwrap()
                            .iter()
                            .map(|&(o, _)| o)
                            .collect();
                        assert_eq!(seen, offsets, "every entry once, in offset order");
                    }
                }
            }
        }
    }
}

#[test]
fn prefixes_resolve_and_ambiguity_is_reported_even_inside_one_pack() {
    for repo in [
        fixture("make_history.sh").join("ofs.git"),
        fixture("make_alternates.sh").join("top"),
    ] {
        let objects = git_objects(&repo);
        let hexes: Vec<String> = objects.iter().map(|o| o.id.to_hex()).collect();
        let odb = Odb::open(&repo).unwrap();
        let mut r = odb.reader();
        let mut ambiguous_seen = 0;
        for hex in &hexes {
            for len in [2, 3, 4, 5, 7, 40] {
                let prefix = &hex[..len];
                let n = hexes.iter().filter(|h| h.starts_with(prefix)).count();
                match r.resolve_prefix(prefix) {
                    Ok(id) => assert!(n == 1 && id.to_hex() == *hex, "{prefix}: {n} matches"),
                    Err(Error::Ambiguous(p)) => {
                        assert!(n > 1, "{prefix}");
                        assert_eq!(p.to_string(), prefix);
                        ambiguous_seen += 1;
                    }
                    Err(e) => panic!("{prefix}: {e}"),
                }
            }
            // Upper case works too; git's own abbreviation resolves uniquely.
            assert_eq!(
                r.resolve_prefix(&hex.to_uppercase()).unwrap().to_hex(),
                *hex
            );
        }
        assert!(ambiguous_seen > 0);
        let short =
            String::from_utf8(git_out(&repo, &["rev-parse", "--short", &hexes[0]])).unwrap();
        assert_eq!(r.resolve_prefix(short.trim()).unwrap().to_hex(), hexes[0]);
        assert!(matches!(
            r.resolve_prefix("ffffffffff"),
            Err(Error::PrefixNotFound(_))
        ));
        assert!(matches!(r.resolve_prefix("HEAD~2"), Err(Error::InvalidName(n)) if n == "HEAD~2"));
        assert!(matches!(
            r.resolve_prefix(&"a".repeat(41)),
            Err(Error::InvalidName(_))
        ));
    }
    // Inside one pack: two ids of the same pack sharing 3 digits.
    let repo = fixture("make_history.sh").join("ofs.git");
    let odb = Odb::open(&repo).unwrap();
    assert_eq!(odb.packs().len(), 1);
    let mut hexes: Vec<_> = git_objects(&repo).iter().map(|o| o.id.to_hex()).collect();
    hexes.sort();
    let pair = hexes
        .windows(2)
        .find(|w| w[0][..3] == w[1][..3])
        .expect("a 3-digit collision among 340 ids");
    assert!(matches!(
        odb.resolve_prefix(&pair[0][..3]),
        Err(Error::Ambiguous(_))
    ));
}

#[test]
fn streams_yield_exactly_the_objects_bytes() {
    let repo = fixture("make_alternates.sh").join("top");
    for (label, opts) in configurations() {
        let odb = opts.open(&repo).unwrap();
        for o in git_objects(&repo) {
            let mut s = odb.stream(&o.id).unwrap();
            assert_eq!((s.kind(), s.size()), (o.kind, o.size));
            let mut got = Vec::new();
            // Small reads, so that a stream crosses many window ends.
            let mut chunk = [0u8; 777];
            loop {
                let n = s.read(&mut chunk).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&chunk[..n]);
            }
            assert!(got == o.data, "{label}: stream of {}", o.id);
        }
    }
}
