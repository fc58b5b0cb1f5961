//! The `packed-refs` file: `<id> <name>` lines, each optionally followed by
//! a `^<id>` line with what an annotated tag peels to.

use std::path::Path;

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

/// The refs of a `packed-refs` file, sorted by name.
#[derive(Debug, Default)]
pub(crate) struct PackedRefs {
    pub(crate) refs: Vec<PackedRef>,
}

impl PackedRefs {
    /// Parses `data` (the content of `path`) as git's packed backend does:
    /// an optional `# pack-refs with: <traits>` header, then ref and peeled
    /// lines; anything else is an error naming the line's offset.
    pub(crate) fn parse(path: &Path, data: &[u8], hash: HashKind) -> Result<PackedRefs, Error> {
        let bad =
            |offset: usize| Error::corrupt(path, offset as u64, Corruption::BadPackedRefsLine);
        let mut refs: Vec<PackedRef> = Vec::new();
        let mut offset = 0;
        let mut first = true;
        while offset < data.len() {
            let rest = &data[offset..];
            let Some(nl) = memchr::memchr(b'\n', rest) else {
                // git: "unterminated line in packed-refs".
                return Err(bad(offset));
            };
            let line = &rest[..nl];
            let start = offset;
            offset += nl + 1;
            if std::mem::take(&mut first) && line.starts_with(b"#") {
                if !line.starts_with(b"# pack-refs with: ") {
                    return Err(bad(start));
                }
                continue;
            }
            if let Some(peeled) = line.strip_prefix(b"^") {
                let id = parse_id(peeled, hash).ok_or_else(|| bad(start))?;
                match refs.last_mut() {
                    Some(last) if last.peeled.is_none() => last.peeled = Some(id),
                    _ => return Err(bad(start)),
                }
                continue;
            }
            let parsed = ObjectId::parse_hex_prefix(line, hash).and_then(|(id, rest)| {
                let name = std::str::from_utf8(rest.strip_prefix(b" ")?).ok()?;
                Some((id, name))
            });
            match parsed {
                Some((id, name)) if is_valid_name(name, true) => refs.push(PackedRef {
                    name: name.to_owned(),
                    id,
                    peeled: None,
                }),
                _ => return Err(bad(start)),
            }
        }
        // git sorts an unsorted file when it reads it; a sorted one is kept.
        if !refs.windows(2).all(|w| w[0].name < w[1].name) {
            refs.sort_by(|a, b| a.name.cmp(&b.name));
            refs.dedup_by(|later, earlier| later.name == earlier.name);
        }
        Ok(PackedRefs { refs })
    }

    /// The ref called `name`.
    pub(crate) fn find(&self, name: &str) -> Option<&PackedRef> {
        self.refs
            .binary_search_by(|r| r.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.refs[i])
    }
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
    use super::*;

    const A: &str = "b06ba9d526bddb7bf7630fc9ccf3277c3737beaf";
    const B: &str = "40c28499592a6513ffbacb0733bc07c088eff74f";

    fn parse(text: &str) -> Result<PackedRefs, Error> {
        PackedRefs::parse(Path::new("packed-refs"), text.as_bytes(), HashKind::Sha1)
    }

    #[test]
    fn reads_what_git_pack_refs_writes() {
        let text = format!(
            "# pack-refs with: peeled fully-peeled sorted \n{A} refs/heads/master\n{B} refs/tags/v1\n^{A}\n"
        );
        let p = parse(&text).unwrap();
        assert_eq!(p.refs.len(), 2);
        let tag = p.find("refs/tags/v1").unwrap();
        assert_eq!(tag.peeled.unwrap().to_string(), A);
        assert_eq!(p.find("refs/heads/master").unwrap().peeled, None);
        assert!(p.find("refs/heads/other").is_none());
    }

    #[test]
    fn unsorted_files_are_sorted() {
        let p = parse(&format!("{A} refs/heads/z\n{B} refs/heads/a\n")).unwrap();
        assert_eq!(p.refs[0].name, "refs/heads/a");
        assert!(p.find("refs/heads/z").is_some());
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
