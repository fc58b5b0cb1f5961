//! Commits read on a thread of their own ahead of a walk that reads each
//! commit's object to walk it (no commit-graph lists the commits): reading
//! a commit (an index lookup, inflating its first bytes) is about half of
//! a path-limited walk's time, the rest comparing trees, and most of a
//! walk that only lists.
//!
//! The thread follows first parents: a path-limited walk goes down first
//! parents almost only (rails' walk for one file: 54,823 of its 55,018
//! commits are the first parent of one it parsed before; it leaves out the
//! other parents of the merges that didn't change the file), and a walk of
//! everything meets each commit as the first parent of another but for
//! the first commits of branches. Where the walk parses a commit the
//! thread didn't read, it says so ([`HeadsAhead::missed`]) and the thread
//! follows that commit's first parents too: of the lines it follows, it
//! reads next in the one whose last commit is the newest (as the walk
//! goes, newest first). It hands over the bytes of each commit read as
//! the walk would have read them.
//!
//! The thread holds at most [`LEAD`] commits the walk didn't take yet; held
//! that full while the walk parses [`LEAD`] commits more, it lets go of
//! those it held before the last time (a line the walk left). It remembers
//! the last commits it read ([`SEEN`], in two [`Generations`]). Its reads
//! never fetch from a promisor remote, and a read that fails is left to
//! the walk: the walk reads that commit itself, with its own error.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use crate::generations::Generations;
use crate::object::ObjectId;

use super::worker;

/// How many commits the thread holds for the walk: enough to stay ahead on
/// each of the lines a walk of the whole history goes down by turns
/// (rails' `--full-history` walk of one file takes 54,700 of its 99,400
/// commits from the thread holding 16,384, 26,200 holding 4,096; its peak
/// RSS grows by 19 MB, to 246 MB against git's 284), little to read in
/// vain where the walk stops early (`-n`).
const LEAD: usize = 16384;

/// How long the thread waits for the walk's next miss before it looks
/// again, and how many times it looks before it sleeps until woken: the
/// walk's misses come often, and waking the thread at each would cost the
/// walk a system call each time (rails' `--full-history` walk of one file:
/// 0.75 s with them, 0.65 s looking out).
const LOOK: std::time::Duration = std::time::Duration::from_micros(50);
const LOOKS: u32 = 200;

/// How many commits the thread remembers having read, two generations of
/// this many at most.
const SEEN: usize = 1 << 16;

/// How many buffers the walk hands back for the thread to read commits
/// into again, at most: a buffer made on one thread and freed on another
/// takes the allocator's lock of the arena it came from, as often as the
/// walk takes a commit.
const SPARE: usize = 256;

/// Reads one commit: its bytes into the buffer (as much as the walk needs);
/// its committer date and first parent (none past a shallow boundary), or
/// `None` if it can't be read or isn't a commit.
pub(super) type ReadHead =
    Box<dyn FnMut(&ObjectId, &mut Vec<u8>) -> Option<(u64, Option<ObjectId>)> + Send>;

/// A thread reading commits ahead of a walk.
pub(super) struct HeadsAhead {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// What the walk and the thread share.
struct Shared {
    state: Mutex<State>,
    /// The thread waits on it for the walk to catch up or say where to go.
    wake: Condvar,
}

struct State {
    /// Commits read, by id, until the walk takes them.
    ready: Generations<ObjectId, Vec<u8>>,
    /// Commits the walk read itself since the thread last looked, each
    /// with its date and first parent: the thread follows from there.
    missed: Vec<Line>,
    /// How many commits the walk parsed from their objects, and had parsed
    /// at the last turn of `ready`.
    parsed: usize,
    turned: usize,
    /// How many commits the walk took from the thread.
    #[cfg(test)]
    taken: u64,
    /// The thread sleeps until woken: for the walk to take commits (it
    /// holds [`LEAD`]), or for news (it had nothing to read for long).
    waiting: Option<Waiting>,
    /// The walk is done: the thread ends.
    stop: bool,
    /// Buffers of commits the walk took, for the thread to read into.
    spare: Vec<Vec<u8>>,
}

/// What the sleeping thread waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Waiting {
    Room,
    News,
}

/// A line of first parents the thread follows: the last commit read of it
/// (or that the walk read), its date, and the next commit.
struct Line {
    done: ObjectId,
    date: u64,
    next: Option<ObjectId>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl HeadsAhead {
    /// Starts the thread, reading through `read`; `None` where no thread
    /// starts. The walk says where to start with [`missed`](Self::missed).
    pub(super) fn start(read: ReadHead) -> Option<HeadsAhead> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                // Turned by the walk's parses, not by what it holds.
                ready: Generations::new(usize::MAX),
                missed: Vec::new(),
                parsed: 0,
                turned: 0,
                #[cfg(test)]
                taken: 0,
                waiting: None,
                stop: false,
                spare: Vec::new(),
            }),
            wake: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        let thread = worker::spawn("packread-heads", (theirs, read), |(shared, read)| {
            read_ahead(&shared, read);
        })
        .ok()?;
        Some(HeadsAhead {
            shared,
            thread: Some(thread),
        })
    }

    /// Puts the bytes the thread read of commit `id` in `out`, if it read
    /// them; counts a parse either way.
    pub(super) fn take(&self, id: &ObjectId, out: &mut Vec<u8>) -> bool {
        let mut s = self.shared.lock();
        s.parsed += 1;
        let found = s.ready.take(id);
        let taken = found.is_some();
        if let Some(bytes) = found {
            out.clear();
            out.extend_from_slice(&bytes);
            if s.spare.len() < SPARE {
                s.spare.push(bytes);
            }
            #[cfg(test)]
            {
                s.taken += 1;
            }
        }
        // What the thread holds was read in vain if the walk went on as far
        // without taking enough of it to let the thread go on.
        if s.ready.len() >= LEAD && s.parsed >= s.turned + LEAD {
            s.turned = s.parsed;
            s.ready.turn(drop);
        }
        let wake = s.waiting == Some(Waiting::Room) && s.ready.len() < LEAD / 2;
        drop(s);
        if wake {
            self.shared.wake.notify_one();
        }
        taken
    }

    /// Says that the walk read commit `id` itself (dated `date`, its first
    /// parent `first_parent`): the thread follows its first parents too.
    pub(super) fn missed(&self, id: &ObjectId, date: u64, first_parent: Option<ObjectId>) {
        let mut s = self.shared.lock();
        s.missed.push(Line {
            done: *id,
            date,
            next: first_parent,
        });
        // A thread looking out for news finds it; only one asleep (idle
        // for long) is woken, a system call the walk makes.
        let wake = s.waiting == Some(Waiting::News);
        drop(s);
        if wake {
            self.shared.wake.notify_one();
        }
    }
}

#[cfg(test)]
impl HeadsAhead {
    /// How many commits the walk took from the thread.
    pub(super) fn taken(&self) -> u64 {
        self.shared.lock().taken
    }
}

impl Drop for HeadsAhead {
    fn drop(&mut self) {
        let mut s = self.shared.lock();
        s.stop = true;
        drop(s);
        self.shared.wake.notify_one();
        worker::join(self.thread.take());
    }
}

/// A line's place in the thread's queue: the newest last commit first, of
/// equal dates the line met first (`order` is unique: `next` never decides).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Queued {
    date: u64,
    order: Reverse<u64>,
    next: ObjectId,
}

/// The thread: reads the next commit of the line whose last commit is the
/// newest, each commit once.
fn read_ahead(shared: &Shared, mut read: ReadHead) {
    let mut seen: Generations<ObjectId, ()> = Generations::new(SEEN);
    let mut lines: BinaryHeap<Queued> = BinaryHeap::new();
    let mut met = 0u64;
    let mut looks = 0;
    let mut spare: Vec<Vec<u8>> = Vec::new();
    let mut done: Option<(ObjectId, Vec<u8>)> = None;
    loop {
        {
            let mut s = shared.lock();
            if let Some((id, bytes)) = done.take() {
                s.ready.insert(id, bytes, 1, drop);
            }
            spare.append(&mut s.spare);
            loop {
                if s.stop {
                    return;
                }
                for line in s.missed.drain(..) {
                    seen.insert(line.done, (), 1, drop);
                    if let Some(next) = line.next {
                        met += 1;
                        lines.push(Queued {
                            date: line.date,
                            order: Reverse(met),
                            next,
                        });
                    }
                }
                let held = s.ready.len();
                if held < LEAD && !lines.is_empty() {
                    looks = 0;
                    break;
                }
                if held < LEAD && looks < LOOKS {
                    looks += 1;
                    s = shared
                        .wake
                        .wait_timeout(s, LOOK)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    continue;
                }
                s.waiting = Some(if held < LEAD {
                    Waiting::News
                } else {
                    Waiting::Room
                });
                s = shared.wake.wait(s).unwrap_or_else(PoisonError::into_inner);
                s.waiting = None;
                looks = 0;
            }
        }
        let Some(Queued {
            order, next: id, ..
        }) = lines.pop()
        else {
            continue;
        };
        // A line ends at a commit read before (another line's, or the
        // walk's), or one that can't be read.
        if seen.get(&id, drop).is_some() {
            continue;
        }
        seen.insert(id, (), 1, drop);
        let mut buf = spare.pop().unwrap_or_default();
        buf.clear();
        if let Some((date, first_parent)) = read(&id, &mut buf) {
            if let Some(next) = first_parent {
                lines.push(Queued { date, order, next });
            }
            done = Some((id, buf));
        } else {
            spare.push(buf);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::fmt::Write as _;
    use std::io::Write;
    use std::process::{Command, Stdio};

    use std::time::{Duration, Instant};

    use super::*;
    use crate::diff::Pathspec;
    use crate::doctest::Scratch;
    use crate::history::{Walk, WalkOptions};
    use crate::object::HashKind;
    use crate::{ObjectId, Repository};

    /// A fast-import stream of `n` commits on main, each changing
    /// `f<i % 5>.txt`, and each tenth a merge of a side commit (made off
    /// the commit before) that changes `side.txt`.
    pub(in crate::history) fn history(n: usize) -> String {
        let mut s = String::new();
        for i in 1..=n {
            if i % 10 == 0 {
                let (mark, date) = (10_000 + i, 1_700_000_000 + i * 10 - 5);
                writeln!(s, "commit refs/heads/side\nmark :{mark}").unwrap();
                writeln!(s, "committer S <s@example.com> {date} +0000\ndata 2\ns").unwrap();
                writeln!(s, "from :{}\nM 100644 inline side.txt", i - 1).unwrap();
                writeln!(s, "data <<END\ns{i}\nEND\n").unwrap();
            }
            let date = 1_700_000_000 + i * 10;
            writeln!(s, "commit refs/heads/main\nmark :{i}").unwrap();
            writeln!(s, "committer C <c@example.com> {date} +0000\ndata 2\nc").unwrap();
            if i > 1 {
                writeln!(s, "from :{}", i - 1).unwrap();
            }
            if i % 10 == 0 {
                writeln!(s, "merge :{}", 10_000 + i).unwrap();
            }
            writeln!(s, "M 100644 inline f{}.txt\ndata <<END\nv{i}\nEND\n", i % 5).unwrap();
        }
        s
    }

    pub(in crate::history) fn git(dir: &std::path::Path, args: &[&str], stdin: &str) -> String {
        let mut child = Command::new("git")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("git starts");
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(stdin.as_bytes())
            .expect("git reads");
        let out = child.wait_with_output().expect("git runs");
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).expect("hex ids")
    }

    /// Path-limited walks of a history without a commit-graph, long enough
    /// for the thread to start (with two cores), list what git lists.
    #[test]
    fn path_walks_read_ahead_list_what_git_lists() {
        let dir = Scratch::new("heads-ahead").unwrap();
        git(&dir, &["init", "-q", "-b", "main"], "");
        git(&dir, &["fast-import", "--quiet"], &history(600));
        let two_cores = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
        path_walks_list_what_git_lists(&dir, |walk, args| {
            // Whether it took commits from the thread depends on how soon
            // the thread ran: the test below checks that it can.
            if two_cores {
                assert!(walk.taken_from_thread().is_some(), "{args:?}: no thread");
            }
        });
    }

    /// Walks `main` of a `history` for `f1.txt` and `side.txt`, with and
    /// without `--full-history`, checks that each lists what `git
    /// rev-list` lists, and hands `check` the walk after it ended.
    pub(in crate::history) fn path_walks_list_what_git_lists(
        dir: &std::path::Path,
        mut check: impl FnMut(&Walk, &[&str]),
    ) {
        for (path, full_history) in [
            ("f1.txt", false),
            ("f1.txt", true),
            ("side.txt", false),
            ("side.txt", true),
        ] {
            let repo = Repository::discover(dir).unwrap();
            let opts = WalkOptions {
                paths: Pathspec::new([path], "").unwrap(),
                full_history,
                ..WalkOptions::default()
            };
            let mut walk = Walk::new(&repo, opts);
            walk.push(repo.rev_parse("main").unwrap(), false, false)
                .unwrap();
            let listed: String = walk
                .by_ref()
                .map(|w| w.unwrap().id.to_hex() + "\n")
                .collect();
            let mut args = vec!["rev-list", "main"];
            if full_history {
                args.push("--full-history");
            }
            args.extend(["--", path]);
            assert_eq!(listed, git(dir, &args, ""), "{args:?}");
            check(&walk, &args);
        }
    }

    /// An id for commit `i` of a made-up line.
    fn id(i: u32) -> ObjectId {
        let mut b = [0u8; 20];
        b[..4].copy_from_slice(&i.to_be_bytes());
        ObjectId::from_bytes(HashKind::Sha1, &b)
    }

    /// Waits until the thread holds `n` commits (or ten seconds pass).
    fn wait_held(ahead: &HeadsAhead, n: usize) -> usize {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let held = ahead.shared.lock().ready.len();
            if held >= n || Instant::now() > until {
                return held;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The thread follows first parents from a commit the walk read,
    /// hands over each commit's bytes once, stops at [`LEAD`] commits
    /// held, goes on as they are taken, and ends a line at a commit the
    /// walk read.
    #[test]
    fn the_thread_reads_first_parents_up_to_its_lead() {
        let reads = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&reads);
        // Commit i: dated 10^9 - i, its first parent i + 1; 10^6 commits.
        let read: ReadHead = Box::new(move |commit: &ObjectId, buf: &mut Vec<u8>| {
            let i = u32::from_be_bytes(commit.as_bytes()[..4].try_into().unwrap());
            log.lock().unwrap().push(i);
            buf.extend_from_slice(format!("commit {i}").as_bytes());
            Some((
                1_000_000_000 - u64::from(i),
                (i < 1_000_000).then(|| id(i + 1)),
            ))
        });
        let ahead = HeadsAhead::start(read).expect("a thread starts");
        let mut out = Vec::new();
        assert!(!ahead.take(&id(0), &mut out), "nothing read before a miss");
        ahead.missed(&id(0), 1_000_000_000, Some(id(1)));
        assert_eq!(wait_held(&ahead, LEAD), LEAD);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            ahead.shared.lock().ready.len(),
            LEAD,
            "no more than the lead"
        );
        for i in 1..=100 {
            assert!(ahead.take(&id(i), &mut out));
            assert_eq!(out, format!("commit {i}").into_bytes());
            assert!(!ahead.take(&id(i), &mut out), "handed over once");
        }
        // Taking more than half lets the thread go on to the lead again.
        for i in 101..=(LEAD as u32 / 2 + 1) {
            assert!(ahead.take(&id(i), &mut out));
        }
        assert_eq!(wait_held(&ahead, LEAD), LEAD);
        let before = reads.lock().unwrap().clone();
        assert_eq!(before, (1..=before.len() as u32).collect::<Vec<_>>());
        // A commit the walk read ends the line that meets it.
        let next = before.len() as u32 + 1;
        ahead.missed(&id(next + 3), 0, None);
        for i in (LEAD as u32 / 2 + 2)..next {
            assert!(ahead.take(&id(i), &mut out));
        }
        assert_eq!(wait_held(&ahead, 3), 3);
        std::thread::sleep(Duration::from_millis(20));
        let after = reads.lock().unwrap().clone();
        assert_eq!(after[before.len()..], [next, next + 1, next + 2]);
        drop(ahead);
    }
}
