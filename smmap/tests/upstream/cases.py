#!/usr/bin/env python3
"""Random operation sequences run against upstream smmap (the Python package,
5.0.3), with upstream's answers, for smmap's differential test
(tests/test_upstream.rs replays them against the Rust port).

usage: cases.py --seed N --cases N --dir DIR --out FILE

Each case makes files of chosen sizes in DIR (their content does not matter
for placement), a manager (sliding or static; window size, memory limit,
handle limit) and cursors, and runs operations on them: cursors placed at
offsets inside, at and past the end of a file with sizes 0, small, and
larger than the file or the window; cursors let go of and dropped; collect.
After every operation it records what upstream answered and the manager's
counts.

Output, one record a line:
    case <sliding|static> <window> <max_memory> <max_handles>
    file <size>
    cursor <file>                         (a new cursor, numbered from 0)
    use <cursor> <offset> <size> -> ok <valid> <reg_ofs> <reg_size> <cur_ofs> <cur_size>
    use <cursor> <offset> <size> -> err
    unuse <cursor> | drop <cursor> | collect -> <n>
    state <num_file_handles> <mapped_memory_size> <num_open_files> <evicted>
    end
`evicted` counts the windows upstream unloaded during the operation (an
eviction: upstream's choice of window and its reserve differ from the
port's on purpose, see D1 in README.md).

Operations that would hit upstream defect D3 (dropping a cursor of a file
with no mapped region while another cursor of that file lives orphans the
file's region list) are made `unuse` instead: the port has no such defect,
and upstream's answers after it are not upstream's intended behaviour.
"""

import argparse
import os
import random
import sys

import smmap
from smmap import SlidingWindowMapManager, StaticWindowMapManager

WINDOWS = [4096, 5000, 8192, 16384, 65536, 79198, 80051]


def pick_size(rng, window):
    r = rng.random()
    if r < 0.1:
        return 0
    if r < 0.4:
        return rng.randint(1, window)
    if r < 0.8:
        return rng.randint(window, 10 * window)
    return rng.choice([4096, 8192, window, 2 * window, 3 * window + 1, 68342])


def pick_request(rng, fsize, window):
    """An (offset, size) pair for use_region."""
    r = rng.random()
    span = max(fsize, 1)
    if r < 0.5:
        offset = rng.randrange(0, span + window // 2 + 1)
    elif r < 0.7:
        g = 4096 * rng.randrange(0, span // 4096 + 2)
        offset = max(0, g + rng.choice([-1, 0, 1, 5]))
    elif r < 0.85:
        offset = max(0, fsize + rng.choice([-1, 0, 1, -100]))
    else:
        offset = rng.randrange(0, span)
    s = rng.random()
    if s < 0.3:
        size = 0
    elif s < 0.6:
        size = rng.randint(1, max(1, window))
    elif s < 0.8:
        size = rng.randint(1, 64)
    else:
        size = rng.choice([fsize + 1, 2 * window, 10 ** 7])
    return offset, size


def regions(man):
    """Every region the manager holds (the list keeps them alive, so no id
    is reused while it lives)."""
    return [r for rlist in man._fdict.values() for r in rlist]


def counts(man):
    return man.num_file_handles(), man.mapped_memory_size(), man.num_open_files()


def run_case(rng, dirpath, index, out):
    static = rng.random() < 0.2
    window = 0 if static else rng.choice(WINDOWS)
    w = window or rng.choice(WINDOWS)
    sizes = [pick_size(rng, w) for _ in range(rng.randint(1, 4))]
    pressure = rng.random() < 0.5
    max_memory = rng.randint(1, 6) * w if pressure else 1 << 40
    # The static manager ignores the handle limit upstream (D8): none there.
    max_handles = rng.randint(1, 4) if (not static and rng.random() < 0.2) else 0
    out.append("case %s %d %d %d" % ("static" if static else "sliding", window, max_memory, max_handles))
    paths = []
    for i, size in enumerate(sizes):
        path = os.path.join(dirpath, "c%d-f%d" % (index, i))
        with open(path, "wb") as f:
            f.write(b"\x5a" * size)
        paths.append(path)
        out.append("file %d" % size)
    if static:
        man = StaticWindowMapManager(0, max_memory, sys.maxsize)
    else:
        man = SlidingWindowMapManager(window, max_memory, max_handles or sys.maxsize)
    cursors = []  # (file index, cursor or None once dropped)
    for _ in range(rng.randint(10, 120)):
        live = [i for i, (_, c) in enumerate(cursors) if c is not None]
        r = rng.random()
        before = regions(man)
        if not live or (r < 0.12 and len(live) < 6):
            fi = rng.randrange(len(paths))
            cursors.append((fi, man.make_cursor(paths[fi])))
            out.append("cursor %d" % fi)
        elif r < 0.75:
            ci = rng.choice(live)
            fi, c = cursors[ci]
            offset, size = pick_request(rng, sizes[fi], w)
            try:
                c.use_region(offset, size)
            except Exception:
                out.append("use %d %d %d -> err" % (ci, offset, size))
            else:
                if c.is_valid():
                    reg = c.region()
                    out.append("use %d %d %d -> ok 1 %d %d %d %d" % (
                        ci, offset, size, reg.ofs_begin(), reg.size(), c.ofs_begin(), c.size()))
                else:
                    out.append("use %d %d %d -> ok 0 0 0 0 0" % (ci, offset, size))
        elif r < 0.85:
            ci = rng.choice(live)
            cursors[ci][1].unuse_region()
            out.append("unuse %d" % ci)
        elif r < 0.95:
            ci = rng.choice(live)
            fi, c = cursors[ci]
            same_file = [j for j in live if j != ci and cursors[j][0] == fi]
            if c._rlist is not None and len(c._rlist) == 0 and same_file:
                c.unuse_region()  # dropping it would hit D3
                out.append("unuse %d" % ci)
            else:
                c._destroy()
                cursors[ci] = (fi, None)
                del c
                out.append("drop %d" % ci)
        else:
            n = man.collect()
            out.append("collect -> %d" % n)
        after = counts(man)
        left = set(map(id, regions(man)))
        evicted = 0
        if not out[-1].startswith("collect"):
            evicted = sum(1 for r in before if id(r) not in left)
        out.append("state %d %d %d %d" % (after[0], after[1], after[2], evicted))
    for _, c in cursors:
        if c is not None:
            c._destroy()
    out.append("end")
    for p in paths:
        os.remove(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--cases", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if smmap.__version__ != "5.0.3":
        sys.exit("upstream smmap 5.0.3 is needed, found %s" % smmap.__version__)
    rng = random.Random(args.seed)
    out = []
    for i in range(args.cases):
        run_case(rng, args.dir, i, out)
    with open(args.out, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
