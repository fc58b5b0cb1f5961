#!/usr/bin/env python3
"""GitPython's object databases side by side, on one repository.

Walks the trees and blobs of the last N commits through GitPython three
times -- with GitCmdObjectDB (GitPython's default: `git cat-file` child
processes), GitDB (gitdb, pure Python, reading packs through smmap) and
packread.gitpython.PackreadDB -- checks that the three walks read the same
bytes, and prints wall and CPU times and ratios. Then reads every object of
the database through the native packread.Odb (one Python thread) and
compares with the Rust CLI (`packread cat-file --batch-all-objects --batch`,
one CPU and two).

usage: gitpython_walk.py <repository> [--commits N] [--runs R] [--cli PATH]

Run it from the venv that has packread, GitPython and gitdb installed
(`bash .ci/run` makes one in target/ci-venv). The repository is only read.
"""

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time

import git
from git.db import GitCmdObjectDB, GitDB

import packread
from packread.gitpython import PackreadDB


def walk(path, odbt, commits):
    """Every tree entry and blob of the last `commits` commits; a digest of
    what was read, and how many blobs."""
    repo = git.Repo(path, odbt=odbt)
    digest = hashlib.sha1()
    blobs = 0
    for commit in repo.iter_commits("HEAD", max_count=commits):
        digest.update(commit.message.encode("utf-8", "replace"))
        for item in commit.tree.traverse():
            digest.update(item.path.encode("utf-8", "surrogateescape"))
            if item.type == "blob":
                digest.update(item.data_stream.read())
                blobs += 1
    repo.close()
    return digest.hexdigest(), blobs


def timed(fn, runs):
    """Median wall and CPU seconds of `runs` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), result


def children_cpu(fn):
    """Wall seconds of `fn` and the CPU seconds of the child processes it ran."""
    before = os.times()
    w0 = time.perf_counter()
    fn()
    wall = time.perf_counter() - w0
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repository")
    ap.add_argument("--commits", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cli", default=None, help="the packread binary (default: target/release/packread)")
    ap.add_argument("--skip-gitdb", action="store_true", help="leave out GitDB (slow on big repositories)")
    args = ap.parse_args()
    repo = os.path.abspath(args.repository)

    print(f"repository: {repo}")
    print(f"walk: trees and blobs of the last {args.commits} commits, medians of {args.runs} runs, one Python thread")
    print(f"{'odb':<16} {'wall s':>8} {'cpu s':>8} {'blobs':>8}   ratio to GitCmdObjectDB")
    rows = []
    dbs = [("GitCmdObjectDB", GitCmdObjectDB), ("GitDB", GitDB), ("PackreadDB", PackreadDB)]
    if args.skip_gitdb:
        dbs = [d for d in dbs if d[0] != "GitDB"]
    for name, odbt in dbs:
        # GitCmdObjectDB's work happens in git processes: their CPU is added.
        before = os.times()
        wall, cpu, (digest, blobs) = timed(lambda: walk(repo, odbt, args.commits), args.runs)
        after = os.times()
        child = (after.children_user - before.children_user + after.children_system - before.children_system) / args.runs
        rows.append((name, wall, cpu + child, blobs, digest))
    base = rows[0][1]
    for name, wall, cpu, blobs, _ in rows:
        print(f"{name:<16} {wall:>8.2f} {cpu:>8.2f} {blobs:>8}   {wall / base:.2f}x")
    digests = {digest for *_, digest in rows}
    if len(digests) != 1:
        print("error: the walks read different bytes", file=sys.stderr)
        return 1
    print("all walks read the same bytes")

    # Every object through the native Odb, against the Rust CLI.
    odb = packread.Odb(repo)
    ids = odb.ids()

    def read_all():
        total = 0
        for oid in ids:
            total += len(odb.read_data(oid)[1])
        return total

    wall, cpu, total = timed(read_all, args.runs)
    print(f"\nevery object ({len(ids)}, {total / 1e6:.0f} MB of content), sorted by id:")
    print(f"{'packread.Odb.read_data, 1 thread':<40} {wall:>8.2f} s wall {cpu:>8.2f} s cpu")
    cli = args.cli or os.path.join(os.path.dirname(__file__), "..", "target", "release", "packread")
    if os.path.exists(cli):
        for label, prefix in [("packread CLI, 1 CPU (taskset -c 0)", ["taskset", "-c", "0"]), ("packread CLI, 2 threads", [])]:
            cmd = prefix + [cli, "cat-file", "--batch-all-objects", "--batch"]
            runs = [children_cpu(lambda: subprocess.run(cmd, cwd=repo, stdout=subprocess.DEVNULL, check=True)) for _ in range(args.runs)]
            w = statistics.median(r[0] for r in runs)
            c = statistics.median(r[1] for r in runs)
            print(f"{label:<40} {w:>8.2f} s wall {c:>8.2f} s cpu   Odb/CLI {wall / w:.2f}x")
    else:
        print(f"(no CLI at {cli}: build it with cargo build --release -p packread)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
