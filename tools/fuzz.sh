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
mkdir -p "$scratch"

status=0
for src in "$srcdir"/tests/fuzz/fuzz-*.c; do
  name=$(basename "$src" .c | sed 's/^fuzz-//')
  [ "$name" = main ] && continue
  bin="$builddir/tests/fuzz/fuzz-$name"
  # build only the fuzz targets: other modules may be mid-edit
  if ! meson compile -C "$builddir" "fuzz-$name" >"$scratch/build-$name.txt" 2>&1; then
    if grep -q "target not found" "$scratch/build-$name.txt"; then
      echo "fuzz-$name: skipped (not in the fuzzers dict of tests/fuzz/meson.build)"
      continue
    fi
    echo "fuzz-$name: BUILD FAILED (see $scratch/build-$name.txt)"
    status=1
    continue
  fi
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
