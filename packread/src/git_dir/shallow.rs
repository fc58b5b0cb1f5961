//! A shallow repository's boundary (the `shallow` file `git clone --depth`
//! and `git fetch --depth` write): the commits whose parents git ignores,
//! as if they had none.

use std::path::Path;

use crate::error::Error;
use crate::object::{HashKind, IdSet, ObjectId};

/// The commits git takes for parentless in a shallow repository.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("shallow", &[("a.txt", "a\n")])?;
/// use packread::history::Shallow;
///
/// let repo = packread::Repository::discover(&dir)?;
/// // A repository that is not shallow has none.
/// assert!(repo.shallow()?.is_empty());
/// let head = repo.rev_parse("HEAD")?;
/// std::fs::write(dir.join(".git/shallow"), format!("{head}\n"))?;
/// let shallow = Shallow::load(&dir.join(".git"), head.kind())?;
/// assert!(shallow.contains(&head));
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct Shallow {
    ids: IdSet,
}

impl Shallow {
    /// The shallow commits of the repository whose (common) git directory
    /// is `git_dir`: none without a `shallow` file. A line that doesn't
    /// start with an id is [`Error::BadShallowLine`] (git dies on it).
    pub fn load(git_dir: &Path, hash: HashKind) -> Result<Shallow, Error> {
        let path = git_dir.join("shallow");
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Shallow::default()),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut ids = IdSet::default();
        for line in text.split_inclusive(|&b| b == b'\n') {
            // git's `get_oid_hex`: an id's digits first, whatever follows.
            let id = line
                .get(..hash.hex_len())
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(ObjectId::from_hex)
                .filter(|id| id.kind() == hash);
            match id {
                Some(id) => {
                    ids.insert(id);
                }
                None => {
                    return Err(Error::BadShallowLine(
                        String::from_utf8_lossy(line).into_owned(),
                    ));
                }
            }
        }
        Ok(Shallow { ids })
    }

    /// Whether git takes `id` for parentless.
    pub fn contains(&self, id: &ObjectId) -> bool {
        self.ids.contains(id)
    }

    /// The commits, in no order.
    pub fn ids(&self) -> impl Iterator<Item = ObjectId> + '_ {
        self.ids.iter().copied()
    }

    /// Whether the repository is not shallow.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}
