//! Delta application, against a plain reference implementation of git's
//! `patch_delta` written here: both accept the same deltas and make the same
//! bytes. The input is a u16 base length, the base, then the delta.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// git's `patch_delta`, written as plainly as possible.
fn reference(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
    if delta.len() < 4 {
        return None;
    }
    let mut pos = 0usize;
    let varint = |pos: &mut usize| -> Option<u64> {
        let mut v: u64 = 0;
        let mut shift = 0;
        loop {
            let c = *delta.get(*pos)?;
            *pos += 1;
            if shift > 63 {
                return None;
            }
            v |= u64::from(c & 0x7f).checked_shl(shift)?;
            if c & 0x80 == 0 {
                return Some(v);
            }
            shift += 7;
        }
    };
    let base_size = varint(&mut pos)?;
    let result_size = varint(&mut pos)?;
    if base_size != base.len() as u64 || result_size > 1 << 26 {
        return None;
    }
    let mut out = Vec::new();
    while pos < delta.len() {
        let cmd = delta[pos];
        pos += 1;
        if cmd & 0x80 != 0 {
            let mut off = 0usize;
            let mut size = 0usize;
            for (bit, shift) in [(1u8, 0), (2, 8), (4, 16), (8, 24)] {
                if cmd & bit != 0 {
                    off |= usize::from(*delta.get(pos)?) << shift;
                    pos += 1;
                }
            }
            for (bit, shift) in [(0x10u8, 0), (0x20, 8), (0x40, 16)] {
                if cmd & bit != 0 {
                    size |= usize::from(*delta.get(pos)?) << shift;
                    pos += 1;
                }
            }
            if size == 0 {
                size = 0x10000;
            }
            if off + size > base.len() || out.len() + size > result_size as usize {
                return None;
            }
            out.extend_from_slice(&base[off..off + size]);
        } else if cmd != 0 {
            let n = usize::from(cmd);
            if pos + n > delta.len() || out.len() + n > result_size as usize {
                return None;
            }
            out.extend_from_slice(&delta[pos..pos + n]);
            pos += n;
        } else {
            return None;
        }
    }
    (out.len() as u64 == result_size).then_some(out)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (len, rest) = data.split_at(2);
    let len = usize::from(u16::from_le_bytes([len[0], len[1]])) % (rest.len() + 1);
    let (base, delta) = rest.split_at(len);
    let mut out = vec![1, 2, 3];
    let ours = packread::pack::apply_delta(base, delta, &mut out);
    match reference(base, delta) {
        Some(want) => {
            assert!(ours.is_ok(), "rejected a good delta: {ours:?}");
            assert_eq!(out, want);
        }
        // The reference refuses results over 64 MiB (memory); we may make them.
        None => assert!(
            ours.is_err() || out.len() > 1 << 26,
            "accepted a delta git refuses"
        ),
    }
});
