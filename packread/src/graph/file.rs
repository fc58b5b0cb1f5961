//! One commit-graph file (a whole graph, or one layer of a split chain),
//! read through window cursors and checked as git's `parse_commit_graph`
//! checks it when it loads one.

use std::path::{Path, PathBuf};

use smmap::{MapManager, WindowCursor};

use crate::error::{Corruption, Error};
use crate::graph::problem::GraphProblem;
use crate::object::{HashKind, ObjectId, cmp_digests};
use crate::pack::chunks::{Chunks, read_toc};
use crate::pack::fanout::{self, Fanout};

/// `CGPH`.
const SIGNATURE: u32 = 0x4347_5048;
const HEADER_LEN: u64 = 8;
/// A parent slot that holds no parent.
pub(crate) const NO_PARENT: u32 = 0x7000_0000;
/// The bit of a second-parent slot that points into the extra edges, and of
/// an extra edge that ends the list.
pub(crate) const EDGE_LAST_OR_EXTRA: u32 = 0x8000_0000;
/// The bit of a generation-data entry that points into the overflow chunk.
const GENERATION_OVERFLOW: u32 = 0x8000_0000;

/// The changed-path Bloom filter settings of a `BDAT` chunk's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BloomSettings {
    /// The murmur3 variant: 1 (git's first, with a sign bug) or 2.
    pub hash_version: u32,
    /// How many bit positions a path sets.
    pub num_hashes: u32,
    /// Bits per changed path.
    pub bits_per_entry: u32,
}

/// Where the Bloom filter chunks are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BloomChunks {
    pub(crate) index: u64,
    pub(crate) data: u64,
    pub(crate) data_len: u64,
    pub(crate) settings: BloomSettings,
}

/// What the commit-data chunk holds for one commit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CommitData {
    pub(crate) tree: ObjectId,
    pub(crate) parent1: u32,
    pub(crate) parent2: u32,
    /// The topological level (generation number version 1).
    pub(crate) level: u32,
    /// Commit time, 34 bits.
    pub(crate) date: u64,
}

/// One commit-graph file.
#[derive(Debug)]
pub struct GraphFile {
    path: PathBuf,
    opened: WindowCursor,
    hash: HashKind,
    fanout: Fanout,
    oid_lookup: u64,
    commit_data: u64,
    extra_edges: Option<(u64, u64)>,
    base_graphs: Option<(u64, u64)>,
    generation_data: Option<u64>,
    generation_overflow: Option<(u64, u64)>,
    pub(crate) bloom: Option<BloomChunks>,
    /// Problems with optional chunks, which are then not used: git reports
    /// each and goes on.
    pub(crate) notes: Vec<GraphProblem>,
    checksum: ObjectId,
}

/// What to read of a graph file beyond what every use needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reading {
    /// `commitGraph.generationVersion` ≥ 2: read `GDA2`/`GDO2`.
    pub(crate) generation_data: bool,
    /// `commitGraph.changedPathsVersion` ≠ 0: read `BIDX`/`BDAT`.
    pub(crate) changed_paths: bool,
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().expect("4 bytes"))
}

impl GraphFile {
    /// Opens the graph file at `path`: `Ok(None)` if there is none,
    /// `Err` with git's reason if git would not use it.
    pub(crate) fn open(
        path: &Path,
        manager: &MapManager,
        hash: HashKind,
        reading: Reading,
    ) -> Result<Option<GraphFile>, GraphProblem> {
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(None);
        };
        if !meta.is_file() {
            return Ok(None);
        }
        let mut c = manager.make_cursor(path);
        let size = c.file_size().map_err(GraphProblem::unreadable)?;
        let h = hash.len() as u64;
        // Header, a one-chunk table, the fan-out and the trailer.
        if size < HEADER_LEN + 2 * 12 + 1024 + h {
            return Err(GraphProblem::TooSmall);
        }
        let mut head = [0u8; 8];
        read_exact(&mut c, 0, &mut head)?;
        let signature = be32(&head);
        if signature != SIGNATURE {
            return Err(GraphProblem::BadSignature(signature));
        }
        if head[4] != 1 {
            return Err(GraphProblem::UnsupportedVersion(head[4]));
        }
        let want = hash_version(hash);
        if head[5] != want {
            return Err(GraphProblem::HashVersionMismatch {
                found: head[5],
                expected: want,
            });
        }
        // The header's base count (`head[7]`) is not used: git reads the
        // base-graphs chunk's size instead.
        let count = head[6];
        if size < HEADER_LEN + (u64::from(count) + 1) * 12 + 1024 + h {
            return Err(GraphProblem::TooSmallForChunks(count));
        }
        let chunks = read_toc(&mut c, HEADER_LEN, count, size - h, 1)?;
        let chunk = |id: &[u8; 4]| chunks.find(*id);
        let (fanout, oidl, cdat) = required_chunks(&mut c, &chunks, h)?;
        let n = u64::from(fanout.total());
        let mut graph = GraphFile {
            path: path.to_owned(),
            opened: c.clone(),
            hash,
            fanout,
            oid_lookup: oidl,
            commit_data: cdat,
            extra_edges: chunk(b"EDGE"),
            base_graphs: chunk(b"BASE"),
            generation_data: None,
            generation_overflow: None,
            bloom: None,
            notes: Vec::new(),
            checksum: hash.null(),
        };
        if reading.generation_data
            && let Some((gda2, len)) = chunk(b"GDA2")
        {
            // A chunk of the wrong size is reported and not used.
            if len / 4 == n {
                graph.generation_data = Some(gda2);
                graph.generation_overflow = chunk(b"GDO2");
            } else {
                graph.notes.push(GraphProblem::GenerationsWrongSize);
            }
        }
        if reading.changed_paths {
            graph.read_bloom_chunks(&mut c, chunk(b"BIDX"), chunk(b"BDAT"), n)?;
        }
        let mut trailer = [0u8; 32];
        read_exact(&mut c, size - h, &mut trailer[..h as usize])?;
        graph.checksum = ObjectId::from_bytes(hash, &trailer[..h as usize]);
        c.unuse_region();
        graph.opened = c;
        Ok(Some(graph))
    }

    /// The Bloom filter chunks, kept only if both are there and sound.
    fn read_bloom_chunks(
        &mut self,
        c: &mut WindowCursor,
        bidx: Option<(u64, u64)>,
        bdat: Option<(u64, u64)>,
        n: u64,
    ) -> Result<(), GraphProblem> {
        let index = match bidx {
            Some((at, len)) if len / 4 == n => Some(at),
            Some(_) => {
                self.notes.push(GraphProblem::BloomIndexTooSmall);
                None
            }
            None => None,
        };
        let data = match bdat {
            Some((at, len)) if len >= 12 => {
                let mut head = [0u8; 12];
                read_exact(c, at, &mut head)?;
                Some((
                    at,
                    len,
                    BloomSettings {
                        hash_version: be32(&head),
                        num_hashes: be32(&head[4..]),
                        bits_per_entry: be32(&head[8..]),
                    },
                ))
            }
            Some((_, len)) => {
                self.notes.push(GraphProblem::BloomDataTooSmall(len));
                None
            }
            None => None,
        };
        if let (Some(index), Some((data, data_len, settings))) = (index, data) {
            self.bloom = Some(BloomChunks {
                index,
                data,
                data_len,
                settings,
            });
        }
        Ok(())
    }

    /// A cursor on the file, for the reading methods (on the file that was
    /// opened, even if another now has its name).
    pub fn cursor(&self) -> WindowCursor {
        self.opened.clone()
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many commits this file lists.
    pub fn len(&self) -> u32 {
        self.fanout.total()
    }

    /// Whether it lists none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file's trailing checksum: its name in a split chain.
    pub fn checksum(&self) -> ObjectId {
        self.checksum
    }

    /// Whether its corrected commit dates (`GDA2`) are read (every layer
    /// of its chain has them).
    pub fn has_generation_data(&self) -> bool {
        self.generation_data.is_some()
    }

    /// Stops reading its corrected commit dates (a chain mixing layers with
    /// and without them uses topological levels throughout, as git).
    pub(crate) fn forget_generation_data(&mut self) {
        self.generation_data = None;
    }

    /// The ids its `BASE` chunk lists, if it has that chunk.
    pub(crate) fn base_ids(&self, c: &mut WindowCursor) -> Result<Option<Vec<ObjectId>>, Error> {
        let Some((at, len)) = self.base_graphs else {
            return Ok(None);
        };
        let h = self.hash.len();
        let mut raw = vec![0u8; len as usize];
        self.read(c, at, &mut raw)?;
        Ok(Some(
            raw.chunks_exact(h)
                .map(|b| ObjectId::from_bytes(self.hash, b))
                .collect(),
        ))
    }

    /// The position in this file of `id`, if it lists it.
    pub(crate) fn lookup(&self, c: &mut WindowCursor, id: &ObjectId) -> Result<Option<u32>, Error> {
        let want = id.as_bytes();
        if want.len() != self.hash.len() {
            return Ok(None);
        }
        self.fanout.search(want, |i| {
            let id = self.id_at(c, i)?;
            Ok((cmp_digests(id.as_bytes(), want), fanout::key(id.as_bytes())))
        })
    }

    /// The id at position `lex` of this file.
    #[inline]
    pub(crate) fn id_at(&self, c: &mut WindowCursor, lex: u32) -> Result<ObjectId, Error> {
        let at = self.oid_lookup + u64::from(lex) * self.hash.len() as u64;
        Ok(match self.hash {
            HashKind::Sha1 => ObjectId::from_bytes(self.hash, &self.array::<20>(c, at)?),
            HashKind::Sha256 => ObjectId::from_bytes(self.hash, &self.array::<32>(c, at)?),
        })
    }

    /// Asks for the bytes a walk reads of position `lex` (its commit data,
    /// generation data and id) to be fetched into the processor's cache
    /// (see [`WindowCursor::prefetch`]).
    pub(crate) fn prefetch(&self, c: &WindowCursor, lex: u32) {
        c.prefetch(self.commit_data_at(lex));
        c.prefetch(self.oid_lookup + u64::from(lex) * self.hash.len() as u64);
        if let Some(gda2) = self.generation_data {
            c.prefetch(gda2 + u64::from(lex) * 4);
        }
    }

    /// Asks for the changed-path filter index entries of position `lex`
    /// (where its filter starts and ends) to be fetched into the
    /// processor's cache, for [`prefetch_filter`](Self::prefetch_filter).
    pub(crate) fn prefetch_filter_index(&self, c: &WindowCursor, lex: u32) {
        if let Some(b) = self.bloom {
            c.prefetch(b.index + u64::from(lex) * 4);
            if let Some(before) = lex.checked_sub(1) {
                c.prefetch(b.index + u64::from(before) * 4);
            }
        }
    }

    /// Asks for the first bytes of the changed-path filter of position
    /// `lex` to be fetched into the processor's cache: a walk that asks
    /// the filters reads them far apart (in date order, the file holds
    /// them in id order), a cache miss each.
    pub(crate) fn prefetch_filter(&self, c: &mut WindowCursor, lex: u32) {
        let Some(b) = self.bloom else {
            return;
        };
        let start = match lex.checked_sub(1) {
            None => 0,
            Some(before) => match self.filter_end(c, b, before) {
                Ok(end) => end,
                Err(_) => return,
            },
        };
        if start.saturating_add(12) < b.data_len {
            c.prefetch(b.data + 12 + start);
        }
    }

    /// Where the commit-data entry at position `lex` starts (a tree id,
    /// two parent slots, generation and date).
    fn commit_data_at(&self, lex: u32) -> u64 {
        self.commit_data + u64::from(lex) * (self.hash.len() as u64 + 16)
    }

    /// The commit-data entry at position `lex`.
    #[inline]
    pub(crate) fn commit_data(&self, c: &mut WindowCursor, lex: u32) -> Result<CommitData, Error> {
        let at = self.commit_data_at(lex);
        match self.hash {
            HashKind::Sha1 => Ok(self.parse_commit_data(&self.array::<36>(c, at)?)),
            HashKind::Sha256 => Ok(self.parse_commit_data(&self.array::<48>(c, at)?)),
        }
    }

    #[inline]
    fn parse_commit_data(&self, raw: &[u8]) -> CommitData {
        let h = self.hash.len();
        let high = be32(&raw[h + 8..]);
        CommitData {
            tree: ObjectId::from_bytes(self.hash, &raw[..h]),
            parent1: be32(&raw[h..]),
            parent2: be32(&raw[h + 4..]),
            level: high >> 2,
            date: (u64::from(high & 3) << 32) | u64::from(be32(&raw[h + 12..])),
        }
    }

    /// The two parent slots of the commit-data entry at position `lex`
    /// (the rest of the entry unread).
    #[inline]
    pub(crate) fn parent_slots(&self, c: &mut WindowCursor, lex: u32) -> Result<(u32, u32), Error> {
        let mut raw = [0u8; 8];
        let at = self.commit_data_at(lex) + self.hash.len() as u64;
        self.read(c, at, &mut raw)?;
        Ok((be32(&raw), be32(&raw[4..])))
    }

    /// The corrected commit date offset of position `lex`, if this file's
    /// generation data is read.
    #[inline]
    pub(crate) fn generation_offset(
        &self,
        c: &mut WindowCursor,
        lex: u32,
    ) -> Result<Option<u64>, Error> {
        let Some(gda2) = self.generation_data else {
            return Ok(None);
        };
        let at = gda2 + u64::from(lex) * 4;
        let v = u32::from_be_bytes(self.array::<4>(c, at)?);
        if v & GENERATION_OVERFLOW == 0 {
            return Ok(Some(u64::from(v)));
        }
        let i = u64::from(v ^ GENERATION_OVERFLOW);
        match self.generation_overflow {
            Some((gdo2, len)) if (i + 1) * 8 <= len => {
                Ok(Some(u64::from_be_bytes(self.array::<8>(c, gdo2 + i * 8)?)))
            }
            Some(_) => Err(self.corrupt(at, Corruption::GraphOverflowTooSmall)),
            None => Err(self.corrupt(at, Corruption::GraphOverflowMissing)),
        }
    }

    /// The extra edges from index `start` (the second-parent slot's value
    /// without its top bit) to the one marked last.
    pub(crate) fn extra_edges(&self, c: &mut WindowCursor, start: u32) -> Result<Vec<u32>, Error> {
        let Some((at, len)) = self.extra_edges else {
            return Err(self.corrupt(0, Corruption::GraphExtraEdgesOutOfBounds));
        };
        let mut out = Vec::new();
        let mut i = u64::from(start);
        loop {
            if (i + 1) * 4 > len {
                return Err(self.corrupt(at + i * 4, Corruption::GraphExtraEdgesOutOfBounds));
            }
            let mut raw = [0u8; 4];
            self.read(c, at + i * 4, &mut raw)?;
            let v = be32(&raw);
            out.push(v & !EDGE_LAST_OR_EXTRA);
            if v & EDGE_LAST_OR_EXTRA != 0 {
                return Ok(out);
            }
            i += 1;
        }
    }

    /// The Bloom filter of position `lex` (without the data chunk's
    /// header), put in `filter` (replacing what it held), and the
    /// settings, if this file has filters; the filter is left empty if
    /// its bounds are out of the chunk (git then has no filter for it).
    pub(crate) fn bloom_filter(
        &self,
        c: &mut WindowCursor,
        lex: u32,
        filter: &mut Vec<u8>,
    ) -> Result<Option<BloomSettings>, Error> {
        filter.clear();
        let Some(b) = self.bloom else {
            return Ok(None);
        };
        let end = self.filter_end(c, b, lex)?;
        let start = match lex.checked_sub(1) {
            None => 0,
            Some(before) => self.filter_end(c, b, before)?,
        };
        if start > end || end > b.data_len - 12 {
            return Ok(Some(b.settings));
        }
        filter.resize((end - start) as usize, 0);
        self.read(c, b.data + 12 + start, filter)?;
        Ok(Some(b.settings))
    }

    /// Where the changed-path filter of position `lex` ends in the filter
    /// data (its index entry; the next position's filter starts there).
    fn filter_end(&self, c: &mut WindowCursor, b: BloomChunks, lex: u32) -> Result<u64, Error> {
        Ok(u64::from(be32(
            &self.array::<4>(c, b.index + u64::from(lex) * 4)?,
        )))
    }

    /// The `N` bytes at `at` (a copy of a length known when compiled).
    #[inline]
    fn array<const N: usize>(&self, c: &mut WindowCursor, at: u64) -> Result<[u8; N], Error> {
        let mut raw = [0u8; N];
        // `read`'s steps, written out: through `read` the copy's length is
        // not known when compiled and each becomes a `memcpy` call (9 %
        // more instructions in `rev-list --count --topo-order`).
        if let Some(mapped) = c.mapped_at(at, N) {
            raw.copy_from_slice(mapped);
            return Ok(raw);
        }
        if c.read_at(at, &mut raw)? < N {
            return Err(self.corrupt(at, Corruption::TooSmall));
        }
        Ok(raw)
    }

    #[inline]
    fn read(&self, c: &mut WindowCursor, at: u64, buf: &mut [u8]) -> Result<(), Error> {
        // Most reads fall in the window the cursor holds: no placing.
        if let Some(mapped) = c.mapped_at(at, buf.len()) {
            buf.copy_from_slice(mapped);
            return Ok(());
        }
        if c.read_at(at, buf)? < buf.len() {
            return Err(self.corrupt(at, Corruption::TooSmall));
        }
        Ok(())
    }

    #[cold]
    fn corrupt(&self, offset: u64, reason: Corruption) -> Error {
        Error::corrupt(&self.path, offset, reason)
    }
}

/// The chunks every graph has, checked in git's order: the fan-out, and
/// where the id lookup and the commit data start.
fn required_chunks(
    c: &mut WindowCursor,
    chunks: &Chunks,
    h: u64,
) -> Result<(Fanout, u64, u64), GraphProblem> {
    let chunk = |id: &[u8; 4]| chunks.find(*id);
    let Some((oidf, oidf_len)) = chunk(b"OIDF") else {
        return Err(GraphProblem::MissingFanout(None));
    };
    if oidf_len != 1024 {
        return Err(GraphProblem::MissingFanout(Some(Box::new(
            GraphProblem::FanoutWrongSize,
        ))));
    }
    let mut raw = [0u8; 1024];
    read_exact(c, oidf, &mut raw)?;
    let fanout = Fanout::parse(&raw)
        .map_err(|_| GraphProblem::MissingFanout(Some(Box::new(GraphProblem::FanoutOutOfOrder))))?;
    let n = u64::from(fanout.total());
    let Some((oidl, oidl_len)) = chunk(b"OIDL") else {
        return Err(GraphProblem::MissingLookup(None));
    };
    if oidl_len / h != n {
        return Err(GraphProblem::MissingLookup(Some(Box::new(
            GraphProblem::LookupWrongSize,
        ))));
    }
    let Some((cdat, cdat_len)) = chunk(b"CDAT") else {
        return Err(GraphProblem::MissingCommitData(None));
    };
    if cdat_len / (h + 16) != n {
        return Err(GraphProblem::MissingCommitData(Some(Box::new(
            GraphProblem::CommitDataWrongSize,
        ))));
    }
    Ok((fanout, oidl, cdat))
}

/// The hash version byte git writes for `hash`.
fn hash_version(hash: HashKind) -> u8 {
    match hash {
        HashKind::Sha1 => 1,
        HashKind::Sha256 => 2,
    }
}

fn read_exact(c: &mut WindowCursor, at: u64, buf: &mut [u8]) -> Result<(), GraphProblem> {
    match c.read_at(at, buf) {
        Ok(n) if n == buf.len() => Ok(()),
        Ok(_) => Err(GraphProblem::TooSmall),
        Err(e) => Err(GraphProblem::unreadable(e)),
    }
}
