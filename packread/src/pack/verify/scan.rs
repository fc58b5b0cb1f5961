//! A pack indexed from its bytes alone, as `git index-pack` does it: the
//! entries read one after the other from the pack header on (each stream
//! inflated to find where the next entry starts, whole objects hashed on the
//! way), the trailer checked, then every delta resolved from its base down.
//!
//! This needs no index, so it is what `verify-pack` falls back on to say
//! what git says when the index is damaged: git's `index-pack --verify`
//! rebuilds the index this way and compares it with the file.

use std::path::Path;

use smmap::{MapManager, WindowCursor};

use crate::error::{Corruption, Error};
use crate::inflate::{InflateError, Inflater, inflate_onto, inflate_to, inflater};
use crate::object::{HashKind, ObjectId, ObjectKind};
use crate::pack::delta::apply_delta;
use crate::pack::entry::{self, EntryHeader, EntryKind, MAX_HEADER_LEN};
use crate::pack::file::{PACK_HEADER_LEN, parse_header};
use crate::pack::verify::EntryInfo;
use crate::pack::verify::checksum::{crc32_range, hash_range};
use crate::pack::write::IndexEntry;

/// The buffer whole objects are hashed through as they are inflated.
const CHUNK: usize = 256 * 1024;

/// A pack as [`index_pack`] found it.
#[derive(Clone, Debug)]
pub struct IndexedPack {
    /// Every entry, in pack order, as `git verify-pack -v` lists them.
    pub entries: Vec<EntryInfo>,
    /// The pack's trailer (which its content was checked against).
    pub checksum: ObjectId,
}

impl IndexedPack {
    /// The entries as an index records them, for
    /// [`index_file`](crate::pack::index_file) and
    /// [`reverse_index_file`](crate::pack::reverse_index_file).
    pub fn index_entries(&self) -> Vec<IndexEntry> {
        self.entries.iter().map(EntryInfo::index_entry).collect()
    }
}

/// One entry after the first pass.
struct Raw {
    offset: u64,
    header: EntryHeader,
    end: u64,
    crc32: u32,
    /// Known for whole objects after the first pass, for deltas once resolved.
    id: Option<ObjectId>,
    kind: Option<ObjectKind>,
    depth: usize,
    base: Option<u32>,
}

/// An object [`index_pack`] has just identified.
#[derive(Debug, Clone, Copy)]
pub struct SeenObject {
    /// Its id.
    pub id: ObjectId,
    /// Its entry's offset in the pack.
    pub offset: u64,
    /// Its kind (a delta's: its base's).
    pub kind: ObjectKind,
    /// Its size (a delta's: the result's).
    pub size: u64,
}

/// Reads the pack at `path` (ids of kind `hash`) through windows of
/// `manager` without its index, in git's `index-pack` order, and fails
/// where it fails: a file cut short ([`Corruption::UnexpectedEnd`]), a bad
/// header, an entry whose stream is invalid or of the wrong size, a trailer
/// that is not the hash of the content ([`Corruption::ChecksumMismatch`]),
/// bytes after it ([`Corruption::TrailingData`]), a delta that doesn't apply
/// to its base ([`Corruption::BadDelta`]), deltas with no base in the pack
/// ([`Corruption::UnresolvedDeltas`]).
///
/// `seen` is told each object as soon as its id is known, in git's order
/// (whole objects in pack order, then the deltas as they resolve): where
/// git looks each one up in the repository (its check for a collision with
/// an object it already has).
///
/// One thread; each entry is inflated once to find its end (and hashed if it
/// is a whole object), then once more if it is a delta or a base of one; the
/// objects of the delta chain being resolved are held in memory.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("scan", &[("hello.txt", "hello\n")])?;
/// # dir.git(&["gc", "-q"])?;
/// use packread::pack::verify::index_pack;
/// use packread::HashKind;
///
/// let odb = packread::Odb::open(&dir)?;
/// let pack = &odb.packs()[0];
/// let indexed = index_pack(odb.manager(), pack.data_path(), HashKind::Sha1, |_| {})?;
/// assert_eq!(indexed.entries.len(), 3); // the commit, its tree, the blob
/// assert_eq!(indexed.checksum, pack.checksum());
/// # Ok(()) }
/// ```
pub fn index_pack(
    manager: &MapManager,
    path: impl AsRef<Path>,
    hash: HashKind,
    mut seen: impl FnMut(&SeenObject),
) -> Result<IndexedPack, Error> {
    let path = path.as_ref();
    let corrupt = |offset, reason| Error::corrupt(path, offset, reason);
    let mut c = manager.make_cursor(path);
    let size = c.file_size()?;
    let mut head = [0u8; PACK_HEADER_LEN as usize];
    if c.read_at(0, &mut head)? < head.len() {
        return Err(corrupt(size, Corruption::UnexpectedEnd));
    }
    let (_, count) = parse_header(&head).map_err(|(at, why)| corrupt(at, why))?;
    let mut z = inflater();
    let mut buf = vec![0u8; CHUNK];
    let mut raw: Vec<Raw> = Vec::with_capacity(count.min(1 << 20) as usize);
    let mut pos = PACK_HEADER_LEN;
    for _ in 0..count {
        let e = first_pass(&mut c, &mut z, &mut buf, path, pos, size, hash)?;
        if let (Some(id), Some(kind)) = (e.id, e.kind) {
            seen(&SeenObject {
                id,
                offset: e.offset,
                kind,
                size: e.header.size,
            });
        }
        pos = e.end;
        raw.push(e);
    }
    let h = hash.len() as u64;
    if pos + h > size {
        return Err(corrupt(size, Corruption::UnexpectedEnd));
    }
    let actual = hash_range(&mut c, hash, pos)?;
    let mut trailer = [0u8; 32];
    c.read_at(pos, &mut trailer[..h as usize])?;
    let expected = ObjectId::from_bytes(hash, &trailer[..h as usize]);
    if actual != expected {
        return Err(corrupt(
            pos,
            Corruption::ChecksumMismatch { expected, actual },
        ));
    }
    if pos + h < size {
        return Err(corrupt(pos + h, Corruption::TrailingData));
    }
    resolve(&mut raw, &mut c, &mut z, path, hash, &mut seen)?;
    let entries = raw
        .iter()
        .map(|r| EntryInfo {
            id: r.id.expect("every entry resolved"),
            offset: r.offset,
            header: r.header,
            size_in_pack: r.end - r.offset,
            crc32: Some(r.crc32),
            kind: r.kind.expect("every entry resolved"),
            depth: r.depth,
            base: r
                .base
                .map(|b| raw[b as usize].id.expect("bases resolve first")),
        })
        .collect();
    Ok(IndexedPack {
        entries,
        checksum: expected,
    })
}

/// Maps an inflation failure of the entry at `offset`: a stream still going
/// at the end of the file means the file was cut.
fn inflate_failure(path: &Path, offset: u64, e: InflateError) -> Error {
    match e {
        InflateError::Corrupt(Corruption::TruncatedStream) => {
            Error::corrupt(path, offset, Corruption::UnexpectedEnd)
        }
        e => e.at(path, offset),
    }
}

/// Reads the entry at `offset`: its header, its stream to its end (hashing
/// a whole object on the way), its CRC32.
fn first_pass(
    c: &mut WindowCursor,
    z: &mut Inflater,
    buf: &mut [u8],
    path: &Path,
    offset: u64,
    size: u64,
    hash: HashKind,
) -> Result<Raw, Error> {
    let mut bytes = [0u8; MAX_HEADER_LEN];
    let n = c.read_at(offset, &mut bytes)?;
    let header = entry::decode_with(&bytes[..n], offset, hash, 1).map_err(|reason| {
        let reason = match reason {
            Corruption::BadObjectHeader if n < MAX_HEADER_LEN => Corruption::UnexpectedEnd,
            r => r,
        };
        Error::corrupt(path, offset, reason)
    })?;
    let data = offset + u64::from(header.header_len);
    let (consumed, id, kind) = if let EntryKind::Base(kind) = header.kind {
        let mut hasher = ObjectId::object_hasher(hash, kind, header.size);
        let consumed = inflate_to(z, c, data, size, header.size, buf, |p| hasher.update(p))
            .map_err(|e| inflate_failure(path, offset, e))?;
        let id = hasher
            .try_finish()
            .map_err(|col| Error::corrupt(path, offset, col.into()))?;
        (consumed, Some(id), Some(kind))
    } else {
        let consumed = inflate_to(z, c, data, size, header.size, buf, |_| {})
            .map_err(|e| inflate_failure(path, offset, e))?;
        (consumed, None, None)
    };
    let end = data + consumed;
    Ok(Raw {
        offset,
        header,
        end,
        crc32: crc32_range(c, offset, end)?,
        id,
        kind,
        depth: 0,
        base: None,
    })
}

/// A resolved object whose deltas are being applied.
struct Frame {
    entry: u32,
    data: Vec<u8>,
    children: Vec<u32>,
    next: usize,
}

/// Which entries are deltas of which: `(base entry, delta entry)` for
/// `OFS_DELTA`s, `(base id, delta entry)` for `REF_DELTA`s, sorted for
/// lookups.
struct DeltaEdges {
    by_offset: Vec<(u32, u32)>,
    by_id: Vec<(ObjectId, u32)>,
}

impl DeltaEdges {
    fn new(raw: &[Raw]) -> DeltaEdges {
        let mut by_offset: Vec<(u32, u32)> = Vec::new();
        let mut by_id: Vec<(ObjectId, u32)> = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            match r.header.kind {
                EntryKind::OfsDelta { base_offset } => {
                    if let Ok(b) = raw.binary_search_by_key(&base_offset, |r| r.offset) {
                        by_offset.push((b as u32, i as u32));
                    }
                }
                EntryKind::RefDelta { base } => by_id.push((base, i as u32)),
                EntryKind::Base(_) => {}
            }
        }
        by_offset.sort_unstable();
        by_id.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.cmp(&b.1)));
        DeltaEdges { by_offset, by_id }
    }

    /// The unresolved deltas whose base is entry `i` (by offset, or by id
    /// once `i` has one).
    fn children(&self, raw: &[Raw], i: u32) -> Vec<u32> {
        let from = self.by_offset.partition_point(|&(b, _)| b < i);
        let mut kids: Vec<u32> = self.by_offset[from..]
            .iter()
            .take_while(|&&(b, _)| b == i)
            .map(|&(_, k)| k)
            .collect();
        if let Some(id) = raw[i as usize].id {
            let from = self
                .by_id
                .partition_point(|(b, _)| b.as_bytes() < id.as_bytes());
            kids.extend(
                self.by_id[from..]
                    .iter()
                    .take_while(|(b, _)| *b == id)
                    .map(|&(_, k)| k),
            );
        }
        kids.retain(|&k| raw[k as usize].id.is_none());
        kids
    }
}

/// The inflated stream of the entry `r` of the pack at `path`.
fn inflate_raw(
    c: &mut WindowCursor,
    z: &mut Inflater,
    path: &Path,
    r: &Raw,
) -> Result<Vec<u8>, Error> {
    let size = usize::try_from(r.header.size)
        .map_err(|_| Error::corrupt(path, r.offset, Corruption::ObjectTooLarge(r.header.size)))?;
    let mut out = Vec::new();
    inflate_onto(
        z,
        c,
        r.offset + u64::from(r.header.header_len),
        r.end,
        &mut out,
        size,
    )
    .map_err(|e| inflate_failure(path, r.offset, e))?;
    Ok(out)
}

/// The second pass: from each whole object in pack order, its deltas, theirs,
/// and so on, depth first.
fn resolve(
    raw: &mut [Raw],
    c: &mut WindowCursor,
    z: &mut Inflater,
    path: &Path,
    hash: HashKind,
    seen: &mut impl FnMut(&SeenObject),
) -> Result<(), Error> {
    let edges = DeltaEdges::new(raw);
    let children = |raw: &[Raw], i: u32| edges.children(raw, i);
    let inflate = |c: &mut WindowCursor, z: &mut Inflater, r: &Raw| inflate_raw(c, z, path, r);
    let mut stack: Vec<Frame> = Vec::new();
    for root in 0..raw.len() as u32 {
        if raw[root as usize].header.kind.is_delta() {
            continue;
        }
        let kids = children(raw, root);
        if kids.is_empty() {
            continue;
        }
        let data = inflate(c, z, &raw[root as usize])?;
        stack.push(Frame {
            entry: root,
            data,
            children: kids,
            next: 0,
        });
        while let Some(top) = stack.last_mut() {
            let Some(&k) = top.children.get(top.next) else {
                stack.pop();
                continue;
            };
            top.next += 1;
            let (base, base_data) = (top.entry, &top.data);
            if raw[k as usize].id.is_some() {
                continue;
            }
            let delta = inflate(c, z, &raw[k as usize])?;
            let mut out = Vec::new();
            let offset = raw[k as usize].offset;
            apply_delta(base_data, &delta, &mut out)
                .map_err(|e| Error::corrupt(path, offset, e))?;
            let kind = raw[base as usize].kind.expect("a resolved base");
            let id = ObjectId::compute_checked(hash, kind, &out)
                .map_err(|col| Error::corrupt(path, offset, col.into()))?;
            seen(&SeenObject {
                id,
                offset,
                kind,
                size: out.len() as u64,
            });
            let depth = raw[base as usize].depth + 1;
            let r = &mut raw[k as usize];
            r.id = Some(id);
            r.kind = Some(kind);
            r.depth = depth;
            r.base = Some(base);
            let kids = children(raw, k);
            if !kids.is_empty() {
                stack.push(Frame {
                    entry: k,
                    data: out,
                    children: kids,
                    next: 0,
                });
            }
        }
    }
    let mut unresolved = raw.iter().filter(|r| r.id.is_none());
    if let Some(first) = unresolved.next() {
        let n = 1 + unresolved.count();
        return Err(Error::corrupt(
            path,
            first.offset,
            Corruption::UnresolvedDeltas(u32::try_from(n).unwrap_or(u32::MAX)),
        ));
    }
    Ok(())
}
