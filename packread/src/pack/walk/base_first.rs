//! Every object of a pack handed to a callback, base first: each entry is
//! inflated once, each delta applied once to its base held in memory
//! (within a budget; past it, a base is decoded again from the pack), and
//! the delta trees are shared out between threads.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::error::{Corruption, Error};
use crate::object::{ObjectId, ObjectKind};
use crate::pack::decode::{self, DecodeState};
use crate::pack::delta;
use crate::pack::file::Pack;
use crate::pack::walk::tree::DeltaTree;
use crate::pack::walk::work_stack::{Work, threads_for};

/// A callback handed each object: its entry's offset, id, kind and bytes.
pub(crate) type Each<'a> = dyn Fn(u64, &ObjectId, ObjectKind, &[u8]) -> bool + Sync + 'a;

/// What a visit of a pack may use and must do.
pub(crate) struct Visit<'a> {
    /// Threads decoding at once.
    pub(crate) threads: usize,
    /// Bytes of decoded bases held for the deltas waiting for them.
    pub(crate) budget: usize,
    /// The longest delta chain read.
    pub(crate) max_chain: usize,
    /// Objects not to hand over (another pack answers for them).
    pub(crate) skip: &'a (dyn Fn(&ObjectId) -> bool + Sync),
    /// Called with each object and its entry's offset; `false` stops the
    /// walk.
    pub(crate) each: &'a Each<'a>,
}

/// Hands every object of `pack` to `v.each`, in an order that decodes each
/// entry once; `Ok(false)` if the callback stopped the walk.
pub(crate) fn visit_pack(pack: &Pack, v: &Visit<'_>) -> Result<bool, Error> {
    // Objects are handed over under the ids the index lists, not looked up
    // by them: a damaged id would name the wrong object. The index's own
    // checksum guards them (a few milliseconds even for a large pack).
    pack.index().verify_checksum(&mut pack.index().cursor())?;
    let threads = threads_for(pack, v.threads);
    let tree = DeltaTree::build(pack, threads)?;
    let held = AtomicUsize::new(0);
    let stopped = AtomicBool::new(false);
    let work = Work::of_roots(&tree);
    let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (work, tree, held, stopped) = (&work, &tree, &held, &stopped);
                s.spawn(move || {
                    let mut c = pack.cursors();
                    let mut st = DecodeState::new(0, v.max_chain);
                    let (mut delta_buf, mut reread, mut out) = (Vec::new(), Vec::new(), Vec::new());
                    while let Some(t) = work.next() {
                        let i = t.entry as usize;
                        let (offset, _) = tree.sorted[i];
                        let end = tree.end(i);
                        let h = tree.header(i);
                        let decoded = if t.depth as usize > v.max_chain {
                            Err(pack.corrupt(offset, Corruption::DeltaChainTooLong(v.max_chain)))
                        } else {
                            // A whole object is inflated where it is handed
                            // over from; a delta beside, then applied there.
                            let is_delta = h.kind.is_delta();
                            let inflated = if is_delta { &mut delta_buf } else { &mut out };
                            inflated.clear();
                            decode::inflate_entry(
                                pack,
                                &mut c,
                                st.inflater(),
                                (offset, end),
                                &h,
                                inflated,
                            )
                            .and_then(|_| {
                                if !is_delta {
                                    return Ok(());
                                }
                                let base = if let Some(b) = &t.base {
                                    &b.data
                                } else {
                                    // The base was not held: decode it again.
                                    let p = tree.parent(i) as usize;
                                    let base_offset = tree.sorted[p].0;
                                    decode::read_object(
                                        pack,
                                        0,
                                        &mut c,
                                        &mut st,
                                        base_offset,
                                        &mut reread,
                                    )?;
                                    &reread
                                };
                                delta::apply_delta(base, &delta_buf, &mut out)
                                    .map_err(|reason| pack.corrupt(offset, reason))
                            })
                        };
                        if let Err(e) = decoded {
                            work.fail();
                            return Err(e);
                        }
                        let id = &tree.id(i);
                        if !(v.skip)(id) && !(v.each)(offset, id, t.kind, &out) {
                            stopped.store(true, Ordering::Relaxed);
                            work.fail();
                            return Ok(());
                        }
                        work.finish(t, tree, &mut out, held, v.budget);
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("visiting threads don't panic"))
            .collect()
    });
    for r in results {
        r?;
    }
    Ok(!stopped.load(Ordering::Relaxed))
}
