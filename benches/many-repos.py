#!/usr/bin/env python3
"""Many repositories, one object each: N hard-linked copies of REPO's git
directory (cheap: the files are shared), then one `cat-file -t HEAD` process
per copy with each program, and, with --python, packread.Odb opened on each
copy and one object read (in the process running this script). Prints the
total wall time of each, and checks the answers against git's.

usage: many-repos.py REPO N PROGRAM... [--python]
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time


def main():
    args = [a for a in sys.argv[1:] if a != "--python"]
    if len(args) < 3:
        sys.exit(__doc__)
    repo, n, programs = args[0], int(args[1]), args[2:]
    head = subprocess.check_output(["git", "-C", repo, "rev-parse", "HEAD"]).decode().strip()
    scratch = tempfile.mkdtemp(prefix="many-repos-")
    try:
        copies = []
        for i in range(n):
            dst = os.path.join(scratch, f"r{i}.git")
            subprocess.run(["cp", "-al", repo, dst], check=True)
            copies.append(dst)
        print(f"| {n} repositories, one `cat-file -t` each | total |")
        print("|---|---|")
        for p in programs:
            start = time.perf_counter()
            for c in copies:
                out = subprocess.run([p, "-C", c, "cat-file", "-t", head], capture_output=True).stdout
                if out != b"commit\n":
                    sys.exit(f"{p} in {c}: {out!r}")
            print(f"| {os.path.basename(p)} | {time.perf_counter() - start:.2f} s |")
        if "--python" in sys.argv:
            import packread

            start = time.perf_counter()
            for c in copies:
                if packread.Odb(c).read(head).type != "commit":
                    sys.exit(f"packread.Odb({c}): not a commit")
            print(f"| packread.Odb + read, in one Python process | {time.perf_counter() - start:.2f} s |")
    finally:
        shutil.rmtree(scratch)


main()
