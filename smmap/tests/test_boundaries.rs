//! Boundaries where the port must place and answer as upstream smmap 5.0.3:
//! placement of requests that reach past the end of the file, `find`/`rfind`
//! across three or more windows, descriptors left open for files without
//! windows, the meaning of `OutOfBounds`, and a static manager's file that
//! grew; and cursors on descriptors the caller keeps.

mod common;

use std::io::Write;

use common::{FileCreator, pattern};
use smmap::{Error, SlidingWindowMapBuffer, SlidingWindowMapManager, StaticWindowMapManager};

/// Upstream takes a request of size 0 as the file's size before placing it:
/// `size = min(size or fsize, window_size or fsize)`.
#[test]
fn requests_past_the_end_are_placed_as_upstream_places_them() {
    let f = FileCreator::new(68_342, "place-small");
    let man = SlidingWindowMapManager::with_limits(79_198, 0, 0);
    // Upstream 5.0.3: MapRegion<53248, 15094>, cursor (67392, 950).
    let mut c = man.make_cursor(f.path());
    c.use_region(67_392, 0).unwrap();
    let r = c.region().unwrap();
    assert_eq!((r.ofs_begin(), r.size()), (53_248, 15_094));
    assert_eq!((c.ofs_begin(), c.size()), (67_392, 950));
    // An explicit size is clamped to the window only, as upstream does.
    let man = SlidingWindowMapManager::with_limits(79_198, 0, 0);
    let mut c = man.make_cursor(f.path());
    c.use_region(67_392, 1_000_000).unwrap();
    let r = c.region().unwrap();
    assert_eq!((r.ofs_begin(), r.size()), (65_536, 2_806));
    // A file larger than the window: unchanged (the window size clamps).
    let big = FileCreator::new(8_005_195, "place-big");
    let man = SlidingWindowMapManager::with_limits(80_051, 0, 0);
    let mut c = man.make_cursor(big.path());
    c.use_region(7_969_170, 40_025).unwrap();
    let r = c.region().unwrap();
    assert_eq!((r.ofs_begin(), r.size()), (7_925_760, 79_435));
    assert_eq!(c.size(), 36_025);
}

#[test]
fn find_and_rfind_match_needles_longer_than_two_windows() {
    let data = pattern(64 * 1024);
    let f = FileCreator::new(data.len() as u64, "find-long");
    let man = SlidingWindowMapManager::with_limits(4096, 16 * 4096, 0);
    let mut buf = SlidingWindowMapBuffer::new(man.make_cursor(f.path()), 0, u64::MAX).unwrap();
    for (at, len) in [(1000, 9000), (4095, 12_289), (0, 20_000), (30_001, 4097)] {
        let needle = &data[at..at + len];
        let want = memchr::memmem::find(&data, needle).unwrap() as u64;
        let want_r = memchr::memmem::rfind(&data, needle).unwrap() as u64;
        assert_eq!(buf.find(needle, ..).unwrap(), Some(want), "find {at}+{len}");
        assert_eq!(
            buf.rfind(needle, ..).unwrap(),
            Some(want_r),
            "rfind {at}+{len}"
        );
        // Within a range that cuts the match off: not found.
        let end = at as u64 + len as u64 - 1;
        assert_eq!(buf.find(needle, ..end).unwrap(), None);
        assert_eq!(buf.rfind(needle, at as u64 + 1..).unwrap(), None);
    }
}

#[test]
fn a_refused_window_leaves_no_descriptor_open() {
    let a = FileCreator::new(10_000, "fd-a");
    let b = FileCreator::new(10_000, "fd-b");
    let man = SlidingWindowMapManager::with_limits(4096, 0, 1);
    let mut ca = man.make_cursor(a.path());
    ca.use_region(0, 1).unwrap();
    let mut cb = man.make_cursor(b.path());
    assert!(matches!(
        cb.use_region(0, 1),
        Err(Error::HandleLimit { limit: 1, .. })
    ));
    assert_eq!(
        man.num_open_descriptors(),
        1,
        "only a's, which has a window"
    );
    // A path that is a directory opens and stats, then fails to map (a's
    // idle window is unloaded first to make room: the handle limit is 1).
    let dir = a.path().parent().unwrap();
    let mut cd = man.make_cursor(dir);
    ca.unuse_region();
    assert!(matches!(
        cd.use_region(0, 1),
        Err(Error::Io {
            action: smmap::Action::Map,
            ..
        })
    ));
    assert_eq!(man.num_file_handles(), 0);
    assert_eq!(
        man.num_open_descriptors(),
        0,
        "neither a's nor the directory's"
    );
}

#[test]
fn out_of_bounds_names_the_offset_and_the_length_of_what_it_indexes() {
    let f = FileCreator::new(20_000, "oob");
    let man = SlidingWindowMapManager::with_limits(4096, 0, 0);
    let mut buf = SlidingWindowMapBuffer::new(man.make_cursor(f.path()), 100, u64::MAX).unwrap();
    // A buffer index past the buffer: the buffer's length.
    match buf.slice(0..20_000) {
        Err(Error::OutOfBounds { offset, len, .. }) => assert_eq!((offset, len), (20_000, 19_900)),
        other => panic!("{other:?}"),
    }
    // A file offset past a file that shrank: the file's length.
    std::fs::OpenOptions::new()
        .write(true)
        .open(f.path())
        .unwrap()
        .set_len(9_000)
        .unwrap();
    match buf.get(15_000) {
        Err(Error::OutOfBounds { offset, len, .. }) => assert_eq!((offset, len), (15_100, 9_000)),
        other => panic!("{other:?}"),
    }
    match buf.rfind(b"x", ..) {
        Err(Error::OutOfBounds { offset, len, .. }) => assert_eq!((offset, len), (19_999, 9_000)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_static_managers_grown_file_is_mapped_once() {
    let f = FileCreator::new(100, "static-grow");
    let man = StaticWindowMapManager::new();
    let mut a = man.make_cursor(f.path());
    a.use_region(0, 0).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(f.path())
        .unwrap();
    file.write_all(&[1; 4900]).unwrap();
    // While `a` reads the old map, both are mapped and counted once each.
    let mut b = man.make_cursor(f.path());
    b.use_region(200, 0).unwrap();
    assert_eq!(
        (b.region().unwrap().ofs_begin(), b.region().unwrap().size()),
        (0, 5000)
    );
    assert_eq!(man.num_file_handles(), 2);
    assert_eq!(man.mapped_memory_size(), 5100);
    assert_eq!(a.buffer().len(), 100, "the old map still serves its cursor");
    // Once idle, the old map goes; lookups find the new one.
    a.unuse_region();
    assert_eq!(man.collect(), 1);
    assert_eq!(
        (man.num_file_handles(), man.mapped_memory_size()),
        (1, 5000)
    );
    a.use_region(50, 0).unwrap();
    assert_eq!(a.region().unwrap().size(), 5000);
    // Grown again with every map idle: the old one is replaced at once.
    a.unuse_region();
    b.unuse_region();
    file.write_all(&[2; 3000]).unwrap();
    b.use_region(7000, 0).unwrap();
    assert_eq!(
        (man.num_file_handles(), man.mapped_memory_size()),
        (1, 8000)
    );
}

#[cfg(unix)]
#[test]
fn cursors_on_a_descriptor_the_caller_keeps() {
    use std::os::fd::{AsFd, AsRawFd};

    let f = FileCreator::new(50_000, "fd-cursor");
    let file = std::fs::File::open(f.path()).unwrap();
    let man = SlidingWindowMapManager::with_limits(8192, 0, 0);
    let mut a = man.make_cursor_from_fd(file.as_fd()).unwrap();
    let mut b = man.make_cursor_from_fd(file.as_fd()).unwrap();
    assert_eq!(a.fd(), Some(file.as_raw_fd()));
    assert_eq!(a.path_or_fd(), Some(smmap::PathOrFd::Fd(file.as_raw_fd())));
    assert_eq!(a.path(), None);
    assert_eq!(a.file_size().unwrap(), 50_000);
    a.use_region(100, 10).unwrap();
    b.use_region(200, 10).unwrap();
    assert_eq!(
        man.num_file_handles(),
        1,
        "one window shared by the descriptor's cursors"
    );
    assert_eq!(a.buffer(), &pattern(110)[100..]);
    // The caller's descriptor is neither taken nor closed: it still reads.
    drop((a, b));
    man.collect();
    assert_eq!(man.num_open_descriptors(), 0);
    let mut check = [0u8; 4];
    std::os::unix::fs::FileExt::read_exact_at(&file, &mut check, 0).unwrap();
    assert_eq!(check, pattern(4)[..]);
    // A descriptor number reused for another file gets a record of its own.
    let other = FileCreator::new(9_000, "fd-other");
    let c = man.make_cursor_from_fd(file.as_fd()).unwrap();
    let fd = file.as_raw_fd();
    drop(file);
    let reopened = std::fs::File::open(other.path()).unwrap();
    assert_eq!(reopened.as_raw_fd(), fd, "the lowest free number is reused");
    let mut d = man.make_cursor_from_fd(reopened.as_fd()).unwrap();
    assert_eq!(d.file_size().unwrap(), 9_000);
    d.use_region(0, 0).unwrap();
    assert_eq!(d.buffer().len(), 8192);
    drop(c);
}
