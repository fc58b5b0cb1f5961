//! The commit-graph: git's index of commits (`objects/info/commit-graph`,
//! or a split chain under `objects/info/commit-graphs/`), which answers a
//! commit's parents, date, tree and generation without reading the commit,
//! read through window cursors. Loaded as git's `prepare_commit_graph`
//! loads it: the first object directory (the repository's own, then its
//! alternates) with a usable single file or chain; a layer git can't use
//! ends the chain there, with git's warning.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = packread::doctest::Scratch::committed("graph", &[("a.txt", "a\n")])?;
//! dir.git(&["commit-graph", "write", "--reachable"])?;
//! let repo = packread::Repository::discover(&dir)?;
//! let head = repo.rev_parse("HEAD")?;
//! let (graph, problems) = repo.commit_graph();
//! assert!(problems.is_empty());
//! let graph = graph.expect("written above");
//! let mut cursors = graph.cursors();
//! let pos = graph.find(&mut cursors, &head)?.expect("HEAD is in it");
//! let commit = graph.commit_at(&mut cursors, pos)?;
//! assert!(commit.parents.is_empty()); // the first commit
//! assert_eq!(graph.id_at(&mut cursors, pos)?, head);
//! # Ok(()) }
//! ```

mod file;
mod problem;

use std::path::{Path, PathBuf};

use smmap::{MapManager, WindowCursor};

use crate::error::{Corruption, Error};
use crate::object::{HashKind, ObjectId};

pub(crate) use file::Reading;
pub use file::{BloomSettings, GraphFile};
pub use problem::GraphProblem;

use file::{EDGE_LAST_OR_EXTRA, NO_PARENT};

/// A commit's generation when no graph lists it (git's
/// `GENERATION_NUMBER_INFINITY`).
pub const GENERATION_INFINITY: u64 = u64::MAX;

/// A loaded commit-graph: one file, or the layers of a chain (base first).
/// A commit's *graph position* counts the commits of the layers below its
/// own before its place in its layer.
#[derive(Debug)]
pub struct CommitGraph {
    layers: Vec<GraphFile>,
    /// Commits in the layers below each layer.
    below: Vec<u32>,
}

/// One cursor per layer of a [`CommitGraph`], for its reading methods.
#[derive(Debug, Clone)]
pub struct GraphCursors(Vec<WindowCursor>);

impl GraphCursors {
    /// Lets go of the windows the cursors hold (they stay mapped, idle).
    pub fn release(&mut self) {
        for c in &mut self.0 {
            c.unuse_region();
        }
    }
}

/// What the graph holds for one commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphCommit {
    /// The root tree.
    pub tree: ObjectId,
    /// The parents' graph positions, in order.
    pub parents: Vec<u32>,
    /// The committer date (seconds since the epoch).
    pub date: u64,
    /// git's generation: the corrected commit date where every layer has
    /// one, else the topological level.
    pub generation: u64,
}

impl CommitGraph {
    /// The graph git would use for the repository whose git directory is
    /// `git_dir` and whose objects `odb` reads, and what git would report
    /// while loading it: `None` where there is none, where none is usable,
    /// and where git reads none (`core.commitGraph=false`, shallow
    /// repositories, grafts).
    pub fn load(odb: &crate::Odb, git_dir: &Path) -> (Option<CommitGraph>, Vec<GraphProblem>) {
        let Some((generation_data, changed_paths)) =
            crate::git_dir::config::commit_graph_reading(git_dir)
        else {
            return (None, Vec::new());
        };
        let reading = Reading {
            generation_data,
            changed_paths,
        };
        let dirs = odb.set().dirs.clone();
        CommitGraph::open(&dirs, odb.manager(), odb.hash_kind(), reading)
    }

    /// The graph git would use for the object directories `dirs` (the
    /// repository's own first, then its alternates), and what git would
    /// report while loading it.
    pub(crate) fn open(
        dirs: &[PathBuf],
        manager: &MapManager,
        hash: HashKind,
        reading: Reading,
    ) -> (Option<CommitGraph>, Vec<GraphProblem>) {
        let mut problems = Vec::new();
        for dir in dirs {
            let single = dir.join("info/commit-graph");
            match GraphFile::open(&single, manager, hash, reading) {
                Ok(Some(mut file)) => {
                    problems.append(&mut file.notes);
                    return (Some(CommitGraph::of(vec![file])), problems);
                }
                Ok(None) => {}
                Err(p) => problems.push(p),
            }
            if let Some(graph) = open_chain(dir, dirs, manager, hash, reading, &mut problems) {
                return (Some(graph), problems);
            }
        }
        (None, problems)
    }

    fn of(mut layers: Vec<GraphFile>) -> CommitGraph {
        // Corrected commit dates only if every layer has them.
        if layers.iter().any(|l| !l.has_generation_data()) {
            for l in &mut layers {
                l.forget_generation_data();
            }
        }
        let mut below = Vec::with_capacity(layers.len());
        let mut n = 0u32;
        for l in &layers {
            below.push(n);
            n = n.saturating_add(l.len());
        }
        CommitGraph { layers, below }
    }

    /// New cursors for the reading methods.
    pub fn cursors(&self) -> GraphCursors {
        GraphCursors(self.layers.iter().map(GraphFile::cursor).collect())
    }

    /// The layers, base first.
    pub fn layers(&self) -> &[GraphFile] {
        &self.layers
    }

    /// How many commits it lists.
    pub fn len(&self) -> u32 {
        self.below.last().copied().unwrap_or(0) + self.layers.last().map_or(0, GraphFile::len)
    }

    /// Whether it lists no commit.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether git would use generation numbers from it (its top layer's
    /// first commit has a topological level): what decides, among other
    /// things, how `--topo-order` walks.
    pub fn generation_numbers_enabled(&self, cursors: &mut GraphCursors) -> bool {
        let Some(top) = self.layers.last() else {
            return false;
        };
        if top.is_empty() {
            return false;
        }
        let c = cursors.0.last_mut().expect("one per layer");
        top.commit_data(c, 0).is_ok_and(|d| d.level != 0)
    }

    /// Whether its generations are corrected commit dates (every layer
    /// has them), as git's `corrected_commit_dates_enabled`.
    pub fn corrected_commit_dates_enabled(&self) -> bool {
        !self.is_empty() && self.layers.iter().all(GraphFile::has_generation_data)
    }

    /// The graph position of `id`, if the graph lists it (the top layer is
    /// searched first, as git searches).
    pub fn find(&self, cursors: &mut GraphCursors, id: &ObjectId) -> Result<Option<u32>, Error> {
        for (i, layer) in self.layers.iter().enumerate().rev() {
            if let Some(lex) = layer.lookup(&mut cursors.0[i], id)? {
                return Ok(Some(self.below[i] + lex));
            }
        }
        Ok(None)
    }

    /// The layer holding graph position `pos`, and the position in it.
    #[inline]
    fn layer_of(&self, pos: u32) -> Result<(usize, u32), Error> {
        // One file (most graphs): no search through the layers.
        let i = if self.layers.len() == 1 {
            0
        } else {
            self.below.partition_point(|&b| b <= pos).saturating_sub(1)
        };
        let layer = &self.layers[i];
        let lex = pos - self.below[i];
        if lex >= layer.len() {
            return Err(Error::corrupt(
                layer.path(),
                0,
                Corruption::GraphPositionOutOfRange(pos),
            ));
        }
        Ok((i, lex))
    }

    /// Asks for what a walk reads of the commit at graph position `pos` to
    /// be fetched into the processor's cache while it does other work: the
    /// positions a walk goes to next are far apart in the graph.
    pub(crate) fn prefetch(&self, cursors: &GraphCursors, pos: u32) {
        if let Ok((i, lex)) = self.layer_of(pos) {
            self.layers[i].prefetch(&cursors.0[i], lex);
        }
    }

    /// Asks for the changed-path filter index entries of the commit at
    /// graph position `pos` to be fetched into the processor's cache (see
    /// [`prefetch_filter`](Self::prefetch_filter)).
    pub(crate) fn prefetch_filter_index(&self, cursors: &GraphCursors, pos: u32) {
        if let Ok((i, lex)) = self.layer_of(pos) {
            self.layers[i].prefetch_filter_index(&cursors.0[i], lex);
        }
    }

    /// Asks for the start of the changed-path filter of the commit at
    /// graph position `pos` to be fetched into the processor's cache,
    /// reading where it starts (best asked for before, with
    /// [`prefetch_filter_index`](Self::prefetch_filter_index)).
    pub(crate) fn prefetch_filter(&self, cursors: &mut GraphCursors, pos: u32) {
        if let Ok((i, lex)) = self.layer_of(pos) {
            self.layers[i].prefetch_filter(&mut cursors.0[i], lex);
        }
    }

    /// The id at graph position `pos`.
    #[inline]
    pub fn id_at(&self, cursors: &mut GraphCursors, pos: u32) -> Result<ObjectId, Error> {
        let (i, lex) = self.layer_of(pos)?;
        self.layers[i].id_at(&mut cursors.0[i], lex)
    }

    /// The root tree of the commit at graph position `pos`.
    pub(crate) fn tree_at(&self, cursors: &mut GraphCursors, pos: u32) -> Result<ObjectId, Error> {
        let (i, lex) = self.layer_of(pos)?;
        Ok(self.layers[i].commit_data(&mut cursors.0[i], lex)?.tree)
    }

    /// The graph positions of the parents of the commit at graph position
    /// `pos`, put in `parents` (the first only, with `first_parent`),
    /// checked as [`commit_at`](Self::commit_at) checks them.
    #[inline]
    pub(crate) fn parent_positions(
        &self,
        cursors: &mut GraphCursors,
        pos: u32,
        first_parent: bool,
        parents: &mut Vec<u32>,
    ) -> Result<(), Error> {
        parents.clear();
        let (i, lex) = self.layer_of(pos)?;
        let c = &mut cursors.0[i];
        let slots = self.layers[i].parent_slots(c, lex)?;
        self.push_parents(i, c, slots, first_parent, parents)
    }

    /// Puts the parents two parent slots of layer `i` name in `parents`
    /// (the first only, with `first_parent`), each checked to lie in the
    /// graph, the extra edges read from `c`.
    #[inline]
    fn push_parents(
        &self,
        i: usize,
        c: &mut WindowCursor,
        (parent1, parent2): (u32, u32),
        first_parent: bool,
        parents: &mut Vec<u32>,
    ) -> Result<(), Error> {
        let total = self.len();
        if parent1 == NO_PARENT {
            return Ok(());
        }
        if parent1 >= total {
            return Err(self.out_of_range(i, parent1));
        }
        parents.push(parent1);
        if first_parent {
            return Ok(());
        }
        if parent2 & EDGE_LAST_OR_EXTRA != 0 {
            for p in self.layers[i].extra_edges(c, parent2 & !EDGE_LAST_OR_EXTRA)? {
                if p >= total {
                    return Err(self.out_of_range(i, p));
                }
                parents.push(p);
            }
        } else if parent2 != NO_PARENT {
            if parent2 >= total {
                return Err(self.out_of_range(i, parent2));
            }
            parents.push(parent2);
        }
        Ok(())
    }

    /// A parent position `p` of layer `i` past the graph's end.
    #[cold]
    fn out_of_range(&self, i: usize, p: u32) -> Error {
        Error::corrupt(
            self.layers[i].path(),
            0,
            Corruption::GraphPositionOutOfRange(p),
        )
    }

    /// What the graph holds for the commit at graph position `pos`.
    pub fn commit_at(&self, cursors: &mut GraphCursors, pos: u32) -> Result<GraphCommit, Error> {
        let mut parents = Vec::new();
        let (tree, date, generation) = self.commit_parts(cursors, pos, &mut parents)?;
        Ok(GraphCommit {
            tree,
            parents,
            date,
            generation,
        })
    }

    /// [`commit_at`](Self::commit_at) without an allocation: the tree,
    /// date and generation, the parents' positions put in `parents`.
    #[inline]
    pub(crate) fn commit_parts(
        &self,
        cursors: &mut GraphCursors,
        pos: u32,
        parents: &mut Vec<u32>,
    ) -> Result<(ObjectId, u64, u64), Error> {
        parents.clear();
        let (i, lex) = self.layer_of(pos)?;
        let layer = &self.layers[i];
        let c = &mut cursors.0[i];
        let data = layer.commit_data(c, lex)?;
        self.push_parents(i, c, (data.parent1, data.parent2), false, parents)?;
        let generation = match layer.generation_offset(c, lex)? {
            Some(offset) => data.date.saturating_add(offset),
            None => u64::from(data.level),
        };
        Ok((data.tree, data.date, generation))
    }
}

impl CommitGraph {
    /// The settings of the changed-path Bloom filters of the topmost layer
    /// that has filters (git's `get_bloom_filter_settings`), if any.
    pub fn bloom_settings(&self) -> Option<BloomSettings> {
        self.layers
            .iter()
            .rev()
            .find_map(|l| l.bloom.map(|b| b.settings))
    }

    /// The changed-path Bloom filter of the commit at graph position `pos`
    /// and its layer's settings, if its layer has filters git would use (an
    /// empty filter where the index points outside the data: git has none
    /// for that commit).
    pub fn changed_paths_filter(
        &self,
        cursors: &mut GraphCursors,
        pos: u32,
    ) -> Result<Option<(BloomSettings, Vec<u8>)>, Error> {
        let mut filter = Vec::new();
        let settings = self.changed_paths_filter_into(cursors, pos, &mut filter)?;
        Ok(settings.map(|s| (s, filter)))
    }

    /// [`changed_paths_filter`](Self::changed_paths_filter) into `filter`
    /// (replacing what it held), for a caller that reads many.
    pub(crate) fn changed_paths_filter_into(
        &self,
        cursors: &mut GraphCursors,
        pos: u32,
        filter: &mut Vec<u8>,
    ) -> Result<Option<BloomSettings>, Error> {
        let (i, lex) = self.layer_of(pos)?;
        self.layers[i].bloom_filter(&mut cursors.0[i], lex, filter)
    }
}

/// Whether a (non-empty) changed-path filter may hold each of `keys` (the
/// path's and its directories'): every bit of each key set.
pub(crate) fn filter_may_hold(filter: &[u8], keys: &[Vec<u32>]) -> bool {
    let bits = filter.len() as u64 * 8;
    keys.iter().all(|key| {
        key.iter().all(|&h| {
            let at = u64::from(h) % bits;
            filter[(at / 8) as usize] & (1 << (at % 8)) != 0
        })
    })
}

/// The split chain of `dir`, as much of it as git would use.
fn open_chain(
    dir: &Path,
    dirs: &[PathBuf],
    manager: &MapManager,
    hash: HashKind,
    reading: Reading,
    problems: &mut Vec<GraphProblem>,
) -> Option<CommitGraph> {
    let chain_file = dir.join("info/commit-graphs/commit-graph-chain");
    let text = std::fs::read(&chain_file).ok()?;
    let hex = hash.len() * 2;
    if text.len() < hex {
        // An empty file is no chain.
        if !text.is_empty() {
            problems.push(GraphProblem::ChainTooSmall);
        }
        return None;
    }
    let count = text.len() / (hex + 1);
    let mut layers: Vec<GraphFile> = Vec::new();
    let mut ids: Vec<ObjectId> = Vec::new();
    for line in text.split(|&b| b == b'\n').take(count) {
        let parsed = line
            .get(..hex)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(ObjectId::from_hex)
            .filter(|id| id.kind() == hash);
        let Some(id) = parsed else {
            problems.push(GraphProblem::ChainLineNotAHash(
                String::from_utf8_lossy(line).into_owned(),
            ));
            break;
        };
        let name = format!(
            "info/commit-graphs/graph-{}.graph",
            &String::from_utf8_lossy(&line[..hex])
        );
        // The first object directory that has the file holds the layer.
        let mut added = false;
        for d in dirs {
            match GraphFile::open(&d.join(&name), manager, hash, reading) {
                Ok(None) => continue,
                Ok(Some(mut file)) => {
                    problems.append(&mut file.notes);
                    match fits(&file, &layers, &ids) {
                        Ok(()) => {
                            ids.push(id);
                            layers.push(file);
                            added = true;
                        }
                        Err(p) => problems.push(p),
                    }
                }
                // A file git can't load: the next directory may have one.
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            }
            break;
        }
        if !added {
            problems.push(GraphProblem::MissingChainFiles);
            break;
        }
    }
    if layers.is_empty() {
        return None;
    }
    disable_mixed_bloom_settings(&mut layers, problems);
    Some(CommitGraph::of(layers))
}

/// Whether `file` may go on top of `layers` (named `ids`), as git's
/// `add_graph_to_chain` checks: its base-graphs chunk names them, and the
/// chain file names the layers whose checksums they are.
fn fits(file: &GraphFile, layers: &[GraphFile], ids: &[ObjectId]) -> Result<(), GraphProblem> {
    let n = layers.len();
    let bases = file
        .base_ids(&mut file.cursor())
        .map_err(|_| GraphProblem::BaseGraphsTooSmall)?;
    let bases = match bases {
        None if n > 0 => return Err(GraphProblem::NoBaseGraphsChunk),
        None => Vec::new(),
        Some(b) => b,
    };
    if bases.len() < n {
        return Err(GraphProblem::BaseGraphsTooSmall);
    }
    for (k, layer) in layers.iter().enumerate() {
        if ids[k] != layer.checksum() || bases[k] != ids[k] {
            return Err(GraphProblem::ChainMismatch);
        }
    }
    Ok(())
}

/// Turns off the Bloom filters of every layer whose settings differ from
/// those of the topmost layer that has filters, as git does.
fn disable_mixed_bloom_settings(layers: &mut [GraphFile], problems: &mut Vec<GraphProblem>) {
    let mut first: Option<BloomSettings> = None;
    for layer in layers.iter_mut().rev() {
        let Some(b) = layer.bloom else { continue };
        match first {
            None => first = Some(b.settings),
            Some(s) if s == b.settings => {}
            Some(_) => {
                layer.bloom = None;
                problems.push(GraphProblem::BloomSettingsDiffer(layer.checksum()));
            }
        }
    }
}
