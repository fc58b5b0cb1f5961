//! The difference between two trees as git's tree-diff.c finds it: both
//! trees walked in lock-step in git's tree order, entries that differ in
//! id or mode reported, directories entered when the diff is recursive,
//! and entries outside the pathspec never read.

use std::ops::ControlFlow;
use std::sync::Arc;

use crate::error::Error;
use crate::object::tree::{self, TreeEntry};
use crate::object::{ObjectId, ObjectKind};
use crate::odb::Reader;

use super::pathspec::{Interest, Pathspec};
use super::recent::Recent;

/// How deep git enters trees before it gives up (`core.maxTreeDepth`).
pub const MAX_TREE_DEPTH: usize = 2048;

/// The file-type bits of a mode.
const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;

/// One side of a change: an entry's mode (canonical, as git reads it) and
/// object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Side {
    /// `100644`, `100755`, `120000`, `040000` or `160000`.
    pub mode: u32,
    /// The object.
    pub id: ObjectId,
}

impl Side {
    /// Whether it is a directory.
    pub fn is_tree(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// Whether it is a submodule (a commit of another repository).
    pub fn is_gitlink(&self) -> bool {
        self.mode & S_IFMT == 0o160_000
    }
}

/// How a path changed (the letter `git diff --name-status` prints).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// `A`: only in the new tree.
    Added,
    /// `D`: only in the old tree.
    Deleted,
    /// `M`: in both, with another id or mode.
    Modified,
    /// `T`: in both, of another type (a file became a symlink).
    TypeChanged,
}

impl Status {
    /// git's letter for it.
    pub fn letter(self) -> char {
        match self {
            Status::Added => 'A',
            Status::Deleted => 'D',
            Status::Modified => 'M',
            Status::TypeChanged => 'T',
        }
    }
}

/// A path that differs between the trees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The path from the top of the trees.
    pub path: Vec<u8>,
    /// The entry in the old tree (`None`: added).
    pub old: Option<Side>,
    /// The entry in the new tree (`None`: deleted).
    pub new: Option<Side>,
}

impl Change {
    /// How it changed.
    pub fn status(&self) -> Status {
        match (&self.old, &self.new) {
            (None, _) => Status::Added,
            (_, None) => Status::Deleted,
            (Some(a), Some(b)) if (a.mode ^ b.mode) & S_IFMT != 0 => Status::TypeChanged,
            _ => Status::Modified,
        }
    }
}

/// What to report (git's `diff_options` as `git diff-tree` sets them).
#[derive(Clone, Debug, Default)]
pub struct TreeDiffOptions {
    /// `-r`: enter directories and report the files in them instead of
    /// the directories.
    pub recursive: bool,
    /// `-t`: with `recursive`, report the directories too, before what
    /// is in them.
    pub show_trees: bool,
    /// Only paths it selects.
    pub pathspec: Pathspec,
}

/// The changes from tree `old` to tree `new` (`None`: an empty tree), in
/// git's order, each handed to `visit` as it is found; `visit` may stop
/// the diff with `ControlFlow::Break` (git's `quick` diffs).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("diff", &[("a.txt", "a\n"), ("b.txt", "b\n")])?;
/// # std::fs::write(dir.join("b.txt"), "b2\n")?;
/// # dir.git(&["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qam", "second"])?;
/// use packread::diff::{diff_trees, Status, TreeDiffOptions};
/// use packread::Repository;
///
/// let repo = Repository::discover(&*dir)?;
/// let old = repo.rev_parse("HEAD~^{tree}")?;
/// let new = repo.rev_parse("HEAD^{tree}")?;
/// let options = TreeDiffOptions { recursive: true, ..Default::default() };
/// let mut changes = Vec::new();
/// diff_trees(&mut repo.odb().reader(), Some(&old), Some(&new), &options, &mut |c| {
///     changes.push(c);
///     std::ops::ControlFlow::Continue(())
/// })?;
/// assert_eq!(changes.len(), 1);
/// assert_eq!(changes[0].path, b"b.txt");
/// assert_eq!(changes[0].status(), Status::Modified);
/// # Ok(()) }
/// ```
pub fn diff_trees(
    reader: &mut Reader,
    old: Option<&ObjectId>,
    new: Option<&ObjectId>,
    options: &TreeDiffOptions,
    visit: &mut dyn FnMut(Change) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, Error> {
    run(reader, None, old, new, options, visit)
}

/// As [`diff_trees`], keeping the trees it reads in `cache` for later
/// diffs (a walk compares each commit with its parent, then the parent
/// with its own: every tree would be read twice).
pub fn diff_trees_cached(
    reader: &mut Reader,
    cache: &mut TreeCache,
    old: Option<&ObjectId>,
    new: Option<&ObjectId>,
    options: &TreeDiffOptions,
    visit: &mut dyn FnMut(Change) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, Error> {
    run(reader, Some(cache), old, new, options, visit)
}

fn run(
    reader: &mut Reader,
    cache: Option<&mut TreeCache>,
    old: Option<&ObjectId>,
    new: Option<&ObjectId>,
    options: &TreeDiffOptions,
    visit: &mut dyn FnMut(Change) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, Error> {
    let mut walk = Walk {
        reader,
        cache,
        options,
        visit,
        base: Vec::new(),
    };
    walk.level(old, new, 0)
}

/// The trees read most recently, up to a number of bytes.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("treecache", &[("a.txt", "a\n")])?;
/// use packread::diff::{diff_trees_cached, TreeCache, TreeDiffOptions};
///
/// let repo = packread::Repository::discover(&*dir)?;
/// let tree = repo.rev_parse("HEAD^{tree}")?;
/// let mut cache = TreeCache::new(1 << 20);
/// let mut reader = repo.odb().reader();
/// let mut n = 0;
/// for _ in 0..2 {
///     // The second diff reads the tree from the cache.
///     diff_trees_cached(&mut reader, &mut cache, None, Some(&tree), &TreeDiffOptions::default(),
///         &mut |_| { n += 1; std::ops::ControlFlow::Continue(()) })?;
/// }
/// assert_eq!(n, 2);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TreeCache(Recent);

impl TreeCache {
    /// A cache of at most `limit` bytes of trees (and one tree more).
    ///
    /// Two generations stand for least-recently-used order: the trees
    /// used since the last turn over, and those of the turn before, gone
    /// at the next turn unless used again. A turn comes when the young
    /// ones hold half the limit: no order is kept tree by tree. The
    /// buffers of the trees a turn drops (up to 32) are kept for the next
    /// trees read.
    pub fn new(limit: usize) -> TreeCache {
        TreeCache(Recent::new(limit))
    }

    fn get(&mut self, reader: &mut Reader, id: &ObjectId) -> Result<Arc<Vec<u8>>, Error> {
        self.0.get_or_read(id, |buf| read_tree(reader, id, buf))
    }
}

/// The bytes of no tree (one side of an added or removed tree).
static EMPTY: std::sync::LazyLock<Arc<Vec<u8>>> = std::sync::LazyLock::new(|| Arc::new(Vec::new()));

struct Walk<'a, 'v> {
    reader: &'a mut Reader,
    cache: Option<&'a mut TreeCache>,
    options: &'a TreeDiffOptions,
    visit: &'v mut dyn FnMut(Change) -> ControlFlow<()>,
    base: Vec<u8>,
}

/// A tree's bytes (made in `buf` if they must be made), shared with the
/// reader's delta-base cache.
pub(crate) fn read_tree(
    reader: &mut Reader,
    id: &ObjectId,
    buf: Vec<u8>,
) -> Result<Arc<Vec<u8>>, Error> {
    let (kind, data) = reader.read_shared(id, buf)?;
    if kind != ObjectKind::Tree {
        return Err(Error::UnexpectedKind {
            id: *id,
            expected: ObjectKind::Tree,
            found: kind,
        });
    }
    Ok(data)
}

/// A tree's entries, decoded one at a time.
struct Cursor<'d> {
    entries: tree::Entries<'d>,
    head: Option<TreeEntry<'d>>,
    id: Option<ObjectId>,
}

impl<'d> Cursor<'d> {
    fn new(data: &'d [u8], id: Option<&ObjectId>) -> Cursor<'d> {
        let hash = id.map_or(crate::object::HashKind::Sha1, ObjectId::kind);
        Cursor {
            entries: tree::entries(if id.is_some() { data } else { &[] }, hash),
            head: None,
            id: id.copied(),
        }
    }

    /// The entry at the cursor.
    fn peek(&mut self) -> Result<Option<&TreeEntry<'d>>, Error> {
        if self.head.is_none() {
            self.head = match self.entries.next() {
                None => None,
                Some(Ok(e)) => Some(e),
                Some(Err(problem)) => {
                    let id = self.id.expect("an empty cursor has no entries");
                    return Err(Error::MalformedTree { id, problem });
                }
            };
        }
        Ok(self.head.as_ref())
    }

    fn advance(&mut self) {
        self.head = None;
    }

    /// Steps both cursors over their next entries while these are the
    /// same bytes (nothing to report), without decoding them, up to the
    /// entry named `last` (see [`Pathspec::last_name_in`]).
    fn skip_same(&mut self, other: &mut Cursor<'_>, last: Option<&[u8]>) -> bool {
        self.head.is_none()
            && other.head.is_none()
            && self
                .entries
                .skip_while_same_through(&mut other.entries, last)
    }

    /// Gives up the rest of the tree.
    fn finish(&mut self) {
        self.head = None;
        self.entries = tree::entries(&[], crate::object::HashKind::Sha1);
    }
}

/// git's `base_name_compare`: names compared as if directories ended in
/// `/`.
fn compare(a: &TreeEntry<'_>, b: &TreeEntry<'_>) -> std::cmp::Ordering {
    let n = a.name.len().min(b.name.len());
    a.name[..n].cmp(&b.name[..n]).then_with(|| {
        let end = |e: &TreeEntry<'_>| {
            e.name
                .get(n)
                .copied()
                .unwrap_or(if e.canonical_mode() & S_IFMT == S_IFDIR {
                    b'/'
                } else {
                    0
                })
        };
        end(a).cmp(&end(b))
    })
}

fn side(e: &TreeEntry<'_>) -> Side {
    Side {
        mode: e.canonical_mode(),
        id: e.id,
    }
}

impl Walk<'_, '_> {
    fn read(&mut self, id: Option<&ObjectId>) -> Result<Arc<Vec<u8>>, Error> {
        match (id, self.cache.as_deref_mut()) {
            (None, _) => Ok(Arc::clone(&EMPTY)),
            (Some(id), Some(cache)) => cache.get(self.reader, id),
            (Some(id), None) => read_tree(self.reader, id, Vec::new()),
        }
    }

    /// Moves `c` to its first entry the pathspec selects.
    fn skip(&self, c: &mut Cursor<'_>) -> Result<(), Error> {
        let spec = &self.options.pathspec;
        if spec.is_empty() {
            return Ok(());
        }
        while let Some(e) = c.peek()? {
            let mode = e.canonical_mode();
            match spec.interest_in(
                &self.base,
                e.name,
                mode & S_IFMT == S_IFDIR,
                mode,
                self.options.recursive,
            ) {
                Interest::NoneLater => c.finish(),
                Interest::No => c.advance(),
                Interest::Yes | Interest::All => return Ok(()),
            }
        }
        Ok(())
    }

    fn level(
        &mut self,
        old: Option<&ObjectId>,
        new: Option<&ObjectId>,
        depth: usize,
    ) -> Result<ControlFlow<()>, Error> {
        if depth > MAX_TREE_DEPTH {
            let id = new
                .or(old)
                .copied()
                .expect("a level below the top has a tree");
            return Err(Error::TreeTooDeep(id));
        }
        let old_data = self.read(old)?;
        let new_data = self.read(new)?;
        let mut a = Cursor::new(&old_data, old);
        let mut b = Cursor::new(&new_data, new);
        // Same entries are skipped only as far as the pathspec reaches: git
        // stops reading a tree there.
        // (The name borrows from the options, which outlive the walk.)
        let options = self.options;
        let last = options.pathspec.last_name_in(&self.base);
        loop {
            if a.skip_same(&mut b, last) {
                continue;
            }
            self.skip(&mut a)?;
            self.skip(&mut b)?;
            let x = a.peek()?.copied();
            let y = b.peek()?.copied();
            let flow = match (x, y) {
                (None, None) => break,
                (Some(x), Some(y)) => match compare(&x, &y) {
                    std::cmp::Ordering::Equal => {
                        a.advance();
                        b.advance();
                        if x.id == y.id && x.canonical_mode() == y.canonical_mode() {
                            continue;
                        }
                        self.emit(y.name, Some(side(&x)), Some(side(&y)), depth)?
                    }
                    std::cmp::Ordering::Less => {
                        a.advance();
                        self.emit(x.name, Some(side(&x)), None, depth)?
                    }
                    std::cmp::Ordering::Greater => {
                        b.advance();
                        self.emit(y.name, None, Some(side(&y)), depth)?
                    }
                },
                (Some(x), None) => {
                    a.advance();
                    self.emit(x.name, Some(side(&x)), None, depth)?
                }
                (None, Some(y)) => {
                    b.advance();
                    self.emit(y.name, None, Some(side(&y)), depth)?
                }
            };
            if flow.is_break() {
                return Ok(flow);
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// git's `emit_path`: reports the entry, enters it if it is a
    /// directory and the diff recursive.
    fn emit(
        &mut self,
        name: &[u8],
        old: Option<Side>,
        new: Option<Side>,
        depth: usize,
    ) -> Result<ControlFlow<()>, Error> {
        // Both sides are directories or neither (the tree order sets
        // apart a file and a directory of one name).
        let is_dir = new.or(old).is_some_and(|s| s.is_tree());
        let recurse = self.options.recursive && is_dir;
        if !recurse || self.options.show_trees {
            let mut path = self.base.clone();
            path.extend_from_slice(name);
            if (self.visit)(Change { path, old, new }).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        if recurse {
            let len = self.base.len();
            self.base.extend_from_slice(name);
            self.base.push(b'/');
            let flow = self.level(
                old.map(|s| s.id).as_ref(),
                new.map(|s| s.id).as_ref(),
                depth + 1,
            );
            self.base.truncate(len);
            return flow;
        }
        Ok(ControlFlow::Continue(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctest::Scratch;

    /// Trees read through the cache are the trees read directly, a blob
    /// is refused, and a tree held is handed out again, not read again.
    #[test]
    fn the_tree_cache_gives_the_trees_read() {
        let files: Vec<(String, String)> = (0..8)
            .map(|i| (format!("d{i}/f"), format!("{i}\n")))
            .collect();
        let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (&p[..], &c[..])).collect();
        let dir = Scratch::committed("treecache-gen", &files).unwrap();
        let repo = crate::Repository::discover(&*dir).unwrap();
        let mut reader = repo.odb().reader();
        let trees: Vec<ObjectId> = (0..8)
            .map(|i| repo.rev_parse(&format!("HEAD:d{i}")).unwrap())
            .collect();
        let mut cache = TreeCache::new(1 << 20);
        for id in &trees {
            let data = read_tree(&mut reader, id, vec![7; 3]).unwrap();
            assert_eq!(*cache.get(&mut reader, id).unwrap(), *data);
        }
        let blob = repo.rev_parse("HEAD:d0/f").unwrap();
        assert!(matches!(
            cache.get(&mut reader, &blob),
            Err(Error::UnexpectedKind { .. })
        ));
        // Held: the same bytes handed out again, not read again.
        let first = cache.get(&mut reader, &trees[3]).unwrap();
        assert!(Arc::ptr_eq(
            &first,
            &cache.get(&mut reader, &trees[3]).unwrap()
        ));
    }
}
