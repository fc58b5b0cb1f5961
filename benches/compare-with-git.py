#!/usr/bin/env python3
"""Runs the same work with git and packread on one repository, alternating
runs, and prints median wall times, peak memory (max RSS) and ratios as a
markdown table. Outputs are compared byte for byte once per row.

usage: compare-with-git.py REPO [--runs N] [--packread PATH] [--git PATH] [--random N]
"""
import argparse
import filecmp
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd, cwd, stdin_path, out_path):
    """Runs cmd; returns (seconds, max RSS in KiB, exit status)."""
    with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as fin, open(out_path, "wb") as fout:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdin=fin, stdout=fout, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, LC_ALL="C"))
        _, status, usage = os.wait4(p.pid, 0)
        elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--packread", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "packread"))
    ap.add_argument("--git", default="git")
    ap.add_argument("--random", type=int, default=20000, help="objects in the random-access row")
    ap.add_argument("--packread-args", default="", help="global options for packread, e.g. '--window-size=1m'")
    args = ap.parse_args()
    repo = os.path.abspath(args.repo)
    pr = [os.path.abspath(args.packread)] + args.packread_args.split()
    git = [args.git]

    tmp = tempfile.mkdtemp(prefix="packread-compare-")
    ids = subprocess.run(git + ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"], cwd=repo,
                         check=True, capture_output=True).stdout.split()
    rng = random.Random(42)
    sample = [rng.choice(ids) for _ in range(args.random)]
    random_input = os.path.join(tmp, "random.txt")
    with open(random_input, "wb") as f:
        f.write(b"\n".join(sample) + b"\n")
    gitdir = subprocess.run(git + ["rev-parse", "--git-dir"], cwd=repo, check=True, capture_output=True,
                            text=True).stdout.strip()
    packs_dir = os.path.join(repo, gitdir, "objects", "pack")
    idxs = sorted(os.path.join(packs_dir, f) for f in os.listdir(packs_dir) if f.endswith(".idx"))
    biggest = max(idxs, key=lambda p: os.path.getsize(p[:-4] + ".pack"))

    rows = [
        ("every object's bytes, pack order (`--batch-all-objects --batch --unordered`)",
         ["cat-file", "--batch-all-objects", "--batch", "--unordered"], ["cat-file", "--batch-all-objects", "--batch", "--unordered"], None, True),
        ("every object's bytes, id order (`--batch-all-objects --batch`)",
         ["cat-file", "--batch-all-objects", "--batch"], ["cat-file", "--batch-all-objects", "--batch"], None, True),
        ("%d random objects by id (`--batch` on stdin)" % args.random,
         ["cat-file", "--batch"], ["cat-file", "--batch"], random_input, True),
        ("verify the biggest pack (`index-pack --verify`, 2 threads / `verify-pack`)",
         ["-c", "pack.threads=2", "index-pack", "--verify", biggest[:-4] + ".pack"], ["verify-pack", biggest], None, False),
        ("all headers (`--batch-all-objects --batch-check`)",
         ["cat-file", "--batch-all-objects", "--batch-check"], ["cat-file", "--batch-all-objects", "--batch-check"], None, True),
    ]
    print("repository: %s (%d objects, %d packs, biggest %.1f MB)" % (
        repo, len(ids), len(idxs), os.path.getsize(biggest[:-4] + ".pack") / 1e6), file=sys.stderr)
    print("| work | git | packread | packread / git | git max RSS | packread max RSS |")
    print("|---|---|---|---|---|---|")
    for title, gargs, pargs, stdin, compare in rows:
        times = {"git": [], "packread": []}
        rss = {"git": 0, "packread": 0}
        outs = {"git": os.path.join(tmp, "git.out"), "packread": os.path.join(tmp, "packread.out")}
        for i in range(args.runs):
            order = [("git", git + gargs), ("packread", pr + pargs)]
            if i % 2:
                order.reverse()
            for name, cmd in order:
                t, m, code = run(cmd, repo, stdin, outs[name])
                if code != 0:
                    sys.exit("%s failed (exit %d): %s" % (name, code, " ".join(cmd)))
                times[name].append(t)
                rss[name] = max(rss[name], m)
        # Compared in chunks: a parent with a large RSS would hand its
        # high-water mark to every child it forks (Linux), skewing max RSS.
        if compare and not filecmp.cmp(outs["git"], outs["packread"], shallow=False):
            sys.exit("outputs differ for: %s" % title)
        g, p = statistics.median(times["git"]), statistics.median(times["packread"])
        print("| %s | %.2f s | %.2f s | %.2f | %d MB | %d MB |" % (title, g, p, p / g, rss["git"] // 1024, rss["packread"] // 1024))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
