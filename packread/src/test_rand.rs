//! The numbers the unit tests draw: xorshift64, the same sequence for a
//! seed on every run.

/// A generator of the xorshift64 sequence from `seed` (not zero): each
/// call gives the next number.
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}
