//! Scratch repositories for the crate's documentation examples (hidden from
//! the docs: the examples' setup, written once).

use std::io;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory under the system's temporary directory, removed when
/// dropped.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Scratch {
    /// An empty directory for the example `name`.
    pub fn new(name: &str) -> io::Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("packread-doc-{name}-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    /// A repository for the example `name` with one commit of `files`
    /// (path, content; directories made as needed).
    pub fn committed(name: &str, files: &[(&str, &str)]) -> io::Result<Scratch> {
        let dir = Scratch::new(name)?;
        dir.git(&["init", "-q"])?;
        for (path, content) in files {
            if let Some(parent) = dir.join(path).parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(dir.join(path), content)?;
            dir.git(&["add", path])?;
        }
        dir.commit("c")?;
        Ok(dir)
    }

    /// Commits what is staged, as an author who needs no configuration.
    pub fn commit(&self, message: &str) -> io::Result<()> {
        commit_in(&self.0, message)
    }

    /// Runs git with `args` in the directory; an error if it fails.
    pub fn git(&self, args: &[&str]) -> io::Result<()> {
        git_in(&self.0, args)
    }
}

/// Commits what is staged in the repository at `dir`, as an author who
/// needs no configuration.
pub fn commit_in(dir: &Path, message: &str) -> io::Result<()> {
    git_in(
        dir,
        &[
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@b",
            "commit",
            "-qm",
            message,
        ],
    )
}

/// Runs git with `args` in `dir`; an error if it fails.
pub fn git_in(dir: &Path, args: &[&str]) -> io::Result<()> {
    let out = Command::new("git").args(args).current_dir(dir).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

impl Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
