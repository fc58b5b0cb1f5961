#!/usr/bin/env python3
"""GitPython's history calls: stock GitPython against packread.gitpython.

For each row, the same GitPython calls run with stock ``git.Repo`` (git
processes: ``rev-list``, ``cat-file``, ``diff``...), with
``git.Repo(odbt=PackreadDB)`` (objects read by packread, history still by
git) and with ``packread.gitpython.Repo`` (history answered in-process);
the answers are checked equal and wall time, CPU time (this process's
threads and the git processes it started) and processes started are
printed, medians of R runs.

Rows: every commit of HEAD reading message, author and date; ``stats`` of
the last N commits; ``count()`` of HEAD; 100 ``is_ancestor`` and
``merge_base`` calls between commits of HEAD's first-parent line.

usage: gitpython_history.py <repository> [--stats N] [--runs R]

Run it from the venv `bash .ci/run` makes (target/ci-venv). The repository
is only read.
"""

import argparse
import hashlib
import resource
import statistics
import subprocess
import time

import git

from packread.gitpython import PackreadDB
from packread.gitpython import Repo as PackreadRepo

STARTED = []


class _Counting(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        STARTED.append(1)
        super().__init__(*args, **kwargs)


git.cmd.Popen = _Counting
git.cmd.safer_popen = _Counting


def cpu():
    """CPU seconds of this process and of its children that ended."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def walk(repo):
    digest = hashlib.sha1()
    n = 0
    for c in repo.iter_commits("HEAD"):
        digest.update(c.message.encode("utf-8", "surrogateescape"))
        digest.update(c.author.name.encode("utf-8", "surrogateescape"))
        digest.update(str(c.authored_date).encode())
        n += 1
    return n, digest.hexdigest()


def stats(count):
    def run(repo):
        return [(c.hexsha, c.stats.total, c.stats.files) for c in repo.iter_commits("HEAD", max_count=count)]

    return run


def count(repo):
    return repo.head.commit.count()


def pairs(path):
    line = git.Repo(path).git.rev_list("--first-parent", "HEAD", max_count=200).split()
    return [(line[i], line[-1 - i]) for i in range(100)]


def ancestry(path):
    todo = pairs(path)

    def run(repo):
        return [(repo.is_ancestor(a, b), [c.hexsha for c in repo.merge_base(a, b)]) for a, b in todo]

    return run


FLAVOURS = [
    ("stock git.Repo", lambda p: git.Repo(p)),
    ("git.Repo(odbt=PackreadDB)", lambda p: git.Repo(p, odbt=PackreadDB)),
    ("packread.gitpython.Repo", lambda p: PackreadRepo(p)),
]


def measure(path, fn, runs):
    rows = []
    answers = []
    for name, make in FLAVOURS:
        walls, cpus, procs = [], [], []
        for _ in range(runs):
            repo = make(path)
            STARTED.clear()
            w0, c0 = time.perf_counter(), cpu()
            answer = fn(repo)
            repo.close()
            del repo
            walls.append(time.perf_counter() - w0)
            cpus.append(cpu() - c0)
            procs.append(len(STARTED))
        answers.append(answer)
        rows.append((name, statistics.median(walls), statistics.median(cpus), statistics.median(procs)))
    same = all(a == answers[0] for a in answers)
    return rows, same


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repository")
    ap.add_argument("--stats", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    cases = [
        ("every commit of HEAD: message, author, date", walk),
        (f"stats of the last {args.stats} commits", stats(args.stats)),
        ("Commit.count() of HEAD", count),
        ("100 is_ancestor + merge_base", ancestry(args.repository)),
    ]
    for title, fn in cases:
        rows, same = measure(args.repository, fn, args.runs)
        print(f"\n| {title} | wall | CPU | processes | vs stock |")
        print("|---|---|---|---|---|")
        base = rows[0][1]
        for name, wall, cpu_s, procs in rows:
            print(f"| {name} | {wall:.3f} s | {cpu_s:.3f} s | {procs:.0f} | {wall / base:.2f}× |")
        if not same:
            print("**answers differ**")


if __name__ == "__main__":
    main()
