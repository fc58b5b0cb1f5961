//! `--batch-all-objects --unordered --batch`: every object's contents in
//! git's pack order, each pack decoded once in offset order
//! ([`Odb::for_each_in_pack_order`]: threads inflate ahead, deltas are
//! applied in order to bases held for them) rather than object by object.
//! Loose objects, and whatever follows an entry the fast way can't read,
//! go through the batch renderer, which answers as git does.

use std::io::{self, BufWriter, Write};

use packread::{Location, ObjectId, Odb, PackId, Visited};

use super::BatchOptions;
use super::batch::{self, Job, Piece, Renderer, Spare};
use crate::context::Context;
use crate::format::Facts;
use crate::{Exit, Global};

/// Whether the fast way applies: contents of every object in pack order,
/// a format without the location atoms, and handles enough for the
/// inflating threads, the thread applying deltas and the renderer.
pub(super) fn applies(odb: &Odb, opts: &BatchOptions) -> bool {
    opts.all
        && opts.unordered
        && opts.mailmap.is_none()
        && opts.textconv.is_none()
        && opts.kind == super::Batch::Contents
        && !opts.format.needs_location()
        && odb.manager().max_file_handles() >= 8
}

/// Runs it.
pub(super) fn run(global: &Global, cx: &Context, opts: &BatchOptions) -> Result<i32, Exit> {
    let odb = &cx.odb;
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let spare = Spare::new(2);
    let mut renderer = Renderer::new(cx, opts, global.delta_cache_budget(), None, &spare);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = write_all(odb, opts, threads, &mut renderer, &mut out);
    // What was answered before a failure is written out before the failure
    // is reported.
    let flushed = out.flush();
    result?;
    flushed?;
    Ok(0)
}

/// Whether the only pack lists an object twice (git's order lists it once).
fn has_duplicates(odb: &Odb, pack: PackId) -> Result<bool, Exit> {
    let pack = odb.pack(pack);
    let index = pack.index();
    let mut c = index.cursor();
    let mut last = None;
    for pos in 0..pack.len() {
        let id = index.oid_at(&mut c, pos)?;
        if last == Some(id) {
            return Ok(true);
        }
        last = Some(id);
    }
    Ok(false)
}

fn write_all(
    odb: &Odb,
    opts: &BatchOptions,
    threads: usize,
    renderer: &mut Renderer<'_>,
    out: &mut impl Write,
) -> Result<(), Exit> {
    // A database of one pack and nothing else: every entry in offset order
    // is git's listing, which need not be built (on git.git, 68 MB).
    if odb.is_one_pack()? {
        let pack = odb.pack_ids().next().expect("one pack");
        if !has_duplicates(odb, pack)? {
            let Err(last) = fast_pack(odb, opts, threads, pack, None, out)? else {
                return Ok(());
            };
            for (id, loc) in odb.object_locations_pack_order()? {
                if matches!(loc, Location::Packed { offset, .. } if Some(offset) > last) {
                    slow(renderer, id, loc, out)?;
                }
            }
            return Ok(());
        }
    }
    let listed = odb.object_locations_pack_order()?;
    let mut i = 0;
    while i < listed.len() {
        let Location::Packed { pack, .. } = listed[i].1 else {
            // git describes a loose object through a normal lookup (packs
            // first, most recently used).
            let id = listed[i].0;
            let loc = renderer
                .reader()
                .locate(&id)?
                .ok_or(packread::Error::NotFound(id))?;
            slow(renderer, id, loc, out)?;
            i += 1;
            continue;
        };
        let offsets: Vec<u64> = listed[i..]
            .iter()
            .map_while(|(_, l)| match l {
                Location::Packed {
                    pack: p, offset, ..
                } if *p == pack => Some(*offset),
                _ => None,
            })
            .collect();
        let run = &listed[i..i + offsets.len()];
        if let Err(last) = fast_pack(odb, opts, threads, pack, Some(&offsets), out)? {
            // From the entry that failed on, object by object: the
            // renderer meets the failure and answers as git does.
            let from = offsets.partition_point(|&o| Some(o) <= last);
            for (id, loc) in &run[from..] {
                slow(renderer, *id, loc.clone(), out)?;
            }
        }
        i += offsets.len();
    }
    Ok(())
}

/// Writes the entries of `pack` in offset order (only those at `offsets`,
/// sorted, if given) the fast way; if it stopped at an entry it couldn't
/// read, `Err` with the offset of the last entry handed over (`None` if
/// none was): those up to it are written, the rest are not.
fn fast_pack(
    odb: &Odb,
    opts: &BatchOptions,
    threads: usize,
    pack: PackId,
    offsets: Option<&[u64]>,
    out: &mut impl Write,
) -> Result<Result<(), Option<u64>>, Exit> {
    let delim = if opts.nul_output { 0 } else { b'\n' };
    let null = odb.hash_kind().null();
    let mut line = Vec::new();
    let mut next = 0;
    let mut failed_write = None;
    let mut last = None;
    let fast = odb.for_each_in_pack_order(pack, threads, |object| {
        let &Visited { id, kind, data, .. } = object;
        last = object.offset;
        if let Some(offsets) = offsets {
            // An entry the listing has from another pack is decoded, not written.
            if offsets.get(next) != object.offset.as_ref() {
                return true;
            }
            next += 1;
        }
        let facts = Facts {
            id: *id,
            kind,
            size: data.len() as u64,
            disk_size: 0,
            delta_base: null,
            rest: &[],
        };
        line.clear();
        let written = opts
            .format
            .write(&mut line, &facts)
            .and_then(|()| {
                line.push(delim);
                out.write_all(&line)
            })
            .and_then(|()| out.write_all(data))
            .and_then(|()| out.write_all(&[delim]));
        match written {
            Ok(()) => true,
            Err(e) => {
                failed_write = Some(e);
                false
            }
        }
    });
    if let Some(e) = failed_write {
        return Err(e.into());
    }
    Ok(fast.map(|_| ()).map_err(|_| last))
}

/// One object through the batch renderer.
fn slow(
    renderer: &mut Renderer<'_>,
    id: ObjectId,
    loc: Location,
    out: &mut impl Write,
) -> Result<(), Exit> {
    let rendered = renderer.render(Job::Pieces(vec![Piece::Object(id, loc, Vec::new(), None)]));
    out.write_all(&rendered.bytes)?;
    batch::take_error(rendered)
}
