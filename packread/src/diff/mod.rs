//! Differences between trees as `git diff-tree` finds them, without
//! rename detection (git's `--no-renames`): the changed paths
//! ([`diff_trees`]), the pathspecs that limit them ([`Pathspec`]) and
//! their line counts ([`line_stat`], `--numstat`).

mod config;
mod lines;
mod pathspec;
mod recent;
mod stat;
mod stats;
mod tree;

pub use config::DiffConfig;
pub use pathspec::{Interest, OutsideRepository, Pathspec};
pub use stat::{
    BIG_FILE_THRESHOLD, BlobCache, Classing, LineStat, count_lines, is_binary, line_counts,
    line_stat, line_stat_as, line_stat_cached,
};
pub use stats::{LineCounters, line_stats};
pub(crate) use tree::read_tree;
pub use tree::{
    Change, MAX_TREE_DEPTH, Side, Status, TreeCache, TreeDiffOptions, diff_trees, diff_trees_cached,
};
