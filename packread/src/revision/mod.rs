//! Revisions as git's `get_oid_with_context` reads them: ids and
//! abbreviations, ref names with git's lookup rules, `@`, `<rev>^<n>`,
//! `<rev>~<n>`, `<rev>^{<type>}`, `<rev>^{}`, describe output
//! (`v1.0-3-g<hex>`) and `<rev>:<path>`. Forms that need reflogs, the index
//! or configuration are refused with [`RevisionProblem::Unsupported`].

mod name;
mod path;
mod shorthand;

pub use path::normalize_path;
pub use shorthand::{ParentShorthand, parent_shorthand, rev_parse_shorthand};

pub use crate::error::RevisionWarning;
use crate::error::{Error, RevisionProblem};
use crate::git_dir::shallow::Shallow;
use crate::object::commit::Commit;
use crate::object::{ObjectId, ObjectKind};
use crate::odb::{Object, Parsed, Reader};
use crate::refs::RefStore;

/// How many tags git follows when peeling (as in `cat-file`).
const MAX_PEEL: usize = 64;

/// What a revision names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    /// The object.
    pub id: ObjectId,
    /// For `<rev>:<path>`: the path looked up and the entry's mode (as git
    /// reports it in `%(objectmode)`, `040000` for the tree itself).
    pub path: Option<(String, u32)>,
    /// What was met on the way that git reports on stderr (an ambiguous
    /// ref name, broken refs skipped, ...).
    pub warnings: Vec<RevisionWarning>,
}

/// The refs git's lookup rules find for `name` (`main` finds
/// `refs/heads/main`, and `refs/tags/main` too if there is one), in rule
/// order, each followed through symbolic refs: what `git rev-parse
/// --symbolic-full-name` asks. Dangling and broken refs are left out.
///
/// ```no_run
/// use packread::{refs::RefStore, revision};
/// let refs = RefStore::discover(".".as_ref())?;
/// for r in revision::ref_candidates(&refs, "HEAD")? {
///     println!("{}", r.name); // refs/heads/main
/// }
/// # Ok::<(), packread::Error>(())
/// ```
pub fn ref_candidates(refs: &RefStore, name: &str) -> Result<Vec<crate::refs::Resolved>, Error> {
    name::candidates(refs, name, None)
}

/// Resolves `spec` in the repository whose objects `reader` reads and whose
/// refs `refs` holds (what [`Repository::rev_parse_with_path`] does, for a
/// caller that keeps its own reader).
///
/// [`Repository::rev_parse_with_path`]: crate::Repository::rev_parse_with_path
///
/// ```no_run
/// use packread::{Odb, refs::RefStore, revision};
/// let odb = Odb::open(".")?;
/// let refs = RefStore::discover(".".as_ref())?;
/// let mut reader = odb.reader();
/// let rev = revision::resolve(&mut reader, &refs, "HEAD~1:Cargo.toml")?;
/// println!("{}", rev.id);
/// # Ok::<(), packread::Error>(())
/// ```
pub fn resolve(reader: &mut Reader, refs: &RefStore, spec: &str) -> Result<Revision, Error> {
    let mut r = Resolver::new(reader, refs, spec);
    if let Some(rest) = spec.strip_prefix(':') {
        let what = if rest.starts_with('/') {
            "message search (`:/<text>`)"
        } else {
            "an index path (`:<path>`, `:<n>:<path>`)"
        };
        return Err(r.problem(RevisionProblem::Unsupported(what)));
    }
    let (id, path) = match split_path(spec) {
        Some((rev, path)) => {
            let base = r.object(rev)?;
            // A revision that names an object but no readable tree (a blob,
            // an object missing or damaged) has no such path, as git says.
            // git reads the tree through the commit without parsing it.
            r.parse_commits = false;
            let peeled = r.peel(base, Some(ObjectKind::Tree));
            r.parse_commits = true;
            let tree = match peeled {
                Ok(tree) => tree,
                Err(Error::Revision {
                    problem: RevisionProblem::Unknown,
                    ..
                }) => {
                    let path = path::from_top(path).map_err(|p| r.problem(p))?;
                    return Err(r.problem(RevisionProblem::PathNotInTree {
                        path,
                        rev: rev.to_owned(),
                    }));
                }
                Err(e) => return Err(e),
            };
            let (id, mode, path) =
                path::lookup(r.reader, tree, rev, path)?.map_err(|p| r.problem(p))?;
            (id, Some((path, mode)))
        }
        None => (r.object(spec)?, None),
    };
    Ok(Revision {
        id,
        path,
        warnings: r.warnings,
    })
}

/// Where `<rev>:<path>` leads when symbolic links in the tree are followed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// An object of the tree (or, for a spec without a path, the object
    /// the spec names).
    Object(ObjectId),
    /// A link leads out of the tree: to an absolute path, or with `..`
    /// above the top. The path outside (an absolute link's whole target,
    /// or what is left of the path at the top: `../etc/passwd`).
    Outside(Vec<u8>),
    /// A link was followed, and the path it leads to is not in the tree.
    Dangling,
    /// More than 40 links on the way (git's, and Linux's, limit).
    Loop,
    /// A path component other than the last is a file.
    NotDir,
}

/// What [`resolve_following_symlinks`] found, and git's warnings on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Followed {
    /// Where the spec leads.
    pub target: Target,
    /// As in [`Revision::warnings`].
    pub warnings: Vec<RevisionWarning>,
}

/// Resolves `spec` as [`resolve`] does, except that in `<rev>:<path>` the
/// symbolic links of the tree are followed, as `git cat-file --batch
/// --follow-symlinks` follows them: a link's target (relative to the link's
/// directory) replaces the link in the path, and the walk goes on from
/// there. A path that is missing with no link on the way is an
/// [`Error::Revision`], as in [`resolve`].
///
/// ```no_run
/// use packread::revision::{self, Target};
/// use packread::{Odb, refs::RefStore};
/// let odb = Odb::open(".")?;
/// let refs = RefStore::discover(".".as_ref())?;
/// match revision::resolve_following_symlinks(&mut odb.reader(), &refs, "HEAD:docs/link")?.target {
///     Target::Object(id) => println!("{id}"),
///     Target::Outside(path) => println!("outside: {}", String::from_utf8_lossy(&path)),
///     other => println!("{other:?}"),
/// }
/// # Ok::<(), packread::Error>(())
/// ```
pub fn resolve_following_symlinks(
    reader: &mut Reader,
    refs: &RefStore,
    spec: &str,
) -> Result<Followed, Error> {
    let Some((rev, path)) = split_path(spec).filter(|_| !spec.starts_with(':')) else {
        let found = resolve(reader, refs, spec)?;
        return Ok(Followed {
            target: Target::Object(found.id),
            warnings: found.warnings,
        });
    };
    let mut r = Resolver::new(reader, refs, spec);
    let base = r.object(rev)?;
    r.parse_commits = false;
    let tree = r.peel(base, Some(ObjectKind::Tree))?;
    r.parse_commits = true;
    let path = path::from_top(path).map_err(|p| r.problem(p))?;
    let target = match path::follow(r.reader, tree, path.as_bytes())? {
        path::Walked::Found(id) => Target::Object(id),
        path::Walked::Outside(p) => Target::Outside(p),
        path::Walked::Dangling => Target::Dangling,
        path::Walked::Loop => Target::Loop,
        path::Walked::NotDir => Target::NotDir,
        path::Walked::Missing => {
            return Err(r.problem(RevisionProblem::PathNotInTree {
                path,
                rev: rev.to_owned(),
            }));
        }
    };
    Ok(Followed {
        target,
        warnings: r.warnings,
    })
}

/// `<rev>:<path>` split at the first `:` outside `{...}`.
fn split_path(spec: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    for (i, b) in spec.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => return Some((&spec[..i], &spec[i + 1..])),
            _ => {}
        }
    }
    None
}

struct Resolver<'r, 'a> {
    reader: &'r mut Reader,
    refs: &'a RefStore,
    warnings: Vec<RevisionWarning>,
    spec: &'a str,
    /// Whether a commit parsed now is one git parses (`false` while a
    /// `<rev>:<path>`'s tree is found, which git reads without parsing).
    parse_commits: bool,
    /// Whether [`RevisionWarning::CommitParsed`] was recorded.
    commit_parsed: bool,
    /// The repository's shallow commits, read when parents are first asked.
    shallow: Option<Shallow>,
}

impl<'r, 'a> Resolver<'r, 'a> {
    fn new(reader: &'r mut Reader, refs: &'a RefStore, spec: &'a str) -> Self {
        Resolver {
            reader,
            refs,
            warnings: Vec::new(),
            spec,
            parse_commits: true,
            commit_parsed: false,
            shallow: None,
        }
    }
}

impl Resolver<'_, '_> {
    fn problem(&self, problem: RevisionProblem) -> Error {
        Error::Revision {
            name: self.spec.to_owned(),
            problem,
            warnings: self.warnings.clone(),
        }
    }

    fn unknown(&self) -> Error {
        self.problem(RevisionProblem::Unknown)
    }

    /// git's `get_oid_1`: a name with `^{...}`, `^<n>` or `~<n>` suffixes.
    fn object(&mut self, name: &str) -> Result<ObjectId, Error> {
        // The suffixes apply left to right; they are read in a loop, not
        // by recursion, so that no name can exhaust the stack.
        let bytes = name.as_bytes();
        let base_end = bytes
            .iter()
            .position(|&b| b == b'^' || b == b'~')
            .unwrap_or(bytes.len());
        let mut id = self.basic(&name[..base_end])?;
        let mut i = base_end;
        while i < bytes.len() {
            let op = bytes[i];
            if op == b'^' && bytes.get(i + 1) == Some(&b'{') {
                let close = name[i + 2..]
                    .find('}')
                    .map(|c| i + 2 + c)
                    .ok_or_else(|| self.unknown())?;
                id = self.peel_onion(id, &name[i + 2..close], &name[..=close])?;
                i = close + 1;
                continue;
            }
            if op != b'^' && op != b'~' {
                return Err(self.unknown());
            }
            let digits_end = i
                + 1
                + bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
            let digits = &name[i + 1..digits_end];
            let n: u32 = if digits.is_empty() {
                1
            } else {
                digits
                    .parse()
                    .ok()
                    .filter(|&n| i32::try_from(n).is_ok())
                    .ok_or_else(|| self.unknown())?
            };
            let mut commit = self.commit_of(id)?;
            if op == b'^' {
                if n > 0 {
                    let parents = self.parents(commit)?;
                    commit = parents
                        .get(n as usize - 1)
                        .copied()
                        .ok_or_else(|| self.unknown())?;
                }
            } else {
                for _ in 0..n {
                    commit = *self
                        .parents(commit)?
                        .first()
                        .ok_or_else(|| self.unknown())?;
                }
            }
            id = commit;
            i = digits_end;
        }
        Ok(id)
    }

    /// `^{}`, `^{object}`, `^{<type>}` (`name` is the whole, for git's
    /// message when the chain ends at another kind).
    fn peel_onion(&mut self, id: ObjectId, inner: &str, name: &str) -> Result<ObjectId, Error> {
        match inner {
            "" => self.peel(id, None),
            "object" => {
                if self.reader.contains(&id)? {
                    Ok(id)
                } else {
                    Err(self.unknown())
                }
            }
            _ if inner.starts_with('/') => Err(self.problem(RevisionProblem::Unsupported(
                "message search (`^{/<text>}`)",
            ))),
            _ => {
                let want = ObjectKind::from_name(inner.as_bytes()).ok_or_else(|| self.unknown())?;
                self.peel_as(id, Some(want), Some(name)).map(|(id, _)| id)
            }
        }
    }

    /// git's `parse_object` of `id`; `None` if there is no such object,
    /// or (with git's warning) if it hashes to another id.
    fn parsed(&mut self, id: &ObjectId) -> Result<Option<Object>, Error> {
        Ok(match self.reader.parse_object(id)? {
            Parsed::Object(o) => {
                // git loads the graph once a commit's headers are read.
                let hash = self.reader.odb().hash_kind();
                if o.kind == ObjectKind::Commit
                    && self.parse_commits
                    && !self.commit_parsed
                    && Commit::parse(&o.data, hash).is_ok()
                {
                    self.commit_parsed = true;
                    self.warnings.push(RevisionWarning::CommitParsed);
                }
                Some(o)
            }
            Parsed::Missing => None,
            Parsed::HashMismatch => {
                self.warnings.push(RevisionWarning::HashMismatch(*id));
                None
            }
        })
    }

    /// Follows tags (and, for a tree, a commit's tree line) until an
    /// object of kind `want` is reached, quietly.
    fn peel(&mut self, id: ObjectId, want: Option<ObjectKind>) -> Result<ObjectId, Error> {
        self.peel_as(id, want, None).map(|(id, _)| id)
    }

    /// git's `repo_peel_to_type`: follows tags, and commits to their trees,
    /// until an object of kind `want` is reached (with `None`, until an
    /// object that is not a tag); the id and kind reached. Where the chain
    /// ends elsewhere and `name` is given, git's `error:` line is recorded.
    fn peel_as(
        &mut self,
        mut id: ObjectId,
        want: Option<ObjectKind>,
        name: Option<&str>,
    ) -> Result<(ObjectId, ObjectKind), Error> {
        let hash = self.reader.odb().hash_kind();
        for _ in 0..MAX_PEEL {
            // As git's `parse_object`: a damaged object is an error here,
            // not an id; one that hashes to another id is no object.
            let Some(object) = self.parsed(&id)? else {
                return Err(self.unknown());
            };
            let kind = object.kind;
            if Some(kind) == want || (want.is_none() && kind != ObjectKind::Tag) {
                return Ok((id, kind));
            }
            id = match kind {
                ObjectKind::Tag => {
                    crate::object::commit::Tag::parse(&object.data, hash)
                        .map_err(|_| self.unknown())?
                        .object
                }
                ObjectKind::Commit => {
                    Commit::parse(&object.data, hash)
                        .map_err(|_| self.unknown())?
                        .tree
                }
                found => {
                    if let (Some(name), Some(want)) = (name, want) {
                        self.warnings.push(RevisionWarning::PeelMismatch {
                            name: name.to_owned(),
                            expected: want,
                            found,
                        });
                    }
                    return Err(self.unknown());
                }
            };
        }
        Err(self.unknown())
    }

    /// git's `lookup_commit_reference`: `id`, tags followed, must be a
    /// commit; git reports what it is otherwise.
    fn commit_of(&mut self, id: ObjectId) -> Result<ObjectId, Error> {
        let (id, kind) = self.peel_as(id, None, None)?;
        if kind != ObjectKind::Commit {
            self.warnings.push(RevisionWarning::NotACommit { id, kind });
            return Err(self.unknown());
        }
        Ok(id)
    }

    fn parents(&mut self, commit: ObjectId) -> Result<Vec<ObjectId>, Error> {
        let hash = self.reader.odb().hash_kind();
        let object = self.reader.read(&commit)?;
        let parents = Commit::parse(&object.data, hash)
            .map_err(|_| self.unknown())?
            .parents;
        // A shallow repository's boundary commits have no parents for git.
        if self.shallow.is_none() {
            self.shallow = Some(Shallow::load(self.refs.common_dir(), hash)?);
        }
        if self.shallow.as_ref().is_some_and(|s| s.contains(&commit)) {
            return Ok(Vec::new());
        }
        Ok(parents)
    }
}
