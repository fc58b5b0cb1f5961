//! `verify-pack` of hand-made packs git never writes (deltas that don't
//! apply, bases that aren't there, cycles, sizes that lie, unknown types),
//! against git's own answer: stdout, stderr and exit code, with `-v` and
//! without, under default and tiny windows. The pack is read from its bytes
//! alone there, as git's `index-pack --verify` reads it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use packwrite::{entry_header, idx_v2, ofs_distance, pack_file, sha1};

/// One entry: pack type, header extension (OFS distance or REF id), the
/// data to compress, and the size its header claims.
struct Entry {
    pack_type: u8,
    extra: Vec<u8>,
    data: Vec<u8>,
    claimed: Option<u64>,
}

fn zlib(data: &[u8]) -> Vec<u8> {
    sirocco::compress(
        sirocco::Format::Zlib,
        sirocco::deflate::Level::DEFAULT,
        data,
    )
}

fn blob_id(content: &[u8]) -> [u8; 20] {
    sha1(&[format!("blob {}\0", content.len()).as_bytes(), content].concat())
}

fn blob(content: &[u8]) -> Entry {
    Entry {
        pack_type: 3,
        extra: Vec::new(),
        data: content.to_vec(),
        claimed: None,
    }
}

/// An `OFS_DELTA` on the entry `distance` bytes before it.
fn ofs(distance: u64, delta: &[u8]) -> Entry {
    Entry {
        pack_type: 6,
        extra: ofs_distance(distance),
        data: delta.to_vec(),
        claimed: None,
    }
}

/// A `REF_DELTA` on `base`.
fn refd(base: [u8; 20], delta: &[u8]) -> Entry {
    Entry {
        pack_type: 7,
        extra: base.to_vec(),
        data: delta.to_vec(),
        claimed: None,
    }
}

/// Writes `<dir>/<name>.pack` and an index naming each entry by the SHA-1 of
/// its bytes (a placeholder: these packs fail before git compares indexes).
fn write(dir: &Path, name: &str, entries: &[Entry]) -> PathBuf {
    let mut body = Vec::new();
    let mut index = Vec::new();
    for e in entries {
        let start = body.len();
        body.extend(entry_header(
            e.pack_type,
            e.claimed.unwrap_or(e.data.len() as u64),
        ));
        body.extend_from_slice(&e.extra);
        body.extend(zlib(&e.data));
        index.push((
            sha1(&body[start..]),
            12 + start as u64,
            crc32fast::hash(&body[start..]),
        ));
    }
    let pack = pack_file(2, entries.len() as u32, &body);
    let trailer: [u8; 20] = pack[pack.len() - 20..].try_into().unwrap();
    index.sort_unstable();
    std::fs::write(dir.join(format!("{name}.pack")), &pack).unwrap();
    let idx = dir.join(format!("{name}.idx"));
    std::fs::write(&idx, idx_v2(&index, &trailer)).unwrap();
    idx
}

fn run(mut cmd: Command, dir: &Path) -> Output {
    cmd.current_dir(dir)
        .env("LC_ALL", "C")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap())
        .env_remove("GIT_DIR")
        .output()
        .unwrap()
}

#[test]
fn crafted_packs_fail_verification_as_in_git() {
    let dir = std::env::temp_dir().join(format!("packread-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hello = b"hello".to_vec();
    // Turns the 5-byte base into "xyz".
    let good_delta = [5, 3, 3, b'x', b'y', b'z'];
    // The blob's entry: a 1-byte header and its stream; deltas right after
    // it are `d` bytes from it.
    let d = 1 + zlib(&hello).len() as u64;
    let mut cases = Vec::new();
    let mut case = |name: &str, entries: Vec<Entry>| cases.push(write(&dir, name, &entries));

    case(
        "baseSize",
        vec![blob(&hello), ofs(d, &[6, 3, 3, b'x', b'y', b'z'])],
    );
    case(
        "copyPastBase",
        vec![blob(&hello), ofs(d, &[5, 4, 0x91, 3, 4])],
    );
    case(
        "resultSize",
        vec![blob(&hello), ofs(d, &[5, 4, 3, b'x', b'y', b'z'])],
    );
    case("refMissing", vec![blob(&hello), refd([9; 20], &good_delta)]);
    case(
        "refCycle",
        vec![refd([0xaa; 20], &good_delta), refd([0xbb; 20], &good_delta)],
    );
    case("ofsIntoHeader", vec![blob(&hello), ofs(d + 6, &good_delta)]);
    case("ofsAtZero", vec![blob(&hello), ofs(d + 12, &good_delta)]);
    case(
        "ofsBeforeStart",
        vec![blob(&hello), ofs(d + 40, &good_delta)],
    );
    case("ofsMidEntry", vec![blob(&hello), ofs(d - 3, &good_delta)]);
    case(
        "refBaseLater",
        vec![refd(blob_id(&hello), &good_delta), blob(&hello)],
    );
    case("refChain", {
        let xyz = blob_id(b"xyz");
        vec![
            blob(&hello),
            refd(blob_id(&hello), &good_delta),
            refd(xyz, &[3, 2, 0x90, 2]),
        ]
    });
    let mut long = blob(&hello);
    long.claimed = Some(9);
    case("claimsMore", vec![long]);
    let mut short = blob(&hello);
    short.claimed = Some(2);
    case("claimsLess", vec![short]);
    let mut t5 = blob(&hello);
    t5.pack_type = 5;
    case("type5", vec![t5]);
    let mut t0 = blob(&hello);
    t0.pack_type = 0;
    case("type0", vec![blob(&hello), t0]);

    let packread = env!("CARGO_BIN_EXE_packread");
    let mut failures = Vec::new();
    for idx in &cases {
        for args in [
            vec!["verify-pack"],
            vec!["verify-pack", "-v"],
            vec!["--window-size=4k", "--handle-limit=1", "verify-pack", "-v"],
        ] {
            let ours_args: Vec<&str> = args.clone();
            let git_args: Vec<&str> = args
                .iter()
                .copied()
                .filter(|a| !a.starts_with("--"))
                .collect();
            let mut git = Command::new("git");
            git.args(&git_args).arg(idx);
            let theirs = run(git, &dir);
            let mut ours = Command::new(packread);
            ours.args(&ours_args).arg(idx);
            let ours = run(ours, &dir);
            if (&ours.stdout, &ours.stderr, ours.status.code())
                != (&theirs.stdout, &theirs.stderr, theirs.status.code())
            {
                failures.push(format!(
                    "{} {args:?}\n  git:      {:?} {:?} {:?}\n  packread: {:?} {:?} {:?}",
                    idx.display(),
                    theirs.status.code(),
                    String::from_utf8_lossy(&theirs.stdout),
                    String::from_utf8_lossy(&theirs.stderr),
                    ours.status.code(),
                    String::from_utf8_lossy(&ours.stdout),
                    String::from_utf8_lossy(&ours.stderr),
                ));
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
