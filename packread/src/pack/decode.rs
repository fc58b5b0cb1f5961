//! Decoding pack entries into objects: header, inflation from the windows,
//! delta chains through the delta-base cache.

use std::sync::Arc;

use crate::error::{Corruption, Error};
use crate::inflate::{self, Inflater, inflate_onto, inflate_prefix};
use crate::object::ObjectId;
use crate::object::ObjectKind;
use crate::pack::cache::{DeltaBaseCache, Worth};
use crate::pack::delta;
use crate::pack::entry::{EntryHeader, EntryKind};
use crate::pack::file::{Pack, PackCursors};
use crate::pack::inflated_deltas::InflatedDeltas;
use crate::pack::shared_bases::SharedBases;

/// Longest delta chain followed before giving up (git writes at most 4095).
pub const DEFAULT_MAX_DELTA_CHAIN: usize = 10_000;

/// zlib can't compress better than about 1032:1; an entry that claims more
/// than this many bytes per compressed byte is corrupt (or hostile).
const MAX_DEFLATE_RATIO: u64 = 1032;

/// One delta of a chain being resolved.
#[derive(Clone, Copy, Debug)]
struct Link {
    offset: u64,
    data_offset: u64,
    size: u64,
}

/// Per-reader decoding state: the inflater, the delta-base cache and
/// buffers reused from object to object.
pub(crate) struct DecodeState {
    z: Box<Inflater>,
    pub(crate) cache: DeltaBaseCache,
    /// Deltas kept inflated (none unless the limit was split).
    deltas: InflatedDeltas,
    chain: Vec<Link>,
    delta: Vec<u8>,
    scratch: Vec<u8>,
    max_chain: usize,
    /// How many of the trees under a tree read on its chain are cached
    /// too (git caches every base on the way), besides its top and bottom.
    pub(crate) keep_tree_bases: usize,
    /// Where the whole objects under chains are shared with other readers.
    pub(crate) shared: Option<SharedBases>,
}

/// The share of a reader's cache limit that keeps deltas inflated: one
/// part in this many.
const DELTA_SHARE: usize = 4;

/// What decoding a packed object found out on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The object's kind.
    pub kind: ObjectKind,
    /// Number of deltas applied (0 for a whole object).
    pub depth: usize,
}

impl DecodeState {
    /// A state whose cache limit is split between the delta-base cache
    /// and inflated deltas (see [`set_cache_limit`](Self::set_cache_limit)).
    pub(crate) fn with_deltas(cache_limit: usize, max_chain: usize) -> DecodeState {
        let mut st = DecodeState::new(cache_limit, max_chain);
        st.set_cache_limit(cache_limit);
        st
    }

    /// Splits `limit` bytes between the delta-base cache (three quarters)
    /// and the deltas kept inflated (a quarter). 20,000 random reads on
    /// one CPU with 96 MiB: rust-analyzer 0.49-0.51 -> 0.43-0.44 s, git.git
    /// 0.65 -> 0.63 s, against the whole limit for bases; a sixth or a
    /// tenth kept less, a third no more, and the quarter added to the
    /// limit rather than taken from it no more either.
    pub(crate) fn set_cache_limit(&mut self, limit: usize) {
        let deltas = limit / DELTA_SHARE;
        self.cache.set_limit(limit - deltas);
        self.deltas.set_limit(deltas);
    }

    pub(crate) fn new(cache_limit: usize, max_chain: usize) -> DecodeState {
        DecodeState {
            z: inflate::inflater(),
            cache: DeltaBaseCache::new(cache_limit),
            deltas: InflatedDeltas::new(0),
            chain: Vec::new(),
            delta: Vec::new(),
            scratch: Vec::new(),
            max_chain,
            keep_tree_bases: 0,
            shared: None,
        }
    }

    /// The inflater, for callers that inflate entries themselves.
    pub(crate) fn inflater(&mut self) -> &mut Inflater {
        &mut self.z
    }
}

/// Checks that an entry's announced size is possible for its compressed
/// extent, then reserves room for it in `out` (emptied); returns the size.
pub(crate) fn prepare(
    pack: &Pack,
    offset: u64,
    h: &EntryHeader,
    out: &mut Vec<u8>,
) -> Result<usize, Error> {
    out.clear();
    reserve(pack, offset, h, out)
}

/// Checks that an entry's announced size is possible for its compressed
/// extent, then reserves room for it past the end of `out`; returns the
/// size.
pub(crate) fn reserve(
    pack: &Pack,
    offset: u64,
    h: &EntryHeader,
    out: &mut Vec<u8>,
) -> Result<usize, Error> {
    let data_offset = offset + u64::from(h.header_len);
    let room = pack.data_end().saturating_sub(data_offset);
    if h.size > room.saturating_mul(MAX_DEFLATE_RATIO) + 64 {
        return Err(pack.corrupt(offset, Corruption::ObjectTooLarge(h.size)));
    }
    let size = usize::try_from(h.size)
        .map_err(|_| pack.corrupt(offset, Corruption::ObjectTooLarge(h.size)))?;
    out.try_reserve_exact(size.saturating_add(inflate::OUTPUT_ROOM))
        .map_err(|_| pack.corrupt(offset, Corruption::ObjectTooLarge(h.size)))?;
    Ok(size)
}

/// Inflates the entry at `offset` (header `h`) onto the end of `out` (left
/// as it was on an error). Its stream must end before `limit`: the next
/// entry's offset where the caller knows it, else the end of the pack's
/// entries.
pub(crate) fn inflate_entry(
    pack: &Pack,
    c: &mut PackCursors,
    z: &mut Inflater,
    (offset, limit): (u64, u64),
    h: &EntryHeader,
    out: &mut Vec<u8>,
) -> Result<u64, Error> {
    let size = reserve(pack, offset, h, out)?;
    let data_offset = offset + u64::from(h.header_len);
    inflate::inflate_onto(z, c.data_cursor(), data_offset, limit, out, size)
        .map_err(|e| e.at(pack.data_path(), offset))
}

/// The offset of a `REF_DELTA` base, which must be in the same pack.
fn ref_base_offset(
    pack: &Pack,
    c: &mut PackCursors,
    offset: u64,
    base: &ObjectId,
) -> Result<u64, Error> {
    match pack.index().lookup(c.index_cursor(), base)? {
        Some(pos) => pack.checked_offset(c, pos),
        None => Err(pack.corrupt(offset, Corruption::MissingDeltaBase(*base))),
    }
}

/// Records the delta entry at `at` (header `h`) in the chain that started at
/// `start` and returns its base's offset, guarding against cycles and chains
/// longer than the limit.
fn follow(
    pack: &Pack,
    c: &mut PackCursors,
    st: &mut DecodeState,
    start: u64,
    at: u64,
    h: &EntryHeader,
) -> Result<u64, Error> {
    let base_offset = match h.kind {
        EntryKind::Base(_) => unreachable!("only deltas have bases"),
        EntryKind::OfsDelta { base_offset } => base_offset,
        EntryKind::RefDelta { base } => {
            let base_offset = ref_base_offset(pack, c, at, &base)?;
            // Only REF_DELTA can point forward; a cycle must take one.
            if base_offset == at || st.chain.iter().any(|l| l.offset == base_offset) {
                return Err(pack.corrupt(at, Corruption::DeltaCycle));
            }
            base_offset
        }
    };
    st.chain.push(Link {
        offset: at,
        data_offset: at + u64::from(h.header_len),
        size: h.size,
    });
    if st.chain.len() > st.max_chain {
        return Err(pack.corrupt(start, Corruption::DeltaChainTooLong(st.max_chain)));
    }
    Ok(base_offset)
}

/// Reads the object whose entry is at `offset` of pack number `pack_id` into
/// `out`, resolving its delta chain.
pub(crate) fn read_object(
    pack: &Pack,
    pack_id: u32,
    c: &mut PackCursors,
    st: &mut DecodeState,
    offset: u64,
    out: &mut Vec<u8>,
) -> Result<Decoded, Error> {
    let decoded = make_object(pack, pack_id, c, st, offset, out)?;
    // The object made (see `make_object`), a copy.
    if decoded.depth > 0 {
        st.cache
            .put(pack_id, offset, decoded.kind, out, Worth::Made);
    }
    Ok(decoded)
}

/// As [`read_object`], but the object is shared with the delta-base cache
/// rather than copied out of it or into it: one cached is handed over as
/// it is, one made from deltas goes into the cache as it is handed over.
/// `buf` is the buffer to make it in (a spare one, or empty).
pub(crate) fn read_object_shared(
    pack: &Pack,
    pack_id: u32,
    c: &mut PackCursors,
    st: &mut DecodeState,
    offset: u64,
    mut buf: Vec<u8>,
) -> Result<(Decoded, Arc<Vec<u8>>), Error> {
    if let Some((kind, data)) = st.cache.get_shared(pack_id, offset) {
        return Ok((Decoded { kind, depth: 0 }, data));
    }
    let decoded = make_object(pack, pack_id, c, st, offset, &mut buf)?;
    let data = Arc::new(buf);
    if decoded.depth > 0 && st.cache.admits(data.len(), Worth::Made) {
        st.cache.insert_shared(
            pack_id,
            offset,
            decoded.kind,
            Arc::clone(&data),
            Worth::Made,
        );
    }
    Ok((decoded, data))
}

/// Makes the object whose entry is at `offset` in `out`, resolving its
/// delta chain through the delta-base cache; the caller caches the object
/// made.
fn make_object(
    pack: &Pack,
    pack_id: u32,
    c: &mut PackCursors,
    st: &mut DecodeState,
    offset: u64,
    out: &mut Vec<u8>,
) -> Result<Decoded, Error> {
    st.chain.clear();
    let mut at = offset;
    // 1. Walk down the chain to a cached base or a whole object.
    let mut base_cached = false;
    let mut kind = loop {
        if st.cache.contains(pack_id, at) {
            base_cached = true;
            break ObjectKind::Blob; // replaced below from the cache entry
        }
        let h = pack.header_at(c.data_cursor(), at)?;
        if let EntryKind::Base(kind) = h.kind {
            let len = usize::try_from(h.size).unwrap_or(usize::MAX);
            if !st.chain.is_empty() && st.cache.admits(len, Worth::Base) {
                // The whole object under a chain, a base for more deltas:
                // made in the cache's buffer, and the first delta reads it
                // from there (no copy); shared with other readers if they
                // share their bases, or taken from them.
                let shared = st.shared.as_ref();
                if let Some((kind, data)) = shared.and_then(|s| s.get(pack_id, at)) {
                    st.cache.insert_shared(pack_id, at, kind, data, Worth::Base);
                    base_cached = true;
                    break kind;
                }
                let mut buf = st
                    .cache
                    .buffer_for(len.saturating_add(inflate::OUTPUT_ROOM));
                inflate_entry(pack, c, &mut st.z, (at, pack.data_end()), &h, &mut buf)?;
                match &st.shared {
                    Some(shared) => {
                        let data = Arc::new(buf);
                        shared.put(pack_id, at, kind, &data);
                        st.cache.insert_shared(pack_id, at, kind, data, Worth::Base);
                    }
                    None => st.cache.insert(pack_id, at, kind, buf, Worth::Base),
                }
                base_cached = true;
            } else {
                out.clear();
                inflate_entry(pack, c, &mut st.z, (at, pack.data_end()), &h, out)?;
            }
            break kind;
        }
        at = follow(pack, c, st, offset, at, &h)?;
    };
    let depth = st.chain.len();
    let mut base_at = at;
    if base_cached && depth == 0 {
        let (kind, data) = st.cache.get(pack_id, at).expect("checked above");
        out.clear();
        out.extend_from_slice(data);
        return Ok(Decoded { kind, depth });
    }
    // 2. Apply the deltas, innermost first. A cached base is used straight
    //    from the cache (no copy).
    while let Some(link) = st.chain.pop() {
        let h = EntryHeader {
            kind: EntryKind::OfsDelta {
                base_offset: base_at,
            },
            size: link.size,
            header_len: 0,
        };
        let delta = if let Some(kept) = st.deltas.get(pack_id, link.offset) {
            kept
        } else {
            let size = prepare(pack, link.data_offset, &h, &mut st.delta)?;
            inflate_onto(
                &mut st.z,
                c.data_cursor(),
                link.data_offset,
                pack.data_end(),
                &mut st.delta,
                size,
            )
            .map_err(|e| e.at(pack.data_path(), link.offset))?;
            st.deltas.insert(pack_id, link.offset, &st.delta);
            &st.delta
        };
        if base_cached {
            let (k, base) = st
                .cache
                .get(pack_id, base_at)
                .expect("checked above, and nothing was added since");
            kind = k;
            delta::apply_delta(base, delta, out)
                .map_err(|reason| pack.corrupt(link.offset, reason))?;
            base_cached = false;
        } else {
            delta::apply_delta(out, delta, &mut st.scratch)
                .map_err(|reason| pack.corrupt(link.offset, reason))?;
            std::mem::swap(out, &mut st.scratch);
        }
        base_at = link.offset;
        // The trees nearest the one read (`keep_tree_bases` of them), moved
        // into the cache (the next delta reads its base from there) for a
        // buffer of the cache's to make the next one in.
        if kind == ObjectKind::Tree
            && (1..=st.keep_tree_bases).contains(&st.chain.len())
            && st
                .cache
                .would_insert(pack_id, base_at, out.len(), Worth::Base)
        {
            let spare = st.cache.buffer_for(out.len());
            let made = std::mem::replace(out, spare);
            st.cache.insert(pack_id, base_at, kind, made, Worth::Base);
            base_cached = true;
        }
    }
    // 3. The caller caches the object made (as gitoxide does) and, above,
    //    the whole object at the bottom of its chain is cached, rather than
    //    each base on the way (as git does): the bases of a pack's deltas
    //    are mostly objects read themselves, earlier (pack order) or again
    //    (any order), and a copy or two per read keeps the cache from
    //    churning. Every object of the benchmark pack in id order: 4.1 s ->
    //    1.6 s; 20,000 at random 0.57 -> 0.25 s; pack order 0.60 -> 0.53 s.
    //    History walks keep the trees on the way too (`keep_tree_bases`,
    //    above): consecutive commits' trees share chains.
    Ok(Decoded { kind, depth })
}

/// The first bytes [`read_prefix`] inflates of a whole object (it inflates
/// on while `enough` says no): a commit's header lines through its committer
/// are 209–267 bytes long in nine of ten of git.git's, 219 in the middle.
const PREFIX_START: usize = 224;

/// Reads the object at `offset` into `out` as [`read_object`] does, but for
/// a whole (undeltified) object that isn't cached only as much of its start
/// as `enough` asks for: it is called on prefixes of growing length, and the
/// first it accepts is what `out` holds. Deltas, cached objects and objects
/// `enough` never accepts before their end are read whole (and checked).
///
/// A prefix is not checked past its end: what follows it in the stream, and
/// the stream's checksum, are not read.
pub(crate) fn read_prefix(
    pack: &Pack,
    pack_id: u32,
    c: &mut PackCursors,
    st: &mut DecodeState,
    offset: u64,
    out: &mut Vec<u8>,
    enough: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<Decoded, Error> {
    if !st.cache.contains(pack_id, offset) {
        let h = pack.header_at(c.data_cursor(), offset)?;
        if let EntryKind::Base(kind) = h.kind {
            let data = offset + u64::from(h.header_len);
            let accepted = inflate::inflate_until(
                &mut st.z,
                c.data_cursor(),
                (data, pack.data_end()),
                h.size,
                PREFIX_START,
                out,
                enough,
            )
            .map_err(|e| e.at(pack.data_path(), offset))?;
            if accepted {
                return Ok(Decoded { kind, depth: 0 });
            }
        }
    }
    read_object(pack, pack_id, c, st, offset, out)
}

/// The kind and size of the object at `offset`, without inflating more than
/// the first bytes of a delta (its size header), as git's `packed_object_info`.
pub(crate) fn read_header(
    pack: &Pack,
    c: &mut PackCursors,
    st: &mut DecodeState,
    offset: u64,
) -> Result<(ObjectKind, u64), Error> {
    let h = pack.header_at(c.data_cursor(), offset)?;
    let size = match h.kind {
        EntryKind::Base(kind) => return Ok((kind, h.size)),
        _ => delta_result_size(pack, c, st, offset, &h)?,
    };
    let (kind, _) = resolve_kind(pack, ChainWalk::Memo, c, st, offset, h)?;
    Ok((kind, size))
}

/// The result size a delta entry announces.
pub(crate) fn delta_result_size(
    pack: &Pack,
    c: &mut PackCursors,
    st: &mut DecodeState,
    offset: u64,
    h: &EntryHeader,
) -> Result<u64, Error> {
    let mut head = [0u8; 20];
    let want = head
        .len()
        .min(usize::try_from(h.size).unwrap_or(usize::MAX));
    let n = inflate_prefix(
        &mut st.z,
        c.data_cursor(),
        offset + u64::from(h.header_len),
        pack.data_end(),
        &mut head[..want],
    )
    .map_err(|e| e.at(pack.data_path(), offset))?;
    let (_, result, _) = delta::sizes(&head[..n]).map_err(|reason| pack.corrupt(offset, reason))?;
    Ok(result)
}

/// How far a walk down a delta chain goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChainWalk {
    /// Stops at the first entry whose kind the pack remembers, and
    /// remembers the kinds it finds (one byte per object, shared by all
    /// readers), so that the next walk through the same links stops early.
    Memo,
    /// Walks to the whole object at the bottom, for the chain's length.
    Full,
}

/// Follows a delta's bases (headers only) to the whole object at the bottom
/// (see [`ChainWalk`]): its kind, and the depth walked.
pub(crate) fn resolve_kind(
    pack: &Pack,
    walk: ChainWalk,
    c: &mut PackCursors,
    st: &mut DecodeState,
    offset: u64,
    first: EntryHeader,
) -> Result<(ObjectKind, usize), Error> {
    st.chain.clear();
    let memo = walk == ChainWalk::Memo;
    let mut at = offset;
    let mut h = first;
    let kind = loop {
        if let EntryKind::Base(kind) = h.kind {
            break kind;
        }
        at = follow(pack, c, st, offset, at, &h)?;
        if memo && let Some(kind) = pack.known_kind(c.index_cursor(), at)? {
            break kind;
        }
        h = pack.header_at(c.data_cursor(), at)?;
    };
    if memo && !st.chain.is_empty() {
        pack.remember_kind(c.index_cursor(), st.chain.iter().map(|l| l.offset), kind)?;
    }
    Ok((kind, st.chain.len()))
}
