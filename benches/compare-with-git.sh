#!/usr/bin/env bash
# Compares packread with git on REPO (the rows of the benchmark table):
# builds packread in release mode, then runs benches/compare-with-git.py.
# usage: benches/compare-with-git.sh REPO [--runs N] [--random N] [--gix PATH] [--gix-peer PATH]
#                                     [--packread-args '...']
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { sed -n 2,5p "$0" >&2; exit 2; }
cargo build --release -q -p packread --manifest-path "$here/../Cargo.toml"
exec python3 "$here/compare-with-git.py" "$@"
