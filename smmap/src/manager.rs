//! The window managers: [`SlidingWindowMapManager`], [`StaticWindowMapManager`]
//! and the [`MapManager`] handle both of them are. The books they keep live
//! in `shared.rs`.

use std::fmt;
use std::fs::File;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use crate::align::{allocation_granularity, is_64_bit};
use crate::cursor::WindowCursor;
#[cfg(unix)]
use crate::error::{Action, Error};
use crate::shared::{ManagerKind, Shared, Stats};

const MIB: u64 = 1024 * 1024;

/// A handle on a window manager of either kind; cheap to clone, `Send + Sync`.
///
/// [`SlidingWindowMapManager`] and [`StaticWindowMapManager`] dereference to
/// this type, and convert into it where code should work with either kind.
/// All clones share one set of windows and limits.
///
/// Upstream's customisation hooks (the `MapRegionCls`/`WindowCursorCls`
/// class attributes a subclass could replace) and its `flags` for
/// `os.open` are not ported: a Rust caller wraps the cursor instead, and
/// files are always opened read-only.
///
/// ```
/// # fn main() -> Result<(), smmap::Error> {
/// use smmap::{MapManager, SlidingWindowMapManager};
///
/// let manager: MapManager = SlidingWindowMapManager::with_limits(4096, 16 * 4096, 8).into();
/// assert_eq!(manager.window_size(), 4096);
/// assert_eq!(manager.max_mapped_memory_size(), 16 * 4096);
/// assert_eq!(manager.max_file_handles(), 8);
/// let mut cursor = manager.make_cursor("Cargo.toml");
/// cursor.use_region(0, 100)?;
/// assert_eq!((manager.num_file_handles(), manager.num_open_files()), (1, 1));
/// drop(cursor);
/// // Idle windows stay mapped until a limit or `collect` unloads them.
/// assert_eq!(manager.collect(), 1);
/// assert_eq!((manager.num_file_handles(), manager.mapped_memory_size()), (0, 0));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MapManager {
    shared: Arc<Shared>,
}

impl MapManager {
    fn with(
        kind: ManagerKind,
        window_size: usize,
        max_memory_size: usize,
        max_open_handles: usize,
    ) -> MapManager {
        let (default_window, default_memory) = if is_64_bit() {
            (1024 * MIB, 8192 * MIB)
        } else {
            (64 * MIB, 1024 * MIB)
        };
        let window_size = match (kind, window_size) {
            (ManagerKind::Sliding, 0) => default_window,
            (ManagerKind::Static, 0) => 0,
            (_, n) => n as u64,
        };
        let max_memory = if max_memory_size == 0 {
            usize::try_from(default_memory).unwrap_or(usize::MAX)
        } else {
            max_memory_size
        };
        let max_handles = if max_open_handles == 0 {
            usize::MAX
        } else {
            max_open_handles
        };
        let shared = Shared::new(
            kind,
            window_size,
            max_memory,
            max_handles,
            allocation_granularity(),
        );
        MapManager {
            shared: Arc::new(shared),
        }
    }

    /// Whether this manager slides windows or maps whole files.
    pub fn kind(&self) -> ManagerKind {
        self.shared.kind
    }

    /// A cursor on the file at `path`. Nothing is opened or mapped until the
    /// cursor's first [`use_region`](WindowCursor::use_region); a path that
    /// doesn't exist fails then.
    ///
    /// All cursors made for the same path share that file's windows.
    ///
    /// ```
    /// # fn main() -> Result<(), smmap::Error> {
    /// let manager = smmap::SlidingWindowMapManager::new();
    /// let mut a = manager.make_cursor("Cargo.toml");
    /// let mut b = manager.make_cursor("Cargo.toml");
    /// a.use_region(0, 10)?;
    /// b.use_region(5, 10)?;
    /// assert_eq!(manager.num_file_handles(), 1); // one window, two cursors
    /// assert!(manager.make_cursor("no such file").use_region(0, 1).is_err());
    /// # Ok(()) }
    /// ```
    pub fn make_cursor(&self, path: impl AsRef<Path>) -> WindowCursor {
        WindowCursor::new(self.shared.token_for_path(path.as_ref()))
    }

    /// A cursor on a file the caller opened. The manager keeps `file` open
    /// until the last cursor made from it and the last of its windows are
    /// gone.
    ///
    /// Each call registers a new file, even for the same file on disk; clone
    /// the cursor to share its windows (or use
    /// [`make_cursor_from_fd`](Self::make_cursor_from_fd), which shares them
    /// by descriptor).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let manager = smmap::StaticWindowMapManager::new();
    /// let mut cursor = manager.make_cursor_from_file(std::fs::File::open("Cargo.toml")?);
    /// assert!(cursor.path().is_none());
    /// assert_eq!(cursor.use_region(0, 0)?.size() as u64, cursor.file_size()?);
    /// # Ok(()) }
    /// ```
    pub fn make_cursor_from_file(&self, file: File) -> WindowCursor {
        WindowCursor::new(self.shared.token_for_file(file, None))
    }

    /// A cursor on a descriptor the caller keeps (upstream's
    /// `make_cursor(fd)`): the manager neither takes nor closes it. It holds
    /// its own duplicate while cursors or windows of the file exist, so the
    /// caller may close `fd` whenever it likes.
    ///
    /// Cursors made from the same descriptor share its windows, as upstream
    /// keys its regions by descriptor, as long as the descriptor still names
    /// the same file (a number closed and reused for another file gets a
    /// record of its own). A path and a descriptor of the same file are two
    /// records, as in upstream.
    ///
    /// # Errors
    /// [`Error::Io`] if the descriptor can't be duplicated or stat'ed.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::os::fd::AsFd;
    ///
    /// let file = std::fs::File::open("Cargo.toml")?;
    /// let manager = smmap::SlidingWindowMapManager::new();
    /// let mut a = manager.make_cursor_from_fd(file.as_fd())?;
    /// let mut b = manager.make_cursor_from_fd(file.as_fd())?;
    /// a.use_region(0, 10)?;
    /// b.use_region(5, 10)?;
    /// assert_eq!(manager.num_file_handles(), 1);
    /// assert!(matches!(a.path_or_fd(), Some(smmap::PathOrFd::Fd(_))));
    /// drop(file); // the cursors hold their own duplicate
    /// assert!(a.use_region(0, 1)?.is_valid());
    /// # Ok(()) }
    /// ```
    #[cfg(unix)]
    pub fn make_cursor_from_fd(
        &self,
        fd: std::os::fd::BorrowedFd<'_>,
    ) -> Result<WindowCursor, Error> {
        use std::os::fd::AsRawFd;
        let number = fd.as_raw_fd();
        let io = |action, source| Error::Io {
            action,
            path: None,
            offset: 0,
            source,
        };
        let owned = fd.try_clone_to_owned().map_err(|e| io(Action::Open, e))?;
        let file = File::from(owned);
        let meta = file.metadata().map_err(|e| io(Action::Stat, e))?;
        let identity = crate::file::Identity::of(&meta);
        let token = self.shared.token_for_file(file, Some((number, identity)));
        Ok(WindowCursor::new(token))
    }

    /// Unloads every idle window (one no cursor is using) and closes the
    /// descriptors of files that have no window left. Returns how many windows
    /// were unloaded.
    ///
    /// ```
    /// # fn main() -> Result<(), smmap::Error> {
    /// let manager = smmap::SlidingWindowMapManager::with_limits(4096, 0, 0);
    /// let mut cursor = manager.make_cursor("Cargo.toml");
    /// cursor.use_region(0, 1)?;
    /// assert_eq!(manager.collect(), 0); // in use: never unloaded
    /// cursor.unuse_region();
    /// assert_eq!(manager.collect(), 1);
    /// assert_eq!(manager.num_open_descriptors(), 0);
    /// # Ok(()) }
    /// ```
    pub fn collect(&self) -> usize {
        self.shared.collect()
    }

    /// Closes the descriptors of the files the manager opened itself (a
    /// caller's file stays open); returns how many it closed. Mapped windows
    /// stay valid, and a file is opened again, and checked to be the same
    /// file, when it needs a new window. The manager does this itself when
    /// the OS refuses it a descriptor; a program that opens files of its own
    /// beside the manager's does it when the OS refuses one of those.
    ///
    /// ```
    /// # fn main() -> Result<(), smmap::Error> {
    /// let manager = smmap::SlidingWindowMapManager::with_limits(4096, 0, 0);
    /// let mut cursor = manager.make_cursor("Cargo.toml");
    /// cursor.use_region(0, 1)?;
    /// assert_eq!(manager.close_descriptors(), 1);
    /// assert_eq!(manager.num_open_descriptors(), 0);
    /// assert_eq!(cursor.buffer()[0], b'['); // the window is still mapped
    /// # Ok(()) }
    /// ```
    pub fn close_descriptors(&self) -> usize {
        self.shared.close_descriptors()
    }

    /// Number of mapped windows. Each one counts as an open handle, as in
    /// upstream smmap (on Windows each mapping holds an OS handle; on Unix it
    /// is one entry of the process's map count).
    pub fn num_file_handles(&self) -> usize {
        self.shared.counts().windows
    }

    /// Number of files that have at least one mapped window. Each holds at most
    /// one open file descriptor.
    pub fn num_open_files(&self) -> usize {
        self.shared.counts().open_files
    }

    /// Number of open file descriptors the manager holds right now: one per
    /// file with windows, and one per caller's file or descriptor (held
    /// while its cursors live).
    pub fn num_open_descriptors(&self) -> usize {
        self.shared.counts().open_descriptors
    }

    /// Bytes mapped right now, over all windows of all files.
    pub fn mapped_memory_size(&self) -> usize {
        self.shared.counts().memory
    }

    /// The most windows that may be mapped at once (`usize::MAX`: no limit).
    /// Past it, idle windows are unloaded (least recently used first); when
    /// every window is in use, a new one fails with
    /// [`Error::HandleLimit`](crate::Error::HandleLimit).
    pub fn max_file_handles(&self) -> usize {
        self.shared.max_handles
    }

    /// The soft limit on mapped bytes: idle windows are unloaded (least
    /// recently used first) to stay below it, windows in use never are.
    pub fn max_mapped_memory_size(&self) -> usize {
        self.shared.max_memory
    }

    /// The most bytes a cursor exposes at once, and (for the sliding manager)
    /// the size windows are made with, before alignment. 0: whole files.
    pub fn window_size(&self) -> usize {
        usize::try_from(self.shared.window_size).unwrap_or(usize::MAX)
    }

    /// What the manager has done so far.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }
}

impl fmt::Debug for MapManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = self.shared.counts();
        f.debug_struct("MapManager")
            .field("kind", &self.shared.kind)
            .field("window_size", &self.shared.window_size)
            .field("max_memory", &self.shared.max_memory)
            .field("max_handles", &self.shared.max_handles)
            .field("mapped_memory", &counts.memory)
            .field("windows", &counts.windows)
            .finish()
    }
}

macro_rules! manager_type {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $window_doc:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(MapManager);

        impl $name {
            /// A manager with upstream's defaults: on 64-bit, a soft limit of
            /// 8 GiB of mapped memory (1 GiB on 32-bit), no handle limit, and
            #[doc = $window_doc]
            pub fn new() -> Self {
                Self::with_limits(0, 0, 0)
            }

            /// A manager with the given window size, soft limit on mapped bytes
            /// and limit on mapped windows (open handles). A 0 means the default
            /// for each, as in [`new`](Self::new).
            pub fn with_limits(window_size: usize, max_memory_size: usize, max_open_handles: usize) -> Self {
                $name(MapManager::with($kind, window_size, max_memory_size, max_open_handles))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl Deref for $name {
            type Target = MapManager;
            fn deref(&self) -> &MapManager {
                &self.0
            }
        }

        impl From<$name> for MapManager {
            fn from(manager: $name) -> MapManager {
                manager.0
            }
        }
    };
}

manager_type!(
    /// Maps windows of at most `window_size()` bytes (aligned to the
    /// [allocation granularity](crate::allocation_granularity)) around each
    /// requested offset, so that any number of files of any size can be read
    /// within bounded address space and handles. Idle windows are unloaded
    /// least recently used first when a limit is reached or the OS refuses.
    ///
    /// See [`MapManager`] for the methods.
    SlidingWindowMapManager,
    ManagerKind::Sliding,
    "windows of 1 GiB (64 MiB on 32-bit)."
);

manager_type!(
    /// Maps each file whole, in one window; the same limits and cursors as the
    /// sliding manager, for files known to fit the address space.
    ///
    /// See [`MapManager`] for the methods.
    StaticWindowMapManager,
    ManagerKind::Static,
    "whole-file windows (`window_size()` is 0)."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_upstream() {
        let s = SlidingWindowMapManager::new();
        assert_eq!(s.window_size(), 1 << 30);
        assert_eq!(s.max_mapped_memory_size(), 8 << 30);
        assert_eq!(s.max_file_handles(), usize::MAX);
        assert_eq!(s.kind(), ManagerKind::Sliding);
        let st = StaticWindowMapManager::new();
        assert_eq!(st.window_size(), 0);
        assert_eq!(st.max_mapped_memory_size(), 8 << 30);
        assert_eq!(st.kind(), ManagerKind::Static);
        let c = SlidingWindowMapManager::with_limits(80_051, 2_668_398, 15);
        assert_eq!(
            (
                c.window_size(),
                c.max_mapped_memory_size(),
                c.max_file_handles()
            ),
            (80_051, 2_668_398, 15)
        );
    }

    #[test]
    fn align_helper_saturates() {
        assert_eq!(crate::align::align_to(u64::MAX, 4096, true), u64::MAX);
    }
}
