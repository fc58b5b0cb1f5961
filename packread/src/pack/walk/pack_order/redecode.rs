//! Bases decoded again in the pack-order pass: a delta whose base was let
//! go (the budget was full) or lies in another pack's order needs its base
//! decoded anew, from the nearest ancestor still held. The inflating threads
//! do it ahead for the deltas of their runs ([`decode_ahead`]), so that the
//! handing-over thread, which every entry waits for, mostly finds the base
//! ready; it decodes the rest itself ([`from_held_ancestor`]).

use std::ops::Range;
use std::sync::Mutex;

use crate::error::Error;
use crate::object::ObjectKind;
use crate::pack::cache::Worth;
use crate::pack::decode::DecodeState;
use crate::pack::delta;
use crate::pack::entry::EntryKind;
use crate::pack::file::{Pack, PackCursors};
use crate::pack::walk::pack_order::held_bases::{Seen, Shared, lock};
use crate::pack::walk::read_ahead::{Reach, ReadAhead, inflate_read_onto};
use crate::pack::walk::tree::{DeltaTree, ROOT};

/// How far up a chain [`from_held_ancestor`] looks for a held base.
const ANCESTORS: usize = 64;

/// The biggest read buffer kept for the next entries (a bigger one was a
/// big object's stream).
const KEPT_READ: usize = 64 << 10;

/// A base decoded ahead by an inflating thread, for deltas of its run.
pub(crate) struct Ready {
    /// The base's position in offset order.
    pub(crate) base: u32,
    pub(crate) kind: ObjectKind,
    /// Where its bytes lie in the run's buffer.
    pub(crate) at: Range<usize>,
}

/// Buffers for decoding bases again, kept between bases.
#[derive(Default)]
pub(crate) struct Scratch {
    delta: Vec<u8>,
    next: Vec<u8>,
    ahead: ReadAhead,
    /// A base decoded ahead, before it goes into the run's buffer.
    made: Vec<u8>,
}

/// Where the deltas of run `run` (entries `from..to`) take their bases from,
/// decoded ahead into `bytes` (the run's buffer, after its entries) for
/// those whose base the handing-over thread has passed (`passed`: the first
/// entry it has not; `done`: the runs it has handed over) and does not
/// hold, at most `cap` bytes of them. A base another run before this one
/// decodes ahead is left to it; a base that cannot be decoded is left to the
/// handing-over thread, which then says why.
///
/// The bases go into the run's buffer, which is kept for later runs, not
/// into one new buffer each, allocated on this thread and freed on the
/// handing-over thread at another time (what fragmented the allocator's
/// heaps when every inflated entry had its own buffer).
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_ahead(
    pack: &Pack,
    tree: &DeltaTree<'_>,
    (run, from, to): (usize, usize, usize),
    (passed, done): (usize, usize),
    seen: &Mutex<Seen>,
    (c, st): (&mut PackCursors, &mut DecodeState),
    scratch: &mut Scratch,
    (bytes, cap): (&mut Vec<u8>, usize),
) -> Vec<Ready> {
    let mut ready: Vec<Ready> = Vec::new();
    let start = bytes.len();
    for i in from..to {
        let p = tree.parent(i);
        if p == ROOT
            || p as usize >= passed
            || bytes.len() - start >= cap
            || ready.iter().any(|r| r.base == p)
        {
            continue;
        }
        if !lock(seen).claim(p, run, done) {
            continue;
        }
        let mut made = std::mem::take(&mut scratch.made);
        let held = &mut |a: u32| lock(seen).get(a);
        let decoded = from_held_ancestor(pack, tree, held, p, (c, st), &mut made, scratch);
        if let Ok(Some(kind)) = decoded
            && bytes.try_reserve(made.len()).is_ok()
        {
            let at = bytes.len()..bytes.len() + made.len();
            bytes.extend_from_slice(&made);
            ready.push(Ready { base: p, kind, at });
        }
        scratch.made = made;
        scratch.trim();
    }
    ready
}

/// Buffers of [`Scratch`] bigger than this are let go after use: a big
/// object's buffers kept on every thread for the rest of the pass add up.
const KEPT: usize = 1 << 20;

impl Scratch {
    /// Lets go of the buffers a big object left big.
    fn trim(&mut self) {
        for buf in [&mut self.delta, &mut self.next, &mut self.made] {
            if buf.capacity() > KEPT {
                *buf = Vec::new();
            }
        }
    }
}

/// Decodes entry `p` into `out` from the nearest of its bases that `held`
/// gives (or in the small cache `st` keeps, or else from the whole object
/// at the bottom of its chain), applying the deltas between. Returns `None`
/// if the chain is longer than [`ANCESTORS`].
///
/// These entries lie behind the inflating threads, anywhere in the pack:
/// they are read without mapping windows for them (see
/// [`inflate_unmapped`]).
pub(crate) fn from_held_ancestor(
    pack: &Pack,
    tree: &DeltaTree<'_>,
    held: &mut dyn FnMut(u32) -> Option<(ObjectKind, Shared)>,
    p: u32,
    (c, st): (&mut PackCursors, &mut DecodeState),
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
) -> Result<Option<ObjectKind>, Error> {
    let Scratch {
        delta, next, ahead, ..
    } = scratch;
    let mut chain = Vec::new();
    let mut a = p;
    let (kind, held) = loop {
        if let Some((kind, data)) = held(a) {
            break (kind, Some(data));
        }
        let offset = tree.sorted[a as usize].0;
        if let Some((kind, data)) = st.cache.get(0, offset) {
            out.clear();
            out.extend_from_slice(data);
            break (kind, None);
        }
        let up = tree.parent(a as usize);
        if up == ROOT {
            let EntryKind::Base(kind) = tree.header(a as usize).kind else {
                unreachable!("roots are whole objects")
            };
            inflate_unmapped(pack, tree, a as usize, (c, st), ahead, out)?;
            if !chain.is_empty() {
                // A base for more deltas, as `read_object` keeps it.
                st.cache.put(0, offset, kind, out, Worth::Base);
            }
            break (kind, None);
        }
        if chain.len() >= ANCESTORS {
            return Ok(None);
        }
        chain.push(a);
        a = up;
    };
    if chain.is_empty() {
        if let Some(data) = held {
            out.clear();
            out.extend_from_slice(&data);
        }
        return Ok(Some(kind));
    }
    let mut first = true;
    for &e in chain.iter().rev() {
        inflate_unmapped(pack, tree, e as usize, (c, st), ahead, delta)?;
        let base: &[u8] = match &held {
            Some(h) if first => h,
            _ => out,
        };
        let offset = tree.sorted[e as usize].0;
        delta::apply_delta(base, delta, next).map_err(|reason| pack.corrupt(offset, reason))?;
        std::mem::swap(out, next);
        first = false;
    }
    if held.is_none() {
        // As `read_object` keeps it.
        st.cache
            .put(0, tree.sorted[p as usize].0, kind, out, Worth::Base);
    }
    Ok(Some(kind))
}

/// Inflates entry `e` into `out` from a window if one is mapped over its
/// stream, else from bytes read from the file (to the end of the page the
/// stream ends in, kept in `ahead` for the next entries). These entries lie
/// behind the inflating threads, anywhere in the pack: under a
/// mapped-memory limit, a window mapped for one entry far back costs more
/// than a read, and then another window's unmapping, which stops every core
/// running the process to flush its TLB.
fn inflate_unmapped(
    pack: &Pack,
    tree: &DeltaTree<'_>,
    e: usize,
    (c, st): (&mut PackCursors, &mut DecodeState),
    ahead: &mut ReadAhead,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    out.clear();
    let entry = (tree.sorted[e].0, &tree.header(e), tree.end(e));
    let inflated = inflate_read_onto(pack, entry, (c, st), (ahead, Reach::PageEnd), out);
    if ahead.capacity() > KEPT_READ {
        // A big object's stream: not kept for the rest of the walk.
        *ahead = ReadAhead::default();
    }
    inflated
}
