#!/usr/bin/env bash
# Repacks a copy of a repository in a loop (`repack -a -d`, with
# `--max-pack-size`, with `--write-midx`, `gc --prune=now`) while readers
# answer the same ids again and again: `cat-file --batch-check` runs of git
# and of packread (default limits, tiny windows with 3 handles, with 1), and
# long-lived `cat-file --batch` processes that read every id five times with
# pauses. Each run's output is compared with git's answer before the loop.
#
# usage: repack-under-readers.sh REPO [SECONDS=60] [PACKREAD=target/release/packread] [IDS=4000]
# Exits 1 if any packread run failed; git's failures are reported beside.
set -u
repo=$1; secs=${2:-60}; packread=${3:-target/release/packread}; want=${4:-4000}
packread=$(realpath "$packread")
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
# A copy (a clone would fail on a partial clone's absent objects).
src=$(git -C "$repo" rev-parse --absolute-git-dir) || exit 2
cp -a "$src" "$work/repo.git" || exit 2
r=$work/repo.git
git -C "$r" config gc.auto 0
# Reachable objects only: `gc --prune=now` keeps every one of them.
git -C "$r" rev-list --objects --all --missing=allow-promisor | cut -d' ' -f1 |
  shuf -n "$want" --random-source=<(yes) > "$work/ids"
git -C "$r" cat-file --batch-check < "$work/ids" > "$work/check.expected"
for _ in 1 2 3 4 5; do cat "$work/ids"; done > "$work/ids5"
git -C "$r" cat-file --batch < "$work/ids5" > "$work/batch.expected"

tight="--window-size=4096 --memory-limit=65536"
readers=(
  "git|git -C $r cat-file"
  "packread|$packread -C $r cat-file"
  "packread-3-handles|$packread -C $r $tight --handle-limit=3 cat-file"
  "packread-1-handle|$packread -C $r $tight --handle-limit=1 cat-file"
)
end=$(( $(date +%s) + secs ))
( n=0; while [ "$(date +%s)" -lt $end ]; do
    git -C "$r" repack -a -d -q
    git -C "$r" repack -a -d -q --max-pack-size=1m 2>/dev/null
    git -C "$r" repack -a -d -q --write-midx
    git -C "$r" gc -q --prune=now
    n=$((n + 4))
  done; echo "$n" > "$work/repacks" ) &

# One reader: batch-check runs until the end, then counts.
check_loop() {
  local name=$1 cmd=$2 runs=0 fails=0
  while [ "$(date +%s)" -lt $end ]; do
    $cmd --batch-check < "$work/ids" > "$work/$name.out" 2> "$work/$name.err"
    code=$?; runs=$((runs + 1))
    if [ $code -ne 0 ] || ! cmp -s "$work/$name.out" "$work/check.expected"; then
      fails=$((fails + 1))
      echo "FAIL $name: exit $code, $(diff "$work/$name.out" "$work/check.expected" | grep -c '^>') answers wrong: $(head -c 200 "$work/$name.err")" >&2
    fi
  done
  echo "$name batch-check runs $runs failures $fails" > "$work/$name.result"
}
# One long-lived `--batch`: every id five times, pausing between rounds.
batch_loop() {
  local name=$1 cmd=$2 runs=0 fails=0
  while [ "$(date +%s)" -lt $end ]; do
    ( for _ in 1 2 3 4 5; do cat "$work/ids"; sleep 0.5; done ) | $cmd --batch > "$work/$name.bout" 2> "$work/$name.berr"
    code=$?; runs=$((runs + 1))
    if [ $code -ne 0 ] || ! cmp -s "$work/$name.bout" "$work/batch.expected"; then
      fails=$((fails + 1)); echo "FAIL $name --batch: exit $code: $(head -c 200 "$work/$name.berr")" >&2
    fi
  done
  echo "$name long-lived-batch runs $runs failures $fails" > "$work/$name.bresult"
}
for entry in "${readers[@]}"; do
  check_loop "${entry%%|*}" "${entry#*|}" &
  batch_loop "${entry%%|*}" "${entry#*|}" &
done
wait
echo "repacks: $(cat "$work/repacks")"
cat "$work"/*.result "$work"/*.bresult
! grep -h packread "$work"/*.result "$work"/*.bresult | grep -qv 'failures 0$'
