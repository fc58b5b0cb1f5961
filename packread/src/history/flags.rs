//! The walk's marks on commits (git's object flags).

pub(crate) const SEEN: u32 = 1;
pub(crate) const UNINTERESTING: u32 = 1 << 1;
pub(crate) const SHOWN: u32 = 1 << 3;
pub(crate) const BOUNDARY: u32 = 1 << 5;
pub(crate) const CHILD_SHOWN: u32 = 1 << 6;
pub(crate) const ADDED: u32 = 1 << 7;
pub(crate) const SYMMETRIC_LEFT: u32 = 1 << 8;
pub(crate) const EXPLORED: u32 = 1 << 9;
pub(crate) const INDEGREE: u32 = 1 << 10;
pub(crate) const TREESAME: u32 = 1 << 11;
pub(crate) const BOTTOM: u32 = 1 << 12;
