//! git's default-order walk over commit-graph positions alone, for the
//! walks that select every commit their starting points reach (nothing
//! excluded, filtered or simplified, no other order: see
//! `Walk::lists_by_position`), which is what `rev-list <commit>`,
//! GitPython's `iter_commits` and `Commit.count` ask for.
//!
//! It is git's unlimited walk (`get_revision_1` with `process_parents`
//! into the date-ordered list) without an arena node per commit: a commit
//! the graph lists is known by its position, seen-ness is a bit per
//! position, and a commit's parents are read from the graph when it goes
//! out. Each commit is read as the arena's walk reads it, at the same
//! point of the walk (a parent when its child goes out, every parent's
//! position checked), so a broken graph fails at the same commit.

use crate::error::Error;

use super::commits::Commits;
use super::queue::DateList;

/// The walk's state: the commits still to go out, by date, and the
/// positions met so far.
pub(crate) struct PositionWalk {
    list: DateList,
    /// Bit `pos` set: the commit at `pos` has been put in `list`.
    seen: Vec<u64>,
    first_parent: bool,
    /// Commits still to select (git's `max_count`), if limited.
    max_count: Option<usize>,
    /// Commits to pass over before the first selected.
    skip: usize,
    /// The parents of the commit [`step`](Self::step) returned last.
    parents: Vec<u32>,
    /// The parents of a parent read when it is met (checked, then
    /// forgotten: read again when it goes out).
    scratch: Vec<u32>,
}

impl PositionWalk {
    /// A walk from `starts` (graph positions and committer dates, newest
    /// first, each once, as `prepare_revision_walk` sorts them) over a
    /// graph of `len` commits, selecting `max_count` commits at most after
    /// passing over `skip`.
    pub(crate) fn new(
        len: usize,
        starts: &[(u32, u64)],
        first_parent: bool,
        max_count: Option<usize>,
        skip: usize,
    ) -> PositionWalk {
        let mut walk = PositionWalk {
            list: DateList::new(),
            seen: vec![0; len.div_ceil(64)],
            first_parent,
            max_count,
            skip,
            parents: Vec::new(),
            scratch: Vec::new(),
        };
        for &(pos, date) in starts {
            walk.mark(pos);
            walk.list.insert(pos, date);
        }
        walk
    }

    /// Marks `pos` met; whether it was new.
    fn mark(&mut self, pos: u32) -> bool {
        let (word, bit) = (pos as usize / 64, 1u64 << (pos % 64));
        let new = self.seen[word] & bit == 0;
        self.seen[word] |= bit;
        new
    }

    /// The next commit out's position and committer date, its parents put
    /// in the list (the first only with `first_parent`), each parent read
    /// when it is first met; its parents' positions in `self.parents`.
    ///
    /// # Errors
    /// When the graph can't be read at the commit or at a new parent.
    fn step(&mut self, commits: &mut Commits) -> Result<Option<(u32, u64)>, Error> {
        let Some((pos, date)) = self.list.pop_dated() else {
            return Ok(None);
        };
        // Read whole, and its parents' data fetched, when it was met.
        commits.graph_parents(pos, &mut self.parents)?;
        let take = if self.first_parent { 1 } else { usize::MAX };
        for i in 0..self.parents.len().min(take) {
            let p = self.parents[i];
            if self.mark(p) {
                let parent_date = commits.read_graph_commit(p, &mut self.scratch)?;
                self.list.insert(p, parent_date);
            }
        }
        Ok(Some((pos, date)))
    }

    /// The next selected commit's position and committer date (the skip
    /// and the count applied as git's `get_revision_internal` applies
    /// them); its parents' positions in [`parents`](Self::parents).
    ///
    /// # Errors
    /// When the graph can't be read at the commit or at a new parent.
    pub(crate) fn next(&mut self, commits: &mut Commits) -> Result<Option<(u32, u64)>, Error> {
        if self.max_count == Some(0) {
            return Ok(None);
        }
        let mut next = self.step(commits);
        if matches!(next, Ok(Some(_))) {
            while self.skip > 0 {
                self.skip -= 1;
                next = self.step(commits);
                if !matches!(next, Ok(Some(_))) {
                    break;
                }
            }
        }
        if let Some(m) = self.max_count.as_mut() {
            *m -= 1;
        }
        next
    }

    /// The parents' positions of the commit [`next`](Self::next) returned
    /// last, all of them, in the commit's order.
    pub(crate) fn parents(&self) -> &[u32] {
        &self.parents
    }
}
