#!/usr/bin/env bash
# drain.sh — the outage the ops team fears, end to end: the hub is down while
# BACKLOG messages of the realistic mix queue at mosquitto (shipped settings:
# persistence on, autosave 60 s), then it starts and drains them into
# InfluxDB.  Reports the drain rate (and its course, every 10 s), the CPU of
# hub and broker per message, the size of mosquitto's database with the
# backlog queued, and checks that InfluxDB holds exactly what was published
# (docs/BENCHMARKS.md §3.1, docs/OPERATIONS.md).
#
#   bench/drain.sh [BACKLOG=1000000] [CANDIDATE...]
#
# A candidate is NAME=[mqtt] settings "k=v;k=v" (default: 'default=' — the
# shipped settings); several are drained one after the other from the same
# backlog (each has its own persistent sessions, registered before it is
# published), so they are compared in one run.
# Environment: BUILD (default build), TIMEOUT per drain (default 900 s).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lib_init
BACKLOG="${1:-1000000}"
shift || true
TIMEOUT="${TIMEOUT:-900}"
if [ $# -gt 0 ]; then candidates=("$@"); else candidates=("default="); fi

lib_broker
lib_influx
echo "# drain: $BACKLOG messages queued while the hub is down; mosquitto $(mosquitto -h | head -1 | awk '{print $3}'), ops/mosquitto/iochub.conf; load $(loadavg)"

# Register every candidate's sessions (start, subscribed, clean stop).
for c in "${candidates[@]}"; do
  lib_hub_conf "drain-${c%%=*}" "${c#*=}"; lib_hub_start; lib_hub_stop
done
db0=$(stat -c %s "$work/mosquitto.db" 2>/dev/null || echo 0)
t0=$(date +%s.%N)
pub=$("$B/bench/ioc-load" --url "$broker_url" --units "$units" --rate 0 --count "$BACKLOG" --devices 5000 \
        --client-id drain-pub --window 2000 --tally 2>/dev/null)
echo "publisher: $(echo "$pub" | grep -v tally)"
tally=$(echo "$pub" | grep tally)
echo "$tally"
lib_tally "$tally"
# mosquitto writes its database on SIGUSR1: its size with the backlog queued.
kill -USR1 "$broker_pid"
prev=-1
for _ in $(seq 1 600); do
  sz=$(stat -c %s "$work/mosquitto.db" 2>/dev/null || echo 0)
  [ "$sz" -gt "$db0" ] && [ "$sz" = "$prev" ] && break
  prev=$sz; sleep 0.5
done
echo "mosquitto database with the backlog queued for ${#candidates[@]} hub(s): $sz bytes ($db0 before); RSS $(rss_kib "$broker_pid") KiB; $(awk -v a="$sz" -v b="$db0" -v n="$BACKLOG" 'BEGIN { printf "%.0f bytes per queued message", (a - b) / n }')"

for c in "${candidates[@]}"; do
  name="drain-${c%%=*}"
  lib_hub_conf "$name" "${c#*=}"
  h0=0; m0=$(ticks "$broker_pid"); s0=$(date +%s.%N)
  lib_hub_start
  h0=$(ticks "$hub_pid")
  first=""; last_n=0; last_t=$s0; course=""
  deadline=$(( $(date +%s) + TIMEOUT ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    n=$(metric iochub_messages_received_total)
    now=$(date +%s.%N)
    [ -z "$first" ] && [ "$n" -gt 0 ] && first=$now
    if awk -v a="$last_t" -v b="$now" 'BEGIN { exit !(b - a >= 10) }'; then
      course="$course $(awk -v a="$last_t" -v b="$now" -v x="$last_n" -v y="$n" 'BEGIN { printf "%.0f", (y - x) / (b - a) }')"
      last_t=$now; last_n=$n
    fi
    [ "$n" -ge "$BACKLOG" ] && break
    sleep 0.2
  done
  t1=$(date +%s.%N)
  h1=$(ticks "$hub_pid"); m1=$(ticks "$broker_pid")
  n=$(metric iochub_messages_received_total)
  awk -v name="${c%%=*}" -v n="$n" -v want="$BACKLOG" -v s0="$s0" -v a="${first:-$t1}" -v b="$t1" -v h0="$h0" -v h1="$h1" \
      -v m0="$m0" -v m1="$m1" -v hz="$hz" -v pr="$(metric iochub_mqtt_awaiting_pubrel_max)" -v load="$(loadavg)" 'BEGIN {
    printf "%s: %d of %d in %.1f s from the first message (%.1f s from start): %.0f msg/s; hub %.1f us/msg, mosquitto %.1f us/msg; awaiting PUBREL at most %d; load %s\n",
      name, n, want, b - a, b - s0, n / (b - a), (h1 - h0) / hz * 1e6 / n, (m1 - m0) / hz * 1e6 / n, pr, load }'
  echo "  msg/s every 10 s:$course"
  # Exactly once, checked in InfluxDB (the minute points are written after
  # the minutes close; late facts rewrite them).
  lib_wait_exact "$name" 300 || true
  echo "  hub: accepted $(metric iochub_messages_accepted_total), duplicates $(metric iochub_duplicates_total), dead letters $(curl -s "http://127.0.0.1:$hub_http/metrics" | awk '/^iochub_deadletters_total/ { s += $2 } END { print s + 0 }'), RSS $(rss_kib "$hub_pid") KiB"
  lib_hub_stop
done
