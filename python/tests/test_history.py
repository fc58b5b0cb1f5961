"""packread's history for Python (Repository.iter_commits, count,
merge_base, is_ancestor, diff_tree) against git's own answers."""

import datetime
import subprocess

import pytest

import packread
from conftest import GIT_ENV, git

WALKS = [
    ({"rev": "main"}, ["main"]),
    ({"rev": "--all"}, ["--all"]),
    ({"rev": "main", "topo_order": True}, ["--topo-order", "main"]),
    ({"rev": "main", "date_order": True, "reverse": True}, ["--date-order", "--reverse", "main"]),
    ({"rev": "main", "first_parent": True}, ["--first-parent", "main"]),
    ({"rev": "main", "max_count": 3, "skip": 2}, ["--max-count=3", "--skip=2", "main"]),
    ({"rev": ["side", "^main"]}, ["side", "^main"]),
    ({"rev": "main...side"}, ["main...side"]),
    ({"rev": "main", "merges": True}, ["--merges", "main"]),
    ({"rev": "main", "no_merges": True}, ["--no-merges", "main"]),
    ({"rev": "main", "since": 1700000500}, ["--since=1700000500", "main"]),
    ({"rev": "main", "until": "2023-11-14 22:20:00 +0000"}, ["--until=2023-11-14 22:20:00 +0000", "main"]),
    ({"rev": "main", "grep": "o", "author": "A"}, ["--grep=o", "--author=A", "main"]),
    ({"all": True, "paths": "f-m1.txt"}, ["--all", "--", "f-m1.txt"]),
    ({"rev": "main", "paths": ["src", "t/last.txt"], "full_history": True}, ["--full-history", "main", "--", "src", "t/last.txt"]),
]


@pytest.mark.parametrize("kwargs,args", WALKS)
def test_walks_list_what_rev_list_lists(histories, kwargs, args):
    repo = packread.Repository(histories)
    kwargs = dict(kwargs)
    rev = kwargs.pop("rev", None)
    paths = kwargs.pop("paths", None)
    want = git(histories, "rev-list", *args, *([] if "--" in args else ["--"])).decode().split()
    got = [c.id for c in repo.iter_commits(rev, paths, **kwargs)]
    assert got == want
    assert repo.count(rev, paths, **kwargs) == len(want)
    lines = b"".join(repo.rev_list_lines(rev, paths, parents=True, **kwargs))
    assert lines == git(histories, "rev-list", "--parents", *args, *([] if "--" in args else ["--"]))
    # The rest in one piece, after a first chunk; then nothing.
    rest = repo.rev_list_lines(rev, paths, parents=True, **kwargs)
    first = next(rest, b"")
    assert first + rest.rest() == lines
    assert rest.rest() == b""


@pytest.mark.parametrize("rev,kwargs,stage,reason", [
    ("main", {}, "traverse", "missing"),
    ("main", {"topo_order": True}, "setup", "missing"),
    ("bad", {}, "traverse", "not a commit"),
    ("bad", {"paths": "x"}, "simplify", "not a commit"),
])
def test_unreadable_parents_end_the_walk_after_what_it_listed(walks, rev, kwargs, stage, reason):
    """The commits git lists before it meets the parent it can't read,
    then a WalkParentError saying which commit, which parent and where."""
    broken = walks.parent / "broken.git"
    listed = subprocess.run(["git", "rev-list", *(["--topo-order"] if kwargs.get("topo_order") else []),
                             rev, "--", *([kwargs["paths"]] if "paths" in kwargs else [])],
                            cwd=broken, env=GIT_ENV, capture_output=True)
    assert listed.returncode == 128
    repo = packread.Repository(broken)
    kwargs = dict(kwargs)
    paths = kwargs.pop("paths", None)
    lines = repo.rev_list_lines(rev, paths, **kwargs)
    got = b""
    with pytest.raises(packread.WalkParentError) as err:
        for chunk in lines:
            got += chunk
    assert got == listed.stdout
    assert err.value.stage == stage and err.value.reason == reason
    # In one piece: the lines, then the failure on the next call.
    lines = repo.rev_list_lines(rev, paths, **kwargs)
    if listed.stdout:
        assert lines.rest() == listed.stdout
    with pytest.raises(packread.WalkParentError):
        lines.rest()
    assert f"commit {err.value.commit}" in listed.stderr.decode() or stage == "setup"
    assert f"{err.value.parent}" in listed.stderr.decode()
    assert isinstance(err.value, packread.PackreadError)


def test_commit_fields_are_gits(histories):
    repo = packread.Repository(histories)
    fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%at%x00%ai%x00%cn%x00%ce%x00%ct%x00%ci%x00%e%x00%B%x01"
    out = git(histories, "log", "--all", f"--format={fmt}", "--encoding=none").decode("utf-8", "replace")
    want = {}
    for record in out.split("\x01\n"):
        if not record:
            continue
        h, t, p, an, ae, at, ai, cn, ce, ct, ci, enc, body = record.split("\x00")
        want[h] = (t, tuple(p.split()), an, ae, int(at), ai[-5:], cn, ce, int(ct), ci[-5:], enc or None, body)

    def zone(minutes):
        sign = "-" if minutes < 0 else "+"
        return "%s%02d%02d" % (sign, abs(minutes) // 60, abs(minutes) % 60)

    seen = 0
    for c in repo.iter_commits("--all"):
        a, m = c.author, c.committer
        got = (c.tree, c.parents, a.name, a.email, a.time, zone(a.tz_offset), m.name, m.email, m.time,
               zone(m.tz_offset), c.encoding, c.message)
        assert got == want[c.id], c.id
        assert c.raw_message.decode("utf-8", "replace") == c.message
        seen += 1
    assert seen == len(want)


def test_merge_bases_and_ancestry(walks):
    repo = packread.Repository(walks)
    for a, b in [("main", "side"), ("topic", "side"), ("o1", "o2"), ("main", "other"), ("v1", "main")]:
        out = subprocess.run(["git", "merge-base", "--all", a, b], cwd=walks, env=GIT_ENV, capture_output=True)
        assert repo.merge_base(a, b, all=True) == out.stdout.decode().split()
        first = subprocess.run(["git", "merge-base", a, b], cwd=walks, env=GIT_ENV, capture_output=True)
        assert repo.merge_base(a, b) == first.stdout.decode().split()
        for x, y in [(a, b), (b, a)]:
            code = subprocess.run(["git", "merge-base", "--is-ancestor", x, y], cwd=walks, env=GIT_ENV).returncode
            assert repo.is_ancestor(x, y) == (code == 0)


def test_diff_tree_counts_as_git_with_attributes(diffs):
    repo = packread.Repository(diffs)
    assert repo.work_tree == diffs
    commits = git(diffs, "rev-list", "--all").decode().split()
    for c in commits:
        want = git(diffs, "diff-tree", "-r", "--numstat", "--raw", "--root", "--no-commit-id", c).decode()
        raw = [line for line in want.splitlines() if line.startswith(":")]
        num = [line for line in want.splitlines() if not line.startswith(":")]
        if len(git(diffs, "rev-list", "--parents", "-1", c).split()) > 2:
            continue  # git shows no diff for a merge without -m
        changes = repo.diff_tree(c)
        assert len(changes) == len(raw), c
        for ch, r, n in zip(changes, raw, num):
            meta, path = r.split("\t", 1)
            old_mode, new_mode, old_id, new_id, status = meta[1:].split()
            assert (ch.old_mode, ch.new_mode, ch.old_id, ch.new_id, ch.status) == (
                int(old_mode, 8), int(new_mode, 8), old_id, new_id, status)
            added, deleted, _ = n.split("\t", 2)
            assert (ch.added, ch.deleted) == ((None, None) if added == "-" else (int(added), int(deleted)))


def test_unknown_options_are_refused(walks):
    with pytest.raises(TypeError, match="no_such_option"):
        packread.Repository(walks).iter_commits("main", no_such_option=1)


def test_since_takes_datetimes_and_strings(walks):
    repo = packread.Repository(walks)
    when = datetime.datetime.fromtimestamp(1700000500, tz=datetime.timezone.utc)
    by_int = [c.id for c in repo.iter_commits("main", since=1700000500)]
    assert [c.id for c in repo.iter_commits("main", since=when)] == by_int
    assert [c.id for c in repo.iter_commits("main", since="@1700000500")] == by_int


def test_bad_revision_is_an_error(walks):
    repo = packread.Repository(walks)
    with pytest.raises(packread.PackreadError):
        repo.iter_commits("no-such-branch")
    with pytest.raises(packread.PackreadError):
        repo.merge_base("main", "no-such-branch")


def test_diff_results_follow_attribute_changes(writable):
    """Repeated diffs are answered from memory only while the attribute
    files and settings they were read with are unchanged."""
    repo = packread.Repository(writable)
    head = git(writable, "rev-parse", "HEAD").decode().strip()
    counted = [(c.path, c.added, c.deleted) for c in repo.diff_tree(head)]
    assert counted and all(added is not None for _, added, _ in counted)
    assert [(c.path, c.added, c.deleted) for c in repo.diff_tree(head)] == counted
    (writable / ".gitattributes").write_text("* -diff\n")
    assert all(c.added is None for c in repo.diff_tree(head))
    want = git(writable, "diff-tree", "-r", "--numstat", "--no-commit-id", head).decode()
    assert all(line.startswith("-\t-\t") for line in want.splitlines())
    (writable / ".gitattributes").unlink()
    assert [(c.path, c.added, c.deleted) for c in repo.diff_tree(head)] == counted


def test_shallow_clone_walks_as_git(walks):
    """A shallow clone: the commits of its `shallow` file have no parents,
    for walks, counts, merge bases and `~` revisions alike."""
    shallow = walks.parent / "shallow.git"
    repo = packread.Repository(shallow)
    want = git(shallow, "rev-list", "--parents", "--all").decode().splitlines()
    got = b"".join(repo.rev_list_lines("--all", parents=True)).decode().splitlines()
    assert got == want
    assert [c.id for c in repo.iter_commits("--all")] == [line.split()[0] for line in want]
    assert repo.count("--all") == len(want)
    boundary = (shallow / ".git" / "shallow").read_text().split()
    for commit in repo.iter_commits("--all"):
        if commit.id in boundary:
            assert tuple(commit.parents) == ()
    assert repo.rev_parse("HEAD~2") == git(shallow, "rev-parse", "HEAD~2").decode().strip()
    with pytest.raises(packread.PackreadError):
        repo.rev_parse("HEAD~3")
    bad = packread.Repository(walks.parent / "badshallow.git")
    with pytest.raises(packread.PackreadError, match="bad shallow line"):
        list(bad.iter_commits("HEAD"))


@pytest.mark.parametrize("revs", [["main^@"], ["main^!"], ["main^-"], ["main^-1", "side"],
                                  ["--not", "main^@", "--not", "topic"], ["^main~2^@", "main"],
                                  ["v1^!"]])
def test_parent_shorthands_select_what_git_selects(walks, revs):
    repo = packread.Repository(walks)
    want = git(walks, "rev-list", *revs, "--").decode().split()
    assert [c.id for c in repo.iter_commits(revs)] == want


@pytest.mark.parametrize("rev", ["main^-x", "main^-0", "main^-9"])
def test_a_bad_parent_shorthand_is_a_bad_revision(walks, rev):
    assert subprocess.run(["git", "rev-list", rev, "--"], cwd=walks, env=GIT_ENV,
                          capture_output=True).returncode == 128
    with pytest.raises(packread.PackreadError):
        packread.Repository(walks).iter_commits(rev)


@pytest.mark.parametrize("revs", [["--branches=s*"], ["--exclude=o*", "--branches"],
                                  ["--exclude=refs/heads/o*", "--all"], ["--glob=heads/t*"],
                                  ["--tags=v*"], ["--remotes=origin"], ["--not", "--branches=o*", "--not", "--all"]])
def test_ref_patterns_select_what_git_selects(walks, revs):
    repo = packread.Repository(walks)
    want = git(walks, "rev-list", *revs, "--").decode().split()
    assert [c.id for c in repo.iter_commits(revs)] == want


@pytest.mark.parametrize("side", ["left_only", "right_only"])
def test_one_side_of_a_symmetric_difference(walks, side):
    repo = packread.Repository(walks)
    want = git(walks, "rev-list", "--" + side.replace("_", "-"), "side...main", "--").decode().split()
    assert [c.id for c in repo.iter_commits("side...main", **{side: True})] == want
    assert repo.count("side...main", **{side: True}) == len(want)


@pytest.mark.parametrize("revs", [["main", "side", "o1"], ["--tags"], ["^side", "main"]])
def test_no_walk_lists_the_starting_points(walks, revs):
    repo = packread.Repository(walks)
    want = git(walks, "rev-list", "--no-walk", *revs, "--").decode().split()
    assert [c.id for c in repo.iter_commits(revs, no_walk=True)] == want
