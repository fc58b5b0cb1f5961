//! The crate's error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What the manager was doing when the operating system refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Opening the file.
    Open,
    /// Asking for the file's size and identity (`fstat`/`stat`).
    Stat,
    /// Mapping a window of the file.
    Map,
    /// Reading the file without mapping it
    /// ([`WindowCursor::read_unmapped`](crate::WindowCursor::read_unmapped)).
    Read,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Open => "open",
            Action::Stat => "stat",
            Action::Map => "map",
            Action::Read => "read",
        })
    }
}

/// Everything that can go wrong in `smmap`.
///
/// Each variant names the file (when it has a path) and the offset it concerns.
/// Converts into [`std::io::Error`] for use behind `Read`/`Seek`.
///
/// ```
/// use smmap::{Action, Error, SlidingWindowMapManager};
///
/// let manager = SlidingWindowMapManager::with_limits(4096, 0, 1);
/// let mut a = manager.make_cursor("Cargo.toml");
/// a.use_region(0, 1).unwrap();
/// // One window allowed, and it is in use.
/// let mut b = manager.make_cursor("src/lib.rs");
/// let err = b.use_region(0, 1).unwrap_err();
/// assert!(matches!(err, Error::HandleLimit { limit: 1, .. }));
/// assert!(err.to_string().contains("src/lib.rs"));
///
/// let err = manager.make_cursor("no such file").use_region(0, 1).unwrap_err();
/// assert!(matches!(err, Error::Io { action: Action::Open, .. }));
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::NotFound);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused to open, stat or map a file, also after
    /// idle windows were unloaded and the operation retried.
    Io {
        /// What was attempted.
        action: Action,
        /// The file's path, if the cursor was made from a path.
        path: Option<PathBuf>,
        /// The offset that was asked for.
        offset: u64,
        /// The operating system's error.
        source: io::Error,
    },
    /// A new window was needed but `max_open_handles` windows are mapped and
    /// every one of them is in use by a cursor.
    HandleLimit {
        /// The configured limit.
        limit: usize,
        /// The file that needed the window.
        path: Option<PathBuf>,
        /// The offset that was asked for.
        offset: u64,
    },
    /// The file at the cursor's path was replaced by another file (or a
    /// size was asked of one file and a window of another): this cursor and
    /// its clones read only the file they started with, and a cursor made
    /// anew for the path reads the new one (see
    /// [`WindowCursor::is_current`](crate::WindowCursor::is_current)).
    FileReplaced {
        /// The path whose file changed.
        path: PathBuf,
    },
    /// The cursor belongs to no manager and file (made with
    /// [`WindowCursor::default`](crate::WindowCursor::default)).
    NotAssociated,
    /// An offset lies at or beyond the end of the file, or an index at or
    /// beyond the end of a buffer.
    OutOfBounds {
        /// The file's path, if known.
        path: Option<PathBuf>,
        /// The file offset, or the buffer index, that was asked for.
        offset: u64,
        /// The length of that file (for a file offset) or of the buffer (for
        /// a buffer index): `offset` had to be below it.
        len: u64,
    },
    /// A range whose start lies after its end.
    InvalidRange {
        /// Start of the range.
        start: u64,
        /// End of the range.
        end: u64,
    },
}

fn show_path(path: Option<&PathBuf>) -> String {
    path.map_or_else(|| "<file>".to_owned(), |p| format!("'{}'", p.display()))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                action,
                path,
                offset,
                source,
            } => {
                write!(
                    f,
                    "could not {action} {} (offset {offset}): {source}",
                    show_path(path.as_ref())
                )
            }
            Error::HandleLimit {
                limit,
                path,
                offset,
            } => write!(
                f,
                "cannot map a window of {} at offset {offset}: all {limit} allowed windows are in use",
                show_path(path.as_ref())
            ),
            Error::FileReplaced { path } => write!(
                f,
                "'{}' was replaced by another file while windows of the old one are in use",
                path.display()
            ),
            Error::NotAssociated => f.write_str("the cursor is not associated with a file"),
            Error::OutOfBounds { path, offset, len } => {
                write!(
                    f,
                    "offset {offset} is out of bounds of {} (length {len})",
                    show_path(path.as_ref())
                )
            }
            Error::InvalidRange { start, end } => {
                write!(f, "invalid range {start}..{end}: start lies after end")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> Self {
        let kind = match &err {
            Error::Io { source, .. } => source.kind(),
            Error::HandleLimit { .. } => io::ErrorKind::ResourceBusy,
            Error::FileReplaced { .. } => io::ErrorKind::Other,
            Error::NotAssociated | Error::InvalidRange { .. } => io::ErrorKind::InvalidInput,
            Error::OutOfBounds { .. } => io::ErrorKind::UnexpectedEof,
        };
        io::Error::new(kind, err)
    }
}
