#!/bin/sh
# Installs what the tests need, builds, and runs the test suite with
# `meson test`: unit, integration, fuzz-corpus replay, browser (headless
# Chromium), hostile input, faults, the OpenAPI contract, PostgreSQL, Orthanc,
# Redis and Swift suites; then the unit, integration and fuzz-replay suites
# again under AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer).
#
# The long or privileged suites are not in the default run: `soak` (minutes
# of churn) and `impair` (network namespaces, loss and bandwidth caps; needs
# root). Run them with: deploy/test.sh --all, or meson test --suite soak|impair.
#
# BUILD_DIR (default build-test), SKIP_ASAN=1 to skip the sanitizer pass,
# TIMEOUT_MULTIPLIER (default 3: CI machines are slower than a workstation).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD_DIR:-build-test}
mult=${TIMEOUT_MULTIPLIER:-3}
skip="--no-suite soak --no-suite impair"
[ "${1:-}" = "--all" ] && skip=""

deploy/install-test-deps.sh

if [ -f "$build/build.ninja" ]; then
  meson setup --reconfigure "$build" -Dbrowser_tests=enabled >/dev/null
else
  meson setup "$build" -Dbrowser_tests=enabled
fi
meson compile -C "$build"
# shellcheck disable=SC2086
meson test -C "$build" --print-errorlogs --num-processes 2 --timeout-multiplier "$mult" $skip

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  asan="$build-asan"
  [ -f "$asan/build.ninja" ] || \
    CC=clang CXX=clang++ meson setup "$asan" -Db_sanitize=address,undefined -Db_lundef=false \
      -Dbrowser_tests=disabled
  meson compile -C "$asan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions="$top/tests/lsan.supp" \
    meson test -C "$asan" --print-errorlogs --num-processes 2 --timeout-multiplier "$mult" \
      --suite unit --suite integration --suite fuzz
fi
# Every fuzzer runs for a few seconds from its corpus (libFuzzer, clang).
if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  fuzz="$build-fuzz"
  [ -f "$fuzz/build.ninja" ] || \
    CC=clang CXX=clang++ meson setup "$fuzz" -Dfuzzing=true -Dbrowser_tests=disabled
  meson compile -C "$fuzz" $(ls tests/fuzz/fuzz-*.c | sed 's|.*/\(fuzz-[a-z0-9-]*\)\.c|tests/fuzz/\1|' | grep -v fuzz-main)
  meson test -C "$fuzz" --no-rebuild --print-errorlogs --suite fuzz-run --timeout-multiplier "$mult"
fi
echo "test: all suites passed"
