#!/usr/bin/env python3
"""One-shot latency: single-object commands, each a process of its own, as a
script that calls git (or packread) once per object runs them. Runs every
command with each program in turn, 21 rounds, and prints the median wall
time; every program's output is compared with the first's once.

usage: one-shot.py REPO PROGRAM...   (e.g. git target/release/packread)
The repository needs a README.md at HEAD and 100 commits of history.
"""
import os
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    repo, programs = sys.argv[1], sys.argv[2:]
    rev = lambda spec: subprocess.check_output(["git", "-C", repo, "rev-parse", spec]).decode().strip()
    commands = [
        ["cat-file", "-t", rev("HEAD")],
        ["cat-file", "-s", rev("HEAD")],
        ["cat-file", "-p", rev("HEAD:README.md")],
        ["ls-tree", "HEAD"],
        ["rev-parse", "HEAD~100"],
    ]
    for c in commands:
        outs = {p: subprocess.run([p, "-C", repo] + c, capture_output=True).stdout for p in programs}
        for p in programs[1:]:
            if outs[p] != outs[programs[0]]:
                sys.exit(f"{p} {' '.join(c)}: output differs from {programs[0]}'s")
    times = {}
    for _ in range(21):
        for p in programs:
            for c in commands:
                start = time.perf_counter()
                subprocess.run([p, "-C", repo] + c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times.setdefault((p, c[0] + " " + c[1]), []).append(time.perf_counter() - start)
    print("| command | " + " | ".join(os.path.basename(p) for p in programs) + " |")
    print("|---|" + "---|" * len(programs))
    for c in commands:
        key = c[0] + " " + c[1]
        row = " | ".join(f"{statistics.median(times[(p, key)]) * 1000:.1f} ms" for p in programs)
        print(f"| `{key}` | {row} |")


main()
