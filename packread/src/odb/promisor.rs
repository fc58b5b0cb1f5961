//! Partial clones: a repository's promisor remotes, and git's lazy fetch
//! of an object they promised (git's `promisor-remote.c`). git is the
//! transport: the object is fetched by the child `git fetch` git runs for
//! it, never by a protocol of packread's own.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::Error;
use crate::git_dir::config::{entries, parse_bool};
use crate::object::{ObjectId, ObjectKind, tree};

use super::Odb;

/// The promisor remotes of a repository, in the order git asks them:
/// the remotes with `remote.<name>.promisor` set, in config order, then
/// the one `extensions.partialClone` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Promisors {
    git_dir: PathBuf,
    remotes: Vec<String>,
    /// `promisor.quiet`: the fetch runs with `--quiet`.
    quiet: bool,
}

impl Promisors {
    /// The promisor remotes of the repository whose git directory is
    /// `git_dir`, from its `config`; `None` if it has none.
    pub(crate) fn read(git_dir: &Path) -> Option<Promisors> {
        let text = std::fs::read_to_string(git_dir.join("config")).ok()?;
        let mut remotes: Vec<String> = Vec::new();
        let mut partial_clone = None;
        let mut quiet = false;
        for e in entries(&text) {
            let truth = parse_bool(&e.value).unwrap_or(false);
            match (e.section.as_str(), &e.subsection, e.key.as_str()) {
                ("remote", Some(name), "promisor") => {
                    remotes.retain(|r| r != name);
                    if truth {
                        remotes.push(name.clone());
                    }
                }
                ("extensions", None, "partialclone") => partial_clone = Some(e.value.clone()),
                ("promisor", None, "quiet") => quiet = truth,
                _ => {}
            }
        }
        if let Some(name) = partial_clone {
            remotes.retain(|r| *r != name);
            remotes.push(name);
        }
        (!remotes.is_empty()).then(|| Promisors {
            git_dir: git_dir.to_owned(),
            remotes,
            quiet,
        })
    }

    /// git's `fetch_objects` for `id`, remote after remote until a fetch
    /// succeeds: the child `git fetch` writes to our stderr as git's does.
    /// Whether one succeeded.
    pub(crate) fn fetch(&self, id: &ObjectId) -> bool {
        self.remotes
            .iter()
            .any(|remote| self.fetch_from(remote, id))
    }

    fn fetch_from(&self, remote: &str, id: &ObjectId) -> bool {
        let mut cmd = Command::new("git");
        cmd.arg("--git-dir")
            .arg(&self.git_dir)
            .args(["-c", "fetch.negotiationAlgorithm=noop", "fetch", remote])
            .args([
                "--no-tags",
                "--no-write-fetch-head",
                "--recurse-submodules=no",
            ])
            .args(["--filter=blob:none", "--stdin"])
            .stdin(Stdio::piped());
        if self.quiet {
            cmd.arg("--quiet");
        }
        let Ok(mut child) = cmd.spawn() else {
            return false;
        };
        if let Some(mut stdin) = child.stdin.take() {
            let _ = writeln!(stdin, "{id}");
        }
        child.wait().is_ok_and(|s| s.success())
    }
}

/// Whether git's lazy fetch is off in this environment (`GIT_NO_LAZY_FETCH`,
/// which `git --no-lazy-fetch` sets).
pub(crate) fn disabled_by_environment() -> bool {
    std::env::var("GIT_NO_LAZY_FETCH")
        .ok()
        .and_then(|v| parse_bool(&v))
        .unwrap_or(false)
}

impl Odb {
    /// git's `is_promisor_object` set: the objects of the promisor packs
    /// (those with a `.promisor` file) and every object they refer to —
    /// what a partial clone may lack by design. Empty, as git has it, for
    /// a repository with no promisor remote configured (a snapshot of a
    /// partial clone, say).
    ///
    /// # Errors
    /// A promisor pack that can't be read.
    pub fn promisor_objects(&self) -> Result<HashSet<ObjectId>, Error> {
        let mut set = HashSet::new();
        if self.promisors().is_none() {
            return Ok(set);
        }
        for pack in self.pack_ids() {
            let path = self.pack(pack).data_path().with_extension("promisor");
            if !path.exists() {
                continue;
            }
            self.for_each_in_pack_order(pack, 1, |o| {
                set.insert(*o.id);
                referred(o.kind, o.data, o.id.kind(), &mut set);
                true
            })?;
        }
        Ok(set)
    }
}

/// The objects an object refers to (git's `add_promisor_object`).
fn referred(
    kind: ObjectKind,
    data: &[u8],
    hash: crate::object::HashKind,
    set: &mut HashSet<ObjectId>,
) {
    match kind {
        ObjectKind::Tree => {
            for e in tree::entries(data, hash).map_while(Result::ok) {
                set.insert(e.id);
            }
        }
        ObjectKind::Commit => {
            if let Ok(c) = crate::object::commit::Commit::parse(data, hash) {
                set.insert(c.tree);
                set.extend(c.parents);
            }
        }
        ObjectKind::Tag => {
            if let Ok(t) = crate::object::commit::Tag::parse(data, hash) {
                set.insert(t.object);
            }
        }
        ObjectKind::Blob => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promisor_remotes_in_gits_order() {
        let dir = std::env::temp_dir().join(format!("packread-promisors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("config"),
            "[extensions]\n\tpartialClone = origin\n[remote \"origin\"]\n\tpromisor = true\n\
             [remote \"b\"]\n\tpromisor = yes\n[remote \"c\"]\n\tpromisor = false\n[promisor]\n\tquiet\n",
        )
        .unwrap();
        let p = Promisors::read(&dir).unwrap();
        assert_eq!(p.remotes, ["b", "origin"]);
        assert!(p.quiet);
        std::fs::write(dir.join("config"), "[core]\n\tbare = true\n").unwrap();
        assert_eq!(Promisors::read(&dir), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
