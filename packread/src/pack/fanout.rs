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
    /// counts, by binary search in its first byte's bucket; `cmp_at(i)`
    /// compares the id at position `i` with `want`.
    pub(crate) fn search<E>(
        &self,
        want: &[u8],
        mut cmp_at: impl FnMut(u32) -> Result<std::cmp::Ordering, E>,
    ) -> Result<Option<u32>, E> {
        let Some(&first) = want.first() else {
            return Ok(None);
        };
        let (mut lo, mut hi) = self.bucket(first);
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

    /// The range of positions whose ids start with byte `b`.
    pub(crate) fn bucket(&self, b: u8) -> (u32, u32) {
        let b = usize::from(b);
        let lo = if b == 0 { 0 } else { self.0[b - 1] };
        (lo, self.0[b])
    }
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
}
