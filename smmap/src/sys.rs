//! The operating-system boundary: the only place in the crate that maps memory.
//!
//! Everything `unsafe` in `smmap` lives in this module. Each block states why it
//! is sound; the rest of the crate is safe Rust built on [`map_read_only`],
//! [`page_size`] and [`prefetch`].

use std::fs::File;
use std::io;
use std::sync::OnceLock;

use memmap2::{Mmap, MmapOptions};

/// The size of a memory page, which is what mappings are aligned to.
///
/// On Unix this is `sysconf(_SC_PAGESIZE)`; on Windows mappings must start at a
/// multiple of the allocation granularity, which is 64 KiB on every Windows
/// version in use.
pub(crate) fn page_size() -> u64 {
    static PAGE: OnceLock<u64> = OnceLock::new();
    *PAGE.get_or_init(|| {
        #[cfg(unix)]
        {
            // SAFETY: `sysconf` only reads a configuration value; it has no
            // preconditions and touches no memory of ours.
            let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            u64::try_from(v).ok().filter(|&v| v > 0).unwrap_or(4096)
        }
        #[cfg(not(unix))]
        {
            65536
        }
    })
}

/// Maps `len` bytes of `file` starting at `offset`, read-only.
///
/// On Unix the mapping is private (`MAP_PRIVATE`, `PROT_READ`): it works on
/// filesystems that refuse shared mappings and the process can never write
/// through it. The manager places every window from the size it asked of the
/// operating system through this very descriptor just before (`fstat` in
/// `Shared::refresh`, after which nothing places a window from an older
/// size), so no page of the mapping lies beyond the end of file as it was
/// then.
pub(crate) fn map_read_only(file: &File, offset: u64, len: usize) -> io::Result<Mmap> {
    let mut options = MmapOptions::new();
    options.offset(offset).len(len);
    #[cfg(unix)]
    {
        // SAFETY: a file-backed mapping is only sound while the file's bytes in
        // the mapped range do not change and the file is not truncated below it.
        // This crate maps files that are written once and then only read
        // (git packs, indices and loose objects are never modified in place);
        // the crate documentation states this contract for callers. The
        // mapping is read-only and private, so nothing we do can modify the
        // file, and `offset + len` lies within the size the manager last
        // asked of this descriptor: `Shared::place` computes the window from
        // that size, after any refresh, and every retry places it anew. The
        // returned `Mmap` owns the mapping and unmaps it exactly once when
        // dropped; every slice handed out borrows from it.
        unsafe { options.map_copy_read_only(file) }
    }
    #[cfg(not(unix))]
    {
        // SAFETY: as above; on Windows a copy-on-write view is charged in full
        // against the commit limit, so a plain read-only view is used instead.
        unsafe { options.map(file) }
    }
}

/// Asks the processor to bring the cache line holding `bytes[0]` closer
/// (a hint: nothing happens where the target has no such instruction, or
/// for an empty slice).
#[inline]
pub(crate) fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    if !bytes.is_empty() {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: `prefetch` is a hint: it reads nothing into the program,
        // writes nothing and never faults, whatever the address; SSE, which
        // it needs, is part of every x86_64 processor. The address is that
        // of a live slice's first byte all the same.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(bytes.as_ptr().cast()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}
