//! The `packed-refs` file: `<id> <name>` lines, each optionally followed by
//! a `^<id>` line with what an annotated tag peels to.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::{Corruption, Error};
use crate::object::{HashKind, ObjectId};

use super::name::is_valid_name;
use super::{Reference, Target};

/// One ref of `packed-refs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PackedRef {
    pub(crate) name: String,
    pub(crate) id: ObjectId,
    pub(crate) peeled: Option<ObjectId>,
}

impl PackedRef {
    /// The ref as the store hands it out.
    pub(crate) fn to_reference(&self) -> Reference {
        Reference {
            name: self.name.clone(),
            target: Target::Object {
                id: self.id,
                peeled: self.peeled,
            },
        }
    }
}

/// The bytes of a `packed-refs` file: read, or mapped where it is large.
#[derive(Debug)]
pub(crate) enum Contents {
    /// Read into memory.
    Read(Vec<u8>),
    /// Mapped (git replaces the file by a rename, never rewrites it in
    /// place, as it does packs).
    Mapped(smmap::MapRegion),
}

impl Default for Contents {
    fn default() -> Contents {
        Contents::Read(Vec::new())
    }
}

impl From<Vec<u8>> for Contents {
    fn from(data: Vec<u8>) -> Contents {
        Contents::Read(data)
    }
}

impl std::ops::Deref for Contents {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Contents::Read(data) => data,
            Contents::Mapped(region) => region.buffer(),
        }
    }
}

/// A `packed-refs` file. Where its header says the file is `sorted` (as
/// git writes it), a ref is found by a binary search over its lines, as
/// git's packed backend finds it, without reading the other lines; the
/// whole file is parsed (and sorted, if need be) only to list the refs, or
/// where it isn't sorted.
#[derive(Debug, Default)]
pub(crate) struct PackedRefs {
    path: PathBuf,
    data: Contents,
    hash: HashKind,
    /// Where the records start, past the header if there is one.
    records: usize,
    /// Whether the header says the records are sorted (git's `sorted`).
    sorted: bool,
    /// Every ref, sorted by name; or the offset of the first line git can't
    /// read.
    parsed: OnceLock<Result<Vec<PackedRef>, usize>>,
}

impl PackedRefs {
    /// The file `path` holding `data`: an optional `# pack-refs with:
    /// <traits>` header, then ref and peeled lines, the last one ended. A
    /// header git doesn't write, or an unended last line, is an error here;
    /// any other bad line is one when a lookup meets it.
    pub(crate) fn new(
        path: &Path,
        data: impl Into<Contents>,
        hash: HashKind,
    ) -> Result<PackedRefs, Error> {
        let data = data.into();
        let bad =
            |offset: usize| Error::corrupt(path, offset as u64, Corruption::BadPackedRefsLine);
        if let Some(&last) = data.last()
            && last != b'\n'
        {
            // git: "unterminated line in packed-refs".
            let start = memchr::memrchr(b'\n', &data).map_or(0, |i| i + 1);
            return Err(bad(start));
        }
        let (mut records, mut sorted) = (0, false);
        if data.starts_with(b"#") {
            let end = memchr::memchr(b'\n', &data).unwrap_or(data.len());
            let Some(traits) = data[..end].strip_prefix(b"# pack-refs with: ") else {
                return Err(bad(0));
            };
            sorted = traits.split(|&b| b == b' ').any(|t| t == b"sorted");
            records = end + 1;
        }
        Ok(PackedRefs {
            path: path.to_owned(),
            data,
            hash,
            records,
            sorted,
            parsed: OnceLock::new(),
        })
    }

    fn bad(&self, offset: usize) -> Error {
        Error::corrupt(&self.path, offset as u64, Corruption::BadPackedRefsLine)
    }

    /// Every ref, sorted by name (git sorts an unsorted file as it reads
    /// it); an error names the first line git can't read.
    pub(crate) fn refs(&self) -> Result<&[PackedRef], Error> {
        match self
            .parsed
            .get_or_init(|| parse(&self.data, self.records, self.hash))
        {
            Ok(refs) => Ok(refs),
            Err(offset) => Err(self.bad(*offset)),
        }
    }

    /// The ref called `name`.
    pub(crate) fn find(&self, name: &str) -> Result<Option<PackedRef>, Error> {
        if self.sorted && self.parsed.get().is_none() {
            match self.search(name) {
                Search::Found(r) => return Ok(Some(r)),
                Search::Absent => return Ok(None),
                Search::Unreadable => {}
            }
        }
        let refs = self.refs()?;
        Ok(refs
            .binary_search_by(|r| r.name.as_str().cmp(name))
            .ok()
            .map(|i| refs[i].clone()))
    }

    /// A binary search of the sorted records for `name`.
    fn search(&self, name: &str) -> Search {
        self.try_search(name).unwrap_or(Search::Unreadable)
    }

    /// [`search`](Self::search); `None` where it meets a line it can't
    /// read.
    fn try_search(&self, name: &str) -> Option<Search> {
        let at = self.lower_bound(name)?;
        match self.record_at(at) {
            Some(Ok(r)) if r.name == name => Some(Search::Found(r.to_packed())),
            Some(Ok(_)) | None => Some(Search::Absent),
            Some(Err(())) => None,
        }
    }

    /// The refs whose names start with `prefix`, sorted by name. A sorted
    /// file is searched for the first and read on while names match; the
    /// other lines are never read (a bad one among those read has the
    /// whole file parsed, to name it).
    pub(crate) fn under(&self, prefix: &str) -> Result<Vec<PackedRef>, Error> {
        if self.sorted
            && self.parsed.get().is_none()
            && let Some(refs) = self.try_under(prefix)
        {
            return Ok(refs);
        }
        let refs = self.refs()?;
        let first = refs.partition_point(|r| r.name.as_str() < prefix);
        Ok(refs[first..]
            .iter()
            .take_while(|r| r.name.starts_with(prefix))
            .cloned()
            .collect())
    }

    /// [`under`](Self::under) by a search; `None` where it meets a line it
    /// can't read.
    fn try_under(&self, prefix: &str) -> Option<Vec<PackedRef>> {
        let mut at = self.lower_bound(prefix)?;
        let mut refs = Vec::new();
        while let Some(record) = self.record_at(at) {
            let r = record.ok()?;
            if !r.name.starts_with(prefix) {
                break;
            }
            refs.push(r.to_packed());
            at = r.end;
        }
        Some(refs)
    }

    /// Where the first record of the sorted records whose name is not less
    /// than `name` starts (the end of the data if none); `None` where the
    /// binary search meets a line it can't read.
    fn lower_bound(&self, name: &str) -> Option<usize> {
        let data = &self.data;
        let (mut lo, mut hi) = (self.records, data.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            // The record around `mid`: its ref line, and a peeled line after.
            let mut start = memchr::memrchr(b'\n', &data[lo..mid]).map_or(lo, |i| lo + i + 1);
            if data[start] == b'^' {
                if start == lo {
                    return None;
                }
                start = memchr::memrchr(b'\n', &data[lo..start - 1]).map_or(lo, |i| lo + i + 1);
            }
            let r = self.record_at(start)?.ok()?;
            if r.name < name {
                lo = r.end;
            } else {
                hi = start;
            }
        }
        Some(lo)
    }

    /// The record (a ref line and its peeled line, if any) starting at
    /// `start`, and where the next one starts; `None` at the end of the
    /// data, `Err` for a line git can't read.
    fn record_at(&self, start: usize) -> Option<Result<Record<'_>, ()>> {
        let data = &self.data;
        if start >= data.len() {
            return None;
        }
        Some((|| {
            let line_end = start + memchr::memchr(b'\n', &data[start..]).ok_or(())?;
            let (id, name) = parse_ref_line(&data[start..line_end], self.hash).ok_or(())?;
            let mut end = line_end + 1;
            let mut peeled = None;
            if data.get(end) == Some(&b'^') {
                let peel_end = end + memchr::memchr(b'\n', &data[end..]).ok_or(())?;
                peeled = Some(parse_id(&data[end + 1..peel_end], self.hash).ok_or(())?);
                end = peel_end + 1;
            }
            Ok(Record {
                name,
                id,
                peeled,
                end,
            })
        })())
    }
}

/// A record of the file, borrowed from it, and where the next one starts.
struct Record<'a> {
    name: &'a str,
    id: ObjectId,
    peeled: Option<ObjectId>,
    end: usize,
}

impl Record<'_> {
    fn to_packed(&self) -> PackedRef {
        PackedRef {
            name: self.name.to_owned(),
            id: self.id,
            peeled: self.peeled,
        }
    }
}

/// What a binary search of a sorted file found.
enum Search {
    Found(PackedRef),
    Absent,
    /// A line on the way that git can't read (the whole file is parsed to
    /// name it).
    Unreadable,
}

/// A `<id> <name>` line, its name one git allows.
fn parse_ref_line(line: &[u8], hash: HashKind) -> Option<(ObjectId, &str)> {
    let (id, rest) = ObjectId::parse_hex_prefix(line, hash)?;
    let name = std::str::from_utf8(rest.strip_prefix(b" ")?).ok()?;
    is_valid_name(name, true).then_some((id, name))
}

/// Every ref of the records of `data` from `offset` (past the header, which
/// [`PackedRefs::new`] checked), as git's packed backend reads them: ref and
/// peeled lines, sorted by name; or the offset of the first line it can't
/// read.
fn parse(data: &[u8], mut offset: usize, hash: HashKind) -> Result<Vec<PackedRef>, usize> {
    let mut refs: Vec<PackedRef> = Vec::new();
    while offset < data.len() {
        let rest = &data[offset..];
        let Some(nl) = memchr::memchr(b'\n', rest) else {
            // git: "unterminated line in packed-refs".
            return Err(offset);
        };
        let line = &rest[..nl];
        let start = offset;
        offset += nl + 1;
        if let Some(peeled) = line.strip_prefix(b"^") {
            let id = parse_id(peeled, hash).ok_or(start)?;
            match refs.last_mut() {
                Some(last) if last.peeled.is_none() => last.peeled = Some(id),
                _ => return Err(start),
            }
            continue;
        }
        let (id, name) = parse_ref_line(line, hash).ok_or(start)?;
        refs.push(PackedRef {
            name: name.to_owned(),
            id,
            peeled: None,
        });
    }
    // git sorts an unsorted file when it reads it; a sorted one is kept.
    if !refs.windows(2).all(|w| w[0].name < w[1].name) {
        refs.sort_by(|a, b| a.name.cmp(&b.name));
        refs.dedup_by(|later, earlier| later.name == earlier.name);
    }
    Ok(refs)
}

/// An id that is the whole of `hex`.
fn parse_id(hex: &[u8], hash: HashKind) -> Option<ObjectId> {
    match ObjectId::parse_hex_prefix(hex, hash)? {
        (id, []) => Some(id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    const A: &str = "b06ba9d526bddb7bf7630fc9ccf3277c3737beaf";
    const B: &str = "40c28499592a6513ffbacb0733bc07c088eff74f";

    fn parse(text: &str) -> Result<PackedRefs, Error> {
        let p = PackedRefs::new(
            Path::new("packed-refs"),
            text.as_bytes().to_vec(),
            HashKind::Sha1,
        )?;
        p.refs()?;
        Ok(p)
    }

    #[test]
    fn reads_what_git_pack_refs_writes() {
        let text = format!(
            "# pack-refs with: peeled fully-peeled sorted \n{A} refs/heads/master\n{B} refs/tags/v1\n^{A}\n"
        );
        let p = parse(&text).unwrap();
        assert_eq!(p.refs().unwrap().len(), 2);
        let tag = p.find("refs/tags/v1").unwrap().unwrap();
        assert_eq!(tag.peeled.unwrap().to_string(), A);
        assert_eq!(p.find("refs/heads/master").unwrap().unwrap().peeled, None);
        assert!(p.find("refs/heads/other").unwrap().is_none());
    }

    /// Every ref of a sorted file is found by the binary search, with its
    /// peeled id, as the whole file's parse finds it; a name between two
    /// refs is absent; a bad line stops only the searches that meet it.
    #[test]
    fn sorted_files_are_searched() {
        let mut text = String::from("# pack-refs with: peeled fully-peeled sorted \n");
        let names: Vec<String> = (0..300).map(|i| format!("refs/tags/v{i:04}")).collect();
        for (i, name) in names.iter().enumerate() {
            writeln!(text, "{A} {name}").unwrap();
            if i % 3 == 0 {
                writeln!(text, "^{B}").unwrap();
            }
        }
        let p = PackedRefs::new(
            Path::new("packed-refs"),
            text.clone().into_bytes(),
            HashKind::Sha1,
        )
        .unwrap();
        for name in &names {
            let Search::Found(r) = p.search(name) else {
                panic!("{name} not found");
            };
            assert_eq!(r.name, *name);
        }
        assert!(matches!(p.search("refs/tags/v0001x"), Search::Absent));
        assert!(matches!(p.search("refs/heads/a"), Search::Absent));
        let all = p.refs().unwrap();
        for r in all {
            let fresh = PackedRefs::new(Path::new("p"), text.clone().into_bytes(), HashKind::Sha1);
            assert_eq!(fresh.unwrap().find(&r.name).unwrap().as_ref(), Some(r));
        }
        // A bad line near the end: the first refs are still found, the
        // whole file's parse names the line.
        let bad = text.replace("refs/tags/v0290", "refs/tags/v0290..x");
        let p = PackedRefs::new(Path::new("p"), bad.into_bytes(), HashKind::Sha1).unwrap();
        assert!(p.find("refs/tags/v0000").unwrap().is_some());
        assert!(matches!(p.refs(), Err(Error::Corrupt { .. })));
    }

    /// The refs under a prefix, found by a search of a sorted file, are
    /// those of the whole file's parse; a bad line outside the prefix's
    /// part is never read, one inside has the whole file parsed.
    #[test]
    fn refs_under_a_prefix_are_searched() {
        let mut text = String::from("# pack-refs with: peeled fully-peeled sorted \n");
        for (i, dir) in ["heads", "remotes/origin", "replace", "tags"]
            .iter()
            .enumerate()
        {
            for j in 0..40 {
                writeln!(text, "{A} refs/{dir}/r{j:02}").unwrap();
                if (i + j) % 4 == 0 {
                    writeln!(text, "^{B}").unwrap();
                }
            }
        }
        let parsed = parse(&text).unwrap();
        for prefix in [
            "refs/",
            "refs/heads/",
            "refs/replace/",
            "refs/tags/r1",
            "refs/tags/",
            "refs/zz/",
            "a",
        ] {
            let fresh =
                PackedRefs::new(Path::new("p"), text.clone().into_bytes(), HashKind::Sha1).unwrap();
            let searched = fresh.under(prefix).unwrap();
            assert!(
                fresh.parsed.get().is_none(),
                "{prefix}: searched, not parsed"
            );
            assert_eq!(searched, parsed.under(prefix).unwrap(), "{prefix}");
            let want = parsed
                .refs()
                .unwrap()
                .iter()
                .filter(|r| r.name.starts_with(prefix))
                .count();
            assert_eq!(searched.len(), want, "{prefix}");
        }
        let bad = text.replace("refs/tags/r30", "refs/tags/r30..x");
        let p = PackedRefs::new(Path::new("p"), bad.clone().into_bytes(), HashKind::Sha1).unwrap();
        assert_eq!(p.under("refs/replace/").unwrap().len(), 40);
        let p = PackedRefs::new(Path::new("p"), bad.into_bytes(), HashKind::Sha1).unwrap();
        assert!(matches!(p.under("refs/tags/"), Err(Error::Corrupt { .. })));
    }

    #[test]
    fn unsorted_files_are_sorted() {
        let p = parse(&format!("{A} refs/heads/z\n{B} refs/heads/a\n")).unwrap();
        assert_eq!(p.refs().unwrap()[0].name, "refs/heads/a");
        assert!(p.find("refs/heads/z").unwrap().is_some());
    }

    #[test]
    fn bad_lines_name_their_offset() {
        let offset = |text: &str| match parse(text) {
            Err(Error::Corrupt { offset, reason, .. }) => {
                assert_eq!(reason, Corruption::BadPackedRefsLine);
                offset
            }
            other => panic!("{other:?}"),
        };
        let first = format!("{A} refs/heads/a\n");
        let at = first.len() as u64;
        assert_eq!(offset(&format!("{first}{A}refs/heads/b\n")), at);
        assert_eq!(offset(&format!("{first}{A} refs/heads/a..b\n")), at);
        assert_eq!(offset(&format!("{first}^{B}\n^{B}\n")), at + 42);
        assert_eq!(offset(&format!("{first}{A} refs/heads/b")), at);
        assert_eq!(offset("# something else\n"), 0);
        assert_eq!(offset(&format!("^{A}\n")), 0);
    }
}
