#!/usr/bin/env bash
# Wall time for `headcount train` to reach the accuracy targets, over several
# seeds; prints each run and the median.
#   bench/time_to_accuracy.sh [SEEDS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-5}
bin=./build/headcount
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() {  # name, args...
  local name=$1; shift
  local times=()
  for s in $(seq 1 "$seeds"); do
    local start end
    start=$(date +%s.%N)
    "$bin" train "$@" --seed "$s" --quiet --json --out "$tmp/$name-$s" > "$tmp/$name-$s.json"
    end=$(date +%s.%N)
    local t acc steps
    t=$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')
    acc=$(grep '"accuracy"' "$tmp/$name-$s.json" | head -1 | tr -dc '0-9.')
    steps=$(grep '"steps"' "$tmp/$name-$s.json" | tr -dc '0-9')
    printf '%-28s seed %d: %6.2f s  %5d steps  accuracy %s\n' "$name" "$s" "$t" "$steps" "$acc"
    times+=("$t")
  done
  printf '%-28s median %.2f s over %d seeds\n' "$name" \
    "$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')" "$seeds"
}

measure max-of-list-to-99.5 --task max-of-list --target-accuracy 0.995 --eval-every 50
measure count01-to-99 --task count01 --d-model 32 --heads 16 --target-accuracy 0.99 --eval-every 25
