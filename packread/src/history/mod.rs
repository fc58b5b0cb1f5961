//! History as git computes it: revision walks over the commits of a
//! repository, read from its commit-graph where git would read them from
//! there, else from the commit objects.

mod commits;
mod queue;
mod walk;

pub use walk::{Order, Walk, WalkOptions, Walked};
