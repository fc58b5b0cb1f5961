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
//!
//! A long walk runs on a thread of its own ([`Positions`]), handing over
//! batches of selected commits: the caller reads their ids (another table
//! of the graph) and writes them while the walk goes on, and each core's
//! caches hold one table's working set.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::error::Error;
use crate::graph::{CommitGraph, GraphCursors};

use super::queue::DateList;
use super::worker::{self, resume_panic};

/// The walk's state: the commits still to go out, by date, the positions
/// met so far, and its own cursors over the graph.
pub(crate) struct PositionWalk {
    graph: Arc<CommitGraph>,
    cursors: GraphCursors,
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
    /// A walk of `graph` from `starts` (graph positions and committer
    /// dates, newest first, each once, as `prepare_revision_walk` sorts
    /// them), selecting `max_count` commits at most after passing over
    /// `skip`.
    pub(crate) fn new(
        graph: Arc<CommitGraph>,
        starts: &[(u32, u64)],
        first_parent: bool,
        max_count: Option<usize>,
        skip: usize,
    ) -> PositionWalk {
        let len = graph.len() as usize;
        let mut walk = PositionWalk {
            cursors: graph.cursors(),
            graph,
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
    /// whole when it is first met, as the arena's walk parses it (and its
    /// own parents' records asked for); its parents' positions in
    /// `self.parents`.
    fn step(&mut self) -> Result<Option<(u32, u64)>, Error> {
        let Some((pos, date)) = self.list.pop_dated() else {
            return Ok(None);
        };
        self.graph
            .parent_positions(&mut self.cursors, pos, false, &mut self.parents)?;
        let take = if self.first_parent { 1 } else { usize::MAX };
        for i in 0..self.parents.len().min(take) {
            let p = self.parents[i];
            if self.mark(p) {
                let (_tree, parent_date, _generation) =
                    self.graph
                        .commit_parts(&mut self.cursors, p, &mut self.scratch)?;
                for &q in &self.scratch {
                    self.graph.prefetch(&self.cursors, q);
                }
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
    pub(crate) fn next(&mut self) -> Result<Option<(u32, u64)>, Error> {
        if self.max_count == Some(0) {
            return Ok(None);
        }
        let mut next = self.step();
        if matches!(next, Ok(Some(_))) {
            while self.skip > 0 {
                self.skip -= 1;
                next = self.step();
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

    /// Whether the walk may select more than `n` commits (worth a thread).
    pub(crate) fn selects_over(&self, n: usize) -> bool {
        self.max_count.is_none_or(|m| m > n)
    }
}

/// Commits a walk on its own thread selected, in order.
#[derive(Default)]
struct Batch {
    /// Position, committer date, and where its parents lie in `parents`.
    commits: Vec<(u32, u64, u32, u32)>,
    parents: Vec<u32>,
}

/// Commits a [`Batch`] holds: enough to keep both threads busy, few
/// enough for the first ones to come soon.
const BATCH: usize = 256;

/// What the walk's thread sends.
enum Message {
    /// The next commits selected.
    Batch(Batch),
    /// The walk ended: nothing more.
    Done,
    /// The walk failed (after the commits sent before).
    Failed(Error),
}

/// A [`PositionWalk`] on a thread of its own, read batch by batch; what
/// ended it (the end, or an error) comes after the commits before.
pub(crate) struct Positions {
    rx: Receiver<Message>,
    thread: Option<JoinHandle<()>>,
    batch: Batch,
    /// The next commit of `batch` to hand over.
    next: usize,
    /// Where this commit's parents lie in `batch.parents`.
    last_parents: (u32, u32),
    done: bool,
}

impl Positions {
    /// `walk` moved to a thread of its own, or left here where the
    /// system starts no thread.
    fn spawn(walk: PositionWalk) -> Positional {
        let (tx, rx) = sync_channel(2);
        match worker::spawn("packread-walk", walk, move |walk| run(walk, &tx)) {
            Ok(thread) => Positional::Away(Positions {
                rx,
                thread: Some(thread),
                batch: Batch::default(),
                next: 0,
                last_parents: (0, 0),
                done: false,
            }),
            Err(walk) => Positional::Here(walk),
        }
    }

    /// As [`PositionWalk::next`].
    ///
    /// # Errors
    /// As [`PositionWalk::next`], after the commits selected before.
    ///
    /// # Panics
    /// Where the walk's thread panicked (its panic, carried over).
    pub(crate) fn next(&mut self) -> Result<Option<(u32, u64)>, Error> {
        while self.next == self.batch.commits.len() {
            if self.done {
                return Ok(None);
            }
            match self.rx.recv() {
                Ok(Message::Batch(batch)) => {
                    self.batch = batch;
                    self.next = 0;
                }
                Ok(Message::Done) => self.done = true,
                Ok(Message::Failed(e)) => {
                    self.done = true;
                    return Err(e);
                }
                // The thread ended without saying how: it panicked.
                Err(_) => {
                    self.done = true;
                    resume_panic(self.thread.take());
                }
            }
        }
        let (pos, date, start, len) = self.batch.commits[self.next];
        self.next += 1;
        self.last_parents = (start, len);
        Ok(Some((pos, date)))
    }

    /// The parents' positions of the commit [`next`](Self::next) returned
    /// last.
    pub(crate) fn parents(&self) -> &[u32] {
        let (start, len) = (self.last_parents.0 as usize, self.last_parents.1 as usize);
        &self.batch.parents[start..start + len]
    }
}

/// The walk's thread: batches until the walk ends or fails, or the caller
/// stops listening (its end of the channel dropped).
fn run(mut walk: PositionWalk, tx: &SyncSender<Message>) {
    loop {
        let mut batch = Batch::default();
        let mut end = None;
        while batch.commits.len() < BATCH {
            match walk.next() {
                Ok(Some((pos, date))) => {
                    let start = batch.parents.len() as u32;
                    batch.parents.extend_from_slice(walk.parents());
                    let len = walk.parents().len() as u32;
                    batch.commits.push((pos, date, start, len));
                }
                Ok(None) => {
                    end = Some(Message::Done);
                    break;
                }
                Err(e) => {
                    end = Some(Message::Failed(e));
                    break;
                }
            }
        }
        if !batch.commits.is_empty() && tx.send(Message::Batch(batch)).is_err() {
            return;
        }
        if let Some(end) = end {
            let _ = tx.send(end);
            return;
        }
    }
}

/// A walk over graph positions: here, or on a thread of its own once it
/// is known to be long.
pub(crate) enum Positional {
    Here(PositionWalk),
    Away(Positions),
}

/// Commits a walk may still select for it to move to a thread of its own
/// (below, the thread costs more than it saves).
const AWAY_FROM: usize = 1_000;

impl Positional {
    /// As [`PositionWalk::next`].
    ///
    /// # Errors
    /// As [`PositionWalk::next`].
    pub(crate) fn next(&mut self) -> Result<Option<(u32, u64)>, Error> {
        match self {
            Positional::Here(walk) => walk.next(),
            Positional::Away(walk) => walk.next(),
        }
    }

    /// As [`PositionWalk::parents`].
    pub(crate) fn parents(&self) -> &[u32] {
        match self {
            Positional::Here(walk) => walk.parents(),
            Positional::Away(walk) => walk.parents(),
        }
    }

    /// `walk`, moved to a thread of its own if it may select many more
    /// commits and a second processor can run it.
    pub(crate) fn away_if_long(walk: PositionWalk) -> Positional {
        let two = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
        if !two || !walk.selects_over(AWAY_FROM) {
            return Positional::Here(walk);
        }
        Positions::spawn(walk)
    }
}
