#!/usr/bin/env bash
# bench-connector.sh — what a connector costs, and how fast ioc-sim publishes
# (issue 4, docs/BENCHMARKS.md "Connectors and ioc-sim").
#
# 1. One site's whole front desk: ioc-sim plays one commune (queue system
#    polled by a desk connector, kiosk tickets and ratings POSTed to a kiosk
#    connector's webhook) at the realistic rate (1x) and at 30x and 300x;
#    each connector publishes to a local mosquitto.  CPU is read from
#    /proc/PID/stat (utime+stime) of each ioc-connector over the window and
#    reported as % of one core; messages counted by a subscriber.
# 2. ioc-sim MQTT mode at the broker's limit (--rate 0, QoS 1, 1000 in
#    flight) against bench/ioc-load with the same settings, same broker,
#    same run, alternating, and mosquitto's own CPU while each publishes.
#
#   BUILD_DIR=build bash bench/bench-connector.sh [WINDOW_SECONDS=60] [MESSAGES=100000]
set -euo pipefail
cd "$(dirname "$0")/.."
B="${BUILD_DIR:-build}"
window="${1:-60}"
count="${2:-100000}"
for bin in connectors/ioc-connector connectors/ioc-sim bench/ioc-load; do
  [ -x "$B/$bin" ] || { echo "bench-connector: $B/$bin missing (ninja -C $B)"; exit 1; }
done
command -v mosquitto >/dev/null || { echo "bench-connector: mosquitto not installed"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ioc-bench-conn-XXXXXX")
chmod 0777 "$tmp"
pids=()
stop_all() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$tmp"' EXIT

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "bench-connector: no free port" >&2; exit 1
}
wait_port() {
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "bench-connector: nothing listens on $1" >&2; exit 1
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, clock ticks
hz=$(getconf CLK_TCK)

start_broker() {  # → $mqtt_port, pid in pids
  mqtt_port=$(free_port)
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mqtt_port" > "$tmp/mosquitto.conf"
  mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 & pids+=($!)
  broker_pid=$!
  wait_port "$mqtt_port"
}

echo "# bench-connector: $(nproc) cores, window ${window} s, $(date -u +%FT%TZ)"
echo
echo "## one commune's desks + kiosk through two ioc-connector processes"
echo "| traffic | desk events/s | desk CPU (% of a core) | kiosk events/s | kiosk CPU (% of a core) |"
echo "|---|---|---|---|---|"
unit=$("$B/connectors/ioc-sim" --list-sites --sites 1)
yesterday=$(date -d yesterday +%F)
for speed in 1 30 300; do
  start_broker
  sim_port=$(free_port)
  kiosk_port=$(free_port)
  rm -rf "$tmp/state-desk" "$tmp/state-kiosk"
  cat > "$tmp/desk.conf" <<CONF
[connector]
kind = desk
province = 40
unit = $unit
device = q-bench
state_dir = $tmp/state-desk
poll_interval = 2s
[mqtt]
url = tcp://127.0.0.1:$mqtt_port
[desk]
url = http://127.0.0.1:$sim_port/api/queue/events?unit=$unit
CONF
  cat > "$tmp/kiosk.conf" <<CONF
[connector]
kind = kiosk
province = 40
unit = $unit
device = kiosk-bench
state_dir = $tmp/state-kiosk
[mqtt]
url = tcp://127.0.0.1:$mqtt_port
[kiosk]
listen = 127.0.0.1:$kiosk_port
path = /kiosk/events
CONF
  # yesterday from 07:00: a whole working day is in the past at any hour
  "$B/connectors/ioc-sim" --port "$sim_port" --sites 1 --speed "$speed" --date "$yesterday" \
    --start 07:00 --post-to "http://127.0.0.1:$kiosk_port/kiosk/events" >"$tmp/sim.log" 2>&1 & pids+=($!)
  wait_port "$sim_port"
  "$B/connectors/ioc-connector" --config "$tmp/desk.conf" >"$tmp/desk.log" 2>&1 & pids+=($!)
  desk=$!
  "$B/connectors/ioc-connector" --config "$tmp/kiosk.conf" >"$tmp/kiosk.log" 2>&1 & pids+=($!)
  kiosk=$!
  wait_port "$kiosk_port"
  mosquitto_sub -p "$mqtt_port" -t "ioc/v1/40/$unit/+/+/event" -v >"$tmp/sub.txt" 2>/dev/null & pids+=($!)
  sleep 5   # warm-up: connect, first poll, first status
  d0=$(ticks "$desk"); k0=$(ticks "$kiosk")
  nd0=$(grep -c '/desk/' "$tmp/sub.txt" || true); nk0=$(grep -c '/kiosk/' "$tmp/sub.txt" || true)
  t0=$(date +%s.%N)
  sleep "$window"
  d1=$(ticks "$desk"); k1=$(ticks "$kiosk")
  nd1=$(grep -c '/desk/' "$tmp/sub.txt" || true); nk1=$(grep -c '/kiosk/' "$tmp/sub.txt" || true)
  t1=$(date +%s.%N)
  awk -v s="$speed" -v d="$((d1 - d0))" -v k="$((k1 - k0))" -v nd="$((nd1 - nd0))" -v nk="$((nk1 - nk0))" \
      -v t0="$t0" -v t1="$t1" -v hz="$hz" 'BEGIN {
    w = t1 - t0
    printf "| %sx a commune | %.2f | %.2f %% | %.2f | %.2f %% |\n", s, nd / w, 100 * d / hz / w, nk / w, 100 * k / hz / w }'
  stop_all
done

echo
echo "## publishing at the broker's limit (QoS 1, 1000 in flight, $count messages a run)"
echo "| publisher | run | msg/s | mosquitto CPU (% of a core) |"
echo "|---|---|---|---|"
start_broker
for run in 1 2; do
  for who in ioc-load ioc-sim; do
    m0=$(ticks "$broker_pid"); t0=$(date +%s.%N)
    if [ "$who" = ioc-load ]; then
      out=$("$B/bench/ioc-load" --url "tcp://127.0.0.1:$mqtt_port" --units ops/units/nghe-an.csv \
              --rate 0 --count "$count" --devices 3000 --window 1000 --client-id bench-load 2>/dev/null | tail -1)
    else
      out=$("$B/connectors/ioc-sim" --mqtt "tcp://127.0.0.1:$mqtt_port" --connectors 3000 \
              --rate 0 --count "$count" --window 1000 --seed "$run" 2>/dev/null | tail -1)
    fi
    m1=$(ticks "$broker_pid"); t1=$(date +%s.%N)
    rate=$(echo "$out" | sed -E 's/.*\(([0-9]+) msg\/s\).*/\1/')
    awk -v who="$who" -v run="$run" -v r="$rate" -v m="$((m1 - m0))" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
      'BEGIN { printf "| %s | %s | %s | %.0f %% |\n", who, run, r, 100 * m / hz / (t1 - t0) }'
  done
done
stop_all
