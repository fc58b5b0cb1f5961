//! Index parsing and lookups: any bytes as a pack's `.idx` file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use packread::object::Prefix;
use packread::pack::PackIndex;
use packread::smmap::SlidingWindowMapManager;
use packread::{HashKind, ObjectId};

fuzz_target!(|data: &[u8]| {
    let path = packread_fuzz::scratch().join("objects/pack/pack-index.idx");
    std::fs::write(&path, data).expect("write the index");
    // Tiny windows: every table read crosses window ends.
    let manager = SlidingWindowMapManager::with_limits(4096, 16 * 1024, 8);
    let Ok(index) = PackIndex::open(&path, &manager, HashKind::Sha1) else {
        return;
    };
    let mut c = index.cursor();
    let mut probes: Vec<ObjectId> = data
        .chunks_exact(20)
        .take(8)
        .map(|b| ObjectId::from_bytes(HashKind::Sha1, b))
        .collect();
    for pos in 0..index.len().min(256) {
        let _ = index.offset_at(&mut c, pos);
        let _ = index.crc32_at(&mut c, pos);
        if let Ok(id) = index.oid_at(&mut c, pos) {
            probes.push(id);
        }
    }
    for id in probes {
        let _ = index.lookup(&mut c, &id);
        let hex = id.to_hex();
        for len in [1, 2, 4, 7, 39, 40] {
            if let Some(p) = Prefix::from_hex(&hex[..len]) {
                let _ = index.lookup_prefix(&mut c, &p);
            }
        }
    }
    let _ = index.verify_checksum(&mut c);
});
