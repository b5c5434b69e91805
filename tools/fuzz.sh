#!/bin/sh
# Runs every libFuzzer target in a fuzzing build directory for a given time
# each, on a scratch copy of its corpus (new inputs go to the scratch
# directory, not into the source tree), and prints the executions per target.
# A crash leaves its reproducer as crash-* under the scratch directory: copy it
# into tests/fuzz/corpus/<name>/ once fixed.
#
#   CC=clang meson setup build-fuzz -Dfuzzing=true
#   tools/fuzz.sh [seconds per fuzzer, default 60] [build dir, default build-fuzz]
set -eu

seconds=${1:-60}
builddir=${2:-build-fuzz}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
scratch=${FUZZ_SCRATCH:-$(mktemp -d /tmp/hz-fuzz.XXXXXX)}

meson compile -C "$builddir" >/dev/null
status=0
for bin in "$builddir"/tests/fuzz/fuzz-*; do
  case "$bin" in *-replay|*.p) continue ;; esac
  [ -x "$bin" ] && [ -f "$bin" ] || continue
  name=$(basename "$bin" | sed 's/^fuzz-//')
  work="$scratch/$name"
  mkdir -p "$work/corpus"
  cp "$srcdir/tests/fuzz/corpus/$name"/* "$work/corpus/" 2>/dev/null || true
  log="$work/log.txt"
  if "$bin" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$work/" "$work/corpus" >"$log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "fuzz-$name: $result, ${runs:-?} executions in ${seconds}s (log: $log)"
done
exit $status
