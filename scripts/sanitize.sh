#!/usr/bin/env bash
# Builds the unit and parser tests (ctest label "unit": everything but the
# end-to-end tests, which run the headcount binary or train whole studies and
# run once, in the release build of scripts/test.sh) with AddressSanitizer +
# UndefinedBehaviorSanitizer (clang, -O1, frame pointers) into build-asan/ and
# runs them with ctest. Any sanitizer report fails the run: reports are written
# to build-asan/sanitizer-report.* and checked at the end.
# The same build carries libFuzzer's coverage instrumentation, so scripts/fuzz.sh
# links its targets from these objects instead of compiling the library again;
# the library and the tests compile in batches (unity build). Both save CI time.
# MPI is off in this build: OpenMPI's own allocations at MPI_Init/Finalize are
# reported as leaks from its dlopen'ed components (stacks that no suppression can
# match). ctest runs as many tests at once as there are cores, as in
# scripts/test.sh: every test's scratch files are its own (named by process).
# Usage: scripts/sanitize.sh [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/configure-asan.sh
ninja -C build-asan headcount_unit_tests
rm -f build-asan/sanitizer-report.*
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:log_path=$root/build-asan/sanitizer-report"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$root/build-asan/sanitizer-report"
status=0
(cd build-asan && ctest --output-on-failure -j"$(nproc)" -L unit "$@") || status=1
if compgen -G "build-asan/sanitizer-report.*" >/dev/null; then
  echo "sanitize: sanitizer reports:"
  head -60 build-asan/sanitizer-report.*
  status=1
fi
[ $status -eq 0 ] && echo "sanitize: the unit and parser tests are clean under ASan + UBSan"
exit $status
