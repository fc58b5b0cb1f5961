//! Work over a pack's entries split into contiguous stretches, one thread
//! each: how the delta tree and the headers pass read every entry header.

use std::ops::Range;

use crate::error::Error;

/// Runs `each` on `threads` contiguous stretches of `0..n` at once and
/// joins what they return, in order; the first stretch that fails gives
/// the error.
pub(crate) fn in_stretches<T: Send>(
    n: usize,
    threads: usize,
    each: impl Fn(Range<usize>) -> Result<Vec<T>, Error> + Sync,
) -> Result<Vec<T>, Error> {
    let chunk = n.div_ceil(threads.max(1)).max(1);
    let each = &each;
    let parts: Vec<Result<Vec<T>, Error>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| s.spawn(move || each(start..n.min(start + chunk))))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("header readers don't panic"))
            .collect()
    });
    let mut all = Vec::with_capacity(n);
    for part in parts {
        all.extend(part?);
    }
    Ok(all)
}
