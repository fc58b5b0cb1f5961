//! What the fuzz targets share: scratch files (packread reads files through
//! memory maps, so every input is written to a file first) and one routine
//! that reads everything a database holds and checks that the answers agree
//! with each other. Packs and indices are built with `packwrite`, which
//! packread's tests use too.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use packread::pack::verify::VerifyOptions;
use packread::{HashKind, Location, ObjectId, Odb, OpenOptions};

/// This process's scratch directory (on tmpfs where there is one).
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("packread-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("objects/pack")).expect("scratch directory");
        dir
    })
}

/// Writes `idx` and `pack` as the scratch repository's only pack; returns
/// the index's path.
pub fn write_pack(idx: &[u8], pack: &[u8]) -> PathBuf {
    let dir = scratch().join("objects/pack");
    let idx_path = dir.join("pack-fuzz.idx");
    std::fs::write(&idx_path, idx).expect("write the index");
    std::fs::write(dir.join("pack-fuzz.pack"), pack).expect("write the pack");
    idx_path
}

/// Small windows and limits, so that reads cross window ends and windows
/// are unloaded all the time.
pub fn tiny() -> OpenOptions {
    OpenOptions::new()
        .window_size(4096)
        .max_memory(16 * 1024)
        .max_handles(16)
        .delta_base_cache_limit(64 * 1024)
}

/// Reads every object of every pack in every way packread offers, and
/// checks that the answers agree: a read that succeeds has the kind and
/// size the header reports, and a stream of it yields the same bytes.
/// Errors are fine (the input is hostile); panics, hangs and disagreements
/// are not.
pub fn read_everything(odb: &Odb) {
    let mut r = odb.reader();
    let mut buf = Vec::new();
    for (p, pack) in odb.pack_ids().zip(odb.packs()) {
        for pos in 0..pack.len().min(64) {
            let _ = r.entry_info(p, pos);
            let _ = r.verify_entry(p, pos, &mut buf);
            let Ok(offset) = pack.checked_offset(&mut pack.cursors(), pos) else {
                continue;
            };
            let loc = Location::Packed {
                pack: p,
                index_position: pos,
                offset,
            };
            let header = r.header_location(&loc);
            let _ = r.disk_info(&loc);
            if let Ok(kind) = r.read_location(&loc, &mut buf) {
                let header = header.expect("a readable object has a header");
                assert_eq!(
                    (header.kind, header.size),
                    (kind, buf.len() as u64),
                    "header and read agree"
                );
                // The stream reads the same entry when the id leads there
                // (a fuzzed index may list an id twice, or out of order).
                let mut c = pack.index().cursor();
                if let Ok(id) = pack.index().oid_at(&mut c, pos)
                    && odb.packs().len() == 1
                    && pack.index().lookup(&mut c, &id).ok() == Some(Some(pos))
                {
                    stream_agrees(odb, &id, &buf);
                }
            }
        }
        let opts = VerifyOptions::new().threads(2).memory_budget(8192);
        let _ = odb.verify_pack(p, &opts);
        let _ = pack.verify_checksum(&mut pack.cursors());
    }
    let _ = odb.object_locations_pack_order();
    let _ = odb.object_ids().count();
}

/// If `id`'s stream opens and reads to its end, it yields `want`.
fn stream_agrees(odb: &Odb, id: &ObjectId, want: &[u8]) {
    let Ok(mut s) = odb.stream(id) else { return };
    let mut got = Vec::new();
    let mut chunk = [0u8; 1000];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(_) => return,
        }
    }
    assert_eq!(got, want, "a stream yields what a read does");
}

/// Deflates `data` (zlib format).
pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(data).expect("in memory");
    z.finish().expect("in memory")
}

/// Opens the scratch repository's objects with `opts`.
pub fn open(opts: OpenOptions) -> Option<Odb> {
    opts.hash(HashKind::Sha1)
        .open(scratch().join("objects"))
        .ok()
}
