//! `packread verify-pack`: git's `verify-pack` (which runs `index-pack
//! --verify`), byte for byte: every entry's CRC32 and object hash, the pack
//! and index trailers, the `-v` listing and the chain-length histogram.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use packread::pack::verify::{EntryInfo, VerifyOptions};
use packread::{Corruption, Error, HashKind, Odb, OpenOptions};

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
        let base = arg
            .strip_suffix(".idx")
            .or_else(|| arg.strip_suffix(".pack"))
            .unwrap_or(&arg);
        let pack_name = format!("{base}.pack");
        let idx = PathBuf::from(format!("{base}.idx"));
        match hash.clone().and_then(|hash| verify_one(global, &idx, hash)) {
            Ok(report) => {
                if verbose || stat_only {
                    report.write(&mut out, stat_only)?;
                }
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

/// What a good pack's verification found.
struct Report {
    entries: Vec<EntryInfo>,
}

impl Report {
    fn write(&self, out: &mut impl Write, stat_only: bool) -> io::Result<()> {
        let mut histogram: BTreeMap<usize, u64> = BTreeMap::new();
        let mut non_delta = 0u64;
        for e in &self.entries {
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

/// git's message for an entry that fails: `pack has bad object at offset N: ...`.
/// git's words for a pack that can't be opened for verification.
fn open_message(err: &Error, idx: &Path, hash: HashKind) -> String {
    match err {
        // git hashes the pack and compares with its trailer, which the
        // index's copy no longer matches.
        Error::Corrupt {
            reason: Corruption::PackChecksumMismatch,
            ..
        } => format!("pack is corrupted ({} mismatch)", hash_name(hash)),
        Error::Corrupt {
            reason: Corruption::NonMonotonicFanout,
            ..
        } => {
            eprintln!("error: non-monotonic index {}", idx.display());
            format!("Cannot open existing pack idx file for '{}'", idx.display())
        }
        other => other.to_string(),
    }
}

fn entry_message(offset: u64, err: &Error) -> String {
    let why = match err {
        Error::Corrupt {
            reason: Corruption::Inflate(msg),
            ..
        } => {
            // zlib's words come first, where packread's inflater has them.
            if let Some(words) = crate::damage::zlib_words(msg) {
                eprintln!("error: inflate: data stream error ({words})");
            }
            "inflate returned -3".to_owned()
        }
        Error::Corrupt {
            reason: Corruption::TruncatedStream | Corruption::SizeMismatch { .. },
            ..
        } => "inflate returned -5".to_owned(),
        Error::Corrupt { reason, .. } => reason.to_string(),
        other => other.to_string(),
    };
    format!("pack has bad object at offset {offset}: {why}")
}

/// Verifies one pack; the error is the fatal message.
fn verify_one(global: &Global, idx: &Path, hash: HashKind) -> Result<Report, String> {
    if !idx.is_file() || !idx.with_extension("pack").is_file() {
        return Err(format!(
            "Cannot open existing pack file '{}'",
            idx.display()
        ));
    }
    let opts: OpenOptions = global.options().hash(hash);
    let odb = opts
        .open_pack(idx)
        .map_err(|e| open_message(&e, idx, hash))?;
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
    // The delta trees, base first, on every core; if anything is wrong, the
    // entries one by one in pack order, to name the first bad one as git does.
    // The trailers are hashed meanwhile; entry errors are reported first.
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
    let entries = match walked {
        Ok(entries) => entries,
        Err(walk_error) => {
            return Err(match first_bad_entry(&odb, threads, budget)? {
                Some((offset, e)) => entry_message(offset, &e),
                None => walk_error.to_string(),
            });
        }
    };
    progress.finish();
    trailers.map_err(|e| match e {
        Error::Corrupt {
            path,
            reason: Corruption::ChecksumMismatch { .. },
            ..
        } if path == pack.data_path() => {
            format!("pack is corrupted ({} mismatch)", hash_name(hash))
        }
        other => other.to_string(),
    })?;
    Ok(Report { entries })
}

/// The first entry in pack order that fails verification, checking entries
/// one by one (each read through its delta chain), split into one
/// contiguous run per thread.
fn first_bad_entry(
    odb: &Odb,
    threads: usize,
    budget: usize,
) -> Result<Option<(u64, Error)>, String> {
    let pack = &odb.packs()[0];
    let order = pack
        .entries_by_offset(&mut pack.cursors())
        .map_err(|e| e.to_string())?;
    let chunk = order.len().div_ceil(threads).max(1);
    let threads = order.len().div_ceil(chunk).max(1);
    let bad: Vec<Option<(u64, Error)>> = std::thread::scope(|s| {
        let workers: Vec<_> = order
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut r = odb.reader();
                    r.set_delta_base_cache_limit(budget / threads);
                    let mut buf = Vec::new();
                    part.iter().find_map(|&(offset, pos)| {
                        r.verify_entry(
                            odb.pack_ids().next().expect("a database of one pack"),
                            pos,
                            &mut buf,
                        )
                        .err()
                        .map(|e| (offset, e))
                    })
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("verification threads don't panic"))
            .collect()
    });
    Ok(bad.into_iter().flatten().min_by_key(|(offset, _)| *offset))
}

fn hash_name(hash: HashKind) -> &'static str {
    match hash {
        HashKind::Sha1 => "SHA1",
        HashKind::Sha256 => "SHA256",
    }
}
