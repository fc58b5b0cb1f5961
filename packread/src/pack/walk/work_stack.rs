//! The work of a walk over a pack's delta trees, shared between threads:
//! a stack of entries to decode (last in, first out, so that the walk stays
//! depth first and each thread holds about one chain's bases), and the
//! decoded bases the deltas waiting for them share, within a budget.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use crate::object::ObjectKind;
use crate::pack::entry::EntryKind;
use crate::pack::file::Pack;
use crate::pack::walk::tree::DeltaTree;

/// The threads a walk of `pack` uses: `wanted`, as far as the window
/// manager allows (each thread pins up to two windows, index and data; two
/// of the manager's windows are left for other readers); at least one.
pub(crate) fn threads_for(pack: &Pack, wanted: usize) -> usize {
    let room = pack.manager().max_file_handles().saturating_sub(2) / 2;
    wanted.min(room).max(1)
}

/// A decoded base, shared by the deltas waiting for it; its bytes are
/// counted in `held` while it lives.
pub(crate) struct Base<'a> {
    pub(crate) data: Vec<u8>,
    held: &'a AtomicUsize,
}

impl Drop for Base<'_> {
    fn drop(&mut self) {
        self.held.fetch_sub(self.data.capacity(), Ordering::Relaxed);
    }
}

/// Holds `data` for the deltas waiting for it if the budget allows (or if
/// nothing else is held: a chain of large objects then still costs one
/// decode per entry); else they decode it again.
fn hold<'a>(data: &mut Vec<u8>, held: &'a AtomicUsize, limit: usize) -> Option<Arc<Base<'a>>> {
    let size = data.capacity();
    let before = held.fetch_add(size, Ordering::Relaxed);
    if before != 0 && before + size > limit {
        held.fetch_sub(size, Ordering::Relaxed);
        return None;
    }
    Some(Arc::new(Base {
        data: std::mem::take(data),
        held,
    }))
}

/// One entry to decode.
pub(crate) struct Task<'a> {
    pub(crate) entry: u32,
    pub(crate) depth: u32,
    /// The kind of the tree's whole object.
    pub(crate) kind: ObjectKind,
    /// The decoded delta base; `None` for whole objects, and for deltas whose
    /// base was not held (decoded again from the pack).
    pub(crate) base: Option<Arc<Base<'a>>>,
}

/// The shared work stack. Last in, first out: the walk stays depth first,
/// so the bases held are about one chain per thread.
pub(crate) struct Work<'a> {
    state: Mutex<WorkState<'a>>,
    ready: Condvar,
    failed: AtomicBool,
}

struct WorkState<'a> {
    tasks: Vec<Task<'a>>,
    /// Threads processing a task (which may add more).
    busy: usize,
    /// Threads waiting for a task.
    waiting: usize,
}

impl<'a> Work<'a> {
    /// A stack of the whole objects of `tree`, each the root of a delta
    /// tree, taken in offset order.
    pub(crate) fn of_roots(tree: &DeltaTree<'_>) -> Work<'a> {
        let roots = tree.roots.iter().rev().map(|&r| Task {
            entry: r,
            depth: 0,
            kind: match tree.header(r as usize).kind {
                EntryKind::Base(k) => k,
                _ => unreachable!("roots are whole objects"),
            },
            base: None,
        });
        Work::new(roots.collect())
    }

    /// Ends task `t`, whose object was decoded into `out`: its base is let
    /// go first, then `out` is held for the entry's deltas (within `budget`
    /// of bytes held in all), which become tasks.
    pub(crate) fn finish(
        &self,
        t: Task<'a>,
        tree: &DeltaTree<'_>,
        out: &mut Vec<u8>,
        held: &'a AtomicUsize,
        budget: usize,
    ) {
        drop(t.base);
        let children = tree.children(t.entry);
        let base = if children.is_empty() {
            None
        } else {
            hold(out, held, budget)
        };
        self.done(children.iter().map(|&child| Task {
            entry: child,
            depth: t.depth + 1,
            kind: t.kind,
            base: base.clone(),
        }));
    }

    /// A stack holding `tasks` to start with.
    fn new(tasks: Vec<Task<'a>>) -> Work<'a> {
        Work {
            state: Mutex::new(WorkState {
                tasks,
                busy: 0,
                waiting: 0,
            }),
            ready: Condvar::new(),
            failed: AtomicBool::new(false),
        }
    }

    /// The next task, or `None` once every task is done or one failed.
    pub(crate) fn next(&self) -> Option<Task<'a>> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.failed.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(t) = s.tasks.pop() {
                s.busy += 1;
                return Some(t);
            }
            if s.busy == 0 {
                return None;
            }
            s.waiting += 1;
            s = self.ready.wait(s).unwrap_or_else(PoisonError::into_inner);
            s.waiting -= 1;
        }
    }

    /// Ends a task, adding the tasks it made.
    fn done(&self, more: impl Iterator<Item = Task<'a>>) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.tasks.extend(more);
        s.busy -= 1;
        if s.waiting > 0 && (!s.tasks.is_empty() || s.busy == 0) {
            self.ready.notify_all();
        }
    }

    pub(crate) fn fail(&self) {
        self.failed.store(true, Ordering::Relaxed);
        let s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        drop(s);
        self.ready.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_bytes_are_counted_while_held() {
        let held = AtomicUsize::new(0);
        let data = Vec::with_capacity(100);
        held.fetch_add(data.capacity(), Ordering::Relaxed);
        let b = Arc::new(Base { data, held: &held });
        let b2 = Arc::clone(&b);
        drop(b);
        assert_eq!(held.load(Ordering::Relaxed), 100);
        drop(b2);
        assert_eq!(held.load(Ordering::Relaxed), 0);
    }
}
