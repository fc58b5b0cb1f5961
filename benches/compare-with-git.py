#!/usr/bin/env python3
"""Runs the same work with git, packread and (if given) gitoxide's `gix` on
one repository, alternating runs, and prints median wall times, peak memory
(max RSS) and ratios as a markdown table. git's and packread's outputs are
compared once per row (an untimed run whose output is hashed with SHA-256 as
it comes, nothing written to disk: git.git's pack order writes 14 GB; the
timed runs write to /dev/null).

gitoxide's column comes from two programs: the `gix` CLI (`--gix`) for the
rows it has a command for (`gix free pack verify`; `gix odb stats`, which
reads every header; their outputs aren't comparable), and `benches/gix-peer`
(`--gix-peer`) for the `cat-file` rows: gitoxide's object database doing
what cat-file does, with cat-file's output, which is compared with git's.

Several gitoxide builds can be compared at once (say one inflating with
sirocco, one with zlib-rs): give each `--gix LABEL=PATH` and
`--gix-peer LABEL=PATH`; each label is a column.

usage: compare-with-git.py REPO [--runs N] [--packread PATH] [--git PATH] [--gix [LABEL=]PATH]...
                                [--gix-peer [LABEL=]PATH]... [--random N] [--cpus N]
                                [--rows pack,id,random,verify,headers,walk]
"""
import argparse
import atexit
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd, cwd, stdin_path, out_path):
    """Runs cmd; returns (seconds, max RSS in KiB, exit status, CPU seconds)."""
    with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as fin, open(out_path, "wb") as fout:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdin=fin, stdout=fout, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, LC_ALL="C"))
        _, status, usage = os.wait4(p.pid, 0)
        elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime


def digest(cmd, cwd, stdin_path):
    """Runs cmd untimed; returns (exit status, SHA-256 of its output). Read
    in chunks: a parent with a large RSS would hand its high-water mark to
    every child it forks (Linux), skewing max RSS."""
    h = hashlib.sha256()
    with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as fin:
        p = subprocess.Popen(cmd, cwd=cwd, stdin=fin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, LC_ALL="C"))
        for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
            h.update(chunk)
        p.stdout.close()
        return p.wait(), h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--packread", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "packread"))
    ap.add_argument("--git", default="git")
    ap.add_argument("--gix", action="append", default=[],
                    help="[LABEL=]PATH of gitoxide's gix binary, for the verify and header rows (repeatable)")
    ap.add_argument("--gix-peer", action="append", default=[],
                    help="[LABEL=]PATH of benches/gix-peer's binary, for the cat-file rows (repeatable)")
    ap.add_argument("--random", type=int, default=20000, help="objects in the random-access row")
    ap.add_argument("--packread-args", default="", help="global options for packread, e.g. '--window-size=1m'")
    ap.add_argument("--cpus", type=int, default=0,
                    help="pin every tool to this many CPUs with taskset (0: as the machine gives them)")
    ap.add_argument("--rows", default="pack,id,random,verify,headers,walk",
                    help="which rows to run, of: pack,id,random,verify,headers,walk (default: all)")
    args = ap.parse_args()
    repo = os.path.abspath(args.repo)
    pin = ["taskset", "-c", ",".join(str(c) for c in range(args.cpus))] if args.cpus else []
    pr = pin + [os.path.abspath(args.packread)] + args.packread_args.split()
    git = [args.git]

    tmp = tempfile.mkdtemp(prefix="packread-compare-")
    atexit.register(shutil.rmtree, tmp, True)
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

    objects_dir = os.path.join(repo, gitdir, "objects")
    # (title, git args, packread args, gix CLI args or None, gix-peer mode or None, stdin, compare outputs)
    rows = [
        ("every object's bytes, pack order (`--batch-all-objects --batch --unordered`)",
         ["cat-file", "--batch-all-objects", "--batch", "--unordered"],
         ["cat-file", "--batch-all-objects", "--batch", "--unordered"], None, "pack-order", None, True),
        ("every object's bytes, id order (`--batch-all-objects --batch`)",
         ["cat-file", "--batch-all-objects", "--batch"], ["cat-file", "--batch-all-objects", "--batch"],
         None, "id-order", None, True),
        ("%d random objects by id (`--batch` on stdin)" % args.random,
         ["cat-file", "--batch"], ["cat-file", "--batch"], None, "batch", random_input, True),
        ("verify the biggest pack (`index-pack --verify`, 2 threads / `verify-pack` / `gix free pack verify`)",
         ["-c", "pack.threads=2", "index-pack", "--verify", biggest[:-4] + ".pack"], ["verify-pack", biggest],
         ["free", "pack", "verify", biggest], None, None, False),
        ("all headers (`--batch-all-objects --batch-check` / `gix odb stats`)",
         ["cat-file", "--batch-all-objects", "--batch-check"], ["cat-file", "--batch-all-objects", "--batch-check"],
         ["odb", "stats"], None, None, True),
        ("every object's bytes, cheapest order (git: `--batch-all-objects --batch --unordered`; "
         "packread: `dump --stdout`, the same records, delta trees base first)",
         ["cat-file", "--batch-all-objects", "--batch", "--unordered"], ["dump", "--stdout"],
         None, None, None, False),
    ]
    keys = ["pack", "id", "random", "verify", "headers", "walk"]
    wanted = set(args.rows.split(","))
    if not wanted <= set(keys):
        sys.exit("--rows takes some of: %s" % ",".join(keys))
    rows = [row for key, row in zip(keys, rows) if key in wanted]
    print("repository: %s (%d objects, %d packs, biggest %.1f MB)" % (
        repo, len(ids), len(idxs), os.path.getsize(biggest[:-4] + ".pack") / 1e6), file=sys.stderr)
    def labelled(values):
        out = {}
        for v in values:
            label, _, path = v.rpartition("=")
            out[label or "gix"] = os.path.abspath(path)
        return out
    clis, peers = labelled(args.gix), labelled(args.gix_peer)
    labels = list(dict.fromkeys(list(clis) + list(peers)))
    head = ["work", "git"] + labels + ["packread", "packread / git"] + ["packread / %s" % l for l in labels]
    head.append("max RSS " + " / ".join(["git"] + labels + ["packread"]))
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for title, gargs, pargs, xargs, mode, stdin, compare in rows:
        tools = [("git", pin + git + gargs), ("packread", pr + pargs)]
        for label in labels:
            if label in clis and xargs:
                tools.append((label, pin + [clis[label]] + xargs))
            elif label in peers and mode:
                tools.append((label, pin + [peers[label], objects_dir, mode]))
        times = {name: [] for name, _ in tools}
        cpu = {name: [] for name, _ in tools}
        rss = {name: 0 for name, _ in tools}
        # One untimed run of each, its output hashed, to compare; the timed
        # runs write to /dev/null.
        outs = {}
        for name, cmd in tools:
            status, outs[name] = digest(cmd, repo, stdin)
            if status != 0:
                sys.exit("%s failed: %s" % (name, " ".join(cmd)))
        if compare and outs["git"] != outs["packread"]:
            sys.exit("outputs differ for: %s" % title)
        for label in labels:
            if mode and label in outs and label in peers and outs["git"] != outs[label]:
                sys.exit("gix-peer %s's output differs from git's for: %s" % (label, title))
        for i in range(args.runs):
            # Each tool in turn, the order rotated from run to run.
            k = i % len(tools)
            for name, cmd in tools[k:] + tools[:k]:
                t, m, code, c = run(cmd, repo, stdin, os.devnull)
                if code != 0:
                    sys.exit("%s failed (exit %d): %s" % (name, code, " ".join(cmd)))
                times[name].append(t)
                cpu[name].append(c)
                rss[name] = max(rss[name], m)
        med = {name: statistics.median(t) for name, t in times.items()}
        # Wall time with the CPU time beside it: "1.20 s (2.10 s CPU)".
        shown = {name: "%.2f s (%.2f s CPU)" % (med[name], statistics.median(cpu[name])) for name in med}
        mb = {name: "%d MB" % (m // 1024) for name, m in rss.items()}
        g, p = med["git"], med["packread"]
        cells = [title, shown["git"]] + [shown.get(l, "—") for l in labels]
        cells += [shown["packread"], "%.2f" % (p / g)]
        cells += ["%.2f" % (p / med[l]) if l in med else "—" for l in labels]
        cells.append(" / ".join([mb["git"]] + [mb.get(l, "—") for l in labels] + [mb["packread"]]))
        print("| " + " | ".join(cells) + " |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
