//! git's revision walk (`revision.c`): starting points and exclusions, the
//! date-ordered walk, the limited walk (`limit_list`) that exclusions
//! need, both topological orders (the sort git does without generation
//! numbers and the incremental walk it does with them), `--max-count`,
//! `--skip`, `--boundary` and `--reverse`. Commits come out one at a time:
//! a walk that needs no limiting hands the first ones over before it has
//! seen the rest.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::error::{Error, WalkStage};
use crate::git_dir::shallow::Shallow;
use crate::graph::CommitGraph;
use crate::history::commits::{CommitText, Commits, Handover, Node, ParseFailure};
use crate::history::position_walk::{PositionWalk, Positional};
use crate::history::prune::Pruning;
use crate::history::prune::SimplifyError;
use crate::history::queue::{DateList, Queue, QueueOrder};
use crate::object::{ObjectId, ObjectKind};
use crate::odb::Reader;

use crate::history::flags::{
    ADDED, BOTTOM, BOUNDARY, CHILD_SHOWN, EXPLORED, INDEGREE, SEEN, SHOWN, SYMMETRIC_LEFT,
    TREESAME, UNINTERESTING,
};

/// How many commits past the last interesting one a limited walk looks
/// at before it concludes (git's `SLOP`: clock skew between commits).
const SLOP: u32 = 5;

/// The order commits come out in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// git's default: newest commit date first among those whose children
    /// came out, not necessarily after all of them.
    #[default]
    Default,
    /// `--topo-order`: no parent before all its children, and lines of
    /// history kept together.
    Topo,
    /// `--date-order`: no parent before its children, otherwise by
    /// commit date.
    CommitDate,
    /// `--author-date-order`: as `--date-order`, by author date.
    AuthorDate,
}

/// What to walk and how: `git rev-list`'s options.
#[allow(clippy::struct_excessive_bools)] // git's independent options
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    /// The order.
    pub order: Order,
    /// `--reverse`: the commits the walk selects, last first.
    pub reverse: bool,
    /// `--first-parent`: follow only the first parent of merges.
    pub first_parent: bool,
    /// `-n`/`--max-count`.
    pub max_count: Option<usize>,
    /// `--skip`.
    pub skip: usize,
    /// `--since`/`--max-age` (seconds since the epoch): older commits end
    /// the walk along their line.
    pub max_age: Option<u64>,
    /// `--until`/`--min-age`: newer commits are left out.
    pub min_age: Option<u64>,
    /// `--min-parents` (`--merges` is 2).
    pub min_parents: usize,
    /// `--max-parents` (`--no-merges` is 1).
    pub max_parents: Option<usize>,
    /// `--boundary`: after the commits, the excluded ones they lead to.
    pub boundary: bool,
    /// `--author`, `--committer`, `--grep`: the commits shown by their
    /// text.
    pub filter: Option<crate::history::CommitFilter>,
    /// `-- <paths>`: only commits that change these paths, with git's
    /// history simplification.
    pub paths: crate::diff::Pathspec,
    /// `--full-history`: with `paths`, follow every parent of a merge,
    /// not only one the paths came from unchanged.
    pub full_history: bool,
    /// `--parents` (git's `rewrite_parents`): with `paths`, each commit's
    /// parents become the nearest commits the walk shows, and merges
    /// that join shown lines are kept.
    pub rewrite_parents: bool,
    /// `--left-only` (`Some(true)`) or `--right-only` (`Some(false)`): of
    /// the commits a limited walk selects (`A...B`, or one git limits for
    /// its order), only those reached from that side.
    pub only_side: Option<bool>,
    /// `--no-walk`: the starting points alone, not what they lead to,
    /// newest first (`Some(true)`, git's `sorted`) or as pushed
    /// (`Some(false)`, `unsorted`). Not with `paths` or `boundary`
    /// ([`Error::InvalidOption`]).
    pub no_walk: Option<bool>,
}

impl WalkOptions {
    /// The filter, if it leaves any commit out (`--author`, `--committer`,
    /// `--grep` given).
    fn active_filter(&self) -> Option<&crate::history::CommitFilter> {
        self.filter.as_ref().filter(|f| !f.is_empty())
    }
}

/// A commit a walk handed over, and the bytes of its object or why they
/// could not be read ([`Walk::next_with_read`]).
pub type CommitRead = (Walked, Result<Vec<u8>, Error>);

/// One commit the walk selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Walked {
    /// The commit.
    pub id: ObjectId,
    /// Its parents, in order, as the walk leaves them: in a path-limited
    /// walk cut down by history simplification, or with
    /// [`rewrite_parents`](WalkOptions::rewrite_parents) rewritten to the
    /// nearest commits shown (what git prints for `--parents`).
    pub parents: Vec<ObjectId>,
    /// Its committer date as git reads it.
    pub date: u64,
    /// A `--boundary` commit (an excluded commit a selected one leads to).
    pub boundary: bool,
    /// Reached from an excluded starting point (git's `^` mark: only
    /// boundary commits are).
    pub uninteresting: bool,
    /// Reached from the left side of `A...B`.
    pub left: bool,
}

/// The state of the incremental topological walk (git's `topo_walk_info`).
struct TopoWalk {
    min_generation: u64,
    explore: Queue,
    indegree_queue: Queue,
    topo: Queue,
    indegree: Vec<i32>,
    author_dates: Vec<u64>,
}

/// git's revision walk over one repository's commits.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("walk", &[("a.txt", "a\n")])?;
/// # dir.git(&["commit", "-q", "--allow-empty", "-m", "second"])?;
/// use packread::history::{Walk, WalkOptions};
///
/// let repo = packread::Repository::discover(&dir)?;
/// let mut walk = Walk::new(&repo, WalkOptions::default());
/// walk.push(repo.rev_parse("HEAD")?, false, false)?;
/// let ids: Vec<_> = walk.map(|c| c.map(|c| c.id)).collect::<Result<_, _>>()?;
/// assert_eq!(ids, [repo.rev_parse("HEAD")?, repo.rev_parse("HEAD~")?]);
/// # Ok(()) }
/// ```
#[allow(clippy::struct_excessive_bools)] // independent states of git's walk
pub struct Walk {
    commits: Commits,
    opts: WalkOptions,
    pending: Vec<Node>,
    prepared: bool,
    limited: bool,
    /// The commits still to process (the unlimited walks).
    list: DateList,
    /// The commits to hand over (a limited walk's result, sorted).
    out: VecDeque<Node>,
    topo: Option<TopoWalk>,
    max_count: Option<usize>,
    skip: usize,
    /// 0: not yet; 2: handing over boundary commits.
    boundary_stage: u8,
    boundary_commits: Vec<Node>,
    reversed: Option<VecDeque<Node>>,
    failed: bool,
    /// What reading the repository's `shallow` file met: the first push
    /// fails with it (git dies before it walks).
    setup_error: Option<Error>,
    /// Excluded starting points pushed so far (symmetric differences
    /// counting for their merge bases).
    pub(crate) excluded_pushed: usize,
    pruning: Option<Pruning>,
    /// The starting points, sorted (git's `revs->commits` after
    /// `prepare_revision_walk` for a walk that isn't limited).
    initial: Vec<Node>,
    /// Whether [`Walked::parents`] is filled.
    parent_ids: bool,
    /// The walk over graph positions that replaces the arena's, when it
    /// selects what the arena's would (see `lists_by_position`).
    by_position: Option<Positional>,
    /// Whether the walk over positions may move to a thread of its own
    /// (decided when the first commit is handed over).
    position_thread_decided: bool,
}

impl Walk {
    /// A walk of `repo`'s commits, through its commit-graph if git would
    /// use one.
    pub fn new(repo: &crate::Repository, opts: WalkOptions) -> Walk {
        let (graph, _) = repo.commit_graph();
        let mut walk = Walk::with_graph(repo.odb().reader(), graph, opts);
        match repo.shallow() {
            Ok(shallow) => walk.set_shallow(shallow),
            Err(e) => walk.setup_error = Some(e),
        }
        walk
    }

    /// Takes the commits of `shallow` for parentless, as git does in a
    /// shallow repository ([`Walk::new`] reads the repository's).
    pub fn set_shallow(&mut self, shallow: Arc<Shallow>) {
        self.commits.set_shallow(shallow);
    }

    /// Turns `--no-walk` off (an excluded starting point came after it).
    pub(crate) fn walk_after_all(&mut self) {
        self.opts.no_walk = None;
    }

    /// The commits the walk takes for parentless (none unless set).
    pub fn shallow(&self) -> &Arc<Shallow> {
        self.commits.shallow()
    }

    /// A walk that reads commits with `reader` and, if given, `graph`.
    pub fn with_graph(
        mut reader: Reader,
        graph: Option<Arc<CommitGraph>>,
        opts: WalkOptions,
    ) -> Walk {
        let mut pruning = (!opts.paths.is_empty())
            .then(|| Pruning::new(opts.paths.clone(), opts.full_history, opts.first_parent));
        if let Some(pruning) = pruning.as_mut() {
            // Each commit's trees are diffed with its parent's (fewer
            // where Bloom filters answer: see `prepare`).
            reader.keep_tree_bases(usize::MAX);
            pruning.narrow_cache(&mut reader);
        } else {
            // Commits alone, each read once.
            let limit = reader.odb().commit_walk_delta_base_cache_limit();
            reader.set_delta_base_cache_limit(limit);
        }
        Walk {
            commits: {
                let mut commits = Commits::new(reader, graph);
                commits.set_prefetch_trees(pruning.is_some());
                if let Some(filter) = opts.active_filter() {
                    // `--grep` and the like read each commit (whole, or its
                    // headers): once, when it is parsed (where no paths
                    // thin them out).
                    if pruning.is_none() {
                        commits.keep_at_parse(filter.needs());
                    }
                }
                commits
            },
            max_count: opts.max_count,
            skip: opts.skip,
            opts,
            pending: Vec::new(),
            prepared: false,
            limited: false,
            list: DateList::new(),
            out: VecDeque::new(),
            topo: None,
            boundary_stage: 0,
            boundary_commits: Vec::new(),
            reversed: None,
            failed: false,
            setup_error: None,
            excluded_pushed: 0,
            pruning,
            initial: Vec::new(),
            parent_ids: true,
            by_position: None,
            position_thread_decided: false,
        }
    }

    fn topo_order(&self) -> bool {
        self.opts.order != Order::Default
    }

    /// Adds a starting point (`uninteresting`: an exclusion, `^id`; `left`:
    /// the left side of `A...B`), in git's order: tags are followed to
    /// what they tag; trees and blobs are not walked. An exclusion whose
    /// tag leads to a missing object is ignored, as git ignores it.
    pub fn push(&mut self, id: ObjectId, uninteresting: bool, left: bool) -> Result<(), Error> {
        if let Some(e) = self.setup_error.take() {
            self.failed = true;
            return Err(e);
        }
        self.excluded_pushed += usize::from(uninteresting);
        let mark = if uninteresting {
            UNINTERESTING | BOTTOM
        } else {
            0
        } | if left { SYMMETRIC_LEFT } else { 0 };
        let id = match self.peel_to_commit(id) {
            Ok(Some(id)) => id,
            // Trees and blobs are not walked.
            Ok(None) => return Ok(()),
            Err(Error::NotFound(_)) if uninteresting => return Ok(()),
            Err(e) => return Err(e),
        };
        let n = self.commits.lookup(&id);
        self.commits.set(n, mark);
        self.commits.parse_start(n)?;
        if uninteresting {
            self.mark_parents_uninteresting(n);
            if !self.topo_order() || !self.commits.generation_numbers_enabled() {
                self.limited = true;
            }
        }
        self.pending.push(n);
        Ok(())
    }

    /// Adds `a...b` (with `not`, as after `--not`): the commits one of
    /// them reaches and the other doesn't, their merge bases excluded, `a`
    /// on the left, as git adds them. `Ok(false)` if either is not a
    /// commit (git: an invalid symmetric difference).
    pub fn push_symmetric(&mut self, a: ObjectId, b: ObjectId, not: bool) -> Result<bool, Error> {
        if let Some(e) = self.setup_error.take() {
            self.failed = true;
            return Err(e);
        }
        self.excluded_pushed += 1;
        let (Some(ca), Some(cb)) = (self.peel_to_commit(a)?, self.peel_to_commit(b)?) else {
            return Ok(false);
        };
        let (na, nb) = (self.commits.lookup(&ca), self.commits.lookup(&cb));
        let bases = crate::history::merge_base::merge_bases(&mut self.commits, na, &[nb])?;
        for base in bases {
            let id = self.commits.id(base)?;
            self.push(id, !not, false)?;
        }
        self.push(a, not, true)?;
        self.push(b, not, false)?;
        Ok(true)
    }

    /// The commit `id` names, tags followed; `None` for another kind.
    fn peel_to_commit(&mut self, id: ObjectId) -> Result<Option<ObjectId>, Error> {
        let mut id = id;
        let mut data = Vec::new();
        loop {
            // As git's `get_reference`: the type from the header; only a
            // tag is read (a commit is parsed as the walk parses it).
            match self.commits.reader.header(&id)?.kind {
                ObjectKind::Commit => return Ok(Some(id)),
                ObjectKind::Tag => {
                    self.commits.reader.read_into(&id, &mut data)?;
                    let tag = crate::object::commit::Tag::parse(&data, id.kind())
                        .map_err(|_| Error::MalformedCommit(id))?;
                    id = tag.object;
                }
                _ => return Ok(None),
            }
        }
    }

    /// git's `mark_parents_uninteresting`: the parents of `n`, and theirs
    /// as far as they are parsed already.
    fn mark_parents_uninteresting(&mut self, n: Node) {
        let mut pending: Vec<Node> = Vec::new();
        let parents = self.commits.parents(n).to_vec();
        for p in parents {
            self.mark_one_uninteresting(p, &mut pending);
        }
        while let Some(c) = pending.pop() {
            self.mark_one_uninteresting(c, &mut pending);
        }
    }

    fn mark_one_uninteresting(&mut self, c: Node, pending: &mut Vec<Node>) {
        if self.commits.flags(c) & UNINTERESTING != 0 {
            return;
        }
        self.commits.set(c, UNINTERESTING);
        pending.extend_from_slice(self.commits.parents(c));
    }

    /// git's `process_parents`: marks and queues the parents of `n` once.
    fn process_parents(&mut self, n: Node, mut list: Option<&mut DateList>) -> Result<(), Error> {
        if self.commits.flags(n) & ADDED != 0 {
            return Ok(());
        }
        self.commits.set(n, ADDED);
        let parents = self.commits.parent_list(n);
        if self.commits.flags(n) & UNINTERESTING != 0 {
            for &p in parents.as_slice() {
                self.commits.set(p, UNINTERESTING);
                if self.commits.parse(p).is_err() {
                    continue;
                }
                if !self.commits.parents(p).is_empty() {
                    self.mark_parents_uninteresting(p);
                }
                if self.commits.flags(p) & SEEN != 0 {
                    continue;
                }
                self.commits.set(p, SEEN);
                if let Some(list) = list.as_deref_mut() {
                    list.insert(p, self.commits.date(p));
                }
            }
            return Ok(());
        }
        let parents = match self.pruning.as_mut() {
            Some(pruning) => {
                if let Err(e) = pruning.simplify(&mut self.commits, n) {
                    return Err(match e {
                        SimplifyError::Parent(p, failure) => {
                            self.parent_error(n, p, failure, WalkStage::Simplify)
                        }
                        SimplifyError::Other(e) => e,
                    });
                }
                self.commits.parent_list(n)
            }
            None => parents,
        };
        let pass = self.commits.flags(n) & SYMMETRIC_LEFT;
        for &p in parents.as_slice() {
            if let Err(failure) = self.commits.parse(p) {
                return Err(self.parent_error(n, p, failure, WalkStage::Traverse));
            }
            self.commits.set(p, pass);
            if self.commits.flags(p) & SEEN == 0 {
                self.commits.set(p, SEEN);
                if let Some(list) = list.as_deref_mut() {
                    list.insert(p, self.commits.date(p));
                }
            }
            if self.opts.first_parent {
                break;
            }
        }
        Ok(())
    }

    /// The error of a walk that could not parse `p`, a parent of `n`.
    fn parent_error(&mut self, n: Node, p: Node, failure: ParseFailure, stage: WalkStage) -> Error {
        let source = Box::new(Error::from(failure));
        match (self.commits.id(n), self.commits.id(p)) {
            (Ok(commit), Ok(parent)) => Error::WalkParent {
                commit,
                parent,
                stage,
                source,
            },
            (Err(e), _) | (_, Err(e)) => e,
        }
    }

    /// `process_parents` into the walk's own date list.
    fn process_parents_into_list(&mut self, n: Node) -> Result<(), Error> {
        let mut list = std::mem::replace(&mut self.list, DateList::new());
        let done = self.process_parents(n, Some(&mut list));
        self.list = list;
        done
    }

    /// git's `prepare_revision_walk`.
    fn prepare(&mut self) -> Result<(), Error> {
        self.prepared = true;
        let mut initial = Vec::new();
        for n in std::mem::take(&mut self.pending) {
            if self.commits.flags(n) & SEEN == 0 {
                self.commits.set(n, SEEN);
                initial.push(n);
            }
        }
        if let Some(sorted) = self.opts.no_walk {
            // git's `prepare_revision_walk` stops here: no limiting, no
            // topological order, the starting points as the list.
            if self.pruning.is_some() || self.opts.boundary {
                return Err(Error::InvalidOption(
                    "--no-walk with paths or --boundary".into(),
                ));
            }
            if sorted {
                // A stable sort, newest first.
                initial.sort_by_key(|&n| std::cmp::Reverse(self.commits.date(n)));
            }
            self.out = initial.iter().copied().collect();
            self.initial = initial;
            return Ok(());
        }
        // git limits a topological walk without generation numbers
        // (`setup_revisions`): the whole history is walked first, and a
        // parent that can't be read fails the setup, before any output.
        if self.topo_order() && !self.commits.generation_numbers_enabled() {
            self.limited = true;
        }
        if let Some(pruning) = self.pruning.as_mut() {
            if self.limited && pruning.can_increase_treesame() {
                pruning.keep_treesame();
            }
            if !initial.is_empty() {
                pruning.prepare_bloom(&self.commits);
                if pruning.uses_bloom() {
                    // Most commits' trees are never read; their filters are.
                    self.commits.set_prefetch_trees(false);
                    self.commits.set_prefetch_filters(true);
                }
                // With two cores, the paths' entries are found on a
                // thread ahead of the walk too (the graph gives it the
                // commits' trees).
                let two_cores = std::thread::available_parallelism().is_ok_and(|c| c.get() > 1);
                if two_cores && self.commits.fits_two_readers() {
                    let starts: Option<Vec<(u32, u64)>> = initial
                        .iter()
                        .filter(|&&n| self.commits.flags(n) & UNINTERESTING == 0)
                        .map(|&n| Some((self.commits.graph_pos(n)?, self.commits.date(n))))
                        .collect();
                    if let Some(starts) = starts {
                        pruning.read_ahead_from(starts);
                    }
                }
                if pruning.uses_bloom() && !self.opts.full_history {
                    // Trees read far apart in history (with the whole
                    // history, the other parents of merges are diffed
                    // all the same).
                    pruning.read_trees_far_apart(&mut self.commits.reader);
                }
            }
        }
        // A stable sort, newest first.
        initial.sort_by_key(|&n| std::cmp::Reverse(self.commits.date(n)));
        if self.lists_by_position(&initial) {
            let starts: Vec<(u32, u64)> = initial
                .iter()
                .filter_map(|&n| Some((self.commits.graph_pos(n)?, self.commits.date(n))))
                .collect();
            let graph = self.commits.graph().expect("listing by position").clone();
            self.by_position = Some(Positional::Here(PositionWalk::new(
                graph,
                &starts,
                self.opts.first_parent,
                self.max_count.take(),
                std::mem::take(&mut self.skip),
            )));
            self.initial = initial;
            return Ok(());
        }
        for &n in &initial {
            self.list.insert(n, self.commits.date(n));
        }
        self.initial.clone_from(&initial);
        if self.limited {
            self.limit_list()?;
            if self.topo_order() {
                let list: Vec<Node> = self.out.drain(..).collect();
                self.out = self.sort_in_topological_order(&list).into();
            }
        } else if self.topo_order() {
            self.init_topo_walk(&initial);
        }
        Ok(())
    }

    /// git's `limit_list`: walks until only excluded commits are left
    /// (and [`SLOP`] more), keeping the selected ones in order.
    fn limit_list(&mut self) -> Result<(), Error> {
        let mut slop = SLOP;
        let mut date = u64::MAX;
        let mut cache: Option<Node> = None;
        let mut list = std::mem::replace(&mut self.list, DateList::new());
        while let Some(c) = list.pop() {
            if cache == Some(c) {
                cache = None;
            }
            if self
                .opts
                .max_age
                .is_some_and(|age| self.commits.date(c) < age)
            {
                self.commits.set(c, UNINTERESTING);
            }
            self.process_parents(c, Some(&mut list))
                .map_err(|e| match e {
                    Error::WalkParent {
                        commit,
                        parent,
                        stage: WalkStage::Traverse,
                        source,
                    } => Error::WalkParent {
                        commit,
                        parent,
                        stage: WalkStage::Setup,
                        source,
                    },
                    other => other,
                })?;
            if self.commits.flags(c) & UNINTERESTING != 0 {
                self.mark_parents_uninteresting(c);
                slop = self.still_interesting(&mut list, date, slop, &mut cache);
                if slop > 0 {
                    continue;
                }
                break;
            }
            if self
                .opts
                .min_age
                .is_some_and(|age| self.commits.date(c) > age)
            {
                continue;
            }
            date = self.commits.date(c);
            self.out.push_back(c);
        }
        // git's `limit_left_right`.
        if let Some(left) = self.opts.only_side {
            for &c in &self.out {
                if (self.commits.flags(c) & SYMMETRIC_LEFT != 0) != left {
                    self.commits.set(c, SHOWN);
                }
            }
        }
        // Merges may have become TREESAME by parents becoming uninteresting.
        if let Some(pruning) = self.pruning.as_ref().filter(|p| p.can_increase_treesame()) {
            for &c in &self.out {
                if self.commits.flags(c) & (UNINTERESTING | TREESAME) == 0 {
                    pruning.update_treesame(&mut self.commits, c);
                }
            }
        }
        Ok(())
    }

    fn still_interesting(
        &self,
        list: &mut DateList,
        date: u64,
        slop: u32,
        cache: &mut Option<Node>,
    ) -> u32 {
        let Some(first) = list.first_date() else {
            return 0;
        };
        if date <= first {
            return SLOP;
        }
        if let Some(c) = *cache
            && self.commits.flags(c) & UNINTERESTING == 0
        {
            return SLOP;
        }
        if let Some(c) = list
            .nodes()
            .find(|&c| self.commits.flags(c) & UNINTERESTING == 0)
        {
            *cache = Some(c);
            return SLOP;
        }
        slop - 1
    }

    /// The key a topological queue orders `n` by.
    fn topo_key(&self, n: Node, author_dates: &[u64]) -> u64 {
        match self.opts.order {
            Order::AuthorDate => author_dates.get(n as usize).copied().unwrap_or(0),
            _ => self.commits.date(n),
        }
    }

    fn topo_queue_order(&self) -> QueueOrder {
        match self.opts.order {
            Order::Default | Order::Topo => QueueOrder::Stack,
            Order::CommitDate | Order::AuthorDate => QueueOrder::Keyed,
        }
    }

    fn author_dates_of(&mut self, nodes: &[Node], dates: &mut Vec<u64>) {
        if self.opts.order != Order::AuthorDate {
            return;
        }
        for &n in nodes {
            record(dates, n, self.commits.author_date(n));
        }
    }

    /// git's `sort_in_topological_order`.
    fn sort_in_topological_order(&mut self, list: &[Node]) -> Vec<Node> {
        if list.is_empty() {
            return Vec::new();
        }
        let mut author_dates = Vec::new();
        self.author_dates_of(list, &mut author_dates);
        let mut indegree: Vec<i32> = Vec::new();
        for &n in list {
            record(&mut indegree, n, 1);
        }
        for &n in list {
            for &p in self.commits.parents(n) {
                if let Some(d) = indegree.get_mut(p as usize)
                    && *d > 0
                {
                    *d += 1;
                }
            }
        }
        let mut queue = Queue::new(self.topo_queue_order());
        for &n in list {
            if indegree[n as usize] == 1 {
                queue.put(n, self.topo_key(n, &author_dates), 0);
            }
        }
        if self.topo_queue_order() == QueueOrder::Stack {
            queue.reverse();
        }
        let mut sorted = Vec::with_capacity(list.len());
        while let Some(n) = queue.get() {
            for i in 0..self.commits.parents(n).len() {
                let p = self.commits.parents(n)[i];
                let Some(d) = indegree.get_mut(p as usize) else {
                    continue;
                };
                if *d == 0 {
                    continue;
                }
                *d -= 1;
                if *d == 1 {
                    let key = self.topo_key(p, &author_dates);
                    queue.put(p, key, 0);
                }
            }
            indegree[n as usize] = 0;
            sorted.push(n);
        }
        sorted
    }

    fn gen_key(&self, n: Node) -> (u64, u64) {
        (self.commits.generation(n), self.commits.date(n))
    }

    /// git's `init_topo_walk`.
    fn init_topo_walk(&mut self, initial: &[Node]) {
        let mut t = TopoWalk {
            min_generation: crate::graph::GENERATION_INFINITY,
            explore: Queue::new(QueueOrder::Keyed),
            indegree_queue: Queue::new(QueueOrder::Keyed),
            topo: Queue::new(self.topo_queue_order()),
            indegree: Vec::new(),
            author_dates: Vec::new(),
        };
        for &c in initial {
            if self.commits.parse(c).is_err() {
                continue;
            }
            self.test_flag_and_insert(c, EXPLORED, &mut t.explore);
            self.test_flag_and_insert(c, INDEGREE, &mut t.indegree_queue);
            t.min_generation = t.min_generation.min(self.commits.generation(c));
            record(&mut t.indegree, c, 1);
            if self.opts.order == Order::AuthorDate {
                let a = self.commits.author_date(c);
                record(&mut t.author_dates, c, a);
            }
        }
        let cutoff = t.min_generation;
        self.compute_indegrees_to_depth(&mut t, cutoff);
        for &c in initial {
            if t.indegree.get(c as usize) == Some(&1) {
                let key = self.topo_key(c, &t.author_dates);
                t.topo.put(c, key, 0);
            }
        }
        if self.topo_queue_order() == QueueOrder::Stack {
            t.topo.reverse();
        }
        self.topo = Some(t);
    }

    fn test_flag_and_insert(&mut self, c: Node, flag: u32, queue: &mut Queue) {
        if self.commits.flags(c) & flag != 0 {
            return;
        }
        self.commits.set(c, flag);
        let (g, d) = self.gen_key(c);
        queue.put(c, g, d);
    }

    fn explore_walk_step(&mut self, t: &mut TopoWalk) {
        let Some(c) = t.explore.get() else { return };
        if self.commits.parse(c).is_err() {
            return;
        }
        if self.opts.order == Order::AuthorDate {
            let a = self.commits.author_date(c);
            record(&mut t.author_dates, c, a);
        }
        if self
            .opts
            .max_age
            .is_some_and(|age| self.commits.date(c) < age)
        {
            self.commits.set(c, UNINTERESTING);
        }
        if self.process_parents(c, None).is_err() {
            return;
        }
        if self.commits.flags(c) & UNINTERESTING != 0 {
            self.mark_parents_uninteresting(c);
        }
        for p in self.commits.parents(c).to_vec() {
            self.test_flag_and_insert(p, EXPLORED, &mut t.explore);
        }
    }

    fn explore_to_depth(&mut self, t: &mut TopoWalk, cutoff: u64) {
        while let Some(c) = t.explore.peek() {
            if self.commits.generation(c) < cutoff {
                break;
            }
            self.explore_walk_step(t);
        }
    }

    fn indegree_walk_step(&mut self, t: &mut TopoWalk) {
        let Some(c) = t.indegree_queue.get() else {
            return;
        };
        if self.commits.parse(c).is_err() {
            return;
        }
        let g = self.commits.generation(c);
        self.explore_to_depth(t, g);
        for p in self.commits.parents(c).to_vec() {
            if self.commits.parse(p).is_err() {
                return;
            }
            let d = slot(&mut t.indegree, p);
            *d = if *d != 0 { *d + 1 } else { 2 };
            self.test_flag_and_insert(p, INDEGREE, &mut t.indegree_queue);
            if self.opts.first_parent {
                return;
            }
        }
    }

    fn compute_indegrees_to_depth(&mut self, t: &mut TopoWalk, cutoff: u64) {
        while let Some(c) = t.indegree_queue.peek() {
            if self.commits.generation(c) < cutoff {
                break;
            }
            self.indegree_walk_step(t);
        }
    }

    fn next_topo_commit(&mut self) -> Option<Node> {
        let t = self.topo.as_mut().expect("a topological walk");
        let c = t.topo.get()?;
        *slot(&mut t.indegree, c) = 0;
        Some(c)
    }

    /// git's `expand_topo_walk`.
    fn expand_topo_walk(&mut self, c: Node) -> Result<(), Error> {
        self.process_parents(c, None)?;
        let mut t = self.topo.take().expect("a topological walk");
        for p in self.commits.parents(c).to_vec() {
            if self.commits.flags(p) & UNINTERESTING != 0 {
                continue;
            }
            if self.commits.parse(p).is_err() {
                continue;
            }
            let g = self.commits.generation(p);
            if g < t.min_generation {
                t.min_generation = g;
                self.compute_indegrees_to_depth(&mut t, g);
            }
            let d = slot(&mut t.indegree, p);
            *d -= 1;
            if *d == 1 {
                let key = self.topo_key(p, &t.author_dates);
                t.topo.put(p, key, 0);
            }
            if self.opts.first_parent {
                break;
            }
        }
        self.topo = Some(t);
        Ok(())
    }

    /// Whether git shows `n` (`get_commit_action` without paths).
    fn shows(&mut self, n: Node) -> Result<bool, Error> {
        let flags = self.commits.flags(n);
        if flags & (SHOWN | UNINTERESTING) != 0 {
            return Ok(false);
        }
        if self
            .opts
            .min_age
            .is_some_and(|age| self.commits.date(n) > age)
        {
            return Ok(false);
        }
        let parents = self.commits.parents(n).len();
        if parents < self.opts.min_parents || self.opts.max_parents.is_some_and(|m| parents > m) {
            return Ok(false);
        }
        // A commit that doesn't change the paths; with parents rewritten,
        // kept if it joins two relevant lines.
        if self.pruning.is_some() && self.commits.flags(n) & TREESAME != 0 {
            if !self.opts.rewrite_parents {
                return Ok(false);
            }
            let parents = self.commits.parents(n).to_vec();
            let relevant = parents.iter().filter(|&&p| self.relevant(p)).count();
            if relevant < 2 {
                return Ok(false);
            }
        }
        if let Some(filter) = self.opts.active_filter() {
            let id = self.commits.id(n)?;
            let text = self
                .commits
                .text_for(n, filter.needs())
                .map_err(|e| Error::CommitText {
                    commit: id,
                    source: Box::new(e),
                })?;
            return Ok(filter.matches(&text));
        }
        Ok(true)
    }

    /// git's `relevant_commit`: interesting, or a bottom of a range.
    fn relevant(&self, n: Node) -> bool {
        self.commits.flags(n) & (UNINTERESTING | BOTTOM) != UNINTERESTING
    }

    /// git's `one_relevant_parent`.
    fn one_relevant_parent(&self, parents: &[Node]) -> Option<Node> {
        if parents.is_empty() {
            return None;
        }
        if self.opts.first_parent || parents.len() == 1 {
            return Some(parents[0]);
        }
        let mut found = None;
        for &p in parents {
            if self.relevant(p) {
                if found.is_some() {
                    return None;
                }
                found = Some(p);
            }
        }
        found
    }

    /// git's `rewrite_one`: the nearest commit down from `p` that is not
    /// TREESAME (or is uninteresting, or where lines part); `None` where
    /// the line ends.
    fn rewrite_one(&mut self, mut p: Node) -> Result<Option<Node>, Error> {
        loop {
            if !self.limited {
                if self.topo.is_some() {
                    self.process_parents(p, None)?;
                } else {
                    self.process_parents_into_list(p)?;
                }
            }
            let flags = self.commits.flags(p);
            if flags & UNINTERESTING != 0 || flags & TREESAME == 0 {
                return Ok(Some(p));
            }
            let parents = self.commits.parents(p).to_vec();
            if parents.is_empty() {
                return Ok(None);
            }
            match self.one_relevant_parent(&parents) {
                Some(next) => p = next,
                None => return Ok(Some(p)),
            }
        }
    }

    /// git's `rewrite_parents`, then `remove_duplicate_parents`.
    fn rewrite_parents(&mut self, n: Node) -> Result<(), Error> {
        let mut rewritten: Vec<Node> = Vec::new();
        for p in self.commits.parents(n).to_vec() {
            if let Some(q) = self.rewrite_one(p)? {
                rewritten.push(q);
            }
        }
        let mut kept: Vec<Node> = Vec::with_capacity(rewritten.len());
        for q in rewritten {
            if kept.contains(&q) {
                if let Some(pruning) = self.pruning.as_mut() {
                    pruning.compact_treesame(&mut self.commits, n, kept.len());
                }
                continue;
            }
            kept.push(q);
        }
        self.commits.set_parents(n, &kept);
        Ok(())
    }

    /// git's `get_revision_1`.
    fn next_selected(&mut self) -> Result<Option<Node>, Error> {
        loop {
            let no_walk = self.opts.no_walk.is_some();
            let c = if self.topo.is_some() {
                self.next_topo_commit()
            } else if self.limited || no_walk {
                self.out.pop_front()
            } else {
                self.list.pop()
            };
            let Some(c) = c else { return Ok(None) };
            if no_walk {
                // git's `process_parents` returns before the parents.
                if self
                    .opts
                    .max_age
                    .is_some_and(|age| self.commits.date(c) < age)
                {
                    continue;
                }
            } else if !self.limited {
                if self
                    .opts
                    .max_age
                    .is_some_and(|age| self.commits.date(c) < age)
                {
                    continue;
                }
                if self.topo.is_some() {
                    self.expand_topo_walk(c)?;
                } else {
                    self.process_parents_into_list(c)?;
                }
            }
            if self.shows(c)? {
                if self.pruning.is_some() && self.opts.rewrite_parents {
                    self.rewrite_parents(c)?;
                }
                return Ok(Some(c));
            }
        }
    }

    /// git's `get_revision_internal`.
    fn next_internal(&mut self) -> Result<Option<Node>, Error> {
        if self.boundary_stage == 2 {
            let c = self.out.pop_front();
            if let Some(c) = c {
                self.commits.set(c, SHOWN);
            }
            return Ok(c);
        }
        let mut c = None;
        if self.max_count != Some(0) {
            c = self.next_selected()?;
            if c.is_some() {
                while self.skip > 0 {
                    self.skip -= 1;
                    c = self.next_selected()?;
                    if c.is_none() {
                        break;
                    }
                }
            }
            if let Some(m) = self.max_count.as_mut() {
                *m -= 1;
            }
        }
        if let Some(c) = c {
            self.commits.set(c, SHOWN);
        }
        if !self.opts.boundary {
            return Ok(c);
        }
        let Some(c) = c else {
            self.boundary_stage = 2;
            self.create_boundary_list();
            return self.next_internal();
        };
        for p in self.commits.parents(c).to_vec() {
            if self.commits.flags(p) & (CHILD_SHOWN | SHOWN) != 0 {
                continue;
            }
            self.commits.set(p, CHILD_SHOWN);
            self.boundary_commits.push(p);
        }
        Ok(Some(c))
    }

    fn create_boundary_list(&mut self) {
        let mut list = Vec::new();
        for c in std::mem::take(&mut self.boundary_commits) {
            let f = self.commits.flags(c);
            if f & CHILD_SHOWN == 0 || f & (SHOWN | BOUNDARY) != 0 {
                continue;
            }
            self.commits.set(c, BOUNDARY);
            list.push(c);
        }
        // git prepends each: the list is in reverse.
        list.reverse();
        self.out = self.sort_in_topological_order(&list).into();
    }

    /// git's `get_revision`.
    fn next_node(&mut self) -> Result<Option<Node>, Error> {
        if !self.prepared {
            self.prepare()?;
        }
        if self.opts.reverse && self.reversed.is_none() {
            let mut all = VecDeque::new();
            while let Some(c) = self.next_internal()? {
                all.push_front(c);
            }
            self.reversed = Some(all);
        }
        match &mut self.reversed {
            Some(list) => Ok(list.pop_front()),
            None => self.next_internal(),
        }
    }

    /// The trees `rev-list --objects` leaves out with all they hold (git's
    /// `mark_edges_uninteresting`, after the walk is prepared): those of
    /// excluded starting points, and of the excluded parents of the
    /// commits a limited walk selected (or of its starting points). Ask
    /// before taking commits from the walk: a commit handed over forgets
    /// its parents, as in git.
    pub fn edge_trees(&mut self) -> Result<Vec<ObjectId>, Error> {
        if !self.prepared {
            self.prepare()?;
        }
        let commits: Vec<Node> = if self.limited {
            self.out.iter().copied().collect()
        } else {
            self.initial.clone()
        };
        let mut trees = Vec::new();
        for c in commits {
            if self.commits.flags(c) & UNINTERESTING != 0 {
                if self.commits.get(c).parsed {
                    trees.push(self.commits.tree(c)?);
                }
                continue;
            }
            for p in self.commits.parents(c).to_vec() {
                if self.commits.flags(p) & UNINTERESTING != 0 && self.commits.get(p).parsed {
                    trees.push(self.commits.tree(p)?);
                }
            }
        }
        Ok(trees)
    }

    /// A reader of the walk's database (for reads beside the walk).
    pub fn reader_handle(&self) -> Reader {
        self.commits.reader.odb().reader()
    }

    /// The root tree of a commit the walk has handed over (`None` for one
    /// it has not met).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("tree-of", &[("a.txt", "a\n")])?;
    /// use packread::history::{Walk, WalkOptions};
    ///
    /// let repo = packread::Repository::discover(&dir)?;
    /// let mut walk = Walk::new(&repo, WalkOptions::default());
    /// walk.push(repo.rev_parse("HEAD")?, false, false)?;
    /// let first = walk.next().expect("one commit")?;
    /// assert_eq!(walk.tree_of(&first.id)?, Some(repo.rev_parse("HEAD^{tree}")?));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When the commit-graph the tree is read from can't be read.
    pub fn tree_of(&mut self, id: &ObjectId) -> Result<Option<ObjectId>, Error> {
        if self.by_position.is_some() {
            // The commits it hands over are the graph's.
            return match self.commits.graph_pos_of(id) {
                Some(pos) => self.commits.graph_tree(pos).map(Some),
                None => Ok(None),
            };
        }
        let Some(n) = self.commits.find(id) else {
            return Ok(None);
        };
        if !self.commits.get(n).parsed {
            return Ok(None);
        }
        self.commits.tree(n).map(Some)
    }

    /// Whether a reader of the same window manager on another thread can
    /// read while this walk holds its windows: the handle limit leaves
    /// room for both.
    pub(crate) fn fits_two_readers(&self) -> bool {
        self.commits.fits_two_readers()
    }

    /// Lets go of the windows the walk's reads hold between reads.
    pub(crate) fn release_windows(&mut self) {
        self.commits.release_windows();
    }

    /// Makes [`next_with_data`](Self::next_with_data) cheap: the bytes of
    /// the commits the walk parses from their objects are kept a while,
    /// so that a commit shown soon after it was parsed is not read twice.
    pub fn keep_commit_data(&mut self) {
        self.keep_commit_data_up_to(CommitText::Whole);
    }

    /// As [`keep_commit_data`](Self::keep_commit_data), but the bytes
    /// handed over may be only a commit's start: as much as `how` says
    /// (its header lines and subject, say, for `log --oneline`), which
    /// is all that is read of it.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("subject", &[("a.txt", "a\n")])?;
    /// use packread::history::{CommitText, Walk, WalkOptions};
    ///
    /// let repo = packread::Repository::discover(&dir)?;
    /// let mut walk = Walk::new(&repo, WalkOptions::default());
    /// walk.keep_commit_data_up_to(CommitText::Subject);
    /// walk.push(repo.rev_parse("HEAD")?, false, false)?;
    /// let (_, data) = walk.next_with_data().expect("one commit")?;
    /// assert!(data.starts_with(b"tree "));
    /// # Ok(()) }
    /// ```
    pub fn keep_commit_data_up_to(&mut self, how: CommitText) {
        // A path-limited walk shows few of the commits it parses: it reads
        // the bytes of those it shows alone.
        let at_parse = self.pruning.is_none();
        self.commits.keep_recent(how, at_parse);
        // `--grep` and the like read every commit (as much as they need):
        // kept for the show too.
        if let Some(filter) = self.opts.active_filter()
            && at_parse
        {
            self.commits.keep_at_parse(filter.needs());
        }
    }

    /// The next commit and the bytes of its object (`git log` shows them).
    /// A commit whose object can't be read ends the walk with
    /// [`Error::CommitText`].
    pub fn next_with_data(&mut self) -> Option<Result<(Walked, Vec<u8>), Error>> {
        match self.next_with_read()? {
            Ok((walked, data)) => {
                self.failed = data.is_err();
                Some(data.map(|data| (walked, data)))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// The next commit, and the bytes of its object or why they could not
    /// be read ([`Error::CommitText`]; the walk goes on, as `rev-list`
    /// does). A commit-graph lists commits whose objects may be gone: git
    /// shows what the graph holds of such a commit (its id, parents and
    /// tree) and fails only where it needs the rest.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("with-read", &[("a.txt", "a\n")])?;
    /// use packread::history::{Walk, WalkOptions};
    ///
    /// let repo = packread::Repository::discover(&dir)?;
    /// let mut walk = Walk::new(&repo, WalkOptions::default());
    /// walk.push(repo.rev_parse("HEAD")?, false, false)?;
    /// let (commit, data) = walk.next_with_read().expect("one commit")?;
    /// assert_eq!(commit.id, repo.rev_parse("HEAD")?);
    /// assert!(data?.starts_with(b"tree "));
    /// assert!(walk.next_with_read().is_none());
    /// # Ok(()) }
    /// ```
    pub fn next_with_read(&mut self) -> Option<Result<CommitRead, Error>> {
        Some(self.next_with_handover()?.map(|(walked, bytes)| {
            let data = bytes.read(&mut self.commits.reader);
            let data = data.map_err(|e| Error::CommitText {
                commit: walked.id,
                source: Box::new(e),
            });
            (walked, data)
        }))
    }

    /// As [`next_with_read`](Self::next_with_read), but the commit's bytes
    /// are left to read where the walk didn't keep them from its parsing:
    /// for readers on other threads.
    pub(crate) fn next_with_handover(&mut self) -> Option<Result<(Walked, Handover), Error>> {
        if self.failed {
            return None;
        }
        match self.by_position() {
            Ok(true) => {
                let walked = match self.next_by_position() {
                    Ok(Some(walked)) => walked,
                    Ok(None) => return None,
                    Err(e) => return Some(Err(e)),
                };
                let bytes = self.commits.handover_of(walked.id);
                Some(Ok((walked, bytes)))
            }
            Ok(false) => {
                let n = match self.next_node() {
                    Ok(Some(n)) => n,
                    Ok(None) => return None,
                    Err(e) => {
                        self.failed = true;
                        return Some(Err(e));
                    }
                };
                let walked = match self.hand_over(n) {
                    Ok(walked) => walked,
                    Err(e) => {
                        self.failed = true;
                        return Some(Err(e));
                    }
                };
                let bytes = self.commits.handover(n);
                Some(Ok((walked, bytes)))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// How many readers besides the walk's the handle limit has room for
    /// while the walk holds its windows.
    pub(crate) fn readers_room(&self) -> usize {
        self.commits.readers_room()
    }

    /// Whether a commit-graph gives the walk its commits' parents and
    /// dates, so that it walks without reading their objects.
    pub(crate) fn walks_by_graph(&self) -> bool {
        self.commits.has_graph()
    }

    /// Whether a thread finds the paths' entries ahead of the walk (see
    /// `paths_ahead`).
    #[cfg(test)]
    pub(crate) fn paths_ahead_started(&self) -> bool {
        self.pruning.as_ref().is_some_and(Pruning::ahead_started)
    }

    /// How many commits the walk took from the thread reading them ahead
    /// (see `heads_ahead`), if one started.
    #[cfg(test)]
    pub(crate) fn taken_from_thread(&self) -> Option<u64> {
        self.commits.taken_from_thread()
    }

    /// A reader of the walk's database with the cache a commit walk's
    /// reads want.
    pub(crate) fn commit_reader(&self) -> Reader {
        self.commits.commit_reader()
    }

    /// Counts the commits the walk has left to select, as `rev-list
    /// --count` does: `(left, right)`, the commits reached from the left
    /// side of `A...B` and the others. Cheaper than counting what the
    /// iterator hands over (no [`Walked`] is made).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("count", &[("a.txt", "a\n")])?;
    /// # dir.git(&["commit", "-q", "--allow-empty", "-m", "second"])?;
    /// use packread::history::{Walk, WalkOptions};
    ///
    /// let repo = packread::Repository::discover(&dir)?;
    /// let mut walk = Walk::new(&repo, WalkOptions::default());
    /// walk.push(repo.rev_parse("HEAD")?, false, false)?;
    /// assert_eq!(walk.count_sides()?, (0, 2));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As the iterator's items.
    pub fn count_sides(&mut self) -> Result<(u64, u64), Error> {
        if self.counts_by_reach() {
            // Every commit the starting points reach: no order needed.
            self.prepared = true;
            let starts = std::mem::take(&mut self.pending);
            return match self
                .commits
                .count_reachable(&starts, self.opts.first_parent)
            {
                Ok(n) => Ok((0, n)),
                Err(e) => {
                    self.failed = true;
                    Err(e)
                }
            };
        }
        if self.by_position()? {
            let walk = self.by_position.as_mut().expect("walking by position");
            let mut count = 0;
            loop {
                match walk.next() {
                    Ok(Some(_)) => count += 1,
                    Ok(None) => return Ok((0, count)),
                    Err(e) => {
                        self.failed = true;
                        return Err(e);
                    }
                }
            }
        }
        let (mut left, mut right) = (0, 0);
        while !self.failed {
            match self.next_node() {
                Ok(Some(n)) => {
                    if self.commits.flags(n) & SYMMETRIC_LEFT != 0 {
                        left += 1;
                    } else {
                        right += 1;
                    }
                    self.commits.set_parents(n, &[]);
                }
                Ok(None) => break,
                Err(e) => {
                    self.failed = true;
                    return Err(e);
                }
            }
        }
        Ok((left, right))
    }

    /// Leaves [`Walked::parents`] empty from now on, for a caller that
    /// never looks at it (`rev-list` without `--parents`): each parent's
    /// id is not read for it.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("noparents", &[("a.txt", "a\n")])?;
    /// # dir.git(&["commit", "-q", "--allow-empty", "-m", "second"])?;
    /// use packread::history::{Walk, WalkOptions};
    ///
    /// let repo = packread::Repository::discover(&dir)?;
    /// let mut walk = Walk::new(&repo, WalkOptions::default());
    /// walk.push(repo.rev_parse("HEAD")?, false, false)?;
    /// walk.without_parent_ids();
    /// let first = walk.next().unwrap()?;
    /// assert_eq!(first.id, repo.rev_parse("HEAD")?);
    /// assert!(first.parents.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn without_parent_ids(&mut self) {
        self.parent_ids = false;
    }

    /// Whether the walk selects exactly the commits its starting points
    /// reach (nothing excluded, limited, filtered or simplified, none on
    /// the left of `A...B`, nothing handed over yet), and a commit-graph
    /// lists commits: then a count follows graph positions in no order.
    /// Without a graph, the date-ordered walk reads the commits in about
    /// the order the pack holds them, which a count in no order loses
    /// (git.git: 0.318 against 0.337 s).
    fn counts_by_reach(&self) -> bool {
        !self.prepared && self.max_count.is_none() && self.skip == 0 && self.selects_all_reached()
    }

    /// Whether the walk, once prepared with the starting points `initial`,
    /// can follow graph positions alone ([`PositionWalk`]): it selects
    /// what its starting points reach, in git's default order, with a
    /// count or a skip at most, and the graph lists every starting point
    /// (and so all they reach). git.git's `rev-list HEAD`, 82,000
    /// commits: 131 M instructions against 147 M through the arena, and
    /// no arena's pages to fault in (4 MB).
    fn lists_by_position(&self, initial: &[Node]) -> bool {
        self.selects_all_reached()
            && !self.limited
            && self.opts.order == Order::Default
            && !self.opts.reverse
            && !self.commits.is_tight()
            && initial.iter().all(|&n| self.commits.graph_pos(n).is_some())
    }

    /// Whether the walk selects exactly the commits its starting points
    /// reach (nothing excluded, limited by date, filtered or simplified,
    /// none on the left of `A...B`), and a commit-graph lists commits.
    fn selects_all_reached(&self) -> bool {
        let o = &self.opts;
        self.commits.has_graph()
            && o.no_walk.is_none()
            && self.pruning.is_none()
            && o.max_age.is_none()
            && o.min_age.is_none()
            && o.min_parents == 0
            && o.max_parents.is_none()
            && !o.boundary
            && o.active_filter().is_none()
            && self
                .pending
                .iter()
                .all(|&n| self.commits.flags(n) & (UNINTERESTING | SYMMETRIC_LEFT) == 0)
    }

    /// What the caller gets of `n`. git's `rev-list` and `log` then drop
    /// the commit's parents (`finish_commit`), which later parent
    /// rewriting sees (a shown commit it passes through ends the line):
    /// so does the walk.
    fn hand_over(&mut self, n: Node) -> Result<Walked, Error> {
        let walked = self.walked(n)?;
        self.commits.set_parents(n, &[]);
        Ok(walked)
    }

    /// Prepares the walk if it isn't yet (a failure marks the walk
    /// failed); whether it follows graph positions
    /// ([`next_by_position`](Self::next_by_position)).
    fn by_position(&mut self) -> Result<bool, Error> {
        if !self.prepared {
            self.prepare().inspect_err(|_| self.failed = true)?;
        }
        Ok(self.by_position.is_some())
    }

    /// The next commit of a walk over graph positions.
    fn next_by_position(&mut self) -> Result<Option<Walked>, Error> {
        if !self.position_thread_decided {
            // The caller reads ids (another table of the graph) while the
            // walk goes on, on a thread of its own if the walk is long.
            self.position_thread_decided = true;
            if let Some(Positional::Here(walk)) = self.by_position.take() {
                self.by_position = Some(Positional::away_if_long(walk));
            }
        }
        let walk = self.by_position.as_mut().expect("walking by position");
        let next = walk.next();
        let walked = match next {
            Ok(Some((pos, date))) => self.walked_at(pos, date).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        self.failed = walked.is_err();
        walked
    }

    /// What the caller gets of the commit at graph position `pos` (with
    /// committer date `date`), the last a walk over positions selected.
    fn walked_at(&mut self, pos: u32, date: u64) -> Result<Walked, Error> {
        let id = self.commits.graph_id(pos)?;
        let mut parents = Vec::new();
        if self.parent_ids {
            let walk = self.by_position.as_ref().expect("walking by position");
            for &p in walk.parents() {
                parents.push(self.commits.graph_id(p)?);
            }
        }
        Ok(Walked {
            id,
            parents,
            date,
            boundary: false,
            uninteresting: false,
            left: false,
        })
    }

    fn walked(&mut self, n: Node) -> Result<Walked, Error> {
        let id = self.commits.id(n)?;
        let c = self.commits.get(n);
        let (date, flags) = (c.date, c.flags);
        let parents = if self.parent_ids {
            let parents = self.commits.parent_list(n);
            parents
                .as_slice()
                .iter()
                .map(|&p| self.commits.id(p))
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        Ok(Walked {
            id,
            parents,
            date,
            boundary: flags & BOUNDARY != 0,
            uninteresting: flags & UNINTERESTING != 0,
            left: flags & SYMMETRIC_LEFT != 0,
        })
    }
}

impl Iterator for Walk {
    type Item = Result<Walked, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.by_position() {
            Ok(true) => return self.next_by_position().transpose(),
            Ok(false) => {}
            Err(e) => return Some(Err(e)),
        }
        match self.next_node() {
            Ok(Some(n)) => {
                let walked = self.hand_over(n);
                self.failed = walked.is_err();
                Some(walked)
            }
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// `v[n] = value`, growing `v` as needed.
fn record<T: Copy + Default>(v: &mut Vec<T>, n: Node, value: T) {
    *slot(v, n) = value;
}

fn slot<T: Copy + Default>(v: &mut Vec<T>, n: Node) -> &mut T {
    let i = n as usize;
    if v.len() <= i {
        v.resize(i + 1, T::default());
    }
    &mut v[i]
}
