//! Line counts of a change as `git diff --numstat` gives them: lines
//! added and removed as git's Myers diff finds them, files git takes
//! for binary (a NUL in the first 8000 bytes, or larger than
//! `core.bigFileThreshold`) marked instead, submodules compared as git
//! shows them (`Subproject commit <id>`).

use std::sync::Arc;

use crate::error::Error;
use crate::object::{ObjectId, ObjectKind};
use crate::odb::Reader;

use super::recent::Recent;
use super::tree::{Change, Side};

/// How many bytes git looks at for a NUL (`FIRST_FEW_BYTES`).
const FIRST_FEW_BYTES: usize = 8000;

/// git's default `core.bigFileThreshold`: larger files are binary.
pub const BIG_FILE_THRESHOLD: u64 = 512 << 20;

/// The line counts of one change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineStat {
    /// Text on both sides: lines added and removed.
    Text {
        /// Lines only in the new side.
        added: u64,
        /// Lines only in the old side.
        removed: u64,
    },
    /// Binary on either side (`-` `-` in `--numstat`).
    Binary,
}

/// Whether git takes `data` for binary content (`buffer_is_binary`).
///
/// ```
/// assert!(packread::diff::is_binary(b"GIF89a\0\x01"));
/// assert!(!packread::diff::is_binary(b"text\n"));
/// ```
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(FIRST_FEW_BYTES)]).is_some()
}

/// How many lines `data` has, a last line without its newline counted.
pub fn count_lines(data: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', data).count() as u64;
    newlines + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// The lines added and removed from `old` to `new`, as git's default
/// (Myers) diff counts them.
///
/// ```
/// use packread::diff::line_counts;
/// assert_eq!(line_counts(b"a\nb\nc\n", b"a\nB\nc\nd"), (2, 1));
/// ```
pub fn line_counts(old: &[u8], new: &[u8]) -> (u64, u64) {
    if old.is_empty() || new.is_empty() {
        return (count_lines(new), count_lines(old));
    }
    super::lines::changed_lines(old, new)
}

/// The contents of files read recently, for the line counts of diffs
/// along history: a file one commit changes is often changed by the next
/// one too, and its version between them is read for both diffs.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("blobcache", &[("a.txt", "a\nb\n")])?;
/// # std::fs::write(dir.join("a.txt"), "a\nc\nd\n")?;
/// # dir.git(&["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qam", "second"])?;
/// use packread::diff::{diff_trees, line_stat_cached, BlobCache, Classing, LineStat,
///     TreeDiffOptions, BIG_FILE_THRESHOLD};
/// use packread::Repository;
///
/// let repo = Repository::discover(&*dir)?;
/// let (old, new) = (repo.rev_parse("HEAD~^{tree}")?, repo.rev_parse("HEAD^{tree}")?);
/// let mut reader = repo.odb().reader();
/// let mut changes = Vec::new();
/// diff_trees(&mut reader, Some(&old), Some(&new), &TreeDiffOptions::default(), &mut |c| {
///     changes.push(c);
///     std::ops::ControlFlow::Continue(())
/// })?;
/// let mut cache = BlobCache::new(16 << 20);
/// for _ in 0..2 {
///     // The second count reads both versions from the cache.
///     let stat = line_stat_cached(&mut reader, &mut cache, &changes[0], BIG_FILE_THRESHOLD,
///         Classing::Detect)?;
///     assert_eq!(stat, LineStat::Text { added: 2, removed: 1 });
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct BlobCache(Recent);

impl BlobCache {
    /// A cache of at most `limit` bytes of files (and one file more),
    /// kept as [`TreeCache`](super::TreeCache) keeps trees.
    pub fn new(limit: usize) -> BlobCache {
        BlobCache(Recent::new(limit))
    }
}

/// Reads a side's content as `git diff` sees it, through `cache` if
/// given: `None` for a file larger than `threshold` (binary without
/// reading it).
fn content(
    reader: &mut Reader,
    mut cache: Option<&mut Recent>,
    side: Option<&Side>,
    threshold: u64,
) -> Result<Option<Arc<Vec<u8>>>, Error> {
    let Some(side) = side else {
        return Ok(Some(Arc::default()));
    };
    if side.is_gitlink() {
        return Ok(Some(Arc::new(
            format!("Subproject commit {}\n", side.id).into_bytes(),
        )));
    }
    if let Some(data) = cache.as_deref_mut().and_then(|c| c.get(&side.id)) {
        return Ok((data.len() as u64 <= threshold).then_some(data));
    }
    if reader.header(&side.id)?.size > threshold {
        return Ok(None);
    }
    let id = &side.id;
    if let Some(cache) = cache {
        return cache
            .get_or_read(id, |buf| read_blob(reader, id, buf))
            .map(Some);
    }
    read_blob(reader, id, Vec::new()).map(Some)
}

/// A blob's bytes (made in `buf` if they must be made), shared with the
/// reader's delta-base cache.
fn read_blob(reader: &mut Reader, id: &ObjectId, buf: Vec<u8>) -> Result<Arc<Vec<u8>>, Error> {
    let (kind, data) = reader.read_shared(id, buf)?;
    if kind != ObjectKind::Blob {
        return Err(Error::UnexpectedKind {
            id: *id,
            expected: ObjectKind::Blob,
            found: kind,
        });
    }
    Ok(data)
}

/// The line counts of `change` (a file's, not a directory's): git's
/// `--numstat` numbers, files larger than `big_file_threshold` binary.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("stat", &[("a.txt", "a\nb\n")])?;
/// # std::fs::write(dir.join("a.txt"), "a\nc\nd\n")?;
/// # dir.git(&["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qam", "second"])?;
/// use packread::diff::{diff_trees, line_stat, LineStat, TreeDiffOptions, BIG_FILE_THRESHOLD};
/// use packread::Repository;
///
/// let repo = Repository::discover(&*dir)?;
/// let (old, new) = (repo.rev_parse("HEAD~^{tree}")?, repo.rev_parse("HEAD^{tree}")?);
/// let mut reader = repo.odb().reader();
/// let mut changes = Vec::new();
/// diff_trees(&mut reader, Some(&old), Some(&new), &TreeDiffOptions::default(), &mut |c| {
///     changes.push(c);
///     std::ops::ControlFlow::Continue(())
/// })?;
/// let stat = line_stat(&mut reader, &changes[0], BIG_FILE_THRESHOLD)?;
/// assert_eq!(stat, LineStat::Text { added: 2, removed: 1 });
/// # Ok(()) }
/// ```
pub fn line_stat(
    reader: &mut Reader,
    change: &Change,
    big_file_threshold: u64,
) -> Result<LineStat, Error> {
    line_stat_as(reader, change, big_file_threshold, Classing::Detect)
}

/// How a file is classed for line counts: as its content says (git's
/// default), or as its `diff` attribute and driver decide (git's
/// `diff_filespec_is_binary`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Classing {
    /// A NUL in the first 8000 bytes, or a size past the threshold:
    /// binary.
    #[default]
    Detect,
    /// Binary whatever it holds (`-diff`, `binary`, a driver with
    /// `binary = true`).
    Binary,
    /// Text whatever it holds (`diff`, a driver with `binary = false`).
    Text,
}

impl Classing {
    /// The classing of a file whose `diff` attribute is `state`;
    /// `driver_binary` gives the `diff.<driver>.binary` setting of a
    /// named driver, if set.
    ///
    /// ```
    /// use packread::attributes::State;
    /// use packread::diff::Classing;
    /// assert_eq!(Classing::from_attribute(&State::Unset, |_| None), Classing::Binary);
    /// assert_eq!(Classing::from_attribute(&State::Value(b"cpp".to_vec()), |_| None), Classing::Detect);
    /// assert_eq!(Classing::from_attribute(&State::Value(b"x".to_vec()), |_| Some(true)), Classing::Binary);
    /// ```
    pub fn from_attribute(
        state: &crate::attributes::State,
        driver_binary: impl FnOnce(&[u8]) -> Option<bool>,
    ) -> Classing {
        use crate::attributes::State;
        match state {
            State::Set => Classing::Text,
            State::Unset => Classing::Binary,
            State::Unspecified => Classing::Detect,
            State::Value(driver) => match driver_binary(driver) {
                Some(true) => Classing::Binary,
                Some(false) => Classing::Text,
                None => Classing::Detect,
            },
        }
    }
}

/// As [`line_stat`], the file classed as `classing` says.
///
/// # Errors
/// A side that can't be read, or that is not a blob.
pub fn line_stat_as(
    reader: &mut Reader,
    change: &Change,
    big_file_threshold: u64,
    classing: Classing,
) -> Result<LineStat, Error> {
    stat(reader, None, change, big_file_threshold, classing)
}

/// As [`line_stat_as`], the files read through `cache` (see
/// [`BlobCache`]).
///
/// # Errors
/// A side that can't be read, or that is not a blob.
pub fn line_stat_cached(
    reader: &mut Reader,
    cache: &mut BlobCache,
    change: &Change,
    big_file_threshold: u64,
    classing: Classing,
) -> Result<LineStat, Error> {
    stat(
        reader,
        Some(&mut cache.0),
        change,
        big_file_threshold,
        classing,
    )
}

fn stat(
    reader: &mut Reader,
    mut cache: Option<&mut Recent>,
    change: &Change,
    big_file_threshold: u64,
    classing: Classing,
) -> Result<LineStat, Error> {
    let threshold = match classing {
        Classing::Binary => return Ok(LineStat::Binary),
        Classing::Text => u64::MAX,
        Classing::Detect => big_file_threshold,
    };
    let same = match (&change.old, &change.new) {
        (Some(a), Some(b)) => a.id == b.id,
        _ => false,
    };
    let old = content(reader, cache.as_deref_mut(), change.old.as_ref(), threshold)?;
    let new = if same {
        old.clone()
    } else {
        content(reader, cache, change.new.as_ref(), threshold)?
    };
    let (Some(old), Some(new)) = (old, new) else {
        return Ok(LineStat::Binary);
    };
    if classing == Classing::Detect && (is_binary(&old) || is_binary(&new)) {
        return Ok(LineStat::Binary);
    }
    if same {
        return Ok(LineStat::Text {
            added: 0,
            removed: 0,
        });
    }
    let (added, removed) = line_counts(&old, &new);
    Ok(LineStat::Text { added, removed })
}
