//! `--batch-all-objects --batch-check` on a database of packs and nothing
//! else: every header of each pack read in offset order
//! ([`Odb::pack_headers`]), then written in id order, the packs' indices
//! merged, rather than each looked up by id, which jumps about the packs and
//! walks each delta chain.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use packread::pack::Pack;
use packread::smmap::WindowCursor;
use packread::{Header, ObjectId, ObjectKind, Odb, PackId};

use super::BatchOptions;
use crate::Exit;
use crate::format::Facts;

/// The packs (in git's lookup order) if the fast way applies: headers (no
/// contents, no location atoms) of every object, in id order, of a
/// database that is packs and nothing else.
pub(super) fn applies(odb: &Odb, opts: &BatchOptions) -> Result<Option<Vec<PackId>>, Exit> {
    if opts.all
        && !opts.unordered
        && opts.mailmap.is_none()
        && opts.textconv.is_none()
        && opts.kind == super::Batch::Check
        && !opts.format.needs_location()
    {
        // Each pack's index stays mapped through the merge, beside the
        // windows the header passes use: with fewer windows allowed than
        // that, the object-by-object way answers.
        let packs = odb.packs_only()?;
        let handles = odb.manager().max_file_handles();
        return Ok(packs.filter(|p| handles >= 6 + p.len()));
    }
    Ok(None)
}

/// One pack's ids, sorted, as the merge reads them.
struct Source {
    pack: Arc<Pack>,
    cursor: WindowCursor,
    /// The pack's headers by index position (empty if the format needs none).
    headers: Vec<Header>,
    next: u32,
}

/// Runs it on `packs` (in git's lookup order); `None` if a header can't be
/// read (nothing is written then: the object-by-object way answers as git
/// does).
pub(super) fn run(odb: &Odb, opts: &BatchOptions, packs: &[PackId]) -> Result<Option<i32>, Exit> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut sources = Vec::with_capacity(packs.len());
    for &pack in packs {
        let headers = if opts.format.needs_header() {
            match odb.pack_headers(pack, threads) {
                Ok(h) => h,
                Err(_) => return Ok(None),
            }
        } else {
            Vec::new()
        };
        let pack = odb.pack(pack);
        sources.push(Source {
            cursor: pack.index().cursor(),
            pack,
            headers,
            next: 0,
        });
    }
    let none = Header {
        kind: ObjectKind::Blob,
        size: 0,
    };
    let delim = if opts.nul_output { 0 } else { b'\n' };
    let null = odb.hash_kind().null();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    // (id, the pack's place in lookup order, its position): the smallest id
    // first, and of one id, the copy a lookup finds.
    let mut heap: BinaryHeap<Reverse<(ObjectId, usize, u32)>> = BinaryHeap::new();
    let advance = |k: usize,
                   sources: &mut [Source],
                   heap: &mut BinaryHeap<Reverse<(ObjectId, usize, u32)>>|
     -> Result<(), Exit> {
        let s = &mut sources[k];
        if s.next < s.pack.len() {
            let id = s.pack.index().oid_at(&mut s.cursor, s.next)?;
            heap.push(Reverse((id, k, s.next)));
            s.next += 1;
        }
        Ok(())
    };
    for k in 0..sources.len() {
        advance(k, &mut sources, &mut heap)?;
    }
    let mut line = Vec::with_capacity(256);
    let mut last = None;
    while let Some(Reverse((id, k, pos))) = heap.pop() {
        advance(k, &mut sources, &mut heap)?;
        // A pack may hold an object twice, and so may two packs: git lists
        // it once.
        if last == Some(id) {
            continue;
        }
        last = Some(id);
        let h = sources[k].headers.get(pos as usize).unwrap_or(&none);
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
