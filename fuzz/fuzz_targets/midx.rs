//! Multi-pack-index parsing and lookups: any bytes as `multi-pack-index`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use packread::pack::MultiPackIndex;
use packread::smmap::SlidingWindowMapManager;
use packread::{HashKind, ObjectId};

fuzz_target!(|data: &[u8]| {
    let path = packread_fuzz::scratch().join("objects/pack/multi-pack-index");
    std::fs::write(&path, data).expect("write the file");
    // Tiny windows: every chunk read crosses window ends.
    let manager = SlidingWindowMapManager::with_limits(4096, 16 * 1024, 8);
    let Ok(Some(midx)) = MultiPackIndex::open(&path, &manager, HashKind::Sha1) else {
        return;
    };
    let mut c = midx.cursor();
    let mut probes: Vec<ObjectId> = data
        .chunks_exact(20)
        .take(8)
        .map(|b| ObjectId::from_bytes(HashKind::Sha1, b))
        .collect();
    for pos in 0..midx.len().min(256) {
        let _ = midx.location_at(&mut c, pos);
        if let Ok(id) = midx.oid_at(&mut c, pos) {
            probes.push(id);
        }
    }
    for id in probes {
        if let Ok(Some(pos)) = midx.lookup(&mut c, &id) {
            assert!(pos < midx.len());
            let _ = midx.location_at(&mut c, pos);
        }
    }
});
