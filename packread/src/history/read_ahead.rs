//! A walk's commits and their bytes, read on a thread of their own while
//! the caller uses what came before (`log` formats, Python builds its
//! objects): reading a commit (an index lookup, inflating it) costs about
//! as much as showing it. Where the walk needn't read them to walk (a
//! commit-graph gives it the parents and dates), they are read on two
//! threads besides the walk's.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use crate::error::Error;
use crate::odb::Reader;

use super::commits::Handover;
use super::walk::{Walk, Walked};
use super::worker::{self, resume_any_panic, resume_panic};

/// Commits a read-ahead thread hands over at once.
const CHUNK: usize = 256;

/// Threads that read a graph walk's commits besides the walk's own, where
/// there are two cores or more, taking turns chunk by chunk (a walk that
/// reads each commit to find its parents keeps what it read: it reads on
/// its own thread alone). rails' `log --all --format='%H %an %s'` with a
/// graph, two CPUs: 0.62 -> 0.375 s (git 0.845 s).
const READERS: usize = 2;

/// What the reading thread sends.
enum Message<T> {
    /// The next commits, made into `T`s.
    Chunk(Vec<T>),
    /// The walk ended.
    Done,
    /// The walk, a read or a `make` failed (after the commits before).
    Failed(Error),
}

/// Turns a commit the walk handed over and its bytes (or why they could
/// not be read) into what the caller wants, on the reading thread.
type Make<T> = Box<dyn FnMut(Walked, Result<Vec<u8>, Error>) -> Result<T, Error> + Send>;

/// What the walking thread hands a reading thread: first the function
/// that makes the commits into `T`s (shared by the reading threads), then
/// the next commits, or what ended the walk.
enum Job<T> {
    Start(Arc<Mutex<Make<T>>>),
    Commits(Vec<(Walked, Handover)>),
    End(Message<T>),
}

/// A reading thread's answer to a [`Job`]: the commits it made, and what
/// ended the walk after them, if something did.
struct Part<T> {
    items: Vec<T>,
    end: Option<Message<T>>,
}

/// Where the commits come from.
enum Source<T> {
    /// A thread of their own (two chunks at most waiting).
    Thread {
        rx: Receiver<Message<T>>,
        thread: Option<JoinHandle<()>>,
    },
    /// Reading threads that take turns, chunk by chunk, fed by a walking
    /// thread: the next part comes from `rxs[next]`.
    Pool {
        rxs: Vec<Receiver<Part<T>>>,
        next: usize,
        threads: Vec<JoinHandle<()>>,
        /// What ended the walk, once the commits before it are handed over.
        end: Option<Message<T>>,
    },
    /// Here, chunk by chunk, where the system starts no thread; `end`
    /// what ended the walk, once the commits before it are handed over.
    Here {
        walk: Box<Walk>,
        make: Make<T>,
        end: Option<Message<T>>,
    },
}

/// A walk whose commits are read, and made into `T`s by a function of the
/// caller's, on a thread of their own: the thread walks, reads each
/// commit's bytes ([`Walk::next_with_read`]) and runs the function while
/// the caller uses the commits before. Where a commit-graph lets the walk
/// go without reading commits, and there are two cores, two more threads
/// read them and run the function (one at a time), chunk by chunk in
/// turn, while the walk goes on. Either way the commits come in the walk's
/// order, errors after the commits before them; a panic of a thread is
/// carried over to the caller; dropping the `ReadAhead` ends the threads
/// at their next chunk.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("read-ahead", &[("a.txt", "a\n")])?;
/// # dir.git(&["commit", "-q", "--allow-empty", "-m", "second"])?;
/// use packread::history::{ReadAhead, Walk, WalkOptions};
///
/// let repo = packread::Repository::discover(&dir)?;
/// let mut walk = Walk::new(&repo, WalkOptions::default());
/// walk.push(repo.rev_parse("HEAD")?, false, false)?;
/// let sizes: Vec<(packread::ObjectId, usize)> = ReadAhead::new(walk, |c, data| Ok((c.id, data.len())))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(sizes.len(), 2);
/// assert_eq!(sizes[0].0, repo.rev_parse("HEAD")?);
/// # Ok(()) }
/// ```
pub struct ReadAhead<T> {
    source: Source<T>,
    /// Commits received and not handed over yet.
    ready: VecDeque<T>,
    ended: bool,
}

impl<T: Send + 'static> ReadAhead<T> {
    /// Starts reading `walk`'s commits, each made into a `T` by `make`.
    /// A commit whose object can't be read ends the walk with
    /// [`Error::CommitText`].
    pub fn new(
        walk: Walk,
        mut make: impl FnMut(Walked, Vec<u8>) -> Result<T, Error> + Send + 'static,
    ) -> ReadAhead<T> {
        ReadAhead::with_reads(walk, move |c, data| make(c, data?))
    }

    /// As [`new`](Self::new), but `make` also gets the commits whose
    /// objects could not be read, with the error ([`Error::CommitText`]),
    /// and the walk goes on after them: git shows what the graph holds of
    /// such a commit ([`Walk::next_with_read`]).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("with-reads", &[("a.txt", "a\n")])?;
    /// use packread::history::{ReadAhead, Walk, WalkOptions};
    ///
    /// let repo = packread::Repository::discover(&dir)?;
    /// let mut walk = Walk::new(&repo, WalkOptions::default());
    /// walk.push(repo.rev_parse("HEAD")?, false, false)?;
    /// let read: Vec<bool> = ReadAhead::with_reads(walk, |_, data| Ok(data.is_ok()))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(read, [true]);
    /// # Ok(()) }
    /// ```
    pub fn with_reads(
        walk: Walk,
        make: impl FnMut(Walked, Result<Vec<u8>, Error>) -> Result<T, Error> + Send + 'static,
    ) -> ReadAhead<T> {
        let (tx, rx) = sync_channel(2);
        let state: (Walk, Make<T>) = (walk, Box::new(make));
        // Under a handle limit too small for two readers at once, the
        // caller's reads and the walk's take turns.
        if !state.0.fits_two_readers() {
            return ReadAhead::here(state);
        }
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let state = if cores >= 2 && state.0.walks_by_graph() && state.0.readers_room() > READERS {
            match ReadAhead::pool(state) {
                Ok(pool) => return pool,
                Err(state) => *state,
            }
        } else {
            state
        };
        let spawned = worker::spawn("packread-read", state, move |(mut walk, mut make)| {
            loop {
                let (items, end) = chunk(&mut walk, &mut make);
                if !items.is_empty() && tx.send(Message::Chunk(items)).is_err() {
                    return;
                }
                if let Some(end) = end {
                    let _ = tx.send(end);
                    return;
                }
            }
        });
        match spawned {
            Ok(thread) => ReadAhead {
                source: Source::Thread {
                    rx,
                    thread: Some(thread),
                },
                ready: VecDeque::new(),
                ended: false,
            },
            Err(state) => ReadAhead::here(state),
        }
    }

    /// Walks on a thread of its own and reads on [`READERS`] others, or
    /// gives the state back where the system starts no thread.
    fn pool((walk, make): (Walk, Make<T>)) -> Result<ReadAhead<T>, Box<(Walk, Make<T>)>> {
        let mut rxs = Vec::with_capacity(READERS);
        let mut txs = Vec::with_capacity(READERS);
        let mut threads = Vec::with_capacity(READERS + 1);
        for _ in 0..READERS {
            let (job_tx, job_rx) = sync_channel::<Job<T>>(1);
            let (part_tx, part_rx) = sync_channel::<Part<T>>(2);
            match worker::spawn(
                "packread-read",
                (walk.commit_reader(), job_rx, part_tx),
                read_jobs,
            ) {
                Ok(thread) => threads.push(thread),
                // Those started end as their job senders go, never started.
                Err(_) => return Err(Box::new((walk, make))),
            }
            txs.push(job_tx);
            rxs.push(part_rx);
        }
        let make = Arc::new(Mutex::new(make));
        match worker::spawn("packread-walk", (walk, txs, make), walk_jobs) {
            Ok(thread) => threads.push(thread),
            Err((walk, txs, make)) => {
                drop(txs);
                let make = Arc::into_inner(make)
                    .expect("only here")
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner);
                return Err(Box::new((walk, make)));
            }
        }
        Ok(ReadAhead {
            source: Source::Pool {
                rxs,
                next: 0,
                threads,
                end: None,
            },
            ready: VecDeque::new(),
            ended: false,
        })
    }

    /// Reads on the caller's thread, chunk by chunk.
    fn here((walk, make): (Walk, Make<T>)) -> ReadAhead<T> {
        ReadAhead {
            source: Source::Here {
                walk: Box::new(walk),
                make,
                end: None,
            },
            ready: VecDeque::new(),
            ended: false,
        }
    }

    /// Whether the commits are read on a thread of their own. If not, they
    /// are read a chunk at a time when the caller asks for the next, and
    /// the walk lets go of its windows after each chunk: a caller that
    /// reads through the same window manager under a small handle limit
    /// lets go of its own before asking ([`Reader::release_windows`]).
    ///
    /// [`Reader::release_windows`]: crate::Reader::release_windows
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("threaded", &[("a.txt", "a\n")])?;
    /// use packread::history::{ReadAhead, Walk, WalkOptions};
    ///
    /// let options = packread::OpenOptions::new().max_handles(1);
    /// let repo = packread::Repository::discover_with(&*dir, &options)?;
    /// let mut walk = Walk::new(&repo, WalkOptions::default());
    /// walk.push(repo.rev_parse("HEAD")?, false, false)?;
    /// let ahead = ReadAhead::new(walk, |c, _| Ok(c.id));
    /// assert!(!ahead.is_threaded());
    /// assert_eq!(ahead.count(), 1);
    /// # Ok(()) }
    /// ```
    pub fn is_threaded(&self) -> bool {
        matches!(self.source, Source::Thread { .. } | Source::Pool { .. })
    }

    /// The next commits, as many as are read: `None` after the last, an
    /// error after the commits before it (and then `None`).
    ///
    /// # Panics
    /// Where the reading thread panicked (its panic, carried over).
    pub fn next_chunk(&mut self) -> Option<Result<Vec<T>, Error>> {
        if !self.ready.is_empty() {
            return Some(Ok(self.ready.drain(..).collect()));
        }
        if self.ended {
            return None;
        }
        let message = match &mut self.source {
            Source::Thread { rx, thread } => {
                let Ok(message) = rx.recv() else {
                    self.ended = true;
                    resume_panic(thread.take());
                };
                message
            }
            Source::Pool {
                rxs,
                next,
                threads,
                end,
            } => {
                if let Some(message) = end.take() {
                    message
                } else {
                    let Ok(part) = rxs[*next].recv() else {
                        // A thread panicked: the others, let go of, end.
                        self.ended = true;
                        drop(std::mem::take(rxs));
                        resume_any_panic(std::mem::take(threads));
                    };
                    *next = (*next + 1) % rxs.len();
                    match part.end {
                        Some(ended) if part.items.is_empty() => ended,
                        ended => {
                            // The commits first, then the end.
                            *end = ended;
                            Message::Chunk(part.items)
                        }
                    }
                }
            }
            Source::Here { walk, make, end } => {
                if let Some(message) = end.take() {
                    message
                } else {
                    let (items, ended) = chunk(walk, make);
                    walk.release_windows();
                    if items.is_empty() {
                        ended.unwrap_or(Message::Done)
                    } else {
                        *end = ended;
                        Message::Chunk(items)
                    }
                }
            }
        };
        match message {
            Message::Chunk(items) => Some(Ok(items)),
            Message::Done => {
                self.ended = true;
                None
            }
            Message::Failed(e) => {
                self.ended = true;
                Some(Err(e))
            }
        }
    }
}

impl<T: Send + 'static> Iterator for ReadAhead<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(item) = self.ready.pop_front() {
            return Some(Ok(item));
        }
        match self.next_chunk()? {
            Ok(items) => {
                self.ready.extend(items);
                self.ready.pop_front().map(Ok)
            }
            Err(e) => Some(Err(e)),
        }
    }
}

/// The next [`CHUNK`] commits of `walk` made into `T`s, and what ended
/// the walk if it ended (here, the commits before an error are kept and
/// the error comes after them).
fn chunk<T>(walk: &mut Walk, make: &mut Make<T>) -> (Vec<T>, Option<Message<T>>) {
    let mut items = Vec::with_capacity(CHUNK);
    while items.len() < CHUNK {
        let made = match walk.next_with_read() {
            Some(Ok((c, data))) => make(c, data),
            Some(Err(e)) => Err(e),
            None => return (items, Some(Message::Done)),
        };
        match made {
            Ok(item) => items.push(item),
            Err(e) => return (items, Some(Message::Failed(e))),
        }
    }
    (items, None)
}

/// What a pool's walking thread holds: the walk, where the reading
/// threads' jobs go, and the function they share.
type WalkJobs<T> = (Walk, Vec<SyncSender<Job<T>>>, Arc<Mutex<Make<T>>>);

/// The walking thread of a pool: hands the reading threads the function
/// that makes commits into `T`s, then the walk's commits, chunk by chunk
/// in turn, and what ended the walk (an error after the commits before
/// it), in the turn after the last chunk.
fn walk_jobs<T>((mut walk, txs, make): WalkJobs<T>) {
    for tx in &txs {
        if tx.send(Job::Start(Arc::clone(&make))).is_err() {
            return;
        }
    }
    drop(make);
    let mut turn = 0;
    loop {
        let mut items = Vec::with_capacity(CHUNK);
        let mut end = None;
        while items.len() < CHUNK {
            match walk.next_with_handover() {
                Some(Ok(commit)) => items.push(commit),
                Some(Err(e)) => {
                    end = Some(Message::Failed(e));
                    break;
                }
                None => {
                    end = Some(Message::Done);
                    break;
                }
            }
        }
        if !items.is_empty() {
            if txs[turn].send(Job::Commits(items)).is_err() {
                return;
            }
            turn = (turn + 1) % txs.len();
        }
        if let Some(end) = end {
            let _ = txs[turn].send(Job::End(end));
            return;
        }
    }
}

/// A reading thread of a pool: reads the commits of each job the walk
/// didn't keep (an unreadable one is [`Error::CommitText`], for the
/// function), makes each into a `T` and sends them on, one part a job.
fn read_jobs<T>((mut reader, jobs, tx): (Reader, Receiver<Job<T>>, SyncSender<Part<T>>)) {
    let Ok(Job::Start(make)) = jobs.recv() else {
        return;
    };
    for job in jobs {
        let part = match job {
            Job::Start(_) => continue,
            Job::End(end) => Part {
                items: Vec::new(),
                end: Some(end),
            },
            Job::Commits(commits) => {
                let mut items = Vec::with_capacity(commits.len());
                let mut end = None;
                for (walked, bytes) in commits {
                    let data = bytes.read(&mut reader).map_err(|e| Error::CommitText {
                        commit: walked.id,
                        source: Box::new(e),
                    });
                    let made = make.lock().unwrap_or_else(PoisonError::into_inner)(walked, data);
                    match made {
                        Ok(item) => items.push(item),
                        Err(e) => {
                            end = Some(Message::Failed(e));
                            break;
                        }
                    }
                }
                Part { items, end }
            }
        };
        let last = part.end.is_some();
        if tx.send(part).is_err() || last {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ReadAhead, Source};
    use crate::Error;
    use crate::doctest::Scratch;
    use crate::history::{Walk, WalkOptions};

    fn walk_of(repo: &crate::Repository) -> Walk {
        let mut walk = Walk::new(repo, WalkOptions::default());
        walk.push(repo.rev_parse("HEAD").unwrap(), false, false)
            .unwrap();
        walk
    }

    /// A repository of a file's commit and `n` empty ones after it, with a
    /// commit-graph if `graph`.
    fn commits(name: &str, n: usize, graph: bool) -> (Scratch, crate::Repository) {
        let dir = Scratch::committed(name, &[("a.txt", "a\n")]).unwrap();
        for i in 0..n {
            dir.git(&["commit", "-q", "--allow-empty", "-m", &format!("c{i}")])
                .unwrap();
        }
        if graph {
            dir.git(&["commit-graph", "write", "--reachable"]).unwrap();
        }
        let repo = crate::Repository::discover(&dir).unwrap();
        (dir, repo)
    }

    /// The commits and bytes the walk hands over, in its order, made by
    /// the caller's function; more than a chunk of them.
    #[test]
    fn reads_what_the_walk_reads() {
        let (_dir, repo) = commits("read-ahead-all", 300, false);
        let mut want = Vec::new();
        let mut walk = walk_of(&repo);
        while let Some(next) = walk.next_with_data() {
            let (c, data) = next.unwrap();
            want.push((c.id, data.len()));
        }
        let got: Vec<_> = ReadAhead::new(walk_of(&repo), |c, data| Ok((c.id, data.len())))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got.len(), 301);
        assert_eq!(got, want);
        // Dropped before the end: the thread stops, nothing hangs.
        let mut some = ReadAhead::new(walk_of(&repo), |c, _| Ok(c.id));
        assert!(some.next().is_some());
    }

    /// A graph walk's commits read by reading threads in turn (where there
    /// are two cores): the walk's order and bytes, over several chunks; a
    /// commit whose object is gone is handed to the function with its
    /// error and the walk goes on; an error of the function ends it after
    /// the commits before.
    #[test]
    fn readers_taking_turns_read_what_the_walk_reads() {
        let (dir, repo) = commits("read-ahead-pool", 700, true);
        let pooled = |ahead: &ReadAhead<_>| matches!(ahead.source, Source::Pool { .. });
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let mut want = Vec::new();
        let mut walk = walk_of(&repo);
        while let Some(next) = walk.next_with_data() {
            let (c, data) = next.unwrap();
            want.push((c.id, data));
        }
        let ahead = ReadAhead::new(walk_of(&repo), |c, data| Ok((c.id, data)));
        assert_eq!(pooled(&ahead), cores >= 2);
        let got: Vec<_> = ahead.collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 701);
        assert!(got == want, "not the walk's commits and bytes");

        // One commit's object gone: the walk (by the graph) goes on.
        let gone = want[300].0.to_hex();
        std::fs::remove_file(dir.join(".git/objects").join(&gone[..2]).join(&gone[2..])).unwrap();
        let read: Vec<_> =
            ReadAhead::with_reads(walk_of(&repo), |c, data| Ok((c.id, data.is_ok())))
                .collect::<Result<_, _>>()
                .unwrap();
        let ok: Vec<_> = want
            .iter()
            .map(|(id, _)| (*id, id.to_hex() != gone))
            .collect();
        assert_eq!(read, ok);
        let mut read = ReadAhead::with_reads(walk_of(&repo), |c, data| match data {
            Ok(_) => Ok(c.id),
            Err(e) => Err(e),
        });
        for (id, _) in &want[..300] {
            assert_eq!(read.next().unwrap().unwrap(), *id);
        }
        assert!(
            matches!(read.next(), Some(Err(Error::CommitText { commit, .. })) if commit == want[300].0)
        );
        assert!(read.next().is_none());
        // Dropped before the end: the threads stop, nothing hangs.
        let mut some = ReadAhead::new(walk_of(&repo), |c, _| Ok(c.id));
        assert!(some.next().is_some());
    }

    /// A walk that fails: the commits before, then its error, then nothing;
    /// an error of the caller's function the same.
    #[test]
    fn errors_come_after_the_commits_before() {
        let dir = Scratch::committed("read-ahead-broken", &[("a.txt", "a\n")]).unwrap();
        dir.git(&["commit", "-q", "--allow-empty", "-m", "second"])
            .unwrap();
        dir.git(&["commit", "-q", "--allow-empty", "-m", "third"])
            .unwrap();
        let repo = crate::Repository::discover(&dir).unwrap();
        let first = repo.rev_parse("HEAD~2").unwrap().to_hex();
        std::fs::remove_file(dir.join(".git/objects").join(&first[..2]).join(&first[2..])).unwrap();
        let mut read = ReadAhead::new(walk_of(&repo), |c, _| Ok(c.id));
        assert_eq!(
            read.next().unwrap().unwrap(),
            repo.rev_parse("HEAD").unwrap()
        );
        assert!(matches!(read.next(), Some(Err(Error::WalkParent { .. }))));
        assert!(read.next().is_none());

        let dir = Scratch::committed("read-ahead-made", &[("a.txt", "a\n")]).unwrap();
        dir.git(&["commit", "-q", "--allow-empty", "-m", "second"])
            .unwrap();
        let repo = crate::Repository::discover(&dir).unwrap();
        let mut made = 0;
        let mut read = ReadAhead::new(walk_of(&repo), move |c, _| {
            made += 1;
            if made == 1 {
                Ok(c.id)
            } else {
                Err(Error::InvalidName("made".into()))
            }
        });
        assert!(read.next().unwrap().is_ok());
        assert!(matches!(read.next(), Some(Err(Error::InvalidName(_)))));
        assert!(read.next().is_none());
    }
}
