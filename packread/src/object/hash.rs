//! Incremental hashing of object bytes: SHA-1 with collision detection, and
//! SHA-256.

use std::fmt;

use sha2::Digest;

use super::id::{HashKind, ObjectId};
use super::kind::ObjectKind;

impl HashKind {
    /// A new incremental hasher of this kind.
    ///
    /// ```
    /// use packread::object::HashKind;
    /// let mut h = HashKind::Sha1.hasher();
    /// h.update(b"blob 6\0hello\n");
    /// assert_eq!(h.finish().to_hex(), "ce013625030ba8dba906f756967f9e9ca394464a");
    /// ```
    pub fn hasher(self) -> Hasher {
        Hasher::new(self)
    }
}

impl ObjectId {
    /// The id of an object of `kind` with body `data`, as git computes it
    /// (the hash of `"<kind> <len>\0"` followed by the body).
    pub fn compute(hash: HashKind, kind: ObjectKind, data: &[u8]) -> ObjectId {
        Self::hasher_for(hash, kind, data).finish()
    }

    /// Like [`compute`](Self::compute), failing with [`Sha1Collision`]
    /// where SHA-1 collision detection finds the object to be part of a
    /// collision attack.
    pub fn compute_checked(
        hash: HashKind,
        kind: ObjectKind,
        data: &[u8],
    ) -> Result<ObjectId, Sha1Collision> {
        Self::hasher_for(hash, kind, data).try_finish()
    }

    /// A hasher fed with the object's header and body.
    fn hasher_for(hash: HashKind, kind: ObjectKind, data: &[u8]) -> Hasher {
        let mut h = Self::object_hasher(hash, kind, data.len() as u64);
        h.update(data);
        h
    }

    /// A hasher fed with git's header for an object of `kind` and `size`
    /// bytes, for its body to follow: hashing a body that arrives in pieces
    /// (an [`ObjectStream`](crate::ObjectStream), say) gives its id.
    pub fn object_hasher(hash: HashKind, kind: ObjectKind, size: u64) -> Hasher {
        use std::io::Write;
        // "<kind> <len>\0", without allocating: at most 6 + 1 + 20 + 1 bytes.
        let mut header = [0u8; 32];
        let mut w = &mut header[..];
        write!(w, "{} {size}\0", kind.as_str()).expect("fits in 32 bytes");
        let n = 32 - w.len();
        let mut h = hash.hasher();
        h.update(&header[..n]);
        h
    }
}

/// An incremental SHA-1 or SHA-256, made by [`HashKind::hasher`].
///
/// SHA-1 is computed with collision detection, as git's SHA-1DC does: input
/// crafted for a collision attack (the `SHAttered` PDFs, say) is reported by
/// [`try_finish`](Self::try_finish). The hash functions behind it are an
/// implementation detail.
///
/// ```
/// use packread::object::{HashKind, ObjectId, ObjectKind};
/// let mut h = ObjectId::object_hasher(HashKind::Sha1, ObjectKind::Blob, 6);
/// h.update(b"hel");
/// h.update(b"lo\n");
/// assert_eq!(h.try_finish()?.to_hex(), "ce013625030ba8dba906f756967f9e9ca394464a");
/// # Ok::<(), packread::object::Sha1Collision>(())
/// ```
#[derive(Clone)]
pub struct Hasher(Inner);

#[derive(Clone)]
enum Inner {
    Sha1(sha1dc::Hasher),
    Sha256(sha2::Sha256),
}

impl Hasher {
    pub(super) fn new(kind: HashKind) -> Hasher {
        Hasher(match kind {
            HashKind::Sha1 => Inner::Sha1(sha1dc::Hasher::new()),
            HashKind::Sha256 => Inner::Sha256(sha2::Sha256::new()),
        })
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.0 {
            Inner::Sha1(h) => h.update(bytes),
            Inner::Sha256(h) => h.update(bytes),
        }
    }

    /// The digest of everything fed so far, even if it is part of a SHA-1
    /// collision attack (see [`try_finish`](Self::try_finish)).
    pub fn finish(self) -> ObjectId {
        self.try_finish().unwrap_or_else(|c| c.digest())
    }

    /// The digest of everything fed so far, or [`Sha1Collision`] if SHA-1
    /// collision detection found the input to be part of a collision attack
    /// (git then refuses the object).
    pub fn try_finish(self) -> Result<ObjectId, Sha1Collision> {
        match self.0 {
            Inner::Sha1(h) => match h.finalize() {
                Ok(d) => Ok(ObjectId::from_bytes(HashKind::Sha1, d.as_ref())),
                Err(c) => Err(Sha1Collision(ObjectId::from_bytes(
                    HashKind::Sha1,
                    c.digest().as_ref(),
                ))),
            },
            Inner::Sha256(h) => Ok(ObjectId::from_bytes(HashKind::Sha256, &h.finalize())),
        }
    }

    /// The kind of hash this hasher computes.
    pub fn kind(&self) -> HashKind {
        match self.0 {
            Inner::Sha1(_) => HashKind::Sha1,
            Inner::Sha256(_) => HashKind::Sha256,
        }
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Hasher").field(&self.kind()).finish()
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// SHA-1 collision detection found the hashed bytes to be part of a
/// collision attack: the digest names two contents, and git refuses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sha1Collision(ObjectId);

impl Sha1Collision {
    /// The (colliding) digest that was computed.
    pub fn digest(&self) -> ObjectId {
        self.0
    }
}

impl fmt::Display for Sha1Collision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SHA-1 appears to be part of a collision attack: {}",
            self.0
        )
    }
}

impl std::error::Error for Sha1Collision {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SHA-mbles chosen-prefix collision (Leurent and Peyrin, 2020), as
    /// the `sha1dc` crate ships it with its tests: cargo unpacks it with the
    /// crate's sources into its registry.
    fn shambles(name: &str) -> Vec<u8> {
        let home = std::env::var_os("CARGO_HOME").map_or_else(
            || std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"),
            std::path::PathBuf::from,
        );
        let registry = home.join("registry").join("src");
        for index in std::fs::read_dir(&registry).expect("cargo's registry") {
            for krate in std::fs::read_dir(index.unwrap().path())
                .into_iter()
                .flatten()
            {
                let krate = krate.unwrap().path();
                let is_sha1dc = krate
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("sha1dc-"));
                if is_sha1dc && let Ok(bytes) = std::fs::read(krate.join("tests/data").join(name)) {
                    return bytes;
                }
            }
        }
        panic!("{name} not found under {}", registry.display());
    }

    #[test]
    fn sha1_collision_attacks_are_detected_as_git_does() {
        for name in ["sha-mbles-1.bin", "sha-mbles-2.bin"] {
            let mut h = HashKind::Sha1.hasher();
            h.update(&shambles(name));
            // Both files have this digest; git refuses it.
            let colliding = "8ac60ba76f1999a1ab70223f225aefdc78d4ddc0";
            assert_eq!(h.clone().finish().to_hex(), colliding);
            match h.try_finish() {
                Err(c) => assert_eq!(c.digest().to_hex(), colliding),
                other => panic!("{name}: {other:?}"),
            }
        }
        // Ordinary input passes.
        let mut h = HashKind::Sha1.hasher();
        h.update(b"hello\n");
        assert!(h.try_finish().is_ok());
    }

    #[test]
    fn empty_blob_id_matches_git() {
        let id = ObjectId::compute(HashKind::Sha1, ObjectKind::Blob, b"");
        assert_eq!(id.to_hex(), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        let id = ObjectId::compute(HashKind::Sha256, ObjectKind::Blob, b"");
        assert_eq!(
            id.to_hex(),
            "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813"
        );
    }

    #[test]
    fn built_in_empty_trees_hash_as_empty_trees() {
        for kind in [HashKind::Sha1, HashKind::Sha256] {
            let id = ObjectId::compute(kind, ObjectKind::Tree, b"");
            assert_eq!(kind.empty_tree(), id, "{kind:?}");
        }
    }
}
