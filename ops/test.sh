#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this):
#   1. the normal build: unit, integration (real mosquitto, influxd, iochub), fuzz corpus replay
#   2. the same suites under AddressSanitizer + UndefinedBehaviorSanitizer
#   3. a short libFuzzer run of every fuzz target (clang, the whole build
#      instrumented); a target whose run ends below its coverage floor in
#      docs/FUZZING.md fails (tests/fuzz/run-fuzz.sh)
# Exits non-zero when any test fails; ends with "N passed, N failed".
#   ops/test.sh --packages   instead: build the Debian packages, lint them,
#                            install them into a fresh Debian root, run and
#                            purge them (tests/install/test-packages.sh; minutes)
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --packages ]; then
  bash ops/setup.sh --packages || exit 1
  if bash tests/install/test-packages.sh; then
    echo "tests: 1 passed, 0 failed"; exit 0
  fi
  echo "tests: 0 passed, 1 failed"; exit 1
fi
bash ops/setup.sh || exit 1

passed=0; failed=0; status=0
run_suites() {  # build-dir, then meson test arguments
  local dir="$1"; shift
  local log; log=$(mktemp)
  meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local ok fail
  ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -1); fail=$(awk '/^Fail:/ {print $2}' "$log" | tail -1)
  local to; to=$(awk '/^Timeout:/ {print $2}' "$log" | tail -1)
  passed=$((passed + ${ok:-0})); failed=$((failed + ${fail:-0} + ${to:-0}))
  rm -f "$log"
  [ "$rc" -ne 0 ] && status=1
  return 0
}

echo "== normal build =="
run_suites build --suite unit --suite integration --suite fuzz --suite browser

echo "== AddressSanitizer + UBSan build =="
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-asan >/dev/null || { echo "asan build failed"; exit 1; }
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
run_suites build-asan --suite unit --suite integration --suite fuzz

echo "== libFuzzer (clang) =="
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz --buildtype=debugoptimized -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz >/dev/null || { echo "fuzz build failed"; exit 1; }
run_suites build-fuzz --suite fuzz
# Each run ends with its edges covered against its floor (run-fuzz.sh), a
# LOW one failing its test above; the table, for the log.
grep -h '^fuzz-coverage:' build-fuzz/meson-logs/testlog.txt 2>/dev/null || echo "fuzz-coverage: no report (did the fuzz suite run?)"

echo
echo "tests: $passed passed, $failed failed"
exit $status
