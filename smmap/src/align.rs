//! Alignment of window offsets to the granularity the OS maps at.

use crate::sys;

/// The granularity that window offsets and sizes are aligned to: the page size
/// on Unix (usually 4096), the allocation granularity (65536) on Windows.
///
/// This is upstream smmap's `ALLOCATIONGRANULARITY`.
pub fn allocation_granularity() -> u64 {
    sys::page_size()
}

/// Aligns `num` down to the [allocation granularity](allocation_granularity),
/// or up to the next multiple of it if `round_up` is set and `num` is not
/// already aligned.
///
/// ```
/// use smmap::{align_to_mmap, allocation_granularity};
/// let g = allocation_granularity();
/// assert_eq!(align_to_mmap(1, false), 0);
/// assert_eq!(align_to_mmap(1, true), g);
/// assert_eq!(align_to_mmap(g, true), g);
/// ```
pub fn align_to_mmap(num: u64, round_up: bool) -> u64 {
    align_to(num, allocation_granularity(), round_up)
}

/// [`align_to_mmap`] for a given granularity; saturates instead of overflowing.
pub(crate) fn align_to(num: u64, granularity: u64, round_up: bool) -> u64 {
    let res = (num / granularity) * granularity;
    if round_up && res != num {
        res.saturating_add(granularity)
    } else {
        res
    }
}

/// Whether this is a 64-bit process, which decides the default window and
/// memory sizes (upstream's `is_64_bit()`).
pub const fn is_64_bit() -> bool {
    usize::BITS >= 64
}
