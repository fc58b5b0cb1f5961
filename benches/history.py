#!/usr/bin/env python3
"""History commands side by side: rev-list, merge-base and log, each run as a
process of its own by every program in turn, on two copies of a repository
that share its objects (git clone --shared): one without a commit-graph, one
with `git commit-graph write --reachable --changed-paths`. Prints the median
wall time and the median CPU time (user + system) of 7 rounds; every
program's output is compared with the first's once per row (a difference
stops the run). git runs on one thread; packread uses the cores it is given
(log reads a graph walk's commits on two threads, diff-tree --stdin diffs on
every core): the CPU column says what that costs.

usage: history.py [--gix GIX] REPO OLD PROGRAM...
  REPO     a repository (read only: the copies are made in a temporary
           directory and removed)
  OLD      an old revision for the merge-base row (e.g. v2.0.0 in git.git)
  PROGRAM  e.g. git target/release/packread
  GIX      gitoxide's `gix`: a column for the rows it has a command for
           (`revision list`, `merge-base`, `diff tree`). Its output has its
           own format: checked for its exit code and, for the lists, the
           number of commits or the merge bases git gives.

HISTORY_ROWS=<word> runs only the rows whose command has that word (e.g.
diff-tree). `--stdin` rows read the ids `git rev-list` gives for STDIN.
HISTORY_PATH=<path> is the path of the path-limited rows (README.md if
unset; t/t0000-basic.sh in git.git). HISTORY_CPUS=<n> runs every program on
the first n CPUs only (taskset).
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROUNDS = 7


def rows(old):
    path = os.environ.get("HISTORY_PATH", "README.md")
    return [
        ["rev-list", "--count", "HEAD", "--", path],
        ["rev-list", "--full-history", "HEAD", "--", path],
        ["log", "--format=%H %s", "HEAD", "--", os.path.dirname(path) or path],
        ["rev-list", "HEAD"],
        ["rev-list", "--all", "--count"],
        ["rev-list", "--topo-order", "--all"],
        ["rev-list", "--date-order", "--all"],
        ["rev-list", "--count", f"{old}...HEAD"],
        ["merge-base", "--all", "HEAD", old],
        ["merge-base", "--is-ancestor", old, "HEAD"],
        ["log", "--all", "--format=%H %an %s"],
        ["log", "-n", "5000"],
        ["diff-tree", "-r", old, "HEAD"],
        ["diff-tree", "-r", "--numstat", "HEAD~200", "HEAD"],
        ["diff-tree", "--stdin", "-r"],
        ["diff-tree", "--stdin", "-r", "--numstat"],
    ]


# What `--stdin` rows read: commits without merges (git's diff-tree shows
# nothing for those without -m).
STDIN = {"-r": ["rev-list", "--no-merges", "-n", "20000", "HEAD"],
         "--numstat": ["rev-list", "--no-merges", "-n", "2000", "HEAD"]}


def gix_args(args, old):
    """gitoxide's command for a row, if it has one."""
    if args == ["rev-list", "HEAD"]:
        return ["revision", "list", "--long-hashes", "HEAD"]
    if args == ["merge-base", "--all", "HEAD", old]:
        return ["merge-base", "HEAD", old]
    if args == ["diff-tree", "-r", old, "HEAD"]:
        return ["diff", "tree", old, "HEAD"]
    return None


def pinned():
    """The taskset prefix HISTORY_CPUS asks for (none if unset)."""
    cpus = os.environ.get("HISTORY_CPUS")
    return ["taskset", "-c", f"0-{int(cpus) - 1}"] if cpus else []


def run_gix(gix, repo, args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(pinned() + [gix, "--repository", repo] + args, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done, wall, cpu


def gix_agrees(args, done, git_out):
    """Whether gix's answer is git's, as far as its format lets us tell."""
    if done.returncode != 0:
        return False
    if args[0] == "revision":
        return len(done.stdout.splitlines()) == len(git_out.splitlines())
    if args[0] == "merge-base":
        return set(done.stdout.split()) == set(git_out.split())
    return True


def run(program, repo, args, stdin=None):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(pinned() + [program, "-C", repo] + args, capture_output=True,
                          input=stdin)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done, wall, cpu


def main():
    argv = sys.argv[1:]
    gix = None
    if argv[:1] == ["--gix"]:
        gix, argv = argv[1], argv[2:]
    if len(argv) < 3:
        sys.exit(__doc__)
    repo, old, programs = argv[0], argv[1], argv[2:]
    work = tempfile.mkdtemp(prefix="history-bench-")
    try:
        states = {}
        for state in ["no graph", "graph"]:
            copy = os.path.join(work, state.replace(" ", "-") + ".git")
            subprocess.run(["git", "clone", "-q", "--bare", "--shared", repo, copy], check=True)
            subprocess.run(["git", "-C", copy, "config", "gc.auto", "0"], check=True)
            if state == "graph":
                subprocess.run(["git", "-C", copy, "commit-graph", "write", "--reachable",
                                "--changed-paths"], check=True, capture_output=True)
            states[state] = copy
        names = [os.path.basename(p) for p in programs]
        if gix:
            names.append("gix")
        print(f"| command | state | " + " | ".join(f"{n} wall / CPU" for n in names) + " |")
        print("|---|---|" + "---|" * len(names))
        only = os.environ.get("HISTORY_ROWS")
        for args in rows(old):
            if only and only not in args:
                continue
            stdin = None
            if "--stdin" in args:
                stdin = subprocess.run(["git", "-C", repo] + STDIN[args[-1]], check=True,
                                       capture_output=True).stdout
            for state, copy in states.items():
                first = None
                for p in programs:
                    done, _, _ = run(p, copy, args, stdin)
                    out = (done.returncode, done.stdout)
                    if first is None:
                        first = out
                    elif out != first:
                        sys.exit(f"{p} {' '.join(args)} ({state}): output differs from {programs[0]}'s")
                cells = []
                for p in programs:
                    walls, cpus = [], []
                    for _ in range(ROUNDS):
                        _, wall, cpu = run(p, copy, args, stdin)
                        walls.append(wall)
                        cpus.append(cpu)
                    cells.append(f"{statistics.median(walls):.3f} / {statistics.median(cpus):.3f} s")
                if gix:
                    g = gix_args(args, old)
                    if g is None:
                        cells.append("—")
                    else:
                        done, _, _ = run_gix(gix, copy, g)
                        if not gix_agrees(g, done, first[1]):
                            sys.exit(f"gix {' '.join(g)} ({state}): not git's answer")
                        walls, cpus = [], []
                        for _ in range(ROUNDS):
                            _, wall, cpu = run_gix(gix, copy, g)
                            walls.append(wall)
                            cpus.append(cpu)
                        cells.append(f"{statistics.median(walls):.3f} / {statistics.median(cpus):.3f} s")
                shown = " ".join(args)
                if stdin is not None:
                    shown += f" < {len(stdin.splitlines())} ids"
                print(f"| `{shown}` | {state} | " + " | ".join(cells) + " |", flush=True)
    finally:
        shutil.rmtree(work)


main()
