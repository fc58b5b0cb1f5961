"""Many repositories as Dask dataframes (``pip install 'packread[dask]'``).

Each function takes a list of repository paths and gives a
``dask.dataframe.DataFrame`` with one partition per repository, made by a
task that opens its repository with the given limits (``window_size``,
``memory_limit``, ``handle_limit``, ``delta_cache``): the memory a worker
maps stays within them, however large the repository. The columns are
those of ``packread.arrow``'s tables::

    import packread.dask
    from dask.distributed import Client

    client = Client("scheduler:8786")               # or a LocalCluster
    frame = packread.dask.commits(paths, memory_limit=256 << 20)
    frame.groupby("author_email").size().compute()
    frame.to_parquet("commits/")
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

try:
    import dask.dataframe as dd
except ImportError as _missing:  # pragma: no cover - depends on the install
    raise ImportError(
        f"packread.dask needs dask ({_missing}): install it with `pip install 'packread[dask]'`"
    ) from _missing

import pyarrow as pa

from packread import arrow

__all__ = ["commits", "file_changes", "objects"]


def _frame(table: pa.Table) -> Any:
    # Arrow-backed columns: list columns stay lists (Dask turns object
    # columns into strings).
    import pandas as pd

    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _commits(path: str, rev: Any, options: dict[str, Any]) -> Any:
    return _frame(arrow.commits(path, rev, **options))


def _objects(path: str, options: dict[str, Any]) -> Any:
    return _frame(arrow.objects(path, **options))


def _file_changes(path: str, rev: Any, options: dict[str, Any]) -> Any:
    return _frame(arrow.file_changes(path, rev, **options))


def _map(fn: Callable[..., Any], paths: Sequence[str], schema: pa.Schema, *args: Any) -> Any:
    paths = [str(p) for p in paths]
    if not paths:
        raise ValueError("no repositories given")
    meta = _frame(schema.empty_table())
    return dd.from_map(fn, paths, args=list(args), meta=meta, label=f"packread-{fn.__name__.strip('_')}")


def commits(paths: Sequence[str], rev: Any = "--all", **options: Any) -> Any:
    """The commits of each repository (``packread.arrow.commits``)."""
    return _map(_commits, paths, arrow.COMMITS, rev, options)


def objects(paths: Sequence[str], **options: Any) -> Any:
    """The objects of each repository (``packread.arrow.objects``)."""
    return _map(_objects, paths, arrow.OBJECTS, options)


def file_changes(paths: Sequence[str], rev: Any = "HEAD", **options: Any) -> Any:
    """The files each commit changed (``packread.arrow.file_changes``)."""
    return _map(_file_changes, paths, arrow.FILE_CHANGES, rev, options)
