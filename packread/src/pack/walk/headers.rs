//! Every object header of a pack (kind and size), read in offset order: the
//! entry headers one after the other on each thread's stretch of the pack
//! (a delta's result size from the first bytes of its stream), then each
//! delta's kind from its base's. Looking them up in id order instead jumps
//! about the pack and walks each delta's chain.

use crate::error::{Corruption, Error};
use crate::object::ObjectKind;
use crate::pack::decode::{self, DecodeState};
use crate::pack::entry::EntryKind;
use crate::pack::file::Pack;
use crate::pack::walk::thread_stretches::fill_in_stretches;
use crate::pack::walk::work_stack::threads_for;

/// What the first pass finds for one entry.
#[derive(Clone, Copy)]
enum Found {
    Whole(ObjectKind),
    /// A delta on the entry at this position in offset order.
    Delta(u32),
}

/// Every object's kind and size, by index position, read with `threads`
/// threads.
pub(crate) fn by_position(pack: &Pack, threads: usize) -> Result<Vec<(ObjectKind, u64)>, Error> {
    let threads = threads_for(pack, threads);
    let sorted = pack.entries_by_offset(&mut pack.cursors())?;
    let n = sorted.len();
    let mut found = vec![(Found::Whole(ObjectKind::Blob), 0u64); n];
    fill_in_stretches(
        &mut found,
        &mut [] as &mut [()],
        threads,
        |start, out, _| {
            let mut c = pack.cursors();
            let mut st = DecodeState::new(0, 0);
            for (&(offset, _), slot) in sorted[start..].iter().zip(out.iter_mut()) {
                let h = pack.header_at(c.data_cursor(), offset)?;
                let base_offset = match h.kind {
                    EntryKind::Base(kind) => {
                        *slot = (Found::Whole(kind), h.size);
                        continue;
                    }
                    EntryKind::OfsDelta { base_offset } => base_offset,
                    EntryKind::RefDelta { base } => {
                        let missing = || pack.corrupt(offset, Corruption::MissingDeltaBase(base));
                        let pos = pack.index().lookup(c.index_cursor(), &base)?;
                        pack.checked_offset(&mut c, pos.ok_or_else(missing)?)?
                    }
                };
                let parent = pack
                    .position_of(c.index_cursor(), base_offset)?
                    .ok_or_else(|| pack.corrupt(offset, Corruption::BadDeltaBaseOffset))?;
                let size = decode::delta_result_size(pack, &mut c, &mut st, offset, &h)?;
                *slot = (Found::Delta(parent as u32), size);
            }
            Ok(())
        },
    )?;
    // Kinds: a delta's is its base's, found by following bases to a whole
    // object (remembered on the way back; a chain longer than the pack is a
    // cycle).
    let mut kinds: Vec<Option<ObjectKind>> = vec![None; n];
    let mut chain = Vec::new();
    for (i, &(offset, _)) in sorted.iter().enumerate() {
        let mut at = i;
        chain.clear();
        let kind = loop {
            if let Some(k) = kinds[at] {
                break k;
            }
            match found[at].0 {
                Found::Whole(k) => break k,
                Found::Delta(p) => {
                    chain.push(at);
                    if chain.len() > n {
                        return Err(pack.corrupt(offset, Corruption::DeltaCycle));
                    }
                    at = p as usize;
                }
            }
        };
        kinds[at] = Some(kind);
        for &j in &chain {
            kinds[j] = Some(kind);
        }
    }
    let mut headers = vec![(ObjectKind::Blob, 0); n];
    for (i, &(_, pos)) in sorted.iter().enumerate() {
        headers[pos as usize] = (kinds[i].expect("every kind resolved"), found[i].1);
    }
    Ok(headers)
}
