//! Packs over 4 GiB: offsets past 2^32 (the index's 64-bit table), `OFS_DELTA`
//! distances over 4 GiB, read through 1 MiB windows with at most 4 MiB mapped.
//!
//! The sparse pack runs in every test run (its holes are never written to
//! disk). The pack git writes itself holds 4.4 GiB of incompressible blobs:
//! it is ignored by default; run it with
//! `cargo test --release -p packread --test large_pack -- --ignored`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use packread::{HashKind, ObjectId, ObjectKind, Odb, OpenOptions};
use packwrite::{entry_header, ofs_distance};
use testkit::{git, git_cat_file_batch, git_out, idx_v2, zlib};

const WINDOW: usize = 1 << 20;
const LIMIT: usize = 4 << 20;

fn options() -> OpenOptions {
    OpenOptions::new().window_size(WINDOW).max_memory(LIMIT)
}

/// A bare repository under the temporary directory (or `PACKREAD_BIG_DIR`),
/// removed when dropped: a failing test leaves no gigabytes behind.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

fn fresh_repo(name: &str) -> Scratch {
    let base = std::env::var_os("PACKREAD_BIG_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = Scratch(base.join(format!("packread-large-{}-{name}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ok = git(&dir)
        .args(["init", "-q", "--bare", "."])
        .status()
        .unwrap();
    assert!(ok.success());
    dir
}

/// Fails, saying why, unless the file system holding `dir` has `need`
/// bytes free (as `df` reports them).
fn assert_room(dir: &Path, need: u64) {
    let out = std::process::Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(dir)
        .output()
        .expect("df runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let free: u64 = text
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("df's answer for {}: {text}", dir.display()));
    let mib = |b: u64| b >> 20;
    assert!(
        free >= need,
        "this test writes a {} MiB pack: {} has {} MiB free \
         (set PACKREAD_BIG_DIR to a directory with more room)",
        mib(need),
        dir.display(),
        mib(free)
    );
}

/// Text of `n` lines, different for each `seed`.
fn text(seed: u32, n: u32) -> Vec<u8> {
    (0..n)
        .flat_map(|i| {
            format!("line {i} of text {seed}: window cursor pack {}\n", i * seed).into_bytes()
        })
        .collect()
}

/// A delta that keeps `base` but for bytes 100..200, which become `new`.
fn splice_delta(base: &[u8], new: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut result = base[..100].to_vec();
    result.extend_from_slice(new);
    result.extend_from_slice(&base[200..]);
    let varint = |mut v: usize, out: &mut Vec<u8>| loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    };
    let mut d = Vec::new();
    varint(base.len(), &mut d);
    varint(result.len(), &mut d);
    d.extend_from_slice(&[0x90, 100]); // copy 100 bytes from 0
    d.push(new.len() as u8); // insert
    d.extend_from_slice(new);
    let rest = base.len() - 200;
    d.extend_from_slice(&[0xb1, 200, (rest & 0xff) as u8, (rest >> 8) as u8]); // copy the rest
    (d, result)
}

/// git's `--batch-check` lines for `ids`, with a format that includes where
/// and how each object is stored, and packread's answers in that format.
fn batch_check(repo: &Path, odb: &Odb, ids: &[ObjectId]) -> (String, String) {
    let fmt =
        "--batch-check=%(objectname) %(objecttype) %(objectsize) %(objectsize:disk) %(deltabase)";
    let names: Vec<String> = ids.iter().map(ObjectId::to_hex).collect();
    let theirs = git_cat_file_batch(repo, fmt, &names).join("\n") + "\n";
    let mut r = odb.reader();
    let mut ours = String::new();
    for id in ids {
        let loc = r.locate(id).unwrap().expect("present");
        let packread::Header { kind, size } = r.header_location(&loc).unwrap();
        let packread::DiskInfo {
            disk_size: disk,
            delta_base: base,
        } = r.disk_info(&loc).unwrap();
        let base = base.unwrap_or(HashKind::Sha1.null());
        writeln!(ours, "{id} {kind} {size} {disk} {base}").unwrap();
    }
    (theirs, ours)
}

#[test]
fn sparse_pack_over_4_gib_reads_like_git_with_4_mib_mapped() {
    let repo = fresh_repo("sparse");
    let a = text(1, 80);
    let b = text(2, 120);
    let (ofs_delta, c) = splice_delta(&b, b"changed in c");
    let (far_delta, d) = splice_delta(&a, b"six gibibytes away");
    let (ref_delta, e) = splice_delta(&a, b"by id");
    let id = |data: &[u8]| ObjectId::compute(HashKind::Sha1, ObjectKind::Blob, data);
    let (ia, ib, ic, id_, ie) = (id(&a), id(&b), id(&c), id(&d), id(&e));
    // (offset, entry bytes, id)
    let at_a = 12u64;
    let at_b = (4 << 30) + 100;
    let at_e = (4 << 30) + 50_000;
    let at_c = (5 << 30) + 7;
    let at_d = (6 << 30) + 3;
    let entry = |t: u8, size: usize, extra: &[u8], data: &[u8]| {
        let mut v = entry_header(t, size as u64);
        v.extend_from_slice(extra);
        v.extend(zlib(data));
        v
    };
    let entries = [
        (at_a, entry(3, a.len(), &[], &a), ia),
        (at_b, entry(3, b.len(), &[], &b), ib),
        (
            at_e,
            entry(7, ref_delta.len(), ia.as_bytes(), &ref_delta),
            ie,
        ),
        (
            at_c,
            entry(6, ofs_delta.len(), &ofs_distance(at_c - at_b), &ofs_delta),
            ic,
        ),
        (
            at_d,
            entry(6, far_delta.len(), &ofs_distance(at_d - at_a), &far_delta),
            id_,
        ),
    ];
    let pack_path = repo.join("objects/pack/pack-big.pack");
    let mut f = File::create(&pack_path).unwrap();
    f.write_all(&packwrite::pack_header(2, entries.len() as u32))
        .unwrap();
    for (at, bytes, _) in &entries {
        f.seek(SeekFrom::Start(*at)).unwrap();
        f.write_all(bytes).unwrap();
    }
    // Neither git nor packread hashes a pack to read from it: any trailer
    // that the index repeats will do.
    let trailer = ObjectId::from_bytes(HashKind::Sha1, &[0xab; 20]);
    let end = at_d + entries[4].1.len() as u64;
    f.seek(SeekFrom::Start(end)).unwrap();
    f.write_all(trailer.as_bytes()).unwrap();
    drop(f);
    let meta = std::fs::metadata(&pack_path).unwrap();
    assert!(meta.len() > 6 << 30);
    assert!(
        meta.blocks() * 512 < 16 << 20,
        "the file system keeps the holes sparse"
    );
    let index: Vec<_> = entries
        .iter()
        .map(|(at, bytes, id)| (*id, crc32fast::hash(bytes), *at))
        .collect();
    std::fs::write(
        repo.join("objects/pack/pack-big.idx"),
        idx_v2(&index, &trailer),
    )
    .unwrap();

    let odb = options().open(&repo).unwrap();
    let mut r = odb.reader();
    for (data, id) in [(&a, ia), (&b, ib), (&c, ic), (&d, id_), (&e, ie)] {
        assert_eq!(r.read(&id).unwrap().data, *data);
        assert_eq!(
            git_out(&repo, &["cat-file", "blob", &id.to_hex()]),
            *data,
            "git reads the crafted pack too"
        );
    }
    // Every entry's facts, as git reports them (disk sizes span the holes).
    let ids = [ia, ib, ic, id_, ie];
    let (g, p) = batch_check(&repo, &odb, &ids);
    assert_eq!(p, g);
    assert!(g.starts_with(&format!("{ia} blob {} {} ", a.len(), at_b - at_a)));
    let stats = odb.manager().stats();
    assert!(
        stats.peak_mapped_memory <= LIMIT,
        "at most 4 MiB mapped: {stats:?}"
    );
    drop(r);
}

/// Pseudo-random, incompressible bytes (xorshift64), different per `seed`.
fn noise(seed: u64, buf: &mut [u8]) {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for chunk in buf.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
}

/// Blobs in the pack git writes: 4 × 1.1 GiB of noise, each followed by a
/// small text blob (so small objects lie past 4 GiB too).
const BIG: usize = 1_100 << 20;
const BIGS: u64 = 4;

#[test]
#[ignore = "writes a 4.4 GiB pack with git (about a minute); run with --ignored"]
fn git_pack_over_4_gib_reads_and_verifies_with_4_mib_mapped() {
    let repo = fresh_repo("git");
    assert_room(&repo, BIGS * BIG as u64 + (256 << 20));
    // fast-import writes one pack; stored (level 0) deflate keeps it quick.
    // (Below `fastimport.unpackLimit` objects it would unpack them: 0.)
    let mut child = git(&repo)
        .args(["-c", "pack.compression=0", "-c", "core.compression=0"])
        .args(["-c", "fastimport.unpackLimit=0", "fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = std::io::BufWriter::with_capacity(1 << 20, child.stdin.take().unwrap());
    let mut buf = vec![0u8; 16 << 20];
    let mut small = Vec::new();
    for i in 0..BIGS {
        writeln!(input, "blob\ndata {BIG}").unwrap();
        let mut left = BIG;
        let mut k = 0;
        while left > 0 {
            let n = left.min(buf.len());
            noise(i * 1000 + k, &mut buf[..n]);
            input.write_all(&buf[..n]).unwrap();
            left -= n;
            k += 1;
        }
        let t = text(i as u32 + 7, 50);
        writeln!(input, "\nblob\ndata {}", t.len()).unwrap();
        input.write_all(&t).unwrap();
        input.write_all(b"\n").unwrap();
        small.push(t);
    }
    drop(input);
    assert!(child.wait().unwrap().success());

    let odb = options().open(&repo).unwrap();
    assert_eq!(odb.packs().len(), 1);
    let pack = &odb.packs()[0];
    assert!(pack.data_size() > 4 << 30, "a pack over 4 GiB");
    // Every object's facts and bytes: git's facts; bytes that hash to the
    // object's id (read through streams: a 1.1 GiB blob is never held).
    let ids: Vec<ObjectId> = odb.object_ids().collect::<Result<_, _>>().unwrap();
    assert_eq!(ids.len() as u64, 2 * BIGS);
    let (g, p) = batch_check(&repo, &odb, &ids);
    assert_eq!(p, g);
    let (mut beyond, mut across) = (0, 0);
    let mut r = odb.reader();
    for id in &ids {
        let loc = r.locate(id).unwrap().expect("present");
        let packread::Location::Packed { offset, .. } = loc else {
            panic!("packed");
        };
        let disk = r.disk_info(&loc).unwrap().disk_size;
        beyond += u32::from(offset > 1 << 32);
        across += u32::from(offset < 1 << 32 && offset + disk > 1 << 32);
        let mut s = odb.stream(id).unwrap();
        let mut h = ObjectId::object_hasher(HashKind::Sha1, s.kind(), s.size());
        std::io::copy(&mut s, &mut h).unwrap();
        assert_eq!(h.finish(), *id, "the bytes read hash to the id");
    }
    assert!(
        beyond >= 1 && across == 1,
        "past 4 GiB: {beyond}, across: {across}"
    );
    for t in &small {
        let id = ObjectId::compute(HashKind::Sha1, ObjectKind::Blob, t);
        assert_eq!(r.read(&id).unwrap().data, *t);
    }
    // Verification: the walk's facts are git's `verify-pack -v` lines.
    let idx = pack.index().path().to_str().unwrap().to_owned();
    let git_lines = String::from_utf8(git_out(&repo, &["verify-pack", "-v", &idx])).unwrap();
    let walked = odb
        .verify_pack(
            odb.pack_ids().next().unwrap(),
            &packread::pack::verify::VerifyOptions::new().threads(2),
        )
        .unwrap();
    for e in &walked {
        let line = format!(
            "{} {:<6} {} {} {}",
            e.id,
            e.kind.as_str(),
            e.header.size,
            e.size_in_pack,
            e.offset
        );
        assert!(git_lines.lines().any(|l| l.trim_end() == line), "{line}");
    }
    pack.verify_checksum(&mut pack.cursors()).unwrap();
    let stats = odb.manager().stats();
    assert!(
        stats.peak_mapped_memory <= LIMIT,
        "at most 4 MiB mapped: {stats:?}"
    );
    eprintln!(
        "pack of {} bytes: {} windows mapped, {} bytes mapped in all, peak {} bytes",
        pack.data_size(),
        stats.windows_mapped,
        stats.bytes_mapped,
        stats.peak_mapped_memory
    );
    drop(r);
}
