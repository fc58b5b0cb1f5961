//! Commits and tags, parsed in place from an object's bytes as git's
//! `parse_commit_buffer` and `parse_tag_buffer` read them: the headers git
//! needs are checked, the rest is kept as it is.

use std::fmt;

use super::id::{HashKind, ObjectId};
use super::kind::ObjectKind;

/// An identity line's value: `Name <email> 1700000000 +0200`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature<'a> {
    /// The name, as written.
    pub name: &'a [u8],
    /// The email, without its angle brackets.
    pub email: &'a [u8],
    /// Seconds since the epoch (0 where the line has none git can read).
    pub time: i64,
    /// The zone, in minutes east of UTC (`+0200` is 120).
    pub zone_minutes: i32,
}

impl<'a> Signature<'a> {
    /// Parses an identity as git's `split_ident_line` does: the email is
    /// between the first `<` and the last `>`; the date follows.
    pub fn parse(line: &'a [u8]) -> Option<Signature<'a>> {
        let open = memchr::memchr(b'<', line)?;
        let close = open + memchr::memrchr(b'>', &line[open..])?;
        let name = trim_end(&line[..open]);
        let email = &line[open + 1..close];
        let rest = std::str::from_utf8(&line[close + 1..]).unwrap_or("");
        let mut parts = rest.split_ascii_whitespace();
        let time = parts.next().and_then(|t| t.parse().ok()).unwrap_or(0);
        let zone_minutes = parts
            .next()
            .and_then(|z| {
                let sign = if z.starts_with('-') { -1 } else { 1 };
                let digits: i32 = z.trim_start_matches(['+', '-']).parse().ok()?;
                Some(sign * ((digits / 100) * 60 + digits % 100))
            })
            .unwrap_or(0);
        Some(Signature {
            name,
            email,
            time,
            zone_minutes,
        })
    }
}

fn trim_end(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &b[..end]
}

/// What is wrong with a commit or tag, in git's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// A commit without `tree <id>` first (`bad tree pointer`).
    BadTree,
    /// A `parent` line that is not `parent <id>` (`bad parents`).
    BadParents,
    /// A tag without `object <id>` first (`bad object`).
    BadObject,
    /// A tag without a `type <kind>` line after its object.
    BadType,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseError::BadTree => "bad tree pointer",
            ParseError::BadParents => "bad parents",
            ParseError::BadObject => "bad object",
            ParseError::BadType => "bad tag type",
        })
    }
}

impl std::error::Error for ParseError {}

/// The headers of a commit or tag (each line up to the first empty one) and
/// its message, for readers that want to be laxer than [`Commit::parse`]
/// (git's `--format` reads what it can of any commit).
///
/// ```
/// use packread::object::commit::{header, split};
/// let (headers, message) = split(b"tree x\nauthor A <a@b> 1 +0000\n\nhi\n");
/// assert_eq!(header(headers, b"author"), Some(&b"A <a@b> 1 +0000"[..]));
/// assert_eq!(message, b"hi\n");
/// ```
pub fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memmem::find(data, b"\n\n") {
        Some(i) => (&data[..=i], &data[i + 2..]),
        None => (data, &[]),
    }
}

/// An id written in hex at the start of `text`, followed by a newline.
fn hex_id(text: &[u8], hash: HashKind) -> Option<ObjectId> {
    match ObjectId::parse_hex_prefix(text, hash)? {
        (id, [b'\n', ..]) => Some(id),
        _ => None,
    }
}

/// The value of the first header `name` among `headers` (see [`split`]).
pub fn header<'a>(headers: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    headers
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(b" "))
}

/// A commit.
///
/// ```
/// use packread::object::{HashKind, commit::Commit};
/// let data = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
/// author A U Thor <a@example.com> 1700000000 +0200\n\
/// committer C O Mitter <c@example.com> 1700000060 +0200\n\
/// \n\
/// Subject line\n\
/// continued\n\
/// \n\
/// Body\n";
/// let c = Commit::parse(data, HashKind::Sha1)?;
/// assert_eq!(c.tree, HashKind::Sha1.empty_tree());
/// assert!(c.parents.is_empty());
/// assert_eq!(c.author.unwrap().email, b"a@example.com");
/// assert_eq!(c.subject(), "Subject line continued");
/// # Ok::<(), packread::object::commit::ParseError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit<'a> {
    /// The tree.
    pub tree: ObjectId,
    /// The parents, in order.
    pub parents: Vec<ObjectId>,
    /// The author, if its line can be read.
    pub author: Option<Signature<'a>>,
    /// The committer, if its line can be read.
    pub committer: Option<Signature<'a>>,
    /// The `encoding` header.
    pub encoding: Option<&'a [u8]>,
    /// Every header line, as written (`gpgsig`, `mergetag` continuation
    /// lines included).
    pub headers: &'a [u8],
    /// The message.
    pub message: &'a [u8],
}

impl<'a> Commit<'a> {
    /// Parses a commit as git does: `tree <id>` first, then any `parent
    /// <id>` lines; the identities are read where they can be.
    pub fn parse(data: &'a [u8], hash: HashKind) -> Result<Commit<'a>, ParseError> {
        let (headers, message) = split(data);
        let rest = data.strip_prefix(b"tree ").ok_or(ParseError::BadTree)?;
        let tree = hex_id(rest, hash).ok_or(ParseError::BadTree)?;
        let mut rest = &rest[hash.hex_len() + 1..];
        let mut parents = Vec::new();
        while let Some(after) = rest.strip_prefix(b"parent ") {
            parents.push(hex_id(after, hash).ok_or(ParseError::BadParents)?);
            rest = &after[hash.hex_len() + 1..];
        }
        // The first `author`, `committer` and `encoding` lines, in one pass.
        let (mut author, mut committer, mut encoding) = (None, None, None);
        let mut lines = headers;
        while !lines.is_empty() {
            let end = memchr::memchr(b'\n', lines).unwrap_or(lines.len());
            let line = &lines[..end];
            lines = lines.get(end + 1..).unwrap_or_default();
            let (slot, name): (&mut Option<&[u8]>, &[u8]) = match line.first() {
                Some(b'a') => (&mut author, b"author "),
                Some(b'c') => (&mut committer, b"committer "),
                Some(b'e') => (&mut encoding, b"encoding "),
                _ => continue,
            };
            if slot.is_none() {
                *slot = line.strip_prefix(name);
            }
        }
        Ok(Commit {
            tree,
            parents,
            author: author.and_then(Signature::parse),
            committer: committer.and_then(Signature::parse),
            encoding,
            headers,
            message,
        })
    }

    /// git's `%s`: the message's first paragraph, its lines joined by
    /// spaces.
    pub fn subject(&self) -> String {
        subject(self.message)
    }
}

/// git's `%s` of a commit or tag message: its first paragraph, the lines
/// joined by spaces.
///
/// ```
/// use packread::object::commit::subject;
/// assert_eq!(subject(b"\nOne\ntwo  \n\nBody\n"), "One two");
/// ```
pub fn subject(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    let lines: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim_end)
        .collect();
    lines.join(" ")
}

/// An annotated tag.
///
/// ```
/// use packread::object::{HashKind, ObjectKind, commit::Tag};
/// let data = b"object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
/// type tree\n\
/// tag v1\n\
/// tagger T <t@example.com> 1700000000 +0000\n\
/// \n\
/// the message\n";
/// let t = Tag::parse(data, HashKind::Sha1)?;
/// assert_eq!((t.kind, t.name), (Some(ObjectKind::Tree), Some(&b"v1"[..])));
/// assert_eq!(t.tagger.unwrap().time, 1_700_000_000);
/// # Ok::<(), packread::object::commit::ParseError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag<'a> {
    /// The object tagged.
    pub object: ObjectId,
    /// Its kind, as the `type` header says (`None` for a name git doesn't
    /// know).
    pub kind: Option<ObjectKind>,
    /// The tag's name (`tag` header), which git requires to describe it.
    pub name: Option<&'a [u8]>,
    /// The tagger, if the tag has a readable `tagger` line.
    pub tagger: Option<Signature<'a>>,
    /// The message.
    pub message: &'a [u8],
}

impl<'a> Tag<'a> {
    /// Parses a tag as git's `parse_tag_buffer` does: `object <id>` and
    /// `type <kind>` lines first, then `tag` and `tagger` where present.
    pub fn parse(data: &'a [u8], hash: HashKind) -> Result<Tag<'a>, ParseError> {
        let (headers, message) = split(data);
        let rest = data.strip_prefix(b"object ").ok_or(ParseError::BadObject)?;
        let object = hex_id(rest, hash).ok_or(ParseError::BadObject)?;
        let rest = &rest[hash.hex_len() + 1..];
        let type_line = rest.strip_prefix(b"type ").ok_or(ParseError::BadType)?;
        let nl = memchr::memchr(b'\n', type_line).ok_or(ParseError::BadType)?;
        Ok(Tag {
            object,
            kind: ObjectKind::from_name(&type_line[..nl]),
            name: header(headers, b"tag"),
            tagger: header(headers, b"tagger").and_then(Signature::parse),
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

    #[test]
    fn commits_as_git_reads_them() {
        let data = format!(
            "tree {TREE}\nparent {TREE}\nparent {TREE}\nauthor A <a@b> 17 -0130\n\n\nsubj\n"
        );
        let c = Commit::parse(data.as_bytes(), HashKind::Sha1).unwrap();
        assert_eq!(c.parents.len(), 2);
        assert_eq!(c.author.unwrap().zone_minutes, -90);
        assert_eq!(c.committer, None);
        assert_eq!(c.subject(), "subj");
        let bad = |d: &str| Commit::parse(d.as_bytes(), HashKind::Sha1).unwrap_err();
        assert_eq!(bad("parent x\n"), ParseError::BadTree);
        assert_eq!(bad(&format!("tree {TREE}x\n")), ParseError::BadTree);
        assert_eq!(
            bad(&format!("tree {TREE}\nparent 12\n")),
            ParseError::BadParents
        );
    }

    #[test]
    fn tags_as_git_reads_them() {
        let data = format!("object {TREE}\ntype blob\n\nno name\n");
        let t = Tag::parse(data.as_bytes(), HashKind::Sha1).unwrap();
        assert_eq!(
            (t.kind, t.name, t.tagger),
            (Some(ObjectKind::Blob), None, None)
        );
        let bad = |d: &str| Tag::parse(d.as_bytes(), HashKind::Sha1).unwrap_err();
        assert_eq!(bad("type blob\n"), ParseError::BadObject);
        assert_eq!(bad(&format!("object {TREE}\ntag x\n")), ParseError::BadType);
    }

    #[test]
    fn identities_split_as_git_splits_them() {
        let s = Signature::parse(b"Name  With <Spaces> <a@b> 1700000000 +0530").unwrap();
        assert_eq!(s.name, b"Name  With");
        assert_eq!(s.email, b"Spaces> <a@b");
        assert_eq!((s.time, s.zone_minutes), (1_700_000_000, 330));
        assert_eq!(Signature::parse(b"no email"), None);
    }

    #[test]
    fn identities_and_encoding_are_the_first_lines_header_finds() {
        let bodies = [
            "author A <a@b> 1 +0000\ncommitter C <c@d> 2 +0000\nencoding latin1\n",
            // Continuation lines, lookalike names and repeats.
            "mergetag object x\n author F <f@g> 3 +0000\n committer F <f@g> 3 +0000\n\
             authors X <x@y> 4 +0000\nauthor A <a@b> 5 +0100\nauthor B <b@c> 6 +0000\n\
             committer\nencodingx y\nencoding \ncommitter C <c@d> 7 +0000\n",
            "committer C <c@d> 7 +0000\n",
            "author A <a@b> 5 +0100",
            "",
        ];
        for body in bodies {
            let data = format!("tree {TREE}\n{body}\nmessage\n");
            let c = Commit::parse(data.as_bytes(), HashKind::Sha1).unwrap();
            let (headers, _) = split(data.as_bytes());
            assert_eq!(
                c.author,
                header(headers, b"author").and_then(Signature::parse),
                "{body}"
            );
            assert_eq!(
                c.committer,
                header(headers, b"committer").and_then(Signature::parse),
                "{body}"
            );
            assert_eq!(c.encoding, header(headers, b"encoding"), "{body}");
        }
    }
}
