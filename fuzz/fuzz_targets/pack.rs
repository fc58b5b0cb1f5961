//! Whole-object reads from a mutated pack + index pair: the input is a
//! little-endian u32 index length, the index, then the pack (the seeds are
//! real packs that git wrote).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (len, rest) = data.split_at(4);
    let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
    if len > rest.len() {
        return;
    }
    let (idx, pack) = rest.split_at(len);
    packread_fuzz::write_pack(idx, pack);
    if let Some(odb) = packread_fuzz::open(packread_fuzz::tiny()) {
        packread_fuzz::read_everything(&odb);
    }
});
