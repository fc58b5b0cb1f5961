//! What a command knows about where it runs: the repository's objects and
//! refs, where it stands in the work tree, and how git names the objects
//! directory in its messages. `Global::open` builds it once; commands pass
//! it down to whatever needs it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use packread::graph::CommitGraph;
use packread::history::Shallow;
use packread::mailmap::Mailmap;
use packread::object::ObjectKind;
use packread::refs::RefStore;
use packread::repository::Setup;
use packread::revision::RevisionWarning;
use packread::{Odb, Warning};

use crate::Exit;
use crate::git_words;

/// A command's view of its repository.
pub struct Context {
    /// The object database.
    pub odb: Odb,
    /// How the repository was found, and where the command stands.
    pub setup: Setup,
    /// The refs names are resolved against (none when only an objects
    /// directory was found).
    pub refs: Option<RefStore>,
    /// Where the command stands in the work tree (`dir/sub/`; empty at the
    /// top or outside a work tree), for `./` and `../` paths in revisions.
    pub prefix: Vec<u8>,
    /// Whether the command stands in a work tree (not in a bare repository
    /// or a git directory, where git refuses `./` and `../` paths).
    pub work_tree: bool,
    /// Whether names are read in batch mode, where git doesn't warn about
    /// refs named like ids (`warn_on_object_refname_ambiguity` is off).
    pub batch: bool,
    /// The objects directory, and how git names it (`.git/objects` in a
    /// work tree, `./objects` in a bare repository, the given `--git-dir`
    /// followed by `/objects`).
    objects_dir: Option<(PathBuf, String)>,
    /// The commit-graph once loaded, and git's lines about it: git loads
    /// it once, where it first parses a commit.
    graph: OnceLock<(Option<Arc<CommitGraph>>, Vec<String>)>,
    /// The shallow commits, once read.
    shallow: OnceLock<Arc<Shallow>>,
    /// Whether git would read objects through replace refs here, once
    /// found out.
    replaces_objects: OnceLock<bool>,
    /// Whether those lines were given out to be printed.
    graph_reported: AtomicBool,
}

impl Context {
    /// A context for `odb`, found by `setup`, with nothing else known.
    pub fn new(odb: Odb, setup: Setup) -> Context {
        let objects_dir = objects_dir_name(&setup, &odb);
        // The process reads one repository: its name for messages made
        // far from any context (see `shown_path`).
        crate::shown_path::remember(objects_dir.clone());
        Context {
            odb,
            setup,
            refs: None,
            prefix: Vec::new(),
            work_tree: false,
            batch: false,
            objects_dir,
            graph: OnceLock::new(),
            shallow: OnceLock::new(),
            replaces_objects: OnceLock::new(),
            graph_reported: AtomicBool::new(false),
        }
    }

    /// The pathspec of `paths` given where the command stands, or git's
    /// message for a path outside the repository.
    pub fn pathspec<S: AsRef<str>>(
        &self,
        paths: &[S],
    ) -> Result<packread::diff::Pathspec, crate::Exit> {
        let prefix = String::from_utf8_lossy(&self.prefix).into_owned();
        packread::diff::Pathspec::new(paths, &prefix).map_err(|e| {
            // git names the top of the work tree; in a bare repository, `.`
            // under the current directory.
            let top = if self.work_tree {
                self.setup.work_tree_top().display().to_string()
            } else {
                let cwd = std::env::current_dir().unwrap_or_default();
                format!("{}/.", cwd.display())
            };
            crate::Exit::Fatal(format!("{0}: '{0}' is outside repository at '{top}'", e.0))
        })
    }

    /// Refuses to answer where git would read objects through replace refs
    /// (packread reads them as stored: the answers would differ).
    /// Asked once per argument by `rev-parse`: found out once.
    pub fn refuse_replace_refs(&self) -> Result<(), Exit> {
        let replaces = if let Some(&replaces) = self.replaces_objects.get() {
            replaces
        } else {
            let replaces = match self.refs.as_ref() {
                Some(refs) => refs.replaces_objects()?,
                None => false,
            };
            *self.replaces_objects.get_or_init(|| replaces)
        };
        if replaces {
            return Err(Exit::Fatal(
                "packread does not read objects through replace refs (refs/replace/); \
                 GIT_NO_REPLACE_OBJECTS=1 reads them as stored, as git then does"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The commits git takes for parentless in a shallow repository (none
    /// outside a repository), read from its `shallow` file once (a file
    /// git can't read is an error each time asked).
    pub fn shallow(&self) -> Result<Arc<Shallow>, Exit> {
        if let Some(shallow) = self.shallow.get() {
            return Ok(Arc::clone(shallow));
        }
        let shallow = match self.refs.as_ref() {
            Some(refs) => Arc::new(Shallow::load(refs.common_dir(), self.odb.hash_kind())?),
            None => Arc::default(),
        };
        Ok(Arc::clone(self.shallow.get_or_init(|| shallow)))
    }

    /// The commit-graph git would use here (none without a git directory).
    ///
    /// What git reports while loading it is printed on stderr, as git
    /// prints it (`error:` and `warning:` lines).
    ///
    /// Loaded once: later calls give the same graph and print nothing.
    pub fn commit_graph(&self) -> Option<Arc<CommitGraph>> {
        self.load_graph();
        self.loaded_graph().0.clone()
    }

    /// Loads the commit-graph where git does, printing git's lines about
    /// it the first time (nothing after).
    pub fn load_graph(&self) {
        for line in self.graph_problem_lines() {
            eprintln!("{line}");
        }
    }

    fn loaded_graph(&self) -> &(Option<Arc<CommitGraph>>, Vec<String>) {
        self.graph.get_or_init(|| {
            let Some(refs) = self.refs.as_ref() else {
                return (None, Vec::new());
            };
            let (graph, problems) = CommitGraph::load(&self.odb, refs.git_dir());
            let lines = problems.iter().flat_map(git_words::graph_problem).collect();
            (graph.map(Arc::new), lines)
        })
    }

    /// git's lines about the commit-graph it loads, the first time they
    /// are asked for (loading it then); none after.
    fn graph_problem_lines(&self) -> Vec<String> {
        let lines = &self.loaded_graph().1;
        if lines.is_empty() || self.graph_reported.swap(true, Ordering::Relaxed) {
            return Vec::new();
        }
        lines.clone()
    }

    /// git's lines for a warning met resolving a revision (`batch`: in
    /// batch mode); where a commit was parsed, those about the
    /// commit-graph, which git loads there.
    pub fn revision_warning_lines(&self, w: &RevisionWarning, batch: bool) -> Vec<String> {
        match w {
            RevisionWarning::CommitParsed => self.graph_problem_lines(),
            other => git_words::revision_warning(other, batch),
        }
    }

    /// The mailmap git reads: the work tree's `.mailmap`, or in a bare
    /// repository the blob `HEAD:.mailmap`.
    pub fn mailmap(&self) -> Mailmap {
        let mut map = Mailmap::default();
        if self.setup.in_work_tree() {
            if let Ok(text) = std::fs::read(self.setup.work_tree_top().join(".mailmap")) {
                map.add(&text);
            }
            return map;
        }
        let Some(refs) = self.refs.as_ref() else {
            return map;
        };
        let mut reader = self.odb.reader();
        if let Ok(rev) = packread::revision::resolve(&mut reader, refs, "HEAD:.mailmap")
            && let Ok(blob) = reader.read(&rev.id)
            && blob.kind == ObjectKind::Blob
        {
            map.add(&blob.data);
        }
        map
    }

    /// The length of a full hex id in this repository.
    pub fn hex_len(&self) -> usize {
        self.odb.hash_kind().hex_len()
    }

    /// A path under the objects directory as git names it; others (packs
    /// of alternates) as they are.
    pub fn git_path(&self, path: &Path) -> String {
        crate::shown_path::named_under(self.objects_dir.as_ref(), path)
    }

    /// `text` with the objects directory's path, where it names a file in
    /// it, as git names it.
    pub fn git_paths_in(&self, text: &str) -> String {
        match &self.objects_dir {
            Some((dir, name)) => {
                let prefix = format!("{}/", dir.display());
                text.replace(&prefix, &format!("{name}/"))
            }
            None => text.to_owned(),
        }
    }

    /// Prints what git reports about the database and goes on from, as its
    /// `error()` does: control characters shown as '?'.
    pub fn report_warnings(&self, warnings: impl IntoIterator<Item = Warning>) {
        for w in warnings {
            let w = self.git_paths_in(&git_words::warning(&w));
            let shown: String = w
                .chars()
                .map(|c| {
                    if c.is_control() && c != '\t' && c != '\n' {
                        '?'
                    } else {
                        c
                    }
                })
                .collect();
            eprintln!("error: {shown}");
        }
    }
}

/// git names packs in messages by its objects directory's path as it found
/// it: that name for `odb`'s objects directory.
fn objects_dir_name(setup: &Setup, odb: &Odb) -> Option<(PathBuf, String)> {
    let dir = odb.object_dirs().into_iter().next()?;
    let name = match (setup.given_objects_dir(), setup.given_git_dir()) {
        (Some(objects), _) => objects.display().to_string(),
        (None, Some(git_dir)) => format!("{}/objects", git_dir.display()),
        (None, None) if setup.in_work_tree() => ".git/objects".to_owned(),
        (None, None) => "./objects".to_owned(),
    };
    Some((dir, name))
}
