//! The reverse index: a pack's entries sorted by offset, with a bucket table
//! that finds an offset's entry in one or two probes instead of a binary
//! search (delta bases are named by offset; their kinds and ids are looked
//! up this way once per delta).

/// Entries by offset, and where each offset bucket starts.
#[derive(Debug)]
pub(crate) struct RevIndex {
    /// (offset, index position), by offset; offsets are unique.
    sorted: Vec<(u64, u32)>,
    /// Offsets are bucketed by `offset >> shift`: about one entry per bucket.
    shift: u32,
    /// `sorted[buckets[b]..buckets[b + 1]]` are the entries of bucket `b`.
    buckets: Vec<u32>,
}

impl RevIndex {
    /// Indexes `sorted` (sorted by offset, offsets unique, all below `end`).
    pub(crate) fn new(sorted: Vec<(u64, u32)>, end: u64) -> RevIndex {
        let per_entry = end / (sorted.len() as u64).max(1);
        let shift = per_entry.max(1).ilog2();
        let n = usize::try_from((end >> shift) + 1).expect("about one bucket per entry");
        let mut buckets = Vec::with_capacity(n + 1);
        let mut i = 0usize;
        for b in 0..=n as u64 {
            while i < sorted.len() && sorted[i].0 >> shift < b {
                i += 1;
            }
            buckets.push(i as u32);
        }
        RevIndex {
            sorted,
            shift,
            buckets,
        }
    }

    /// Every entry, by offset.
    pub(crate) fn entries(&self) -> &[(u64, u32)] {
        &self.sorted
    }

    /// The entries whose bucket is `offset`'s, and the first one's position.
    fn bucket(&self, offset: u64) -> (usize, &[(u64, u32)]) {
        let b = usize::try_from(offset >> self.shift).unwrap_or(usize::MAX);
        if b + 1 >= self.buckets.len() {
            let n = self.sorted.len();
            return (n, &[]);
        }
        let (start, end) = (self.buckets[b] as usize, self.buckets[b + 1] as usize);
        (start, &self.sorted[start..end])
    }

    /// The position of the entry at exactly `offset`.
    pub(crate) fn position(&self, offset: u64) -> Option<usize> {
        let (start, entries) = self.bucket(offset);
        entries
            .iter()
            .position(|&(o, _)| o == offset)
            .map(|k| start + k)
    }

    /// The position of the first entry after `offset` (`len` if none).
    pub(crate) fn position_after(&self, offset: u64) -> usize {
        let (start, entries) = self.bucket(offset);
        if start == self.sorted.len() {
            return start;
        }
        // Past this bucket's entries, the next bucket's first entry follows.
        start + entries.partition_point(|&(o, _)| o <= offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_offset_and_nothing_else() {
        for (offsets, end) in [
            (vec![12u64, 13, 14, 500, 501, 90_000], 90_100u64),
            (vec![12], 40),
            (vec![], 32),
            (
                (0..1000).map(|i| 12 + i * i * 7).collect(),
                12 + 999 * 999 * 7 + 20,
            ),
        ] {
            let sorted: Vec<(u64, u32)> = offsets.iter().map(|&o| (o, o as u32 ^ 7)).collect();
            let r = RevIndex::new(sorted.clone(), end);
            for probe in 0..end + 50 {
                let want = sorted.binary_search_by_key(&probe, |&(o, _)| o).ok();
                assert_eq!(r.position(probe), want, "offset {probe}");
                let after = sorted.partition_point(|&(o, _)| o <= probe);
                assert_eq!(r.position_after(probe), after, "after {probe}");
            }
        }
    }
}

/// Sorts `(offset, position)` pairs by offset, as git's `sort_revindex`
/// does, by radix: for a pack under 4 GiB, each pair packed in a `u64`
/// (offset above, position below) and sorted 8 bits of offset a pass, far
/// faster than a comparison sort on the hundreds of thousands of entries
/// of a big pack; a comparison sort past 4 GiB.
pub(crate) fn sort_by_offset(v: &mut Vec<(u64, u32)>) {
    if v.iter().any(|e| e.0 >> 32 != 0) {
        v.sort_unstable();
        return;
    }
    let mut keys: Vec<u64> = v.iter().map(|&(o, p)| (o << 32) | u64::from(p)).collect();
    let mut tmp = vec![0u64; keys.len()];
    for shift in [32, 40, 48, 56] {
        let mut counts = [0usize; 256];
        for k in &keys {
            counts[((k >> shift) & 0xff) as usize] += 1;
        }
        // A pass where every key has the same digit changes nothing.
        if counts.contains(&keys.len()) {
            continue;
        }
        let mut at = 0;
        for c in &mut counts {
            let n = *c;
            *c = at;
            at += n;
        }
        for &k in &keys {
            let digit = ((k >> shift) & 0xff) as usize;
            tmp[counts[digit]] = k;
            counts[digit] += 1;
        }
        std::mem::swap(&mut keys, &mut tmp);
    }
    v.clear();
    v.extend(keys.iter().map(|&k| (k >> 32, k as u32)));
}

#[cfg(test)]
mod sort_tests {
    use super::sort_by_offset;

    #[test]
    fn radix_sort_orders_by_offset() {
        let mut s: u64 = 7;
        let mut v: Vec<(u64, u32)> = (0..5000)
            .map(|i| {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((s >> 20) % (1 << 31), i)
            })
            .collect();
        let mut want = v.clone();
        want.sort_unstable();
        sort_by_offset(&mut v);
        assert_eq!(v, want);
        // Past 4 GiB, by comparison.
        let mut big = vec![(1 << 40, 0), (5, 1), (1 << 33, 2)];
        sort_by_offset(&mut big);
        assert_eq!(big, vec![(5, 1), (1 << 33, 2), (1 << 40, 0)]);
        let mut small = vec![(3, 0), (1, 1), (2, 2)];
        sort_by_offset(&mut small);
        assert_eq!(small, vec![(1, 1), (2, 2), (3, 0)]);
    }
}
