//! Port of upstream's `smmap/test/test_tutorial.py` (the crate docs hold the
//! same tutorial as a doctest).

mod common;

use common::{FileCreator, pattern};
use smmap::{SlidingWindowMapBuffer, SlidingWindowMapManager};

#[test]
fn test_example() {
    let mman = SlidingWindowMapManager::new();
    assert_eq!(mman.num_file_handles(), 0);
    assert_eq!(mman.mapped_memory_size(), 0);
    let fc = FileCreator::new(1024 * 1024 * 8, "test_file");
    let data = pattern(fc.size());
    let mut c = mman.make_cursor(fc.path());
    assert!(c.is_associated());
    assert!(!c.is_valid());
    assert!(c.use_region(0, 0).unwrap().is_valid());
    assert!(c.size() > 0);
    assert_eq!(c.buffer()[0], data[0]);
    assert_eq!(&c.buffer()[1..10], &data[1..10]);
    assert_eq!(c.buffer()[c.size() - 1], data[c.size() - 1]);
    assert!(c.ofs_begin() < c.ofs_end());
    assert!(c.includes_ofs(100));
    assert!(!c.use_region(fc.size(), 100).unwrap().is_valid());
    assert!(c.use_region(100, 0).unwrap().is_valid());
    assert_eq!(c.buffer()[0], data[100]);
    c.unuse_region();
    assert!(!c.is_valid());

    let mut buf = SlidingWindowMapBuffer::new(mman.make_cursor(fc.path()), 0, u64::MAX).unwrap();
    assert!(buf.cursor().unwrap().is_valid());
    assert_eq!(buf.get(0).unwrap(), Some(data[0]));
    assert_eq!(buf.get(buf.len() - 1).unwrap(), Some(data[data.len() - 1]));
    let n = buf.len();
    assert_eq!(&*buf.slice(n - 10..).unwrap(), &data[data.len() - 10..]);
    buf.end_access();
    assert!(!buf.cursor().unwrap().is_valid());
    assert!(buf.begin_access(None, 10, u64::MAX).unwrap());
}
