//! Pack entries: headers, zlib streams, OFS and REF deltas. The input is the
//! body of a pack of up to 8 entries whose offsets the input chooses; the
//! pack trailer, the index and its CRC32s are made to match, so that every
//! read gets past them to the entries.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(first % 8) + 1;
    if rest.len() < 2 * n {
        return;
    }
    let (heads, body) = rest.split_at(2 * n);
    if body.is_empty() {
        return;
    }
    // Entry offsets: 12 (the first always), then where the input says.
    let mut offsets: Vec<u64> = heads
        .chunks_exact(2)
        .skip(1)
        .map(|b| 12 + u64::from(u16::from_le_bytes([b[0], b[1]])) % body.len() as u64)
        .collect();
    offsets.push(12);
    offsets.sort_unstable();
    offsets.dedup();
    let pack = packwrite::pack_file(2, offsets.len() as u32, body);
    let end = pack.len() as u64 - 20;
    let mut entries: Vec<([u8; 20], u64, u32)> = offsets
        .iter()
        .enumerate()
        .map(|(i, &o)| {
            let next = offsets.get(i + 1).copied().unwrap_or(end);
            let crc = crc32fast::hash(&pack[o as usize..next as usize]);
            (packwrite::sha1(&[i as u8]), o, crc)
        })
        .collect();
    entries.sort_unstable();
    let sum: [u8; 20] = pack[pack.len() - 20..].try_into().expect("20 bytes");
    let idx = packwrite::idx_v2(&entries, &sum);
    packread_fuzz::write_pack(&idx, &pack);
    if let Some(odb) = packread_fuzz::open(packread_fuzz::tiny()) {
        packread_fuzz::read_everything(&odb);
    }
});
