/*!
Read git object databases by random access through sliding memory-map windows.

`packread` reads what `git cat-file` reads — packs (`.pack` + `.idx` v1/v2),
loose objects and alternates, SHA-1 and SHA-256 — through [`smmap`] window
cursors: every zlib stream is inflated straight from the mapped windows (also
when it crosses a window end), delta chains are resolved through a bounded
delta-base cache, and one window manager bounds the mapped memory and open
handles of the whole database.

# Example

```
# fn main() -> Result<(), Box<dyn std::error::Error>> {
# let dir = std::env::temp_dir().join(format!("packread-doc-{}", std::process::id()));
# std::fs::create_dir_all(&dir)?;
# let git = |args: &[&str]| std::process::Command::new("git").args(args).current_dir(&dir).output();
# git(&["init", "-q"])?;
# std::fs::write(dir.join("hello.txt"), "hello\n")?;
# git(&["add", "hello.txt"])?;
# git(&["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "c"])?;
# git(&["gc", "-q"])?;
let odb = packread::Odb::open(&dir)?;
let id = odb.resolve_prefix("ce013625")?; // the blob "hello\n"
let object = odb.read(&id)?;
assert_eq!(object.kind, packread::ObjectKind::Blob);
assert_eq!(object.data, b"hello\n");
# std::fs::remove_dir_all(&dir)?;
# Ok(()) }
```

Bounded resources: open the database with small windows and a memory limit,
and read from several threads, each with its own [`Reader`]:

```no_run
# fn main() -> Result<(), packread::Error> {
let odb = packread::OpenOptions::new()
    .window_size(1 << 20)      // 1 MiB windows
    .max_memory(64 << 20)      // at most 64 MiB mapped (windows in use excepted)
    .max_handles(256)          // at most 256 windows
    .open(".")?;
let ids: Vec<_> = odb.object_ids().collect::<Result<_, _>>()?;
std::thread::scope(|s| {
    for part in ids.chunks(ids.len().div_ceil(2).max(1)) {
        let mut reader = odb.reader(); // one per thread
        s.spawn(move || {
            for id in part {
                let _ = reader.read(id).unwrap();
            }
        });
    }
});
# Ok(()) }
```

# Files that change under a reader

packread never writes to a repository, but git may rewrite it meanwhile
(`git gc`, `git repack`). What is guarded, and what can't be:

- A pack **removed** while open keeps being read through its open
  descriptor and its mapped windows (the operating system keeps the file
  until both are gone). Once its descriptor was given back, a read that
  needs a new window of it fails with an error for which
  [`Error::is_file_gone`] holds; a [`Reader`]'s reads by id then scan the
  directories again and look once more, as git does, so an object that
  exists when it is asked for is found wherever the repack put it
  ([`Reader::relocating`] does the same for a read of a [`Location`]).
- A pack **replaced** under the same name (`git repack` writing a new pack
  with the same name, or a new `multi-pack-index`) is noticed when a window
  is mapped or reused (the file's device and inode are compared): reads of
  the old file end with [`smmap::Error::FileReplaced`], never mixing the two
  files' bytes, and the scan that follows opens the new file as a pack of
  its own.
- A pack that **grows** is read as it was: only offsets the index names are
  read, and the known size is refreshed when a window is mapped.
- A pack **truncated** while open is noticed before a window is mapped, and
  before an idle window is reused if the pack's size was last asked more
  than [`smmap::IDLE_RECHECK_INTERVAL`] (100 ms) ago (windows past the new
  end are unloaded), so reads return a typed error instead of touching
  missing pages. What no reader can guard without a system call on every
  read: a file truncated *while a cursor is reading from a window* of it.
  Touching a mapped page past the new end of file raises `SIGBUS`, as it does
  for git, libgit2 and every other reader that maps files. git never
  truncates a pack it has written (it writes new files and renames them), so
  this takes another program rewriting packs in place.

# Packs git can't use

A pack whose index's fan-out table goes down, or whose trailer doesn't
match the index's copy of it, is left out of lookups as git leaves it out:
its objects are not found (others still are), and each lookup that reaches
it records git's complaint (`non-monotonic index <path>`, `packfile <path>
does not match index`) for [`Reader::take_refresh_warnings`]. Any other
damage to a pack's or an index's header makes opening the database fail
with [`Error::Corrupt`].

# Layout

- [`Odb`], [`Reader`] and what they answer: the high-level API.
- [`object`]: kinds, ids, hashing, and the parsing of object content.
- [`export`]: a tree's files written to a directory.
- [`pack`]: packs at the level of their files (index, entries, deltas,
  verification), for tools that inspect packs themselves.
- [`smmap`]: the window manager everything is read through.
*/
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod attributes;
mod cheap_hash;
mod common_bytes;
pub mod diff;
#[doc(hidden)]
pub mod doctest;
mod error;
pub mod export;
mod generations;
mod git_dir;
pub mod graph;
pub mod history;
mod inflate;
pub mod mailmap;
pub mod object;
mod odb;
pub mod pack;
mod quote;
pub mod refs;
pub mod repository;
pub mod revision;
#[cfg(test)]
mod test_rand;
mod warning;
mod wildmatch;

pub use error::{
    Corruption, DeltaError, Error, RefProblem, RevisionProblem, StreamError, WalkStage,
};
pub use object::{HashKind, ObjectId, ObjectKind};
pub use odb::{
    CacheStats, DiskInfo, Header, Location, Object, ObjectIds, ObjectInfo, ObjectStream, Odb,
    OpenOptions, PackId, Packs, Parsed, Reader, Visited, auto_abbrev,
};
pub use repository::Repository;
pub use smmap;
pub use warning::{IndexProblem, Warning};

// The README's Rust examples compile (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
