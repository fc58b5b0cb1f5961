//! What the walks' worker threads share.

use std::thread::JoinHandle;

/// Carries the panic of a worker thread that ended without its last
/// message over to the caller.
pub(super) fn resume_panic(thread: Option<JoinHandle<()>>) -> ! {
    if let Some(Err(panic)) = thread.map(JoinHandle::join) {
        std::panic::resume_unwind(panic);
    }
    unreachable!("a worker thread ends with its last message or a panic");
}
