#!/usr/bin/env bash
# run-fuzz.sh — one short libFuzzer run of a target, as the fuzz suite of the
# -Dfuzzing=true build runs it, failing when the run ends below the target's
# coverage floor.
#
#   run-fuzz.sh FLOORS_MD TARGET_EXE [LIBFUZZER_ARGS...]
#
# Runs TARGET_EXE with the arguments; fails (exit 1) when libFuzzer fails (a
# crash, leak, timeout), when the run prints no coverage, or
# when the edges covered at the end (the "cov:" of libFuzzer's last status
# line) are below the floor recorded for the target in FLOORS_MD (the table
# between <!-- cov-floors --> and <!-- /cov-floors --> of docs/FUZZING.md:
# "| fuzz-NAME | FLOOR | ..."), or when no floor is recorded.  Prints
# "fuzz-coverage: TARGET cov=N floor=F ok|LOW" last.
#
# The seed is fixed (IOC_FUZZ_SEED, default 1; 0: random): the suite is a
# gate, and a gate that fails on one machine and passes on the next says
# nothing the next person can reproduce.  Finding new inputs is what
# tests/fuzz/long.sh is for (random seeds, minutes per target).
set -uo pipefail
floors="$1"; exe="$2"; shift 2
seed="${IOC_FUZZ_SEED:-1}"
if [ "$seed" != 0 ]; then
  set -- "-seed=$seed" "$@"
fi
name=$(basename "$exe")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$exe" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
  # Always 1: libFuzzer exits 77 on a finding, which meson counts as skipped.
  echo "fuzz-coverage: $name libFuzzer exited $rc (a finding, or it could not run; see above)"
  exit 1
fi
cov=$(grep -E '^#[0-9]+' "$log" | sed -nE 's/.* cov: ([0-9]+) .*/\1/p' | tail -1)
floor=$(sed -n '/<!-- cov-floors -->/,/<!-- \/cov-floors -->/p' "$floors" \
  | awk -F'|' -v t="$name" '{ gsub(/[ `]/, "", $2); gsub(/ /, "", $3) } $2 == t { print $3; exit }')
if [ -z "$cov" ]; then
  echo "fuzz-coverage: $name printed no coverage (is the build instrumented for libFuzzer?)"
  exit 1
fi
if ! [[ "$floor" =~ ^[0-9]+$ ]]; then
  echo "fuzz-coverage: $name cov=$cov: no floor recorded for it in $floors (add one about 10 % under what it reaches)"
  exit 1
fi
if [ "$cov" -lt "$floor" ]; then
  echo "fuzz-coverage: $name cov=$cov floor=$floor LOW: the run covered fewer edges than its floor in $floors" \
       "(a library no longer instrumented, a harness that stops early, or a corpus that lost its seeds)"
  exit 1
fi
echo "fuzz-coverage: $name cov=$cov floor=$floor ok"
