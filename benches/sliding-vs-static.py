#!/usr/bin/env python3
"""What sliding windows cost against whole-file maps, through the CLI: every
object's bytes in pack order (`cat-file --batch-all-objects --batch
--unordered`, both cores) with whole-file maps (`--static`) and with windows
of 1 MiB and 64 KiB under a mapped-memory limit of a quarter (and, for 64 KiB,
a sixteenth) of the biggest pack. Runs alternate; prints the median wall and
CPU time of each configuration and its ratio to whole-file maps as a markdown
table and a chart. The timed runs write to /dev/null; one run of each before
them is hashed (SHA-256, nothing written to disk): the outputs must be the
same.

With `--limit N` (bytes, or with k/m/g), the 1 MiB and 64 KiB windows run
under that limit instead (the issue's case: 64m), and the sixteenth is left
out.

usage: sliding-vs-static.py REPO [--runs N] [--packread PATH] [--limit N]
"""
import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time


def digest(cmd, cwd):
    """Runs cmd untimed; returns (exit status, SHA-256 of its output)."""
    h = hashlib.sha256()
    with open(os.devnull, "rb") as fin:
        p = subprocess.Popen(cmd, cwd=cwd, stdin=fin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
            h.update(chunk)
        p.stdout.close()
        return p.wait(), h.hexdigest()


def run(cmd, cwd, out_path=os.devnull):
    """Runs cmd; returns (wall seconds, CPU seconds, exit status)."""
    with open(os.devnull, "rb") as fin, open(out_path, "wb") as fout:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdin=fin, stdout=fout, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--packread", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "packread"))
    ap.add_argument("--limit", default=None, help="mapped-memory limit for the windowed runs, e.g. 64m")
    args = ap.parse_args()
    repo = os.path.abspath(args.repo)
    pr = os.path.abspath(args.packread)
    gitdir = subprocess.run(["git", "rev-parse", "--git-dir"], cwd=repo, check=True, capture_output=True,
                            text=True).stdout.strip()
    packs_dir = os.path.join(repo, gitdir, "objects", "pack")
    packs = [os.path.join(packs_dir, f) for f in os.listdir(packs_dir) if f.endswith(".pack")]
    biggest = max(os.path.getsize(p) for p in packs)
    quarter, sixteenth = biggest // 4, biggest // 16

    def mib(n):
        return "%.1f MiB" % (n / 2**20)

    if args.limit:
        units = {"k": 2**10, "m": 2**20, "g": 2**30}
        t = args.limit.lower()
        limit = int(t[:-1]) * units[t[-1]] if t[-1] in units else int(t)
        configs = [
            ("whole file (`--static`)", "—", ["--static"]),
            ("1 MiB", mib(limit), ["--window-size=1m", "--memory-limit=%d" % limit]),
            ("64 KiB", mib(limit), ["--window-size=64k", "--memory-limit=%d" % limit]),
        ]
    else:
        configs = None
    configs = configs or [
        ("whole file (`--static`)", "—", ["--static"]),
        ("1 MiB", "%s (¼ of the pack)" % mib(quarter), ["--window-size=1m", "--memory-limit=%d" % quarter]),
        ("64 KiB", "%s (¼ of the pack)" % mib(quarter), ["--window-size=64k", "--memory-limit=%d" % quarter]),
        ("64 KiB", "%s (1/16 of the pack)" % mib(sixteenth),
         ["--window-size=64k", "--memory-limit=%d" % sixteenth]),
    ]
    work = ["cat-file", "--batch-all-objects", "--batch", "--unordered"]
    walls = [[] for _ in configs]
    cpus = [[] for _ in configs]
    print("repository: %s (biggest pack %.1f MB), %d runs each" % (repo, biggest / 1e6, args.runs),
          file=sys.stderr)
    first = None
    for i, (_, _, opts) in enumerate(configs):
        status, out = digest([pr] + opts + work, repo)
        if status != 0:
            sys.exit("packread %s failed" % " ".join(opts))
        if first is None:
            first = out
        elif out != first:
            sys.exit("outputs differ: %s" % " ".join(opts))
    for _ in range(args.runs):
        for i, (_, _, opts) in enumerate(configs):
            wall, cpu, status = run([pr] + opts + work, repo)
            if status != 0:
                sys.exit("packread %s failed (exit %d)" % (" ".join(opts), status))
            walls[i].append(wall)
            cpus[i].append(cpu)
    wall = [statistics.median(w) for w in walls]
    cpu = [statistics.median(c) for c in cpus]
    print("| windows | mapped-memory limit | wall | vs whole-file | CPU | vs whole-file |")
    print("|---|---|---|---|---|---|")
    for i, (name, limit, _) in enumerate(configs):
        print("| %s | %s | %.0f ms | %.2f | %.0f ms | %.2f |" % (
            name, limit, wall[i] * 1e3, wall[i] / wall[0], cpu[i] * 1e3, cpu[i] / cpu[0]))
    print()
    print("```text")
    top = max(wall)
    for i, (name, limit, _) in enumerate(configs):
        label = name if i == 0 else "%s, limit %s" % (name, limit.split(" (")[0])
        bar = "█" * max(1, round(40 * wall[i] / top))
        print("%-26s %-40s %5.0f ms  (%.2f×)" % (label[:26], bar, wall[i] * 1e3, wall[i] / wall[0]))
    print("```")


if __name__ == "__main__":
    main()
