"""packread.gitpython.Repo answers GitPython's history calls as stock
GitPython does — iter_commits, Commit.iter_parents, Commit.count,
merge_base, is_ancestor, Commit.stats — without starting git."""

import subprocess

import git
import pytest

import packread.gitpython as pg
from packread.gitpython import PackreadDB
from conftest import GIT_ENV


@pytest.fixture()
def launches(monkeypatch):
    """The processes GitPython starts, counted."""
    started = []
    real = subprocess.Popen

    class Counting(real):
        def __init__(self, *args, **kwargs):
            started.append(args[0] if args else kwargs.get("args"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(git.cmd, "Popen", Counting)
    monkeypatch.setattr(git.cmd, "safer_popen", Counting)
    return started


FIELDS = ("hexsha", "message", "author", "authored_date", "author_tz_offset", "committer",
          "committed_date", "committer_tz_offset", "encoding", "gpgsig")


def described(commit):
    """Everything GitPython reads of a commit."""
    return tuple(getattr(commit, f) for f in FIELDS) + (
        commit.author.email,
        commit.committer.email,
        commit.tree.hexsha,
        tuple(p.hexsha for p in commit.parents),
    )


def both(path, call, launches):
    """`call` on stock GitPython and on packread's Repo: both answers, and
    how many processes packread's started."""
    stock = call(git.Repo(path))
    ours_repo = pg.Repo(path)
    launches.clear()
    ours = call(ours_repo)
    return stock, ours, len(launches)


CALLS = {
    "iter_commits": lambda r: [described(c) for c in r.iter_commits("main")],
    "iter_commits --all": lambda r: [c.hexsha for c in r.iter_commits("--all")],
    "iter_commits options": lambda r: [c.hexsha for c in r.iter_commits(
        "main", max_count=4, skip=1, topo_order=True)],
    "iter_commits since": lambda r: [c.hexsha for c in r.iter_commits("main", since="1700000500")],
    "iter_commits paths": lambda r: [c.hexsha for c in r.iter_commits("main", paths="f-m1.txt")],
    "iter_commits first_parent reverse": lambda r: [c.hexsha for c in r.iter_commits(
        "main", first_parent=True, reverse=True)],
    "iter_commits range": lambda r: [c.hexsha for c in r.iter_commits("side..main")],
    "iter_commits no_walk": lambda r: [c.hexsha for c in r.iter_commits(["main", "side", "o1"], no_walk=True)],
    "iter_commits left_only": lambda r: [c.hexsha for c in r.iter_commits("side...main", left_only=True)],
    "iter_commits ref patterns": lambda r: [c.hexsha for c in r.iter_commits(
        ["--exclude=o*", "--branches", "--tags=v*"])],
    "iter_parents": lambda r: [c.hexsha for c in r.commit("main").iter_parents()],
    "count": lambda r: r.commit("main").count(),
    "count paths": lambda r: r.commit("main").count(paths=["f-m1.txt"]),
    "merge_base": lambda r: [c.hexsha for c in r.merge_base("main", "side")],
    "merge_base none": lambda r: r.merge_base("main", "other"),
    "is_ancestor": lambda r: (r.is_ancestor("side", "main"), r.is_ancestor("main", "side")),
    "rev_list text": lambda r: r.git.rev_list("main", "--parents", max_count=5),
    "rev_list process": lambda r: (lambda p: (p.stdout.read(), p.wait()))(
        r.git.rev_list("main", as_process=True)),
    "stats": lambda r: [(c.stats.total, c.stats.files) for c in r.iter_commits("main")],
    "diff as stats runs it": lambda r: r.git.diff("main~4", "main", "--", numstat=True, no_renames=True, raw=True),
    "diff-tree as stats runs it": lambda r: r.git.diff_tree(
        "main", "--", numstat=True, no_renames=True, root=True, raw=True),
}


@pytest.mark.parametrize("name", CALLS)
def test_history_calls_answer_as_stock_without_git(walks, launches, name):
    stock, ours, started = both(walks, CALLS[name], launches)
    assert ours == stock
    assert started == 0


BROKEN_CALLS = {
    "rev_list": lambda r, ref: r.git.rev_list(ref),
    "rev_list parents": lambda r, ref: r.git.rev_list(ref, parents=True),
    "rev_list topo": lambda r, ref: r.git.rev_list(ref, topo_order=True),
    "rev_list paths": lambda r, ref: r.git.rev_list(ref, "--", "x"),
    "rev_list process": lambda r, ref: (lambda p: (p.stdout.read(), p.wait()))(
        r.git.rev_list(ref, as_process=True)),
    "iter_commits": lambda r, ref: [c.hexsha for c in r.iter_commits(ref)],
    "count": lambda r, ref: r.commit(ref).count(),
}


def outcome(call):
    """What `call` returned, or how git's failure showed."""
    try:
        return ("answered", call())
    except git.GitCommandError as e:
        return ("failed", e.status, e.stderr, e.stdout)


@pytest.mark.parametrize("ref", ["main", "bad"])
@pytest.mark.parametrize("name", BROKEN_CALLS)
def test_unreadable_parents_fail_as_git_fails(walks, launches, name, ref):
    """A walk that meets a missing commit (`main`) or a parent that is a
    blob (`bad`): the commits before it, then git's messages and status."""
    repo = walks.parent / "broken.git"
    call = BROKEN_CALLS[name]
    stock = outcome(lambda: call(git.Repo(repo), ref))
    ours_repo = pg.Repo(repo)
    launches.clear()
    ours = outcome(lambda: call(ours_repo, ref))
    assert stock[0] == "failed"
    assert ours == stock
    assert launches == []


def _messages(r, ref):
    """Each commit's id and message, or the kind of error reading it met."""
    shown = []
    for c in r.iter_commits(ref):
        try:
            shown.append((c.hexsha, c.message))
        except ValueError as e:
            shown.append((c.hexsha, "ValueError", str(e).split(",")[0]))
    return shown


GRAPH_LISTED_CALLS = {
    **BROKEN_CALLS,
    "messages": _messages,
    "rev_list grep": lambda r, ref: r.git.rev_list(ref, grep="c"),
    "iter_commits author": lambda r, ref: [c.hexsha for c in r.iter_commits(ref, author="x")],
}


@pytest.mark.parametrize("name", GRAPH_LISTED_CALLS)
def test_commits_the_graph_lists_without_objects_as_git(walks, launches, name):
    """A commit the commit-graph lists, whose object is gone: git lists it
    (GitPython fails only when it reads the commit), and dies where a
    filter needs its text."""
    repo = walks.parent / "brokengraph.git"
    call = GRAPH_LISTED_CALLS[name]
    stock = outcome(lambda: call(git.Repo(repo), "main"))
    ours_repo = pg.Repo(repo)
    launches.clear()
    ours = outcome(lambda: call(ours_repo, "main"))
    assert ours == stock
    assert launches == []


SHALLOW_CALLS = {
    "iter_commits": lambda r: [described(c) for c in r.iter_commits("HEAD")],
    "iter_commits --all": lambda r: [c.hexsha for c in r.iter_commits("--all")],
    "iter_commits topo": lambda r: [c.hexsha for c in r.iter_commits("--all", topo_order=True)],
    "iter_parents": lambda r: [c.hexsha for c in r.commit("HEAD").iter_parents()],
    "count": lambda r: r.commit("HEAD").count(),
    "merge_base": lambda r: [c.hexsha for c in r.merge_base("HEAD", "origin/topic")],
    "is_ancestor": lambda r: r.is_ancestor("HEAD~2", "HEAD"),
    "rev_list parents": lambda r: r.git.rev_list("--all", "--parents"),
    "stats": lambda r: [(c.stats.total, c.stats.files) for c in r.iter_commits("HEAD", max_count=2)],
    "stats of the boundary": lambda r: [c.stats.total for c in r.iter_commits("HEAD")],
}


@pytest.mark.parametrize("name", SHALLOW_CALLS)
def test_shallow_clone_answers_as_stock_without_git(walks, launches, name):
    """A shallow clone (as CI checkouts are): git's answers, in-process."""
    repo = walks.parent / "shallow.git"
    call = SHALLOW_CALLS[name]
    stock = outcome(lambda: call(git.Repo(repo)))
    ours_repo = pg.Repo(repo)
    launches.clear()
    ours = outcome(lambda: call(ours_repo))
    assert ours == stock
    assert launches == []


def test_replaced_objects_read_as_stock(walks):
    """A replace ref (`git replace`): GitPython's default database reads the
    object through its replacement, under its own id; so does PackreadDB."""
    repo = walks.parent / "replaced.git"
    replaced = git_stored(repo, "rev-parse", "main~1")

    def read(r):
        c = r.commit(replaced)
        return c.message, c.size, [p.hexsha for p in c.parents], r.odb.info(bytes.fromhex(replaced)).size

    stock = read(git.Repo(repo))
    assert read(git.Repo(repo, odbt=PackreadDB)) == stock
    assert read(pg.Repo(repo)) == stock
    assert stock[0].strip() == "replaced"


def git_stored(repo, *args):
    out = subprocess.run(["git", *args], cwd=repo, env={**GIT_ENV, "GIT_NO_REPLACE_OBJECTS": "1"},
                         capture_output=True, check=True)
    return out.stdout.decode().strip()


def test_stats_with_attributes_and_odd_files(diffs, launches):
    def call(r):
        commits = list(r.iter_commits("--all"))
        raw = [r.git.diff(a.hexsha, b.hexsha, "--", numstat=True, no_renames=True, raw=True)
               for a, b in zip(commits, commits[1:])]
        return [(c.hexsha, c.stats.total, c.stats.files) for c in commits], raw

    stock, ours, started = both(diffs, call, launches)
    assert ours == stock
    assert started == 0


ODD_COMMITS = [
    # author and committer lines of forms GitPython versions read differently
    b"author  Two  Spaces  <a@b> 1700000000 +0000\ncommitter C <c@d> 1700000000 -0000\n",
    b"author No Email 1700000000 +0000\ncommitter C <c@d> 1700000000 +0130\n",
    b"author A <a@b> 1700000000 +0000 trailing\ncommitter C <c@d> 1 -0800\n",
    b"author A <<a@b>> 1700000000 +0000\ncommitter C <c@d> 99999999999 +1400\n",
    b"author Nbsp\xc2\xa0 <a@b> 1700000000 +0000\ncommitter C <c@d> 1 +0000\n",
    b"author Bad \xff\xfe UTF <a@b> 1700000000 +0000\ncommitter C <c@d> 1 +0000\n",
    b"author A <a@b> 1700000000 +0000\ncommitter C <c@d> 1 +0000\nencoding ISO-8859-1\n",
    b"author A <a@b> 1700000000 +0000\ncommitter C <c@d> 1 +0000\nmergetag object x\n type commit\n"
    b"gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n",
    b"author A <a@b> 1700000000 +0000\ncommitter C <c@d> 1 +0000\nx-other header\n continued\n \n",
]


def test_odd_commits_read_as_stock_reads_them(tmp_path, launches):
    repo = tmp_path / "odd"
    subprocess.run(["git", "init", "-q", str(repo)], env=GIT_ENV, check=True)
    tree = subprocess.run(["git", "mktree"], cwd=repo, env=GIT_ENV, input=b"", capture_output=True,
                          check=True).stdout.strip().decode()
    parent = None
    for i, headers in enumerate(ODD_COMMITS):
        body = b"tree " + tree.encode() + b"\n"
        if parent:
            body += b"parent " + parent.encode() + b"\n"
        body += headers + b"\nmessage %d \xe9\n\nbody\n" % i
        parent = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin", "--literally"],
                                cwd=repo, env=GIT_ENV, input=body, capture_output=True,
                                check=True).stdout.strip().decode()
    subprocess.run(["git", "update-ref", "refs/heads/main", parent], cwd=repo, env=GIT_ENV, check=True)
    stock, ours, started = both(repo, lambda r: [described(c) for c in r.iter_commits("main")], launches)
    assert len(ours) == len(ODD_COMMITS)
    assert ours == stock
    assert started == 0


def test_what_packread_cannot_promise_runs_git(walks, launches):
    """A bad revision, or an option packread doesn't serve: git answers,
    with git's own error."""
    ours = pg.Repo(walks)
    launches.clear()
    with pytest.raises(git.GitCommandError) as err:
        ours.git.rev_list("no-such-branch")
    assert err.value.status == 128 and launches
    launches.clear()
    assert ours.git.rev_list("main", format="%s", max_count=1) == git.Repo(walks).git.rev_list(
        "main", format="%s", max_count=1)
    assert launches


def test_store_writes_without_git(writable, launches):
    """PackreadDB.store writes as `git hash-object -w` (GitPython's
    default database runs it) without starting git."""
    from io import BytesIO

    from gitdb.base import IStream

    repo = pg.Repo(writable)
    data = b"stored by packread\n"
    launches.clear()
    istream = repo.odb.store(IStream(b"blob", len(data), BytesIO(data)))
    assert launches == []
    assert istream.hexsha.decode() == subprocess.run(
        ["git", "hash-object", "--stdin"], cwd=writable, env=GIT_ENV, input=data, capture_output=True
    ).stdout.decode().strip()
    assert repo.odb.stream(istream.binsha).read() == data
