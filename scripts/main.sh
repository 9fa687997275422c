#!/usr/bin/env bash
# Sets up, builds, and runs the main job: `headcount reproduce`, the Count01
# paper study (arXiv 2502.06923) and the Max-of-List head study end to end,
# on models headcount trains itself (quick default, about 1.5 minutes on 2
# cores). Results land in runs/reproduce/ (REPRODUCTION.md, summary.json,
# CSV tables, report.html). Pass --full for more seeds and the full recipes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
./build/headcount reproduce --out runs/reproduce --jobs "$jobs" "$@"
