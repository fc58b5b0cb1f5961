//! One test per upstream defect (D1–D11 of the behaviour notes) that this port fixes.

mod common;

use std::io::Write;

use common::{FileCreator, pattern, pattern_byte};
use smmap::{Error, SlidingWindowMapManager, StaticWindowMapManager, allocation_granularity};

const G: u64 = 4096;

/// D1: eviction is least recently used, not "first idle region in insertion order".
#[test]
fn d1_eviction_is_least_recently_used() {
    if allocation_granularity() != G {
        return;
    }
    let fc = FileCreator::new(40 * G, "d1");
    // Windows of 10 pages; room for two of them.
    let man = SlidingWindowMapManager::with_limits(10 * G as usize, 20 * G as usize, 0);
    let mut c = man.make_cursor(fc.path());
    for ofs in [0, 10 * G] {
        c.use_region(ofs, 10 * G as usize).unwrap();
    }
    // Touch the first window again: now the second is the least recently used.
    c.use_region(0, 1).unwrap();
    c.unuse_region();
    c.use_region(20 * G, 10 * G as usize).unwrap();
    let mut probe = man.make_cursor(fc.path());
    assert_eq!(man.num_file_handles(), 2);
    assert_eq!(man.stats().windows_mapped, 3);
    // The window at 0 survived: using it maps nothing new.
    probe.use_region(5, 1).unwrap();
    assert_eq!(
        man.stats().windows_mapped,
        3,
        "upstream would have evicted the window at 0"
    );
    assert_eq!(probe.region().unwrap().ofs_begin(), 0);
    probe.use_region(10 * G + 5, 1).unwrap();
    assert_eq!(
        man.stats().windows_mapped,
        4,
        "the window at 10 pages was the one unloaded"
    );
}

/// D1 across files: the file whose cursor was made first does not lose first.
#[test]
fn d1_lru_across_files() {
    let a = FileCreator::new(3 * G, "d1a");
    let b = FileCreator::new(3 * G, "d1b");
    let man = SlidingWindowMapManager::with_limits(0, 0, 2);
    let mut ca = man.make_cursor(a.path());
    let mut cb = man.make_cursor(b.path());
    ca.use_region(0, 1).unwrap();
    cb.use_region(0, 1).unwrap();
    cb.unuse_region();
    ca.unuse_region(); // a used last
    let c = FileCreator::new(3 * G, "d1c");
    let mut cc = man.make_cursor(c.path());
    cc.use_region(0, 1).unwrap();
    let before = man.stats().windows_mapped;
    ca.use_region(1, 1).unwrap();
    assert_eq!(
        man.stats().windows_mapped,
        before,
        "a's window stayed: b's was the least recently used"
    );
    // Both mapped windows are in use now: the limit is hard.
    assert!(matches!(
        cb.use_region(1, 1),
        Err(Error::HandleLimit { limit: 2, .. })
    ));
    ca.unuse_region();
    cb.use_region(1, 1).unwrap();
    assert_eq!(man.stats().windows_mapped, before + 1);
}

/// D2: a copied cursor is a complete, independent cursor.
#[test]
fn d2_cursor_copies_work() {
    let fc = FileCreator::new(100_000, "d2");
    let data = pattern(fc.size());
    let man = SlidingWindowMapManager::with_limits(8192, 0, 0);
    let mut a = man.make_cursor(fc.path());
    a.use_region(100, 10).unwrap();
    let mut b = a.clone();
    assert_eq!(a.region().unwrap().client_count(), 3);
    assert_eq!(b.buffer(), &data[100..110]);
    b.use_region(90_000, 10).unwrap();
    assert_eq!(b.buffer(), &data[90_000..90_010]);
    assert_eq!(b.file_size().unwrap(), fc.size());
    assert_eq!(
        a.buffer(),
        &data[100..110],
        "moving the copy leaves the original alone"
    );
    assert_eq!(a.region().unwrap().client_count(), 2);
    let mut c = smmap::WindowCursor::default();
    c.clone_from(&b);
    assert_eq!(c.buffer(), &data[90_000..90_010]);
    drop((a, b, c));
    assert_eq!(man.collect(), 2);
}

/// D3: dropping one of several cursors never orphans the file's windows.
#[test]
fn d3_no_orphaned_region_lists() {
    let fc = FileCreator::new(50_000, "d3");
    let man = SlidingWindowMapManager::new();
    let first = man.make_cursor(fc.path());
    let mut second = man.make_cursor(fc.path());
    drop(first);
    second.use_region(0, 1).unwrap();
    assert_eq!(man.num_file_handles(), 1);
    assert_eq!(man.num_open_files(), 1);
    let mut third = man.make_cursor(fc.path());
    third.use_region(10, 1).unwrap();
    assert_eq!(
        man.num_file_handles(),
        1,
        "a new cursor reuses the window, no duplicate mapping"
    );
    drop((second, third));
    assert_eq!(man.collect(), 1, "the window is collectable");
    assert_eq!(
        (
            man.num_file_handles(),
            man.num_open_files(),
            man.num_open_descriptors()
        ),
        (0, 0, 0)
    );
}

/// D4: a window in use is never unmapped; `collect()` and limits leave it alone
/// and the books stay right. (That a slice can't outlive its cursor's move is
/// checked by the compiler: see the `compile_fail` example on `WindowCursor`.)
#[test]
fn d4_windows_in_use_are_never_unmapped() {
    let fc = FileCreator::new(64 * G, "d4");
    let data = pattern(fc.size());
    let man = SlidingWindowMapManager::with_limits(4 * G as usize, 4 * G as usize, 0);
    let mut held = man.make_cursor(fc.path());
    held.use_region(0, 0).unwrap();
    let mut mover = man.make_cursor(fc.path());
    for i in 1..16 {
        mover.use_region(i * 4 * G, 0).unwrap();
        assert_eq!(mover.buffer()[0], pattern_byte(i * 4 * G));
    }
    assert_eq!(man.collect(), 0, "both windows are in use");
    assert_eq!(held.buffer(), &data[..4 * G as usize]);
    assert_eq!(man.num_file_handles(), 2);
    assert_eq!(
        man.mapped_memory_size(),
        8 * G as usize,
        "over the soft limit only by windows in use"
    );
    mover.unuse_region();
    assert_eq!(man.collect(), 1);
    assert_eq!(man.mapped_memory_size(), 4 * G as usize);
    assert_eq!(held.buffer()[4095], data[4095]);
}

/// D5: offsets are unsigned, and huge ones just leave the cursor invalid.
#[test]
fn d5_no_bogus_regions_for_out_of_range_offsets() {
    let fc = FileCreator::new(10_000, "d5");
    let man = SlidingWindowMapManager::new();
    let mut c = man.make_cursor(fc.path());
    assert!(!c.use_region(u64::MAX, 10).unwrap().is_valid());
    assert!(!c.use_region(u64::MAX - 1, 0).unwrap().is_valid());
    assert_eq!(man.num_file_handles(), 0);
    assert_eq!(
        man.num_open_descriptors(),
        0,
        "no descriptor is kept for an invalid request"
    );
}

/// D6: a file that grows is seen at its new size, by both managers.
#[test]
fn d6_growing_files_are_seen_at_their_new_size() {
    for static_manager in [false, true] {
        let fc = FileCreator::new(10_000, "d6");
        let man: smmap::MapManager = if static_manager {
            StaticWindowMapManager::new().into()
        } else {
            SlidingWindowMapManager::with_limits(8192, 0, 0).into()
        };
        let mut c = man.make_cursor(fc.path());
        c.use_region(9_000, 0).unwrap();
        assert_eq!(c.file_size().unwrap(), 10_000);
        let more: Vec<u8> = (10_000..20_000).map(pattern_byte).collect();
        std::fs::OpenOptions::new()
            .append(true)
            .open(fc.path())
            .unwrap()
            .write_all(&more)
            .unwrap();
        assert_eq!(c.file_size().unwrap(), 20_000);
        let mut d = c.clone();
        assert!(d.use_region(15_000, 100).unwrap().is_valid());
        assert_eq!(d.buffer(), &pattern(15_100)[15_000..]);
        // Across the old end of file (the old last window ends unaligned there).
        assert!(d.use_region(9_990, 20).unwrap().is_valid());
        let got = d.buffer().to_vec();
        assert_eq!(got[..], pattern(9_990 + got.len() as u64)[9_990..]);
        c.use_region(10_000, 0).unwrap();
        assert_eq!(c.buffer()[0], pattern_byte(10_000));
    }
}

/// D6 the other way: a shrunken file's idle windows past its end are unloaded
/// when a new window is mapped, and new windows never reach past the end.
#[test]
fn d6_shrinking_files_drop_windows_past_the_end() {
    let fc = FileCreator::new(100 * G, "d6s");
    let man = SlidingWindowMapManager::with_limits(16 * G as usize, 0, 0);
    let mut c = man.make_cursor(fc.path());
    c.use_region(90 * G, 0).unwrap();
    c.unuse_region();
    std::fs::OpenOptions::new()
        .write(true)
        .open(fc.path())
        .unwrap()
        .set_len(20 * G)
        .unwrap();
    assert!(c.use_region(0, 0).unwrap().is_valid());
    assert_eq!(
        man.num_file_handles(),
        1,
        "the window past the new end was unloaded"
    );
    assert!(!c.use_region(90 * G, 0).unwrap().is_valid());
}

/// D7 is covered by `test_buf` (relative indices, empty and reversed slices).
/// D8: the static manager honours the handle limit; D9: as a typed error.
#[test]
fn d8_d9_static_manager_handle_limit_is_enforced_and_typed() {
    let a = FileCreator::new(10_000, "d8a");
    let b = FileCreator::new(10_000, "d8b");
    let man = StaticWindowMapManager::with_limits(0, 1, 1);
    let mut ca = man.make_cursor(a.path());
    let mut cb = man.make_cursor(b.path());
    ca.use_region(0, 0).unwrap();
    let err = cb.use_region(0, 0).unwrap_err();
    assert!(
        matches!(err, Error::HandleLimit { limit: 1, offset: 0, ref path } if path.as_deref() == Some(b.path()))
    );
    assert!(
        err.to_string().contains("all 1 allowed windows are in use"),
        "{err}"
    );
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::ResourceBusy);
    ca.unuse_region();
    assert!(
        cb.use_region(0, 0).unwrap().is_valid(),
        "the idle window made room"
    );
    assert_eq!(man.num_file_handles(), 1);
    assert_eq!(cb.buffer(), &pattern(10_000)[..]);
}

/// A path replaced by another file while windows of the old one are in use
/// gives an error instead of mixing two files; once released, the new file is read.
#[test]
fn replaced_files_are_never_mixed() {
    let fc = FileCreator::new(64 * G, "replaced");
    let man = SlidingWindowMapManager::with_limits(4 * G as usize, 0, 0);
    let mut old = man.make_cursor(fc.path());
    old.use_region(0, 0).unwrap();
    // Free the descriptor, as happens under descriptor pressure.
    let mut other = man.make_cursor(fc.path());
    other.use_region(40 * G, 0).unwrap();
    let tmp = fc.path().with_extension("new");
    std::fs::write(&tmp, vec![0xAB; 64 * G as usize]).unwrap();
    std::fs::rename(&tmp, fc.path()).unwrap();
    // The descriptor is still the old file's: new windows come from it.
    other.use_region(20 * G, 0).unwrap();
    assert_eq!(other.buffer()[0], pattern_byte(20 * G));
    drop(other);
    man.collect(); // unloads the idle windows; `old` still holds its window
    assert_eq!(man.num_open_descriptors(), 1);
    // Simulate the descriptor being closed early, then ask for a new window.
    drop(old);
    assert_eq!(man.collect(), 1);
    let mut fresh = man.make_cursor(fc.path());
    assert_eq!(
        fresh.use_region(20 * G, 0).unwrap().buffer()[0],
        0xAB,
        "once nothing old is in use, the new file is read"
    );
}

/// D9 also covers I/O failures: they name the file and the action.
#[test]
fn d9_io_errors_are_typed_and_name_the_file() {
    let dir = common::temp_dir("d9");
    let missing = dir.join("no-such-pack.pack");
    let man = SlidingWindowMapManager::new();
    let mut c = man.make_cursor(&missing);
    let err = c.use_region(0, 1).unwrap_err();
    assert!(matches!(
        err,
        Error::Io {
            action: smmap::Action::Open,
            ..
        }
    ));
    assert!(err.to_string().contains("no-such-pack.pack"), "{err}");
    assert!(matches!(
        c.file_size(),
        Err(Error::Io {
            action: smmap::Action::Stat,
            ..
        })
    ));
    assert!(matches!(
        smmap::WindowCursor::default().use_region(0, 0),
        Err(Error::NotAssociated)
    ));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A file truncated while one of its windows is cached idle: the window is
/// checked before it goes back into use, so reads past the new end give an
/// invalid cursor (not SIGBUS) and reads before it get a window within it.
#[test]
fn truncated_files_are_checked_before_idle_windows_are_reused() {
    let fc = FileCreator::new(64 * G, "trunc-idle");
    let man = SlidingWindowMapManager::with_limits(16 * G as usize, 0, 0);
    let mut c = man.make_cursor(fc.path());
    c.use_region(0, 0).unwrap();
    assert_eq!(c.region().unwrap().size() as u64, 16 * G);
    c.unuse_region(); // idle, still cached
    std::fs::OpenOptions::new()
        .write(true)
        .open(fc.path())
        .unwrap()
        .set_len(4 * G)
        .unwrap();
    // The size learnt when the window was mapped is trusted this long.
    std::thread::sleep(smmap::IDLE_RECHECK_INTERVAL + std::time::Duration::from_millis(50));
    assert!(
        !c.use_region(5 * G, 1).unwrap().is_valid(),
        "past the new end: invalid, no SIGBUS"
    );
    assert!(c.use_region(G, 1).unwrap().is_valid());
    let r = c.region().unwrap();
    assert!(
        r.ofs_end() <= 4 * G,
        "the new window lies within the file: {r:?}"
    );
    assert_eq!(c.buffer()[0], pattern_byte(G));
    assert_eq!(man.num_file_handles(), 1, "the stale window was unloaded");
}

/// A path replaced after its windows and descriptor are gone (say, closed
/// under descriptor pressure): cursors that knew the old file fail with
/// `FileReplaced` on every request, never read the new file's bytes as the
/// old's; a cursor made after they are gone reads the new file.
#[test]
fn replaced_files_fail_for_cursors_of_the_old_one() {
    let fc = FileCreator::new(16 * G, "replaced-sticky");
    let man = SlidingWindowMapManager::with_limits(4 * G as usize, 0, 0);
    let mut c = man.make_cursor(fc.path());
    c.use_region(0, 0).unwrap();
    c.unuse_region();
    assert_eq!(man.collect(), 1);
    assert_eq!(man.num_open_descriptors(), 0);
    let tmp = fc.path().with_extension("new");
    std::fs::write(&tmp, vec![0xCD; 16 * G as usize]).unwrap();
    std::fs::rename(&tmp, fc.path()).unwrap();
    for _ in 0..2 {
        let err = c.use_region(G, 1).unwrap_err();
        assert!(matches!(err, Error::FileReplaced { .. }), "{err}");
    }
    drop(c);
    let mut fresh = man.make_cursor(fc.path());
    assert_eq!(fresh.use_region(G, 1).unwrap().buffer()[0], 0xCD);
}

/// A path replaced while cursors of the old file live, one of them still
/// holding a window: the old cursors keep their window's bytes and fail on
/// new ones, say they are no longer current, and a cursor made now reads
/// the new file at once (as a reader that rescans a repacked directory
/// needs), each with its own descriptor.
#[test]
fn new_cursors_read_the_new_file_while_old_ones_live() {
    let fc = FileCreator::new(16 * G, "replaced-live");
    let man = SlidingWindowMapManager::with_limits(4 * G as usize, 0, 0);
    let mut holding = man.make_cursor(fc.path());
    holding.use_region(0, 1).unwrap();
    let mut idle = holding.clone();
    idle.unuse_region();
    assert!(holding.is_current());
    let tmp = fc.path().with_extension("new");
    std::fs::write(&tmp, vec![0xEF; 16 * G as usize]).unwrap();
    std::fs::rename(&tmp, fc.path()).unwrap();
    assert!(!holding.is_current() && !idle.is_current());

    let mut fresh = man.make_cursor(fc.path());
    assert!(fresh.is_current());
    assert_eq!(fresh.use_region(8 * G, 1).unwrap().buffer()[0], 0xEF);
    assert_eq!(holding.buffer()[0], pattern_byte(0), "the old window stays");
    assert_eq!(man.num_open_descriptors(), 2, "one per file");
    // The old record's descriptor is the old file's: it may still map it.
    assert_eq!(
        idle.use_region(8 * G, 1).unwrap().buffer()[0],
        pattern_byte(8 * G)
    );
    // Once its descriptor is closed, the old record refuses every window.
    drop(holding);
    idle.unuse_region();
    man.collect();
    let err = idle.use_region(G, 1).unwrap_err();
    assert!(matches!(err, Error::FileReplaced { .. }), "{err}");
    assert_eq!(fresh.use_region(G, 1).unwrap().buffer()[0], 0xEF);

    // A deleted path: not current; a cursor made anew fails to open it.
    std::fs::remove_file(fc.path()).unwrap();
    assert!(!fresh.is_current());
    let err = man.make_cursor(fc.path()).use_region(0, 1).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}
