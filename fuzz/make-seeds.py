#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from a repository git made.

usage: make-seeds.py REPO CORPUS_DIR

Seeds: every index (index), index + pack pairs (pack), small packs as entry
bodies with their offsets (entry), deltas with their whole-object bases
(delta), loose objects raw and inflated (loose), multi-pack-indices (midx).
"""
import os
import struct
import sys
import zlib


def entries(pack):
    """(offset, type, data offset, end, inflated data, base offset or None) of every entry."""
    count = struct.unpack(">I", pack[8:12])[0]
    pos, out = 12, []
    for _ in range(count):
        start = pos
        c = pack[pos]
        pos += 1
        kind = (c >> 4) & 7
        while c & 0x80:
            c = pack[pos]
            pos += 1
        base = None
        if kind == 6:
            c = pack[pos]
            pos += 1
            rel = c & 0x7F
            while c & 0x80:
                c = pack[pos]
                pos += 1
                rel = ((rel + 1) << 7) | (c & 0x7F)
            base = start - rel
        elif kind == 7:
            pos += 20
        z = zlib.decompressobj()
        data = z.decompress(pack[pos:])
        end = len(pack) - len(z.unused_data)
        out.append((start, kind, pos, end, data, base))
        pos = end
    return out


def main():
    repo, corpus = sys.argv[1], sys.argv[2]
    dirs = {t: os.path.join(corpus, t) for t in ("index", "pack", "entry", "delta", "loose", "midx")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    n = 0
    for root, _, files in os.walk(repo):
        for f in sorted(files):
            path = os.path.join(root, f)
            if f == "multi-pack-index":
                n += 1
                open(os.path.join(dirs["midx"], "midx-%d" % n), "wb").write(open(path, "rb").read())
            if f.endswith(".idx"):
                idx = open(path, "rb").read()
                pack = open(path[:-4] + ".pack", "rb").read()
                n += 1
                open(os.path.join(dirs["index"], "idx-%d" % n), "wb").write(idx)
                if len(pack) + len(idx) < 200_000:
                    open(os.path.join(dirs["pack"], "pair-%d" % n), "wb").write(
                        struct.pack("<I", len(idx)) + idx + pack)
                ents = entries(pack)
                # Runs of up to 8 neighbouring entries as entry bodies.
                for k in range(0, len(ents), 8):
                    run = ents[k:k + 8]
                    first, last = run[0][0], run[-1][3]
                    if last - first > 60_000:
                        continue
                    heads = b"".join(struct.pack("<H", e[0] - first) for e in run)
                    open(os.path.join(dirs["entry"], "run-%d-%d" % (n, k)), "wb").write(
                        bytes([len(run) - 1]) + heads + pack[first:last])
                by_offset = {e[0]: e for e in ents}
                for e in ents:
                    b = by_offset.get(e[5]) if e[5] is not None else None
                    if b and b[1] in (1, 2, 3, 4) and len(b[4]) < 65536:
                        open(os.path.join(dirs["delta"], "delta-%d-%d" % (n, e[0])), "wb").write(
                            struct.pack("<H", len(b[4])) + b[4] + e[4])
            elif len(f) == 38 and len(os.path.basename(root)) == 2:
                raw = open(path, "rb").read()
                open(os.path.join(dirs["loose"], "raw-" + f[:8]), "wb").write(b"\x01" + raw)
                open(os.path.join(dirs["loose"], "inflated-" + f[:8]), "wb").write(
                    b"\x00" + zlib.decompress(raw))


if __name__ == "__main__":
    main()
