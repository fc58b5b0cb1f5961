//! Objects themselves, apart from where they are stored: their kinds, their
//! ids and abbreviations, the hashing that makes ids, and the parsing of
//! their content.
//!
//! ```
//! use packread::object::{HashKind, ObjectId, ObjectKind, Prefix};
//! let id = ObjectId::compute(HashKind::Sha1, ObjectKind::Blob, b"hello\n");
//! assert_eq!(id.to_string(), "ce013625030ba8dba906f756967f9e9ca394464a");
//! assert!(Prefix::from_hex("ce0136").unwrap().matches(&id));
//! ```

pub mod commit;
mod hash;
mod id;
mod kind;
pub mod tree;

pub use hash::{Hasher, Sha1Collision};
pub use id::{HashKind, ObjectId, Prefix};
pub(crate) use id::{IdMap, IdSet, cmp_digests};
pub use kind::{ObjectKind, ParseKindError};
