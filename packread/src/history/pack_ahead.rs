//! Commits read in the order their entries lie in a pack, on a thread of
//! their own and by the walk itself, ahead of a walk that reads each
//! commit's object to walk it (no commit-graph lists the commits) and
//! compares no trees.
//!
//! Such a walk spends most of its time reading commits, and reading them
//! one after another down their parents is a chain: each commit's object
//! names the next. But git writes a pack's commits in the order of a walk
//! (`pack-objects` takes them as `rev-list` lists them, newest first), so
//! the entries after the one holding a commit the walk wants hold, more
//! often than not, the commits it wants next (rails' `log --all`: 118,770
//! commits, the first 118,500 entries of its pack, half of them right
//! after the one before in the walk). Read by rank in offset order (from
//! git's `.rev` file, or the reverse index), they can be read by two
//! threads at once, a run of [`CHUNK`] entries at a time, with no commit
//! waiting for another.
//!
//! The entries are read at a few places of the pack at once, the fronts:
//! a walk of every branch goes by turns down lines of history that git
//! wrote apart (git.git's `--all`: three stretches of its pack, the walk
//! passing from one to another 12,900 times in 203,000 commits). The
//! thread reads at the front the walk is least far behind (by rank), up
//! to [`FRONT_LEAD`] entries past the last commit the walk took there.
//!
//! The walk takes each commit it parses from those read. When the one it
//! wants lies in a run being read, or in the [`NEAR`] entries past a
//! front, it reads the front's next run itself rather than wait: on two
//! cores the thread and the walk read by turns. A commit elsewhere (the
//! first commits of branches) the walk reads alone; two such in a row with
//! no commit taken between start a front there, in place of the one the
//! walk took from longest ago where there are [`FRONTS`]. At most
//! [`LEAD`] commits the walk didn't take are held (held that full while
//! the walk parses [`LEAD`] more, it lets go of those it held before the
//! last time), and a front stops after [`IDLE`] entries without a commit
//! (the trees and blobs after the commits). Reads never fetch; an entry
//! that can't be read, or is a delta, is left to the walk, which reads
//! that commit by its id, with its own error.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use crate::error::Error;
use crate::generations::Generations;
use crate::object::{ObjectId, ObjectKind};
use crate::odb::{Location, PackId, Reader};
use crate::pack::entry::EntryKind;
use crate::pack::reader::PackReader;

use super::worker;

/// Reads as much of the commit at an offset of a pack as the walk reads of
/// each commit, into the buffer; the object's kind.
pub(super) type ReadAt =
    Arc<dyn Fn(&mut PackReader<'_>, u64, &mut Vec<u8>) -> Result<ObjectKind, Error> + Send + Sync>;

/// Entries read at a time: about 150 µs of work, so that a walk waiting
/// for the run holding its next commit finds one to read meanwhile.
const CHUNK: usize = 32;

/// How far past a front a commit may lie for the walk to read the front's
/// next run rather than that commit alone.
const NEAR: usize = 4 * CHUNK;

/// How many commits are held for the walk at most: git.git's `log --all`
/// took as long holding 8,192 as 16,384, its peak RSS 4 MB lower (4,096:
/// rails as fast, git.git 2 % slower).
const LEAD: usize = 8192;

/// How many places of a pack are read at once.
const FRONTS: usize = 4;

/// How far (in entries) a front is read past the last commit the walk
/// took from it: a front the walk left is read no further.
const FRONT_LEAD: usize = LEAD / FRONTS;

/// Entries in a row without a commit after which a front stops.
const IDLE: usize = 1024;

/// How long the thread waits for work before it looks again, and how many
/// times it looks before it sleeps until woken (see `heads_ahead`).
const LOOK: std::time::Duration = std::time::Duration::from_micros(50);
const LOOKS: u32 = 200;

/// Commits read in pack order ahead of a walk, and the thread reading
/// them.
pub(super) struct PackAhead {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    /// How each commit is read.
    read_at: ReadAt,
    /// Commits read, by id, until the walk takes them, with where they
    /// were read: the walk's own, looked up without a lock (the thread's
    /// runs join them in bulk), each copied out of its run (a buffer made
    /// on one thread and let go of on another costs the allocator a lock).
    ready: Generations<ObjectId, (Vec<u8>, Origin)>,
    /// How many commits the walk parsed, and at which count it last let
    /// go of what was read.
    parsed: usize,
    turned: usize,
    /// Whether the last commit the walk parsed was one it read alone,
    /// outside the fronts.
    strayed: bool,
    /// How many fronts were started.
    started: u64,
    /// How many commits the walk took from those read.
    #[cfg(test)]
    taken: u64,
}

/// Where a commit was read: the front's slot and serial, its rank.
#[derive(Clone, Copy)]
struct Origin {
    slot: usize,
    serial: u64,
    rank: usize,
}

/// What the walk and the thread share.
struct Shared {
    state: Mutex<State>,
    /// The thread waits on it for work.
    wake: Condvar,
    /// How many runs the thread read (counted under the lock): a walk
    /// waiting for the run being read looks at it without the lock.
    delivered: AtomicU64,
    /// How many commits the walk holds (the thread reads while they and
    /// the runs it handed over are fewer than [`LEAD`]).
    held: AtomicUsize,
    /// The thread sleeps until woken.
    asleep: AtomicBool,
    /// By slot, the walk's progress at each front.
    progress: [Progress; FRONTS],
}

/// How far the walk took commits from the front in a slot.
#[derive(Default)]
struct Progress {
    /// The front's serial.
    serial: AtomicU64,
    /// The furthest rank of a commit taken from it.
    rank: AtomicUsize,
    /// The walk's parse count when it last took one, or the front started.
    at: AtomicUsize,
}

struct State {
    /// Runs the thread read that the walk didn't take in yet.
    read: Vec<Read>,
    /// How many commits they hold.
    read_commits: usize,
    /// The fronts, by slot.
    fronts: [Option<Front>; FRONTS],
    /// The run the thread is reading, and its front's slot.
    reading: Option<(usize, Range<usize>)>,
    /// Where the walk read its first commit alone, in a pack whose entries
    /// can't be had by rank yet: the thread makes them so (once) and starts
    /// a front there.
    unplaced: Option<(PackId, u64)>,
    /// The walk is done: the thread ends.
    stop: bool,
}

/// A place of a pack read on: entries from `start` to `next` were handed
/// out in runs (`next` moves on), to `end` there are entries (or another
/// front starts).
struct Front {
    serial: u64,
    pack: PackId,
    start: usize,
    next: usize,
    end: usize,
    /// Entries without a commit in a row, at the end of those read.
    idle: usize,
}

impl Front {
    /// Whether there are runs to hand out.
    fn has_more(&self) -> bool {
        self.next < self.end && self.idle < IDLE
    }
}

/// What the walk does for a commit it doesn't hold.
enum Next {
    /// Reads this run of the front in this slot (the commit lies in it, or
    /// in the run being read).
    Read(usize, Range<usize>),
    /// Waits for the run being read, which holds the commit.
    Wait,
    /// Reads the commit alone: it lies outside the fronts.
    Alone,
    /// Reads the commit alone: it was read and let go of, isn't a whole
    /// commit, or lies where its front stopped.
    Gone,
}

/// A run read.
struct Read {
    slot: usize,
    serial: u64,
    /// The commits' bytes, one after another.
    bytes: Vec<u8>,
    /// Each commit's id, rank, and where its bytes are.
    commits: Vec<(ObjectId, usize, Range<usize>)>,
    /// Entries without a commit at the end of the run (all of them, if it
    /// held none), of `len`.
    idle_tail: usize,
    len: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How far the front in `slot` was read past the walk's last take.
    fn lead(&self, slot: usize, front: &Front) -> usize {
        let p = &self.progress[slot];
        let rank = p.rank.load(Ordering::Relaxed);
        front.next.saturating_sub(rank.max(front.start))
    }
}

impl State {
    /// Counts the entries a run read towards its front's idle ones.
    fn count_idle(&mut self, read: &Read) {
        if let Some(front) = self.fronts[read.slot].as_mut()
            && front.serial == read.serial
        {
            if read.idle_tail == read.len {
                front.idle += read.len;
            } else {
                front.idle = read.idle_tail;
            }
        }
    }

    /// Hands out the next run of the front in `slot`, if there is one to
    /// read.
    fn hand_out(&mut self, slot: usize) -> Option<Range<usize>> {
        let front = self.fronts[slot].as_mut().filter(|f| f.has_more())?;
        let run = front.next..(front.next + CHUNK).min(front.end);
        front.next = run.end;
        Some(run)
    }

    /// Starts front `serial` in `slot` at the run holding `rank` of `pack`,
    /// reading up to `end` or the next front of the pack (which the fronts
    /// before it now stop at).
    fn start_front(&mut self, slot: usize, serial: u64, pack: PackId, rank: usize, end: usize) {
        let start = rank - rank % CHUNK;
        let mut end = end;
        for f in self.fronts.iter_mut().flatten().filter(|f| f.pack == pack) {
            if f.start > start {
                end = end.min(f.start);
            } else {
                f.end = f.end.min(start);
            }
        }
        self.fronts[slot] = Some(Front {
            serial,
            pack,
            start,
            next: start,
            end,
            idle: 0,
        });
    }

    /// What the walk does for the commit at `rank` of `pack`, which it
    /// doesn't hold; `room` if it may hold more.
    fn next_for(&mut self, pack: PackId, rank: usize, room: bool) -> Next {
        if let Some(slot) = self.front_where(pack, |f| (f.start..f.next).contains(&rank)) {
            if !self
                .reading
                .as_ref()
                .is_some_and(|(_, r)| r.contains(&rank))
            {
                return Next::Gone;
            }
            return match room.then(|| self.hand_out(slot)).flatten() {
                Some(run) => Next::Read(slot, run),
                None => Next::Wait,
            };
        }
        match self.front_where(pack, |f| (f.next..f.next + NEAR).contains(&rank)) {
            Some(slot) => self
                .hand_out(slot)
                .map_or(Next::Gone, |run| Next::Read(slot, run)),
            None => Next::Alone,
        }
    }

    /// The slot of the front of `pack` for which `held(front)` holds.
    fn front_where(&self, pack: PackId, held: impl Fn(&Front) -> bool) -> Option<usize> {
        self.fronts
            .iter()
            .position(|f| f.as_ref().is_some_and(|f| f.pack == pack && held(f)))
    }
}

impl PackAhead {
    /// Starts the thread, reading through `reader` (which never fetches)
    /// with `read_at`; `None` where no thread starts. The first front
    /// starts where the walk's first commit read alone lies.
    pub(super) fn start(reader: Reader, read_at: ReadAt) -> Option<PackAhead> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                read: Vec::new(),
                read_commits: 0,
                fronts: Default::default(),
                reading: None,
                unplaced: None,
                stop: false,
            }),
            wake: Condvar::new(),
            delivered: AtomicU64::new(0),
            held: AtomicUsize::new(0),
            asleep: AtomicBool::new(false),
            progress: Default::default(),
        });
        let theirs = (Arc::clone(&shared), Arc::clone(&read_at));
        let thread = worker::spawn(
            "packread-ahead",
            (theirs, reader),
            |((shared, read_at), mut reader)| read_ahead(&shared, &mut reader, &read_at),
        )
        .ok()?;
        Some(PackAhead {
            shared,
            thread: Some(thread),
            read_at,
            // Turned by the walk's parses, not by what it holds.
            ready: Generations::new(usize::MAX),
            parsed: 0,
            turned: 0,
            strayed: false,
            started: 0,
            #[cfg(test)]
            taken: 0,
        })
    }

    /// Puts the bytes of commit `id` read in pack order (by the thread, or
    /// now by the walk through `reader`: see the module's doc) in `out`, if
    /// they were read; counts a parse either way.
    pub(super) fn take(&mut self, id: &ObjectId, reader: &mut Reader, out: &mut Vec<u8>) -> bool {
        self.parsed += 1;
        // What was read was read in vain if the walk went on as far without
        // taking enough of it to let the thread go on.
        if self.ready.len() >= LEAD && self.parsed >= self.turned + LEAD {
            self.turned = self.parsed;
            self.ready.turn(drop);
        }
        let mut place = None;
        loop {
            if let Some((bytes, origin)) = self.ready.take(id) {
                #[cfg(test)]
                {
                    self.taken += 1;
                }
                *out = bytes;
                self.strayed = false;
                self.took(origin);
                return true;
            }
            let mut s = self.shared.lock();
            if !s.read.is_empty() {
                let read = std::mem::take(&mut s.read);
                s.read_commits = 0;
                drop(s);
                for run in read {
                    self.hold(run);
                }
                continue;
            }
            let Some(at) = place else {
                drop(s);
                place = Some(place_of(reader, id));
                continue;
            };
            let (pack, rank) = match at {
                Place::Ranked(pack, rank) => (pack, rank),
                Place::Unranked(pack, offset) => {
                    let wake = s.fronts.iter().all(Option::is_none) && s.unplaced.is_none();
                    if wake {
                        s.unplaced = Some((pack, offset));
                        drop(s);
                        self.shared.wake.notify_one();
                    }
                    return false;
                }
                Place::Elsewhere => return false,
            };
            let room = self.ready.len() < LEAD;
            let (slot, run) = match s.next_for(pack, rank, room) {
                Next::Read(slot, run) => (slot, run),
                Next::Wait => {
                    let before = self.shared.delivered.load(Ordering::Acquire);
                    drop(s);
                    let thread = self.thread.as_ref();
                    if !wait_for_delivery(&self.shared.delivered, before, || {
                        thread.is_none_or(JoinHandle::is_finished)
                    }) {
                        // The thread ended (it panicked): the walk reads
                        // alone; the panic comes out when the walk ends.
                        return false;
                    }
                    continue;
                }
                Next::Alone => {
                    drop(s);
                    self.stray(pack, rank, reader);
                    return false;
                }
                Next::Gone => return false,
            };
            let serial = s.fronts[slot].as_ref().map_or(0, |f| f.serial);
            drop(s);
            let read = read_run(reader, pack, slot, serial, run, &self.read_at);
            self.shared.lock().count_idle(&read);
            self.hold(read);
        }
    }

    /// Holds the commits of a run read for the walk to take.
    fn hold(&mut self, read: Read) {
        for (id, rank, at) in read.commits {
            let origin = Origin {
                slot: read.slot,
                serial: read.serial,
                rank,
            };
            self.ready
                .insert(id, (read.bytes[at].to_vec(), origin), 1, drop);
        }
    }

    /// Tells the thread how far the walk took commits at the front a
    /// commit was read at and how many it holds; wakes it if it sleeps and
    /// there is room again.
    fn took(&self, origin: Origin) {
        let p = &self.shared.progress[origin.slot];
        if p.serial.load(Ordering::Relaxed) == origin.serial {
            p.rank.fetch_max(origin.rank, Ordering::Relaxed);
            p.at.store(self.parsed, Ordering::Relaxed);
        }
        let held = self.ready.len();
        // Sequentially consistent with the thread's `asleep` and its second
        // look at `held`: one of the two sees the other's store.
        self.shared.held.store(held, Ordering::SeqCst);
        if held < LEAD / 2 && self.shared.asleep.load(Ordering::SeqCst) {
            // Under the lock: the thread is asleep, or sees the room.
            let _s = self.shared.lock();
            self.shared.wake.notify_one();
        }
    }

    /// The walk reads the commit at `rank` of `pack` alone; after two such
    /// in a row, a front starts there.
    fn stray(&mut self, pack: PackId, rank: usize, reader: &mut Reader) {
        let again = std::mem::replace(&mut self.strayed, true);
        let none = self.shared.lock().fronts.iter().all(Option::is_none);
        if !again && !none {
            return;
        }
        self.strayed = false;
        let end = reader.pack_reader(pack).pack.len() as usize;
        self.started += 1;
        let mut s = self.shared.lock();
        // A free slot, or the front the walk took from longest ago.
        let slot = s
            .fronts
            .iter()
            .position(Option::is_none)
            .unwrap_or_else(|| {
                (0..FRONTS)
                    .min_by_key(|&i| self.shared.progress[i].at.load(Ordering::Relaxed))
                    .unwrap_or(0)
            });
        self.shared.progress[slot].restart(self.started, rank, self.parsed);
        s.start_front(slot, self.started, pack, rank, end);
        drop(s);
        self.shared.wake.notify_one();
    }

    /// How many commits the walk took from those read in pack order.
    #[cfg(test)]
    pub(super) fn taken(&self) -> u64 {
        self.taken
    }
}

impl Drop for PackAhead {
    fn drop(&mut self) {
        let mut s = self.shared.lock();
        s.stop = true;
        drop(s);
        self.shared.wake.notify_one();
        worker::join(self.thread.take());
    }
}

impl Progress {
    /// For front `serial`, starting at `rank` at the walk's parse count
    /// `parsed`.
    fn restart(&self, serial: u64, rank: usize, parsed: usize) {
        self.serial.store(serial, Ordering::Relaxed);
        self.rank.store(rank - rank % CHUNK, Ordering::Relaxed);
        self.at.store(parsed, Ordering::Relaxed);
    }
}

/// Where a commit lies.
#[derive(Clone, Copy)]
enum Place {
    /// In a pack, at a rank in offset order.
    Ranked(PackId, usize),
    /// In a pack whose entries can't be had by rank yet, at an offset.
    Unranked(PackId, u64),
    /// In a loose file, nowhere, or where the reads fail.
    Elsewhere,
}

/// Where `id` lies.
fn place_of(reader: &mut Reader, id: &ObjectId) -> Place {
    let Ok(Some(Location::Packed { pack, offset, .. })) = reader.locate_local(id) else {
        return Place::Elsewhere;
    };
    let mut pr = reader.pack_reader(pack);
    if !pr.has_ranks() {
        return Place::Unranked(pack, offset);
    }
    match pr.rank_of(offset) {
        Ok(Some(rank)) => Place::Ranked(pack, rank),
        _ => Place::Elsewhere,
    }
}

/// Spins until `delivered` moves past `before` (a run is about 150 µs of
/// work, less than sleeping and being woken costs); `false` if the thread
/// that would move it ended first (`ended` says).
fn wait_for_delivery(delivered: &AtomicU64, before: u64, ended: impl Fn() -> bool) -> bool {
    let mut spins = 0u32;
    while delivered.load(Ordering::Acquire) == before {
        spins += 1;
        if spins < 1024 {
            std::hint::spin_loop();
        } else if ended() {
            return false;
        } else {
            std::thread::yield_now();
        }
    }
    true
}

/// Reads the commits of the entries at ranks `run` of `pack`, for the
/// front `serial` in `slot`.
fn read_run(
    reader: &mut Reader,
    pack: PackId,
    slot: usize,
    serial: u64,
    run: Range<usize>,
    read_at: &ReadAt,
) -> Read {
    let len = run.len();
    let first = run.start;
    let mut commits = Vec::new();
    let mut bytes = Vec::new();
    let mut buf = Vec::new();
    let mut idle_tail = 0;
    let mut pr = reader.pack_reader(pack);
    let mut entries = Vec::with_capacity(len);
    // Entries past a failed read are left to the walk, and count as idle
    // (a front that can't be read stops).
    let _ = pr.entries_by_rank(run, &mut entries);
    let unlisted = len - entries.len();
    for (i, (offset, pos)) in entries.into_iter().enumerate() {
        idle_tail += 1;
        let whole_commit = pr
            .header_at(offset)
            .is_ok_and(|h| matches!(h.kind, EntryKind::Base(ObjectKind::Commit)));
        if !whole_commit {
            continue;
        }
        idle_tail = 0;
        if let (Ok(ObjectKind::Commit), Ok(id)) =
            (read_at(&mut pr, offset, &mut buf), pr.oid_at(pos))
        {
            commits.push((id, first + i, bytes.len()..bytes.len() + buf.len()));
            bytes.extend_from_slice(&buf);
        }
    }
    idle_tail += unlisted;
    Read {
        slot,
        serial,
        bytes,
        commits,
        idle_tail,
        len,
    }
}

/// The thread: reads a run at the front the walk is least far behind,
/// while there is one read less than [`FRONT_LEAD`] past the walk and the
/// walk holds fewer than [`LEAD`] commits with those read.
fn read_ahead(shared: &Shared, reader: &mut Reader, read_at: &ReadAt) {
    let mut looks = 0;
    let mut done: Option<Read> = None;
    loop {
        let (pack, slot, serial, run) = {
            let mut s = shared.lock();
            if let Some(read) = done.take() {
                s.reading = None;
                s.count_idle(&read);
                s.read_commits += read.commits.len();
                s.read.push(read);
                shared.delivered.fetch_add(1, Ordering::Release);
            }
            loop {
                if s.stop {
                    return;
                }
                if let Some((pack, offset)) = s.unplaced.take() {
                    // Makes the pack's entries be had by rank (once).
                    drop(s);
                    let rank = reader.pack_reader(pack).rank_of(offset);
                    let end = reader.pack_reader(pack).pack.len() as usize;
                    s = shared.lock();
                    if let Ok(Some(rank)) = rank
                        && s.fronts.iter().all(Option::is_none)
                    {
                        shared.progress[0].restart(0, rank, 0);
                        s.start_front(0, 0, pack, rank, end);
                    }
                    continue;
                }
                let room = |s: &State| s.read_commits + shared.held.load(Ordering::SeqCst) < LEAD;
                let nearest = |s: &State| {
                    (0..FRONTS)
                        .filter_map(|i| {
                            let f = s.fronts[i].as_ref().filter(|f| f.has_more())?;
                            let lead = shared.lead(i, f);
                            (lead < FRONT_LEAD).then_some((lead, i))
                        })
                        .min()
                        .map(|(_, i)| i)
                };
                if room(&s)
                    && let Some(slot) = nearest(&s)
                    && let Some(run) = s.hand_out(slot)
                    && let Some(front) = s.fronts[slot].as_ref()
                {
                    looks = 0;
                    let (pack, serial) = (front.pack, front.serial);
                    s.reading = Some((slot, run.clone()));
                    break (pack, slot, serial, run);
                }
                if looks < LOOKS {
                    looks += 1;
                    s = shared
                        .wake
                        .wait_timeout(s, LOOK)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    continue;
                }
                shared.asleep.store(true, Ordering::SeqCst);
                // Room made before the walk saw `asleep`: no wake comes.
                if !room(&s) || nearest(&s).is_none() {
                    s = shared.wake.wait(s).unwrap_or_else(PoisonError::into_inner);
                }
                shared.asleep.store(false, Ordering::SeqCst);
                looks = 0;
            }
        };
        done = Some(read_run(reader, pack, slot, serial, run, read_at));
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::Repository;
    use crate::doctest::Scratch;
    use crate::history::heads_ahead::tests::{git, history};
    use crate::history::{Order, Walk, WalkOptions};

    /// A repository of `history(n)` (a main line with merges of a side
    /// branch), its pack written by `git` with `args` (none: fast-import's
    /// pack, oldest first and without a `.rev` file).
    fn packed(name: &str, n: usize, args: &[&str]) -> Scratch {
        let dir = Scratch::new(name).unwrap();
        git(&dir, &["init", "-q", "-b", "main"], "");
        git(&dir, &["fast-import", "--quiet"], &history(n));
        if !args.is_empty() {
            git(&dir, args, "");
        }
        dir
    }

    const REPACK: &[&str] = &["-c", "pack.writeReverseIndex=true", "repack", "-adq"];
    const REPACK_NO_REV: &[&str] = &["-c", "pack.writeReverseIndex=false", "repack", "-adq"];

    /// Walks of both branches of packed histories, in each order, list
    /// what `git rev-list --all` lists: packs git wrote in walk order with
    /// and without a `.rev` file, and fast-import's, oldest first. Where
    /// two cores start the thread, the walk takes commits read in pack
    /// order from a pack git wrote.
    #[test]
    fn walks_reading_in_pack_order_list_what_git_lists() {
        let two_cores = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
        for (name, args) in [
            ("pack-ahead-rev", REPACK),
            ("pack-ahead-norev", REPACK_NO_REV),
            ("pack-ahead-fast-import", &[][..]),
        ] {
            let dir = packed(name, 1500, args);
            for (order, flag) in [
                (Order::Default, None),
                (Order::Topo, Some("--topo-order")),
                (Order::CommitDate, Some("--date-order")),
            ] {
                let repo = Repository::discover(&dir).unwrap();
                let opts = WalkOptions {
                    order,
                    ..WalkOptions::default()
                };
                let mut walk = Walk::new(&repo, opts);
                for branch in ["main", "side"] {
                    let id = repo.rev_parse(branch).unwrap();
                    walk.push(id, false, false).unwrap();
                }
                let listed: String = walk
                    .by_ref()
                    .map(|w| w.unwrap().id.to_hex() + "\n")
                    .collect();
                let mut args = vec!["rev-list", "--all"];
                args.extend(flag);
                assert_eq!(listed, git(&dir, &args, ""), "{name}: {args:?}");
                if two_cores && name == "pack-ahead-rev" {
                    let taken = walk.taken_from_thread().expect("a thread started");
                    assert!(taken > 1000, "{args:?}: {taken} taken");
                }
            }
        }
    }

    /// Each commit handed over is its own object's start (as much as the
    /// walk reads), whoever read it: the walk takes the commits of a
    /// packed history in `rev-list` order, each compared with its object,
    /// the thread reading ahead; those not read ahead are the walk's to
    /// read (here: the first, which starts the front).
    #[test]
    fn commits_handed_over_are_their_own() {
        let dir = packed("pack-ahead-own", 2000, REPACK);
        let repo = Repository::discover(&dir).unwrap();
        let ids: Vec<ObjectId> = git(&dir, &["rev-list", "--all"], "")
            .lines()
            .map(|l| ObjectId::from_hex(l).unwrap())
            .collect();
        let mut walk_reader = repo.odb().reader();
        let mut thread_reader = repo.odb().reader();
        thread_reader.never_fetch();
        let read_at: ReadAt = Arc::new(|pr, offset, buf| {
            // The start of each object: a commit's header lines.
            Ok(pr.read_prefix(offset, buf, &mut |p| p.len() > 200)?.kind)
        });
        let mut ahead = PackAhead::start(thread_reader, read_at).unwrap();
        let mut out = Vec::new();
        assert!(!ahead.take(&ids[0], &mut walk_reader, &mut out));
        // Let the thread read a while: the walk takes what it read.
        let until = Instant::now() + Duration::from_secs(10);
        while ahead.shared.delivered.load(Ordering::Acquire) < 4 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut taken = 0;
        for id in &ids[1..] {
            out.clear();
            if ahead.take(id, &mut walk_reader, &mut out) {
                taken += 1;
                let whole = walk_reader.read(id).unwrap();
                assert!(whole.data.starts_with(&out), "{id}: another object's bytes");
                let text = String::from_utf8_lossy(&out);
                assert!(text.contains("\ncommitter "), "{id}: {text:?}");
            }
        }
        assert!(taken + 64 > ids.len(), "{taken} of {} taken", ids.len());
        assert!(ahead.ready.len() <= LEAD);
    }
}
