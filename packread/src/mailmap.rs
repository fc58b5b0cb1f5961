//! `.mailmap`: the canonical names and emails of people who committed
//! under others, read and applied as git's `mailmap.c` does.

use std::collections::HashMap;

/// The name and email to show, each where the map gives one.
#[derive(Clone, Debug, Default)]
struct Person {
    name: Option<Vec<u8>>,
    email: Option<Vec<u8>>,
}

/// Where one email (compared without regard to ASCII case) maps: a
/// default, and entries for particular names.
#[derive(Clone, Debug, Default)]
struct Entry {
    default: Person,
    /// By lowercased name.
    by_name: Vec<(Vec<u8>, Person)>,
}

/// A mailmap: lines of `.mailmap` files and blobs, added in git's order
/// (the later line for the same person wins).
///
/// ```
/// use packread::mailmap::Mailmap;
///
/// let mut map = Mailmap::default();
/// map.add(b"Proper Name <proper@example.com> <old@example.com>\n# a comment\n");
/// assert_eq!(
///     map.map(b"whoever", b"OLD@example.com"),
///     (&b"Proper Name"[..], &b"proper@example.com"[..])
/// );
/// assert_eq!(map.map(b"A", b"a@example.com"), (&b"A"[..], &b"a@example.com"[..]));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Mailmap {
    by_email: HashMap<Vec<u8>, Entry>,
}

/// `<...>` in `text`: the trimmed name before it (`None` if empty), the
/// email, and what follows (`None` if nothing), as git's
/// `parse_name_and_email`.
type Parsed<'a> = (Option<&'a [u8]>, &'a [u8], Option<&'a [u8]>);

fn name_and_email(text: &[u8], allow_empty_email: bool) -> Option<Parsed<'_>> {
    let left = memchr::memchr(b'<', text)?;
    let right = left + 1 + memchr::memchr(b'>', &text[left + 1..])?;
    if !allow_empty_email && right == left + 1 {
        return None;
    }
    let name = text[..left].trim_ascii();
    let name = (!name.is_empty()).then_some(name);
    let rest = &text[right + 1..];
    Some((
        name,
        &text[left + 1..right],
        (!rest.is_empty()).then_some(rest),
    ))
}

impl Mailmap {
    /// Whether it maps nobody.
    pub fn is_empty(&self) -> bool {
        self.by_email.is_empty()
    }

    /// Adds the lines of a `.mailmap` file or blob.
    pub fn add(&mut self, text: &[u8]) {
        for line in text.split(|&b| b == b'\n') {
            if line.first() == Some(&b'#') {
                continue;
            }
            let Some((name1, email1, rest)) = name_and_email(line, false) else {
                continue;
            };
            let (name2, email2) = match rest.and_then(|r| name_and_email(r, true)) {
                Some((n, e, _)) => (n, Some(e)),
                None => (None, None),
            };
            self.add_mapping(name1, email1, name2, email2);
        }
    }

    fn add_mapping(
        &mut self,
        new_name: Option<&[u8]>,
        new_email: &[u8],
        old_name: Option<&[u8]>,
        old_email: Option<&[u8]>,
    ) {
        let (new_email, old_email) = match old_email {
            Some(old) => (Some(new_email), old),
            None => (None, new_email),
        };
        let entry = self
            .by_email
            .entry(old_email.to_ascii_lowercase())
            .or_default();
        match old_name {
            None => {
                if let Some(n) = new_name {
                    entry.default.name = Some(n.to_vec());
                }
                if let Some(e) = new_email {
                    entry.default.email = Some(e.to_vec());
                }
            }
            Some(old) => {
                // A later line for the same person replaces the whole entry.
                let key = old.to_ascii_lowercase();
                let person = Person {
                    name: new_name.map(<[u8]>::to_vec),
                    email: new_email.map(<[u8]>::to_vec),
                };
                match entry.by_name.iter_mut().find(|e| e.0 == key) {
                    Some(e) => e.1 = person,
                    None => entry.by_name.push((key, person)),
                }
            }
        }
    }

    /// The name and email `name <email>` is shown as (itself where the
    /// map says nothing of it).
    pub fn map<'a>(&'a self, name: &'a [u8], email: &'a [u8]) -> (&'a [u8], &'a [u8]) {
        self.lookup(name, email).unwrap_or((name, email))
    }

    /// As [`map`](Self::map), `None` where the map says nothing of the
    /// person (git's `map_user` returning 0), even if what it says
    /// changes nothing.
    pub fn lookup<'a>(&'a self, name: &'a [u8], email: &'a [u8]) -> Option<(&'a [u8], &'a [u8])> {
        let entry = self.by_email.get(&email.to_ascii_lowercase())?;
        let lower = name.to_ascii_lowercase();
        let person = match entry.by_name.iter().find(|e| e.0 == lower) {
            Some((_, p)) => p,
            None => &entry.default,
        };
        if person.name.is_none() && person.email.is_none() {
            return None;
        }
        Some((
            person.name.as_deref().unwrap_or(name),
            person.email.as_deref().unwrap_or(email),
        ))
    }

    /// A commit's or tag's bytes with the people of its `author`,
    /// `committer` and `tagger` header lines mapped, as `git cat-file
    /// --use-mailmap` shows them (git's `apply_mailmap_to_header`). As in
    /// git, headers are read from the top while each such line is mapped:
    /// a line of another kind is stepped over, but one of these the map
    /// says nothing of ends the rewriting.
    ///
    /// ```
    /// use packread::mailmap::Mailmap;
    ///
    /// let mut map = Mailmap::default();
    /// map.add(b"Proper <proper@example.com> <old@example.com>\n");
    /// let commit = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
    ///     author Old  <old@example.com> 1 +0000\ncommitter Old <old@example.com> 1 +0000\n\nmsg\n";
    /// let shown = map.apply_to_header(commit);
    /// assert!(shown.ends_with(b"\n\
    ///     author Proper <proper@example.com> 1 +0000\ncommitter Proper <proper@example.com> 1 +0000\n\nmsg\n"));
    /// ```
    pub fn apply_to_header(&self, object: &[u8]) -> Vec<u8> {
        const HEADERS: [&[u8]; 3] = [b"author ", b"committer ", b"tagger "];
        let mut buf = object.to_vec();
        let mut at = 0;
        loop {
            let line = &buf[at..];
            if line.first().is_none_or(|&b| b == b'\n' || b == 0) {
                return buf;
            }
            let end_of = |from: usize, buf: &[u8]| {
                memchr::memchr2(b'\n', 0, &buf[from..]).map_or(buf.len(), |i| from + i)
            };
            let Some(h) = HEADERS.iter().find(|h| line.starts_with(h)) else {
                at = end_of(at, &buf);
                if buf.get(at) == Some(&b'\n') {
                    at += 1;
                }
                continue;
            };
            let person = at + h.len();
            let end = end_of(person, &buf);
            let Some((from, to, text)) = self.rewrite_ident(&buf[person..end]) else {
                // git stops at the end of this line: the headers after an
                // ident it didn't map are left as they are.
                return buf;
            };
            // The splice, and the step past the line git takes only after a
            // mapped one.
            let (from, to) = (person + from, person + to);
            let rest = end - to;
            let text_len = text.len();
            buf.splice(from..to, text);
            at = from + text_len + rest + 1;
            if at > buf.len() {
                return buf;
            }
        }
    }

    /// git's `rewrite_ident_line` on an ident (`Name <email> date`): the
    /// range from the name's start to past the `>`, and `name <email>` to
    /// put there; `None` if it isn't an ident or the map says nothing.
    fn rewrite_ident(&self, ident: &[u8]) -> Option<(usize, usize, Vec<u8>)> {
        let lt = memchr::memchr(b'<', ident)?;
        let gt = lt + 1 + memchr::memchr(b'>', &ident[lt + 1..])?;
        let name_end = ident[..lt]
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        let (name, email) = self.lookup(&ident[..name_end], &ident[lt + 1..gt])?;
        let mut text = name.to_vec();
        text.extend_from_slice(b" <");
        text.extend_from_slice(email);
        text.push(b'>');
        Some((0, gt + 1, text))
    }
}
