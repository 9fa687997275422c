#!/usr/bin/env bash
# Sets up, builds, trains the Max-of-List reference model (puzzle 1a recipe)
# and evaluates it on its held-out split.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=runs/max-of-list-reference
./build/headcount train --task max-of-list --out "$out"
./build/headcount eval "$out"
./build/headcount inspect "$out"
