//! How long two byte strings stay equal from their starts or from their
//! ends, compared eight bytes at a time (tree diffs skip shared entries,
//! line diffs share the lines both texts begin and end with).

/// The length of the longest common prefix of `a` and `b`.
pub(crate) fn prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let mut i = 0;
    // Whole blocks first (compared as vectors), then the words of the
    // block that differs.
    while i + 32 <= n {
        let x: &[u8; 32] = a[i..i + 32].try_into().expect("32 bytes");
        let y: &[u8; 32] = b[i..i + 32].try_into().expect("32 bytes");
        if x != y {
            break;
        }
        i += 32;
    }
    while i + 8 <= n {
        let differ = word(a, i) ^ word(b, i);
        if differ != 0 {
            return i + (differ.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// The length of the longest common suffix of `a` and `b`.
pub(crate) fn suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    // The 8 bytes ending `k` bytes before the end, read so that the byte
    // nearest the end is the most significant.
    let word = |s: &[u8], k: usize| {
        let end = s.len() - k;
        u64::from_le_bytes(s[end - 8..end].try_into().expect("8 bytes"))
    };
    let mut k = 0;
    while k + 8 <= n {
        let differ = word(a, k) ^ word(b, k);
        if differ != 0 {
            return k + (differ.leading_zeros() / 8) as usize;
        }
        k += 8;
    }
    while k < n && a[a.len() - 1 - k] == b[b.len() - 1 - k] {
        k += 1;
    }
    k
}

#[cfg(test)]
mod tests {
    #[test]
    fn common_ends_as_a_byte_by_byte_scan_finds_them() {
        let slow_prefix = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let slow_suffix = |a: &[u8], b: &[u8]| {
            a.iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count()
        };
        let mut next = crate::test_rand::xorshift(0x243f_6a88_85a3_08d3);
        for _ in 0..5000 {
            let len = (next() % 40) as usize;
            let a: Vec<u8> = (0..len).map(|_| (next() % 3) as u8).collect();
            let mut b = a.clone();
            match next() % 4 {
                0 => b.truncate((next() % (len as u64 + 1)) as usize),
                1 => {
                    b.drain(..(next() % (len as u64 + 1)) as usize);
                }
                2 if len > 0 => b[(next() % len as u64) as usize] ^= 1,
                _ => b.push(7),
            }
            assert_eq!(super::prefix(&a, &b), slow_prefix(&a, &b), "{a:?} {b:?}");
            assert_eq!(super::suffix(&a, &b), slow_suffix(&a, &b), "{a:?} {b:?}");
        }
    }
}
