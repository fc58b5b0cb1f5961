#!/usr/bin/env python3
"""packread.Odb read from Python threads: random objects by id.

Samples N ids of the repository (`git cat-file --batch-all-objects
--batch-check`, seed 42, as compare-with-git.py samples them), then reads
them through one packread.Odb from a ThreadPoolExecutor of each given size,
in chunks of 256, a fresh Odb per run, runs interleaved; prints the median
and best wall time and the bytes read (the same for every size).

usage: odb_threads.py <repository> [--random N] [--runs R] [--threads 1,2]

Run it from the venv that has packread installed (`bash .ci/run` makes one
in target/ci-venv). The repository is only read.
"""

import argparse
import random
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import packread


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repository")
    ap.add_argument("--random", type=int, default=20000, help="objects read per run")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", default="1,2", help="pool sizes, comma-separated")
    args = ap.parse_args()
    listing = subprocess.run(
        ["git", "-C", args.repository, "cat-file", "--batch-all-objects", "--batch-check"],
        check=True, capture_output=True).stdout.decode()
    ids = [line.split()[0] for line in listing.splitlines()]
    rng = random.Random(42)
    sample = [rng.choice(ids) for _ in range(args.random)]
    chunks = [sample[i:i + 256] for i in range(0, len(sample), 256)]
    sizes = [int(t) for t in args.threads.split(",")]
    times = {t: [] for t in sizes}
    read = {}
    for _ in range(args.runs):
        for threads in sizes:
            with packread.Odb(args.repository) as odb:
                def work(chunk, odb=odb):
                    return sum(len(odb.read_data(oid)[1]) for oid in chunk)
                start = time.perf_counter()
                with ThreadPoolExecutor(threads) as pool:
                    read[threads] = sum(pool.map(work, chunks))
                times[threads].append(time.perf_counter() - start)
    if len(set(read.values())) != 1:
        raise SystemExit(f"the pool sizes read different bytes: {read}")
    print(f"{args.repository}: {args.random} random objects, {next(iter(read.values()))} bytes")
    for threads in sizes:
        t = times[threads]
        print(f"  {threads} thread(s): median {statistics.median(t):.3f} s, best {min(t):.3f} s")


if __name__ == "__main__":
    main()
