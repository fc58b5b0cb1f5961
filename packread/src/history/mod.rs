//! History as git computes it: revision walks and merge bases over the
//! commits of a repository, read from its commit-graph where git would
//! read them from there, else from the commit objects.

mod ancestry;
mod commits;
mod date;
mod flags;
mod grep;
mod heads_ahead;
mod id_index;
mod merge_base;
mod objects;
mod pack_ahead;
mod path_entries;
mod paths_ahead;
mod position_walk;
mod prune;
mod queue;
mod read_ahead;
mod revisions;
mod walk;
mod worker;

pub use crate::git_dir::shallow::Shallow;
pub use ancestry::Ancestry;
pub use commits::CommitText;
pub use date::approxidate;
pub use grep::{BadPattern, CommitFilter, PatternSyntax};
pub use objects::{ListError, Listed, Missing, ObjectList};
pub use read_ahead::ReadAhead;
pub use revisions::commit_and_parents;
pub use walk::{CommitRead, Order, Walk, WalkOptions, Walked};
