"""Repositories as Arrow tables (``pip install 'packread[arrow]'``).

- ``commits(path, rev="--all")``: one row per commit, in ``git rev-list``'s
  order.
- ``objects(path)``: one row per object, as ``git cat-file
  --batch-all-objects --batch-check`` lists them.
- ``file_changes(path, rev="HEAD")``: one row per file a commit changed
  against its first parent (a root commit against nothing), with its
  lines added and deleted (``None`` for a binary file), as ``git diff-tree
  -r --root -m --first-parent --numstat`` counts them.

Keyword arguments open the repository as ``packread.Repository`` does
(``window_size``, ``memory_limit``, ``handle_limit``, ``delta_cache``).
"""

from __future__ import annotations

import os
from typing import Any, Union

try:
    import pyarrow as pa
except ImportError as _missing:  # pragma: no cover - depends on the install
    raise ImportError(
        f"packread.arrow needs pyarrow ({_missing}): install it with `pip install 'packread[arrow]'`"
    ) from _missing

import packread

__all__ = ["COMMITS", "FILE_CHANGES", "OBJECTS", "commits", "file_changes", "objects"]

_Path = Union[str, "os.PathLike[str]"]

_TIME = pa.timestamp("s", tz="UTC")

COMMITS = pa.schema(
    [
        ("repository", pa.string()),
        ("id", pa.string()),
        ("tree", pa.string()),
        ("parents", pa.list_(pa.string())),
        ("author_name", pa.string()),
        ("author_email", pa.string()),
        ("author_time", _TIME),
        ("author_tz_offset", pa.int32()),
        ("committer_name", pa.string()),
        ("committer_email", pa.string()),
        ("committer_time", _TIME),
        ("committer_tz_offset", pa.int32()),
        ("message", pa.string()),
    ]
)
"""The columns of ``commits``: times in UTC, zone offsets in minutes east."""

OBJECTS = pa.schema(
    [
        ("repository", pa.string()),
        ("id", pa.string()),
        ("type", pa.string()),
        ("size", pa.uint64()),
        ("disk_size", pa.uint64()),
    ]
)
"""The columns of ``objects``."""

FILE_CHANGES = pa.schema(
    [
        ("repository", pa.string()),
        ("commit", pa.string()),
        ("path", pa.string()),
        ("status", pa.string()),
        ("added", pa.uint64()),
        ("deleted", pa.uint64()),
    ]
)
"""The columns of ``file_changes``."""


def _name(path: _Path) -> str:
    return os.fspath(path)


def commits(path: _Path, rev: Union[str, list[str]] = "--all", **options: Any) -> pa.Table:
    """Every commit ``git rev-list <rev>`` lists, one row each (see ``COMMITS``)."""
    repo = packread.Repository(path, **options)
    cols: dict[str, list[Any]] = {name: [] for name in COMMITS.names}
    for c in repo.iter_commits(rev):
        a, m = c.author, c.committer
        cols["id"].append(c.id)
        cols["tree"].append(c.tree)
        cols["parents"].append(list(c.parents))
        cols["author_name"].append(a.name)
        cols["author_email"].append(a.email)
        cols["author_time"].append(a.time)
        cols["author_tz_offset"].append(a.tz_offset)
        cols["committer_name"].append(m.name)
        cols["committer_email"].append(m.email)
        cols["committer_time"].append(m.time)
        cols["committer_tz_offset"].append(m.tz_offset)
        cols["message"].append(c.message)
    cols["repository"] = [_name(path)] * len(cols["id"])
    return pa.table(cols, schema=COMMITS)


def objects(path: _Path, **options: Any) -> pa.Table:
    """Every object of the repository once, in id order (see ``OBJECTS``)."""
    odb = packread.Repository(path, **options).odb
    ids, types, sizes, disk = odb.object_columns()
    return pa.table(
        {"repository": [_name(path)] * len(ids), "id": ids, "type": types, "size": sizes, "disk_size": disk},
        schema=OBJECTS,
    )


def file_changes(path: _Path, rev: Union[str, list[str]] = "HEAD", **options: Any) -> pa.Table:
    """The files each commit ``git rev-list <rev>`` lists changed against
    its first parent, one row each (see ``FILE_CHANGES``)."""
    repo = packread.Repository(path, **options)
    cols: dict[str, list[Any]] = {name: [] for name in FILE_CHANGES.names}
    for c in repo.rev_list_lines(rev):
        for line in c.split():
            commit = line.decode()
            for ch in repo.diff_tree(commit):
                cols["commit"].append(commit)
                cols["path"].append(ch.path)
                cols["status"].append(ch.status)
                cols["added"].append(ch.added)
                cols["deleted"].append(ch.deleted)
    cols["repository"] = [_name(path)] * len(cols["commit"])
    return pa.table(cols, schema=FILE_CHANGES)
