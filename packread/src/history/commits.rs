//! The commits a walk has met: an arena of nodes (id, parents, date,
//! generation, walk flags), filled as git fills its `struct commit`s — from
//! the commit-graph when it lists the commit, else from the commit object
//! parsed as git's `parse_commit_buffer` parses it.

use std::sync::Arc;

use crate::error::Error;
use crate::git_dir::shallow::Shallow;
use crate::graph::{CommitGraph, GENERATION_INFINITY, GraphCursors};
use crate::object::{HashKind, ObjectId, ObjectKind};
use crate::odb::Reader;
use crate::pack::reader::PackReader;

use super::heads_ahead::{HeadsAhead, ReadHead};
use super::id_index::IdIndex;
use super::pack_ahead::{PackAhead, ReadAt};

/// A commit's place in a [`Commits`] arena.
pub(crate) type Node = u32;

/// What is known of one commit: 48 bytes, for walks that meet hundreds of
/// thousands. Its id and tree are not kept for a commit the graph lists
/// (read from the graph when asked for); the others' are in
/// [`Commits`]' `named`.
#[derive(Clone, Debug)]
pub(crate) struct CommitNode {
    /// The committer date as git reads it (0 where it can't).
    pub(crate) date: u64,
    /// git's generation (infinite for a commit no graph lists).
    pub(crate) generation: u64,
    /// Valid once `parsed`; a path-limited walk may cut it down (git's
    /// history simplification).
    parents: Parents,
    /// The walk's marks (see `flags`).
    pub(crate) flags: u32,
    /// Its graph position, when it was met through the graph (`NONE`: not).
    graph_pos: u32,
    /// Its id and tree in `named` (`NONE`: none kept).
    named: u32,
    pub(crate) parsed: bool,
}

/// No graph position, no `named` entry.
const NONE: u32 = u32::MAX;

/// The id of a commit, and its root tree once parsed from its object.
#[derive(Clone, Copy, Debug)]
struct Named {
    id: ObjectId,
    tree: ObjectId,
}

/// A commit's parents: up to two in place (most commits), more in
/// [`Commits`]' `octopus` (`first` is where they start there).
#[derive(Clone, Copy, Debug, Default)]
struct Parents {
    first: [Node; 2],
    len: u32,
}

/// A copy of a commit's parents, to go through while the arena changes.
pub(crate) enum ParentList {
    Few([Node; 2], usize),
    Many(Vec<Node>),
}

impl ParentList {
    pub(crate) fn as_slice(&self) -> &[Node] {
        match self {
            ParentList::Few(first, len) => &first[..*len],
            ParentList::Many(all) => all,
        }
    }
}

/// Why a commit could not be parsed.
#[derive(Debug)]
pub(crate) enum ParseFailure {
    /// No such object.
    Missing(ObjectId),
    /// An object of another kind.
    NotACommit(ObjectId, ObjectKind),
    /// A commit whose headers git can't read (`bogus commit object`, `bad
    /// parents`...).
    Bogus(ObjectId),
    /// The object database failed.
    Read(Error),
}

impl From<ParseFailure> for Error {
    /// A commit that can't be parsed, as the walks report it.
    fn from(f: ParseFailure) -> Self {
        match f {
            ParseFailure::Missing(id) => Error::NotFound(id),
            ParseFailure::NotACommit(id, found) => Error::UnexpectedKind {
                id,
                expected: ObjectKind::Commit,
                found,
            },
            ParseFailure::Bogus(id) => Error::MalformedCommit(id),
            ParseFailure::Read(e) => e,
        }
    }
}

impl From<Error> for ParseFailure {
    fn from(e: Error) -> Self {
        ParseFailure::Read(e)
    }
}

/// How many readers' windows a handle limit has room for: a reader holds
/// at most two windows of a pack, and one per commit-graph layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HandleRoom {
    /// Not one reader's and the graph's at once: each read lets go of its
    /// windows first.
    Tight,
    /// One reader's and the graph's.
    OneReader,
    /// Another reader's as many as this one's.
    TwoReaders,
}

/// The arena, and where commits are read from.
pub(crate) struct Commits {
    pub(crate) reader: Reader,
    hash: HashKind,
    graph: Option<(Arc<CommitGraph>, GraphCursors)>,
    nodes: Vec<CommitNode>,
    /// Ids and trees of the commits met by id.
    named: Vec<Named>,
    /// The parents of commits with more than two, one after another.
    octopus: Vec<Node>,
    by_id: IdIndex,
    /// Node of each graph position met so far (`u32::MAX`: none yet).
    by_graph_pos: Vec<Node>,
    buf: Vec<u8>,
    /// The parents' graph positions of the commit being filled (kept to
    /// spare an allocation per commit).
    graph_parents: Vec<u32>,
    /// The parents of the commit being parsed from its object.
    object_parents: Vec<Node>,
    /// The bytes of the commits parsed from their objects most recently
    /// (a few: a walk shows a commit soon after parsing it), for callers
    /// that read them again (`log`); off until asked for.
    /// Each with how much of the object it holds (the walk may have asked
    /// for less when it was parsed).
    recent: std::collections::VecDeque<(Node, Vec<u8>, CommitText)>,
    /// How much of each commit's object the walk's parsing reads and keeps
    /// in `recent`; `None`: only what the walk needs, and nothing kept.
    parse_keeps: Option<CommitText>,
    /// How much of a commit's object [`handover`](Self::handover) and
    /// [`handover_of`](Self::handover_of) hand over.
    hand_over: CommitText,
    /// Trees are read after their commits (path-limited walks): the index
    /// lookup of a commit's tree is prefetched when the commit is parsed.
    prefetch_trees: bool,
    /// The walk asks each commit's changed-path filter: it is prefetched
    /// when the commit is parsed, its index entries with its child.
    prefetch_filters: bool,
    /// How many readers' windows the handle limit has room for.
    room: HandleRoom,
    /// A shallow repository's boundary: commits parsed without parents.
    shallow: Arc<Shallow>,
    /// Commits read ahead on a thread of their own (see [`HeadsAhead`]).
    ahead: Ahead,
}

/// How many commits a walk parses from their objects before a thread reads
/// them ahead of it: walks that stop after a few never start one.
const PARSES_BEFORE_AHEAD: u32 = 64;

/// Whether commits are read ahead of the walk.
enum Ahead {
    /// No: a commit-graph lists the commits, a handle limit leaves no room
    /// for another reader, or no thread started.
    Off,
    /// Not yet: so many commits were parsed from their objects (or the
    /// walk came to keep more or less of each commit than the thread read:
    /// a new one starts at the next commit parsed so).
    Counting(u32),
    /// Along first parents by this thread, as much of each as this says
    /// (as `parse_keeps`), for a walk that compares trees.
    On(HeadsAhead, Option<CommitText>),
    /// In pack order, by this thread and the walk, as much of each as this
    /// says, for a walk that compares no trees.
    Pack(PackAhead, Option<CommitText>),
}

impl Commits {
    pub(crate) fn new(mut reader: Reader, graph: Option<Arc<CommitGraph>>) -> Commits {
        // A walk reads many objects, or none (over a graph).
        reader.check_offsets_in_background();
        let hash = reader.odb().hash_kind();
        let layers = graph.as_ref().map_or(0, |g| g.layers().len());
        let handles = reader.odb().manager().max_file_handles();
        let one = layers + 4;
        let room = if handles < one {
            HandleRoom::Tight
        } else if handles < 2 * one {
            HandleRoom::OneReader
        } else {
            HandleRoom::TwoReaders
        };
        let graph = graph.map(|g| {
            let c = g.cursors();
            (g, c)
        });
        Commits {
            room,
            reader,
            hash,
            graph,
            nodes: Vec::new(),
            named: Vec::new(),
            octopus: Vec::new(),
            by_id: IdIndex::default(),
            by_graph_pos: Vec::new(),
            buf: Vec::new(),
            graph_parents: Vec::new(),
            object_parents: Vec::new(),
            recent: std::collections::VecDeque::new(),
            parse_keeps: None,
            hand_over: CommitText::Whole,
            prefetch_trees: false,
            prefetch_filters: false,
            shallow: Arc::default(),
            ahead: Ahead::Off,
        }
    }

    /// Whether commits' trees will be read (see `prefetch_trees`). Where
    /// the commits are read from their objects, a thread reads them ahead
    /// of the walk: along first parents while the walk compares trees
    /// (see [`HeadsAhead`]), else in pack order (see [`PackAhead`]).
    pub(crate) fn set_prefetch_trees(&mut self, on: bool) {
        self.prefetch_trees = on;
        let ahead = self.graph.is_none() && self.room == HandleRoom::TwoReaders;
        match (&self.ahead, ahead) {
            (Ahead::Off, true) => self.ahead = Ahead::Counting(0),
            (_, false) => self.ahead = Ahead::Off,
            _ => {}
        }
    }

    /// Whether the walk asks each commit's changed-path filter (see
    /// `prefetch_filters`).
    pub(crate) fn set_prefetch_filters(&mut self, on: bool) {
        self.prefetch_filters = on;
    }

    /// Parses the commits of `shallow` without their parents, as git does
    /// in a shallow repository.
    pub(crate) fn set_shallow(&mut self, shallow: Arc<Shallow>) {
        self.shallow = shallow;
    }

    pub(crate) fn shallow(&self) -> &Arc<Shallow> {
        &self.shallow
    }

    /// Whether git would use generation numbers here.
    pub(crate) fn generation_numbers_enabled(&mut self) -> bool {
        self.with_graph(CommitGraph::generation_numbers_enabled)
            .unwrap_or(false)
    }

    /// The node of `id`, if met.
    pub(crate) fn find(&mut self, id: &ObjectId) -> Option<Node> {
        if let Some(n) = self.met_by_id(id) {
            return Some(n);
        }
        let pos = self.graph_pos_of(id)?;
        self.by_graph_pos
            .get(pos as usize)
            .copied()
            .filter(|&n| n != Node::MAX)
    }

    /// The node of `id`, made (unparsed) if new. A commit the graph lists
    /// is kept by its graph position, not hashed by id.
    pub(crate) fn lookup(&mut self, id: &ObjectId) -> Node {
        if let Some(n) = self.met_by_id(id) {
            return n;
        }
        if let Some(pos) = self.graph_pos_of(id) {
            return self.node_at_graph_pos(pos);
        }
        let n = self.insert(NONE);
        self.name(n, *id);
        self.by_id.insert(id, n);
        n
    }

    /// The node of `id` if it was met by id (not through the graph).
    fn met_by_id(&self, id: &ObjectId) -> Option<Node> {
        let (nodes, named) = (&self.nodes, &self.named);
        self.by_id
            .find(id, |n| &named[nodes[n as usize].named as usize].id)
    }

    /// Where the graph lists `id`, if it does.
    pub(crate) fn graph_pos_of(&mut self, id: &ObjectId) -> Option<u32> {
        self.with_graph(|g, c| g.find(c, id).ok().flatten())?
    }

    fn insert(&mut self, graph_pos: u32) -> Node {
        let n = self.nodes.len() as Node;
        self.nodes.push(CommitNode {
            parents: Parents::default(),
            date: 0,
            generation: GENERATION_INFINITY,
            flags: 0,
            parsed: false,
            graph_pos,
            named: NONE,
        });
        n
    }

    /// Keeps `id` as the id of `n`.
    fn name(&mut self, n: Node, id: ObjectId) {
        self.nodes[n as usize].named = self.named.len() as u32;
        self.named.push(Named {
            id,
            tree: self.hash.null(),
        });
    }

    /// The graph position of `n`, if it was met through the graph.
    pub(crate) fn graph_pos(&self, n: Node) -> Option<u32> {
        Some(self.nodes[n as usize].graph_pos).filter(|&p| p != NONE)
    }

    pub(crate) fn get(&self, n: Node) -> &CommitNode {
        &self.nodes[n as usize]
    }

    pub(crate) fn flags(&self, n: Node) -> u32 {
        self.nodes[n as usize].flags
    }

    pub(crate) fn unset(&mut self, n: Node, flags: u32) {
        self.nodes[n as usize].flags &= !flags;
    }

    pub(crate) fn set(&mut self, n: Node, flags: u32) {
        self.nodes[n as usize].flags |= flags;
    }

    /// Clears `flags` on every commit met so far.
    pub(crate) fn clear_all(&mut self, flags: u32) {
        for node in &mut self.nodes {
            node.flags &= !flags;
        }
    }

    /// Whether commits are read through a commit-graph.
    pub(crate) fn has_graph(&self) -> bool {
        self.graph.is_some()
    }

    /// Whether the graph has corrected commit dates git would read.
    pub(crate) fn corrected_commit_dates_enabled(&self) -> bool {
        self.graph
            .as_ref()
            .is_some_and(|(g, _)| g.corrected_commit_dates_enabled())
    }

    pub(crate) fn date(&self, n: Node) -> u64 {
        self.nodes[n as usize].date
    }

    pub(crate) fn generation(&self, n: Node) -> u64 {
        self.nodes[n as usize].generation
    }

    pub(crate) fn parents(&self, n: Node) -> &[Node] {
        let p = &self.nodes[n as usize].parents;
        if p.len <= 2 {
            &p.first[..p.len as usize]
        } else {
            let start = p.first[0] as usize;
            &self.octopus[start..start + p.len as usize]
        }
    }

    /// A copy of a commit's parents.
    pub(crate) fn parent_list(&self, n: Node) -> ParentList {
        let p = &self.nodes[n as usize].parents;
        match p.len {
            0..=2 => ParentList::Few(p.first, p.len as usize),
            _ => ParentList::Many(self.parents(n).to_vec()),
        }
    }

    /// The root tree of a parsed commit.
    pub(crate) fn tree(&mut self, n: Node) -> Result<ObjectId, Error> {
        let Some(pos) = self.graph_pos(n) else {
            return Ok(self.named[self.nodes[n as usize].named as usize].tree);
        };
        self.graph_tree(pos)
    }

    /// Cuts a commit's parents down to `parents` (git's history
    /// simplification).
    pub(crate) fn set_parents(&mut self, n: Node, parents: &[Node]) {
        let list = match *parents {
            [] => Parents::default(),
            [a] => Parents {
                first: [a, 0],
                len: 1,
            },
            [a, b] => Parents {
                first: [a, b],
                len: 2,
            },
            _ => {
                let start = self.octopus.len() as Node;
                self.octopus.extend_from_slice(parents);
                Parents {
                    first: [start, 0],
                    len: parents.len() as u32,
                }
            }
        };
        self.nodes[n as usize].parents = list;
    }

    /// The changed-path Bloom filter the graph holds for a parsed commit,
    /// put in `filter`, and its settings: `None` for a commit the graph
    /// doesn't list, or whose layer has no filters.
    pub(crate) fn bloom_filter(
        &mut self,
        n: Node,
        filter: &mut Vec<u8>,
    ) -> Result<Option<crate::graph::BloomSettings>, Error> {
        filter.clear();
        let Some(pos) = self.graph_pos(n) else {
            return Ok(None);
        };
        self.with_graph(|g, c| g.changed_paths_filter_into(c, pos, filter))
            .unwrap_or(Ok(None))
    }

    /// The settings of the graph's changed-path filters, if it has any
    /// git would use.
    pub(crate) fn bloom_settings(&self) -> Option<crate::graph::BloomSettings> {
        let (g, _) = self.graph.as_ref()?;
        g.bloom_settings()
    }

    /// The commit's id (read from the graph the first time for a commit
    /// met through it).
    pub(crate) fn id(&mut self, n: Node) -> Result<ObjectId, Error> {
        let node = &self.nodes[n as usize];
        if node.named != NONE {
            return Ok(self.named[node.named as usize].id);
        }
        let pos = self
            .graph_pos(n)
            .expect("only graph commits are met without their id");
        self.graph_id(pos)
    }

    /// The id at graph position `pos`.
    pub(crate) fn graph_id(&mut self, pos: u32) -> Result<ObjectId, Error> {
        self.with_graph(|g, c| g.id_at(c, pos))
            .expect("positions come from the graph")
    }

    /// The root tree of the commit at graph position `pos`.
    pub(crate) fn graph_tree(&mut self, pos: u32) -> Result<ObjectId, Error> {
        self.with_graph(|g, c| g.tree_at(c, pos))
            .expect("positions come from the graph")
    }

    /// The commit-graph commits are read from, if any.
    pub(crate) fn graph(&self) -> Option<&Arc<CommitGraph>> {
        self.graph.as_ref().map(|(g, _)| g)
    }

    /// Whether the handle limit is too small for the reader's windows and
    /// one per graph layer at once (each read then lets go of its windows).
    pub(crate) fn is_tight(&self) -> bool {
        self.room == HandleRoom::Tight
    }

    /// Parses a walk's starting point as [`parse`](Self::parse) does, but
    /// read alone, never by or for a thread reading ahead: starting points
    /// lie anywhere in a pack, by thousands where there are many refs
    /// (rust-analyzer's `--all`: 13,735 refs; placing each in its pack for
    /// the commits read in pack order cost more than reading them).
    pub(crate) fn parse_start(&mut self, n: Node) -> Result<(), ParseFailure> {
        let ahead = std::mem::replace(&mut self.ahead, Ahead::Off);
        let parsed = self.parse(n);
        self.ahead = ahead;
        parsed
    }

    /// Parses the commit if it isn't yet: from the graph if it lists it,
    /// else from its object.
    pub(crate) fn parse(&mut self, n: Node) -> Result<(), ParseFailure> {
        if self.nodes[n as usize].parsed {
            return Ok(());
        }
        let known = self.graph_pos(n);
        let id = match known {
            Some(_) => None,
            None => Some(self.named[self.nodes[n as usize].named as usize].id),
        };
        if self.graph.is_some() {
            self.before_graph();
            let (graph, cursors) = self.graph.as_mut().expect("checked");
            let found = match (known, &id) {
                (Some(pos), _) => Ok(Some(pos)),
                (None, Some(id)) => graph.find(cursors, id),
                (None, None) => Ok(None),
            };
            let filled = match found {
                Ok(Some(pos)) => Some(self.fill_from_graph(n, pos)),
                Ok(None) => None,
                Err(e) => Some(Err(e.into())),
            };
            self.after_graph();
            if let Some(filled) = filled {
                return filled;
            }
        }
        let id = id.expect("a commit met without its id is in the graph");
        self.parse_object(n, id)
    }

    /// Whether another reader of the same window manager can read while
    /// this one holds its windows (and the graph's).
    pub(crate) fn fits_two_readers(&self) -> bool {
        self.room == HandleRoom::TwoReaders
    }

    /// How many readers besides this one (each holding a pack's windows
    /// and the multi-pack-index's, four handles) the handle limit has room
    /// for while this one holds its windows and the graph's.
    pub(crate) fn readers_room(&self) -> usize {
        let layers = self.graph.as_ref().map_or(0, |(g, _)| g.layers().len());
        let handles = self.reader.odb().manager().max_file_handles();
        handles.saturating_sub(layers + 4) / 4
    }

    /// Lets go of the windows of the reader and the graph between reads.
    pub(crate) fn release_windows(&mut self) {
        self.reader.release_windows();
        if let Some((_, cursors)) = &mut self.graph {
            cursors.release();
        }
    }

    /// Runs `f` on the commit-graph and its cursors (making room for their
    /// windows under a tight handle limit), if the walk reads one.
    pub(crate) fn with_graph<R>(
        &mut self,
        f: impl FnOnce(&CommitGraph, &mut GraphCursors) -> R,
    ) -> Option<R> {
        self.graph.as_ref()?;
        self.before_graph();
        let (graph, cursors) = self.graph.as_mut().expect("checked");
        let r = f(graph, cursors);
        self.after_graph();
        Some(r)
    }

    /// Makes room for the graph's windows under a tight handle limit.
    fn before_graph(&mut self) {
        if self.is_tight() {
            self.reader.release_windows();
        }
    }

    /// Lets go of the graph's windows under a tight handle limit.
    fn after_graph(&mut self) {
        if self.is_tight()
            && let Some((_, cursors)) = &mut self.graph
        {
            cursors.release();
        }
    }

    /// The node of the commit at graph position `pos` (whose id, if
    /// known, is `id`), made if new.
    fn node_at_graph_pos(&mut self, pos: u32) -> Node {
        let i = pos as usize;
        if let Some(&n) = self.by_graph_pos.get(i)
            && n != Node::MAX
        {
            return n;
        }
        let (graph, _) = self.graph.as_ref().expect("positions come from the graph");
        let len = graph.len() as usize;
        let n = self.insert(pos);
        if self.by_graph_pos.len() <= i {
            self.by_graph_pos.resize(len.max(i + 1), Node::MAX);
        }
        self.by_graph_pos[i] = n;
        n
    }

    fn fill_from_graph(&mut self, n: Node, pos: u32) -> Result<(), ParseFailure> {
        let (graph, cursors) = self.graph.as_mut().expect("found in it");
        let mut positions = std::mem::take(&mut self.graph_parents);
        let parts = graph.commit_parts(cursors, pos, &mut positions);
        let (_tree, date, generation) = match parts {
            Ok(parts) => parts,
            Err(e) => {
                self.graph_parents = positions;
                return Err(e.into());
            }
        };
        let (graph, cursors) = self.graph.as_mut().expect("found in it");
        for &p in &positions {
            graph.prefetch(cursors, p);
            if self.prefetch_filters {
                graph.prefetch_filter_index(cursors, p);
            }
        }
        // The walk asks this commit's filter when it takes the commit,
        // soon: its index entries were asked for with its child's parents.
        if self.prefetch_filters {
            graph.prefetch_filter(cursors, pos);
        }
        let mut parents = std::mem::take(&mut self.object_parents);
        parents.clear();
        for &p in &positions {
            parents.push(self.node_at_graph_pos(p));
        }
        self.graph_parents = positions;
        self.set_parents(n, &parents);
        self.object_parents = parents;
        if self.by_graph_pos.len() <= pos as usize {
            let len = self.graph.as_ref().expect("found in it").0.len() as usize;
            self.by_graph_pos
                .resize(len.max(pos as usize + 1), Node::MAX);
        }
        self.by_graph_pos[pos as usize] = n;
        let node = &mut self.nodes[n as usize];
        node.graph_pos = pos;
        node.date = date;
        node.generation = generation;
        node.parsed = true;
        Ok(())
    }

    fn parse_object(&mut self, n: Node, id: ObjectId) -> Result<(), ParseFailure> {
        let mut buf = std::mem::take(&mut self.buf);
        let kept = self.parse_keeps;
        // The thread reads as much of each commit as the walk read when it
        // started; a walk that now keeps more (or less) starts another.
        let other = match &self.ahead {
            Ahead::On(_, how) | Ahead::Pack(_, how) => *how != kept,
            _ => false,
        };
        if other {
            self.ahead = Ahead::Counting(PARSES_BEFORE_AHEAD - 1);
        }
        let read_ahead = match &mut self.ahead {
            Ahead::On(ahead, _) => ahead.take(&id, &mut buf),
            Ahead::Pack(ahead, _) => ahead.take(&id, &mut self.reader, &mut buf),
            _ => false,
        };
        let missed = !read_ahead;
        let read = if read_ahead {
            Ok(ObjectKind::Commit)
        } else {
            read_head(&mut self.reader, &id, &mut buf, self.hash, kept)
        };
        let result = match read {
            Ok(ObjectKind::Commit) => {
                let filled = self.fill_from_object(n, id, &buf);
                if missed && filled.is_ok() {
                    self.after_miss(n, &id);
                }
                if let Some(how) = kept
                    && filled.is_ok()
                {
                    if self.recent.len() == RECENT {
                        self.recent.pop_front();
                    }
                    self.recent.push_back((n, buf.clone(), how));
                }
                filled
            }
            Ok(kind) => Err(ParseFailure::NotACommit(id, kind)),
            Err(Error::NotFound(_)) => Err(ParseFailure::Missing(id)),
            Err(e) => Err(ParseFailure::Read(e)),
        };
        self.buf = buf;
        result
    }

    /// Fills node `n` from its commit object's bytes (see [`parse_head`]).
    fn fill_from_object(&mut self, n: Node, id: ObjectId, data: &[u8]) -> Result<(), ParseFailure> {
        let mut parents = std::mem::take(&mut self.object_parents);
        parents.clear();
        // git reads a shallow commit's parent lines, and keeps none.
        let shallow = self.shallow.contains(&id);
        let head = parse_head(data, self.hash, &mut |p| {
            if !shallow {
                let parent = self.lookup(&p);
                if !self.nodes[parent as usize].parsed {
                    self.reader.prefetch_lookup(&p);
                }
                parents.push(parent);
            }
        });
        let Some((tree, date)) = head else {
            self.object_parents = parents;
            return Err(ParseFailure::Bogus(id));
        };
        if self.prefetch_trees {
            self.reader.prefetch_lookup(&tree);
        }
        // A commit the graph doesn't list has an infinite generation.
        self.set_parents(n, &parents);
        self.object_parents = parents;
        let node = &mut self.nodes[n as usize];
        self.named[node.named as usize].tree = tree;
        node.date = date;
        node.generation = GENERATION_INFINITY;
        node.parsed = true;
        Ok(())
    }

    /// After commit `n` was parsed from its object `id`, which the thread
    /// reading ahead hadn't read: the thread follows its first parents, or
    /// starts once [`PARSES_BEFORE_AHEAD`] commits were so parsed.
    fn after_miss(&mut self, n: Node, id: &ObjectId) {
        if let Ahead::Counting(parsed) = &mut self.ahead {
            *parsed += 1;
            if *parsed < PARSES_BEFORE_AHEAD {
                return;
            }
            let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
            let started = if cores < 2 {
                None
            } else if self.prefetch_trees {
                HeadsAhead::start(self.head_reader()).map(|a| Ahead::On(a, self.parse_keeps))
            } else {
                let (hash, kept) = (self.hash, self.parse_keeps);
                let read_at: ReadAt =
                    Arc::new(move |pr, offset, buf| read_head_at(pr, offset, buf, hash, kept));
                PackAhead::start(self.ahead_reader(), read_at).map(|a| Ahead::Pack(a, kept))
            };
            self.ahead = started.unwrap_or(Ahead::Off);
        }
        if matches!(self.ahead, Ahead::On(..)) {
            // None past a shallow boundary: parsed without its parents.
            let first_parent = match self.parents(n).first() {
                Some(&p) => self.id(p).ok(),
                None => None,
            };
            if let Ahead::On(ahead, _) = &self.ahead {
                ahead.missed(id, self.nodes[n as usize].date, first_parent);
            }
        }
    }

    /// How many commits the walk took from the thread reading ahead, if
    /// one started.
    #[cfg(test)]
    pub(crate) fn taken_from_thread(&self) -> Option<u64> {
        match &self.ahead {
            Ahead::On(ahead, _) => Some(ahead.taken()),
            Ahead::Pack(ahead, _) => Some(ahead.taken()),
            _ => None,
        }
    }

    /// A reader of the database with the cache a commit walk's reads want.
    pub(crate) fn commit_reader(&self) -> Reader {
        let odb = self.reader.odb();
        let mut reader = odb.reader();
        reader.set_delta_base_cache_limit(odb.commit_walk_delta_base_cache_limit());
        reader.check_offsets_in_background();
        reader
    }

    /// A reader for a thread reading commits ahead: as the walk's, but it
    /// never fetches.
    fn ahead_reader(&self) -> Reader {
        let mut reader = self.commit_reader();
        reader.never_fetch();
        reader
    }

    /// What the thread reading ahead along first parents reads a commit
    /// with: as the walk reads it.
    fn head_reader(&self) -> ReadHead {
        let mut reader = self.ahead_reader();
        let (hash, kept, shallow) = (self.hash, self.parse_keeps, Arc::clone(&self.shallow));
        Box::new(move |id, buf| {
            match read_head(&mut reader, id, buf, hash, kept) {
                Ok(ObjectKind::Commit) => {}
                _ => return None,
            }
            let shallow = shallow.contains(id);
            let mut first = None;
            let (_, date) = parse_head(buf, hash, &mut |p| {
                if !shallow && first.is_none() {
                    first = Some(p);
                }
            })?;
            Some((date, first))
        })
    }

    /// How many commits `starts` reach, themselves included, each once
    /// (only first parents with `first_parent`): what `rev-list --count`
    /// of starting points alone answers, in no order. Commits the graph
    /// lists are followed by their graph positions alone (no node made,
    /// no id read, one bit each); the others are parsed as a walk parses
    /// them.
    pub(crate) fn count_reachable(
        &mut self,
        starts: &[Node],
        first_parent: bool,
    ) -> Result<u64, Error> {
        enum Next {
            Position(u32),
            Node(Node),
        }
        let next_of = |commits: &Commits, n: Node| match commits.graph_pos(n) {
            Some(pos) => Next::Position(pos),
            None => Next::Node(n),
        };
        let graph_len = self.graph.as_ref().map_or(0, |(g, _)| g.len() as usize);
        let mut seen_positions = vec![0u64; graph_len.div_ceil(64)];
        let mut seen_nodes: Vec<bool> = Vec::new();
        let mut todo: Vec<Next> = starts.iter().map(|&n| next_of(self, n)).collect();
        let mut parents = std::mem::take(&mut self.graph_parents);
        let mut count = 0;
        while let Some(next) = todo.pop() {
            match next {
                Next::Position(pos) => {
                    let (word, bit) = (pos as usize / 64, 1u64 << (pos % 64));
                    if seen_positions[word] & bit != 0 {
                        continue;
                    }
                    seen_positions[word] |= bit;
                    count += 1;
                    let read = self
                        .with_graph(|g, c| g.parent_positions(c, pos, first_parent, &mut parents))
                        .expect("positions come from it");
                    if let Err(e) = read {
                        self.graph_parents = parents;
                        return Err(e);
                    }
                    todo.extend(parents.iter().map(|&p| Next::Position(p)));
                }
                Next::Node(n) => {
                    let i = n as usize;
                    if seen_nodes.len() <= i {
                        seen_nodes.resize(self.nodes.len().max(i + 1), false);
                    }
                    if seen_nodes[i] {
                        continue;
                    }
                    seen_nodes[i] = true;
                    if let Err(e) = self.parse(n) {
                        self.graph_parents = parents;
                        return Err(e.into());
                    }
                    // Found in the graph after all (its lookup failed to
                    // read it): counted by its position, once.
                    if let Some(pos) = self.graph_pos(n) {
                        todo.push(Next::Position(pos));
                        continue;
                    }
                    count += 1;
                    let node_parents = self.parent_list(n);
                    let take = if first_parent { 1 } else { usize::MAX };
                    for &p in node_parents.as_slice().iter().take(take) {
                        todo.push(next_of(self, p));
                    }
                }
            }
        }
        self.graph_parents = parents;
        Ok(count)
    }

    /// Keeps the bytes of the last commits parsed from their objects for
    /// [`handover`](Self::handover), as much of each as `how` says (see
    /// [`CommitText`]), and has it and [`handover_of`](Self::handover_of)
    /// hand over that much. With `at_parse` unset, commits are parsed from
    /// only what the walk needs, and what is handed over is read: for
    /// walks that show few of the commits they parse (path-limited ones).
    pub(crate) fn keep_recent(&mut self, how: CommitText, at_parse: bool) {
        self.hand_over = how;
        self.parse_keeps = at_parse.then_some(how);
    }

    /// Has the walk's parsing read and keep `how` much of each commit (for
    /// [`text_for`](Self::text_for): a filter that reads every commit),
    /// unless it keeps more already.
    pub(crate) fn keep_at_parse(&mut self, how: CommitText) {
        self.parse_keeps = Some(self.parse_keeps.map_or(how, |kept| kept.max(how)));
    }

    /// As much of commit `n`'s object as `need` says, from the recent ones
    /// if they hold that much, else read (and not kept).
    pub(crate) fn text_for(
        &mut self,
        n: Node,
        need: CommitText,
    ) -> Result<std::borrow::Cow<'_, [u8]>, Error> {
        if let Some(k) = self.recent_with(n, need) {
            return Ok(std::borrow::Cow::Borrowed(&self.recent[k].1));
        }
        let id = self.id(n)?;
        Ok(std::borrow::Cow::Owned(read_text(
            &mut self.reader,
            &id,
            need,
        )?))
    }

    /// Where `recent` holds at least `need` of commit `n`'s object.
    fn recent_with(&self, n: Node, need: CommitText) -> Option<usize> {
        self.recent
            .iter()
            .position(|&(m, _, how)| m == n && how >= need)
    }

    /// The bytes of commit `n`'s object the walk hands over: kept from its
    /// parsing if it was recent (and let go of here), else what to read
    /// ([`Handover::read`], by this reader or one elsewhere).
    pub(crate) fn handover(&mut self, n: Node) -> Handover {
        if let Some(k) = self.recent_with(n, self.hand_over) {
            let (_, data, _) = self.recent.remove(k).expect("found");
            return Handover::Kept(Ok(data));
        }
        match self.id(n) {
            Ok(id) => Handover::Read(id, self.hand_over),
            Err(e) => Handover::Kept(Err(e)),
        }
    }

    /// What to read of commit `id`'s object for the walk to hand it over.
    pub(crate) fn handover_of(&self, id: ObjectId) -> Handover {
        Handover::Read(id, self.hand_over)
    }

    /// The author date of a commit (for `--author-date-order`), as git's
    /// `record_author_date` reads it (0 where it can't).
    pub(crate) fn author_date(&mut self, n: Node) -> u64 {
        let Ok(id) = self.id(n) else {
            return 0;
        };
        let mut buf = std::mem::take(&mut self.buf);
        let read = self
            .reader
            .read_prefix_into(&id, &mut buf, &mut author_line_complete);
        let date = match read {
            Ok(ObjectKind::Commit) => author_date(&buf),
            _ => 0,
        };
        self.buf = buf;
        date
    }
}

/// The bytes of a commit the walk hands over: kept from its parsing (or
/// why they couldn't be had), or still to be read, as much as the walk was
/// asked for.
pub(crate) enum Handover {
    Kept(Result<Vec<u8>, Error>),
    Read(ObjectId, CommitText),
}

impl Handover {
    /// The bytes, read through `reader` if they weren't kept.
    pub(crate) fn read(self, reader: &mut Reader) -> Result<Vec<u8>, Error> {
        match self {
            Handover::Kept(data) => data,
            Handover::Read(id, need) => read_text(reader, &id, need),
        }
    }
}

/// As much of commit `id`'s object as `need` says, read through `reader`.
fn read_text(reader: &mut Reader, id: &ObjectId, need: CommitText) -> Result<Vec<u8>, Error> {
    let mut data = Vec::new();
    if need == CommitText::Whole {
        reader.read_into(id, &mut data)?;
    } else {
        reader.read_prefix_into(id, &mut data, &mut |p| need.holds(p))?;
    }
    Ok(data)
}

/// Reads as much of commit `id` into `buf` as `kept` says, at least the
/// header lines [`parse_head`] reads (see `Commits::parse_keeps`).
fn read_head(
    reader: &mut Reader,
    id: &ObjectId,
    buf: &mut Vec<u8>,
    hash: HashKind,
    kept: Option<CommitText>,
) -> Result<ObjectKind, Error> {
    match kept {
        None => reader.read_prefix_into(id, buf, &mut |p| head_complete(p, hash)),
        Some(CommitText::Whole) => reader.read_into(id, buf),
        Some(how) => {
            reader.read_prefix_into(id, buf, &mut |p| head_complete(p, hash) && how.holds(p))
        }
    }
}

/// Reads as much of the object at `offset` of a pack as [`read_head`]
/// reads of a commit.
fn read_head_at(
    pr: &mut PackReader<'_>,
    offset: u64,
    buf: &mut Vec<u8>,
    hash: HashKind,
    kept: Option<CommitText>,
) -> Result<ObjectKind, Error> {
    let decoded = match kept {
        None => pr.read_prefix(offset, buf, &mut |p| head_complete(p, hash))?,
        Some(CommitText::Whole) => pr.read_object(offset, buf)?,
        Some(how) => {
            pr.read_prefix(offset, buf, &mut |p| head_complete(p, hash) && how.holds(p))?
        }
    };
    Ok(decoded.kind)
}

/// git's `parse_commit_buffer`: `tree <hex>\n`, then `parent <hex>\n` lines
/// (each parent's id handed to `on_parent`), then the committer date. The
/// tree's id and the date; `None` for a bogus commit.
fn parse_head(
    data: &[u8],
    hash: HashKind,
    on_parent: &mut dyn FnMut(ObjectId),
) -> Option<(ObjectId, u64)> {
    let hex = hash.len() * 2;
    let tree_line = hex + 5;
    let tree =
        parse_hex(&data[5.min(data.len())..tree_line.min(data.len())], hash).filter(|_| {
            data.len() > tree_line + 1 && data.starts_with(b"tree ") && data[tree_line] == b'\n'
        })?;
    let mut at = tree_line + 1;
    let parent_line = hex + 7;
    while at + parent_line < data.len() && data[at..].starts_with(b"parent ") {
        let p = parse_hex(&data[at + 7..at + parent_line], hash)
            .filter(|_| data[at + parent_line] == b'\n')?;
        at += parent_line + 1;
        on_parent(p);
    }
    Some((tree, parse_commit_date(&data[at..])))
}

/// Whether `data`, the start of a commit object, decides all that
/// [`parse_head`] reads: its tree and parent lines, and the two lines after
/// them (author and committer) whole, and no test of the parent lines ran
/// into its end. The whole object then gives the same answers.
fn head_complete(data: &[u8], hash: HashKind) -> bool {
    let hex = hash.len() * 2;
    let tree_line = hex + 5;
    let parent_line = hex + 7;
    if data.len() <= tree_line + 1 {
        return false;
    }
    let mut at = tree_line + 1;
    while at + parent_line < data.len() && data[at..].starts_with(b"parent ") {
        at += parent_line + 1;
    }
    // The parent lines stopped at a line that isn't one, not at the end.
    if at + parent_line >= data.len() {
        return false;
    }
    let Some(nl) = memchr::memchr(b'\n', &data[at..]) else {
        return false;
    };
    memchr::memchr(b'\n', &data[at + nl + 1..]).is_some()
}

/// How many parsed commits' bytes are kept for [`Commits::text_for`].
const RECENT: usize = 64;

fn parse_hex(hex: &[u8], hash: HashKind) -> Option<ObjectId> {
    match ObjectId::parse_hex_prefix(hex, hash) {
        Some((id, [])) => Some(id),
        _ => None,
    }
}

/// git's `parse_commit_date`: the number after the last `>` of the
/// `committer` line that must follow the `author` line at `rest`.
fn parse_commit_date(rest: &[u8]) -> u64 {
    let Some(after_author) = rest.strip_prefix(b"author") else {
        return 0;
    };
    let Some(nl) = memchr::memchr(b'\n', after_author) else {
        return 0;
    };
    let line = &after_author[nl + 1..];
    if line.len() <= 9 || !line.starts_with(b"committer") {
        return 0;
    }
    let Some(eol) = memchr::memchr(b'\n', line) else {
        return 0;
    };
    date_after_email(&line[..eol])
}

/// The timestamp after the last `>` of an identity line, as git's
/// `parse_timestamp` (`strtoumax`) reads it: leading spaces skipped,
/// digits up to the first other byte; 0 if there is none.
fn date_after_email(line: &[u8]) -> u64 {
    let Some(gt) = memchr::memrchr(b'>', line) else {
        return 0;
    };
    let rest = &line[gt + 1..];
    let start = rest
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let rest = &rest[start..];
    let (negative, digits) = match rest.first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b) if b.is_ascii_digit() => (false, rest),
        _ => return 0,
    };
    let mut v: u64 = 0;
    for &b in digits.iter().take_while(|b| b.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(u64::from(b - b'0'));
    }
    // strtoumax negates a "-n" in unsigned arithmetic.
    if negative { v.wrapping_neg() } else { v }
}

/// The author date of a commit object's bytes (`record_author_date`).
fn author_date(data: &[u8]) -> u64 {
    for line in data.split(|&b| b == b'\n') {
        if line.is_empty() {
            break;
        }
        if let Some(ident) = line.strip_prefix(b"author ") {
            return date_after_email(ident);
        }
    }
    0
}

/// How much of each commit's object a walk that hands their bytes over
/// reads (see [`Walk::keep_commit_data`](crate::history::Walk::keep_commit_data)).
///
/// The kinds are ordered by how much they read, so that what several
/// readers need is the greatest:
///
/// ```
/// use packread::history::CommitText;
///
/// // `log --author=... --oneline`: the filter reads the header lines, the
/// // format the subject.
/// let need = CommitText::Headers.max(CommitText::Subject);
/// assert_eq!(need, CommitText::Subject);
/// assert!(need < CommitText::Whole);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CommitText {
    /// The header lines (`--author`, `--committer` and the dates read no
    /// more), through the blank line that ends them; the rest of the
    /// object's stream is not inflated (nor checked). The whole object
    /// where its header names an `encoding` (the object is re-encoded as a
    /// whole), or has no end.
    Headers,
    /// The header lines and the message's subject (its first paragraph,
    /// git's `%s`), whole, and the line that ends it; as for
    /// [`Headers`](Self::Headers), the rest is not read, and the whole
    /// object where the subject runs to the object's end.
    Subject,
    /// The whole object, its stream checked to its end.
    Whole,
}

impl CommitText {
    /// Whether `data`, the start of a commit object, holds as much as this
    /// says.
    fn holds(self, data: &[u8]) -> bool {
        match self {
            CommitText::Headers => headers_complete(data),
            CommitText::Subject => subject_complete(data),
            CommitText::Whole => false,
        }
    }
}

/// Whether `data`, the start of a commit object, holds its header lines
/// whole, through the blank line that ends them, and none of them is an
/// `encoding` line.
fn headers_complete(data: &[u8]) -> bool {
    body_start(data).is_some()
}

/// Where the lines after the header lines of `data` start, if `data` holds
/// its header lines whole (through the blank line that ends them) and none
/// of them is an `encoding` line. Lines found with `memchr`: this is asked
/// of every commit a `log` shows, of prefixes of growing length.
fn body_start(data: &[u8]) -> Option<usize> {
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', data) {
        let line = &data[start..end];
        if line.is_empty() {
            return Some(end + 1);
        }
        if line.starts_with(b"encoding ") {
            return None;
        }
        start = end + 1;
    }
    None
}

/// Whether `data`, the start of a commit object, holds its header lines
/// and its message's subject as git's `format_subject` reads them: blank
/// lines skipped, then lines up to a blank one (blank for git's `isspace`:
/// spaces, tabs, carriage returns), that line whole too. Never where the
/// header has an `encoding` line.
fn subject_complete(data: &[u8]) -> bool {
    let Some(body) = body_start(data) else {
        return false;
    };
    let (mut start, mut in_subject) = (body, false);
    for end in memchr::memchr_iter(b'\n', &data[body..]).map(|e| body + e) {
        let blank = data[start..end]
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r'));
        if blank && in_subject {
            return true;
        }
        in_subject |= !blank;
        start = end + 1;
    }
    false
}

/// Whether `data`, the start of a commit object, decides what
/// [`author_date`] reads: its whole lines reach the author line or the end
/// of the header lines.
fn author_line_complete(data: &[u8]) -> bool {
    let Some(end) = memchr::memrchr(b'\n', data) else {
        return false;
    };
    data[..end]
        .split(|&b| b == b'\n')
        .any(|line| line.is_empty() || line.starts_with(b"author "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_dates_as_git_reads_them() {
        let ok = b"author A <a> 1 +0000\ncommitter C <c> 1700000000 +0200\n\nmsg";
        assert_eq!(parse_commit_date(ok), 1_700_000_000);
        assert_eq!(
            parse_commit_date(b"author A <a> 1 +0000\ncommitter C <c> 123foo\n"),
            123
        );
        assert_eq!(
            parse_commit_date(b"author A <a> 1 +0000\ncommitter C <c> x\n"),
            0
        );
        assert_eq!(parse_commit_date(b"committer C <c> 5 +0000\n"), 0);
        assert_eq!(
            parse_commit_date(b"author A <a> 1 +0000\ncommitter C <c> 7"),
            0
        );
        assert_eq!(author_date(b"tree x\nauthor A <a> 42 +0100\n\n"), 42);
    }

    /// [`headers_complete`] and [`subject_complete`] as plainly as they
    /// can be said: lines split on every newline, the last unended one
    /// left out.
    fn plain_complete(data: &[u8], subject: bool) -> bool {
        let Some(last) = data.iter().rposition(|&b| b == b'\n') else {
            return false;
        };
        let mut lines = data[..last].split(|&b| b == b'\n');
        if !lines.by_ref().any(<[u8]>::is_empty) {
            return false;
        }
        let header = &data[..data.len() - lines.clone().map(|l| l.len() + 1).sum::<usize>() - 1];
        if header
            .split(|&b| b == b'\n')
            .any(|l| l.starts_with(b"encoding "))
        {
            return false;
        }
        if !subject {
            return true;
        }
        let mut in_subject = false;
        for line in lines {
            let blank = line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'));
            if blank && in_subject {
                return true;
            }
            in_subject |= !blank;
        }
        false
    }

    /// Every prefix of commits of many shapes is complete exactly where
    /// the plain reading says.
    #[test]
    fn prefixes_hold_headers_and_subjects_where_plainly_they_do() {
        let head = format!(
            "tree {}\nauthor A <a> 1 +0000\ncommitter C <c> 2 +0000\n",
            "1".repeat(40)
        );
        let texts = [
            format!("{head}\nsubject\n\nbody\n"),
            format!("{head}\n\n\n  \nsubject\nmore subject\n \t\r\nbody"),
            format!("{head}\nsubject only, no newline"),
            format!("{head}\nsubject\r\n\r\nbody\r\n"),
            format!("{head}encoding ISO-8859-1\n\nsubject\n\n"),
            format!("{head}gpgsig -----BEGIN\n line\n -----END\n\nsigned\n\n"),
            format!("{head}\n"),
            head.clone(),
            String::new(),
            "\n\nsubject\n\n".to_owned(),
        ];
        for text in &texts {
            let bytes = text.as_bytes();
            for end in 0..=bytes.len() {
                let prefix = &bytes[..end];
                assert_eq!(
                    headers_complete(prefix),
                    plain_complete(prefix, false),
                    "{prefix:?}"
                );
                assert_eq!(
                    subject_complete(prefix),
                    plain_complete(prefix, true),
                    "{prefix:?}"
                );
            }
        }
    }

    /// What [`parse_head`] makes of `data`: tree, parents and date.
    fn head(data: &[u8]) -> Option<(ObjectId, Vec<ObjectId>, u64)> {
        let mut parents = Vec::new();
        let (tree, date) = parse_head(data, HashKind::Sha1, &mut |p| parents.push(p))?;
        Some((tree, parents, date))
    }

    /// Every prefix of a commit that [`head_complete`] accepts parses as
    /// the whole commit does, and a well-formed commit's is accepted as
    /// soon as it holds the committer line.
    #[test]
    fn a_complete_head_parses_as_the_whole_commit() {
        let tree = format!("tree {}\n", "1".repeat(40));
        let parent = |c: &str| format!("parent {}\n", c.repeat(40));
        let author = "author A U Thor <a@example.com> 1112911993 -0700\n";
        let committer = "committer C O Mitter <c@example.com> 1112912053 -0700\n";
        let long = format!("committer {} <c> 99 +0000\n", "x".repeat(600));
        let well_formed = [
            format!("{tree}{author}{committer}\nroot commit\n"),
            format!("{tree}{}{author}{committer}\nmsg\n", parent("2")),
            format!(
                "{tree}{}{}{}{author}{committer}gpgsig x\n\nmerge\n",
                parent("2"),
                parent("3"),
                parent("4")
            ),
            format!("{tree}{}{author}{long}\n{}", parent("5"), "m".repeat(900)),
        ];
        let odd = [
            format!("{tree}{}{committer}\nmsg\n", parent("6")),
            format!("{tree}{author}committer\nzzzzzzzzzzzzzzzzzz\n"),
            format!("{tree}{author}commit\n{}", "m".repeat(60)),
            format!("{tree}parent {}\n{author}{committer}", "7".repeat(39)),
            format!("{tree}parent 12\na\nb\n\n{}", "m".repeat(100)),
            format!("{tree}{author}committer C <c> 5 +0000"),
            format!("{tree}{}", parent("8")),
            "tree 12".to_string(),
        ];
        for (k, data) in well_formed.iter().chain(&odd).enumerate() {
            let data = data.as_bytes();
            let text = String::from_utf8_lossy(data);
            let whole = head(data);
            let mut accepted = false;
            for len in 0..=data.len() {
                if head_complete(&data[..len], HashKind::Sha1) {
                    accepted = true;
                    assert_eq!(head(&data[..len]), whole, "{text:?} cut at {len}");
                }
            }
            if k < well_formed.len() {
                let c = find(data, b"\ncommitter ").unwrap() + 1;
                let end = c + memchr::memchr(b'\n', &data[c..]).unwrap() + 1;
                assert!(head_complete(&data[..end], HashKind::Sha1), "{text:?}");
                assert!(!head_complete(&data[..end - 1], HashKind::Sha1), "{text:?}");
                assert!(accepted);
            }
        }
    }

    #[test]
    fn a_complete_author_line_dates_as_the_whole_commit() {
        let tree = format!("tree {}\n", "1".repeat(40));
        let cases = [
            format!("{tree}author A <a> 42 +0100\ncommitter C <c> 7 +0000\n\nmsg\n"),
            format!("{tree}committer C <c> 7 +0000\n\nauthor B <b> 9 +0000\n"),
            format!("{tree}committer C <c> 7 +0000\nauthor B <b> 9 +0000\n\n"),
            format!("{tree}author A <a> 42 +0100"),
        ];
        for data in &cases {
            let data = data.as_bytes();
            for len in 0..=data.len() {
                if author_line_complete(&data[..len]) {
                    assert_eq!(author_date(&data[..len]), author_date(data), "cut at {len}");
                }
            }
        }
        assert!(author_line_complete(&cases[0].as_bytes()[..70]));
        assert_eq!(author_date(cases[1].as_bytes()), 0);
        assert_eq!(author_date(cases[2].as_bytes()), 9);
    }

    /// What a walk hands over of packed commits with long messages: the
    /// whole objects unless asked for less (a filter that reads only the
    /// header lines changes nothing there), the header lines and subject,
    /// or the header lines alone, each a start of the whole object.
    #[test]
    fn walks_hand_over_as_much_as_asked() {
        use crate::history::{CommitFilter, PatternSyntax, Walk, WalkOptions};
        let dir = crate::doctest::Scratch::committed("hand-over", &[("a.txt", "a\n")]).unwrap();
        let body = "a line of the body\n".repeat(100);
        for i in 0..3 {
            dir.git(&[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("subject {i}"),
                "-m",
                &body,
            ])
            .unwrap();
        }
        dir.git(&["repack", "-adq", "--window=0"]).unwrap();
        let repo = crate::Repository::discover(&dir).unwrap();
        let hand_over = |how: Option<CommitText>, filter: Option<CommitFilter>| {
            let opts = WalkOptions {
                filter,
                ..WalkOptions::default()
            };
            let mut walk = Walk::new(&repo, opts);
            if let Some(how) = how {
                walk.keep_commit_data_up_to(how);
            }
            walk.push(repo.rev_parse("HEAD").unwrap(), false, false)
                .unwrap();
            let mut got = Vec::new();
            while let Some(next) = walk.next_with_data() {
                let (c, data) = next.unwrap();
                got.push((c.id, data));
            }
            got
        };
        let people =
            || CommitFilter::new(&["a"], &[], &[], PatternSyntax::Basic, false, false).unwrap();
        let whole = hand_over(None, None);
        assert_eq!(whole.len(), 4);
        let mut reader = repo.odb().reader();
        for (id, data) in &whole {
            assert_eq!(*data, reader.read(id).unwrap().data);
        }
        assert_eq!(hand_over(None, Some(people())), whole);
        assert_eq!(hand_over(Some(CommitText::Whole), Some(people())), whole);
        for (how, filter) in [
            (CommitText::Subject, None),
            (CommitText::Subject, Some(people())),
            (CommitText::Headers, None),
        ] {
            let got = hand_over(Some(how), filter);
            assert_eq!(got.len(), 4);
            for ((id, part), (_, all)) in got.iter().zip(&whole).take(3) {
                assert!(all.starts_with(part) && part.len() < all.len(), "{id}");
                assert!(how.holds(part), "{id}");
                if how == CommitText::Subject {
                    assert!(find(part, b"\n\nsubject ").is_some(), "{id}");
                }
            }
        }
    }

    fn find(data: &[u8], what: &[u8]) -> Option<usize> {
        data.windows(what.len()).position(|w| w == what)
    }
}
