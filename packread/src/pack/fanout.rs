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
    /// counts; `probe(i)` compares the id at position `i` with `want` and
    /// gives its [`key`].
    ///
    /// Ids are uniformly spread, so each probe goes where `want`'s key
    /// falls between the keys of the ids known to bound it (interpolation
    /// search: at first the ends of its first byte's bucket), until a few
    /// neighbours are left to a binary search. Buckets of 4,700 uniform ids
    /// (1.2 million in all, rails' size) take 6.6 probes a search, 3.7 of
    /// them more than three ids from the one before (in another cache
    /// line); buckets of 78, 3.1 probes, where widening from the first
    /// guess by doubling steps took 4.4. Ids not spread
    /// uniformly cost a binary search's probes more at most (interpolation
    /// stops after a few rounds); ids out of order give `None`, as a
    /// binary search does.
    pub(crate) fn search<E>(
        &self,
        want: &[u8],
        mut probe: impl FnMut(u32) -> Result<(std::cmp::Ordering, u64), E>,
    ) -> Result<Option<u32>, E> {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let Some(&first) = want.first() else {
            return Ok(None);
        };
        let (mut lo, mut hi) = self.bucket(first);
        let target = key(want);
        // The keys just outside `lo..hi`, as far as known: every id below
        // `lo` has a key of at most `below`, every id from `hi` on at
        // least `above`.
        let (mut below, mut above) = (0u64, u64::MAX);
        for _ in 0..INTERPOLATIONS {
            let n = hi.saturating_sub(lo);
            if n <= NEIGHBOURS || !(below..=above).contains(&target) {
                break;
            }
            let span = u128::from(above - below) + 1;
            let at = lo + ((u128::from(target - below) * u128::from(n) / span) as u32).min(n - 1);
            match probe(at)? {
                (Equal, _) => return Ok(Some(at)),
                (Less, k) => (lo, below) = (at + 1, k),
                (Greater, k) => (hi, above) = (at, k),
            }
        }
        binary_search(lo, hi, |i| probe(i).map(|(o, _)| o))
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

/// How many probes [`Fanout::search`] places by interpolation at most.
const INTERPOLATIONS: u32 = 6;

/// How few ids [`Fanout::search`] leaves to a binary search.
const NEIGHBOURS: u32 = 8;

/// An id's eight bytes after its first, as a number (zeros past its end):
/// where it sorts within its first byte's bucket.
pub(crate) fn key(id: &[u8]) -> u64 {
    let mut key = [0u8; 8];
    let rest = &id[1.min(id.len())..id.len().min(9)];
    key[..rest.len()].copy_from_slice(rest);
    u64::from_be_bytes(key)
}

/// The position in the bucket of `n` ids from `lo` where `want`'s eight
/// bytes after its first put it, ids being uniformly spread.
fn interpolate(lo: u32, n: u32, want: &[u8]) -> u32 {
    lo + ((u128::from(key(want)) * u128::from(n)) >> 64) as u32
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
        let mut probes_each = Vec::new();
        for (fanout, ids) in &sets {
            let mut probes = 0;
            let mut find = |want: &[u8]| {
                fanout
                    .search::<()>(want, |i| {
                        probes += 1;
                        Ok((ids[i as usize].as_slice().cmp(want), key(&ids[i as usize])))
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
            probes_each.push((probes, 2 * ids.len()));
        }
        // Uniform ids, 78 to a bucket: about three probes a search (a
        // binary search of the bucket takes six or seven).
        let (probes, finds) = probes_each[0];
        assert!(
            2 * probes < 7 * finds,
            "{probes} probes for {finds} searches"
        );
        // Out of order: nothing found, no probe out of the bucket.
        let (fanout, mut ids) = ids(2_000, 20, &mut rand);
        ids.reverse();
        let want = ids[700].clone();
        let bucket = fanout.bucket(want[0]);
        let found = fanout
            .search::<()>(&want, |i| {
                assert!((bucket.0..bucket.1).contains(&i));
                Ok((
                    ids[i as usize].as_slice().cmp(&want[..]),
                    key(&ids[i as usize]),
                ))
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
                    Ok((
                        ids[probe as usize].as_slice().cmp(id),
                        key(&ids[probe as usize]),
                    ))
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
