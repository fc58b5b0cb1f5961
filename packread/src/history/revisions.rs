//! Starting points named as `git rev-list` names them on its command line:
//! `A`, `^A`, `A..B`, `A...B`, `A^@`, `A^!`, `A^-<n>`, `--all`,
//! `--branches[=<pattern>]`, `--tags[=...]`, `--remotes[=...]`,
//! `--glob=<pattern>`, `--exclude=<pattern>` and `--not`.

use crate::error::{Error, RevisionProblem};
use crate::git_dir::shallow::Shallow;
use crate::history::Walk;
use crate::object::commit::{Commit, Tag};
use crate::object::{ObjectId, ObjectKind};
use crate::odb::Reader;
use crate::refs::RefSelection;
use crate::repository::Repository;
use crate::revision::{ParentShorthand, parent_shorthand};

impl Walk {
    /// Adds the starting points `args` name, in order, as `git rev-list`
    /// reads its revision arguments: `A` (a revision as
    /// [`Repository::rev_parse`] resolves it), `^A` (excluded), `A..B`
    /// (`^A B`), `A...B` (the symmetric difference; an empty side is
    /// `HEAD`), `A^@` (`A`'s parents), `A^!` (`A` without its parents),
    /// `A^-<n>` (`A` without its `n`th parent), `--all` (every ref and
    /// `HEAD`), `--branches`, `--tags`, `--remotes` (each with an optional
    /// `=<pattern>`), `--glob=<pattern>`, `--exclude=<pattern>` (left out
    /// of the next of those; see [`RefStore::select`]), and `--not` (flips
    /// the exclusion of what follows).
    ///
    /// [`RefStore::select`]: crate::refs::RefStore::select
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("push-revisions", &[("a.txt", "a\n")])?;
    /// # dir.git(&["commit", "-q", "--allow-empty", "-m", "second"])?;
    /// # dir.git(&["commit", "-q", "--allow-empty", "-m", "third"])?;
    /// use packread::history::{Walk, WalkOptions};
    ///
    /// let repo = packread::Repository::discover(&dir)?;
    /// let mut walk = Walk::new(&repo, WalkOptions::default());
    /// walk.push_revisions(&repo, &["HEAD~2..HEAD"])?;
    /// assert_eq!(walk.count(), 2);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A name that resolves to nothing ([`Error::Revision`]), an `A...B`
    /// whose sides are not both commits ([`Error::UnexpectedKind`]), or a
    /// failed read.
    pub fn push_revisions<S: AsRef<str>>(
        &mut self,
        repo: &Repository,
        args: &[S],
    ) -> Result<(), Error> {
        let mut not = false;
        let mut excludes: Vec<String> = Vec::new();
        for arg in args {
            let arg = arg.as_ref();
            if arg == "--not" {
                not = !not;
                continue;
            }
            if let Some(pattern) = arg.strip_prefix("--exclude=") {
                excludes.push(pattern.to_owned());
                continue;
            }
            let selection = match arg {
                "--all" => Some(RefSelection::All),
                "--branches" => Some(RefSelection::Branches(None)),
                "--tags" => Some(RefSelection::Tags(None)),
                "--remotes" => Some(RefSelection::Remotes(None)),
                _ => [
                    ("--branches=", RefSelection::Branches as fn(_) -> _),
                    ("--tags=", RefSelection::Tags),
                    ("--remotes=", RefSelection::Remotes),
                ]
                .into_iter()
                .find_map(|(prefix, make)| arg.strip_prefix(prefix).map(|p| make(Some(p))))
                .or_else(|| arg.strip_prefix("--glob=").map(RefSelection::Glob)),
            };
            let excluded_before = self.excluded_pushed;
            if let Some(selection) = selection {
                for id in repo.refs().select(selection, &excludes)? {
                    self.push(id, not, false)?;
                }
                excludes.clear();
            } else {
                self.push_revision(repo, arg, not)?;
            }
            // git's `add_pending_object_with_path`: an excluded starting
            // point turns `--no-walk` off.
            if self.excluded_pushed > excluded_before {
                self.walk_after_all();
            }
        }
        Ok(())
    }

    fn push_revision(&mut self, repo: &Repository, arg: &str, not: bool) -> Result<(), Error> {
        if let Some(at) = arg.find("..") {
            let (a, mut b) = (&arg[..at], &arg[at + 2..]);
            let symmetric = b.starts_with('.');
            if symmetric {
                b = &b[1..];
            }
            let a = repo.rev_parse(if a.is_empty() { "HEAD" } else { a })?;
            let b = repo.rev_parse(if b.is_empty() { "HEAD" } else { b })?;
            if symmetric {
                if !self.push_symmetric(a, b, not)? {
                    // Name the side that is no commit (a tag's is its own).
                    let kind_a = repo.odb().header(&a)?.kind;
                    let (id, found) = match kind_a {
                        ObjectKind::Commit | ObjectKind::Tag => (b, repo.odb().header(&b)?.kind),
                        _ => (a, kind_a),
                    };
                    return Err(Error::UnexpectedKind {
                        id,
                        expected: ObjectKind::Commit,
                        found,
                    });
                }
                return Ok(());
            }
            self.push(a, !not, false)?;
            return self.push(b, not, false);
        }
        // git's `add_parents_only`: the parents, with the sign of `A`
        // (`^@`) or excluded, then `A` itself.
        let shorthand = parent_shorthand(arg).map_err(|()| Error::Revision {
            name: arg.to_owned(),
            problem: RevisionProblem::Unknown,
            warnings: Vec::new(),
        })?;
        if let Some((base, shorthand)) = shorthand {
            let (name, flip) = match base.strip_prefix('^') {
                Some(rest) => (rest, true),
                None => (base, false),
            };
            if let Some(parents) = self.parents_of(repo, name)? {
                let wanted = match shorthand {
                    ParentShorthand::WithoutParent(n) => parents.get(n - 1..n),
                    _ => Some(&parents[..]),
                };
                if let Some(wanted) = wanted {
                    let excluded = (flip != not) != (shorthand != ParentShorthand::Parents);
                    for &p in wanted {
                        self.push(p, excluded, false)?;
                    }
                    if shorthand == ParentShorthand::Parents {
                        return Ok(());
                    }
                    return self.push_revision(repo, base, not);
                }
            }
        }
        let (name, negated) = match arg.strip_prefix('^') {
            Some(rest) => (rest, true),
            None => (arg, false),
        };
        let id = repo.rev_parse(name)?;
        self.push(id, negated != not, false)
    }

    /// The parents of the commit `name` names (tags followed; none at a
    /// shallow boundary), `None` where it names no commit.
    fn parents_of(
        &mut self,
        repo: &Repository,
        name: &str,
    ) -> Result<Option<Vec<ObjectId>>, Error> {
        let Ok(id) = repo.rev_parse(name) else {
            return Ok(None);
        };
        let shallow = std::sync::Arc::clone(self.shallow());
        Ok(commit_and_parents(&mut repo.odb().reader(), id, &shallow)?.map(|(_, parents)| parents))
    }
}

/// The commit `id` names (tags followed) and its parents as git's walks
/// take them (none for a commit of `shallow`); `None` where it names no
/// commit, or a tag or commit on the way can't be parsed.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("commit-parents", &[("a.txt", "a\n")])?;
/// # dir.git(&["commit", "-q", "--allow-empty", "-m", "second"])?;
/// use packread::history::commit_and_parents;
///
/// let repo = packread::Repository::discover(&dir)?;
/// let (head, first) = (repo.rev_parse("HEAD")?, repo.rev_parse("HEAD~1")?);
/// let shallow = repo.shallow()?;
/// let found = commit_and_parents(&mut repo.odb().reader(), head, &shallow)?;
/// assert_eq!(found, Some((head, vec![first])));
/// # Ok(()) }
/// ```
///
/// # Errors
/// A read that fails (a missing object on the way: [`Error::NotFound`]).
pub fn commit_and_parents(
    reader: &mut Reader,
    id: ObjectId,
    shallow: &Shallow,
) -> Result<Option<(ObjectId, Vec<ObjectId>)>, Error> {
    let mut id = id;
    let mut data = Vec::new();
    loop {
        match reader.read_into(&id, &mut data)? {
            ObjectKind::Tag => match Tag::parse(&data, id.kind()) {
                Ok(tag) => id = tag.object,
                Err(_) => return Ok(None),
            },
            ObjectKind::Commit => break,
            _ => return Ok(None),
        }
    }
    if shallow.contains(&id) {
        return Ok(Some((id, Vec::new())));
    }
    Ok(Commit::parse(&data, id.kind())
        .ok()
        .map(|c| (id, c.parents)))
}
