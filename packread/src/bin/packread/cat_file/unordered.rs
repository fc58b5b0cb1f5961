//! `--batch-all-objects --unordered --batch`: every object's contents in
//! git's pack order, each pack decoded once in offset order
//! ([`Odb::for_each_in_pack_order`]: threads inflate ahead, deltas are
//! applied in order to bases held for them) rather than object by object.
//! Loose objects, and whatever follows an entry the fast way can't read,
//! go through the batch renderer, which answers as git does.

use std::io::{self, BufWriter, Write};

use packread::{Location, ObjectId, Odb};

use super::BatchOptions;
use super::batch::{self, Job, Piece, Renderer, Spare};
use crate::format::Facts;
use crate::{Exit, Global};

/// Whether the fast way applies: contents of every object in pack order,
/// a format without the location atoms, and handles enough for the
/// inflating threads, the thread applying deltas and the renderer.
pub(super) fn applies(odb: &Odb, opts: &BatchOptions) -> bool {
    opts.all
        && opts.unordered
        && opts.kind == super::Batch::Contents
        && !opts.format.needs_location()
        && odb.manager().max_file_handles() >= 8
}

/// Runs it.
pub(super) fn run(global: &Global, odb: &Odb, opts: &BatchOptions) -> Result<i32, Exit> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let listed = odb.object_locations_pack_order()?;
    let spare = Spare::new(2);
    let mut renderer = Renderer::new(odb, opts, global.delta_cache_budget(), &spare);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = write_all(odb, opts, threads, &listed, &mut renderer, &mut out);
    // What was answered before a failure is written out before the failure
    // is reported.
    let flushed = out.flush();
    result?;
    flushed?;
    Ok(0)
}

fn write_all(
    odb: &Odb,
    opts: &BatchOptions,
    threads: usize,
    listed: &[(ObjectId, Location)],
    renderer: &mut Renderer<'_>,
    out: &mut impl Write,
) -> Result<(), Exit> {
    let delim = if opts.nul_output { 0 } else { b'\n' };
    let null = odb.hash_kind().null();
    let mut line = Vec::new();
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
        // The next listed entry not written yet (an entry the listing has
        // from another pack is decoded, not written).
        let mut next = 0;
        let mut failed_write = None;
        let fast = odb.for_each_in_pack_order(pack, threads, |offset, id, kind, data| {
            if offsets.get(next) != Some(&offset) {
                return true;
            }
            next += 1;
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
        if fast.is_err() {
            // From the entry that failed on, object by object: the
            // renderer meets the failure and answers as git does.
            for (id, loc) in &run[next..] {
                slow(renderer, *id, loc.clone(), out)?;
            }
        }
        i += offsets.len();
    }
    Ok(())
}

/// One object through the batch renderer.
fn slow(
    renderer: &mut Renderer<'_>,
    id: ObjectId,
    loc: Location,
    out: &mut impl Write,
) -> Result<(), Exit> {
    let rendered = renderer.render(Job::Pieces(vec![Piece::Object(id, loc, Vec::new())]));
    out.write_all(&rendered.bytes)?;
    batch::take_error(rendered)
}
