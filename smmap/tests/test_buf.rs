//! Port of upstream's `smmap/test/test_buf.py`, with relative indexing (D7)
//! and patterned content.

mod common;

use std::io::{BufRead, Read, Seek, SeekFrom};

use common::{FileCreator, K_WINDOW_TEST_SIZE, Rng, pattern};
use smmap::{
    Error, MapManager, SlidingWindowMapBuffer, SlidingWindowMapManager, StaticWindowMapManager,
    WindowCursor,
};

fn worst_case() -> SlidingWindowMapManager {
    SlidingWindowMapManager::with_limits(
        (K_WINDOW_TEST_SIZE / 100) as usize,
        (K_WINDOW_TEST_SIZE / 3) as usize,
        15,
    )
}

#[test]
// A line-by-line port of upstream's `test_basics`, kept whole and in its
// order so that each step can be compared with upstream's.
#[allow(clippy::too_many_lines)]
fn test_basics() {
    let fc = FileCreator::new(K_WINDOW_TEST_SIZE, "buffer_test");
    let data = pattern(fc.size());
    let fsize = fc.size();
    let man_optimal = SlidingWindowMapManager::new();

    // 1. Unassociated cursor and an offset at the end are refused.
    let c = man_optimal.make_cursor(fc.path());
    assert!(matches!(
        SlidingWindowMapBuffer::new(WindowCursor::default(), 0, u64::MAX),
        Err(Error::NotAssociated)
    ));
    let err = SlidingWindowMapBuffer::new(c.clone(), fsize, u64::MAX).unwrap_err();
    assert!(
        matches!(err, Error::OutOfBounds { offset, len, .. } if offset == fsize && len == fsize),
        "{err}"
    );

    // 2. An empty buffer.
    let mut buf = SlidingWindowMapBuffer::default();
    assert!(buf.cursor().is_none());
    buf.end_access();
    buf.end_access();
    assert_eq!(buf.len(), 0);

    // 3.
    assert!(!buf.begin_access(Some(c.clone()), fsize, u64::MAX).unwrap());
    assert!(buf.begin_access(Some(c), 100, u64::MAX).unwrap());
    assert_eq!(buf.len(), fsize - 100);
    assert_eq!(buf.len(), 8_005_095);
    assert!(buf.cursor().unwrap().is_valid());

    // 5. Relative indexing: index 0 is file offset 100 (upstream gets data[0]).
    assert_eq!(buf.get(0).unwrap(), Some(data[100]));
    assert_eq!(&*buf.slice(0..100).unwrap(), &data[100..200]);
    let last = buf.len() - 1;
    assert_eq!(buf.get(last).unwrap(), Some(data[data.len() - 1]));
    assert_eq!(buf.get(buf.len()).unwrap(), None);
    let n = buf.len();
    assert_eq!(&*buf.slice(n - 10..).unwrap(), &data[data.len() - 10..]);

    // 4. The same cursor, offset 0.
    assert!(buf.begin_access(None, 0, u64::MAX).unwrap());
    assert_eq!(buf.len(), fsize);
    assert!(buf.cursor().unwrap().is_valid());
    assert_eq!(buf.get(0).unwrap(), Some(data[0]));

    // upstream quirks fixed: buf[0:0] is empty, buf[10:5] is an error (upstream hangs).
    assert!(buf.slice(0..0).unwrap().is_empty());
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = buf.slice(10..5);
    assert!(matches!(
        reversed,
        Err(Error::InvalidRange { start: 10, end: 5 })
    ));
    assert!(matches!(
        buf.slice(0..=fsize),
        Err(Error::OutOfBounds { .. })
    ));

    // 7.
    buf.end_access();
    assert!(!buf.cursor().unwrap().is_valid());
    assert!(buf.cursor().unwrap().is_associated());
    assert!(buf.begin_access(None, 0, u64::MAX).unwrap());
    assert!(buf.cursor().unwrap().is_valid());
    drop(buf);
    assert_eq!(
        man_optimal.num_file_handles(),
        1,
        "the region stays cached after the cursor is gone"
    );

    // 8. Random single bytes and slices through every manager, from a path and a file.
    let managers: [MapManager; 3] = [
        man_optimal.into(),
        worst_case().into(),
        StaticWindowMapManager::new().into(),
    ];
    let mut rng = Rng::new(42);
    for from_file in [false, true] {
        for man in &managers {
            man.collect();
            let cursor = if from_file {
                man.make_cursor_from_file(std::fs::File::open(fc.path()).unwrap())
            } else {
                man.make_cursor(fc.path())
            };
            let mut buf = SlidingWindowMapBuffer::new(cursor, 0, u64::MAX).unwrap();
            assert_eq!(man.num_file_handles(), 1);
            let c = buf.cursor().unwrap();
            if man.window_size() == 80_051 {
                let r = c.region().unwrap();
                assert_eq!((r.ofs_begin(), r.size(), c.size()), (0, 81_920, 80_051));
            } else {
                assert_eq!(c.region().unwrap().size() as u64, fsize);
            }
            for single in [true, false] {
                assert!(buf.begin_access(None, 0, u64::MAX).unwrap());
                for _ in 0..100 {
                    if single {
                        let pos = rng.range(0, fsize - 1);
                        assert_eq!(buf.get(pos).unwrap(), Some(data[pos as usize]));
                    } else {
                        let a = rng.range(0, fsize);
                        let b = rng.range(a, fsize);
                        let d = buf.slice(a..b).unwrap();
                        assert_eq!(d.len() as u64, b - a);
                        assert!(d[..] == data[a as usize..b as usize]);
                    }
                }
                buf.end_access();
                assert!(man.num_file_handles() > 0);
                assert!(man.collect() > 0);
                assert_eq!(man.num_file_handles(), 0);
            }
        }
    }
}

#[test]
fn slices_across_windows_are_copied_and_inside_one_are_borrowed() {
    let fc = FileCreator::new(K_WINDOW_TEST_SIZE, "slice_test");
    let data = pattern(fc.size());
    let man = worst_case();
    let mut buf = SlidingWindowMapBuffer::new(man.make_cursor(fc.path()), 0, u64::MAX).unwrap();
    // upstream, observed: buf[80000:300000] -> 220000 bytes over 4 regions.
    let d = buf.slice(80_000..300_000).unwrap();
    assert!(matches!(d, std::borrow::Cow::Owned(_)));
    assert_eq!(&d[..], &data[80_000..300_000]);
    let d = buf.slice(82_000..83_000).unwrap();
    assert!(matches!(d, std::borrow::Cow::Borrowed(_)));
    assert_eq!(&d[..], &data[82_000..83_000]);
}

#[test]
fn read_seek_and_bufread_follow_std_semantics() {
    let fc = FileCreator::new(300_001, "read_test");
    let data = pattern(fc.size());
    let man = SlidingWindowMapManager::with_limits(4096, 3 * 4096, 0);
    let mut buf = SlidingWindowMapBuffer::new(man.make_cursor(fc.path()), 7, 250_000).unwrap();
    let mut all = Vec::new();
    buf.read_to_end(&mut all).unwrap();
    assert_eq!(all, &data[7..250_007]);
    assert_eq!(buf.read(&mut [0; 10]).unwrap(), 0, "EOF");
    assert_eq!(buf.seek(SeekFrom::End(-5)).unwrap(), 249_995);
    let mut five = [0; 5];
    buf.read_exact(&mut five).unwrap();
    assert_eq!(five, data[250_002..250_007]);
    buf.seek(SeekFrom::Start(4000)).unwrap();
    buf.seek(SeekFrom::Current(-1)).unwrap();
    let window = buf.fill_buf().unwrap();
    assert_eq!(window[0], data[7 + 3999]);
    assert!(window.len() <= 4096 + 4096, "fill_buf hands out one window");
    assert!(buf.seek(SeekFrom::Current(-5000)).is_err());
    buf.seek(SeekFrom::Start(1_000_000)).unwrap();
    assert_eq!(
        buf.read(&mut five).unwrap(),
        0,
        "past the end reads nothing"
    );
    assert!(man.stats().peak_mapped_memory <= 3 * 4096);
}

#[test]
fn find_and_rfind_work_across_window_ends() {
    let fc = FileCreator::new(1_000_000, "find_test");
    let data = pattern(fc.size());
    let man = SlidingWindowMapManager::with_limits(4096, 8192, 0);
    let mut buf = SlidingWindowMapBuffer::new(man.make_cursor(fc.path()), 1000, u64::MAX).unwrap();
    let naive_find = |needle: &[u8], from: usize, to: usize| {
        data[1000 + from..1000 + to]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| (p + from) as u64)
    };
    let naive_rfind = |needle: &[u8], from: usize, to: usize| {
        data[1000 + from..1000 + to]
            .windows(needle.len())
            .rposition(|w| w == needle)
            .map(|p| (p + from) as u64)
    };
    // Needles taken from around every window end (and elsewhere).
    let mut rng = Rng::new(7);
    for k in 1..60u64 {
        let end = k * 4096 - 1000; // relative index of a window end
        for (start, len) in [
            (end - 3, 7),
            (end - 1, 2),
            (end, 5),
            (rng.range(0, 900_000), 11),
        ] {
            let needle = data[1000 + start as usize..1000 + (start + len) as usize].to_vec();
            let expect = naive_find(&needle, 0, 999_000);
            assert_eq!(buf.find(&needle, ..).unwrap(), expect, "find at {start}");
            assert_eq!(
                buf.rfind(&needle, ..).unwrap(),
                naive_rfind(&needle, 0, 999_000),
                "rfind at {start}"
            );
            // Limited ranges: the match must lie wholly inside.
            let lo = start as usize;
            let hi = (start + len) as usize;
            assert_eq!(buf.find(&needle, start..start + len).unwrap(), Some(start));
            assert_eq!(
                buf.find(&needle, start + 1..).unwrap(),
                naive_find(&needle, lo + 1, 999_000)
            );
            assert_eq!(
                buf.rfind(&needle, ..start + len - 1).unwrap(),
                naive_rfind(&needle, 0, hi - 1)
            );
        }
    }
    assert_eq!(buf.find(b"", 5..).unwrap(), Some(5));
    assert_eq!(buf.rfind(b"", ..9).unwrap(), Some(9));
    assert_eq!(buf.find(b"no such needle anywhere", ..).unwrap(), None);
    assert!(man.stats().peak_mapped_memory <= 8192 + 4096);
}
