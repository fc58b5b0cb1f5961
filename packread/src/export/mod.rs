//! Writing a tree's files to a directory, as `git archive <tree> | tar -x`
//! leaves them: regular files (the executable bit from the mode), symbolic
//! links as links, submodules (gitlinks) as empty directories, and no
//! directory for an empty tree.
//!
//! Nothing is ever overwritten and nothing is written outside the target
//! directory: every path must pass git's [`verify_path`] (checked for the
//! whole tree before the first file is written), files and links are
//! created only where nothing exists, and a directory that already exists
//! is entered only if it is a real directory (never through a symlink).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("packread-export-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let git = |args: &[&str]| std::process::Command::new("git").args(args).current_dir(&dir).output();
//! # git(&["init", "-q"])?;
//! # std::fs::create_dir_all(dir.join("src"))?;
//! # std::fs::write(dir.join("src/hello.txt"), "hello\n")?;
//! # git(&["add", "."])?;
//! # git(&["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "c"])?;
//! let repo = packread::Repository::discover(&dir)?;
//! let commit = repo.rev_parse("HEAD")?;
//! let out = dir.join("exported");
//! let written = packread::export::write_tree(&mut repo.odb().reader(), &commit, &out)?;
//! assert_eq!(written.files, 1);
//! assert_eq!(std::fs::read(out.join("src/hello.txt"))?, b"hello\n");
//! // A second export into the same place overwrites nothing: it fails.
//! assert!(packread::export::write_tree(&mut repo.odb().reader(), &commit, &out).is_err());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```

mod path;

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use path::verify_path;

use crate::error::Error;
use crate::object::{ObjectId, ObjectKind, tree};
use crate::odb::Reader;

/// What [`write_tree`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Written {
    /// Regular files.
    pub files: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Directories created (those that already existed not counted).
    pub directories: u64,
    /// Bytes of file content.
    pub bytes: u64,
}

/// One entry to write: its path in the tree, canonical mode and object.
struct Item {
    path: Vec<u8>,
    mode: u32,
    id: ObjectId,
}

const FILE: u32 = 0o100_000;
const SYMLINK: u32 = 0o120_000;
const TREE: u32 = 0o040_000;

/// Writes the files of `tree_ish` (a tree, or a commit or tag that leads to
/// one) under `dir`, which is created if missing and may already hold other
/// files. Fails with [`Error::InvalidPath`] before writing anything if the
/// tree holds a path git would not check out, or with
/// [`Error::NotFound`] if it lacks a file's object (a partial clone's,
/// where no promisor remote gives it), with
/// [`Error::MalformedTree`] for a tree git can't read, and with
/// [`Error::Write`] (an [`AlreadyExists`](io::ErrorKind::AlreadyExists)
/// source) at the first file or link that exists already; what was written
/// before stays.
pub fn write_tree(reader: &mut Reader, tree_ish: &ObjectId, dir: &Path) -> Result<Written, Error> {
    let mut buf = Vec::new();
    let Some(root) = reader.read_peeled(tree_ish, ObjectKind::Tree, &mut buf)? else {
        let found = reader.header(tree_ish)?.kind;
        return Err(Error::UnexpectedKind {
            id: *tree_ish,
            expected: ObjectKind::Tree,
            found,
        });
    };
    let items = collect(reader, root, buf)?;
    // Every file's object is there before anything is written.
    for item in &items {
        if matches!(item.mode & 0o170_000, FILE | SYMLINK) && !reader.contains(&item.id)? {
            return Err(Error::NotFound(item.id));
        }
    }
    fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    let mut writer = Writer {
        reader,
        root: dir,
        known_dirs: HashSet::new(),
        written: Written::default(),
    };
    for item in &items {
        writer.write(item)?;
    }
    Ok(writer.written)
}

/// The entries of the tree `root` (whose bytes are in `data`) and of its
/// subtrees, depth first in tree order, every path checked; subtrees
/// themselves are not listed (their directories come with their files).
fn collect(reader: &mut Reader, root: ObjectId, data: Vec<u8>) -> Result<Vec<Item>, Error> {
    let hash = reader.odb().hash_kind();
    let mut items = Vec::new();
    // Trees still to list, each with its path prefix; popped in reverse so
    // that the walk is in tree order.
    let mut pending: Vec<(ObjectId, Vec<u8>, Vec<u8>)> = vec![(root, Vec::new(), data)];
    while let Some((id, prefix, data)) = pending.pop() {
        let mut subtrees = Vec::new();
        for entry in tree::entries(&data, hash) {
            let entry = entry.map_err(|problem| Error::MalformedTree { id, problem })?;
            let mut path = prefix.clone();
            path.extend_from_slice(entry.name);
            let mode = entry.canonical_mode();
            if !verify_path(&path, mode) {
                return Err(Error::InvalidPath(
                    String::from_utf8_lossy(&path).into_owned(),
                ));
            }
            if mode == TREE {
                let object = reader.read(&entry.id)?;
                if object.kind != ObjectKind::Tree {
                    return Err(Error::UnexpectedKind {
                        id: entry.id,
                        expected: ObjectKind::Tree,
                        found: object.kind,
                    });
                }
                path.push(b'/');
                subtrees.push((entry.id, path, object.data));
            } else {
                items.push(Item {
                    path,
                    mode,
                    id: entry.id,
                });
            }
        }
        // Files of this tree come before those of its subtrees; the order
        // only matters to which existing file is reported first.
        pending.extend(subtrees.into_iter().rev());
    }
    Ok(items)
}

struct Writer<'a> {
    reader: &'a mut Reader,
    root: &'a Path,
    /// Directories known to be real directories under `root`.
    known_dirs: HashSet<PathBuf>,
    written: Written,
}

impl Writer<'_> {
    fn write(&mut self, item: &Item) -> Result<(), Error> {
        let relative = to_path(&item.path)?;
        if let Some(parent) = relative.parent() {
            self.ensure_dirs(parent)?;
        }
        let target = self.root.join(&relative);
        match item.mode & 0o170_000 {
            FILE => self.write_file(&target, item),
            SYMLINK => self.write_symlink(&target, item),
            // A gitlink: an empty directory, as git archive leaves it.
            _ => self.make_dir(&relative),
        }
    }

    /// Creates the directories of `relative` one by one, refusing any that
    /// exists as something other than a directory (a symlink above all).
    fn ensure_dirs(&mut self, relative: &Path) -> Result<(), Error> {
        let mut so_far = PathBuf::new();
        for component in relative.components() {
            so_far.push(component);
            if !self.known_dirs.contains(&so_far) {
                self.make_dir(&so_far.clone())?;
            }
        }
        Ok(())
    }

    fn make_dir(&mut self, relative: &Path) -> Result<(), Error> {
        let path = self.root.join(relative);
        #[cfg_attr(not(unix), allow(unused_mut))]
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o775);
        match builder.create(&path) {
            Ok(()) => self.written.directories += 1,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
                if !is_dir {
                    let in_the_way = io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "a file or symlink is in the way of a directory",
                    );
                    return Err(Error::write(&path, in_the_way));
                }
            }
            Err(e) => return Err(Error::write(&path, e)),
        }
        self.known_dirs.insert(relative.to_owned());
        Ok(())
    }

    fn write_file(&mut self, target: &Path, item: &Item) -> Result<(), Error> {
        let mut stream = self.reader.stream(&item.id)?;
        if stream.kind() != ObjectKind::Blob {
            return Err(Error::UnexpectedKind {
                id: item.id,
                expected: ObjectKind::Blob,
                found: stream.kind(),
            });
        }
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(
            &mut options,
            // git archive's default tar.umask leaves 0664 and 0775; the
            // process's umask applies on top, as it does for tar.
            if item.mode & 0o100 != 0 { 0o775 } else { 0o664 },
        );
        let mut file = options.open(target).map_err(|e| Error::write(target, e))?;
        let copied = io::copy(&mut stream, &mut file).map_err(|e| match e.downcast::<Error>() {
            Ok(err) => err,
            Err(e) => Error::write(target, e),
        })?;
        self.written.files += 1;
        self.written.bytes += copied;
        Ok(())
    }

    fn write_symlink(&mut self, target: &Path, item: &Item) -> Result<(), Error> {
        let object = self.reader.read(&item.id)?;
        if object.kind != ObjectKind::Blob {
            return Err(Error::UnexpectedKind {
                id: item.id,
                expected: ObjectKind::Blob,
                found: object.kind,
            });
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let link = std::ffi::OsStr::from_bytes(&object.data);
            std::os::unix::fs::symlink(link, target).map_err(|e| Error::write(target, e))?;
            self.written.symlinks += 1;
        }
        #[cfg(not(unix))]
        {
            // Without symlinks, git (core.symlinks=false) writes the target
            // as the file's content.
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(target)
                .map_err(|e| Error::write(target, e))?;
            io::Write::write_all(&mut file, &object.data).map_err(|e| Error::write(target, e))?;
            self.written.files += 1;
        }
        Ok(())
    }
}

/// A repository path (checked by [`verify_path`]) as a relative path of
/// this system (elsewhere than on Unix, only UTF-8 paths can be).
#[cfg_attr(unix, allow(clippy::unnecessary_wraps))]
fn to_path(path: &[u8]) -> Result<PathBuf, Error> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(path)))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(path)
            .map(PathBuf::from)
            .map_err(|_| Error::InvalidPath(String::from_utf8_lossy(path).into_owned()))
    }
}
