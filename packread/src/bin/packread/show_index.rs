//! `packread show-index`: git's `show-index`, reading an index from stdin.

use std::io::{self, BufWriter, Read, Write};

use packread::{HashKind, ObjectId};

use crate::{Exit, Global};

const USAGE: &str =
    "usage: packread show-index [--object-format=<hash-algorithm>] < <pack-idx-file>";

/// Reads exactly `buf.len()` bytes, or says it couldn't.
fn read_exact(input: &mut impl Read, buf: &mut [u8]) -> Result<bool, Exit> {
    match input.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b.try_into().expect("4 bytes"))
}

/// Reads the arguments as git does: `--object-format` in one word or two,
/// arguments that are no options ignored; without the option, the hash of
/// the repository we are in (if any), else SHA-1.
pub fn run(global: &Global, args: Vec<String>) -> Result<i32, Exit> {
    let mut format: Option<String> = None;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        if let Some(v) = crate::option_value(&arg, "--object-format", &mut it) {
            format = Some(v.map_err(|_| {
                Exit::UsageLine("error: option `object-format' requires a value".into())
            })?);
        } else if arg == "-h" {
            return Err(Exit::Help(USAGE));
        } else if arg == "--" {
            break;
        } else if arg.starts_with('-') && arg.len() > 1 {
            return Err(crate::unknown_option(&arg, USAGE));
        }
    }
    let hash = match format.as_deref() {
        Some("sha1") => HashKind::Sha1,
        Some("sha256") => HashKind::Sha256,
        Some(_) => return Err(Exit::Fatal("Unknown hash algorithm".into())),
        None => global.repository_hash().unwrap_or_default(),
    };
    let stdin = io::stdin();
    let mut input = io::BufReader::new(stdin.lock());
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = show(&mut input, &mut out, hash);
    out.flush()?;
    result.map(|()| 0)
}

fn show(input: &mut impl Read, out: &mut impl Write, hash: HashKind) -> Result<(), Exit> {
    let die = |msg: &str| Exit::Fatal(msg.to_owned());
    let h = hash.len();
    let mut head = [0u8; 8];
    if !read_exact(input, &mut head)? {
        return Err(die("unable to read header"));
    }
    let mut fanout = [0u8; 1024];
    let version = if head[..4] == [0xff, b't', b'O', b'c'] {
        let v = be32(&head[4..]);
        if v != 2 {
            return Err(die("unknown index version"));
        }
        if !read_exact(input, &mut fanout)? {
            return Err(die("unable to read index"));
        }
        2
    } else {
        fanout[..8].copy_from_slice(&head);
        if !read_exact(input, &mut fanout[8..])? {
            return Err(die("unable to read index"));
        }
        1
    };
    let mut nr = 0u32;
    for i in 0..256 {
        let n = be32(&fanout[i * 4..i * 4 + 4]);
        if n < nr {
            return Err(die("corrupt index file"));
        }
        nr = n;
    }
    if version == 1 {
        let mut entry = vec![0u8; 4 + h];
        for i in 0..nr {
            if !read_exact(input, &mut entry)? {
                return Err(Exit::Fatal(format!("unable to read entry {i}/{nr}")));
            }
            writeln!(
                out,
                "{} {}",
                be32(&entry[..4]),
                ObjectId::from_bytes(hash, &entry[4..])
            )?;
        }
        return Ok(());
    }
    let n = nr as usize;
    let mut names = Vec::with_capacity(n);
    let mut name = vec![0u8; h];
    for i in 0..nr {
        if !read_exact(input, &mut name)? {
            return Err(Exit::Fatal(format!("unable to read sha1 {i}/{nr}")));
        }
        names.push(ObjectId::from_bytes(hash, &name));
    }
    let mut read_u32s = |what: &str| -> Result<Vec<u32>, Exit> {
        let mut v = Vec::with_capacity(n);
        let mut b = [0u8; 4];
        for i in 0..nr {
            if !read_exact(input, &mut b)? {
                return Err(Exit::Fatal(format!("unable to read {what} {i}/{nr}")));
            }
            v.push(be32(&b));
        }
        Ok(v)
    };
    let crcs = read_u32s("crc")?;
    let offsets = read_u32s("32b offset")?;
    let mut off64_nr = 0u32;
    for i in 0..n {
        let off = offsets[i];
        let offset = if off & 0x8000_0000 == 0 {
            u64::from(off)
        } else {
            if off & 0x7fff_ffff != off64_nr {
                return Err(die("inconsistent 64b offset index"));
            }
            let mut b = [0u8; 8];
            if !read_exact(input, &mut b)? {
                return Err(Exit::Fatal(format!("unable to read 64b offset {off64_nr}")));
            }
            off64_nr += 1;
            u64::from_be_bytes(b)
        };
        writeln!(out, "{offset} {} ({:08x})", names[i], crcs[i])?;
    }
    Ok(())
}
