//! Many threads reading many files through one manager under tiny limits,
//! every byte checked (upstream is not thread-safe: D10).

mod common;

use std::sync::Arc;
use std::thread;

use common::{FileCreator, Rng, pattern_byte};
use smmap::{MapManager, SlidingWindowMapBuffer, SlidingWindowMapManager, StaticWindowMapManager};

fn stress(man: &MapManager, files: &Arc<Vec<FileCreator>>, threads: usize, rounds: usize) {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let man = man.clone();
            let files = Arc::clone(files);
            thread::spawn(move || {
                let mut rng = Rng::new(0xdead_beef + t as u64);
                // Two cursors per thread on random files, plus a buffer.
                let mut cursors: Vec<_> = (0..2)
                    .map(|i| man.make_cursor(files[(t + i) % files.len()].path()))
                    .collect();
                for _ in 0..rounds {
                    let which = rng.range(0, 1) as usize;
                    if rng.range(0, 20) == 0 {
                        let f = &files[rng.range(0, files.len() as u64 - 1) as usize];
                        cursors[which] = man.make_cursor(f.path());
                    }
                    if rng.range(0, 30) == 0 {
                        // A clone moves independently of its original.
                        cursors[which] = cursors[1 - which].clone();
                    }
                    let c = &mut cursors[which];
                    let size = c.file_size().unwrap();
                    let ofs = rng.range(0, size - 1);
                    let want = rng.range(0, 3000) as usize;
                    assert!(c.use_region(ofs, want).unwrap().is_valid());
                    for (k, &b) in c.buffer().iter().enumerate() {
                        assert_eq!(
                            b,
                            pattern_byte(ofs + k as u64),
                            "thread {t} offset {}",
                            ofs + k as u64
                        );
                    }
                    if rng.range(0, 50) == 0 {
                        let mut buf = SlidingWindowMapBuffer::new(c.clone(), 0, u64::MAX).unwrap();
                        let a = rng.range(0, size - 1);
                        let b = rng.range(a, size.min(a + 20_000));
                        let d = buf.slice(a..b).unwrap();
                        assert!(
                            d.iter()
                                .enumerate()
                                .all(|(k, &x)| x == pattern_byte(a + k as u64))
                        );
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("no reader thread panicked");
    }
}

#[test]
fn threads_share_one_sliding_manager_under_tiny_limits() {
    let files: Arc<Vec<_>> = Arc::new(
        (0..6)
            .map(|i| FileCreator::new(300_000 + i * 7_919, &format!("mt{i}")))
            .collect(),
    );
    let window = 8192;
    let max_memory = 64 * 1024;
    let threads = 4;
    let man: MapManager = SlidingWindowMapManager::with_limits(window, max_memory, 12).into();
    stress(&man, &files, threads, 4000);
    let stats = man.stats();
    // Soft memory limit: beyond it only when every mapped window is in use,
    // and at most one window per cursor (2 per thread, plus buffers' clones).
    let in_use_bound = 3 * threads * (window + 2 * 4096);
    assert!(
        stats.peak_mapped_memory <= max_memory.max(in_use_bound),
        "{stats:?}"
    );
    assert!(
        stats.peak_windows <= 12,
        "the handle limit is hard: {stats:?}"
    );
    assert!(
        stats.windows_unloaded > 100,
        "eviction happened all the time: {stats:?}"
    );
    let windows = man.num_file_handles();
    assert_eq!(
        man.collect(),
        windows,
        "every window is idle once the threads are done"
    );
    assert_eq!(
        (
            man.num_file_handles(),
            man.mapped_memory_size(),
            man.num_open_descriptors()
        ),
        (0, 0, 0)
    );
}

#[test]
fn threads_share_one_static_manager() {
    let files: Arc<Vec<_>> = Arc::new(
        (0..4)
            .map(|i| FileCreator::new(200_000 + i, &format!("mts{i}")))
            .collect(),
    );
    let man: MapManager = StaticWindowMapManager::with_limits(0, 300_000, 0).into();
    stress(&man, &files, 4, 2000);
    assert!(man.stats().peak_windows <= 4);
    drop(files);
}
