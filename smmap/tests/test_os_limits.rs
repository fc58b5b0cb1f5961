//! The manager under limits the OS enforces: a low open-file limit
//! (upstream's CI runs under `ulimit -n 48`) and a small address space
//! (`ulimit -v`), where the OS refuses mappings with `ENOMEM`. Each limit is
//! set for a child process: this test binary runs itself through
//! `sh -c 'ulimit ...; exec ...'`. Unix only (ulimit, sh).
#![cfg(unix)]

mod common;

use std::os::unix::fs::FileExt;
use std::process::Command;

use common::{Rng, pattern_byte};
use smmap::SlidingWindowMapManager;

const FILES: usize = 200;
const CHILD_ENV: &str = "SMMAP_FD_LIMIT_CHILD_DIR";

#[test]
fn many_files_under_a_low_open_file_limit() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        return child(dir.as_ref());
    }
    let dir = common::temp_dir("fdlimit");
    for i in 0..FILES {
        let len = 20_000 + i as u64 * 37;
        std::fs::write(
            dir.join(format!("f{i}")),
            (0..len).map(pattern_byte).collect::<Vec<_>>(),
        )
        .unwrap();
    }
    run_child(
        "ulimit -n 48",
        "many_files_under_a_low_open_file_limit",
        CHILD_ENV,
        &dir,
        "fd-limit child ok",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs test `name` of this binary again in a child process under the shell
/// limit `ulimit`, with `env` set to `value`, and checks it printed `ok`.
fn run_child(ulimit: &str, name: &str, env: &str, value: &std::path::Path, ok: &str) {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            r#"{ulimit} && exec "$0" --exact {name} --nocapture --test-threads 1"#
        ))
        .arg(exe)
        .env(env, value)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(ok), "the child ran the checks:\n{stdout}");
}

fn child(dir: &std::path::Path) {
    // Make sure the limit is really in force: opening 60 files must fail.
    let opened: Vec<_> = (0..60)
        .map_while(|i| std::fs::File::open(dir.join(format!("f{i}"))).ok())
        .collect();
    assert!(opened.len() < 48, "the open-file limit is in force");
    drop(opened);

    let man = SlidingWindowMapManager::with_limits(8192, 0, 0);
    // Every file keeps a cursor placed on one of its windows: 200 files with
    // windows in use, far more than the 48 descriptors the process may open.
    let mut cursors: Vec<_> = (0..FILES)
        .map(|i| man.make_cursor(dir.join(format!("f{i}"))))
        .collect();
    let mut rng = Rng::new(99);
    for round in 0..5 {
        for c in &mut cursors {
            let size = c.file_size().unwrap();
            let ofs = if round == 0 {
                0
            } else {
                rng.range(0, size - 1)
            };
            assert!(c.use_region(ofs, 100).unwrap().is_valid());
            assert!(
                c.buffer()
                    .iter()
                    .enumerate()
                    .all(|(k, &b)| b == pattern_byte(ofs + k as u64))
            );
        }
    }
    let stats = man.stats();
    assert!(
        man.num_open_files() == FILES,
        "every file has a window in use"
    );
    assert!(man.num_open_descriptors() < 48);
    assert!(
        stats.descriptors_closed > 0,
        "the OS ran out of descriptors and the manager recovered: {stats:?}"
    );
    println!("fd-limit child ok: {stats:?}");
}

const AS_CHILD_ENV: &str = "SMMAP_AS_LIMIT_CHILD_FILE";
const BIG: u64 = 1 << 30;
const WINDOW: usize = 16 << 20;

#[test]
fn mappings_refused_by_the_os_unload_idle_windows_and_retry() {
    if let Ok(file) = std::env::var(AS_CHILD_ENV) {
        return as_child(file.as_ref());
    }
    let dir = common::temp_dir("aslimit");
    let path = dir.join("big");
    // A sparse 1 GiB file with the pattern at the start of every window.
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(BIG).unwrap();
    for w in 0..BIG / WINDOW as u64 {
        let at = w * WINDOW as u64;
        f.write_all_at(&(at..at + 64).map(pattern_byte).collect::<Vec<_>>(), at)
            .unwrap();
    }
    drop(f);
    run_child(
        "ulimit -v 400000",
        "mappings_refused_by_the_os_unload_idle_windows_and_retry",
        AS_CHILD_ENV,
        &path,
        "as-limit child ok",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn as_child(path: &std::path::Path) {
    // No memory limit of our own (8 GiB): only the OS's 400 MB address space.
    let man = SlidingWindowMapManager::with_limits(WINDOW, 0, 0);
    let mut c = man.make_cursor(path);
    for round in 0..2 {
        for w in 0..BIG / WINDOW as u64 {
            let at = w * WINDOW as u64;
            assert!(
                c.use_region(at, 64).unwrap().is_valid(),
                "round {round}, window {w}"
            );
            assert!(
                c.buffer()
                    .iter()
                    .enumerate()
                    .all(|(k, &b)| b == pattern_byte(at + k as u64))
            );
        }
    }
    let stats = man.stats();
    assert!(
        stats.os_refusals_retried > 0,
        "the OS refused mappings and the manager recovered: {stats:?}"
    );
    assert!(stats.peak_mapped_memory < 400_000 * 1024, "{stats:?}");
    println!("as-limit child ok: {stats:?}");
}
