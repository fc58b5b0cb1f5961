#!/usr/bin/env bash
# Builds seed corpora from small repositories made with git (OFS and REF
# deltas, index v1 and v2, loose objects: fixtures/lib.sh's generators),
# then runs every fuzz target for SECONDS each (default 60), JOBS at a time
# (default: the number of cores), and prints the executions each ran.
# Crashes land in fuzz/artifacts/<target>/.
#
# usage: fuzz/run.sh [SECONDS] [TARGET...]
# needs: a nightly toolchain and cargo-fuzz (cargo install cargo-fuzz)
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(index entry delta loose pack midx)
jobs=${JOBS:-$(nproc)}

seeds="$here/seeds"
if [ ! -d "$seeds" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (
    cd "$work"
    # shellcheck source=../fixtures/lib.sh
    source "$here/../fixtures/lib.sh"
    git init -q repo && cd repo
    # Small files only: seeds stay small, so the fuzzer stays fast.
    for f in 1 2 3; do gen_text "$f" 30 > "file$f.txt"; done
    git add -A && git -c user.name=f -c user.email=f@f commit -qm initial
    for r in 1 2 3 4 5 6; do
      f=$(( r % 3 + 1 ))
      { head -n $(( 5 + r )) "file$f.txt"; gen_text $(( r * 7 )) 2; tail -n +$(( 8 + r )) "file$f.txt"; } > tmp
      mv tmp "file$f.txt"
      git add -A && git -c user.name=f -c user.email=f@f commit -qm "round $r"
    done
    git repack -adq --depth=5
    # A multi-pack-index over two packs, for the midx target's seeds.
    (cd .. && git clone -q --bare repo midx.git && cd midx.git &&
      git rev-list --objects HEAD~3 | cut -d' ' -f1 | git pack-objects -q objects/pack/pack >/dev/null &&
      git multi-pack-index write)
    git clone -q --bare . ../ref.git && cd ../ref.git
    git -c repack.useDeltaBaseOffset=false repack -adfq
    mkdir ../v1 && cp objects/pack/*.pack ../v1/pack-v1.pack
    git index-pack --index-version=1 -o ../v1/pack-v1.idx ../v1/pack-v1.pack >/dev/null
    cd ../repo
    for i in 1 2 3; do echo "loose $i" > "l$i"; git add "l$i"; done
    git -c user.name=f -c user.email=f@f commit -qm loose
  )
  python3 "$here/make-seeds.py" "$work" "$seeds.tmp"
  mv "$seeds.tmp" "$seeds"
fi

cd "$here"
cargo +nightly fuzz build -O "${targets[@]/#/}" >/dev/null 2>&1 || cargo +nightly fuzz build -O
run_one() {
  local t=$1
  mkdir -p "corpus/$t"
  cargo +nightly fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 \
    >"logs/$t.log" 2>&1 || { echo "$t: FAILED (see fuzz/logs/$t.log)"; return 1; }
  echo "$t: $(grep -m1 'stat::number_of_executed_units' "logs/$t.log" | awk '{print $2}') executions in ${secs}s, no crash"
}
mkdir -p logs
status=0
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
