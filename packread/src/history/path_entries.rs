//! What a tree holds at each literal path of a pathspec, remembered tree by
//! tree: a path-limited walk compares every commit's tree with its
//! parent's for the paths, and the entries found there decide it without
//! a diff from the top. Each tree is looked through once, up to where the
//! path's name would be, however many commits share it (the subtrees on
//! the way are shared by most). Files decide by their ids and modes;
//! directories of other ids are compared whole (everything under them is
//! selected), which stops at their first difference.

use std::ops::ControlFlow;

use crate::diff::{Pathspec, Side, TreeCache, TreeDiffOptions, diff_trees_cached, read_tree};
use crate::error::Error;
use crate::generations::Generations;
use crate::object::ObjectId;
use crate::object::tree;
use crate::odb::Reader;

/// How many lookups of one step each generation of the memory holds (two
/// generations: about 1.3 MiB at most for a step). A tree is looked up
/// again soon or not at all (a commit's, then as its child's parent's; a
/// subtree, by the commits that share it, one after another): 32,768 a
/// generation took 10 MiB and no less time.
const GENERATION: usize = 1 << 12;

/// What a tree has at one name, or a path at its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// No entry of that name.
    Nothing,
    /// One entry (its canonical mode and id).
    Entry(Side),
    /// More than one, or a damaged entry before it (a damaged tree): only
    /// a diff says what git sees.
    Several,
}

impl Found {
    /// The entry, if there is one.
    fn entry(self) -> Option<Side> {
        match self {
            Found::Entry(side) => Some(side),
            Found::Nothing | Found::Several => None,
        }
    }
}

/// One name looked up in the trees found at one place (the path's
/// directories so far): the answers for recent trees, [`GENERATION`] of
/// them a generation.
struct Step {
    name: Vec<u8>,
    found: Generations<ObjectId, Found>,
}

impl Step {
    fn remembered(&mut self, tree: &ObjectId) -> Option<Found> {
        self.found.get(tree, drop).copied()
    }

    fn remember(&mut self, tree: ObjectId, f: Found) {
        self.found.insert(tree, f, 1, drop);
    }
}

/// One literal path: the steps its names are looked up by.
struct Path {
    steps: Vec<usize>,
    /// A path given with a trailing `/` selects directories only.
    dir_only: bool,
}

/// How the paths compare between two trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing under the paths differs: the same entries, or directories
    /// of other ids with the same files (an empty directory, a mode
    /// written unusually).
    Same,
    /// A file at a path differs (in id or mode, or is only on one side),
    /// or one under a directory at a path.
    Different,
    /// A tree on the way is damaged (or a directory-only path meets a
    /// submodule): the diff from the top decides.
    Undecided,
}

/// The entries at a pathspec's literal paths, tree by tree.
pub(crate) struct PathEntries {
    paths: Vec<Path>,
    steps: Vec<Step>,
    /// A buffer for the next tree read.
    spare: Vec<u8>,
    /// A recursive diff of everything.
    everything: TreeDiffOptions,
    /// Whether directories were compared whole.
    compared_directories: bool,
}

impl PathEntries {
    /// Lookups for `spec`'s paths, if they are all literal (no globs).
    pub(crate) fn new(spec: &Pathspec) -> Option<PathEntries> {
        let items = spec.literal_items()?;
        let mut steps: Vec<Step> = Vec::new();
        // A step per distinct directory prefix and name: paths that share
        // their leading directories share those lookups.
        let mut prefixes: Vec<Vec<u8>> = Vec::new();
        let mut paths = Vec::with_capacity(items.len());
        for (path, dir_only) in items {
            let mut at = Vec::new();
            let mut end = 0;
            for name in path.split(|&b| b == b'/') {
                end += name.len();
                let prefix = &path[..end];
                end += 1;
                let step = prefixes
                    .iter()
                    .position(|p| p == prefix)
                    .unwrap_or_else(|| {
                        prefixes.push(prefix.to_vec());
                        steps.push(Step {
                            name: name.to_vec(),
                            found: Generations::new(GENERATION),
                        });
                        steps.len() - 1
                    });
                at.push(step);
            }
            paths.push(Path {
                steps: at,
                dir_only,
            });
        }
        Some(PathEntries {
            paths,
            steps,
            spare: Vec::new(),
            everything: TreeDiffOptions {
                recursive: true,
                ..TreeDiffOptions::default()
            },
            compared_directories: false,
        })
    }

    /// How the paths compare between the trees `old` (`None`: the empty
    /// tree) and `new`. Directories found at the paths on both sides (or
    /// on one) that differ are compared whole, their trees kept in
    /// `trees`.
    pub(crate) fn compare(
        &mut self,
        reader: &mut Reader,
        trees: &mut TreeCache,
        old: Option<&ObjectId>,
        new: &ObjectId,
        known: [Option<&[Found]>; 2],
    ) -> Result<Verdict, Error> {
        let mut directories = Vec::new();
        let mut files_differ = false;
        for p in 0..self.paths.len() {
            let a = match (old, known[0]) {
                (Some(_), Some(k)) => k[p],
                (Some(old), None) => self.reach(reader, old, p)?,
                (None, _) => Found::Nothing,
            };
            let b = match known[1] {
                Some(k) => k[p],
                None => self.reach(reader, new, p)?,
            };
            if a == Found::Several || b == Found::Several {
                return Ok(Verdict::Undecided);
            }
            let (a, b) = (a.entry(), b.entry());
            if a == b {
                continue;
            }
            let dir_only = self.paths[p].dir_only;
            if dir_only && [a, b].iter().flatten().any(Side::is_gitlink) {
                // A directory-only path selects a submodule too.
                return Ok(Verdict::Undecided);
            }
            let is_file = |s: &Option<Side>| s.is_some_and(|s| !s.is_tree());
            // A file is reported as changed, deleted or added; for a
            // directory-only path it is not selected, and what is under the
            // directory side decides.
            // (Each path is looked up all the same: a damaged tree on the
            // way to another leaves the answer to the diff.)
            if (is_file(&a) || is_file(&b)) && !dir_only {
                files_differ = true;
                continue;
            }
            let tree = |s: Option<Side>| s.filter(Side::is_tree).map(|s| s.id);
            let (a, b) = (tree(a), tree(b));
            if a != b {
                directories.push((a, b));
            }
        }
        if files_differ {
            return Ok(Verdict::Different);
        }
        // Everything under a directory a path names is selected.
        for (a, b) in directories {
            self.compared_directories = true;
            let mut changed = false;
            let _: ControlFlow<()> = diff_trees_cached(
                reader,
                trees,
                a.as_ref(),
                b.as_ref(),
                &self.everything,
                &mut |_| {
                    changed = true;
                    ControlFlow::Break(())
                },
            )?;
            if changed {
                return Ok(Verdict::Different);
            }
        }
        Ok(Verdict::Same)
    }

    /// Whether [`compare`](Self::compare) has compared directories whole
    /// (read trees beyond those on the way to the paths).
    pub(crate) fn compared_directories(&self) -> bool {
        self.compared_directories
    }

    /// What `root` has at each path, in order.
    pub(crate) fn reach_all(
        &mut self,
        reader: &mut Reader,
        root: &ObjectId,
    ) -> Result<std::sync::Arc<[Found]>, Error> {
        (0..self.paths.len())
            .map(|p| self.reach(reader, root, p))
            .collect()
    }

    /// What `root` has at path `p`.
    fn reach(&mut self, reader: &mut Reader, root: &ObjectId, p: usize) -> Result<Found, Error> {
        let mut tree = *root;
        let last = self.paths[p].steps.len() - 1;
        for i in 0..=last {
            let s = self.paths[p].steps[i];
            let found = if let Some(f) = self.steps[s].remembered(&tree) {
                f
            } else {
                let f = self.look_up(reader, &tree, s)?;
                self.steps[s].remember(tree, f);
                f
            };
            match found {
                Found::Several => return Ok(Found::Several),
                Found::Entry(_) if i == last => return Ok(found),
                // Only a directory leads further (git enters no submodule).
                Found::Entry(side) if side.is_tree() => tree = side.id,
                Found::Nothing | Found::Entry(_) => return Ok(Found::Nothing),
            }
        }
        Ok(Found::Nothing)
    }

    /// Reads `tree` and finds the entry named as step `s` says, looking
    /// no further than where such a name sorts.
    fn look_up(&mut self, reader: &mut Reader, tree: &ObjectId, s: usize) -> Result<Found, Error> {
        let data = read_tree(reader, tree, std::mem::take(&mut self.spare))?;
        let name = self.steps[s].name.as_slice();
        let mut found = Found::Nothing;
        let mut entries = tree::entries(&data, tree.kind());
        entries.skip_below(name.first().copied().unwrap_or(0));
        for entry in entries {
            let Ok(entry) = entry else {
                // git's diff meets the damage (or stops before it).
                found = Found::Several;
                break;
            };
            let n = name.len().min(entry.name.len());
            if entry.name[..n] > name[..n] {
                break;
            }
            if entry.name == name {
                found = match found {
                    Found::Nothing => Found::Entry(Side {
                        mode: entry.canonical_mode(),
                        id: entry.id,
                    }),
                    _ => Found::Several,
                };
            }
        }
        if let Ok(buf) = std::sync::Arc::try_unwrap(data) {
            self.spare = buf;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::TreeDiffOptions;
    use crate::doctest::Scratch;
    use crate::{ObjectKind, Odb};
    use std::ops::ControlFlow;

    /// A tree of `entries` (mode, name, id), written as given (in git's
    /// order, or not).
    fn tree(odb: &Odb, entries: &[(&str, &str, ObjectId)]) -> ObjectId {
        let mut data = Vec::new();
        for (mode, name, id) in entries {
            data.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            data.extend_from_slice(id.as_bytes());
        }
        odb.write_object(ObjectKind::Tree, &data).unwrap()
    }

    /// A scratch database with root trees of files and directories that
    /// change every way: ids, modes (some written unusually), files that
    /// become directories, an empty directory, a gitlink, a damaged tree.
    fn trees(name: &str) -> (Scratch, Odb, Vec<ObjectId>) {
        let dir = Scratch::new(name).unwrap();
        dir.git(&["init", "-q"]).unwrap();
        let odb = Odb::open(&*dir).unwrap();
        let blob = |s: &str| odb.write_object(ObjectKind::Blob, s.as_bytes()).unwrap();
        let (b1, b2) = (blob("one\n"), blob("two\n"));
        let empty = tree(&odb, &[]);
        let s1 = tree(&odb, &[("100644", "f", b1)]);
        let s2 = tree(&odb, &[("100644", "f", b2)]);
        let s1_odd_mode = tree(&odb, &[("100664", "f", b1)]);
        let s1_empty_dir = tree(&odb, &[("40000", "e", empty), ("100644", "f", b1)]);
        let commit = blob("a commit id, for a gitlink\n");
        let roots = vec![
            tree(
                &odb,
                &[("100644", "a", b1), ("40000", "d", s1), ("100644", "t", b1)],
            ),
            tree(
                &odb,
                &[("100644", "a", b2), ("40000", "d", s2), ("40000", "t", s1)],
            ),
            tree(&odb, &[("100755", "a", b1), ("40000", "d", s1_odd_mode)]),
            tree(
                &odb,
                &[
                    ("100664", "a", b1),
                    ("40000", "d", s1_empty_dir),
                    ("160000", "sub", commit),
                ],
            ),
            tree(&odb, &[("100644", "a", b1), ("100644", "a", b2)]),
            tree(
                &odb,
                &[
                    ("100644", "a", b1),
                    ("100644", "d", b1),
                    ("100644", "d.c", b2),
                ],
            ),
            tree(&odb, &[("40000", "d", s2), ("100644", "a", b1)]),
            tree(&odb, &[("160000", "sub", b1), ("40000", "t", s2)]),
            empty,
        ];
        (dir, odb, roots)
    }

    /// Every verdict the entries give is the diff's answer: the same where
    /// the diff from the top finds no change under the paths, different
    /// where it finds one, for paths of files, directories (some differing
    /// in id alone: a mode written unusually, an empty directory), files
    /// that become directories, submodules and directory-only paths.
    /// Damaged trees are left to the diff.
    #[test]
    fn verdicts_agree_with_the_diff() {
        let (_dir, odb, roots) = trees("path-entries");
        let specs: &[&[&str]] = &[
            &["a"],
            &["d"],
            &["d/f"],
            &["d/"],
            &["d/e"],
            &["t"],
            &["t/f"],
            &["t/"],
            &["sub"],
            &["sub/"],
            &["sub/x"],
            &["x"],
            &["a", "d/f"],
            &["d/f", "t/f"],
        ];
        let mut reader = odb.reader();
        let mut trees = TreeCache::new(1 << 20);
        let mut decided = [0; 3];
        for spec in specs {
            let pathspec = Pathspec::new(spec.iter(), "").unwrap();
            let options = TreeDiffOptions {
                recursive: true,
                show_trees: false,
                pathspec: pathspec.clone(),
            };
            let mut entries = PathEntries::new(&pathspec).unwrap();
            let olds = roots.iter().map(Some).chain([None]);
            for old in olds {
                for new in &roots {
                    let mut changed = false;
                    let diff =
                        crate::diff::diff_trees(&mut reader, old, Some(new), &options, &mut |_| {
                            changed = true;
                            ControlFlow::Break(())
                        });
                    let verdict = entries.compare(&mut reader, &mut trees, old, new, [None, None]);
                    let (Ok(_), Ok(verdict)) = (diff, verdict) else {
                        continue;
                    };
                    let case = format!("{spec:?} {old:?} -> {new}");
                    match verdict {
                        Verdict::Same => assert!(!changed, "{case}"),
                        Verdict::Different => assert!(changed, "{case}"),
                        Verdict::Undecided => {}
                    }
                    decided[verdict as usize] += 1;
                }
            }
        }
        // Each answer is given, and most pairs are decided without a diff.
        let [same, different, undecided] = decided;
        assert!(same > 0 && different > 0 && undecided > 0, "{decided:?}");
        assert!(undecided * 8 < same + different, "{decided:?}");
        // The lookups of a path's directories are shared between paths.
        let two = PathEntries::new(&Pathspec::new(["d/f", "d/g", "a"], "").unwrap()).unwrap();
        assert_eq!(two.steps.len(), 4);
    }

    /// The verdicts of particular paths and pairs of trees.
    #[test]
    fn files_decide_and_directories_are_left_to_the_diff() {
        let (_dir, odb, roots) = trees("path-entries-verdicts");
        let mut reader = odb.reader();
        let mut trees = TreeCache::new(1 << 20);
        let mut verdict = |spec: &str, old: usize, new: usize| {
            let mut entries = PathEntries::new(&Pathspec::new([spec], "").unwrap()).unwrap();
            entries
                .compare(
                    &mut reader,
                    &mut trees,
                    Some(&roots[old]),
                    &roots[new],
                    [None, None],
                )
                .unwrap()
        };
        // A mode written unusually is the mode git reads.
        assert_eq!(verdict("a", 0, 3), Verdict::Same);
        assert_eq!(verdict("a", 0, 2), Verdict::Different);
        assert_eq!(verdict("d/f", 0, 1), Verdict::Different);
        assert_eq!(verdict("d/f", 0, 2), Verdict::Same);
        // Directories of other ids whose files are the same, or not.
        assert_eq!(verdict("d", 0, 2), Verdict::Same);
        assert_eq!(verdict("d", 0, 3), Verdict::Same);
        assert_eq!(verdict("d", 0, 1), Verdict::Different);
        // A file that became a directory, unless only directories count.
        assert_eq!(verdict("t", 0, 1), Verdict::Different);
        assert_eq!(verdict("t/", 0, 1), Verdict::Different);
        assert_eq!(verdict("t/", 0, 8), Verdict::Same);
        assert_eq!(verdict("sub/", 0, 3), Verdict::Undecided);
        // A damaged tree.
        assert_eq!(verdict("a", 0, 4), Verdict::Undecided);
        // Not a directory on the way: nothing there on either side.
        assert_eq!(verdict("sub/x", 3, 7), Verdict::Same);
        assert_eq!(verdict("t/f", 0, 1), Verdict::Different);
        // A file that differs leaves a damaged tree on the way to another
        // path to the diff (which may meet it first).
        let z = odb.write_object(ObjectKind::Blob, b"z\n").unwrap();
        let damaged = tree(&odb, &[("100644", "y", z), ("100644", "y", z)]);
        let r1 = tree(&odb, &[("100644", "a", z), ("40000", "x", damaged)]);
        let r2 = tree(&odb, &[("100644", "a", damaged), ("40000", "x", damaged)]);
        let mut entries = PathEntries::new(&Pathspec::new(["a", "x/y"], "").unwrap()).unwrap();
        let mut reader = odb.reader();
        let verdict = entries.compare(
            &mut reader,
            &mut TreeCache::new(1 << 20),
            Some(&r1),
            &r2,
            [None, None],
        );
        assert_eq!(verdict.unwrap(), Verdict::Undecided);
    }
}
