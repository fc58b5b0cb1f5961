#!/usr/bin/env python3
"""packread.dask.commits over several repositories, on a LocalCluster of 1
and of 2 worker processes (one thread each): wall time, commits per
second, and each worker's peak RSS, with and without a memory limit on
the windows a worker maps.

usage: dask_commits.py <repository>... [--memory-limit BYTES] [--runs R]

Run it from the venv `bash .ci/run` makes (target/ci-wheel-venv: it has
packread with dask and pyarrow). The repositories are only read.
"""

import argparse
import resource
import statistics
import time

from dask.distributed import Client, LocalCluster

import packread.dask


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(paths, workers, options, runs):
    walls, rows, peaks = [], 0, []
    for _ in range(runs):
        # A new cluster each run: each worker's peak is this run's.
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            t = time.perf_counter()
            frame = packread.dask.commits(paths, **options)
            rows = int(frame.map_partitions(len).compute().sum())
            walls.append(time.perf_counter() - t)
            peaks.append(max(client.run(peak_rss_mib).values()))
    return statistics.median(walls), rows, statistics.median(peaks)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repositories", nargs="+")
    ap.add_argument("--memory-limit", type=int, default=64 << 20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print("| workers | mapped-memory limit | wall | commits | commits/s | peak RSS per worker |")
    print("|---|---|---|---|---|---|")
    for workers in (1, 2):
        for limit in (None, args.memory_limit):
            options = {} if limit is None else {"memory_limit": limit}
            wall, rows, peak = run(args.repositories, workers, options, args.runs)
            shown = "smmap's default" if limit is None else f"{limit >> 20} MiB"
            print(f"| {workers} | {shown} | {wall:.2f} s | {rows:,} | {rows / wall:,.0f} | {peak:.0f} MiB |")


if __name__ == "__main__":
    main()
