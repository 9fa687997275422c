#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-asan/ (the
# sanitizer build of scripts/sanitize.sh, which they share) and runs
# each for SECONDS (default 30), starting from the seeds in fuzz/corpus/<target>/.
# New inputs go to build-asan/fuzz-corpus/<target>/ (the repository's seeds stay as
# they are); a crash leaves build-asan/fuzz-crash-<target>-* and fails the script.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   targets: safetensors config eval_set torch_pt
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(safetensors config eval_set torch_pt)

bash scripts/configure-asan.sh
ninja -C build-asan "${targets[@]/%/_fuzz}" >/dev/null

status=0
for t in "${targets[@]}"; do
  work=build-asan/fuzz-corpus/$t
  log=build-asan/fuzz-$t.log
  mkdir -p "$work"
  # -rss_limit_mb also caps single allocations (malloc_limit): a reader that
  # trusts a size from its input and asks for gigabytes fails here.
  if ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
     "build-asan/${t}_fuzz" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="build-asan/fuzz-crash-$t-" "$work" "fuzz/corpus/$t" >"$log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  echo "fuzz $t: $result, ${execs} executions in ${secs} s, ${cov}"
  [ "$result" = ok ] || tail -40 "$log"
done
exit $status
