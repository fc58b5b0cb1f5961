//! What sliding windows cost: the cursor's hot path, window switches, and
//! sequential and random reads over a large file through sliding windows of
//! several sizes, the static manager, a plain memmap2 map and `pread`; and
//! `SlidingWindowMapBuffer::find` against searching a whole-file map.
//!
//! The file is 256 MiB of pseudo-random bytes made once in the system's temp
//! directory; set `SMMAP_BENCH_FILE` to use any other (large) file.
//!
//! Run: `cargo bench --bench smmap` (add `-- <filter>` to pick groups).

use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use smmap::{MapManager, SlidingWindowMapBuffer, SlidingWindowMapManager, StaticWindowMapManager};

const MIB: usize = 1 << 20;

fn bench_file() -> PathBuf {
    if let Some(p) = std::env::var_os("SMMAP_BENCH_FILE") {
        return PathBuf::from(p);
    }
    let path = std::env::temp_dir().join("smmap-bench-256m.bin");
    let len = 256 * MIB as u64;
    if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(len) {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let data: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        std::fs::write(&path, data).expect("write the bench file");
    }
    path
}

/// Deterministic random offsets below `max`.
fn offsets(n: usize, max: u64) -> Vec<u64> {
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % max
        })
        .collect()
}

/// The managers compared: sliding windows of several sizes (with a memory
/// limit far below the file) and whole-file maps.
fn managers() -> Vec<(String, MapManager)> {
    let mut v: Vec<(String, MapManager)> = [64 * 1024, MIB, 16 * MIB]
        .into_iter()
        .map(|w| {
            (
                format!("sliding-{}k", w / 1024),
                SlidingWindowMapManager::with_limits(w, 32 * MIB, 0).into(),
            )
        })
        .collect();
    v.push(("static".into(), StaticWindowMapManager::new().into()));
    v
}

fn hot_path(c: &mut Criterion) {
    let path = bench_file();
    let mut g = c.benchmark_group("cursor-hot-path");
    let man = SlidingWindowMapManager::with_limits(MIB, 0, 0);
    let mut cursor = man.make_cursor(&path);
    cursor.use_region(0, 0).unwrap();
    let offs: Vec<u64> = offsets(1024, MIB as u64 - 64);
    g.throughput(Throughput::Elements(offs.len() as u64));
    g.bench_function("use_region-in-window+buffer", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for &o in &offs {
                sum += u64::from(cursor.use_region(o, 64).unwrap().buffer()[0]);
            }
            black_box(sum)
        });
    });
    let file = std::fs::File::open(&path).unwrap();
    // SAFETY: the bench file is not modified while mapped.
    let map = unsafe { memmap2::Mmap::map(&file).unwrap() };
    g.bench_function("memmap2-slice", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for &o in &offs {
                sum += u64::from(black_box(&map[o as usize..o as usize + 64])[0]);
            }
            black_box(sum)
        });
    });
    g.finish();

    let mut g = c.benchmark_group("window-switch");
    let cached = SlidingWindowMapManager::with_limits(64 * 1024, 0, 0);
    let mut cursor = cached.make_cursor(&path);
    let far: Vec<u64> = offsets(256, 256 * MIB as u64 - 64);
    for &o in &far {
        cursor.use_region(o, 1).unwrap();
    }
    g.throughput(Throughput::Elements(far.len() as u64));
    g.bench_function("to-a-cached-window", |b| {
        b.iter(|| {
            for &o in &far {
                black_box(cursor.use_region(o, 1).unwrap().buffer()[0]);
            }
        });
    });
    let tight = SlidingWindowMapManager::with_limits(64 * 1024, 256 * 1024, 0);
    let mut cursor = tight.make_cursor(&path);
    g.bench_function("map-and-unload", |b| {
        b.iter(|| {
            for &o in &far {
                black_box(cursor.use_region(o, 1).unwrap().buffer()[0]);
            }
        });
    });
    g.finish();
}

fn sequential(c: &mut Criterion) {
    let path = bench_file();
    let len = std::fs::metadata(&path).unwrap().len();
    let mut g = c.benchmark_group("sequential-read");
    g.throughput(Throughput::Bytes(len));
    g.sample_size(10);
    let mut out = vec![0u8; 64 * 1024];
    for (name, man) in managers() {
        g.bench_function(BenchmarkId::new("smmap", &name), |b| {
            b.iter(|| {
                let mut cursor = man.make_cursor(&path);
                let mut pos = 0;
                while pos < len {
                    let buf = cursor.use_region(pos, out.len()).unwrap().buffer();
                    out[..buf.len()].copy_from_slice(buf);
                    pos += buf.len() as u64;
                }
                black_box(&out);
            });
        });
    }
    let file = std::fs::File::open(&path).unwrap();
    // SAFETY: the bench file is not modified while mapped.
    let map = unsafe { memmap2::Mmap::map(&file).unwrap() };
    g.bench_function("memmap2-whole-file", |b| {
        b.iter(|| {
            for chunk in map.chunks(out.len()) {
                out[..chunk.len()].copy_from_slice(chunk);
            }
            black_box(&out);
        });
    });
    g.bench_function("pread", |b| {
        b.iter(|| {
            let mut pos = 0;
            while pos < len {
                let n = file.read_at(&mut out, pos).unwrap();
                pos += n as u64;
            }
            black_box(&out);
        });
    });
    g.finish();
}

fn random(c: &mut Criterion) {
    let path = bench_file();
    let len = std::fs::metadata(&path).unwrap().len();
    let offs = offsets(10_000, len - 4096);
    let mut g = c.benchmark_group("random-4k-reads");
    g.throughput(Throughput::Bytes(offs.len() as u64 * 4096));
    let mut out = vec![0u8; 4096];
    for (name, man) in managers() {
        let mut cursor = man.make_cursor(&path);
        g.bench_function(BenchmarkId::new("smmap", &name), |b| {
            b.iter(|| {
                for &o in &offs {
                    let mut done = 0;
                    while done < out.len() {
                        let buf = cursor
                            .use_region(o + done as u64, out.len() - done)
                            .unwrap()
                            .buffer();
                        out[done..done + buf.len()].copy_from_slice(buf);
                        done += buf.len();
                    }
                }
                black_box(&out);
            });
        });
    }
    let file = std::fs::File::open(&path).unwrap();
    // SAFETY: the bench file is not modified while mapped.
    let map = unsafe { memmap2::Mmap::map(&file).unwrap() };
    g.bench_function("memmap2-whole-file", |b| {
        b.iter(|| {
            for &o in &offs {
                out.copy_from_slice(&map[o as usize..o as usize + 4096]);
            }
            black_box(&out);
        });
    });
    g.bench_function("pread", |b| {
        b.iter(|| {
            for &o in &offs {
                file.read_exact_at(&mut out, o).unwrap();
            }
            black_box(&out);
        });
    });
    g.finish();
}

fn find(c: &mut Criterion) {
    let path = bench_file();
    let len = std::fs::metadata(&path).unwrap().len();
    let file = std::fs::File::open(&path).unwrap();
    // A needle from near the end, so the whole file is searched.
    let mut needle = [0u8; 16];
    file.read_exact_at(&mut needle, len - 1000).unwrap();
    let mut g = c.benchmark_group("find");
    g.throughput(Throughput::Bytes(len));
    g.sample_size(10);
    for (name, man) in managers() {
        let mut buf = SlidingWindowMapBuffer::new(man.make_cursor(&path), 0, u64::MAX).unwrap();
        g.bench_function(BenchmarkId::new("SlidingWindowMapBuffer", &name), |b| {
            b.iter(|| black_box(buf.find(&needle, ..).unwrap()));
        });
    }
    // SAFETY: the bench file is not modified while mapped.
    let map = unsafe { memmap2::Mmap::map(&file).unwrap() };
    g.bench_function("memmem-whole-file-map", |b| {
        b.iter(|| black_box(memchr::memmem::find(&map, &needle)));
    });
    g.finish();
}

criterion_group!(benches, hot_path, sequential, random, find);
criterion_main!(benches);
