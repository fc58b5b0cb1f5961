//! [`Ancestry`]: merge bases, independent commits and reachability.

use std::sync::Arc;

use crate::error::Error;
use crate::git_dir::shallow::Shallow;
use crate::graph::CommitGraph;
use crate::history::commits::{Commits, Node};
use crate::history::merge_base;
use crate::object::ObjectId;
use crate::odb::Reader;

/// Questions about how commits are related, answered as `git merge-base`
/// answers them (through the commit-graph where git would use it).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("ancestry", &[("a.txt", "a\n")])?;
/// # dir.git(&["commit", "-q", "--allow-empty", "-m", "second"])?;
/// use packread::history::Ancestry;
///
/// let repo = packread::Repository::discover(&dir)?;
/// let (head, first) = (repo.rev_parse("HEAD")?, repo.rev_parse("HEAD~")?);
/// let mut ancestry = Ancestry::new(&repo)?;
/// assert!(ancestry.is_ancestor(first, head)?);
/// assert!(!ancestry.is_ancestor(head, first)?);
/// assert_eq!(ancestry.merge_bases(head, &[first])?, [first]);
/// assert_eq!(ancestry.independent(&[first, head])?, [head]);
/// # Ok(()) }
/// ```
pub struct Ancestry {
    commits: Commits,
}

impl Ancestry {
    /// For `repo`'s commits, through its commit-graph if git would use one.
    ///
    /// # Errors
    /// Where the repository's `shallow` file can't be read.
    pub fn new(repo: &crate::Repository) -> Result<Ancestry, Error> {
        let (graph, _) = repo.commit_graph();
        let mut ancestry = Ancestry::with_graph(repo.odb().reader(), graph);
        ancestry.set_shallow(repo.shallow()?);
        Ok(ancestry)
    }

    /// Takes the commits of `shallow` for parentless, as git does in a
    /// shallow repository ([`Ancestry::new`] reads the repository's).
    pub fn set_shallow(&mut self, shallow: Arc<Shallow>) {
        self.commits.set_shallow(shallow);
    }

    /// Reading commits with `reader` and, if given, `graph`.
    pub fn with_graph(reader: Reader, graph: Option<Arc<CommitGraph>>) -> Ancestry {
        Ancestry {
            commits: Commits::new(reader, graph),
        }
    }

    fn nodes(&mut self, ids: &[ObjectId]) -> Vec<Node> {
        ids.iter().map(|id| self.commits.lookup(id)).collect()
    }

    fn ids(&mut self, nodes: Vec<Node>) -> Result<Vec<ObjectId>, Error> {
        nodes.into_iter().map(|n| self.commits.id(n)).collect()
    }

    /// The best common ancestors of `one` and all of `others` (`git
    /// merge-base --all one others...`), newest first.
    pub fn merge_bases(
        &mut self,
        one: ObjectId,
        others: &[ObjectId],
    ) -> Result<Vec<ObjectId>, Error> {
        let one = self.commits.lookup(&one);
        let others = self.nodes(others);
        let found = merge_base::merge_bases(&mut self.commits, one, &others)?;
        self.ids(found)
    }

    /// The best common ancestors of all of `commits` at once (`git
    /// merge-base --octopus --all`).
    pub fn octopus_merge_bases(&mut self, commits: &[ObjectId]) -> Result<Vec<ObjectId>, Error> {
        let nodes = self.nodes(commits);
        let found = merge_base::octopus(&mut self.commits, &nodes)?;
        self.ids(found)
    }

    /// The commits of `commits` that none of the others reaches (`git
    /// merge-base --independent`), in their order.
    pub fn independent(&mut self, commits: &[ObjectId]) -> Result<Vec<ObjectId>, Error> {
        let nodes = self.nodes(commits);
        let found = merge_base::independent(&mut self.commits, &nodes)?;
        self.ids(found)
    }

    /// Whether `ancestor` is reachable from `descendant` (or is it): `git
    /// merge-base --is-ancestor`.
    pub fn is_ancestor(&mut self, ancestor: ObjectId, descendant: ObjectId) -> Result<bool, Error> {
        let a = self.commits.lookup(&ancestor);
        let d = self.commits.lookup(&descendant);
        merge_base::is_ancestor(&mut self.commits, a, d)
    }
}
