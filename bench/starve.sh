#!/usr/bin/env bash
# starve.sh — a hub starved of CPU under a sustained stream, then given the
# CPU back: does it return to its normal CPU per message, or stay slow the
# further behind it is (the metastable failure of docs/BENCHMARKS.md §3)?
#
#   bench/starve.sh [RATE=2000] [STARVE_S=60] [AFTER_S=120] [CANDIDATE...]
#
# Every candidate (NAME=[mqtt] settings "k=v;k=v"; default: 'legacy' = one
# MQTT 3.1.1 session as before, and 'default' = the shipped settings) is a
# hub of its own on the same broker, all subscribed to the same stream of
# ioc-load at RATE msg/s (realistic mix), all starved at the same moment:
# each is put in a cgroup of its own limited to 2 % of one CPU for STARVE_S
# seconds (cgroup v1 cpu controller; needs root), then released.  Every 5 s:
# each hub's messages received, its CPU per message over those 5 s, and how
# far behind the publisher it is.  At the end, per candidate: the baseline
# CPU per message (the 60 s before starving), and how long after the release
# it took to catch up and to be back within 1.5x the baseline CPU per message.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lib_init
RATE="${1:-2000}"
STARVE_S="${2:-60}"
AFTER_S="${3:-120}"
shift 3 2>/dev/null || shift $#
if [ $# -gt 0 ]; then candidates=("$@"); else candidates=("legacy=sessions=1;protocol=3.1.1" "default="); fi
CG=/sys/fs/cgroup/cpu
[ -w "$CG" ] || { echo "starve: $CG is not writable (cgroup v1 cpu controller, root)"; exit 1; }

lib_broker
names=(); pids=(); ports=(); cgroups=()
starve_cleanup() {
  for i in "${!cgroups[@]}"; do
    for t in $(cat "${cgroups[$i]}/cgroup.procs" 2>/dev/null); do echo "$t" > "$CG/cgroup.procs" 2>/dev/null || true; done
    rmdir "${cgroups[$i]}" 2>/dev/null || true
  done
  lib_cleanup
}
trap starve_cleanup EXIT
for c in "${candidates[@]}"; do
  name="starve-${c%%=*}"
  lib_hub_conf "$name" "${c#*=}"
  lib_hub_start
  names+=("${c%%=*}"); pids+=("$hub_pid"); ports+=("$hub_http")
  cg="$CG/iochub-starve-$$-${c%%=*}"; mkdir "$cg"
  echo 100000 > "$cg/cpu.cfs_period_us"; echo 2000 > "$cg/cpu.cfs_quota_us"
  cgroups+=("$cg")
done
echo "# starve: ${#names[@]} hub(s) on one stream of $RATE msg/s; starved to 2 % of a CPU for $STARVE_S s after 90 s; load $(loadavg)"
"$B/bench/ioc-load" --url "$broker_url" --units "$units" --rate "$RATE" --count 0 --devices 5000 \
  --client-id starve-pub --window 2000 >/dev/null 2>&1 & load_pid=$!; lib_pids+=("$load_pid")
t_start=$(date +%s.%N)
declare -A prev_n prev_c
for i in "${!names[@]}"; do prev_n[$i]=$(metric iochub_messages_received_total "" "${ports[$i]}"); prev_c[$i]=$(ticks "${pids[$i]}"); done
out="$work/starve.csv"
echo "t_s,phase,hub,received,cpu_us_per_msg,behind" > "$out"
printf '%6s %-8s' t phase; for n in "${names[@]}"; do printf ' | %-10s %9s %8s' "$n" "us/msg" behind; done; echo
total=$((90 + STARVE_S + AFTER_S))
phase=before
for step in $(seq 5 5 $total); do
  while awk -v a="$t_start" -v s="$step" -v now="$(date +%s.%N)" 'BEGIN { exit !(now - a < s) }'; do sleep 0.2; done
  now=$(date +%s.%N)
  elapsed=$(awk -v a="$t_start" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
  expected=$(awk -v e="$elapsed" -v r="$RATE" 'BEGIN { printf "%d", e * r }')
  if [ "$step" = 90 ]; then
    phase=starved
    for i in "${!names[@]}"; do for t in $(ls "/proc/${pids[$i]}/task"); do echo "$t" > "${cgroups[$i]}/tasks"; done; done
  elif [ "$step" = $((90 + STARVE_S)) ]; then
    phase=after
    for i in "${!names[@]}"; do for t in $(cat "${cgroups[$i]}/tasks"); do echo "$t" > "$CG/tasks"; done; done
  fi
  printf '%6s %-8s' "$step" "$phase"
  for i in "${!names[@]}"; do
    n=$(metric iochub_messages_received_total "" "${ports[$i]}"); c=$(ticks "${pids[$i]}")
    d=$((n - prev_n[$i]))
    us=$(awk -v c0="${prev_c[$i]}" -v c1="$c" -v d="$d" -v hz="$hz" 'BEGIN { if (d > 0) printf "%.1f", (c1 - c0) / hz * 1e6 / d; else print "-" }')
    behind=$((expected - n)); [ "$behind" -lt 0 ] && behind=0
    printf ' | %-10s %9s %8s' "$n" "$us" "$behind"
    echo "$step,$phase,${names[$i]},$n,$us,$behind" >> "$out"
    prev_n[$i]=$n; prev_c[$i]=$c
  done
  echo
done
kill -TERM "$load_pid"; wait "$load_pid" 2>/dev/null || true
echo "# load at the end: $(loadavg)"
# Per candidate: baseline (30-90 s), and the first sample after the release
# from which it stays caught up (behind < 2 s of traffic) and within 1.5x.
awk -F, -v starve="$STARVE_S" -v rate="$RATE" '
  NR > 1 && $2 == "before" && $1 > 30 && $5 != "-" { base[$3] += $5; nb[$3]++ }
  NR > 1 && $2 == "after" { t[$3, ++na[$3]] = $1; us[$3, na[$3]] = $5; be[$3, na[$3]] = $6; worst[$3] = ($5 != "-" && $5 > worst[$3]) ? $5 : worst[$3] }
  END {
    for (h in nb) {
      b = base[h] / nb[h]; ok = -1
      for (k = na[h]; k >= 1; k--) {
        good = us[h, k] != "-" && us[h, k] <= 1.5 * b && be[h, k] < 2 * rate
        if (!good) break
        ok = t[h, k]
      }
      printf "%s: baseline %.1f us/msg; after the release, worst 5 s %.1f us/msg; caught up and back within 1.5x from %s\n",
        h, b, worst[h], ok < 0 ? "never (in the time measured)" : sprintf("%d s after the release", ok - 90 - starve)
    }
  }' "$out"
[ -z "${CSV_OUT:-}" ] || cp "$out" "$CSV_OUT"
