//! Tree objects: their entries, parsed in place from the object's bytes with
//! git's rules (`decode_tree_entry` in git's tree-walk.c): the same entries
//! accepted, the same refused, with git's words.

use std::fmt;

use super::id::{HashKind, ObjectId};
use super::kind::ObjectKind;

/// One entry of a tree: `<mode> <name>\0<id>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeEntry<'a> {
    /// The mode as written (octal digits read as a number, kept to 16 bits
    /// as git keeps it).
    pub mode: u16,
    /// The name, as bytes (git doesn't require UTF-8).
    pub name: &'a [u8],
    /// The id of the entry's object.
    pub id: ObjectId,
}

impl TreeEntry<'_> {
    /// The mode as git reads it (`canon_mode`): a regular file is `100644`
    /// or `100755` (by its owner's execute bit), a symlink `120000`, a
    /// directory `040000`, and anything else a submodule, `160000`.
    pub fn canonical_mode(&self) -> u32 {
        let mode = u32::from(self.mode);
        match mode & 0o170_000 {
            0o100_000 => 0o100_000 | if mode & 0o100 != 0 { 0o755 } else { 0o644 },
            0o120_000 => 0o120_000,
            0o040_000 => 0o040_000,
            _ => 0o160_000,
        }
    }

    /// The kind of object the (canonical) mode says the entry names: a tree
    /// for directories, a commit for submodules, a blob otherwise.
    pub fn kind(&self) -> ObjectKind {
        match self.canonical_mode() {
            0o040_000 => ObjectKind::Tree,
            0o160_000 => ObjectKind::Commit,
            _ => ObjectKind::Blob,
        }
    }
}

/// What is wrong with a tree's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeError {
    /// Fewer bytes left than an entry needs, or no NUL where the last
    /// entry's name must end (`too-short tree object`).
    TooShort,
    /// A mode that is not octal digits up to a space (`malformed mode in
    /// tree entry`).
    MalformedMode,
    /// An entry with an empty name (`empty filename in tree entry`).
    EmptyName,
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TreeError::TooShort => "tree ends inside an entry",
            TreeError::MalformedMode => "tree entry with a malformed mode",
            TreeError::EmptyName => "tree entry with an empty name",
        })
    }
}

impl std::error::Error for TreeError {}

/// The entries of a tree whose ids are of kind `hash`, in the order stored.
/// After an error the iterator ends.
///
/// ```
/// use packread::object::{HashKind, ObjectKind, tree};
/// let mut data = b"100664 hello.txt\0".to_vec();
/// data.extend_from_slice(&[0xce; 20]);
/// let entries: Vec<_> = tree::entries(&data, HashKind::Sha1).collect::<Result<_, _>>()?;
/// assert_eq!(entries[0].name, b"hello.txt");
/// assert_eq!(entries[0].canonical_mode(), 0o100644);
/// assert_eq!(entries[0].kind(), ObjectKind::Blob);
/// let err = tree::entries(b"100644 cut", HashKind::Sha1).next().unwrap().unwrap_err();
/// assert_eq!(err, tree::TreeError::TooShort);
/// # Ok::<(), packread::object::tree::TreeError>(())
/// ```
pub fn entries(data: &[u8], hash: HashKind) -> Entries<'_> {
    Entries {
        rest: data,
        hash,
        failed: false,
    }
}

/// The iterator [`entries`] returns.
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    rest: &'a [u8],
    hash: HashKind,
    failed: bool,
}

impl<'a> Entries<'a> {
    /// Decodes the entry at the start of `rest`, as git's
    /// `decode_tree_entry` and `update_tree_entry` do.
    fn decode(&self) -> Result<(TreeEntry<'a>, usize), TreeError> {
        let buf = self.rest;
        let (mode, name_start, name_end, end) = split_entry(buf, self.hash)?;
        let entry = TreeEntry {
            mode: mode as u16,
            name: &buf[name_start..name_end],
            id: ObjectId::from_bytes(self.hash, &buf[name_end + 1..end]),
        };
        Ok((entry, end))
    }

    /// Steps over the next entry without decoding it if its bytes are
    /// the same as those of `other`'s next entry (same mode as written,
    /// name and id); whether it did, both then past it. An entry git
    /// can't read is never stepped over.
    pub fn skip_if_same(&mut self, other: &mut Entries<'_>) -> bool {
        if self.failed || other.failed {
            return false;
        }
        let Ok((_, _, _, len)) = split_entry(self.rest, self.hash) else {
            return false;
        };
        if other.rest.len() < len || self.rest[..len] != other.rest[..len] {
            return false;
        }
        // The other entry's bytes are the same, but git's check of the
        // buffer's end (a NUL an id's length before it) depends on what
        // follows; ask it too.
        if split_entry(other.rest, other.hash).is_err() {
            return false;
        }
        self.rest = &self.rest[len..];
        other.rest = &other.rest[len..];
        true
    }

    /// Steps over every next entry whose bytes are the same as those of
    /// `other`'s next entry, both together, as
    /// [`skip_if_same`](Self::skip_if_same) called until it returns
    /// `false` would, but comparing the bytes of both trees once, not
    /// entry by entry: a tree diffed with its parent's is mostly the
    /// same. Whether it stepped over any.
    ///
    /// ```
    /// use packread::object::{HashKind, tree};
    /// let entry = |name: &str, id: u8| {
    ///     let mut e = format!("100644 {name}\0").into_bytes();
    ///     e.extend_from_slice(&[id; 20]);
    ///     e
    /// };
    /// let a = [entry("a", 1), entry("b", 2), entry("c", 3)].concat();
    /// let b = [entry("a", 1), entry("b", 2), entry("c", 4)].concat();
    /// let (mut x, mut y) = (tree::entries(&a, HashKind::Sha1), tree::entries(&b, HashKind::Sha1));
    /// assert!(x.skip_while_same(&mut y));
    /// assert_eq!(x.next().unwrap().unwrap().name, b"c");
    /// assert!(!x.skip_while_same(&mut y));
    /// ```
    pub fn skip_while_same(&mut self, other: &mut Entries<'_>) -> bool {
        self.skip_while_same_through(other, None)
    }

    /// As [`skip_while_same`](Self::skip_while_same), stopping before the
    /// first entry whose name sorts (byte by byte) after `last`, if given:
    /// a diff limited to paths that end there needs no more of the trees.
    ///
    /// ```
    /// use packread::object::{HashKind, tree};
    /// let entry = |name: &str| {
    ///     let mut e = format!("100644 {name}\0").into_bytes();
    ///     e.extend_from_slice(&[1; 20]);
    ///     e
    /// };
    /// let a = [entry("a"), entry("b"), entry("c")].concat();
    /// let (mut x, mut y) = (tree::entries(&a, HashKind::Sha1), tree::entries(&a, HashKind::Sha1));
    /// assert!(x.skip_while_same_through(&mut y, Some(b"a")));
    /// assert_eq!(x.next().unwrap().unwrap().name, b"b");
    /// ```
    pub fn skip_while_same_through(
        &mut self,
        other: &mut Entries<'_>,
        last: Option<&[u8]>,
    ) -> bool {
        if self.failed || other.failed || self.hash != other.hash {
            return false;
        }
        let same = crate::common_bytes::prefix(self.rest, other.rest);
        // An entry's checks look at its own bytes and at the end of its
        // buffer, which stays where it is: both ends are checked once,
        // then each entry's own bytes.
        if same == 0
            || split_entry(other.rest, other.hash).is_err()
            || split_entry(self.rest, self.hash).is_err()
        {
            return false;
        }
        let h = self.hash.len();
        let mut at = 0;
        while let Ok((_, name, name_end, len)) = split_ending_entry(&self.rest[at..], h) {
            if at + len > same || last.is_some_and(|l| self.rest[at + name..at + name_end] > *l) {
                break;
            }
            at += len;
        }
        self.rest = &self.rest[at..];
        other.rest = &other.rest[at..];
        at > 0
    }

    /// Steps over the entries whose names start with a byte below
    /// `first` (in a well-formed tree, all those before any name that
    /// starts with it), without decoding them; stops before an entry git
    /// can't read. For a lookup of one name, most of whose entries compare
    /// at their first byte.
    ///
    /// ```
    /// use packread::object::{HashKind, tree};
    /// let entry = |name: &str| {
    ///     let mut e = format!("100644 {name}\0").into_bytes();
    ///     e.extend_from_slice(&[1; 20]);
    ///     e
    /// };
    /// let a = [entry("a"), entry("b"), entry("c")].concat();
    /// let mut entries = tree::entries(&a, HashKind::Sha1);
    /// entries.skip_below(b'c');
    /// assert_eq!(entries.next().unwrap().unwrap().name, b"c");
    /// ```
    pub fn skip_below(&mut self, first: u8) {
        // The end of the buffer is checked once (see `skip_while_same_through`).
        if self.failed || split_entry(self.rest, self.hash).is_err() {
            return;
        }
        let h = self.hash.len();
        let mut at = 0;
        while let Ok((_, name, _, len)) = split_ending_entry(&self.rest[at..], h) {
            if self.rest[at + name] >= first {
                break;
            }
            at += len;
        }
        self.rest = &self.rest[at..];
    }

    /// The bytes not yet decoded: where the next entry starts.
    ///
    /// ```
    /// use packread::object::{HashKind, tree};
    /// let mut data = b"100644 a\0".to_vec();
    /// data.extend_from_slice(&[1; 20]);
    /// let mut entries = tree::entries(&data, HashKind::Sha1);
    /// assert_eq!(entries.remaining().len(), 29);
    /// entries.next();
    /// assert!(entries.remaining().is_empty());
    /// ```
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }
}

/// Where the parts of the entry at the start of `buf` lie: its mode (as
/// written), its name's start and end, and the entry's end; the checks
/// of git's `decode_tree_entry` and `update_tree_entry`.
fn split_entry(buf: &[u8], hash: HashKind) -> Result<(u32, usize, usize, usize), TreeError> {
    let h = hash.len();
    if buf.len() < h + 3 || buf[buf.len() - (h + 1)] != 0 {
        return Err(TreeError::TooShort);
    }
    split_ending_entry(buf, h)
}

/// [`split_entry`] of an entry in a buffer known to end in a NUL and an
/// id of `h` bytes (every entry of a tree ends where the tree ends: a
/// caller that walks many checks that once).
// Inlined into the skipping loop, whose callers don't need the mode: 4 %
// fewer instructions in `diff-tree --stdin -r` than a call (callgrind).
#[allow(clippy::inline_always)]
#[inline(always)]
fn split_ending_entry(buf: &[u8], h: usize) -> Result<(u32, usize, usize, usize), TreeError> {
    if buf.len() < h + 3 {
        return Err(TreeError::TooShort);
    }
    if buf[0] == b' ' {
        return Err(TreeError::MalformedMode);
    }
    // The three modes most entries have are recognised whole, in the
    // entry's first eight bytes (there are more: an id follows).
    let head = u64::from_le_bytes(buf[..8].try_into().expect("eight bytes"));
    let (mode, i) = match (head & 0x00ff_ffff_ffff_ffff, head & 0xffff_ffff_ffff) {
        (FILE, _) => (0o100_644, 7),
        (_, DIRECTORY) => (0o40000, 6),
        (EXECUTABLE, _) => (0o100_755, 7),
        _ => parse_mode(buf)?,
    };
    let name_len = find_nul(&buf[i..]).expect("a NUL is known to follow");
    if name_len == 0 {
        return Err(TreeError::EmptyName);
    }
    // The first NUL lies at or before the one checked above, which has
    // a whole id after it.
    Ok((mode, i, i + name_len, i + name_len + 1 + h))
}

/// `100644 `, `40000 ` and `100755 ` as the low bytes of a word.
const FILE: u64 = u64::from_le_bytes(*b"100644 \0");
const DIRECTORY: u64 = u64::from_le_bytes(*b"40000 \0\0");
const EXECUTABLE: u64 = u64::from_le_bytes(*b"100755 \0");

/// Where the first NUL of `buf` is, looked for eight bytes at a time: an
/// entry's name is short, shorter than a vector search takes to set up.
#[inline]
fn find_nul(buf: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(word) = buf.get(at..at + 8) {
        let v = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        // A high bit set for each zero byte, and maybe for bytes after the
        // first zero (a borrow): the lowest is the first zero.
        let zeros = v.wrapping_sub(ONES) & !v & HIGHS;
        if zeros != 0 {
            return Some(at + (zeros.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    buf[at..].iter().position(|&b| b == 0).map(|p| at + p)
}

/// The octal digits at the start of `buf` up to a space, and where the
/// name after it starts (a NUL, known to follow, stops a mode without one).
fn parse_mode(buf: &[u8]) -> Result<(u32, usize), TreeError> {
    let mut mode: u32 = 0;
    let mut i = 0;
    loop {
        let c = buf[i];
        i += 1;
        if c == b' ' {
            return Ok((mode, i));
        }
        if !(b'0'..=b'7').contains(&c) {
            return Err(TreeError::MalformedMode);
        }
        mode = (mode << 3).wrapping_add(u32::from(c - b'0'));
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<TreeEntry<'a>, TreeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        match self.decode() {
            Ok((entry, len)) => {
                self.rest = &self.rest[len..];
                Some(Ok(entry))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_nul_finds_the_first_nul_as_memchr() {
        let mut next = crate::test_rand::xorshift(11);
        for len in 0..40 {
            for _ in 0..200 {
                // Bytes that are often 0, 1 or 0x80 (the borrows' cases).
                let buf: Vec<u8> = (0..len)
                    .map(|_| match next() % 8 {
                        0 => 0,
                        1 => 1,
                        2 => 0x80,
                        3 => 0xff,
                        _ => next() as u8,
                    })
                    .collect();
                assert_eq!(find_nul(&buf), memchr::memchr(0, &buf), "{buf:?}");
            }
        }
    }

    /// Skipping the same entries at once stops where skipping them one at
    /// a time stops, on trees alike up to a random point (and damaged).
    #[test]
    fn skip_while_same_as_skip_if_same_repeated() {
        let mut rand = crate::test_rand::xorshift(0x9e37_79b9_7f4a_7c15);
        let mut next = move |bound: usize| (rand() % bound as u64) as usize;
        for _ in 0..2_000 {
            let n = next(12);
            let mut a = Vec::new();
            for i in 0..n {
                let mode = ["100644", "40000", "100755", "120000"][next(4)];
                let mut e = format!("{mode} f{i}{}\0", "x".repeat(next(9))).into_bytes();
                e.extend((0..20).map(|_| next(256) as u8));
                a.extend(e);
            }
            let mut b = a.clone();
            if !b.is_empty() && next(4) != 0 {
                let at = next(b.len());
                b[at] = b[at].wrapping_add(1 + next(200) as u8);
            }
            if next(5) == 0 {
                b.truncate(next(b.len() + 1));
            }
            let (mut x1, mut y1) = (entries(&a, HashKind::Sha1), entries(&b, HashKind::Sha1));
            let (mut x2, mut y2) = (entries(&a, HashKind::Sha1), entries(&b, HashKind::Sha1));
            let mut stepped = false;
            while x1.skip_if_same(&mut y1) {
                stepped = true;
            }
            assert_eq!(x2.skip_while_same(&mut y2), stepped);
            assert_eq!(x1.remaining().len(), x2.remaining().len());
            assert_eq!(y1.remaining().len(), y2.remaining().len());
            // Bounded by a name: as far as the entries up to that name go.
            let last = format!("f{}", next(n + 1)).into_bytes();
            let (mut x3, mut y3) = (entries(&a, HashKind::Sha1), entries(&b, HashKind::Sha1));
            let (mut x4, mut y4) = (entries(&a, HashKind::Sha1), entries(&b, HashKind::Sha1));
            let mut stepped = false;
            while x4
                .clone()
                .next()
                .and_then(Result::ok)
                .is_some_and(|e| e.name <= &last[..])
                && x4.skip_if_same(&mut y4)
            {
                stepped = true;
            }
            assert_eq!(x3.skip_while_same_through(&mut y3, Some(&last)), stepped);
            assert_eq!(x3.remaining().len(), x4.remaining().len());
            assert_eq!(y3.remaining().len(), y4.remaining().len());
        }
    }

    fn entry(mode: &str, name: &[u8]) -> Vec<u8> {
        let mut v = format!("{mode} ").into_bytes();
        v.extend_from_slice(name);
        v.push(0);
        v.extend_from_slice(&[7; 20]);
        v
    }

    fn parse(data: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, TreeError> {
        entries(data, HashKind::Sha1)
            .map(|e| e.map(|e| (e.canonical_mode(), e.name.to_vec())))
            .collect()
    }

    #[test]
    fn modes_are_read_as_git_reads_them() {
        for (mode, canon) in [
            ("100644", 0o100_644),
            ("100664", 0o100_644),
            ("100600", 0o100_644),
            ("100755", 0o100_755),
            ("100700", 0o100_755),
            ("120755", 0o120_000),
            ("40755", 0o040_000),
            ("040000", 0o040_000),
            ("160644", 0o160_000),
            ("644", 0o160_000),
            ("0", 0o160_000),
            // 16 bits kept: 0o1100644 wraps to 0o100644.
            ("1100644", 0o100_644),
        ] {
            assert_eq!(
                parse(&entry(mode, b"n")),
                Ok(vec![(canon, b"n".to_vec())]),
                "{mode}"
            );
        }
    }

    #[test]
    fn malformed_trees_get_gits_errors() {
        let good = entry("100644", b"fine");
        let with = |bad: &[u8]| [good.clone(), bad.to_vec()].concat();
        assert_eq!(
            parse(&with(&entry("100644", b""))),
            Err(TreeError::EmptyName)
        );
        assert_eq!(
            parse(&with(&entry("10a644", b"x"))),
            Err(TreeError::MalformedMode)
        );
        assert_eq!(
            parse(&with(&entry(" 100644", b"x"))),
            Err(TreeError::MalformedMode)
        );
        assert_eq!(parse(&with(b"100644 cut\0abc")), Err(TreeError::TooShort));
        assert_eq!(parse(b"1 \0"), Err(TreeError::TooShort));
        assert_eq!(parse(b""), Ok(vec![]));
    }
}
