//! Path-limited walks (`git rev-list <rev> -- <paths>`): which commits
//! change the paths (git's TREESAME), and git's default history
//! simplification — a merge that took the paths unchanged from one parent
//! is followed down that parent only. The changed-path Bloom filters of
//! the commit-graph answer "not changed" without a tree diff where git
//! would ask them.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use crate::diff::{self, Pathspec, TreeDiffOptions};
use crate::error::Error;
use crate::graph::{BloomSettings, filter_may_hold};
use crate::history::commits::{Commits, Node, ParseFailure};
use crate::history::flags::{BOTTOM, TREESAME, UNINTERESTING};
use crate::history::path_entries::{PathEntries, Verdict};
use crate::history::paths_ahead::{PathsAhead, Plan};
use crate::object::ObjectId;
use crate::odb::Reader;

/// How many bytes of recently read trees a path-limited walk keeps.
const TREE_CACHE_BYTES: usize = 4 << 20;

/// The delta-base cache of a walk whose literal paths name files: each
/// tree is read once (see [`PathEntries`]), and only the bases of the
/// next trees' deltas are worth keeping. Every byte of the cache is fresh
/// memory the first time it is filled: git.git `rev-list --count HEAD --
/// README.md` 0.209 s with 16 MiB, 0.201 with 8, 0.191 with 4, and
/// `--full-history` alike; a walk that compares directories whole reads
/// many more trees and takes the history limit (`log -- t`: 1.098 s with
/// 16 MiB, 1.235 with 4).
const FILE_PATHS_DELTA_BASE_CACHE_LIMIT: usize = 4 << 20;

/// How many commits' Bloom filters a walk asks before it decides whether
/// its trees are read far apart.
const FILTER_SAMPLE: u32 = 256;

/// How a commit's tree compares with a parent's for the paths (git's
/// `REV_TREE_*`; the walk stops at the first change, as git's quick diff).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TreeDiff {
    Same,
    Different,
}

/// The Bloom filter keys of the one literal path git looks up, and of
/// each directory leading to it.
struct BloomKeys {
    keys: Vec<Vec<u32>>,
}

/// Why [`Pruning::simplify`] failed.
pub(crate) enum SimplifyError {
    /// A parent could not be parsed (git: `cannot simplify commit`).
    Parent(Node, ParseFailure),
    /// Anything else (a tree that can't be read).
    Other(Error),
}

impl From<Error> for SimplifyError {
    fn from(e: Error) -> Self {
        SimplifyError::Other(e)
    }
}

/// What a path-limited walk needs beyond the plain walk.
pub(crate) struct Pruning {
    diff: TreeDiffOptions,
    /// git's `simplify_history` (off with `--full-history`).
    simplify_history: bool,
    first_parent: bool,
    bloom: Option<BloomKeys>,
    /// Per-parent TREESAME of merges, kept where git keeps it (a limited
    /// walk with `--full-history`).
    treesame: Option<HashMap<Node, Vec<bool>>>,
    /// Each commit's tree is compared twice (with its child's, then with
    /// its parent's): the recent trees are kept.
    trees: diff::TreeCache,
    /// Literal paths: each tree's entries at them, where those decide.
    entries: Option<PathEntries>,
    /// The delta-base cache limit to go back to once the walk reads more
    /// than the trees on the way to its paths (see `narrow_cache`).
    widen_to: Option<usize>,
    /// While trees are taken to be read far apart: how many commits'
    /// filters were asked, and how many said "maybe".
    sampled: Option<(u32, u32)>,
    /// The Bloom filter being read (one buffer for all).
    filter: Vec<u8>,
    /// A thread finding the paths' entries ahead, if one started.
    ahead: Option<PathsAhead>,
    /// Where such a thread would start (the graph positions and dates of
    /// the walk's starting commits), and how many more tree comparisons
    /// the walk makes before it starts one.
    ahead_from: Option<(Vec<(u32, u64)>, u32)>,
}

/// How many tree comparisons a walk makes before a thread finds the paths'
/// entries ahead of it: a walk that stops soon never pays for the thread
/// (rails' `log -1 -- activerecord/lib/active_record/base.rb` with a graph:
/// 4.1 ms without a thread, 4.6 ms starting it at once, 4.2 ms after eight
/// comparisons; its `--count` 52 -> 54 ms, the first comparisons alone).
const AHEAD_AFTER: u32 = 8;

/// git's `relevant_commit`: interesting, or a bottom of a range.
fn relevant(commits: &Commits, n: Node) -> bool {
    commits.flags(n) & (UNINTERESTING | BOTTOM) != UNINTERESTING
}

impl Pruning {
    pub(crate) fn new(paths: Pathspec, full_history: bool, first_parent: bool) -> Pruning {
        Pruning {
            entries: PathEntries::new(&paths),
            widen_to: None,
            sampled: None,
            diff: TreeDiffOptions {
                recursive: true,
                show_trees: false,
                pathspec: paths,
            },
            simplify_history: !full_history,
            first_parent,
            bloom: None,
            treesame: None,
            trees: diff::TreeCache::new(TREE_CACHE_BYTES),
            filter: Vec::new(),
            ahead: None,
            ahead_from: None,
        }
    }

    /// Whether a thread finding the paths' entries ahead started.
    #[cfg(test)]
    pub(crate) fn ahead_started(&self) -> bool {
        self.ahead.is_some()
    }

    /// Has a thread find the paths' entries ahead of the walk (see
    /// [`PathsAhead`]) from the commits at graph positions `starts`, once
    /// the walk has made [`AHEAD_AFTER`] tree comparisons.
    pub(crate) fn read_ahead_from(&mut self, starts: Vec<(u32, u64)>) {
        self.ahead_from = Some((starts, AHEAD_AFTER));
    }

    /// Counts a tree comparison, and starts the thread at the last one
    /// [`read_ahead_from`](Self::read_ahead_from) waits for.
    fn count_comparison(&mut self, commits: &Commits) {
        let Some((_, left)) = self.ahead_from.as_mut() else {
            return;
        };
        *left = left.saturating_sub(1);
        if *left == 0
            && let Some((starts, _)) = self.ahead_from.take()
        {
            self.start_ahead(commits, starts);
        }
    }

    /// Starts a thread finding the paths' entries ahead of the walk from
    /// the commits at graph positions `starts`.
    fn start_ahead(&mut self, commits: &Commits, starts: Vec<(u32, u64)>) {
        let (Some(entries), Some(graph)) = (PathEntries::new(&self.diff.pathspec), commits.graph())
        else {
            return;
        };
        let bloom = self.bloom.as_ref().map(|b| b.keys.clone());
        let mut reader = commits.commit_reader();
        reader.never_fetch();
        reader.keep_tree_bases(usize::MAX);
        // As the walk's own reader: the database's limit, if it was given.
        let limit = reader.odb().given_delta_base_cache_limit();
        reader.set_delta_base_cache_limit(limit.unwrap_or(FILE_PATHS_DELTA_BASE_CACHE_LIMIT));
        self.ahead = PathsAhead::start(Plan {
            graph: Arc::clone(graph),
            reader,
            entries,
            bloom,
            starts,
            full_history: !self.simplify_history,
            first_parent: self.first_parent,
        });
    }

    /// Gives `reader` (whose cache has the history limit) a smaller
    /// delta-base cache while the paths' entries decide, unless the
    /// database was opened with a limit.
    pub(crate) fn narrow_cache(&mut self, reader: &mut Reader) {
        let files_decide = self
            .entries
            .as_ref()
            .is_some_and(|e| !e.compared_directories());
        if files_decide && reader.odb().given_delta_base_cache_limit().is_none() {
            self.widen_to = Some(reader.odb().history_delta_base_cache_limit(false));
            reader.set_delta_base_cache_limit(FILE_PATHS_DELTA_BASE_CACHE_LIMIT);
        }
    }

    /// Sets `reader` up for trees read far apart in history, as a walk
    /// that changed-path Bloom filters thin out reads them: the nearest
    /// bases kept, in a small cache. Unless the filters turn out to say
    /// "maybe" for many commits (see `note_filter_answer`).
    pub(crate) fn read_trees_far_apart(&mut self, reader: &mut Reader) {
        reader.keep_tree_bases(2);
        self.widen_to = None;
        self.sampled = Some((0, 0));
    }

    /// Counts the filters' answers while trees are taken to be read far
    /// apart; if more than one commit in eight of the first
    /// `FILTER_SAMPLE` needs its trees read, the walk keeps them as a walk
    /// without filters does (git.git `log -- t` with a graph: 1.38 s
    /// keeping two bases in 1 MiB, 0.95 s keeping every base in 16 MiB).
    fn note_filter_answer(&mut self, reader: &mut Reader, maybe: bool) {
        let Some((asked, maybes)) = self.sampled.as_mut() else {
            return;
        };
        *asked += 1;
        *maybes += u32::from(maybe);
        if *asked < FILTER_SAMPLE {
            return;
        }
        let dense = *maybes * 8 > *asked;
        self.sampled = None;
        if dense {
            reader.keep_tree_bases(usize::MAX);
            self.narrow_cache(reader);
        }
    }

    /// git's `limiting_can_increase_treesame` (with pruning on).
    pub(crate) fn can_increase_treesame(&self) -> bool {
        !self.simplify_history && !self.first_parent
    }

    /// Keeps per-parent TREESAME marks of merges (git's `treesame`
    /// decoration).
    pub(crate) fn keep_treesame(&mut self) {
        self.treesame = Some(HashMap::new());
    }

    /// git's `prepare_to_use_bloom_filter`: keys for a pathspec of one
    /// literal path, if the graph has filters.
    pub(crate) fn prepare_bloom(&mut self, commits: &Commits) {
        let Some(settings) = commits.bloom_settings() else {
            return;
        };
        let Some(paths) = self.diff.pathspec.literal_paths() else {
            return;
        };
        let [path] = paths.as_slice() else {
            return;
        };
        let mut keys = vec![bloom_key(path, &settings)];
        for (i, &b) in path.iter().enumerate().rev() {
            if b == b'/' && i > 0 {
                keys.push(bloom_key(&path[..i], &settings));
            }
        }
        self.bloom = Some(BloomKeys { keys });
    }

    /// Whether changed-path Bloom filters answer for the paths.
    pub(crate) fn uses_bloom(&self) -> bool {
        self.bloom.is_some()
    }

    /// git's `check_maybe_different_in_bloom_filter`: `Some(false)` when
    /// the filter says the paths did not change, `None` where there is no
    /// filter to ask.
    fn maybe_different(&mut self, commits: &mut Commits, n: Node) -> Result<Option<bool>, Error> {
        let Some(bloom) = &self.bloom else {
            return Ok(None);
        };
        let filter = &mut self.filter;
        if commits.bloom_filter(n, filter)?.is_none() {
            return Ok(None);
        }
        if filter.is_empty() {
            return Ok(None);
        }
        let maybe = filter_may_hold(filter, &bloom.keys);
        self.note_filter_answer(&mut commits.reader, maybe);
        Ok(Some(maybe))
    }

    /// Whether the paths differ between `old` (none: the empty tree) and
    /// `new`.
    fn compare_trees(
        &mut self,
        commits: &mut Commits,
        old: Option<ObjectId>,
        new: ObjectId,
    ) -> Result<TreeDiff, Error> {
        self.count_comparison(commits);
        if let Some(entries) = self.entries.as_mut() {
            let (a, b) = match &self.ahead {
                Some(ahead) => (old.as_ref().and_then(|o| ahead.found(o)), ahead.found(&new)),
                None => (None, None),
            };
            let verdict = entries.compare(
                &mut commits.reader,
                &mut self.trees,
                old.as_ref(),
                &new,
                [a.as_deref(), b.as_deref()],
            )?;
            if (verdict == Verdict::Undecided || entries.compared_directories())
                && let Some(limit) = self.widen_to.take()
            {
                commits.reader.set_delta_base_cache_limit(limit);
            }
            match verdict {
                Verdict::Same => return Ok(TreeDiff::Same),
                Verdict::Different => return Ok(TreeDiff::Different),
                Verdict::Undecided => {}
            }
        }
        let mut changed = false;
        let _: ControlFlow<()> = diff::diff_trees_cached(
            &mut commits.reader,
            &mut self.trees,
            old.as_ref(),
            Some(&new),
            &self.diff,
            &mut |_| {
                changed = true;
                ControlFlow::Break(())
            },
        )?;
        Ok(if changed {
            TreeDiff::Different
        } else {
            TreeDiff::Same
        })
    }

    /// git's `rev_compare_tree`: the commit `n` against its parent `p`
    /// (the `nth` one).
    fn compare(
        &mut self,
        commits: &mut Commits,
        p: Node,
        n: Node,
        nth: usize,
    ) -> Result<TreeDiff, Error> {
        if nth == 0 && self.maybe_different(commits, n)? == Some(false) {
            return Ok(TreeDiff::Same);
        }
        let (old, new) = (commits.tree(p)?, commits.tree(n)?);
        self.compare_trees(commits, Some(old), new)
    }

    /// git's `rev_same_tree_as_empty`.
    fn same_as_empty(&mut self, commits: &mut Commits, n: Node, nth: usize) -> Result<bool, Error> {
        if nth == 0 && self.maybe_different(commits, n)? == Some(false) {
            return Ok(true);
        }
        let tree = commits.tree(n)?;
        Ok(self.compare_trees(commits, None, tree)? == TreeDiff::Same)
    }

    /// git's `try_to_simplify_commit`: marks `n` TREESAME where it doesn't
    /// change the paths, and with history simplification, cuts its
    /// parents down to the first relevant one it took the paths from.
    pub(crate) fn simplify(&mut self, commits: &mut Commits, n: Node) -> Result<(), SimplifyError> {
        // git has no tree for a commit not parsed (a parent met only
        // through `--parents` rewriting past `--first-parent`).
        if !commits.get(n).parsed {
            return Ok(());
        }
        if let Some(ahead) = &self.ahead {
            ahead.at(commits.date(n));
        }
        let parents = commits.parent_list(n);
        let parents = parents.as_slice();
        if parents.is_empty() {
            if self.same_as_empty(commits, n, 0)? {
                commits.set(n, TREESAME);
            }
            return Ok(());
        }
        let (mut relevant_change, mut irrelevant_change) = (false, false);
        let mut relevant_parents = 0;
        let mut per_parent: Option<Vec<bool>> = None;
        for (nth, &p) in parents.iter().enumerate() {
            if relevant(commits, p) {
                relevant_parents += 1;
            }
            if nth == 1 {
                if self.first_parent {
                    break;
                }
                if self.treesame.is_some()
                    && !self.simplify_history
                    && commits.flags(n) & UNINTERESTING == 0
                {
                    let mut ts = vec![false; parents.len()];
                    ts[0] = !(irrelevant_change || relevant_change);
                    per_parent = Some(ts);
                }
            }
            if let Err(failure) = commits.parse(p) {
                return Err(SimplifyError::Parent(p, failure));
            }
            match self.compare(commits, p, n, nth)? {
                TreeDiff::Same => {
                    if !self.simplify_history || !relevant(commits, p) {
                        if let Some(ts) = per_parent.as_mut() {
                            ts[nth] = true;
                        }
                        continue;
                    }
                    commits.set_parents(n, &[p]);
                    commits.set(n, TREESAME);
                    return Ok(());
                }
                TreeDiff::Different => {
                    if relevant(commits, p) {
                        relevant_change = true;
                    } else {
                        irrelevant_change = true;
                    }
                }
            }
        }
        if let (Some(ts), Some(map)) = (per_parent, self.treesame.as_mut()) {
            map.insert(n, ts);
        }
        let same = if relevant_parents > 0 {
            !relevant_change
        } else {
            !irrelevant_change
        };
        if same {
            commits.set(n, TREESAME);
        }
        Ok(())
    }

    /// git's `compact_treesame` for a merge that just lost its parent at
    /// `nth` (a duplicate): a commit left with one parent takes that
    /// parent's TREESAME.
    pub(crate) fn compact_treesame(&mut self, commits: &mut Commits, n: Node, nth: usize) {
        let Some(map) = self.treesame.as_mut() else {
            return;
        };
        let Some(ts) = map.get_mut(&n) else {
            return;
        };
        if nth < ts.len() {
            ts.remove(nth);
        }
        if ts.len() == 1 {
            if ts[0] {
                commits.set(n, TREESAME);
            } else {
                commits.unset(n, TREESAME);
            }
            map.remove(&n);
        }
    }

    /// git's `update_treesame`: a merge's TREESAME again, now that some of
    /// its parents may have become uninteresting.
    pub(crate) fn update_treesame(&self, commits: &mut Commits, n: Node) {
        let parents = commits.parents(n).to_vec();
        if parents.len() < 2 {
            return;
        }
        let Some(ts) = self.treesame.as_ref().and_then(|m| m.get(&n)) else {
            return;
        };
        let (mut relevant_parents, mut relevant_change, mut irrelevant_change) = (0, false, false);
        for (i, &p) in parents.iter().enumerate() {
            let changed = !ts.get(i).copied().unwrap_or(false);
            if relevant(commits, p) {
                relevant_change |= changed;
                relevant_parents += 1;
            } else {
                irrelevant_change |= changed;
            }
        }
        let changed = if relevant_parents > 0 {
            relevant_change
        } else {
            irrelevant_change
        };
        if changed {
            commits.unset(n, TREESAME);
        } else {
            commits.set(n, TREESAME);
        }
    }
}

/// git's `fill_bloom_key`: the bit positions a path sets.
fn bloom_key(path: &[u8], settings: &BloomSettings) -> Vec<u32> {
    const SEED0: u32 = 0x293a_e76f;
    const SEED1: u32 = 0x7e64_6e2c;
    let v2 = settings.hash_version == 2;
    let h0 = murmur3(SEED0, path, v2);
    let h1 = murmur3(SEED1, path, v2);
    (0..settings.num_hashes)
        .map(|i| h0.wrapping_add(i.wrapping_mul(h1)))
        .collect()
}

/// git's seeded murmur3: version 2 reads bytes unsigned; version 1 as C's
/// signed `char` (bytes from 0x80 sign-extended), as git first wrote it.
fn murmur3(mut seed: u32, data: &[u8], v2: bool) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let byte = |b: u8| -> u32 {
        if v2 {
            u32::from(b)
        } else {
            i32::from(b.cast_signed()).cast_unsigned()
        }
    };
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = byte(c[0]) | byte(c[1]) << 8 | byte(c[2]) << 16 | byte(c[3]) << 24;
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        seed ^= k;
        seed = seed
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k1: u32 = 0;
        for (i, &b) in tail.iter().enumerate().rev() {
            k1 ^= byte(b) << (8 * i);
        }
        k1 = k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        seed ^= k1;
    }
    seed ^= data.len() as u32;
    seed ^= seed >> 16;
    seed = seed.wrapping_mul(0x85eb_ca6b);
    seed ^= seed >> 13;
    seed = seed.wrapping_mul(0xc2b2_ae35);
    seed ^= seed >> 16;
    seed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_gits_test_values() {
        // git's t/helper/test-bloom.c ("get_murmur3") results, t0095.
        assert_eq!(murmur3(0, b"", true), 0x0000_0000);
        assert_eq!(murmur3(0, b"Hello world!", true), 0x627b_0c2c);
        assert_eq!(
            murmur3(0, b"The quick brown fox jumps over the lazy dog", true),
            0x2e4f_f723
        );
        let high = b"\x99\xaa\xbb\xcc\xdd\xee\xff";
        assert_eq!(murmur3(0, high, true), 0xa183_ccfd);
        // Version 1 reads those bytes as signed.
        assert_ne!(murmur3(0, high, false), 0xa183_ccfd);
        let settings = BloomSettings {
            hash_version: 1,
            num_hashes: 7,
            bits_per_entry: 10,
        };
        assert_eq!(
            bloom_key(b"", &settings),
            [
                0x5615_800c,
                0x5b96_6560,
                0x6117_4ab4,
                0x6698_3008,
                0x6c19_155c,
                0x7199_fab0,
                0x771a_e004
            ]
        );
        assert_eq!(murmur3(0, b"ab", true), murmur3(0, b"ab", false));
    }
}
