//! `--batch`/`--batch-check` formats: `%(atom)` expansion as git's `expand_format`.

use std::io::{self, Write};

use packread::{ObjectId, ObjectKind};

/// One piece of a format.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(Vec<u8>),
    Name,
    Type,
    Size,
    SizeDisk,
    DeltaBase,
    Rest,
}

/// A parsed format.
#[derive(Clone, Debug)]
pub struct Format {
    pieces: Vec<Piece>,
}

/// The facts a format line may show about one object.
pub struct Facts<'a> {
    pub id: ObjectId,
    pub kind: ObjectKind,
    pub size: u64,
    pub disk_size: u64,
    pub delta_base: ObjectId,
    pub rest: &'a [u8],
}

/// git's default batch format.
pub const DEFAULT: &str = "%(objectname) %(objecttype) %(objectsize)";

impl Format {
    /// Parses `fmt`; the error is git's fatal message.
    pub fn parse(fmt: &str) -> Result<Format, String> {
        let mut pieces = Vec::new();
        let mut lit = Vec::new();
        let bytes = fmt.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b != b'%' {
                lit.push(b);
                i += 1;
                continue;
            }
            match bytes.get(i + 1) {
                Some(b'%') => {
                    lit.push(b'%');
                    i += 2;
                }
                Some(b'(') => {
                    let start = i + 1;
                    let Some(len) = bytes[start..].iter().position(|&c| c == b')') else {
                        return Err(format!(
                            "bad cat-file format: element '{}' does not end in ')'",
                            &fmt[start..]
                        ));
                    };
                    let atom = &fmt[start + 1..start + len];
                    let piece = match atom {
                        "objectname" => Piece::Name,
                        "objecttype" => Piece::Type,
                        "objectsize" => Piece::Size,
                        "objectsize:disk" => Piece::SizeDisk,
                        "deltabase" => Piece::DeltaBase,
                        "rest" => Piece::Rest,
                        _ => return Err(format!("bad cat-file format: %({atom})")),
                    };
                    if !lit.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut lit)));
                    }
                    pieces.push(piece);
                    i = start + len + 1;
                }
                _ => {
                    lit.push(b'%');
                    i += 1;
                }
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Literal(lit));
        }
        Ok(Format { pieces })
    }

    fn uses(&self, p: &Piece) -> bool {
        self.pieces.contains(p)
    }

    /// Whether input lines are split into a name and `%(rest)`.
    pub fn splits_rest(&self) -> bool {
        self.uses(&Piece::Rest)
    }

    /// Whether the format needs the object's kind or size.
    pub fn needs_header(&self) -> bool {
        self.uses(&Piece::Type) || self.uses(&Piece::Size)
    }

    /// Whether the format needs where and how the object is stored.
    pub fn needs_location(&self) -> bool {
        self.uses(&Piece::SizeDisk) || self.uses(&Piece::DeltaBase)
    }

    /// Writes the expanded format (without the delimiter).
    pub fn write(&self, out: &mut impl Write, f: &Facts<'_>) -> io::Result<()> {
        for p in &self.pieces {
            match p {
                Piece::Literal(l) => out.write_all(l)?,
                Piece::Name => write!(out, "{}", f.id)?,
                Piece::Type => out.write_all(f.kind.as_str().as_bytes())?,
                Piece::Size => write!(out, "{}", f.size)?,
                Piece::SizeDisk => write!(out, "{}", f.disk_size)?,
                Piece::DeltaBase => write!(out, "{}", f.delta_base)?,
                Piece::Rest => out.write_all(f.rest)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_git() {
        assert!(Format::parse(DEFAULT).unwrap().needs_header());
        assert_eq!(
            Format::parse("%(xyz)").unwrap_err(),
            "bad cat-file format: %(xyz)"
        );
        assert_eq!(
            Format::parse("a %(objectname").unwrap_err(),
            "bad cat-file format: element '(objectname' does not end in ')'"
        );
        let f = Format::parse("100%% %x %(rest)").unwrap();
        assert!(f.splits_rest());
        let facts = Facts {
            id: packread::HashKind::Sha1.null(),
            kind: ObjectKind::Blob,
            size: 0,
            disk_size: 0,
            delta_base: packread::HashKind::Sha1.null(),
            rest: b"r",
        };
        let mut out = Vec::new();
        f.write(&mut out, &facts).unwrap();
        assert_eq!(out, b"100% %x r");
    }
}
