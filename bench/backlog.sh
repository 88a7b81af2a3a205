#!/usr/bin/env bash
# backlog.sh — how fast a backlog queued while the subscriber was away drains
# from Debian's mosquitto, for each way of subscribing (docs/BENCHMARKS.md §3.1).
#
#   bench/backlog.sh [BACKLOG=200000] [CANDIDATE...]
#
# A candidate is NAME=bare-sub options, e.g. 'q2=--qos 2 --hook', or
# NAME=hub:KEY=VALUE;KEY=VALUE for iochub itself with those [mqtt] settings,
# e.g. 'hub-8=hub:sessions=8' (the default set is below; the hub runs
# without InfluxDB, its journal and state on this machine's disk).  Each round registers every candidate's persistent sessions,
# publishes BACKLOG messages of the realistic mix once (ioc-load, QoS 1), so
# every candidate has the same backlog queued, then lets the candidates drain
# theirs one after the other (the order reversed every other round, so a
# drift of the machine's load weighs on all alike).  Reported per drain: msg/s,
# the subscriber's CPU per message, mosquitto's CPU per message, and the load
# average at the time.
# Environment: BUILD=dir (default build), ROUNDS=r (default 1), TIMEOUT=s per
# drain (default 300; a candidate that does not finish reports what arrived),
# PERSIST=1 runs mosquitto with the shipped persistence settings (default:
# persistence off, so that autosaves of the other candidates' queues do not
# weigh on whoever drains first), MOSQ_EXTRA='line\nline' more mosquitto settings
# (e.g. 'set_tcp_nodelay false' to see what Nagle's algorithm does to QoS 2).
set -euo pipefail
cd "$(dirname "$0")/.."
BACKLOG="${1:-200000}"
shift || true
B="${BUILD:-build}"
ROUNDS="${ROUNDS:-1}"
TIMEOUT="${TIMEOUT:-300}"
units=ops/units/nghe-an.csv
if [ $# -gt 0 ]; then
  candidates=("$@")
else
  candidates=(
    "q2-v3-1session=--qos 2 --hook"
    "q2-v5-rmax20-1session=--qos 2 --hook --mqtt 5 --receive-max 20"
    "q2-v5-rmax1-1session=--qos 2 --hook --mqtt 5 --receive-max 1"
    "q2-v3-8sessions=--qos 2 --hook --sessions 8 --units $units"
    "q2-v5-rmax1-8sessions=--qos 2 --hook --mqtt 5 --receive-max 1 --sessions 8 --units $units"
    "q2-v5-rmax1-16sessions=--qos 2 --hook --mqtt 5 --receive-max 1 --sessions 16 --units $units"
    "q1-v3-1session=--qos 1"
  )
fi
for bin in bench/bare-sub bench/ioc-load hub/iochub; do
  [ -x "$B/$bin" ] || { echo "backlog: $B/$bin missing (ninja -C $B)"; exit 1; }
done
work=$(mktemp -d)
chmod 0777 "$work"   # mosquitto run as root drops to its own user and must write here
port=$((20000 + RANDOM % 20000))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
{ echo "listener $port 127.0.0.1"; echo "allow_anonymous true"; echo "log_dest none"
  echo "persistence_location $work/"
  if [ "${PERSIST:-0}" = 1 ]; then cat ops/mosquitto/iochub.conf
  else grep -v '^persistence\|^autosave' ops/mosquitto/iochub.conf; echo "persistence false"; fi
  printf '%b\n' "${MOSQ_EXTRA:-}"
} > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" & broker=$!; pids+=("$broker")
sleep 0.5
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

sub() {  # name, extra args... → runs bare-sub in the background, sets sub_pid, sub_out
  local name=$1; shift
  sub_out="$work/$name.$RANDOM.out"
  # shellcheck disable=SC2086
  "$B/bench/bare-sub" --url "tcp://127.0.0.1:$port" --persistent --client-id "$name" "$@" >"$sub_out" 2>&1 &
  sub_pid=$!
}
wait_ready() {
  for _ in $(seq 1 600); do grep -q ready "$sub_out" 2>/dev/null && return 0; sleep 0.05; done
  echo "bare-sub did not subscribe:"; cat "$sub_out"; exit 1
}
# Ends a candidate's sessions: a clean-session connect with the same id.
forget() {  # name, sessions
  ids=("$1"); for i in $(seq 1 $(($2 - 1))); do ids+=("$1-$i"); done
  for id in "${ids[@]}"; do mosquitto_sub -h 127.0.0.1 -p "$port" -i "$id" -t ioc/bench/none -E >/dev/null 2>&1 || true; done
}
sessions_of() { echo "$1" | sed -nE 's/.*sessions[ =]([0-9]+).*/\1/p' | grep . || echo 1; }

# iochub as a candidate: its own state dir and HTTP port per candidate name.
hub_http=$((port + 1))
metric() { curl -s "http://127.0.0.1:$hub_http/metrics" | awk -v m="$1" '$1==m {print $2}'; }
hub_start() {  # name, "k=v;k=v" → hub_pid (returns once it is connected and subscribed)
  local dir="$work/hub-$1"; mkdir -p "$dir"
  { echo "[hub]"; echo "province = 40"; echo "units = $PWD/$units"
    echo "calendar = $PWD/ops/calendar/vn-2025.conf,$PWD/ops/calendar/vn-2026.conf"
    echo "state_dir = $dir/state"; echo "[mqtt]"; echo "url = tcp://127.0.0.1:$port"; echo "client_id = $1"
    echo "$2" | tr ';' '\n'; echo "[http]"; echo "listen = 127.0.0.1:$hub_http"; } > "$dir/hub.conf"
  "$B/hub/iochub" --config "$dir/hub.conf" >>"$dir/hub.log" 2>&1 &
  hub_pid=$!
  for _ in $(seq 1 600); do [ "$(metric iochub_mqtt_connected)" = 1 ] && return 0; sleep 0.1; done
  echo "hub $1 did not subscribe:"; tail -20 "$dir/hub.log"; exit 1
}
hub_stop() { kill -TERM "$hub_pid"; wait "$hub_pid" || true; }
hub_drain() {  # name, settings → the same result line as bare-sub's
  local t_first="" n=0 deadline
  local c0; hub_start "$1" "$2"; c0=$(ticks "$hub_pid")
  deadline=$(( $(date +%s) + TIMEOUT ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    n=$(metric iochub_messages_received_total); n=${n:-0}
    [ -z "$t_first" ] && [ "$n" -gt 0 ] && t_first=$(date +%s.%N)
    [ "$n" -ge "$BACKLOG" ] && break
    sleep 0.1
  done
  local t1; t1=$(date +%s.%N)
  for _ in $(seq 1 600); do [ "$(metric iochub_messages_processed_total)" -ge "$n" ] && break; sleep 0.1; done
  local c1; c1=$(ticks "$hub_pid")
  local pubrel; pubrel=$(metric iochub_mqtt_awaiting_pubrel)
  hub_stop
  awk -v n="$n" -v want="$BACKLOG" -v a="$t_first" -v b="$t1" -v c0="$c0" -v c1="$c1" -v hz="$hz" -v t="$TIMEOUT" -v p="${pubrel:-0}" 'BEGIN {
    w = (a == "" ? 1 : b - a); cpu = (c1 - c0) / hz
    if (n < want) printf "bare-sub TIMEOUT after %d s: %d of %d messages, cpu %.3f s (%.2f us/msg), %.0f msg/s; awaiting PUBREL %d\n", t, n, want, cpu, n ? cpu * 1e6 / n : 0, n / w, p
    else printf "bare-sub iochub: %d messages, cpu %.3f s (%.2f us/msg), wall %.3f s (%.0f msg/s)\n", n, cpu, cpu * 1e6 / n, w, n / w }'
}

echo "# backlog drain: $BACKLOG messages queued per candidate, mosquitto $(mosquitto -h | head -1 | awk '{print $3}'), persistence ${PERSIST:-0}, $ROUNDS round(s), load $(loadavg)"
echo "| round | candidate | drained | msg/s | subscriber µs/msg | mosquitto µs/msg | load (1/5/15 min) |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq 1 "$ROUNDS"); do
  order=("${candidates[@]}")
  if [ $((r % 2)) = 0 ]; then
    order=(); for ((i = ${#candidates[@]} - 1; i >= 0; i--)); do order+=("${candidates[$i]}"); done
  fi
  # Register every candidate's sessions, then queue the same backlog for all.
  for c in "${order[@]}"; do
    name="${c%%=*}-r$r"; args="${c#*=}"
    if [ "${args#hub:}" != "$args" ]; then hub_start "$name" "${args#hub:}"; hub_stop; continue; fi
    # shellcheck disable=SC2086
    sub "$name" $args --count 1 && wait_ready
    kill -KILL "$sub_pid"; wait "$sub_pid" 2>/dev/null || true
  done
  "$B/bench/ioc-load" --url "tcp://127.0.0.1:$port" --units "$units" --rate 0 --count "$BACKLOG" \
    --devices 5000 --client-id "pub-backlog-$r" --window 2000 --seed "$r" 2>/dev/null | tail -1 >&2
  for c in "${order[@]}"; do
    name="${c%%=*}-r$r"; args="${c#*=}"
    m0=$(ticks "$broker")
    if [ "${args#hub:}" != "$args" ]; then
      line=$(hub_drain "$name" "${args#hub:}")
    else
      # shellcheck disable=SC2086
      sub "$name" $args --count "$BACKLOG" --timeout "$TIMEOUT"
      wait "$sub_pid" 2>/dev/null || true
      line=$(grep '^bare-sub' "$sub_out" || echo "bare-sub: no result: $(tr '\n' ' ' < "$sub_out")")
    fi
    m1=$(ticks "$broker")
    got=$(echo "$line" | sed -nE 's/.*: ([0-9]+) (of [0-9]+ )?messages.*/\1/p'); got=${got:-0}
    rate=$(echo "$line" | sed -nE 's/.*[ (]([0-9]+) msg\/s.*/\1/p')
    cpu=$(echo "$line" | sed -nE 's/.*\(([0-9.]+) us\/msg\).*/\1/p')
    mosq=$(awk -v a="$m0" -v b="$m1" -v hz="$hz" -v n="$got" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / hz * 1e6 / n; else print "-" }')
    status="$got"; echo "$line" | grep -q TIMEOUT && status="$got (timeout ${TIMEOUT} s)"
    echo "| $r | ${c%%=*} | $status | ${rate:--} | ${cpu:--} | $mosq | $(loadavg) |"
    forget "$name" "$(sessions_of "$args")"
    [ "${args#hub:}" != "$args" ] && forget "$name-pub" 1
  done
done
