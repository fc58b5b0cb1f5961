//! Shared test helpers: patterned files (upstream's `FileCreator`, but with
//! content that makes any misplaced byte visible) and a small PRNG.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// upstream's `TestBase.k_window_test_size`.
pub const K_WINDOW_TEST_SIZE: u64 = 1000 * 1000 * 8 + 5195;

/// The byte at file offset `i` of every patterned file: a multiplicative hash,
/// so a shift by any offset is visible.
pub fn pattern_byte(i: u64) -> u8 {
    (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8
}

pub fn pattern(len: u64) -> Vec<u8> {
    (0..len).map(pattern_byte).collect()
}

/// A temporary file filled with the pattern, removed on drop.
pub struct FileCreator {
    path: PathBuf,
    size: u64,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the system's temp dir, unique to this process and call.
pub fn temp_dir(prefix: &str) -> PathBuf {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("smmap-test-{}-{prefix}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl FileCreator {
    pub fn new(size: u64, prefix: &str) -> FileCreator {
        let dir = temp_dir(prefix);
        let path = dir.join("file");
        std::fs::write(&path, pattern(size)).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
        FileCreator { path, size }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn size(&self) -> u64 {
        self.size
    }
}

impl Drop for FileCreator {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.path.parent().unwrap());
    }
}

/// xorshift64*: deterministic, seedable randomness without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}
