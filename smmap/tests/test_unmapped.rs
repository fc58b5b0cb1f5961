//! Reads that map nothing: `WindowCursor::read_unmapped` (a window already
//! mapped, else a positional read of the file) and
//! `WindowCursor::use_mapped_region` (a window already mapped, or nothing).

mod common;

use common::{FileCreator, Rng, pattern};
use smmap::{Action, Error, SlidingWindowMapManager, StaticWindowMapManager, WindowCursor};

#[test]
fn read_unmapped_gives_the_files_bytes_and_maps_nothing() {
    let f = FileCreator::new(100_000, "unmapped-read");
    let data = pattern(f.size());
    let man = SlidingWindowMapManager::with_limits(4096, 4 * 4096, 0);
    let mut c = man.make_cursor(f.path());
    let mut rng = Rng::new(7);
    for _ in 0..200 {
        let at = rng.range(0, f.size());
        let len = rng.range(0, 20_000) as usize;
        let mut buf = vec![0u8; len];
        let n = c.read_unmapped(at, &mut buf).unwrap();
        let want = &data[at as usize..(at as usize + len).min(data.len())];
        assert_eq!(n, want.len(), "at {at} len {len}");
        assert_eq!(&buf[..n], want, "at {at} len {len}");
    }
    // Past the end: nothing.
    assert_eq!(c.read_unmapped(f.size() + 10, &mut [0u8; 4]).unwrap(), 0);
    assert_eq!(man.stats().windows_mapped, 0);
    assert_eq!(man.mapped_memory_size(), 0);
    // No descriptor is kept for a file without windows.
    assert_eq!(man.num_open_descriptors(), 0);
    assert!(!c.is_valid());
}

#[test]
fn read_unmapped_copies_from_a_window_in_use_and_leaves_the_cursor_alone() {
    let f = FileCreator::new(50_000, "unmapped-window");
    let data = pattern(f.size());
    let man = SlidingWindowMapManager::with_limits(8192, 0, 0);
    let mut mapped = man.make_cursor(f.path());
    mapped.use_region(8192, 100).unwrap();
    let mut c = man.make_cursor(f.path());
    let mut buf = [0u8; 1000];
    // Inside the window another cursor holds, across its end, and elsewhere.
    for at in [9000u64, 16_000, 30_000] {
        assert_eq!(c.read_unmapped(at, &mut buf).unwrap(), 1000);
        assert_eq!(&buf[..], &data[at as usize..at as usize + 1000]);
    }
    assert_eq!(man.stats().windows_mapped, 1);
    assert!(!c.is_valid());
    // A cursor reads from its own window, and stays on it.
    c.use_region(40_960, 10).unwrap();
    assert_eq!(c.read_unmapped(41_000, &mut buf).unwrap(), 1000);
    assert_eq!(&buf[..], &data[41_000..42_000]);
    assert_eq!((c.ofs_begin(), c.size()), (40_960, 10));
}

#[test]
fn use_mapped_region_moves_only_onto_windows_already_mapped() {
    let f = FileCreator::new(50_000, "mapped-only");
    let data = pattern(f.size());
    let man = SlidingWindowMapManager::with_limits(8192, 0, 0);
    let mut c = man.make_cursor(f.path());
    // Nothing mapped: nothing happens.
    assert!(!c.use_mapped_region(100, 10).unwrap());
    assert!(!c.is_valid());
    assert_eq!(man.stats().windows_mapped, 0);
    let mut other = man.make_cursor(f.path());
    other.use_region(8192, 100).unwrap();
    assert!(c.use_mapped_region(10_000, 500).unwrap());
    assert_eq!((c.ofs_begin(), c.size()), (10_000, 500));
    assert_eq!(c.buffer(), &data[10_000..10_500]);
    let end = c.region().unwrap().ofs_end();
    // A range the window doesn't hold whole: the cursor stays put.
    assert!(!c.use_mapped_region(end - 100, 500).unwrap());
    assert!(!c.use_mapped_region(end + 100, 5).unwrap());
    assert_eq!(c.ofs_begin(), 10_000);
    // Size 0 asks for the rest of the window, as `use_region` does.
    assert!(c.use_mapped_region(9000, 0).unwrap());
    assert_eq!(c.ofs_end(), end);
    // An idle window (both cursors off it), the file checked a moment ago.
    drop(other);
    c.unuse_region();
    assert!(c.use_mapped_region(12_000, 4).unwrap());
    assert_eq!(c.buffer(), &data[12_000..12_004]);
    assert_eq!(man.stats().windows_mapped, 1);
}

#[test]
fn a_static_managers_window_serves_every_read() {
    let f = FileCreator::new(30_000, "unmapped-static");
    let data = pattern(f.size());
    let man = StaticWindowMapManager::new();
    let mut first = man.make_cursor(f.path());
    first.use_region(0, 1).unwrap();
    let mut c = man.make_cursor(f.path());
    assert!(c.use_mapped_region(29_000, 1000).unwrap());
    assert_eq!(c.buffer(), &data[29_000..]);
    let mut buf = [0u8; 100];
    assert_eq!(c.read_unmapped(5, &mut buf).unwrap(), 100);
    assert_eq!(&buf[..], &data[5..105]);
    assert_eq!(man.stats().windows_mapped, 1);
}

#[test]
fn errors_name_what_failed() {
    let dir = common::temp_dir("unmapped-missing");
    let man = SlidingWindowMapManager::new();
    let mut c = man.make_cursor(dir.join("missing"));
    let err = c.read_unmapped(0, &mut [0u8; 4]).unwrap_err();
    assert!(
        matches!(&err, Error::Io { action: Action::Open, path: Some(p), .. } if p.ends_with("missing")),
        "{err:?}"
    );
    assert_eq!(man.num_open_descriptors(), 0);
    // Nothing mapped there: false, not an error.
    assert!(!c.use_mapped_region(0, 4).unwrap());
    let mut none = WindowCursor::default();
    assert!(matches!(
        none.read_unmapped(0, &mut [0u8; 4]),
        Err(Error::NotAssociated)
    ));
    assert!(matches!(
        none.use_mapped_region(0, 4),
        Err(Error::NotAssociated)
    ));
    let _ = std::fs::remove_dir_all(dir);
}
