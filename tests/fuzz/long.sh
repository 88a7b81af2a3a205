#!/usr/bin/env bash
# long.sh — every libFuzzer target for a stated time, outside CI; records
# executions and coverage in docs/FUZZING.md ("Long runs").
#
#   tests/fuzz/long.sh [SECONDS_PER_TARGET=600] [TARGET[:SECONDS]...]
#
# A target named with :SECONDS runs for that long instead (the envelope
# decoder wants longer than the others to reach its 10 M executions):
#   tests/fuzz/long.sh 200 fuzz-envelope:1800 fuzz-json-scan fuzz-topic …
# Builds the targets with clang, -Dfuzzing=true and ASan/UBSan in build-fuzz
# (as ops/test.sh does; only the fuzz targets and what they link), then runs
# each one (every tests/fuzz/fuzz-*.c unless named) for SECONDS_PER_TARGET on
# one core, starting from its seed corpus and the inputs earlier long runs
# found (build-fuzz/tests/fuzz/long-corpus-<name>, kept between runs).  The
# envelope decoder must reach 10 M executions: a run that does not says so.
# A crash stops that target, leaves its input in build-fuzz/ and makes the
# script exit 1.  RECORD=0 prints the table without touching the docs.
set -uo pipefail
cd "$(dirname "$0")/../.."
SECS="${1:-600}"
shift || true
B=build-fuzz
if [ ! -f "$B/build.ninja" ]; then
  CC=clang meson setup "$B" --buildtype=debugoptimized -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false >/dev/null || { echo "long.sh: cannot set up $B (clang?)"; exit 1; }
fi
if [ $# -gt 0 ]; then targets=("$@"); else
  targets=(); for f in tests/fuzz/fuzz-*.c; do targets+=("$(basename "$f" .c)"); done
fi
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/${t%%:*}.c" ] || { echo "long.sh: no target ${t%%:*} (tests/fuzz/fuzz-*.c)"; exit 1; }
  case "$t" in *:*) [[ "${t#*:}" =~ ^[0-9]+$ ]] || { echo "long.sh: $t: expected TARGET:SECONDS"; exit 1; } ;; esac
done
ninja -C "$B" $(for t in "${targets[@]}"; do printf "tests/fuzz/%s " "${t%%:*}"; done) >/dev/null || { echo "long.sh: build failed"; exit 1; }

status=0
rows=()
for spec in "${targets[@]}"; do
  t=${spec%%:*}; secs=$SECS; [ "$spec" = "$t" ] || secs=${spec#*:}
  name=${t#fuzz-}
  corpus="$B/tests/fuzz/long-corpus-$name"; mkdir -p "$corpus"
  log="$B/tests/fuzz/long-$name.log"
  maxlen=4096; [ "$name" = envelope ] && maxlen=16500
  # libsoup's own leak (tests/lsan.supp) is matched by name: whole stacks.
  asan="${ASAN_OPTIONS:-}"; case "$name" in http-request|sections) asan="${asan:+$asan:}fast_unwind_on_malloc=0" ;; esac
  start=$(date -u +%FT%TZ)
  ASAN_OPTIONS="$asan" LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}" \
  "$B/tests/fuzz/$t" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -max_len="$maxlen" \
    -print_final_stats=1 -artifact_prefix="$B/" "$corpus" "tests/fuzz/corpus/$name" >"$log" 2>&1
  rc=$?
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -nE 's/^Done ([0-9]+) runs.*/\1/p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | sed -nE 's/.* cov: ([0-9]+).*/\1/p')
  ft=$(echo "$last" | sed -nE 's/.* ft: ([0-9]+).*/\1/p')
  corp=$(echo "$last" | sed -nE 's/.* corp: ([0-9]+).*/\1/p')
  verdict="no findings"
  if [ $rc -ne 0 ]; then verdict="**FAILED** (exit $rc, see $log)"; status=1; fi
  if [ "$name" = envelope ] && [ "${runs:-0}" -lt 10000000 ]; then verdict="$verdict; short of 10 M executions"; fi
  rows+=("| $t | $start | $secs s | $(printf "%'d" "${runs:-0}") | $(printf "%'d" $(( ${runs:-0} / (secs > 0 ? secs : 1) ))) | ${cov:-?} | ${ft:-?} | ${corp:-?} | $verdict |")
  echo "${rows[-1]}"
done

table="| target | started (UTC) | time | executions | per second | edges covered (cov) | features (ft) | corpus | result |
|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${rows[@]}")"
if [ "${RECORD:-1}" = 1 ]; then
  python3 - docs/FUZZING.md "$table" "$(uptime | sed 's/.*load average: //')" <<'PY'
import re, sys
path, table, load = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
section = ("<!-- long-runs: written by tests/fuzz/long.sh -->\n"
           "Latest `tests/fuzz/long.sh` run (one core per target, in turn; ASan + UBSan; "
           f"load average at the end {load}):\n\n{table}\n<!-- /long-runs -->")
if "<!-- long-runs" in text:
    text = re.sub(r"<!-- long-runs.*?<!-- /long-runs -->", lambda m: section, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n## Long runs\n\n" + section + "\n"
open(path, "w").write(text)
PY
  echo "recorded in docs/FUZZING.md"
fi
exit $status
