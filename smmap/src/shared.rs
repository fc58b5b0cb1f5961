//! The manager's books, behind one lock: the per-file records, the cursors'
//! shared token, and the finding, placing, mapping and unloading of windows.
//! The public handles (`manager.rs`) and the cursors (`cursor.rs`) are thin
//! layers over [`Shared`].

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::error::{Action, Error};
use crate::file::{FileState, Identity};
use crate::region::{Lease, MapRegion};
use crate::window::MapWindow;

/// How a manager maps files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManagerKind {
    /// Windows of at most `window_size()` bytes, placed around each request.
    Sliding,
    /// One window over the whole file.
    Static,
}

/// What a manager has done so far, for anyone tuning its limits.
///
/// ```
/// # fn main() -> Result<(), smmap::Error> {
/// let manager = smmap::SlidingWindowMapManager::with_limits(4096, 8192, 0);
/// let mut cursor = manager.make_cursor("Cargo.toml");
/// cursor.use_region(0, 1)?;
/// let stats = manager.stats();
/// assert_eq!(stats.windows_mapped, 1);
/// assert_eq!(stats.peak_windows, 1);
/// # Ok(()) }
/// ```
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

/// How long a file's size, once asked of the operating system, is trusted
/// before an idle window of it goes back into use; a window is never mapped
/// without asking. A file truncated by another program is noticed when its
/// idle windows are reused later than this, and always when a window is
/// mapped; reads through a window in use can't be guarded (they raise
/// `SIGBUS` on pages past the new end, as for every reader of mapped files).
pub const IDLE_RECHECK_INTERVAL: Duration = Duration::from_millis(100);

/// The descriptor number a caller's file is known by (Unix only).
#[cfg(unix)]
pub(crate) type Fd = std::os::fd::RawFd;
/// The descriptor number a caller's file is known by (Unix only).
#[cfg(not(unix))]
pub(crate) type Fd = i32;

/// The cursors' shared link to one file of a manager.
///
/// The manager keeps only a weak reference, so the file's record is dropped
/// as soon as no cursor uses it and no region of it is mapped.
pub(crate) struct FileToken {
    pub(crate) shared: Arc<Shared>,
    pub(crate) slot: usize,
    /// The path the cursors were made from.
    pub(crate) path: Option<PathBuf>,
    /// The descriptor number the cursors were made from.
    pub(crate) fd: Option<Fd>,
}

impl Drop for FileToken {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        let forget = state
            .files
            .get(self.slot)
            .and_then(Option::as_ref)
            .is_some_and(|s| {
                // A new token may already have been made for this file.
                s.token.strong_count() == 0 && s.file.has_no_windows()
            });
        if forget {
            state.remove_file(self.slot);
        }
    }
}

/// A file's record and what names it.
struct Slot {
    file: FileState,
    /// The cursors' shared token; dead once the last cursor is gone.
    token: Weak<FileToken>,
    /// The descriptor number it is registered under in `by_fd`.
    fd: Option<Fd>,
}

/// The manager's bookkeeping, behind one lock.
#[derive(Default)]
struct State {
    by_path: HashMap<PathBuf, usize>,
    by_fd: HashMap<Fd, usize>,
    files: Vec<Option<Slot>>,
    free_slots: Vec<usize>,
    memory: usize,
    regions: usize,
    stats: Stats,
}

impl State {
    fn file(&mut self, slot: usize) -> &mut FileState {
        &mut self.files[slot]
            .as_mut()
            .expect("a live token's file is never removed")
            .file
    }

    fn add_file(&mut self, file: FileState, fd: Option<Fd>) -> usize {
        let slot = Slot {
            file,
            token: Weak::new(),
            fd,
        };
        if let Some(i) = self.free_slots.pop() {
            self.files[i] = Some(slot);
            i
        } else {
            self.files.push(Some(slot));
            self.files.len() - 1
        }
    }

    fn remove_file(&mut self, slot: usize) {
        if let Some(s) = self.files[slot].take() {
            if let Some(path) = &s.file.path {
                self.detach_path(path, slot);
            }
            if let Some(fd) = s.fd
                && self.by_fd.get(&fd) == Some(&slot)
            {
                self.by_fd.remove(&fd);
            }
            self.free_slots.push(slot);
        }
    }

    /// Stops `path` from naming `slot`'s record (if it still does): the
    /// record lives on for its cursors and windows, and the next cursor made
    /// for the path gets a record of its own.
    fn detach_path(&mut self, path: &Path, slot: usize) {
        if self.by_path.get(path) == Some(&slot) {
            self.by_path.remove(path);
        }
    }

    /// Unloads the least recently used idle region of any file; returns
    /// whether there was one.
    fn unload_lru(&mut self) -> bool {
        let mut best: Option<(u64, usize, usize)> = None;
        for (slot, s) in self.files.iter().enumerate() {
            let Some(s) = s else { continue };
            for (i, r) in s.file.regions.iter().enumerate() {
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
        let mut n = self.sweep_retired(slot);
        let mut i = 0;
        while let Some(region) = self.files[slot]
            .as_ref()
            .and_then(|s| s.file.regions.get(i))
        {
            if region.is_idle() {
                self.unload(slot, i);
                n += 1;
            } else {
                i += 1;
            }
        }
        n
    }

    /// Unloads every idle region of every file and closes the descriptors of
    /// files left without windows; returns how many regions were unloaded.
    fn unload_all_idle(&mut self) -> usize {
        let mut n = 0;
        for slot in 0..self.files.len() {
            n += self.unload_idle_of(slot);
            if self.files[slot].is_some() {
                self.close_if_windowless(slot);
            }
        }
        n
    }

    /// Forgets region `i` of `slot`. The mapping goes away as soon as the
    /// last reference does (now, for an idle region).
    fn unload(&mut self, slot: usize, i: usize) {
        let region = self.file(slot).remove_region(i);
        self.forget_region(slot, &region);
    }

    /// Unmaps the retired regions of `slot` that no cursor uses any more;
    /// returns how many.
    fn sweep_retired(&mut self, slot: usize) -> usize {
        let Some(s) = self.files[slot].as_mut() else {
            return 0;
        };
        let (idle, busy): (Vec<_>, Vec<_>) = s.file.retired.drain(..).partition(|r| r.is_idle());
        s.file.retired = busy;
        for region in &idle {
            self.forget_region(slot, region);
        }
        idle.len()
    }

    /// The books after a region of `slot` left them.
    fn forget_region(&mut self, slot: usize, region: &MapRegion) {
        self.memory -= region.size();
        self.regions -= 1;
        self.stats.windows_unloaded += 1;
        let s = self.files[slot].as_mut().expect("the region's file");
        if s.file.has_no_windows() {
            if !s.file.is_callers_file() {
                s.file.handle = None;
            }
            if s.token.strong_count() == 0 {
                self.remove_file(slot);
            }
        }
    }

    /// Closes the descriptor of a path file that has no window (it is
    /// reopened when a window is needed again).
    fn close_if_windowless(&mut self, slot: usize) {
        let file = self.file(slot);
        if file.has_no_windows() && !file.is_callers_file() {
            file.handle = None;
        }
    }

    /// Closes the descriptors of path files other than `keep` (their mappings
    /// stay valid without them); returns how many were closed.
    fn close_descriptors(&mut self, keep: usize) -> usize {
        let mut n = 0;
        for (slot, s) in self.files.iter_mut().enumerate() {
            if let Some(s) = s
                && slot != keep
                && !s.file.is_callers_file()
                && s.file.handle.take().is_some()
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

/// Counts of what a manager holds right now.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counts {
    pub(crate) windows: usize,
    pub(crate) memory: usize,
    pub(crate) open_files: usize,
    pub(crate) open_descriptors: usize,
}

/// The state shared by a manager's handles and all its cursors.
pub(crate) struct Shared {
    pub(crate) kind: ManagerKind,
    /// The window size (0: whole files).
    pub(crate) window_size: u64,
    pub(crate) max_memory: usize,
    pub(crate) max_handles: usize,
    granularity: u64,
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(
        kind: ManagerKind,
        window_size: u64,
        max_memory: usize,
        max_handles: usize,
        granularity: u64,
    ) -> Shared {
        Shared {
            kind,
            window_size,
            max_memory,
            max_handles,
            granularity,
            state: Mutex::new(State::default()),
        }
    }

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

    /// The token of the file at `path` (shared by all its cursors).
    pub(crate) fn token_for_path(self: &Arc<Self>, path: &Path) -> Arc<FileToken> {
        let mut state = self.lock();
        let known = state.by_path.get(path).copied();
        // A record whose windows came from a file the path no longer names
        // (deleted, or replaced by another) is left to its cursors: a new
        // cursor reads the file there is now.
        let known = known.filter(|&slot| match state.file(slot).identity {
            None => true,
            Some(identity) => {
                let now = std::fs::metadata(path).ok().and_then(|m| Identity::of(&m));
                let same = now == Some(identity);
                if !same {
                    state.detach_path(path, slot);
                }
                same
            }
        });
        let slot = if let Some(slot) = known {
            slot
        } else {
            let slot = state.add_file(FileState::new(Some(path.to_owned()), None), None);
            state.by_path.insert(path.to_owned(), slot);
            slot
        };
        self.token_for(&mut state, slot)
    }

    /// A token for a file the manager holds open itself (a caller's `File`,
    /// or a duplicate of a caller's descriptor). With `fd`, cursors made
    /// later from the same descriptor number share the record, as long as it
    /// still names the same file (`identity`).
    pub(crate) fn token_for_file(
        self: &Arc<Self>,
        file: File,
        fd: Option<(Fd, Option<Identity>)>,
    ) -> Arc<FileToken> {
        let mut state = self.lock();
        if let Some((fd, identity)) = fd
            && let Some(&slot) = state.by_fd.get(&fd)
            && identity.is_some()
            && state.file(slot).identity == identity
        {
            // The duplicate we were handed is not needed: the record has one.
            drop(file);
            return self.token_for(&mut state, slot);
        }
        let mut record = FileState::new(None, Some(file));
        record.identity = fd.and_then(|(_, identity)| identity);
        let slot = state.add_file(record, fd.map(|(fd, _)| fd));
        if let Some((fd, _)) = fd {
            // A descriptor number now naming another file takes over the key.
            if let Some(old) = state.by_fd.insert(fd, slot)
                && let Some(s) = state.files[old].as_mut()
            {
                s.fd = None;
            }
        }
        self.token_for(&mut state, slot)
    }

    /// The live token of `slot`, or a new one. The returned `Arc` must leave
    /// the locked section alive: dropping the last token takes the lock.
    fn token_for(self: &Arc<Self>, state: &mut State, slot: usize) -> Arc<FileToken> {
        let s = state.files[slot].as_mut().expect("a registered file");
        if let Some(token) = s.token.upgrade() {
            return token;
        }
        let token = Arc::new(FileToken {
            shared: Arc::clone(self),
            slot,
            path: s.file.path.clone(),
            fd: s.fd,
        });
        s.token = Arc::downgrade(&token);
        token
    }

    /// Unloads every idle window and closes the descriptors of path files
    /// left without windows; returns how many windows were unloaded.
    pub(crate) fn collect(&self) -> usize {
        self.lock().unload_all_idle()
    }

    /// Closes the descriptors of the files the manager opened; returns how
    /// many it closed.
    pub(crate) fn close_descriptors(&self) -> usize {
        self.lock().close_descriptors(usize::MAX)
    }

    /// What the manager holds right now.
    pub(crate) fn counts(&self) -> Counts {
        let state = self.lock();
        let files = state.files.iter().flatten().map(|s| &s.file);
        let (open_files, open_descriptors) = files.fold((0, 0), |(f, d), file| {
            (
                f + usize::from(!file.has_no_windows()),
                d + usize::from(file.handle.is_some()),
            )
        });
        Counts {
            windows: state.regions,
            memory: state.memory,
            open_files,
            open_descriptors,
        }
    }

    /// What the manager has done so far.
    pub(crate) fn stats(&self) -> Stats {
        self.lock().stats
    }

    /// Finds or maps a region for `offset` and takes a lease on it. `Ok(None)`
    /// means `offset` lies at or past the end of the file. `asked` is the
    /// size the cursor was asked for (0: as much as possible); a new window
    /// is placed for it as upstream places one.
    pub(crate) fn obtain(
        &self,
        token: &FileToken,
        offset: u64,
        asked: u64,
    ) -> Result<Option<Lease>, Error> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let found = self.obtain_locked(state, token, offset, asked);
        if !matches!(found, Ok(Some(_))) {
            // Whatever went wrong, a file without windows keeps no descriptor.
            state.close_if_windowless(token.slot);
        }
        found
    }

    /// Copies the bytes at `offset` into `buf` from a window already mapped
    /// that holds them all, else reads them from the file: maps nothing.
    /// Returns how many bytes were copied (fewer only at the end of the
    /// file).
    pub(crate) fn read_unmapped(
        &self,
        token: &FileToken,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        let slot = token.slot;
        let mut state = self.lock();
        if let Some(lease) = Self::mapped_locked(&mut state, slot, offset, buf.len()) {
            drop(state);
            let bytes = lease.region().bytes_at(offset, buf.len());
            buf.copy_from_slice(bytes.expect("a window that holds them"));
            return Ok(buf.len());
        }
        let handle = if let Some(handle) = state.file(slot).handle.clone() {
            handle
        } else {
            let opened = Self::refresh(&mut state, token, offset)
                .map(|()| state.file(slot).handle.clone().expect("refresh opens it"));
            // A file without windows keeps no descriptor: this read holds
            // its own reference until it is done.
            state.close_if_windowless(slot);
            opened?
        };
        drop(state);
        let mut done = 0;
        while done < buf.len() {
            match read_at(&handle, &mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Io {
                        action: Action::Read,
                        path: token.path.clone(),
                        offset: offset + done as u64,
                        source,
                    });
                }
            }
        }
        Ok(done)
    }

    /// A lease on a window already mapped that holds the `size` bytes at
    /// `offset`, if there is one: maps nothing.
    pub(crate) fn mapped(&self, token: &FileToken, offset: u64, size: usize) -> Option<Lease> {
        Self::mapped_locked(&mut self.lock(), token.slot, offset, size)
    }

    fn mapped_locked(state: &mut State, slot: usize, offset: u64, size: usize) -> Option<Lease> {
        let file = state.file(slot);
        // An idle window goes back into use only if the file was checked
        // lately (see `obtain_locked`): a file truncated since would raise
        // SIGBUS.
        let fresh = file
            .checked
            .is_some_and(|t| t.elapsed() < IDLE_RECHECK_INTERVAL);
        file.find(offset)
            .filter(|r| r.bytes_at(offset, size).is_some() && (fresh || !r.is_idle()))
            .map(Lease::new)
    }

    fn obtain_locked(
        &self,
        state: &mut State,
        token: &FileToken,
        offset: u64,
        asked: u64,
    ) -> Result<Option<Lease>, Error> {
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
        if offset >= state.file(slot).size.unwrap_or(0) {
            return Ok(None);
        }

        // A new window. Retired windows nobody reads any more go first.
        state.sweep_retired(slot);
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
        if self.kind == ManagerKind::Static {
            // The file grew past its whole-file window: map it whole again;
            // the old window is unmapped once no cursor reads from it.
            Self::retire_all(state, slot);
        }
        let map_error = |source| Error::Io {
            action: Action::Map,
            path: token.path.clone(),
            offset,
            source,
        };
        for retried in [false, true] {
            let Some(window) = self.place(state, token, offset, asked)? else {
                return Ok(None);
            };
            let handle = state.file(slot).handle.as_ref().expect("place opened it");
            match MapRegion::map(handle, window.ofs, window.size) {
                Ok(region) => return Ok(Some(Self::insert(state, slot, region))),
                Err(err) if !retried && is_resource_exhaustion(&err) => {
                    state.stats.os_refusals_retried += 1;
                    state.unload_all_idle();
                    // The size is asked again and the window placed anew.
                    Self::refresh(state, token, offset)?;
                }
                Err(err) => return Err(map_error(err)),
            }
        }
        unreachable!("the second attempt returns")
    }

    /// Places the new window for `offset` within the memory limit, from the
    /// file's size as last asked with its descriptor open, so the window
    /// never reaches past the end the operating system reported. `None` if
    /// `offset` lies at or past that end.
    fn place(
        &self,
        state: &mut State,
        token: &FileToken,
        offset: u64,
        asked: u64,
    ) -> Result<Option<MapWindow>, Error> {
        let slot = token.slot;
        loop {
            // Unloading this file's last idle window closes its descriptor:
            // open it again (and ask the size again) before placing.
            if state.file(slot).handle.is_none() {
                Self::refresh(state, token, offset)?;
            }
            let file = state.file(slot);
            let size = file.size.unwrap_or(0);
            if offset >= size {
                return Ok(None);
            }
            // Upstream's request: `min(size or fsize, window_size or fsize)`
            // (a sliding manager always has a window size).
            let request = if asked == 0 { size } else { asked }.min(self.max_request());
            let window = match self.kind {
                ManagerKind::Sliding => {
                    file.place(offset, request, self.max_request(), self.granularity, size)
                }
                ManagerKind::Static => MapWindow::new(0, size),
            };
            // The memory limit is soft: windows in use are never unloaded.
            let fits = state.memory.saturating_add(window.size as usize) <= self.max_memory;
            if (fits || !state.unload_lru()) && state.file(slot).handle.is_some() {
                return Ok(Some(window));
            }
        }
    }

    /// Moves every region of `slot` to its retired list, unmapping the idle
    /// ones at once.
    fn retire_all(state: &mut State, slot: usize) {
        let regions = state.file(slot).take_regions();
        for region in regions {
            if region.is_idle() {
                state.forget_region(slot, &region);
            } else {
                state.file(slot).retired.push(region);
            }
        }
    }

    /// Adds a new region to the books and leases it.
    fn insert(state: &mut State, slot: usize, region: MapRegion) -> Lease {
        let size = region.size();
        let region = Arc::new(region);
        let lease = Lease::new(&region);
        state.file(slot).insert_region(region);
        state.memory += size;
        state.regions += 1;
        let counters = &mut state.stats;
        counters.windows_mapped += 1;
        counters.bytes_mapped += size as u64;
        counters.peak_mapped_memory = counters.peak_mapped_memory.max(state.memory);
        counters.peak_windows = counters.peak_windows.max(state.regions);
        lease
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
            state.file(slot).handle = Some(Arc::new(handle));
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
            if let Some(s) = state.files[slot].as_mut() {
                s.file.handle = None;
            }
            if let Some(path) = &token.path {
                state.detach_path(path, slot);
            }
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
        // The size is the file's whose windows will be mapped: a path asked
        // before its first window fixes which file that is.
        let identity = Identity::of(&meta);
        if file.identity.is_none() {
            file.identity = identity;
        } else if file.identity != identity {
            state.unload_idle_of(token.slot);
            if let Some(path) = &token.path {
                state.detach_path(path, token.slot);
            }
            return Err(Error::FileReplaced {
                path: token.path.clone().unwrap_or_default(),
            });
        }
        let file = state.file(token.slot);
        file.size = Some(meta.len());
        Ok(meta.len())
    }

    /// Whether the token's path still names the file its record reads (see
    /// [`WindowCursor::is_current`](crate::WindowCursor::is_current)).
    pub(crate) fn is_current(&self, token: &FileToken) -> bool {
        let Some(path) = &token.path else {
            return true;
        };
        let known = self.lock().file(token.slot).identity;
        match std::fs::metadata(path) {
            Err(_) => false,
            Ok(meta) => known.is_none() || Identity::of(&meta) == known,
        }
    }
}

/// A positional read (the file's offset is left alone: other readers share
/// the descriptor).
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    // Moves the file's offset, which nothing else here uses: windows are
    // mapped at explicit offsets.
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::fault;

    fn shared(window: u64, memory: usize) -> Arc<Shared> {
        Arc::new(Shared::new(
            ManagerKind::Sliding,
            window,
            memory,
            usize::MAX,
            4096,
        ))
    }

    /// A file truncated while the manager recovers from a refused mapping is
    /// mapped from its new size: the retry places the window anew.
    #[test]
    fn a_retried_mapping_is_placed_from_the_size_asked_again() {
        let dir = std::env::temp_dir().join(format!("smmap-retry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("file");
        std::fs::write(&path, vec![7u8; 40_000]).unwrap();
        let shared = shared(16_384, usize::MAX);
        let token = shared.token_for_path(&path);
        let cut = path.clone();
        fault::on_next_map(move || {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&cut)
                .unwrap()
                .set_len(10_000)
                .unwrap();
            io::Error::from(io::ErrorKind::OutOfMemory)
        });
        let lease = shared
            .obtain(&token, 8_192, 16_384)
            .unwrap()
            .expect("a window");
        let region = lease.region();
        assert!(region.includes_ofs(8_192));
        assert!(
            region.ofs_end() <= 10_000,
            "{region:?} reaches past the new end"
        );
        assert_eq!(shared.stats().os_refusals_retried, 1);
        drop(lease);
        drop(token);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A failed mapping leaves no descriptor behind for a file without windows.
    #[test]
    fn a_failed_mapping_closes_the_descriptor() {
        let dir = std::env::temp_dir().join(format!("smmap-fail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("file");
        std::fs::write(&path, vec![7u8; 10_000]).unwrap();
        let shared = shared(4096, usize::MAX);
        let token = shared.token_for_path(&path);
        fault::on_next_map(|| io::Error::other("refused"));
        assert!(shared.obtain(&token, 0, 1).is_err());
        assert_eq!(shared.counts().open_descriptors, 0);
        drop(token);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
