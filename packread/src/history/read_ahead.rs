//! A walk's commits and their bytes, read on a thread of their own while
//! the caller uses what came before (`log` formats, Python builds its
//! objects): reading a commit (an index lookup, inflating it) costs about
//! as much as showing it.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use crate::error::Error;

use super::walk::{Walk, Walked};
use super::worker::{self, resume_panic};

/// Commits a read-ahead thread hands over at once.
const CHUNK: usize = 256;

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

/// Where the commits come from.
enum Source<T> {
    /// A thread of their own (two chunks at most waiting).
    Thread {
        rx: Receiver<Message<T>>,
        thread: Option<JoinHandle<()>>,
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
/// the caller uses the commits before. Errors come in order, after the
/// commits before them; a panic of the thread is carried over to the
/// caller; dropping the `ReadAhead` ends the thread at its next chunk.
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
        matches!(self.source, Source::Thread { .. })
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

#[cfg(test)]
mod tests {
    use super::ReadAhead;
    use crate::Error;
    use crate::doctest::Scratch;
    use crate::history::{Walk, WalkOptions};

    fn walk_of(repo: &crate::Repository) -> Walk {
        let mut walk = Walk::new(repo, WalkOptions::default());
        walk.push(repo.rev_parse("HEAD").unwrap(), false, false)
            .unwrap();
        walk
    }

    /// The commits and bytes the walk hands over, in its order, made by
    /// the caller's function; more than a chunk of them.
    #[test]
    fn reads_what_the_walk_reads() {
        let dir = Scratch::committed("read-ahead-all", &[("a.txt", "a\n")]).unwrap();
        for i in 0..300 {
            dir.git(&["commit", "-q", "--allow-empty", "-m", &format!("c{i}")])
                .unwrap();
        }
        let repo = crate::Repository::discover(&dir).unwrap();
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
