//! Many threads reading random objects from one shared database under tiny
//! limits, every byte checked against git.

use std::sync::Arc;

use packread::OpenOptions;
use testkit::{fixture, git_objects};

#[test]
fn threads_read_one_database_under_tiny_limits() {
    let repo = fixture("make_alternates.sh").join("top");
    let objects = Arc::new(git_objects(&repo));
    let threads = 4;
    // Each reader pins at most two windows; room for every thread plus one.
    let odb = OpenOptions::new()
        .window_size(4096)
        .max_memory(64 * 1024)
        .max_handles(2 * threads + 2)
        .delta_base_cache_limit(64 * 1024)
        .open(&repo)
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..threads {
            let odb = odb.clone();
            let objects = Arc::clone(&objects);
            s.spawn(move || {
                let mut r = odb.reader();
                let mut buf = Vec::new();
                let mut x = 0x9e37_79b9_u64 + t as u64;
                for _ in 0..1500 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let o = &objects[(x % objects.len() as u64) as usize];
                    let kind = r.read_into(&o.id, &mut buf).unwrap();
                    assert_eq!(kind, o.kind);
                    assert!(buf == o.data, "thread {t}: {}", o.id);
                    if x.is_multiple_of(7) {
                        let h = odb.header(&o.id).unwrap();
                        assert_eq!((h.kind, h.size), (o.kind, o.size));
                    }
                }
            });
        }
    });
    let stats = odb.manager().stats();
    assert!(stats.peak_windows <= 2 * threads + 2, "{stats:?}");
    assert!(
        stats.windows_unloaded > 50,
        "eviction happened all the time: {stats:?}"
    );
}

#[test]
fn readers_and_id_iterators_outlive_the_handle_they_came_from() {
    let repo = fixture("make_alternates.sh").join("top");
    let objects = git_objects(&repo);
    // The database handle is dropped at once: readers and the id iterator
    // own what they need, so they can be kept and sent to other threads.
    let (ids, readers) = {
        let odb = OpenOptions::new().window_size(4096).open(&repo).unwrap();
        (odb.object_ids(), [odb.reader(), odb.reader()])
    };
    let listed: Vec<_> = ids.collect::<Result<_, _>>().unwrap();
    assert_eq!(listed, objects.iter().map(|o| o.id).collect::<Vec<_>>());
    let objects = Arc::new(objects);
    let workers: Vec<_> = readers
        .into_iter()
        .enumerate()
        .map(|(t, mut reader)| {
            let objects = Arc::clone(&objects);
            std::thread::spawn(move || {
                for o in objects.iter().skip(t).step_by(2) {
                    let read = reader.read(&o.id).unwrap();
                    assert_eq!((read.kind, &read.data), (o.kind, &o.data), "{}", o.id);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
}
