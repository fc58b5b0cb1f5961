"""packread.arrow's tables and packread.dask's dataframes against git's
own listings; the Dask ones computed on a LocalCluster of two worker
processes."""

import codecs

import pandas as pd
import pytest

import packread.arrow as parrow
from conftest import git

pytest.importorskip("dask.distributed")


def test_commits_table_is_rev_lists(histories):
    table = parrow.commits(histories, "--all")
    assert table.schema == parrow.COMMITS
    assert table.column("id").to_pylist() == git(histories, "rev-list", "--all").decode().split()
    fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B%x01"
    out = git(histories, "log", "--all", f"--format={fmt}").decode("utf-8", "replace")
    want = {}
    for record in out.split("\x01\n"):
        if record:
            h, t, p, an, ae, at, cn, ce, ct, body = record.split("\x00")
            want[h] = (t, p.split(), an, ae, int(at), cn, ce, int(ct), body)
    for row in table.to_pylist():
        got = (row["tree"], row["parents"], row["author_name"], row["author_email"],
               int(row["author_time"].timestamp()), row["committer_name"], row["committer_email"],
               int(row["committer_time"].timestamp()), row["message"])
        assert got == want[row["id"]]
        assert row["repository"] == str(histories)


def test_objects_table_is_batch_all_objects(any_repo):
    table = parrow.objects(any_repo)
    out = git(any_repo, "cat-file", "--batch-all-objects",
              "--batch-check=%(objectname) %(objecttype) %(objectsize) %(objectsize:disk)")
    want = [line.split() for line in out.decode().splitlines()]
    got = [[r["id"], r["type"], str(r["size"]), str(r["disk_size"])] for r in table.to_pylist()]
    assert got == want


def unquote(path):
    """A path as git C-quotes it, unquoted."""
    if not path.startswith('"'):
        return path
    return codecs.escape_decode(path[1:-1].encode())[0].decode("utf-8", "surrogateescape")


def test_file_changes_table_is_first_parent_numstat(diffs):
    table = parrow.file_changes(diffs, "HEAD")
    commits = git(diffs, "rev-list", "HEAD")
    out = git(diffs, "diff-tree", "--stdin", "-r", "--root", "-m", "--first-parent", "--numstat", "--raw",
              input=commits).decode()
    # diff-tree -m shows a merge against each parent in turn: the first
    # block is against its first parent.
    want, commit, seen = [], None, set()
    for line in out.splitlines():
        if commit is None:
            pass
        elif line.startswith(":"):
            status = line.split("\t")[0].split()[-1]
            want.append([commit, unquote(line.split("\t", 1)[1]), status])
            continue
        elif "\t" in line:
            added, deleted, path = line.split("\t", 2)
            row = next(r for r in want if r[0] == commit and r[1] == unquote(path) and len(r) == 3)
            row += [None if added == "-" else int(added), None if deleted == "-" else int(deleted)]
            continue
        if line and "\t" not in line and not line.startswith(":"):
            commit = line.split()[0] if line.split()[0] not in seen else None
            seen.add(line.split()[0])
    got = [[r["commit"], r["path"], r["status"], r["added"], r["deleted"]] for r in table.to_pylist()]
    assert got == want


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as c:
            yield c


def test_dask_frames_on_two_workers(client, walks, diffs, history, tmp_path):
    import packread.dask as pdask

    paths = [str(walks), str(diffs), str(history)]
    frame = pdask.commits(paths, memory_limit=1 << 20, window_size=64 << 10)
    assert frame.npartitions == 3
    got = frame.compute().reset_index(drop=True)
    want = pd.concat([parrow.commits(p).to_pandas() for p in paths], ignore_index=True)
    assert list(got.columns) == list(want.columns)
    for column in want.columns:
        assert [list(v) if column == "parents" else v for v in got[column]] == [
            list(v) if column == "parents" else v for v in want[column]], column
    per_author = frame.groupby("author_email").size().compute().sort_index()
    assert per_author.sum() == len(want)
    frame.to_parquet(tmp_path / "commits")
    import pyarrow.parquet as pq

    back = pq.read_table(tmp_path / "commits")
    assert sorted(back.column("id").to_pylist()) == sorted(want["id"])
    assert back.column("parents").type == parrow.COMMITS.field("parents").type
    objects = pdask.objects(paths).compute()
    assert len(objects) == sum(len(parrow.objects(p)) for p in paths)
    changes = pdask.file_changes([str(diffs)]).compute()
    assert len(changes) == len(parrow.file_changes(diffs))
