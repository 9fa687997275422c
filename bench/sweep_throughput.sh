#!/usr/bin/env bash
# Sweep throughput: Count01 models at the paper's main configuration
# (D 32, H 16, E 2), each trained until held-out answer and EOS accuracy reach
# 99%, run with --jobs 2. Prints models per minute.
#   bench/sweep_throughput.sh [MODELS=60] [JOBS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
models=${1:-60}
jobs=${2:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/spec.json" <<SPEC
{"task": "count01", "d-model": 32, "heads": 16, "target-accuracy": 0.99, "eval-every": 25, "seeds": $models}
SPEC
start=$(date +%s.%N)
./build/headcount sweep "$tmp/spec.json" --out "$tmp/out" --jobs "$jobs" --quiet > "$tmp/log.txt"
end=$(date +%s.%N)
ok=$(awk -F, 'NR > 1 && $3 == "ok" {n++} END {print n + 0}' "$tmp/out/results.csv")
reached=$(awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "reached_target") c = i} NR > 1 && $c == 1 {n++} END {print n + 0}' "$tmp/out/results.csv")
awk -v s="$start" -v e="$end" -v n="$models" -v ok="$ok" -v r="$reached" -v j="$jobs" 'BEGIN {
  printf "%d models (%d ok, %d reached 99%%) in %.1f s with --jobs %d: %.0f models per minute\n", n, ok, r, e - s, j, n / (e - s) * 60 }'
