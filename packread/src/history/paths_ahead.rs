//! The entries at a path-limited walk's paths, found on a thread of their
//! own ahead of the walk where a commit-graph lists the commits: with the
//! graph giving each commit's parents, date and root tree, comparing trees
//! is most of such a walk (rails' `rev-list --full-history HEAD --
//! activerecord/lib/active_record/base.rb`: 71 % of it in
//! `PathEntries::compare`, the second parents of 26,000 merges).
//!
//! The thread starts once the walk has compared trees a few times (see
//! `prune::AHEAD_AFTER`). It walks the graph as the walk does (newest
//! first, from the same commits), and for each commit whose trees the walk will compare
//! (where the changed-path filter says "maybe", or no filter answers, or
//! for a merge's other parents) looks up what the root trees of the commit
//! and its parents hold at the paths. The walk takes those answers by root
//! tree where the thread got there first, and looks up the rest itself.
//! Where the walk catches up with the thread, the thread leaves the next
//! [`JUMP`] commits that need lookups to the walk ([`JUMP_SIMPLIFYING`]
//! with simplification): each then does about half of them, in runs long
//! enough that consecutive commits' subtrees are looked up by the same
//! thread. It works at most [`LEAD`] such commits ahead of the walk.
//! Without simplification (`--full-history`) it follows every parent;
//! with it, the parents git's simplification follows, as far as the
//! entries it found tell.
//!
//! Its reads never fetch from a promisor remote; a tree it can't read is
//! left to the walk (which then meets its own error).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use crate::generations::Generations;
use crate::graph::{CommitGraph, GraphCursors, filter_may_hold};
use crate::object::ObjectId;
use crate::odb::Reader;

use super::path_entries::{Found, PathEntries};
use super::worker;

/// How many root trees' answers the thread holds (two generations of this
/// many at most).
const HELD: usize = 1 << 14;

/// How many commits that need lookups the thread leaves to the walk when
/// the walk catches up with it, without simplification: runs long enough
/// for each thread's lookups to share subtrees. rails' `--full-history`
/// walk of one file (26,000 merges): 0.41 s without the thread; with it
/// 0.32 s leaving 16, 0.29 s leaving 64, 0.28 s leaving 1,024, 0.30 s
/// leaving 4,096.
const JUMP: usize = 1024;

/// [`JUMP`] with simplification, where the changed-path filters leave few
/// commits to compare (rails' walk of one file: 3,200 of 55,000): leaving
/// 1,024, the thread did little; leaving 64, rails' `--count` 79 -> 67 ms,
/// git.git's `-- t/t0000-basic.sh` 88 -> 66 ms.
const JUMP_SIMPLIFYING: usize = 64;

/// How many commits that need lookups the thread works on ahead of the
/// walk at most (the walk may stop, or take its time between commits).
const LEAD: usize = 4096;

/// How long the thread first waits for the walk to catch up before it
/// looks again; each wait after is twice as long, up to [`LONGEST_LOOK`]
/// (a walk left half done, say by a Python iterator kept alive, costs the
/// thread a wakeup every few milliseconds, not thousands a second).
const LOOK: std::time::Duration = std::time::Duration::from_micros(50);
const LONGEST_LOOK: std::time::Duration = std::time::Duration::from_millis(5);

/// What the thread needs to know of the walk.
pub(crate) struct Plan {
    pub(crate) graph: Arc<CommitGraph>,
    pub(crate) reader: Reader,
    pub(crate) entries: PathEntries,
    /// The Bloom filter keys of the path and its directories, where the
    /// walk asks the changed-path filters.
    pub(crate) bloom: Option<Vec<Vec<u32>>>,
    /// The graph positions and dates of the walk's starting commits.
    pub(crate) starts: Vec<(u32, u64)>,
    pub(crate) full_history: bool,
    pub(crate) first_parent: bool,
}

/// A thread finding the paths' entries ahead of a walk.
pub(crate) struct PathsAhead {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    /// Each root tree's entries at the paths, in the paths' order.
    found: Mutex<Generations<ObjectId, Arc<[Found]>>>,
    /// The date of the commit the walk compares now.
    walk_date: AtomicU64,
    stop: AtomicBool,
}

impl PathsAhead {
    /// Starts the thread, if the system starts one.
    pub(crate) fn start(plan: Plan) -> Option<PathsAhead> {
        let shared = Arc::new(Shared {
            found: Mutex::new(Generations::new(HELD)),
            walk_date: AtomicU64::new(u64::MAX),
            stop: AtomicBool::new(false),
        });
        let theirs = Arc::clone(&shared);
        let thread = worker::spawn("packread-paths", (plan, theirs), |(plan, shared)| {
            run(plan, &shared);
        })
        .ok()?;
        Some(PathsAhead {
            shared,
            thread: Some(thread),
        })
    }

    /// Tells the thread the date of the commit the walk compares now.
    pub(crate) fn at(&self, date: u64) {
        self.shared.walk_date.store(date, Ordering::Relaxed);
    }

    /// What the thread found in `root` at the paths, if it got there.
    pub(crate) fn found(&self, root: &ObjectId) -> Option<Arc<[Found]>> {
        let mut found = self
            .shared
            .found
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        found.get(root, drop).cloned()
    }
}

impl Drop for PathsAhead {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread's walk of the graph.
fn run(mut plan: Plan, shared: &Shared) {
    let graph = Arc::clone(&plan.graph);
    let mut cursors = graph.cursors();
    let len = graph.len() as usize;
    let mut seen = vec![false; len];
    let mut queue: BinaryHeap<(u64, Reverse<u32>)> = BinaryHeap::new();
    for &(pos, date) in &plan.starts {
        if let Some(s) = seen.get_mut(pos as usize)
            && !*s
        {
            *s = true;
            queue.push((date, Reverse(pos)));
        }
    }
    let mut parents = Vec::new();
    let mut parent_parts = Vec::new();
    let mut filter = Vec::new();
    let mut scratch = Vec::new();
    let mut skip = 0usize;
    // The dates of the commits the thread worked on that the walk hasn't
    // reached yet.
    let mut worked: VecDeque<u64> = VecDeque::new();
    while let Some((date, Reverse(pos))) = queue.pop() {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok((tree, _, _)) = graph.commit_parts(&mut cursors, pos, &mut parents) else {
            return;
        };
        parent_parts.clear();
        for (nth, &p) in parents.iter().enumerate() {
            if plan.first_parent && nth > 0 {
                break;
            }
            let Ok((ptree, pdate, _)) = graph.commit_parts(&mut cursors, p, &mut scratch) else {
                return;
            };
            parent_parts.push((p, ptree, pdate));
        }
        // Whether the filter lets the first parent's comparison through.
        let maybe = plan
            .bloom
            .as_ref()
            .is_none_or(|keys| maybe_changed(&graph, &mut cursors, pos, keys, &mut filter));
        let needs = maybe || (plan.full_history && parent_parts.len() > 1);
        if date >= shared.walk_date.load(Ordering::Relaxed) && skip == 0 {
            skip = if plan.full_history {
                JUMP
            } else {
                JUMP_SIMPLIFYING
            };
        }
        let mut work = needs;
        if needs && skip > 0 {
            skip -= 1;
            work = false;
        }
        if work && !wait_for_walk(shared, &mut worked, date) {
            return;
        }
        // The parents the walk goes on to: all of them with the whole
        // history; else the first the commit took the paths from unchanged
        // (git's simplification), or all where it took them from none.
        let mut follow: Option<usize> = None;
        if plan.full_history {
            if work {
                for (nth, &(_, ptree, _)) in parent_parts.iter().enumerate() {
                    if nth > 0 || maybe {
                        found_of(&mut plan, shared, &tree);
                        found_of(&mut plan, shared, &ptree);
                    }
                }
                if parent_parts.is_empty() && maybe {
                    found_of(&mut plan, shared, &tree);
                }
            }
        } else if !maybe || !work {
            follow = Some(0);
        } else {
            let mine = found_of(&mut plan, shared, &tree);
            for (nth, &(_, ptree, _)) in parent_parts.iter().enumerate() {
                let theirs = found_of(&mut plan, shared, &ptree);
                if mine.is_some() && mine == theirs {
                    follow = Some(nth);
                    break;
                }
            }
        }
        for (nth, &(p, _, pdate)) in parent_parts.iter().enumerate() {
            if follow.is_some_and(|f| f != nth) {
                continue;
            }
            if let Some(s) = seen.get_mut(p as usize)
                && !*s
            {
                *s = true;
                queue.push((pdate, Reverse(p)));
            }
        }
    }
}

/// Whether the changed-path filter of the commit at `pos` may hold the
/// path and its directories (`keys`), as the walk asks it; `true` where
/// there is no filter to ask.
fn maybe_changed(
    graph: &CommitGraph,
    cursors: &mut GraphCursors,
    pos: u32,
    keys: &[Vec<u32>],
    filter: &mut Vec<u8>,
) -> bool {
    filter.clear();
    match graph.changed_paths_filter_into(cursors, pos, filter) {
        Ok(Some(_)) if !filter.is_empty() => filter_may_hold(filter, keys),
        _ => true,
    }
}

/// Waits while the thread has worked on [`LEAD`] commits the walk hasn't
/// reached, then counts the commit dated `date`; `false` if the walk ended.
fn wait_for_walk(shared: &Shared, worked: &mut VecDeque<u64>, date: u64) -> bool {
    let mut look = LOOK;
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return false;
        }
        let walk = shared.walk_date.load(Ordering::Relaxed);
        while worked.front().is_some_and(|&d| d >= walk) {
            worked.pop_front();
        }
        if worked.len() < LEAD {
            worked.push_back(date);
            return true;
        }
        std::thread::sleep(look);
        look = (look * 2).min(LONGEST_LOOK);
    }
}

/// What `root` holds at the paths: as the thread found it before, or
/// found now (`None` if a tree on the way can't be read).
fn found_of(plan: &mut Plan, shared: &Shared, root: &ObjectId) -> Option<Arc<[Found]>> {
    let held = shared
        .found
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(root, drop)
        .cloned();
    if held.is_some() {
        return held;
    }
    let found = plan.entries.reach_all(&mut plan.reader, root).ok()?;
    shared
        .found
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(*root, Arc::clone(&found), 1, drop);
    Some(found)
}

#[cfg(test)]
impl PathsAhead {
    /// Waits for the thread to end its walk.
    fn finish(mut self) -> Arc<Shared> {
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the thread ends");
        }
        Arc::clone(&self.shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Repository;
    use crate::diff::Pathspec;
    use crate::doctest::Scratch;
    use crate::history::heads_ahead::tests::{git, history, path_walks_list_what_git_lists};

    /// A scratch repository of `history(600)` (merges every tenth commit)
    /// and its commit-graph, written with `args`.
    fn repo(name: &str, args: &[&str]) -> Scratch {
        let dir = Scratch::new(name).unwrap();
        git(&dir, &["init", "-q", "-b", "main"], "");
        git(&dir, &["fast-import", "--quiet"], &history(600));
        let mut write = vec!["commit-graph", "write", "--reachable"];
        write.extend(args);
        git(&dir, &write, "");
        dir
    }

    /// Path-limited walks over a commit-graph, with and without changed-path
    /// filters, list what git lists, the thread started with two cores.
    #[test]
    fn path_walks_over_a_graph_list_what_git_lists() {
        let two_cores = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
        for (name, args) in [
            ("paths-ahead-bloom", vec!["--changed-paths"]),
            ("paths-ahead", vec![]),
        ] {
            let dir = repo(name, &args);
            assert!(
                Repository::discover(&*dir)
                    .unwrap()
                    .commit_graph()
                    .0
                    .is_some()
            );
            path_walks_list_what_git_lists(&dir, |walk, args| {
                assert_eq!(walk.paths_ahead_started(), two_cores, "{name}: {args:?}");
            });
        }
    }

    /// Left alone (the walk never says where it is), the thread walks the
    /// whole history without simplification and holds, for each commit
    /// and each of its parents, what the walk's own lookups find in their
    /// root trees.
    #[test]
    fn the_thread_finds_what_the_walk_finds() {
        let dir = repo("paths-ahead-alone", &[]);
        let repo = Repository::discover(&*dir).unwrap();
        let graph = repo.commit_graph().0.expect("a graph");
        let spec = Pathspec::new(["side.txt", "f1.txt"], "").unwrap();
        let mut entries = PathEntries::new(&spec).expect("literal paths");
        let mut c = graph.cursors();
        let head = repo.rev_parse("main").unwrap();
        let pos = graph.find(&mut c, &head).unwrap().expect("in the graph");
        let mut parents = Vec::new();
        let (_, date, _) = graph.commit_parts(&mut c, pos, &mut parents).unwrap();
        let ahead = PathsAhead::start(Plan {
            graph: Arc::clone(&graph),
            reader: repo.odb().reader(),
            entries: PathEntries::new(&spec).expect("literal paths"),
            bloom: None,
            starts: vec![(pos, date)],
            full_history: true,
            first_parent: false,
        })
        .expect("a thread starts");
        let shared = ahead.finish();
        let mut found = shared.found.lock().unwrap();
        let mut reader = repo.odb().reader();
        let mut roots = 0;
        for pos in 0..graph.len() {
            let (tree, _, _) = graph.commit_parts(&mut c, pos, &mut parents).unwrap();
            let mut trees = vec![tree];
            for &p in &parents {
                trees.push(graph.commit_parts(&mut c, p, &mut Vec::new()).unwrap().0);
            }
            for tree in trees {
                let held = found.get(&tree, drop).cloned().expect("held");
                assert_eq!(held, entries.reach_all(&mut reader, &tree).unwrap());
                roots += 1;
            }
        }
        assert!(roots > 660, "{roots} root trees checked");
    }
}
