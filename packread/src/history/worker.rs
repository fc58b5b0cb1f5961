//! What the walks' worker threads share.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Runs `work(state)` on a new thread named `name`; `state` back where
/// the system starts no thread (the caller then does the work itself).
pub(super) fn spawn<S: Send + 'static>(
    name: &str,
    state: S,
    work: impl FnOnce(S) + Send + 'static,
) -> Result<JoinHandle<()>, S> {
    // The state goes through a slot: a closure that never ran leaves it
    // there, where a closure that owned it would drop it.
    let slot = Arc::new(Mutex::new(Some(state)));
    let theirs = Arc::clone(&slot);
    let spawned = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            if let Some(state) = theirs.lock().ok().and_then(|mut s| s.take()) {
                work(state);
            }
        });
    spawned.map_err(|_| {
        slot.lock()
            .ok()
            .and_then(|mut s| s.take())
            .expect("a thread that did not start left its state")
    })
}

/// Waits for a worker thread told to end, and carries its panic over to
/// the caller (unless the caller is panicking already: a drop while
/// unwinding).
pub(super) fn join(thread: Option<JoinHandle<()>>) {
    if let Some(Err(panic)) = thread.map(JoinHandle::join)
        && !std::thread::panicking()
    {
        std::panic::resume_unwind(panic);
    }
}

/// Carries the panic of a worker thread that ended without its last
/// message over to the caller.
pub(super) fn resume_panic(thread: Option<JoinHandle<()>>) -> ! {
    if let Some(Err(panic)) = thread.map(JoinHandle::join) {
        std::panic::resume_unwind(panic);
    }
    unreachable!("a worker thread ends with its last message or a panic");
}

/// Carries the first panic of threads that ended (one at least did,
/// without its last message) over to the caller.
pub(super) fn resume_any_panic(threads: Vec<JoinHandle<()>>) -> ! {
    for thread in threads {
        if let Err(panic) = thread.join() {
            std::panic::resume_unwind(panic);
        }
    }
    unreachable!("a worker thread ends with its last message or a panic");
}
