/*!
Sliding-window memory maps over many large files: a thread-safe Rust port of
Python's [smmap](https://github.com/gitpython-developers/smmap).

Reading many large files by random access is fastest through memory maps, but
mapping whole files costs address space, and every mapping and open file is a
limited resource. A *window manager* maps only windows of each file, keeps them
while they are used, and unloads idle ones, least recently used first, when a
limit on mapped memory or open handles is reached or the operating system
refuses a mapping.

# Brief overview

* [`SlidingWindowMapManager`] maps windows of a configured size (1 GiB by default
  on 64-bit) around each requested offset; [`StaticWindowMapManager`] maps whole
  files. Both are cheap-to-clone, `Send + Sync` handles on a [`MapManager`].
* A [`WindowCursor`] points into one window of one file. Moving it inside its
  window costs a bounds check; only a move to another window takes the
  manager's lock. While a cursor is on a window, that window stays mapped: a
  slice from [`WindowCursor::buffer`] borrows the cursor, so the borrow checker
  rules out upstream's `BufferError` and use-after-unmap.
* [`SlidingWindowMapBuffer`] hides the windows behind a byte-buffer interface
  (relative indices, slices across windows, `find`/`rfind`) and implements
  [`Read`](std::io::Read), [`Seek`](std::io::Seek) and [`BufRead`](std::io::BufRead).
* [`MapWindow`], [`MapRegion`], [`align_to_mmap`] and [`is_64_bit`] are the
  utilities the managers are built from.

# Tutorial

This is upstream's usage guide, in Rust.

```
# fn main() -> Result<(), Box<dyn std::error::Error>> {
use smmap::{SlidingWindowMapBuffer, SlidingWindowMapManager};

# let dir = std::env::temp_dir().join(format!("smmap-tutorial-{}", std::process::id()));
# std::fs::create_dir_all(&dir)?;
# let path = dir.join("test_file");
# let data: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
# std::fs::write(&path, &data)?;
// One manager per application, shared by everything that reads files. The
// defaults suit 32- and 64-bit processes alike.
let mman = SlidingWindowMapManager::new();

// The manager tells how many handles are open and how much memory is mapped.
assert_eq!(mman.num_file_handles(), 0);
assert_eq!(mman.mapped_memory_size(), 0);

// A cursor is associated with a file, but not usable until it is placed.
let mut c = mman.make_cursor(&path);
assert!(c.is_associated());
assert!(!c.is_valid());

// Ask for as much as possible from offset 0, and check that it worked.
assert!(c.use_region(0, 0)?.is_valid());

// Once a window is mapped, mind its size: don't read past `size()`.
assert!(c.size() > 0);
let _first = c.buffer()[0];
let _nine = &c.buffer()[1..10]; // a slice, no copy
let _last = c.buffer()[c.size() - 1];

// Absolute offsets, and whether an offset lies in the cursor's bytes.
assert!(c.ofs_begin() < c.ofs_end());
assert!(c.includes_ofs(100));

// A request at or past the end of the file leaves the cursor invalid.
let file_size = c.file_size()?;
assert!(!c.use_region(file_size, 100)?.is_valid());
// As much as possible after skipping the first 100 bytes.
assert!(c.use_region(100, 0)?.is_valid());

// Let go of the window explicitly (dropping the cursor does the same).
c.unuse_region();
assert!(!c.is_valid());

// A buffer places the cursor itself and reads like one byte string.
let mut buf = SlidingWindowMapBuffer::new(mman.make_cursor(&path), 0, u64::MAX)?;
assert!(buf.cursor().is_some_and(|c| c.is_valid()));
assert_eq!(buf.get(0)?, Some(data[0]));                   // the first byte
assert_eq!(buf.get(buf.len() - 1)?, data.last().copied()); // the last byte
let n = buf.len();
assert_eq!(&*buf.slice(n - 10..)?, &data[data.len() - 10..]); // the last ten

// Keep the buffer between accesses with end_access / begin_access.
buf.end_access();
assert!(!buf.cursor().is_some_and(|c| c.is_valid()));
assert!(buf.begin_access(None, 10, u64::MAX)?); // start at offset 10
assert_eq!(buf.get(0)?, Some(data[10]));          // indices are relative
// It lets go of its window when dropped.
# drop(buf);
# std::fs::remove_dir_all(&dir)?;
# Ok(()) }
```

# The contract for mapped files

A mapping shows the file's bytes as they are on disk. Files must therefore not
be modified in place or truncated while they are mapped; appending is fine. Git
never modifies packs, indices or loose objects in place, which is what this crate
is for. To limit the damage of a file truncated by someone else, the manager
checks the file's size every time it maps a window (a window never reaches past
the end of the file as it is then) and when an idle window goes back into use
if the last check is older than [`IDLE_RECHECK_INTERVAL`] (100 ms: a reader
moving back and forth between windows would otherwise pay a system call per
move), and unloads windows that reach past a shrunken end: a read past the new
end gives an invalid cursor. What cannot be guarded against is a file truncated
while a cursor is on a window and reads from it: the OS then raises `SIGBUS` on
the missing pages (checking the size before every read would cost a system call
per read).

# Differences from upstream

Eviction is least recently used (upstream evicts the first idle region in
insertion order); both managers enforce both limits; handle-limit failures and
OS errors are typed [`Error`]s; offsets are unsigned; cursor clones work;
region lists can't be orphaned; the file size is refreshed when needed (a file
that grows is seen at its new size); buffer indices are relative, as upstream's
documentation promises; everything is thread-safe. Descriptors are kept only while
a file has windows (on Unix a mapping needs no open descriptor), and are closed
early if the OS runs out of them.
*/
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod align;
mod buffer;
mod cursor;
mod error;
mod file;
mod manager;
mod region;
mod shared;
#[allow(unsafe_code)] // the one place that maps memory
mod sys;
mod window;

/// The examples of `README.md`, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

pub use align::{align_to_mmap, allocation_granularity, is_64_bit};
pub use buffer::SlidingWindowMapBuffer;
pub use cursor::{PathOrFd, WindowCursor};
pub use error::{Action, Error};
pub use manager::{MapManager, SlidingWindowMapManager, StaticWindowMapManager};
pub use region::MapRegion;
pub use shared::{IDLE_RECHECK_INTERVAL, ManagerKind, Stats};
pub use window::MapWindow;

/// Asks the processor to bring the cache line holding `bytes[0]` closer: a
/// hint for a reader about to look at it after other work (a table's entry
/// a gather will reach a few steps on). Nothing happens for an empty slice,
/// where the target has no such instruction, or where the page isn't
/// mapped in yet (a prefetch never faults).
///
/// ```
/// let table = vec![7u8; 4096];
/// smmap::prefetch(&table[2048..]);
/// smmap::prefetch(&[]);
/// assert_eq!(table[2048], 7);
/// ```
#[inline]
pub fn prefetch(bytes: &[u8]) {
    sys::prefetch(bytes);
}
