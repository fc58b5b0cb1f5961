//! `packread verify-pack`: git's `verify-pack` (which runs `index-pack
//! --verify`), byte for byte: every entry's CRC32 and object hash, the pack
//! and index trailers, the `-v` listing and the chain-length histogram.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use packread::pack::verify::{EntryInfo, SeenObject, VerifyOptions, index_pack};
use packread::pack::{IndexEntry, PackIndex, index_file, reverse_index_file};
use packread::{
    Corruption, Error, HashKind, IndexProblem, Location, ObjectId, Odb, OpenOptions, PackId, Reader,
};

use crate::progress::Progress;
use crate::{Exit, Global};

const USAGE: &str = "usage: packread verify-pack [-v | --verbose] [-s | --stat-only] [--object-format=<hash>] [--] <pack>.idx...

    -v, --verbose         verbose
    -s, --stat-only       show statistics only
    --object-format <hash>
                          specify the hash algorithm to use";

pub fn run(global: &Global, args: Vec<String>) -> Result<i32, Exit> {
    let (mut verbose, mut stat_only) = (false, false);
    // An unknown format fails each pack, as git's index-pack child does.
    let mut hash: Option<Result<HashKind, String>> = None;
    let mut packs = Vec::new();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-v" | "--verbose" => verbose = true,
            "-s" | "--stat-only" => stat_only = true,
            "--no-verbose" => verbose = false,
            "--no-stat-only" => stat_only = false,
            "--" => packs.extend(it.by_ref()),
            a if a.starts_with("--object-format=") => {
                hash = Some(match &a["--object-format=".len()..] {
                    "sha1" => Ok(HashKind::Sha1),
                    "sha256" => Ok(HashKind::Sha256),
                    other => Err(format!("unknown hash algorithm '{other}'")),
                });
            }
            "-h" => return Err(Exit::Help(USAGE)),
            a if a.starts_with('-') && a.len() > 1 => return Err(crate::unknown_option(a, USAGE)),
            _ => packs.push(arg),
        }
    }
    if packs.is_empty() {
        return Err(Exit::Usage(String::new(), USAGE));
    }
    // The hash: as asked, else the repository's if we are in one, else SHA-1.
    let hash = hash.unwrap_or_else(|| Ok(global.repository_hash().unwrap_or_default()));
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut failed = false;
    for arg in packs {
        // git's verify-pack hands index-pack `<base>.pack`; index-pack
        // names the index `<base>.idx` and the reverse index `<base>.rev`.
        let base = arg
            .strip_suffix(".idx")
            .or_else(|| arg.strip_suffix(".pack"))
            .unwrap_or(&arg);
        let pack_name = format!("{base}.pack");
        let listing = (verbose || stat_only).then_some(stat_only);
        match hash
            .clone()
            .and_then(|hash| verify_one(global, base, hash, listing, &mut out))
        {
            Ok(()) => {
                if verbose && !stat_only {
                    writeln!(out, "{pack_name}: ok")?;
                }
            }
            Err(msg) => {
                out.flush()?;
                eprintln!("fatal: {msg}");
                if verbose || stat_only {
                    writeln!(out, "{pack_name}: bad")?;
                }
                failed = true;
            }
        }
        out.flush()?;
    }
    Ok(i32::from(failed))
}

/// git's `-v` listing of `entries` (pack order) and its chain histogram, or
/// the histogram alone.
fn write_listing(entries: &[EntryInfo], out: &mut impl Write, stat_only: bool) -> io::Result<()> {
    {
        let mut histogram: BTreeMap<usize, u64> = BTreeMap::new();
        let mut non_delta = 0u64;
        for e in entries {
            if e.depth == 0 {
                non_delta += 1;
            } else {
                *histogram.entry(e.depth).or_default() += 1;
            }
            if stat_only {
                continue;
            }
            write!(
                out,
                "{} {:<6} {} {} {}",
                e.id,
                e.kind.as_str(),
                e.header.size,
                e.size_in_pack,
                e.offset
            )?;
            if let Some(base) = e.base {
                write!(out, " {} {base}", e.depth)?;
            }
            out.write_all(b"\n")?;
        }
        let plural = |n: u64| if n == 1 { "object" } else { "objects" };
        if non_delta > 0 {
            writeln!(out, "non delta: {non_delta} {}", plural(non_delta))?;
        }
        for (depth, n) in histogram {
            writeln!(out, "chain length = {depth}: {n} {}", plural(n))?;
        }
        Ok(())
    }
}

/// The line git's `open_pack_index` prints for an index it can't use.
fn index_error_line(err: &Error, path: &Path) -> Option<String> {
    IndexProblem::of(err).map(|p| crate::git_words::index_problem(path, p))
}

/// git's `index-pack` words for what it finds reading a pack.
fn scan_message(err: &Error) -> String {
    let Error::Corrupt { offset, reason, .. } = err else {
        return err.to_string();
    };
    let bad = |why: &str| format!("pack has bad object at offset {offset}: {why}");
    match reason {
        Corruption::UnexpectedEnd => "early EOF".to_owned(),
        Corruption::BadPackSignature => "pack signature mismatch".to_owned(),
        Corruption::UnsupportedVersion(v) => format!("pack version {v} unsupported"),
        Corruption::BadObjectHeader => "object size too large for this platform".to_owned(),
        Corruption::BadObjectType(t) => bad(&format!("unknown object type {t}")),
        Corruption::BadDeltaBaseOffset => bad("delta base offset is out of bound"),
        Corruption::Inflate(e) => {
            // zlib's words come first, where packread's inflater has them.
            if let Some(words) = crate::git_words::zlib_words(*e) {
                eprintln!("error: inflate: data stream error ({words})");
            }
            bad("inflate returned -3")
        }
        // The stream ended short of the size announced: zlib's Z_STREAM_END;
        // or it goes on past it: Z_BUF_ERROR.
        Corruption::SizeMismatch { expected, actual } if actual < expected => {
            bad("inflate returned 1")
        }
        Corruption::SizeMismatch { .. } => bad("inflate returned -5"),
        // git's words, whatever the hash.
        Corruption::ChecksumMismatch { .. } => "pack is corrupted (SHA1 mismatch)".to_owned(),
        Corruption::TrailingData => "pack has junk at the end".to_owned(),
        Corruption::BadDelta(why) => {
            if let Some(line) = crate::git_words::delta_error_line(*why) {
                eprintln!("error: {line}");
            }
            bad("failed to apply delta")
        }
        Corruption::UnresolvedDeltas(1) => "pack has 1 unresolved delta".to_owned(),
        Corruption::UnresolvedDeltas(n) => format!("pack has {n} unresolved deltas"),
        other => other.to_string(),
    }
}

/// Verifies the pack `<base>.pack` as git's `index-pack --verify` does, and
/// writes the `-v` listing (`Some(false)`) or only its statistics
/// (`Some(true)`) to `out` first; the error is the fatal message.
///
/// The pack is walked through its index on every core; if that finds
/// anything wrong, it is read again from its bytes alone (git's order, git's
/// words for the first problem). The index and reverse index are then
/// compared with the files git would write for the pack, as git does.
fn verify_one(
    global: &Global,
    base: &str,
    hash: HashKind,
    listing: Option<bool>,
    out: &mut impl Write,
) -> Result<(), String> {
    let pack_path = PathBuf::from(format!("{base}.pack"));
    let idx = PathBuf::from(format!("{base}.idx"));
    if !pack_path.is_file() {
        return Err(format!(
            "Cannot open existing pack file '{}'",
            idx.display()
        ));
    }
    let opts: OpenOptions = global.options().hash(hash);
    let manager = opts.make_manager().map_err(|e| e.to_string())?;
    let cannot_open = |e: &Error| {
        if let Some(line) = index_error_line(e, &idx) {
            eprintln!("error: {line}");
        }
        format!("Cannot open existing pack idx file for '{}'", idx.display())
    };
    let index = PackIndex::open(&idx, &manager, hash).map_err(|e| cannot_open(&e))?;
    let version = index.version();
    let anomalies = index
        .anomalous_offsets(&mut index.cursor())
        .map_err(|e| cannot_open(&e))?;
    drop(index);

    let walked = opts
        .manager(manager.clone())
        .open_pack(&idx)
        .ok()
        .and_then(|odb| walk(global, &odb).ok());
    let (entries, checksum) = if let Some(found) = walked {
        found
    } else {
        // git looks each object up in the repository it runs in (to
        // check for a collision; a quick lookup, without a rescan), and
        // says so each time a lookup meets a pack it can't use.
        let quick = global.options().refresh_on_miss(false);
        let repo = global.open_gently(quick);
        let mut reader = repo.as_ref().map(|cx| cx.odb.reader());
        let this_pack = std::fs::canonicalize(&pack_path).ok();
        let mut same_pack: Vec<(PackId, bool)> = Vec::new();
        let mut collision = None;
        let seen = |o: &SeenObject| {
            if let (Some(cx), Some(r), None) = (&repo, &mut reader, &collision) {
                let mut is_this = |r: &mut Reader, pack: PackId| {
                    if let Some(&(_, same)) = same_pack.iter().find(|(p, _)| *p == pack) {
                        return same;
                    }
                    let path = r.odb().pack(pack).data_path().to_owned();
                    let same = this_pack.is_some() && std::fs::canonicalize(path).ok() == this_pack;
                    same_pack.push((pack, same));
                    same
                };
                collision = collision_test(r, o, &mut is_this).map(|e| match e {
                    Err(e) => died(e, &pack_path),
                    Ok(msg) => msg,
                });
                cx.report_warnings(r.take_refresh_warnings());
            }
        };
        let scanned = index_pack(&manager, &pack_path, hash, seen);
        // git dies at the first collision, before anything the scan met later.
        if let Some(msg) = collision {
            return Err(msg);
        }
        let indexed = scanned.map_err(|e| scan_message(&e))?;
        let checksum = indexed.checksum;
        (indexed.entries, checksum)
    };
    if let Some(stat_only) = listing {
        write_listing(&entries, out, stat_only).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    let mut records: Vec<IndexEntry> = entries.iter().map(EntryInfo::index_entry).collect();
    let expected = index_file(&mut records, &checksum, version, &anomalies);
    compare_with_file(&idx, &expected.bytes, hash.len(), expected.duplicate)?;
    let rev = PathBuf::from(format!("{base}.rev"));
    if rev.exists() && std::env::var_os("GIT_TEST_NO_WRITE_REV_INDEX").is_none() {
        let expected = reverse_index_file(&records, &checksum);
        compare_with_file(&rev, &expected, hash.len(), None)?;
    }
    Ok(())
}

/// git's check of an object it indexes against the repository's copy of it
/// (`index-pack`'s `sha1_object`): if the copy can't be read or differs,
/// git's fatal message, or the error git dies of inside its lookup (an
/// index entry pointing nowhere). A copy at the same place of the same
/// pack is the same bytes (`is_this` tells that pack).
fn collision_test(
    r: &mut Reader,
    o: &SeenObject,
    is_this: &mut impl FnMut(&mut Reader, PackId) -> bool,
) -> Option<Result<String, Error>> {
    let id = o.id;
    let dies = |e: &Error| {
        matches!(
            e,
            Error::Corrupt {
                reason: Corruption::OffsetOutOfRange(_) | Corruption::BadLargeOffsetIndex(_),
                ..
            }
        )
    };
    let no_info = || Some(Ok(format!("cannot read existing object info {id}")));
    let loc = match r.locate(&id) {
        Ok(Some(loc)) => loc,
        Ok(None) => return None,
        Err(e) if dies(&e) => return Some(Err(e)),
        Err(_) => return no_info(),
    };
    if let Location::Packed { pack, offset, .. } = loc
        && offset == o.offset
        && is_this(r, pack)
    {
        return None;
    }
    let collided = || Some(Ok(format!("SHA1 COLLISION FOUND WITH {id} !")));
    match r.header_location(&loc) {
        Ok(h) if h.kind != o.kind || h.size != o.size => return collided(),
        Ok(_) => {}
        Err(e) if dies(&e) => return Some(Err(e)),
        Err(_) => return no_info(),
    }
    let mut data = Vec::new();
    match r.read_location(&loc, &mut data) {
        Err(e) if dies(&e) => Some(Err(e)),
        Err(_) => Some(Ok(format!("cannot read existing object {id}"))),
        Ok(kind) if ObjectId::compute(id.kind(), kind, &data) != id => collided(),
        Ok(_) => None,
    }
}

/// What git dies of for `e`, met looking an object up while it verifies
/// the pack at `pack_path`: that pack named as it was given.
fn died(e: Error, pack_path: &Path) -> String {
    match e {
        Error::Corrupt {
            path,
            reason: Corruption::BadLargeOffsetIndex(_),
            ..
        } if std::fs::canonicalize(path.with_extension("pack")).ok()
            == std::fs::canonicalize(pack_path).ok() =>
        {
            crate::git_words::index_offset_beyond_end(&pack_path.display().to_string())
        }
        e => crate::fatal_message(e),
    }
}

/// How much git's `hashfile` buffers before it compares with the file.
const COMPARE_CHUNK: usize = 128 * 1024;

/// Compares `expected` (whose last `hash_len` bytes are its checksum) with
/// the file at `path` as git's `hashfd_check` does: the content in 128 KiB
/// pieces, then the checksum, then that nothing follows. A `duplicate` id
/// ends the comparison where git stops writing.
fn compare_with_file(
    path: &Path,
    expected: &[u8],
    hash_len: usize,
    duplicate: Option<(ObjectId, usize)>,
) -> Result<(), String> {
    let name = path.display();
    let mut file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let (content, trailer) = expected.split_at(expected.len() - hash_len);
    let mut buf = vec![0u8; COMPARE_CHUNK];
    let mut check = |piece: &[u8]| -> Result<(), String> {
        let got = read_full(&mut file, &mut buf[..piece.len()])
            .map_err(|e| format!("{name}: sha1 file read error: {e}"))?;
        if got != piece.len() {
            return Err(format!("{name}: sha1 file truncated"));
        }
        if buf[..got] != *piece {
            return Err(format!("sha1 file '{name}' validation error"));
        }
        Ok(())
    };
    for (i, piece) in content.chunks(COMPARE_CHUNK).enumerate() {
        if let Some((id, at)) = duplicate
            && i * COMPARE_CHUNK + piece.len() > at
        {
            return Err(format!("The same object {id} appears twice in the pack"));
        }
        check(piece)?;
    }
    check(trailer)?;
    let mut one = [0u8; 1];
    if read_full(&mut file, &mut one).map_err(|e| format!("{name}: error check: {e}"))? != 0 {
        return Err(format!("{name}: sha1 file has trailing garbage"));
    }
    Ok(())
}

/// Reads until `buf` is full or the file ends; how much was read.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The pack of `odb` walked through its index on every core: its entries
/// and its trailer, or an error if anything at all is wrong.
fn walk(global: &Global, odb: &Odb) -> Result<(Vec<EntryInfo>, ObjectId), Error> {
    let pack = &odb.packs()[0];
    // Each thread may hold two windows; under a small handle limit, fewer
    // threads, and the trailers hashed after the entries rather than beside.
    let room = odb.manager().max_file_handles().saturating_sub(2) / 2;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let threads = cores.min(room).max(1);
    let beside = room >= 2;
    let budget = global.delta_cache_budget();
    let mut progress = Progress::new(
        "Checking objects",
        u64::from(pack.len()),
        io::stderr().is_terminal(),
    );
    let done = AtomicU64::new(0);
    let check_trailers = || {
        let mut c = pack.cursors();
        pack.verify_checksum(&mut c)?;
        drop(c);
        pack.index().verify_checksum(&mut pack.index().cursor())
    };
    let (walked, trailers) = std::thread::scope(|s| {
        let walk = s.spawn(|| {
            let opts = VerifyOptions::new()
                .threads(threads)
                .memory_budget(budget)
                .progress(&done);
            odb.verify_pack(
                odb.pack_ids().next().expect("a database of one pack"),
                &opts,
            )
        });
        let trailers = beside.then(|| s.spawn(check_trailers));
        while progress.is_enabled() && !walk.is_finished() {
            progress.set(done.load(Ordering::Relaxed));
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let walked = walk.join().expect("verification threads don't panic");
        let trailers = match trailers {
            Some(t) => t.join().expect("hashing doesn't panic"),
            None => check_trailers(),
        };
        (walked, trailers)
    });
    let entries = walked?;
    progress.finish();
    trailers?;
    Ok((entries, pack.checksum()))
}
