//! The window managers: [`SlidingWindowMapManager`], [`StaticWindowMapManager`]
//! and the [`MapManager`] handle both of them are.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::align::{allocation_granularity, is_64_bit};
use crate::cursor::WindowCursor;
use crate::error::{Action, Error};
use crate::file::{FileState, Identity};
use crate::region::{Lease, MapRegion};

const MIB: u64 = 1024 * 1024;

/// How a manager maps files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManagerKind {
    /// Windows of at most `window_size()` bytes, placed around each request.
    Sliding,
    /// One window over the whole file.
    Static,
}

/// What a manager has done so far, for anyone tuning its limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Windows mapped since the manager was made.
    pub windows_mapped: u64,
    /// Bytes mapped since the manager was made, summed over all windows.
    pub bytes_mapped: u64,
    /// The most bytes that were mapped at one time.
    pub peak_mapped_memory: usize,
    /// The most windows that were mapped at one time.
    pub peak_windows: usize,
    /// Idle windows unloaded because a limit was reached or on `collect()`.
    pub windows_unloaded: u64,
    /// Times the operating system refused a mapping or a file handle and the
    /// manager freed resources and retried.
    pub os_refusals_retried: u64,
    /// File descriptors closed early because the operating system ran out of them.
    pub descriptors_closed: u64,
}

/// The cursors' shared link to one file of a manager.
///
/// The manager keeps only a weak reference, so the file's record is dropped
/// as soon as no cursor uses it and no region of it is mapped.
pub(crate) struct FileToken {
    pub(crate) shared: Arc<Shared>,
    pub(crate) slot: usize,
    pub(crate) path: Option<PathBuf>,
}

impl Drop for FileToken {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        let forget = state
            .files
            .get(self.slot)
            .and_then(Option::as_ref)
            .is_some_and(|f| {
                // A new token may already have been made for this file.
                f.token.strong_count() == 0 && f.regions.is_empty()
            });
        if forget {
            state.remove_file(self.slot);
        }
    }
}

/// The manager's bookkeeping, behind one lock.
#[derive(Default)]
struct State {
    by_path: HashMap<PathBuf, usize>,
    files: Vec<Option<FileState>>,
    free_slots: Vec<usize>,
    memory: usize,
    regions: usize,
    stats: Stats,
}

impl State {
    fn file(&mut self, slot: usize) -> &mut FileState {
        self.files[slot]
            .as_mut()
            .expect("a live token's file is never removed")
    }

    fn add_file(&mut self, file: FileState) -> usize {
        if let Some(slot) = self.free_slots.pop() {
            self.files[slot] = Some(file);
            slot
        } else {
            self.files.push(Some(file));
            self.files.len() - 1
        }
    }

    fn remove_file(&mut self, slot: usize) {
        if let Some(file) = self.files[slot].take() {
            if let Some(path) = &file.path {
                self.by_path.remove(path);
            }
            self.free_slots.push(slot);
        }
    }

    /// Unloads the least recently used idle region of any file; returns
    /// whether there was one.
    fn unload_lru(&mut self) -> bool {
        let mut best: Option<(u64, usize, usize)> = None;
        for (slot, file) in self.files.iter().enumerate() {
            let Some(file) = file else { continue };
            for (i, r) in file.regions.iter().enumerate() {
                if r.is_idle() && best.is_none_or(|(stamp, ..)| r.last_use() < stamp) {
                    best = Some((r.last_use(), slot, i));
                }
            }
        }
        match best {
            Some((_, slot, i)) => {
                self.unload(slot, i);
                true
            }
            None => false,
        }
    }

    /// Unloads every idle region of `slot`; returns how many. The file's
    /// record goes too if no cursor uses it any more.
    fn unload_idle_of(&mut self, slot: usize) -> usize {
        let mut n = 0;
        let mut i = 0;
        while let Some(region) = self.files[slot].as_ref().and_then(|f| f.regions.get(i)) {
            if region.is_idle() {
                self.unload(slot, i);
                n += 1;
            } else {
                i += 1;
            }
        }
        n
    }

    /// Unloads every idle region of every file; returns how many.
    fn unload_all_idle(&mut self) -> usize {
        let mut n = 0;
        for slot in 0..self.files.len() {
            n += self.unload_idle_of(slot);
        }
        n
    }

    /// Removes region `i` of `slot` from the books. The mapping goes away as
    /// soon as the last reference does (now, for an idle region).
    fn unload(&mut self, slot: usize, i: usize) {
        let file = self.file(slot);
        let region = file.regions.remove(i);
        let now_empty = file.regions.is_empty();
        let forget = now_empty && file.token.strong_count() == 0;
        if now_empty && !file.is_callers_file() {
            file.handle = None;
        }
        self.memory -= region.size();
        self.regions -= 1;
        self.stats.windows_unloaded += 1;
        if forget {
            self.remove_file(slot);
        }
    }

    /// Closes the descriptors of path files other than `keep` (their mappings
    /// stay valid without them); returns how many were closed.
    fn close_descriptors(&mut self, keep: usize) -> usize {
        let mut n = 0;
        for (slot, file) in self.files.iter_mut().enumerate() {
            if let Some(file) = file
                && slot != keep
                && !file.is_callers_file()
                && file.handle.take().is_some()
            {
                n += 1;
            }
        }
        self.stats.descriptors_closed += n as u64;
        n
    }
}

/// Whether an error means the OS ran out of a resource that unloading idle
/// windows or closing descriptors can give back.
fn is_resource_exhaustion(err: &io::Error) -> bool {
    #[cfg(unix)]
    if let Some(code) = err.raw_os_error() {
        return matches!(
            code,
            libc::ENOMEM | libc::EMFILE | libc::ENFILE | libc::EAGAIN
        );
    }
    err.kind() == io::ErrorKind::OutOfMemory
}

/// The state shared by a manager's handles and all its cursors.
pub(crate) struct Shared {
    kind: ManagerKind,
    window_size: u64,
    max_memory: usize,
    max_handles: usize,
    granularity: u64,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No code path panics while holding the lock, so a poisoned lock can
        // only come from a foreign panic (e.g. an allocation failure); the
        // books are consistent between statements, so keep going.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The largest window a request may ask for: the window size, or no limit.
    pub(crate) fn max_request(&self) -> u64 {
        if self.window_size == 0 {
            u64::MAX
        } else {
            self.window_size
        }
    }

    /// Finds or maps a region for `offset` and takes a lease on it. `Ok(None)`
    /// means `offset` lies at or past the end of the file.
    pub(crate) fn obtain(
        &self,
        token: &FileToken,
        offset: u64,
        request: u64,
    ) -> Result<Option<Lease>, Error> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let slot = token.slot;
        if let Some(region) = state.file(slot).find(offset)
            && !region.is_idle()
        {
            return Ok(Some(Lease::new(region)));
        }
        // An idle window goes back into use, or a new one is needed: check the
        // file first (one fstat), so that a file truncated by someone else
        // gives an error here rather than SIGBUS on the next read. Always
        // before mapping; before reusing an idle window unless the file was
        // checked in the last `IDLE_RECHECK_INTERVAL` (a reader moving back
        // and forth between windows would pay an fstat per move).
        let file = state.file(slot);
        let reuse = file.find(offset).is_some();
        let fresh = file
            .checked
            .is_some_and(|t| t.elapsed() < IDLE_RECHECK_INTERVAL);
        if !(reuse && fresh) {
            Self::refresh(state, token, offset)?;
        }
        if let Some(region) = state.file(slot).find(offset) {
            return Ok(Some(Lease::new(region)));
        }
        let size = state.file(slot).size.unwrap_or(0);
        if offset >= size {
            let file = state.file(slot);
            if file.regions.is_empty() && !file.is_callers_file() {
                file.handle = None;
            }
            return Ok(None);
        }

        // The handle limit is hard: unload least recently used idle windows.
        while state.regions >= self.max_handles {
            if !state.unload_lru() {
                return Err(Error::HandleLimit {
                    limit: self.max_handles,
                    path: token.path.clone(),
                    offset,
                });
            }
        }
        // The memory limit is soft: windows in use are never unloaded.
        let window = loop {
            let file = state.file(slot);
            let window = match self.kind {
                ManagerKind::Sliding => {
                    file.place(offset, request, self.max_request(), self.granularity)
                }
                ManagerKind::Static => file.place_whole(offset, self.granularity),
            };
            if state.memory.saturating_add(window.size as usize) <= self.max_memory
                || !state.unload_lru()
            {
                break window;
            }
        };
        // Unloading this file's last idle region closes its descriptor.
        if state.file(slot).handle.is_none() {
            Self::refresh(state, token, offset)?;
        }

        let map = |state: &mut State| {
            let handle = state
                .file(slot)
                .handle
                .as_ref()
                .expect("refresh opened the file");
            MapRegion::map(handle, window.ofs, window.size)
        };
        let region = match map(state) {
            Ok(region) => region,
            Err(err) if is_resource_exhaustion(&err) => {
                state.stats.os_refusals_retried += 1;
                state.unload_all_idle();
                Self::refresh(state, token, offset)?;
                map(state).map_err(|source| Error::Io {
                    action: Action::Map,
                    path: token.path.clone(),
                    offset,
                    source,
                })?
            }
            Err(source) => {
                return Err(Error::Io {
                    action: Action::Map,
                    path: token.path.clone(),
                    offset,
                    source,
                });
            }
        };
        let region = Arc::new(region);
        let lease = Lease::new(&region);
        let file = state.file(slot);
        let pos = file
            .regions
            .partition_point(|r| r.ofs_begin() <= window.ofs);
        file.regions.insert(pos, region);
        state.memory += window.size as usize;
        state.regions += 1;
        let counters = &mut state.stats;
        counters.windows_mapped += 1;
        counters.bytes_mapped += window.size;
        counters.peak_mapped_memory = counters.peak_mapped_memory.max(state.memory);
        counters.peak_windows = counters.peak_windows.max(state.regions);
        Ok(Some(lease))
    }

    /// Makes sure the file is open and its size and identity are current.
    ///
    /// A path is reopened only when its descriptor was closed; if it now names
    /// another file, the old file's idle regions are unloaded and the request
    /// fails, as will every later one on this file record: two files' bytes are
    /// never mixed.
    /// Regions that reach past a shrunken end are unloaded when idle.
    fn refresh(state: &mut State, token: &FileToken, offset: u64) -> Result<(), Error> {
        let slot = token.slot;
        let io_err = |action, source| Error::Io {
            action,
            path: token.path.clone(),
            offset,
            source,
        };
        if state.file(slot).handle.is_none() {
            let path = token
                .path
                .as_deref()
                .expect("a caller's file is never closed");
            let handle = match File::open(path) {
                Ok(handle) => handle,
                Err(err) if is_resource_exhaustion(&err) => {
                    state.stats.os_refusals_retried += 1;
                    if state.close_descriptors(slot) == 0 {
                        state.unload_all_idle();
                    }
                    File::open(path).map_err(|e| io_err(Action::Open, e))?
                }
                Err(err) => return Err(io_err(Action::Open, err)),
            };
            state.file(slot).handle = Some(handle);
        }
        let meta = state
            .file(slot)
            .stat_handle()
            .expect("opened above")
            .map_err(|e| io_err(Action::Stat, e))?;
        let identity = Identity::of(&meta);
        let file = state.file(slot);
        if file.identity.is_some() && file.identity != identity {
            // The path now names another file. Whatever the caller derived
            // from the old one (a pack's index, say) doesn't hold for the new
            // one: fail every request on this file record from now on. A
            // record made once all cursors and windows are gone starts anew.
            state.unload_idle_of(slot);
            state.file(slot).handle = None;
            return Err(Error::FileReplaced {
                path: token.path.clone().unwrap_or_default(),
            });
        }
        let file = state.file(slot);
        file.identity = identity;
        file.size = Some(meta.len());
        file.checked = Some(Instant::now());
        if file.regions.iter().any(|r| r.ofs_end() > meta.len()) {
            let mut i = 0;
            while i < state.file(slot).regions.len() {
                let r = &state.file(slot).regions[i];
                if r.ofs_end() > meta.len() && r.is_idle() {
                    state.unload(slot, i);
                } else {
                    i += 1;
                }
            }
        }
        Ok(())
    }

    /// The file's current size, asked of the operating system.
    pub(crate) fn file_size(&self, token: &FileToken) -> Result<u64, Error> {
        let mut state = self.lock();
        let file = state.file(token.slot);
        let meta = match (&file.handle, &token.path) {
            (Some(handle), _) => handle.metadata(),
            (None, Some(path)) => std::fs::metadata(path),
            (None, None) => unreachable!("a caller's file is never closed"),
        };
        let meta = meta.map_err(|source| Error::Io {
            action: Action::Stat,
            path: token.path.clone(),
            offset: 0,
            source,
        })?;
        file.size = Some(meta.len());
        Ok(meta.len())
    }
}

/// How long a file's size, once asked of the operating system, is trusted
/// before an idle window of it goes back into use; a window is never mapped
/// without asking. A file truncated by another program is noticed when its
/// idle windows are reused later than this, and always when a window is
/// mapped; reads through a window in use can't be guarded (they raise
/// `SIGBUS` on pages past the new end, as for every reader of mapped files).
pub const IDLE_RECHECK_INTERVAL: Duration = Duration::from_millis(100);

/// A handle on a window manager of either kind; cheap to clone, `Send + Sync`.
///
/// [`SlidingWindowMapManager`] and [`StaticWindowMapManager`] dereference to
/// this type, and convert into it where code should work with either kind.
/// All clones share one set of windows and limits.
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
        let shared = Shared {
            kind,
            window_size,
            max_memory,
            max_handles,
            granularity: allocation_granularity(),
            state: Mutex::new(State::default()),
        };
        MapManager {
            shared: Arc::new(shared),
        }
    }

    /// Whether this manager slides windows or maps whole files.
    pub fn kind(&self) -> ManagerKind {
        self.shared.kind
    }

    /// A cursor on the file at `path`. Nothing is opened or mapped until the
    /// cursor's first [`use_region`](WindowCursor::use_region).
    ///
    /// All cursors made for the same path share that file's windows.
    pub fn make_cursor(&self, path: impl AsRef<Path>) -> WindowCursor {
        let path = path.as_ref();
        let token = {
            let mut state = self.shared.lock();
            let slot = if let Some(&slot) = state.by_path.get(path) {
                slot
            } else {
                let slot = state.add_file(FileState::new(Some(path.to_owned()), None));
                state.by_path.insert(path.to_owned(), slot);
                slot
            };
            self.token_for(&mut state, slot)
        };
        WindowCursor::new(token)
    }

    /// A cursor on a file the caller opened (upstream's file-descriptor
    /// cursor). The manager keeps `file` open until the last cursor made from
    /// it and the last of its windows are gone.
    ///
    /// Each call registers a new file, even for the same file on disk; clone
    /// the cursor to share its windows.
    pub fn make_cursor_from_file(&self, file: File) -> WindowCursor {
        let token = {
            let mut state = self.shared.lock();
            let slot = state.add_file(FileState::new(None, Some(file)));
            self.token_for(&mut state, slot)
        };
        WindowCursor::new(token)
    }

    /// The live token of `slot`, or a new one. The returned `Arc` must leave
    /// the locked section alive: dropping the last token takes the lock.
    fn token_for(&self, state: &mut State, slot: usize) -> Arc<FileToken> {
        let file = state.file(slot);
        if let Some(token) = file.token.upgrade() {
            return token;
        }
        let token = Arc::new(FileToken {
            shared: Arc::clone(&self.shared),
            slot,
            path: file.path.clone(),
        });
        file.token = Arc::downgrade(&token);
        token
    }

    /// Unloads every idle window (one no cursor is using) and closes the
    /// descriptors of files that have no window left. Returns how many windows
    /// were unloaded.
    pub fn collect(&self) -> usize {
        self.shared.lock().unload_all_idle()
    }

    /// Number of mapped windows. Each one counts as an open handle, as in
    /// upstream smmap (on Windows each mapping holds an OS handle; on Unix it
    /// is one entry of the process's map count).
    pub fn num_file_handles(&self) -> usize {
        self.shared.lock().regions
    }

    /// Number of files that have at least one mapped window. Each holds at most
    /// one open file descriptor.
    pub fn num_open_files(&self) -> usize {
        self.shared
            .lock()
            .files
            .iter()
            .flatten()
            .filter(|f| !f.regions.is_empty())
            .count()
    }

    /// Number of open file descriptors the manager holds right now.
    pub fn num_open_descriptors(&self) -> usize {
        self.shared
            .lock()
            .files
            .iter()
            .flatten()
            .filter(|f| f.handle.is_some())
            .count()
    }

    /// Bytes mapped right now, over all windows of all files.
    pub fn mapped_memory_size(&self) -> usize {
        self.shared.lock().memory
    }

    /// The most windows that may be mapped at once (`usize::MAX`: no limit).
    pub fn max_file_handles(&self) -> usize {
        self.shared.max_handles
    }

    /// The soft limit on mapped bytes: idle windows are unloaded to stay below
    /// it, windows in use never are.
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
        self.shared.lock().stats
    }
}

impl fmt::Debug for MapManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("MapManager")
            .field("kind", &self.shared.kind)
            .field("window_size", &self.shared.window_size)
            .field("max_memory", &self.shared.max_memory)
            .field("max_handles", &self.shared.max_handles)
            .field("mapped_memory", &state.memory)
            .field("windows", &state.regions)
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
