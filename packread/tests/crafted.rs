//! Hand-made packs for what git never writes: `REF_DELTA` cycles, pack
//! version 3, bad base offsets and missing bases.

use std::path::{Path, PathBuf};

use packread::{Corruption, Error, HashKind, ObjectId, ObjectKind, Odb, OpenOptions};
use packwrite::entry_header;
use testkit::{idx_v2, zlib};

/// One entry to write: its type byte (1–4, 6, 7), the header extension (OFS
/// offset bytes or REF id) and the raw (uncompressed) data.
struct Entry {
    pack_type: u8,
    extra: Vec<u8>,
    data: Vec<u8>,
    id: ObjectId,
    /// A size for the header other than the data's (hostile input).
    claimed_size: Option<u64>,
}

/// Writes `pack-test.pack` and a matching v2 `pack-test.idx` into `dir`.
fn write_pack(dir: &Path, version: u32, entries: &[Entry]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let mut body = Vec::new();
    let mut index: Vec<(ObjectId, u32, u64)> = Vec::new();
    for e in entries {
        let start = body.len();
        body.extend(entry_header(
            e.pack_type,
            e.claimed_size.unwrap_or(e.data.len() as u64),
        ));
        body.extend_from_slice(&e.extra);
        body.extend(zlib(&e.data));
        let offset = (packread::pack::PACK_HEADER_LEN as usize + start) as u64;
        index.push((e.id, crc32fast::hash(&body[start..]), offset));
    }
    let pack = packwrite::pack_file(version, entries.len() as u32, &body);
    let trailer = ObjectId::from_bytes(HashKind::Sha1, &pack[pack.len() - 20..]);
    let idx = idx_v2(&index, &trailer);
    std::fs::write(dir.join("pack-test.pack"), pack).unwrap();
    let path = dir.join("pack-test.idx");
    std::fs::write(&path, idx).unwrap();
    path
}

fn blob_header(size: u64) -> packread::Header {
    packread::Header {
        kind: ObjectKind::Blob,
        size,
    }
}

fn id(n: u8) -> ObjectId {
    ObjectId::from_bytes(HashKind::Sha1, &[n; 20])
}

fn blob(content: &[u8]) -> Entry {
    Entry {
        pack_type: 3,
        extra: Vec::new(),
        data: content.to_vec(),
        id: ObjectId::compute(HashKind::Sha1, ObjectKind::Blob, content),
        claimed_size: None,
    }
}

/// A delta that turns a 5-byte base into `xyz`.
fn delta_data() -> Vec<u8> {
    vec![5, 3, 3, b'x', b'y', b'z']
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("packread-crafted-{}-{name}", std::process::id()))
}

#[test]
fn ref_delta_cycles_are_reported_not_followed() {
    let dir = temp("cycle");
    let a = Entry {
        pack_type: 7,
        extra: id(0xbb).as_bytes().to_vec(),
        data: delta_data(),
        id: id(0xaa),
        claimed_size: None,
    };
    let b = Entry {
        pack_type: 7,
        extra: id(0xaa).as_bytes().to_vec(),
        data: delta_data(),
        id: id(0xbb),
        claimed_size: None,
    };
    let selfref = Entry {
        pack_type: 7,
        extra: id(0xcc).as_bytes().to_vec(),
        data: delta_data(),
        id: id(0xcc),
        claimed_size: None,
    };
    let idx = write_pack(&dir, 2, &[a, b, selfref]);
    let odb = OpenOptions::new()
        .window_size(4096)
        .open_pack(&idx)
        .unwrap();
    for target in [0xaa, 0xbb, 0xcc] {
        let err = odb.read(&id(target)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Corrupt {
                    reason: Corruption::DeltaCycle,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("pack-test.pack"),
            "names the file: {err}"
        );
        let err = odb.header(&id(target)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Corrupt {
                    reason: Corruption::DeltaCycle,
                    ..
                }
            ),
            "{err}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn pack_version_3_reads_like_version_2() {
    let dir = temp("v3");
    let base = blob(b"hello");
    let base_id = base.id;
    let result_id = ObjectId::compute(HashKind::Sha1, ObjectKind::Blob, b"xyz");
    let delta = Entry {
        pack_type: 7,
        extra: base_id.as_bytes().to_vec(),
        data: delta_data(),
        id: result_id,
        claimed_size: None,
    };
    let idx = write_pack(&dir, 3, &[base, delta]);
    let odb = Odb::open_pack_default(&idx);
    assert_eq!(odb.packs()[0].version(), 3);
    assert_eq!(odb.read(&base_id).unwrap().data, b"hello");
    assert_eq!(odb.read(&result_id).unwrap().data, b"xyz");
    assert_eq!(odb.header(&result_id).unwrap(), blob_header(3));
    // Versions other than 2 and 3 are refused.
    let idx4 = write_pack(&temp("v4"), 4, &[blob(b"x")]);
    let err = OpenOptions::new().open_pack(&idx4).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Corrupt {
                offset: 4,
                reason: Corruption::UnsupportedVersion(4),
                ..
            }
        ),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(temp("v4")).unwrap();
}

#[test]
fn ref_delta_on_an_ofs_delta_base_resolves() {
    let dir = temp("ref-on-ofs");
    // base "hello" at 12; OFS delta "xyz" against it; REF delta "abc"
    // against the OFS delta's result (by id): a REF -> OFS -> base chain.
    let base = blob(b"hello");
    let base_len = entry_header(3, 5).len() + zlib(b"hello").len();
    let ofs_id = ObjectId::compute(HashKind::Sha1, ObjectKind::Blob, b"xyz");
    let ofs = Entry {
        pack_type: 6,
        extra: vec![base_len as u8],
        data: delta_data(),
        id: ofs_id,
        claimed_size: None,
    };
    let abc_id = ObjectId::compute(HashKind::Sha1, ObjectKind::Blob, b"abc");
    let refd = Entry {
        pack_type: 7,
        extra: ofs_id.as_bytes().to_vec(),
        data: vec![3, 3, 3, b'a', b'b', b'c'],
        id: abc_id,
        claimed_size: None,
    };
    let idx = write_pack(&dir, 2, &[base, ofs, refd]);
    for opts in [
        OpenOptions::new(),
        OpenOptions::new()
            .window_size(1)
            .max_memory(1)
            .delta_base_cache_limit(0),
    ] {
        let odb = opts.open_pack(&idx).unwrap();
        assert_eq!(odb.read(&abc_id).unwrap().data, b"abc");
        assert_eq!(odb.header(&abc_id).unwrap(), blob_header(3));
        assert_eq!(odb.read(&ofs_id).unwrap().data, b"xyz");
        let mut r = odb.reader();
        let pos = odb.packs()[0]
            .index()
            .lookup(&mut odb.packs()[0].index().cursor(), &abc_id)
            .unwrap()
            .unwrap();
        let info = r
            .verify_entry(odb.pack_ids().next().unwrap(), pos, &mut Vec::new())
            .unwrap();
        assert_eq!((info.depth, info.base), (2, Some(ofs_id)));
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_base_offsets_and_missing_bases_are_typed_errors() {
    let dir = temp("bases");
    // OFS_DELTA pointing before the pack header, and one whose REF base is absent.
    let ofs_far = Entry {
        pack_type: 6,
        extra: vec![0x7f],
        data: delta_data(),
        id: id(0x10),
        claimed_size: None,
    };
    let ref_missing = Entry {
        pack_type: 7,
        extra: id(0x99).as_bytes().to_vec(),
        data: delta_data(),
        id: id(0x20),
        claimed_size: None,
    };
    let idx = write_pack(&dir, 2, &[ofs_far, ref_missing]);
    let odb = OpenOptions::new().open_pack(&idx).unwrap();
    let err = odb.read(&id(0x10)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Corrupt {
                offset: 12,
                reason: Corruption::BadDeltaBaseOffset,
                ..
            }
        ),
        "{err}"
    );
    let err = odb.read(&id(0x20)).unwrap_err();
    assert!(
        matches!(err, Error::Corrupt { reason: Corruption::MissingDeltaBase(b), .. } if b == id(0x99)),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn hostile_sizes_are_refused_before_allocating() {
    let dir = temp("huge");
    // Headers that claim 2^50 bytes, or 100 MB from a 12-byte stream: zlib
    // can't expand more than ~1032:1, so these are refused up front.
    let mut huge = blob(b"tiny");
    huge.claimed_size = Some(1 << 50);
    let mut big = blob(b"also tiny");
    big.claimed_size = Some(100 << 20);
    let mut delta = Entry {
        pack_type: 7,
        extra: big.id.as_bytes().to_vec(),
        data: delta_data(),
        id: id(0x30),
        claimed_size: None,
    };
    delta.claimed_size = Some(1 << 40);
    let (huge_id, big_id) = (huge.id, big.id);
    let idx = write_pack(&dir, 2, &[huge, big, delta]);
    let odb = OpenOptions::new().open_pack(&idx).unwrap();
    for target in [huge_id, big_id, id(0x30)] {
        let err = odb.read(&target).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Corrupt {
                    reason: Corruption::ObjectTooLarge(_),
                    ..
                }
            ),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // 2^60 needs a size varint longer than git allows: a bad header.
    let mut worse = blob(b"tiny");
    worse.claimed_size = Some(1 << 60);
    let worse_id = worse.id;
    let idx = write_pack(&dir, 2, &[worse]);
    let err = OpenOptions::new()
        .open_pack(&idx)
        .unwrap()
        .read(&worse_id)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Corrupt {
                offset: 12,
                reason: Corruption::BadObjectHeader,
                ..
            }
        ),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn databases_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    fn send<T: Send>() {}
    check::<Odb>();
    send::<packread::Reader>();
    send::<packread::ObjectIds>();
    check::<packread::pack::Pack>();
    check::<smmap::MapManager>();
    check::<smmap::WindowCursor>();
    check::<smmap::SlidingWindowMapBuffer>();
    send::<packread::ObjectStream>();
}

trait OpenPackDefault {
    fn open_pack_default(idx: &Path) -> Odb;
}

impl OpenPackDefault for Odb {
    fn open_pack_default(idx: &Path) -> Odb {
        OpenOptions::new()
            .window_size(1)
            .max_memory(1)
            .open_pack(idx)
            .unwrap()
    }
}
