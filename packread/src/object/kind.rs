//! The four kinds of git objects.

use std::fmt;
use std::str::FromStr;

/// The kind of an object: what git calls its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// A commit (pack type 1).
    Commit,
    /// A tree (pack type 2).
    Tree,
    /// A blob (pack type 3).
    Blob,
    /// An annotated tag (pack type 4).
    Tag,
}

impl ObjectKind {
    /// git's name: `commit`, `tree`, `blob` or `tag`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Commit => "commit",
            ObjectKind::Tree => "tree",
            ObjectKind::Blob => "blob",
            ObjectKind::Tag => "tag",
        }
    }

    /// The kind of pack entry type 1–4.
    pub const fn from_pack_type(t: u8) -> Option<ObjectKind> {
        match t {
            1 => Some(ObjectKind::Commit),
            2 => Some(ObjectKind::Tree),
            3 => Some(ObjectKind::Blob),
            4 => Some(ObjectKind::Tag),
            _ => None,
        }
    }

    /// The kind named by git's type name.
    pub fn from_name(name: &[u8]) -> Option<ObjectKind> {
        match name {
            b"commit" => Some(ObjectKind::Commit),
            b"tree" => Some(ObjectKind::Tree),
            b"blob" => Some(ObjectKind::Blob),
            b"tag" => Some(ObjectKind::Tag),
            _ => None,
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of git's four object types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseKindError(String);

impl ParseKindError {
    /// The name that was given.
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ParseKindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid object type \"{}\"", self.0)
    }
}

impl std::error::Error for ParseKindError {}

/// Parses git's type names.
///
/// ```
/// use packread::object::ObjectKind;
/// assert_eq!("tree".parse::<ObjectKind>(), Ok(ObjectKind::Tree));
/// let err = "trees".parse::<ObjectKind>().unwrap_err();
/// assert_eq!(err.to_string(), "invalid object type \"trees\"");
/// ```
impl FromStr for ObjectKind {
    type Err = ParseKindError;
    fn from_str(s: &str) -> Result<Self, ParseKindError> {
        ObjectKind::from_name(s.as_bytes()).ok_or_else(|| ParseKindError(s.to_owned()))
    }
}
