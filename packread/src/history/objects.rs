//! The trees, blobs and tags a walk reaches, as `git rev-list --objects`
//! lists them (git's list-objects.c): after the commits, each shown
//! commit's tree in turn, depth first in tree order, every object once,
//! under the path it was first met at; objects of the trees the walk's
//! edges exclude are left out; missing ones handled as `--missing=` says.

use crate::diff::{Interest, MAX_TREE_DEPTH, Pathspec};
use crate::error::Error;
use crate::object::tree;
use crate::object::{IdMap, ObjectId, ObjectKind};
use crate::odb::Reader;

const UNINTERESTING: u8 = 1;
const SEEN: u8 = 2;

/// What to do about an object the listing reaches but the database lacks
/// (`--missing=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Missing {
    /// `error` (git's default): stop with an error.
    #[default]
    Error,
    /// `allow-any`: leave it out.
    AllowAny,
    /// `allow-promisor`: leave it out if a promisor pack refers to it
    /// (a partial clone's expected gap), else stop.
    AllowPromisor,
    /// `print`: leave it out of the list, and report it.
    Print,
}

/// One object listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The object.
    pub id: ObjectId,
    /// Its kind, as the tree entry or tag that named it says.
    pub kind: ObjectKind,
    /// The path it was met at (empty for root trees), or a tag's name.
    pub name: Vec<u8>,
}

/// What stopped a listing: an object missing where `--missing` doesn't
/// allow it.
#[derive(Debug)]
pub enum ListError {
    /// A tree that can't be read (git: `bad tree object`).
    BadTree(ObjectId),
    /// A missing object (`missing <kind> object`); `unexpected` under
    /// `allow-promisor` (no promisor pack refers to it).
    Missing {
        /// The object.
        id: ObjectId,
        /// Its kind, as named.
        kind: ObjectKind,
        /// Whether `allow-promisor` refused it.
        unexpected: bool,
    },
    /// The database failed.
    Read(Error),
}

impl From<Error> for ListError {
    fn from(e: Error) -> Self {
        ListError::Read(e)
    }
}

/// The objects to list, in git's order.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("objects", &[("a.txt", "a\n")])?;
/// use packread::history::{Missing, ObjectList};
/// use packread::ObjectKind;
///
/// let repo = packread::Repository::discover(&*dir)?;
/// let tree = repo.rev_parse("HEAD^{tree}")?;
/// let mut list = ObjectList::new(Default::default(), Missing::Error);
/// list.add(tree, ObjectKind::Tree, b"");
/// let mut names = Vec::new();
/// list.traverse(&mut repo.odb().reader(), &mut |o| names.push(o.name.clone()))
///     .map_err(|e| format!("{e:?}"))?;
/// assert_eq!(names, [b"".to_vec(), b"a.txt".to_vec()]);
/// # Ok(()) }
/// ```
pub struct ObjectList {
    flags: IdMap<u8>,
    pending: Vec<Listed>,
    paths: Pathspec,
    missing: Missing,
    missing_found: Vec<ObjectId>,
    promisor: Option<std::collections::HashSet<ObjectId>>,
}

impl ObjectList {
    /// A listing limited to `paths` (empty: everything), treating missing
    /// objects as `missing` says.
    pub fn new(paths: Pathspec, missing: Missing) -> ObjectList {
        ObjectList {
            flags: IdMap::default(),
            pending: Vec::new(),
            paths,
            missing,
            missing_found: Vec::new(),
            promisor: None,
        }
    }

    /// Adds an object to list after the commits: a shown commit's tree
    /// (under the empty path), or a tree, blob or tag given by name.
    pub fn add(&mut self, id: ObjectId, kind: ObjectKind, name: &[u8]) {
        self.pending.push(Listed {
            id,
            kind,
            name: name.to_vec(),
        });
    }

    /// git's `mark_tree_uninteresting`: the tree and everything in it are
    /// left out (a tree that can't be read is left out alone).
    pub fn exclude_tree(&mut self, reader: &mut Reader, tree: ObjectId) -> Result<(), Error> {
        let mut stack = vec![tree];
        let mut data = Vec::new();
        while let Some(t) = stack.pop() {
            let f = self.flags.entry(t).or_insert(0);
            if *f & UNINTERESTING != 0 {
                continue;
            }
            *f |= UNINTERESTING;
            match reader.read_into(&t, &mut data) {
                Ok(ObjectKind::Tree) => {}
                Ok(_) | Err(Error::NotFound(_)) => continue,
                Err(e) => return Err(e),
            }
            let mut subtrees = Vec::new();
            for e in tree::entries(&data, t.kind()) {
                let Ok(e) = e else { break };
                match e.kind() {
                    ObjectKind::Tree => subtrees.push(e.id),
                    ObjectKind::Blob => *self.flags.entry(e.id).or_insert(0) |= UNINTERESTING,
                    _ => {}
                }
            }
            // Depth first, in tree order.
            stack.extend(subtrees.into_iter().rev());
        }
        Ok(())
    }

    /// Leaves out a blob (an excluded tree's, named on its own).
    pub fn exclude_blob(&mut self, blob: ObjectId) {
        self.mark(blob, UNINTERESTING);
    }

    /// The objects `--missing=print` left out, in the order met.
    pub fn missing_found(&self) -> &[ObjectId] {
        &self.missing_found
    }

    /// Lists the added objects (git's `traverse_non_commits`), handing
    /// each to `visit`.
    pub fn traverse(
        &mut self,
        reader: &mut Reader,
        visit: &mut dyn FnMut(&Listed),
    ) -> Result<(), ListError> {
        for item in std::mem::take(&mut self.pending) {
            if item.kind == ObjectKind::Tree {
                let mut base = Vec::new();
                self.process_tree(reader, item.id, &mut base, &item.name, 0, visit)?;
            } else if self.first_visit(item.id) {
                // A tag or a blob.
                self.show(reader, &item, visit)?;
            }
        }
        Ok(())
    }

    /// Marks `id` seen; whether it was neither seen nor left out before.
    fn first_visit(&mut self, id: ObjectId) -> bool {
        let f = self.flags.entry(id).or_insert(0);
        if *f & (UNINTERESTING | SEEN) != 0 {
            return false;
        }
        *f |= SEEN;
        true
    }

    fn mark(&mut self, id: ObjectId, f: u8) {
        *self.flags.entry(id).or_insert(0) |= f;
    }

    fn process_tree(
        &mut self,
        reader: &mut Reader,
        id: ObjectId,
        base: &mut Vec<u8>,
        name: &[u8],
        depth: usize,
        visit: &mut dyn FnMut(&Listed),
    ) -> Result<(), ListError> {
        if !self.first_visit(id) {
            return Ok(());
        }
        if depth > MAX_TREE_DEPTH {
            return Err(ListError::Read(Error::TreeTooDeep(id)));
        }
        let mut data = Vec::new();
        let parsed = match reader.read_into(&id, &mut data) {
            Ok(ObjectKind::Tree) => true,
            Ok(_) | Err(Error::NotFound(_)) => false,
            Err(e) => return Err(e.into()),
        };
        if !parsed && self.missing == Missing::Error {
            return Err(ListError::BadTree(id));
        }
        let len = base.len();
        base.extend_from_slice(name);
        let item = Listed {
            id,
            kind: ObjectKind::Tree,
            name: base.clone(),
        };
        if parsed {
            visit(&item);
        } else {
            self.show(reader, &item, visit)?;
        }
        if !base.is_empty() {
            base.push(b'/');
        }
        if parsed {
            let mut all = self.paths.is_empty();
            for e in tree::entries(&data, id.kind()).map_while(Result::ok) {
                if !all {
                    let mode = e.canonical_mode();
                    match self
                        .paths
                        .interest_in(base, e.name, mode == 0o040_000, mode, false)
                    {
                        Interest::NoneLater => break,
                        Interest::No => continue,
                        Interest::All => all = true,
                        Interest::Yes => {}
                    }
                }
                match e.kind() {
                    ObjectKind::Tree => {
                        self.process_tree(reader, e.id, base, e.name, depth + 1, visit)?;
                    }
                    ObjectKind::Commit => {}
                    _ => {
                        if !self.first_visit(e.id) {
                            continue;
                        }
                        let mut path = base.clone();
                        path.extend_from_slice(e.name);
                        let item = Listed {
                            id: e.id,
                            kind: ObjectKind::Blob,
                            name: path,
                        };
                        self.show(reader, &item, visit)?;
                    }
                }
            }
        }
        base.truncate(len);
        Ok(())
    }

    /// git's `show_object` after `finish_object`: a missing object is
    /// handled as `--missing` says.
    fn show(
        &mut self,
        reader: &mut Reader,
        item: &Listed,
        visit: &mut dyn FnMut(&Listed),
    ) -> Result<(), ListError> {
        if reader.contains(&item.id)? {
            visit(item);
            return Ok(());
        }
        match self.missing {
            Missing::Error => Err(ListError::Missing {
                id: item.id,
                kind: item.kind,
                unexpected: false,
            }),
            Missing::AllowAny => Ok(()),
            Missing::Print => {
                self.missing_found.push(item.id);
                Ok(())
            }
            Missing::AllowPromisor => {
                if self.promisor_objects(reader)?.contains(&item.id) {
                    Ok(())
                } else {
                    Err(ListError::Missing {
                        id: item.id,
                        kind: item.kind,
                        unexpected: true,
                    })
                }
            }
        }
    }

    /// git's `is_promisor_object` set (see [`Odb::promisor_objects`]),
    /// built on first use.
    ///
    /// [`Odb::promisor_objects`]: crate::Odb::promisor_objects
    fn promisor_objects(
        &mut self,
        reader: &mut Reader,
    ) -> Result<&std::collections::HashSet<ObjectId>, Error> {
        if self.promisor.is_none() {
            self.promisor = Some(reader.odb().promisor_objects()?);
        }
        Ok(self.promisor.as_ref().expect("just made"))
    }
}
