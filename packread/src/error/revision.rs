//! Why a revision names nothing, and what is met on the way.

use std::fmt;

use crate::object::{ObjectId, ObjectKind};

/// Something met while resolving a revision that doesn't stop it (git
/// prints a `warning:` or `error:` line for each).
///
/// ```
/// use packread::revision::RevisionWarning;
///
/// let w = RevisionWarning::AmbiguousRef("main".into());
/// assert_eq!(w.to_string(), "'main' names more than one ref or object");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevisionWarning {
    /// The name matches more than one ref, or a ref and an abbreviated
    /// id; the first ref by git's rules is taken.
    AmbiguousRef(String),
    /// A full id that is also a ref's name: the id is taken.
    RefNamedLikeId(String),
    /// A symbolic ref that points to no ref, skipped.
    DanglingSymref(String),
    /// A ref file that can't be read as a ref, skipped.
    BrokenRef(String),
    /// `<rev>^{<kind>}` led to an object of another kind.
    PeelMismatch {
        /// The revision as given.
        name: String,
        /// The kind asked for.
        expected: ObjectKind,
        /// The kind the peeling ended on.
        found: ObjectKind,
    },
    /// An object that must be a commit (tags followed) is not one.
    NotACommit {
        /// The object.
        id: ObjectId,
        /// What it is.
        kind: ObjectKind,
    },
    /// An object peeled whose content hashes to another id: no object, as
    /// git's `parse_object` has it.
    HashMismatch(ObjectId),
    /// Not a problem in itself: the first commit parsed on the way (to
    /// follow `~`/`^`, or peel with `^{...}`). That is where git reads the
    /// commit-graph, and reports one it refuses: a caller that prints
    /// git's words prints [`CommitGraph::load`](crate::graph::CommitGraph::load)'s
    /// problems here, once per process.
    CommitParsed,
}

impl fmt::Display for RevisionWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevisionWarning::AmbiguousRef(name) => {
                write!(f, "'{name}' names more than one ref or object")
            }
            RevisionWarning::RefNamedLikeId(name) => {
                write!(f, "a ref is named '{name}', like the id taken")
            }
            RevisionWarning::DanglingSymref(name) => {
                write!(f, "dangling symbolic ref '{name}' skipped")
            }
            RevisionWarning::BrokenRef(name) => write!(f, "broken ref '{name}' skipped"),
            RevisionWarning::PeelMismatch {
                name,
                expected,
                found,
            } => write!(f, "'{name}' leads to a {found}, not a {expected}"),
            RevisionWarning::NotACommit { id, kind } => {
                write!(f, "object {id} is a {kind}, not a commit")
            }
            RevisionWarning::HashMismatch(id) => write!(f, "object {id} does not hash to its id"),
            RevisionWarning::CommitParsed => {
                write!(f, "a commit was parsed (where git reads the commit-graph)")
            }
        }
    }
}

/// Why a revision names no object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevisionProblem {
    /// No ref, id or abbreviation by that name, or a suffix that leads
    /// nowhere (`HEAD^3` of a commit with one parent, `blob^{tree}`).
    Unknown,
    /// `<rev>:<path>` where the tree has no such path.
    PathNotInTree {
        /// The path, as looked up.
        path: String,
        /// The revision whose tree was searched.
        rev: String,
    },
    /// A `./` or `../` path that climbs out of the repository.
    PathOutsideRepository(String),
    /// A `./` or `../` path where there is no work tree to start from (a
    /// bare repository, or standing in the git directory): git refuses it.
    /// This crate reads such paths from the top, so only callers that know
    /// where they stand return this.
    RelativePathWithoutWorkTree,
    /// A form that needs what this crate doesn't read (reflogs, the index,
    /// upstream configuration, message search).
    Unsupported(&'static str),
}
