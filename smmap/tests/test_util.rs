//! Port of upstream's `smmap/test/test_util.py`.

mod common;

use common::{FileCreator, K_WINDOW_TEST_SIZE, pattern};
use smmap::{MapRegion, MapWindow, align_to_mmap, allocation_granularity, is_64_bit};

#[test]
fn test_window() {
    let wl = MapWindow::new(0, 1);
    let mut wc = MapWindow::new(1, 1);
    let mut wc2 = MapWindow::new(10, 5);
    let mut wr = MapWindow::new(8000, 50);
    assert_eq!(wl.ofs_end(), 1);
    assert_eq!(wc.ofs_end(), 2);
    assert_eq!(wr.ofs_end(), 8050);

    let maxsize = 100;
    wc.extend_left_to(&wl, maxsize);
    assert_eq!((wc.ofs, wc.size), (1, 1));
    let mut wl2 = wl;
    wl2.extend_right_to(&wc, maxsize);
    wl2.extend_right_to(&wc, maxsize);
    assert_eq!((wl2.ofs, wl2.size), (0, 1));

    let wc2_end = wc2.ofs_end();
    wc2.extend_left_to(&wc, maxsize);
    assert_eq!(wc2.ofs, wc.ofs_end());
    assert_eq!(wc2.ofs_end(), wc2_end);
    assert_eq!((wc2.ofs, wc2.size), (2, 13));

    wc.extend_right_to(&wr, maxsize);
    wc.extend_right_to(&wr, maxsize);
    assert_eq!((wc.ofs, wc.size), (1, 100));
    wc.extend_right_to(&wr, u64::MAX);
    assert_eq!(wc.ofs_end(), wr.ofs);
    assert_eq!((wc.ofs, wc.size), (1, 7999));

    wr.extend_left_to(&wc2, maxsize);
    wr.extend_left_to(&wc2, maxsize);
    assert_eq!(wr.size, maxsize);
    assert_eq!((wr.ofs, wr.size), (7950, 100));
    wr.extend_left_to(&wc2, u64::MAX);
    assert_eq!(wr.ofs, wc2.ofs_end());
    assert_eq!((wr.ofs, wr.size), (15, 8035));

    wc.align();
    assert_eq!(wc.ofs, 0);
    assert_eq!(wc.size, align_to_mmap(wc.size, true));
    if allocation_granularity() == 4096 {
        assert_eq!((wc.ofs, wc.size), (0, 8192));
    }
}

#[test]
fn test_region() {
    let fc = FileCreator::new(K_WINDOW_TEST_SIZE, "window_test");
    let data = pattern(fc.size());
    let half_size = fc.size() / 2;
    let rofs = align_to_mmap(4200, false);
    if allocation_granularity() == 4096 {
        assert_eq!(rofs, 4096);
    }
    let rfull = MapRegion::new(fc.path(), 0, fc.size() as usize).unwrap();
    let rhalfofs = MapRegion::new(fc.path(), rofs, fc.size() as usize).unwrap();
    let rhalfsize = MapRegion::new(fc.path(), 0, half_size as usize).unwrap();

    assert_eq!(rfull.ofs_begin(), 0);
    assert_eq!(rfull.size() as u64, fc.size());
    assert_eq!(rfull.ofs_end(), fc.size());
    assert_eq!(rhalfofs.ofs_begin(), rofs);
    assert_eq!(rhalfofs.size() as u64, fc.size() - rofs);
    assert_eq!(rhalfsize.ofs_begin(), 0);
    assert_eq!(rhalfsize.size() as u64, half_size);

    assert!(
        rfull.includes_ofs(0) && rfull.includes_ofs(fc.size() - 1) && rfull.includes_ofs(half_size)
    );
    assert!(!rfull.includes_ofs(u64::MAX));
    assert!(!rfull.includes_ofs(fc.size()));
    assert!(!rhalfofs.includes_ofs(rofs - 1) || rofs == 0);

    // The content is the file's, at the right offsets.
    assert_eq!(rfull.buffer(), &data[..]);
    assert_eq!(rhalfofs.buffer(), &data[rofs as usize..]);
    assert_eq!(rhalfsize.buffer(), &data[..half_size as usize]);

    // Regions stay readable after the file is gone; no auto-counting.
    let path = fc.path().to_owned();
    drop(fc);
    assert!(!path.exists());
    assert_eq!(rfull.client_count(), 1);
    let rfull2 = &rfull;
    assert_eq!(rfull2.client_count(), 1);
    assert_eq!(rfull.buffer()[12345], data[12345]);

    let w = MapWindow::from_region(&rfull);
    assert_eq!(w.ofs, rfull.ofs_begin());
    assert_eq!(w.ofs_end(), rfull.ofs_end());
}

#[test]
fn region_of_size_zero_maps_to_end_and_empty_files_are_refused() {
    let fc = FileCreator::new(163_840, "region0");
    let r = MapRegion::new(fc.path(), 4096, 0).unwrap();
    assert_eq!((r.ofs_begin(), r.size()), (4096, 159_744));
    assert!(matches!(
        MapRegion::new(fc.path(), fc.size(), 10),
        Err(smmap::Error::OutOfBounds { .. })
    ));
    let empty = FileCreator::new(0, "empty");
    assert!(matches!(
        MapRegion::new(empty.path(), 0, 0),
        Err(smmap::Error::OutOfBounds {
            offset: 0,
            len: 0,
            ..
        })
    ));
    let missing = empty.path().with_file_name("missing");
    let err = MapRegion::new(&missing, 0, 0).unwrap_err();
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
        err.to_string().contains("missing"),
        "the error names the file: {err}"
    );
}

#[test]
fn test_util() {
    assert_eq!(is_64_bit(), usize::BITS == 64);
    assert_eq!(align_to_mmap(1, false), 0);
    assert_eq!(align_to_mmap(1, true), allocation_granularity());
    assert_eq!(
        align_to_mmap(4096 * 3, false),
        4096 * 3 / allocation_granularity() * allocation_granularity()
    );
    if allocation_granularity() == 4096 {
        // upstream's worked numbers (Linux granularity).
        assert_eq!(align_to_mmap(4200, false), 4096);
        assert_eq!(align_to_mmap(80_051, true), 81_920);
    }
}
