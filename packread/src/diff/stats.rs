//! The line counts of a whole diff, as `--numstat` computes them before
//! it prints any: every change's, in order, the first failure in the
//! changes' order ending it; for many changes, on two threads.

use crate::error::Error;
use crate::odb::Reader;

use super::stat::{BlobCache, Classing, LineStat, line_stat_cached};
use super::tree::Change;

/// Changes past which lines are counted on two threads (below, a thread
/// costs more than it saves).
const PARALLEL_FROM: usize = 8;

/// Readers and file caches for [`line_stats`]: the caller's, and a second
/// pair for the second thread.
#[derive(Debug)]
pub struct LineCounters {
    helper: Reader,
    caches: [BlobCache; 2],
}

impl LineCounters {
    /// Counters whose second thread reads with `helper`, each thread
    /// keeping `cache_bytes` of the files it read for the next diffs (see
    /// [`BlobCache`]).
    pub fn new(helper: Reader, cache_bytes: usize) -> LineCounters {
        LineCounters {
            helper,
            caches: [BlobCache::new(cache_bytes), BlobCache::new(cache_bytes)],
        }
    }
}

/// The line counts of `changes` as `git diff --numstat` counts them, in
/// their order, `classings[i]` classing `changes[i]`: with eight changes
/// or more, every other one counted on a second thread (with the
/// counters' second reader) while `reader`'s thread counts the rest. git
/// counts a diff's lines before it prints them: a change that can't be
/// read ends it, the first in the changes' order.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("stats", &[("a.txt", "a\n"), ("b.txt", "b\n")])?;
/// # std::fs::write(dir.join("a.txt"), "a\nb\n")?;
/// # dir.git(&["commit", "-qam", "second"])?;
/// use packread::diff::{self, Classing, LineCounters, LineStat};
///
/// let repo = packread::Repository::discover(&dir)?;
/// let mut reader = repo.odb().reader();
/// let mut counters = LineCounters::new(repo.odb().reader(), 1 << 20);
/// let old = repo.rev_parse("HEAD~^{tree}")?;
/// let new = repo.rev_parse("HEAD^{tree}")?;
/// let options = diff::TreeDiffOptions { recursive: true, ..Default::default() };
/// let mut changes = Vec::new();
/// diff::diff_trees(&mut reader, Some(&old), Some(&new), &options, &mut |c| {
///     changes.push(c);
///     std::ops::ControlFlow::Continue(())
/// })?;
/// let classings = vec![Classing::Detect; changes.len()];
/// let stats = diff::line_stats(&mut reader, &mut counters, &changes, &classings, 512 << 20)?;
/// assert_eq!(stats, [LineStat::Text { added: 1, removed: 0 }]);
/// # Ok(()) }
/// ```
///
/// # Errors
/// The first change in order whose sides can't be read, or are not blobs.
pub fn line_stats(
    reader: &mut Reader,
    counters: &mut LineCounters,
    changes: &[Change],
    classings: &[Classing],
    big_file_threshold: u64,
) -> Result<Vec<LineStat>, Error> {
    let [mine, theirs] = &mut counters.caches;
    let count = |reader: &mut Reader, cache: &mut BlobCache, i: usize| {
        line_stat_cached(reader, cache, &changes[i], big_file_threshold, classings[i])
    };
    if changes.len() < PARALLEL_FROM {
        return (0..changes.len()).map(|i| count(reader, mine, i)).collect();
    }
    let helper = &mut counters.helper;
    // Each side stops at its first failure: the earlier of the two is the
    // first in order (every change before it on either side was counted).
    let side = |reader: &mut Reader, cache: &mut BlobCache, from: usize| {
        let mut counted = Vec::with_capacity(changes.len() / 2 + 1);
        for i in (from..changes.len()).step_by(2) {
            match count(reader, cache, i) {
                Ok(stat) => counted.push(stat),
                Err(e) => return (counted, Some((i, e))),
            }
        }
        (counted, None)
    };
    let (even, odd) = std::thread::scope(|scope| {
        let second = scope.spawn(|| side(helper, theirs, 1));
        let first = side(reader, mine, 0);
        let second = second
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (first, second)
    });
    match (even.1, odd.1) {
        (Some((i, e)), Some((j, _))) if i < j => return Err(e),
        (_, Some((_, e))) | (Some((_, e)), None) => return Err(e),
        (None, None) => {}
    }
    let (even, odd) = (even.0, odd.0);
    let mut stats = Vec::with_capacity(changes.len());
    for i in 0..changes.len() {
        stats.push(if i % 2 == 0 { even[i / 2] } else { odd[i / 2] });
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctest::Scratch;

    /// Two threads count what one does, and a diff with an unreadable
    /// file fails with the first one in order, whichever side meets it.
    #[test]
    fn counts_as_one_thread_and_fails_at_the_first_unreadable() {
        let files: Vec<(String, String)> = (0..20)
            .map(|i| (format!("f{i:02}.txt"), "x\n".repeat(i + 1)))
            .collect();
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_str()))
            .collect();
        let dir = Scratch::committed("stats-threads", &borrowed).unwrap();
        for (i, (name, _)) in files.iter().enumerate() {
            std::fs::write(dir.join(name), format!("{}{i}\n", "y\n".repeat(i % 3 + 1))).unwrap();
        }
        dir.git(&["commit", "-qam", "second"]).unwrap();
        let repo = crate::Repository::discover(&dir).unwrap();
        let mut reader = repo.odb().reader();
        let old = repo.rev_parse("HEAD~^{tree}").unwrap();
        let new = repo.rev_parse("HEAD^{tree}").unwrap();
        let options = crate::diff::TreeDiffOptions {
            recursive: true,
            ..Default::default()
        };
        let mut changes = Vec::new();
        // The visitor never stops the diff early.
        let _: std::ops::ControlFlow<()> =
            crate::diff::diff_trees(&mut reader, Some(&old), Some(&new), &options, &mut |c| {
                changes.push(c);
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(changes.len(), 20);
        let classings = vec![Classing::Detect; changes.len()];
        let one: Vec<LineStat> = changes
            .iter()
            .map(|c| {
                crate::diff::line_stat_as(&mut reader, c, 512 << 20, Classing::Detect).unwrap()
            })
            .collect();
        let mut counters = LineCounters::new(repo.odb().reader(), 1 << 20);
        let two = line_stats(&mut reader, &mut counters, &changes, &classings, 512 << 20).unwrap();
        assert_eq!(one, two);

        // Files 5 (the second thread's) and 8 (the first's) made unreadable:
        // the error names file 5's new side, then with 5 restored, file 8's.
        let gone = |i: usize| changes[i].new.unwrap().id;
        let path = |i: usize| {
            let hex = gone(i).to_hex();
            dir.join(".git/objects").join(&hex[..2]).join(&hex[2..])
        };
        let kept = std::fs::read(path(5)).unwrap();
        std::fs::remove_file(path(5)).unwrap();
        std::fs::remove_file(path(8)).unwrap();
        for _ in 0..2 {
            let mut reader = repo.odb().reader();
            let mut counters = LineCounters::new(repo.odb().reader(), 1 << 20);
            match line_stats(&mut reader, &mut counters, &changes, &classings, 512 << 20) {
                Err(Error::NotFound(id)) => assert_eq!(id, gone(5)),
                other => panic!("{other:?}"),
            }
        }
        std::fs::write(path(5), kept).unwrap();
        let mut reader = repo.odb().reader();
        let mut counters = LineCounters::new(repo.odb().reader(), 1 << 20);
        match line_stats(&mut reader, &mut counters, &changes, &classings, 512 << 20) {
            Err(Error::NotFound(id)) => assert_eq!(id, gone(8)),
            other => panic!("{other:?}"),
        }
    }
}
