#!/bin/sh
# Installs what the tests need, builds, and runs the whole suite: unit,
# integration, fuzz-corpus replay and browser tests, then the unit and
# integration tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# BUILD_DIR (default build-test), SKIP_ASAN=1 to skip the sanitizer pass.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD_DIR:-build-test}

deploy/install-test-deps.sh

[ -f "$build/build.ninja" ] || meson setup "$build" -Dbrowser_tests=enabled
meson compile -C "$build"
meson test -C "$build" --print-errorlogs --num-processes 2

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  asan="$build-asan"
  [ -f "$asan/build.ninja" ] || \
    CC=clang meson setup "$asan" -Db_sanitize=address,undefined -Db_lundef=false -Dbrowser_tests=disabled
  meson compile -C "$asan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions="$top/tests/lsan.supp" \
    meson test -C "$asan" --print-errorlogs --num-processes 2 --suite unit --suite integration --suite fuzz
fi
echo "test: all suites passed"
