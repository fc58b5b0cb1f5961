//! Points where another process can change the object directories under
//! a reader (a `git repack` or `git gc` beside it), named so that tests can
//! make that happen exactly there. Nothing in other builds.

/// A moment between two steps that assume nothing changed in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Point {
    /// A pack directory was listed; its packs are opened next.
    Listed,
    /// An object was found as a loose file; the file is opened next.
    FoundLoose,
}

#[cfg(not(test))]
#[inline(always)]
pub(crate) fn at(_: Point) {}

#[cfg(test)]
pub(crate) use hooks::{at, on};

#[cfg(test)]
mod hooks {
    use std::cell::RefCell;

    use super::Point;

    type Hook = Box<dyn FnMut(Point)>;

    thread_local! {
        static HOOK: RefCell<Option<Hook>> = RefCell::new(None);
    }

    /// Runs `hook` at each point this thread passes until the guard
    /// returned is dropped.
    pub(crate) fn on(hook: impl FnMut(Point) + 'static) -> Guard {
        HOOK.with(|h| *h.borrow_mut() = Some(Box::new(hook)));
        Guard
    }

    pub(crate) struct Guard;

    impl Drop for Guard {
        fn drop(&mut self) {
            HOOK.with(|h| *h.borrow_mut() = None);
        }
    }

    pub(crate) fn at(point: Point) {
        // Taken out while it runs: what it does may pass points itself.
        let Some(mut hook) = HOOK.with(|h| h.borrow_mut().take()) else {
            return;
        };
        hook(point);
        HOOK.with(|h| {
            let mut slot = h.borrow_mut();
            if slot.is_none() {
                *slot = Some(hook);
            }
        });
    }
}
