//! How git names a file of the repository in its messages, for messages
//! made far from any [`Context`](crate::context::Context): paths under the
//! objects directory from git's name for it (`.git/objects/...`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The objects directory of the repository the process opened, and how
/// git names it (a process reads one repository).
static OBJECTS_DIR: OnceLock<Option<(PathBuf, String)>> = OnceLock::new();

/// Remembers the objects directory and git's name for it (the first call
/// wins).
pub fn remember(objects_dir: Option<(PathBuf, String)>) {
    let _ = OBJECTS_DIR.set(objects_dir);
}

/// `path` as git names it in messages: under the objects directory of the
/// repository this process opened, from git's name for that directory;
/// elsewhere as it is.
pub fn shown_path(path: &Path) -> String {
    named_under(OBJECTS_DIR.get().and_then(Option::as_ref), path)
}

/// `path` as git names it, given the objects directory and git's name for
/// it.
pub fn named_under(objects_dir: Option<&(PathBuf, String)>, path: &Path) -> String {
    if let Some((dir, name)) = objects_dir
        && let Ok(rest) = path.strip_prefix(dir)
    {
        return format!("{name}/{}", rest.display());
    }
    path.display().to_string()
}
