//! Port of upstream's `smmap/test/test_mman.py`, with patterned content and
//! upstream's exact numbers (Linux granularity of 4096).

mod common;

use common::{FileCreator, K_WINDOW_TEST_SIZE, Rng, pattern};
use smmap::{
    MapManager, SlidingWindowMapManager, StaticWindowMapManager, WindowCursor, align_to_mmap,
    allocation_granularity,
};

#[test]
fn test_cursor() {
    let fc = FileCreator::new(K_WINDOW_TEST_SIZE, "cursor_test");
    let man = SlidingWindowMapManager::new();
    let ci = WindowCursor::default();
    assert!(!ci.is_valid());
    assert!(!ci.is_associated());
    assert_eq!(ci.size(), 0);

    let mut cv = man.make_cursor(fc.path());
    assert!(!cv.is_valid());
    assert!(cv.is_associated());
    assert_eq!(cv.file_size().unwrap(), fc.size());
    assert_eq!(cv.path(), Some(fc.path()));

    // Copies of an unplaced cursor are associated and invalid (upstream's
    // copy() and assign()), and unlike upstream they can be used (D2).
    let mut cio = cv.clone();
    assert!(!cio.is_valid() && cio.is_associated());
    let mut ci = ci;
    ci.clone_from(&cv);
    assert!(!ci.is_valid() && ci.is_associated());
    assert!(cio.use_region(10, 10).unwrap().is_valid());
    assert_eq!(cio.buffer(), &pattern(20)[10..]);

    cv.unuse_region();
    cv.unuse_region();
    drop(cv);
    drop(WindowCursor::default());
    drop(fc);
    // The file is gone: the cloned cursor's window is still mapped and readable.
    assert_eq!(cio.buffer(), &pattern(20)[10..]);
    // Its cached window serves the other cursors too...
    let mut ci = ci;
    assert_eq!(ci.use_region(0, 1).unwrap().buffer(), &pattern(1)[..]);
    // ...until it is unloaded: then the file must be opened again, and is gone.
    ci.unuse_region();
    drop(cio);
    assert_eq!(man.collect(), 1);
    let err = ci.use_region(0, 1).unwrap_err();
    assert!(
        matches!(
            err,
            smmap::Error::Io {
                action: smmap::Action::Open,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("cursor_test"),
        "names the file: {err}"
    );
}

fn check_fresh_manager(man: &MapManager) {
    assert_eq!(man.num_file_handles(), 0);
    assert_eq!(man.num_open_files(), 0);
    assert_eq!(man.mapped_memory_size(), 0);
    assert!(man.max_mapped_memory_size() > 0);
    // Collecting with nothing to collect doesn't fail.
    assert_eq!(man.collect(), 0);
}

#[test]
fn test_memory_manager() {
    let slide = SlidingWindowMapManager::new();
    let stat = StaticWindowMapManager::new();
    assert!(slide.window_size() > 0);
    assert_eq!(stat.window_size(), 0);
    let fc = FileCreator::new(K_WINDOW_TEST_SIZE, "manager_test");
    let data = pattern(fc.size());
    for man in [MapManager::from(slide), MapManager::from(stat)] {
        check_fresh_manager(&man);
        for from_file in [false, true] {
            let mut c = if from_file {
                man.make_cursor_from_file(std::fs::File::open(fc.path()).unwrap())
            } else {
                man.make_cursor(fc.path())
            };
            assert_eq!(c.path(), if from_file { None } else { Some(fc.path()) });
            assert!(c.use_region(10, 10).unwrap().is_valid());
            assert_eq!(c.ofs_begin(), 10);
            assert_eq!(c.size(), 10);
            assert_eq!(c.buffer(), &data[10..20]);
        }
    }
}

/// One configuration of upstream's `test_memman_operation`.
// A line-by-line port of upstream's `test_memman_operation`, kept whole
// and in its order so that each step can be compared with upstream's.
#[allow(clippy::too_many_lines)]
fn memman_operation(man: &MapManager, from_file: bool, fc: &FileCreator, data: &[u8]) {
    let fsize = fc.size();
    let sliding = man.window_size() != 0;
    let mut c = if from_file {
        man.make_cursor_from_file(std::fs::File::open(fc.path()).unwrap())
    } else {
        man.make_cursor(fc.path())
    };
    // a.
    assert_eq!(man.num_open_files(), 0);
    assert_eq!(man.mapped_memory_size(), 0);

    // b. size is 40,025 for sliding, 0 ("as much as possible") for static.
    let size = man.window_size() / 2;
    assert!(c.use_region(5000, size).unwrap().is_valid());
    let rr = c.region().unwrap();
    assert_eq!(rr.client_count(), 2);
    assert_eq!(man.num_open_files(), 1);
    assert_eq!(man.num_file_handles(), 1);
    assert_eq!(man.mapped_memory_size(), rr.size());
    assert_eq!(c.ofs_begin(), 5000);
    assert_eq!(rr.ofs_begin(), 0);
    if sliding {
        assert_eq!(
            rr.size() as u64,
            align_to_mmap(man.window_size() as u64, true)
        );
        if allocation_granularity() == 4096 {
            assert_eq!(rr.size(), 81_920);
        }
    } else {
        assert_eq!(rr.size() as u64, fsize);
    }
    let want = if size == 0 { c.size() } else { size };
    assert_eq!(c.buffer(), &data[5000..5000 + want]);
    let rr_begin = rr.ofs_begin();

    // c.
    let nsize = if size == 0 { fsize as usize } else { size } - 10;
    assert!(c.use_region(0, nsize).unwrap().is_valid());
    assert_eq!(c.region().unwrap().ofs_begin(), rr_begin);
    assert_eq!(man.num_file_handles(), 1);
    assert_eq!(c.size(), nsize);
    assert_eq!(c.ofs_begin(), 0);
    assert_eq!(c.buffer(), &data[..nsize]);

    // d.
    let base_offset = fsize
        - (if size == 0 {
            c.size() as u64
        } else {
            size as u64
        })
        + 4000;
    let first = c.clone();
    assert!(c.use_region(base_offset, size).unwrap().is_valid());
    if sliding {
        assert_eq!(man.num_file_handles(), 2);
        assert!(c.size() < size);
        assert_eq!(c.size(), 36_025);
        assert!(!std::ptr::eq(c.region().unwrap(), first.region().unwrap()));
        // `first` still holds the old region, so its count is 2 (upstream: 1
        // once the cursor left it).
        assert_eq!(first.region().unwrap().client_count(), 2);
        drop(first);
        assert_eq!(man.num_file_handles(), 2, "the old region stays cached");
        if allocation_granularity() == 4096 {
            let r = c.region().unwrap();
            assert_eq!((r.ofs_begin(), r.size()), (7_925_760, 79_435));
        }
    } else {
        assert!((c.size() as u64) < fsize);
        assert_eq!(c.size(), 8_001_185);
        assert_eq!(first.region().unwrap().client_count(), 3);
        drop(first);
    }
    let rr = c.region().unwrap();
    assert_eq!(rr.client_count(), 2);
    assert!(rr.ofs_begin() < c.ofs_begin());
    assert!(rr.ofs_end() <= fsize);
    let want = if size == 0 {
        c.size()
    } else {
        size.min(c.size())
    };
    assert_eq!(
        c.buffer(),
        &data[base_offset as usize..base_offset as usize + want]
    );

    // e.
    c.unuse_region();
    assert!(!c.is_valid());
    if sliding {
        assert_eq!(man.num_file_handles(), 2);
    }

    // f. random accesses under the limits.
    let mut rng = Rng::new(0x5eed ^ u64::from(from_file) ^ u64::from(sliding) << 8);
    let mut peak_handles = 0;
    for _ in 0..5000 {
        let base = rng.range(0, fsize - 1);
        if sliding {
            assert!(man.max_mapped_memory_size() >= man.mapped_memory_size());
        }
        assert!(man.max_file_handles() >= man.num_file_handles());
        let req = if size == 0 { c.size() } else { size };
        assert!(c.use_region(base, req).unwrap().is_valid());
        let csize = c.size();
        assert_eq!(c.buffer(), &data[base as usize..base as usize + csize]);
        assert!(c.includes_ofs(base));
        assert!(c.includes_ofs(base + csize as u64 - 1));
        assert!(!c.includes_ofs(base + csize as u64));
        peak_handles = peak_handles.max(man.num_file_handles());
    }
    if sliding {
        assert_eq!(peak_handles, 15, "the handle limit is reached and held");
        assert!(man.stats().peak_mapped_memory <= man.max_mapped_memory_size());
    } else {
        assert_eq!(peak_handles, 1);
    }

    // g.
    assert!(!c.use_region(fsize, size).unwrap().is_valid());

    // h. the cursor no longer holds a region, so every region is idle.
    assert!(man.num_file_handles() > 0);
    let handles = man.num_file_handles();
    assert_eq!(man.collect(), handles);
    assert_eq!(man.num_file_handles(), 0);
    assert_eq!(man.mapped_memory_size(), 0);
    assert_eq!(man.num_open_files(), 0);
}

#[test]
fn test_memman_operation() {
    let fc = FileCreator::new(K_WINDOW_TEST_SIZE, "manager_operation_test");
    let data = pattern(fc.size());
    let max_num_handles = 15;
    for from_file in [false, true] {
        let stat =
            StaticWindowMapManager::with_limits(0, (fc.size() / 3) as usize, max_num_handles);
        memman_operation(&stat.into(), from_file, &fc, &data);
        let slide = SlidingWindowMapManager::with_limits(
            (fc.size() / 100) as usize,
            (fc.size() / 3) as usize,
            max_num_handles,
        );
        memman_operation(&slide.into(), from_file, &fc, &data);
    }
}

#[test]
fn placement_grows_left_first_and_fills_gaps() {
    if allocation_granularity() != 4096 {
        return;
    }
    let fc = FileCreator::new(200_000, "placement");
    let data = pattern(fc.size());
    let man = SlidingWindowMapManager::with_limits(16_384, 0, 0);
    let mut c = man.make_cursor(fc.path());
    // upstream, observed: use_region(40965, 1) -> MapRegion<24576, 20480>.
    c.use_region(40_965, 1).unwrap();
    let r = c.region().unwrap();
    assert_eq!((r.ofs_begin(), r.size()), (24_576, 20_480));
    assert_eq!(c.buffer(), &data[40_965..40_966]);
    // With size == window size there is no left growth.
    let mut d = man.make_cursor(fc.path());
    d.use_region(81_925, 16_384).unwrap();
    let r = d.region().unwrap();
    assert_eq!((r.ofs_begin(), r.size()), (81_920, 20_480));
    // A request between two regions is squeezed between them.
    let mut e = man.make_cursor(fc.path());
    e.use_region(50_000, 0).unwrap();
    let r = e.region().unwrap();
    // (50000, 16384) can't grow left (the window is full), aligns to
    // (49152, 20480), which ends before the next region.
    assert_eq!((r.ofs_begin(), r.ofs_end()), (49_152, 69_632));
    assert_eq!(e.size(), 16_384);
    assert_eq!(e.buffer(), &data[50_000..66_384]);
    // Squeezed: (79000, 16384) is cut where the next region starts (81920),
    // then aligned down to 77824.
    e.use_region(79_000, 0).unwrap();
    let r = e.region().unwrap();
    assert_eq!((r.ofs_begin(), r.ofs_end()), (77_824, 81_920));
    assert_eq!(e.size(), 2920);
    assert_eq!(e.buffer(), &data[79_000..81_920]);
    // use_region(fsize - 1, 100) -> size 1.
    e.use_region(fc.size() - 1, 100).unwrap();
    assert_eq!(e.size(), 1);
    assert_eq!(e.buffer(), &data[data.len() - 1..]);
}

#[test]
fn empty_file_gives_an_invalid_cursor_and_no_handle() {
    let fc = FileCreator::new(0, "empty");
    for man in [
        MapManager::from(SlidingWindowMapManager::new()),
        StaticWindowMapManager::new().into(),
    ] {
        let mut c = man.make_cursor(fc.path());
        assert!(!c.use_region(0, 0).unwrap().is_valid());
        assert_eq!(man.num_file_handles(), 0);
        assert_eq!(man.num_open_descriptors(), 0);
    }
}
