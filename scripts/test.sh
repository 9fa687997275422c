#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite: ctest, then the Python tests (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd build && ctest --output-on-failure -j"$(nproc)" "$@")
# The Python package's tests (python/tests, the notebooks in docs/notebooks).
.venv/bin/python3 -m pytest -q python/tests
