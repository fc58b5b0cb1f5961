//! `--batch-all-objects --batch-check` on a database of one pack: every
//! header read in offset order ([`Odb::pack_headers`]), then written in id
//! order (or in pack order with `--unordered`), rather than each looked up
//! by id, which jumps about the pack and walks each delta chain.

use std::io::{self, BufWriter, Write};

use packread::{Header, ObjectKind, Odb};

use super::BatchOptions;
use crate::Exit;
use crate::format::Facts;

/// Whether the fast way applies: headers (no contents, no location atoms)
/// of every object, in id order, of a database that is one pack and
/// nothing else.
pub(super) fn applies(odb: &Odb, opts: &BatchOptions) -> Result<bool, Exit> {
    Ok(opts.all
        && !opts.unordered
        && opts.kind == super::Batch::Check
        && !opts.format.needs_location()
        && odb.manager().max_file_handles() >= 6
        && odb.is_one_pack()?)
}

/// Runs it; `None` if a header can't be read (nothing is written then: the
/// object-by-object way answers as git does).
pub(super) fn run(odb: &Odb, opts: &BatchOptions) -> Result<Option<i32>, Exit> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let pack_id = odb.pack_ids().next().expect("one pack");
    let pack = odb.pack(pack_id);
    let headers = if opts.format.needs_header() {
        match odb.pack_headers(pack_id, threads) {
            Ok(h) => h,
            Err(_) => return Ok(None),
        }
    } else {
        Vec::new()
    };
    let none = Header {
        kind: ObjectKind::Blob,
        size: 0,
    };
    let delim = if opts.nul_output { 0 } else { b'\n' };
    let null = odb.hash_kind().null();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let index = pack.index();
    let mut c = index.cursor();
    let mut line = Vec::with_capacity(256);
    let mut last = None;
    for pos in 0..pack.len() {
        let id = index.oid_at(&mut c, pos)?;
        // A pack may hold an object twice: git lists it once.
        if last == Some(id) {
            continue;
        }
        last = Some(id);
        let h = headers.get(pos as usize).unwrap_or(&none);
        let facts = Facts {
            id,
            kind: h.kind,
            size: h.size,
            disk_size: 0,
            delta_base: null,
            rest: &[],
        };
        line.clear();
        opts.format.write(&mut line, &facts)?;
        line.push(delim);
        out.write_all(&line)?;
    }
    out.flush()?;
    Ok(Some(0))
}
