//! Loose objects: the first byte chooses between deflating the rest (a
//! header and body the fuzzer shapes) and writing it as it is (the zlib
//! stream itself fuzzed).
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use packread::{HashKind, ObjectId};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let file = if mode & 1 == 0 {
        packread_fuzz::deflate(rest)
    } else {
        rest.to_vec()
    };
    let hex = "ab".repeat(20);
    let dir = packread_fuzz::scratch().join("objects/ab");
    std::fs::create_dir_all(&dir).expect("fan-out directory");
    std::fs::write(dir.join(&hex[2..]), &file).expect("write the object");
    let id = ObjectId::from_hex(&hex).expect("hex");
    let Some(odb) = packread_fuzz::open(packread_fuzz::tiny()) else {
        return;
    };
    assert_eq!(odb.hash_kind(), HashKind::Sha1);
    let header = odb.header(&id);
    let read = odb.read(&id);
    if let Ok(object) = &read {
        // A readable object has the header a header read reports, and its
        // stream yields the same bytes.
        let header = header.expect("a readable object has a header");
        assert_eq!(
            (header.kind, header.size),
            (object.kind, object.data.len() as u64)
        );
        if let Ok(mut s) = odb.stream(&id) {
            let mut got = Vec::new();
            if s.read_to_end(&mut got).is_ok() {
                assert_eq!(got, object.data, "stream and read agree");
            }
        }
    }
});
