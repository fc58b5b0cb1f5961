//! Tree objects: their entries, parsed in place from the object's bytes.

use std::fmt;

use super::id::{HashKind, ObjectId};
use super::kind::ObjectKind;

/// One entry of a tree: `<mode> <name>\0<id>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeEntry<'a> {
    /// The mode, as written (octal digits read as a number).
    pub mode: u32,
    /// The name, as bytes (git doesn't require UTF-8).
    pub name: &'a [u8],
    /// The id of the entry's object.
    pub id: ObjectId,
}

impl TreeEntry<'_> {
    /// The kind of object the mode says the entry names: a tree for
    /// directories, a commit for submodules (gitlinks), a blob otherwise.
    pub fn kind(&self) -> ObjectKind {
        match self.mode & 0o170_000 {
            0o160_000 => ObjectKind::Commit,
            0o040_000 => ObjectKind::Tree,
            _ => ObjectKind::Blob,
        }
    }
}

/// A tree's bytes could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeError {
    /// Where in the tree's bytes the bad entry starts.
    pub offset: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed tree entry at byte {}: {}",
            self.offset, self.reason
        )
    }
}

impl std::error::Error for TreeError {}

/// The entries of a tree whose ids are of kind `hash`, in the order stored.
/// After an error the iterator ends.
///
/// ```
/// use packread::object::{HashKind, ObjectKind, tree};
/// let mut data = b"100644 hello.txt\0".to_vec();
/// data.extend_from_slice(&[0xce; 20]);
/// let entries: Vec<_> = tree::entries(&data, HashKind::Sha1).collect::<Result<_, _>>()?;
/// assert_eq!(entries[0].name, b"hello.txt");
/// assert_eq!(entries[0].mode, 0o100644);
/// assert_eq!(entries[0].kind(), ObjectKind::Blob);
/// assert!(tree::entries(b"100644 cut", HashKind::Sha1).next().unwrap().is_err());
/// # Ok::<(), packread::object::tree::TreeError>(())
/// ```
pub fn entries(data: &[u8], hash: HashKind) -> Entries<'_> {
    Entries { data, pos: 0, hash }
}

/// The iterator [`entries`] returns.
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    data: &'a [u8],
    pos: usize,
    hash: HashKind,
}

impl<'a> Entries<'a> {
    fn parse(&self) -> Result<(TreeEntry<'a>, usize), &'static str> {
        let rest = &self.data[self.pos..];
        let sp = memchr::memchr(b' ', rest).ok_or("no space after the mode")?;
        let mode = std::str::from_utf8(&rest[..sp])
            .ok()
            .filter(|m| !m.is_empty() && m.bytes().all(|b| (b'0'..=b'7').contains(&b)))
            .and_then(|m| u32::from_str_radix(m, 8).ok())
            .ok_or("bad mode")?;
        let nul = sp + 1 + memchr::memchr(0, &rest[sp + 1..]).ok_or("no NUL after the name")?;
        let h = self.hash.len();
        let id = rest.get(nul + 1..nul + 1 + h).ok_or("truncated id")?;
        let entry = TreeEntry {
            mode,
            name: &rest[sp + 1..nul],
            id: ObjectId::from_bytes(self.hash, id),
        };
        Ok((entry, nul + 1 + h))
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<TreeEntry<'a>, TreeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.data.len() {
            return None;
        }
        match self.parse() {
            Ok((entry, len)) => {
                self.pos += len;
                Some(Ok(entry))
            }
            Err(reason) => {
                let offset = self.pos;
                self.pos = self.data.len();
                Some(Err(TreeError { offset, reason }))
            }
        }
    }
}
