//! packread object reads through sliding windows of several sizes against
//! whole-file maps: every object in pack order, random objects by id, and
//! headers only.
//!
//! The repository is `PACKREAD_BENCH_REPO` if set (any repository), else the
//! `fixtures/make_bench_repo.sh` fixture (4000 commits; built once and cached).
//!
//! Run: `cargo bench --bench packread` (add `-- <filter>` to pick groups).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use packread::{Location, ObjectId, Odb, OpenOptions};

const MIB: usize = 1 << 20;

fn repo() -> PathBuf {
    if let Some(p) = std::env::var_os("PACKREAD_BENCH_REPO") {
        return PathBuf::from(p);
    }
    gix_testtools::scripted_fixture_read_only_with_args(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/make_bench_repo.sh"
        ),
        ["4000", "500"],
    )
    .expect("the bench repository builds")
    .join("bench.git")
}

/// Sliding windows of 64 KiB and 1 MiB with memory limits far below the
/// pack, smmap's defaults (1 GiB windows), and whole-file maps.
fn configurations() -> Vec<(&'static str, OpenOptions)> {
    vec![
        (
            "sliding-64k-limit-4m",
            OpenOptions::new()
                .window_size(64 * 1024)
                .max_memory(4 * MIB),
        ),
        (
            "sliding-1m-limit-16m",
            OpenOptions::new().window_size(MIB).max_memory(16 * MIB),
        ),
        ("sliding-default", OpenOptions::new()),
        ("static", OpenOptions::new().static_windows(true)),
    ]
}

fn all_in_pack_order(c: &mut Criterion) {
    let repo = repo();
    let locations: Vec<(ObjectId, Location)> = Odb::open(&repo)
        .unwrap()
        .object_locations_pack_order()
        .unwrap();
    let mut g = c.benchmark_group("all-objects-pack-order");
    g.throughput(Throughput::Elements(locations.len() as u64));
    g.sample_size(10);
    for (name, opts) in configurations() {
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                // A fresh database each time: windows are mapped as a cold reader would.
                let odb = opts.open(&repo).unwrap();
                let mut r = odb.reader();
                let mut buf = Vec::new();
                let mut bytes = 0;
                for (_, loc) in &locations {
                    r.read_location(loc, &mut buf).unwrap();
                    bytes += buf.len();
                }
                black_box(bytes)
            });
        });
    }
    g.finish();
}

fn random_by_id(c: &mut Criterion) {
    let repo = repo();
    let mut ids: Vec<ObjectId> = Odb::open(&repo)
        .unwrap()
        .object_ids()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut x = 0x9e37_79b9_u64;
    for i in (1..ids.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ids.swap(i, (x % (i as u64 + 1)) as usize);
    }
    ids.truncate(2000);
    let mut g = c.benchmark_group("random-by-id");
    g.throughput(Throughput::Elements(ids.len() as u64));
    g.sample_size(10);
    for (name, opts) in configurations() {
        let odb = opts.open(&repo).unwrap();
        g.bench_function(BenchmarkId::new("read", name), |b| {
            let mut r = odb.reader();
            let mut buf = Vec::new();
            b.iter(|| {
                for id in &ids {
                    r.read_into(id, &mut buf).unwrap();
                }
            });
        });
        g.bench_function(BenchmarkId::new("header", name), |b| {
            let mut r = odb.reader();
            b.iter(|| {
                for id in &ids {
                    black_box(r.header(id).unwrap());
                }
            });
        });
    }
    g.finish();
}

criterion_group!(benches, all_in_pack_order, random_by_id);
criterion_main!(benches);
