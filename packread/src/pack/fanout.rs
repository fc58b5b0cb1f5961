//! The fan-out table that starts a pack index's and a multi-pack-index's
//! id lookup: 256 big-endian counts, entry `b` the number of ids whose first
//! byte is at most `b`.

/// A fan-out table, checked to never decrease.
#[derive(Clone, Debug)]
pub(crate) struct Fanout(Box<[u32; 256]>);

impl Fanout {
    /// The table in `raw`; `Err(i)` for the first entry smaller than the
    /// one before it.
    pub(crate) fn parse(raw: &[u8; 1024]) -> Result<Fanout, usize> {
        let mut table = Box::new([0u32; 256]);
        for (v, bytes) in table.iter_mut().zip(raw.chunks_exact(4)) {
            *v = u32::from_be_bytes(bytes.try_into().expect("4 bytes"));
        }
        match table.windows(2).position(|w| w[1] < w[0]) {
            Some(before) => Err(before + 1),
            None => Ok(Fanout(table)),
        }
    }

    /// The entries.
    pub(crate) fn table(&self) -> &[u32; 256] {
        &self.0
    }

    /// The number of ids (the last entry).
    pub(crate) fn total(&self) -> u32 {
        self.0[255]
    }

    /// The position of the id `want` among the sorted ids the table
    /// counts; `cmp_at(i)` compares the id at position `i` with `want`.
    ///
    /// Ids are uniformly spread, so the search starts where `want`'s next
    /// eight bytes put it in its first byte's bucket, widens from there by
    /// doubling steps until it has `want` between two ids, and ends by
    /// binary search: a few neighbouring probes where a binary search over
    /// the bucket touches a dozen places far apart. Ids not spread
    /// uniformly only cost more probes; ids out of order give `None`, as a
    /// binary search does.
    pub(crate) fn search<E>(
        &self,
        want: &[u8],
        mut cmp_at: impl FnMut(u32) -> Result<std::cmp::Ordering, E>,
    ) -> Result<Option<u32>, E> {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let Some(&first) = want.first() else {
            return Ok(None);
        };
        let (lo, hi) = self.bucket(first);
        let n = hi.saturating_sub(lo);
        if n < 16 {
            return binary_search(lo, hi, cmp_at);
        }
        let guess = interpolate(lo, n, want);
        match cmp_at(guess)? {
            Equal => Ok(Some(guess)),
            Less => {
                // Every id up to `guess` is below `want`.
                let (mut a, mut step) = (guess + 1, 8u32);
                loop {
                    let b = a.saturating_add(step - 1);
                    if b >= hi {
                        return binary_search(a, hi, cmp_at);
                    }
                    match cmp_at(b)? {
                        Less => (a, step) = (b + 1, step.saturating_mul(2)),
                        Equal => return Ok(Some(b)),
                        Greater => return binary_search(a, b, cmp_at),
                    }
                }
            }
            Greater => {
                // Every id from `guess` on is above `want`.
                let (mut z, mut step) = (guess, 8u32);
                loop {
                    let Some(b) = z.checked_sub(step).filter(|&b| b >= lo) else {
                        return binary_search(lo, z, cmp_at);
                    };
                    match cmp_at(b)? {
                        Greater => (z, step) = (b, step.saturating_mul(2)),
                        Equal => return Ok(Some(b)),
                        Less => return binary_search(b + 1, z, cmp_at),
                    }
                }
            }
        }
    }

    /// Where [`search`](Self::search) looks for `want` first: the position
    /// its bytes after the first put it at in its first byte's bucket
    /// (`None` for an empty bucket).
    pub(crate) fn guess(&self, want: &[u8]) -> Option<u32> {
        let (lo, hi) = self.bucket(*want.first()?);
        let n = hi.checked_sub(lo).filter(|&n| n > 0)?;
        Some(interpolate(lo, n, want))
    }

    /// The range of positions whose ids start with byte `b`.
    pub(crate) fn bucket(&self, b: u8) -> (u32, u32) {
        let b = usize::from(b);
        let lo = if b == 0 { 0 } else { self.0[b - 1] };
        (lo, self.0[b])
    }
}

/// The position in the bucket of `n` ids from `lo` where `want`'s eight
/// bytes after its first put it, ids being uniformly spread.
fn interpolate(lo: u32, n: u32, want: &[u8]) -> u32 {
    let mut key = [0u8; 8];
    let rest = &want[1.min(want.len())..want.len().min(9)];
    key[..rest.len()].copy_from_slice(rest);
    lo + ((u128::from(u64::from_be_bytes(key)) * u128::from(n)) >> 64) as u32
}

/// Binary search for the position in `lo..hi` where `cmp_at` answers
/// `Equal`.
fn binary_search<E>(
    mut lo: u32,
    mut hi: u32,
    mut cmp_at: impl FnMut(u32) -> Result<std::cmp::Ordering, E>,
) -> Result<Option<u32>, E> {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match cmp_at(mid)? {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Ok(Some(mid)),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(table: &[u32; 256]) -> [u8; 1024] {
        let mut raw = [0u8; 1024];
        for (bytes, v) in raw.chunks_exact_mut(4).zip(table) {
            bytes.copy_from_slice(&v.to_be_bytes());
        }
        raw
    }

    #[test]
    fn buckets_and_the_first_decrease() {
        let mut table = [3u32; 256];
        table[0] = 1;
        table[255] = 9;
        let f = Fanout::parse(&raw(&table)).unwrap();
        assert_eq!(f.bucket(0), (0, 1));
        assert_eq!(f.bucket(1), (1, 3));
        assert_eq!(f.bucket(255), (3, 9));
        assert_eq!(f.total(), 9);
        table[7] = 2;
        assert_eq!(Fanout::parse(&raw(&table)).unwrap_err(), 7);
    }

    /// A fan-out table and sorted ids of `len` bytes from `byte`.
    fn ids(count: usize, len: usize, mut byte: impl FnMut() -> u64) -> (Fanout, Vec<Vec<u8>>) {
        let mut ids: Vec<Vec<u8>> = (0..count)
            .map(|_| (0..len).map(|_| byte() as u8).collect())
            .collect();
        ids.sort();
        ids.dedup();
        let mut table = [0u32; 256];
        for id in &ids {
            for v in &mut table[usize::from(id[0])..] {
                *v += 1;
            }
        }
        (Fanout::parse(&raw(&table)).unwrap(), ids)
    }

    #[test]
    fn the_search_finds_what_a_binary_search_finds() {
        let mut rand = crate::test_rand::xorshift(0x9e37_79b9_7f4a_7c15);
        // Uniform ids, ids crowded into a few values of each byte (far
        // from where a guess puts them), and short ones.
        let sets = [
            ids(20_000, 20, &mut rand),
            ids(5_000, 32, || rand() % 3),
            ids(3_000, 4, || rand() & 0x81),
            ids(300, 2, &mut rand),
        ];
        for (fanout, ids) in &sets {
            let mut probes = 0;
            let mut find = |want: &[u8]| {
                fanout
                    .search::<()>(want, |i| {
                        probes += 1;
                        Ok(ids[i as usize].as_slice().cmp(want))
                    })
                    .unwrap()
            };
            for (i, id) in ids.iter().enumerate() {
                assert_eq!(find(id), Some(i as u32));
                let mut other = id.clone();
                *other.last_mut().unwrap() ^= 0x40;
                assert_eq!(
                    find(&other),
                    ids.binary_search(&other).ok().map(|i| i as u32)
                );
            }
            assert_eq!(find(&[]), None);
            assert!(probes < 40 * ids.len(), "{probes} probes for {}", ids.len());
        }
        // Out of order: nothing found, no probe out of the bucket.
        let (fanout, mut ids) = ids(2_000, 20, &mut rand);
        ids.reverse();
        let want = ids[700].clone();
        let bucket = fanout.bucket(want[0]);
        let found = fanout
            .search::<()>(&want, |i| {
                assert!((bucket.0..bucket.1).contains(&i));
                Ok(ids[i as usize].as_slice().cmp(&want[..]))
            })
            .unwrap();
        assert!(found.is_none_or(|i| ids[i as usize] == want));
    }

    /// The guess a prefetch takes is the search's first probe: inside the
    /// id's bucket, near it for uniform ids; none for an empty bucket.
    #[test]
    fn the_guess_is_the_first_probe() {
        let mut rand = crate::test_rand::xorshift(0x2545_f491_4f6c_dd1d);
        let (empty, _) = ids(100, 20, || 7);
        assert_eq!(empty.guess(&[8, 1, 2]), None);
        assert_eq!(empty.guess(&[]), None);
        let (fanout, ids) = ids(20_000, 20, &mut rand);
        let mut far = 0;
        for (i, id) in ids.iter().enumerate() {
            let guess = fanout.guess(id).unwrap();
            let mut first = None;
            fanout
                .search::<()>(id, |probe| {
                    first.get_or_insert(probe);
                    Ok(ids[probe as usize].as_slice().cmp(id))
                })
                .unwrap();
            assert_eq!(first, Some(guess));
            let (lo, hi) = fanout.bucket(id[0]);
            assert!((lo..hi).contains(&guess));
            far += usize::from(guess.abs_diff(i as u32) > 16);
        }
        assert!(far < ids.len() / 20, "{far} guesses far off");
    }
}
