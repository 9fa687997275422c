#!/usr/bin/env bash
# Configures build-asan/: clang, AddressSanitizer + UndefinedBehaviorSanitizer,
# libFuzzer coverage. scripts/sanitize.sh builds its unit tests there and
# scripts/fuzz.sh its fuzz targets, from the same objects.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DHEADCOUNT_SANITIZE=ON -DHEADCOUNT_FUZZ=ON \
  -DHEADCOUNT_BENCH=OFF -DHEADCOUNT_NATIVE=OFF -DHEADCOUNT_MPI=OFF >/dev/null
