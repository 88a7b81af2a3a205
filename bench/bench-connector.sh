#!/usr/bin/env bash
# bench-connector.sh — what a connector costs, and how fast ioc-sim publishes
# (issue 4, docs/BENCHMARKS.md "Connectors and ioc-sim").
#
# 1. One site's whole load: ioc-sim plays one commune (queue system polled
#    by a desk connector, kiosk tickets and ratings POSTed to a kiosk
#    connector's webhook, its 4 cameras and NVR probed by a camera
#    connector) from 08:00 of a past working day (the morning peak) at the
#    realistic rate (1x) and at 30x and 300x (300x: the window spans
#    08:00-13:30, peak and lunch); each connector publishes to a local
#    mosquitto.  CPU is read from /proc/PID/stat (utime+stime) of each
#    ioc-connector over the window and reported as % of one core; messages
#    counted by a subscriber.  ROUNDS (default 2) repeats every speed.
# 2. ioc-sim MQTT mode at the broker's limit (--rate 0, QoS 1, 1000 in
#    flight) against bench/ioc-load with the same settings, same broker,
#    same run, alternating; the publisher's own CPU (getrusage of the
#    child), mosquitto's CPU while each publishes, and two ioc-load in
#    parallel as the reference for what the broker takes from more than one
#    publisher.
#
#   BUILD_DIR=build [ROUNDS=2] [STAGES="1 2"] bash bench/bench-connector.sh [WINDOW_SECONDS=60] [MESSAGES=100000]
set -euo pipefail
cd "$(dirname "$0")/.."
B="${BUILD_DIR:-build}"
window="${1:-60}"
count="${2:-100000}"
rounds="${ROUNDS:-2}"
stages="${STAGES:-1 2}"
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
echo "## one commune's desks, kiosk and cameras through three ioc-connector processes"
echo "| traffic | round | desk events/s | desk CPU | kiosk events/s | kiosk CPU | camera msgs/s | camera CPU | the site (3 processes) |"
echo "|---|---|---|---|---|---|---|---|---|"
unit=$("$B/connectors/ioc-sim" --list-sites --sites 1)
# a past working day (Mon-Fri): the whole day is in the past at any hour
day=$(date -d yesterday +%F)
while [ "$(date -d "$day" +%u)" -gt 5 ]; do day=$(date -d "$day - 1 day" +%F); done
for round in $(seq 1 "$rounds"); do
for speed in 1 30 300; do
  [[ " $stages " == *" 1 "* ]] || continue
  start_broker
  sim_port=$(free_port)
  kiosk_port=$(free_port)
  rm -rf "$tmp/state-desk" "$tmp/state-kiosk" "$tmp/state-camera"
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
  # the camera connector as ops/run.sh configures it: 4 cameras, a probe round every 5 s
  { cat <<CONF
[connector]
kind = camera
province = 40
unit = $unit
device = nvr-bench
state_dir = $tmp/state-camera
poll_interval = 5s
[mqtt]
url = tcp://127.0.0.1:$mqtt_port
[camera]
cameras = cam-01, cam-02, cam-03, cam-04
probe_timeout = 2s
nvr_status = http://127.0.0.1:$sim_port/nvr/$unit/status
CONF
    for c in 1 2 3 4; do
      echo "rtsp.cam-0$c = rtsp://127.0.0.1:$((sim_port + 1))/$unit-cam-0$c"
      echo "snapshot.cam-0$c = http://127.0.0.1:$sim_port/snapshot/$unit-cam-0$c.jpg"
      echo "channel.cam-0$c = $c"
      echo "counter.cam-0$c = q$c"
    done
  } > "$tmp/camera.conf"
  for c in desk kiosk camera; do
    "$B/connectors/ioc-connector" --check --config "$tmp/$c.conf" >/dev/null \
      || { echo "bench-connector: $tmp/$c.conf does not validate"; exit 1; }
  done
  # from 08:00, the morning peak (the day starts at 07:00, counters open at 07:00)
  "$B/connectors/ioc-sim" --port "$sim_port" --sites 1 --speed "$speed" --date "$day" \
    --start 08:00 --post-to "http://127.0.0.1:$kiosk_port/kiosk/events" >"$tmp/sim.log" 2>&1 & pids+=($!)
  wait_port "$sim_port"
  wait_port "$((sim_port + 1))"
  "$B/connectors/ioc-connector" --config "$tmp/desk.conf" >"$tmp/desk.log" 2>&1 & pids+=($!)
  desk=$!
  "$B/connectors/ioc-connector" --config "$tmp/kiosk.conf" >"$tmp/kiosk.log" 2>&1 & pids+=($!)
  kiosk=$!
  "$B/connectors/ioc-connector" --config "$tmp/camera.conf" >"$tmp/camera.log" 2>&1 & pids+=($!)
  camera=$!
  wait_port "$kiosk_port"
  # desk and kiosk: their events; camera: everything it publishes (status per camera, events)
  mosquitto_sub -p "$mqtt_port" -t "ioc/v1/40/$unit/desk/+/event" -t "ioc/v1/40/$unit/kiosk/+/event" \
    -t "ioc/v1/40/$unit/camera/#" -v >"$tmp/sub.txt" 2>/dev/null & pids+=($!)
  sleep 5   # warm-up: connect, first poll, first status
  d0=$(ticks "$desk"); k0=$(ticks "$kiosk"); c0=$(ticks "$camera")
  nd0=$(grep -c '/desk/' "$tmp/sub.txt" || true); nk0=$(grep -c '/kiosk/' "$tmp/sub.txt" || true)
  nc0=$(grep -c '/camera/' "$tmp/sub.txt" || true)
  t0=$(date +%s.%N)
  sleep "$window"
  d1=$(ticks "$desk"); k1=$(ticks "$kiosk"); c1=$(ticks "$camera")
  nd1=$(grep -c '/desk/' "$tmp/sub.txt" || true); nk1=$(grep -c '/kiosk/' "$tmp/sub.txt" || true)
  nc1=$(grep -c '/camera/' "$tmp/sub.txt" || true)
  t1=$(date +%s.%N)
  awk -v s="$speed" -v r="$round" -v d="$((d1 - d0))" -v k="$((k1 - k0))" -v c="$((c1 - c0))" \
      -v nd="$((nd1 - nd0))" -v nk="$((nk1 - nk0))" -v nc="$((nc1 - nc0))" \
      -v t0="$t0" -v t1="$t1" -v hz="$hz" 'BEGIN {
    w = t1 - t0
    printf "| %sx a commune | %s | %.2f | %.2f %% | %.2f | %.2f %% | %.2f | %.2f %% | %.2f %% |\n", s, r,
      nd / w, 100 * d / hz / w, nk / w, 100 * k / hz / w, nc / w, 100 * c / hz / w, 100 * (d + k + c) / hz / w }'
  # what the sources rejected or the buffer dropped would make the figures meaningless
  for c in desk kiosk camera; do
    if grep -qiE 'reject|critical|error' "$tmp/$c.log"; then
      echo "bench-connector: $c at ${speed}x logged:"; grep -iE 'reject|critical|error' "$tmp/$c.log" | sort | uniq -c | sort -rn | head -5
    fi
  done
  stop_all
done
done

echo
echo "## publishing at the broker's limit (QoS 1, 1000 in flight, $count messages a run, no subscriber)"
echo "| publisher | run | msg/s | acknowledged / sent | publisher CPU (% of a core) | publisher µs/msg | mosquitto CPU (% of a core) |"
echo "|---|---|---|---|---|---|---|"
start_broker
# one publisher; prints "SENT ACKED RATE CPU_SECONDS" (CPU: getrusage of the child, via /usr/bin/time)
publish() {  # who, seed, client id
  local out cpu
  if [ "$1" = ioc-load ]; then
    out=$(/usr/bin/time -f 'cpu %U %S' -o "$tmp/time-$3" "$B/bench/ioc-load" --url "tcp://127.0.0.1:$mqtt_port" \
            --units ops/units/nghe-an.csv --rate 0 --count "$count" --devices 3000 --window 1000 --seed "$2" \
            --client-id "$3" 2>/dev/null | tail -1)
  else  # ioc-sim or ioc-sim-N: N connections
    local conns=1
    [[ "$1" == ioc-sim-* ]] && conns=${1#ioc-sim-}
    out=$(/usr/bin/time -f 'cpu %U %S' -o "$tmp/time-$3" "$B/connectors/ioc-sim" --mqtt "tcp://127.0.0.1:$mqtt_port" \
            --connectors 3000 --rate 0 --count "$count" --window 1000 --seed "$2" --connections "$conns" \
            2>/dev/null | tail -1)
  fi
  cpu=$(awk '/^cpu / { print $2 + $3 }' "$tmp/time-$3")
  echo "$out" | sed -E 's/.*: ([0-9]+) sent, ([0-9]+) acknowledged in .* \(([0-9]+) msg\/s\).*/\1 \2 \3/' | tr '\n' ' '
  echo "$cpu"
}
row() {  # label, run, t0, t1, m0, m1, then "sent acked rate cpu" per publisher
  local label=$1 run=$2 t0=$3 t1=$4 m0=$5 m1=$6
  shift 6
  awk -v who="$label" -v run="$run" -v m="$((m1 - m0))" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v pubs="$*" 'BEGIN {
    n = split(pubs, f, " "); sent = 0; acked = 0; rate = 0; cpu = 0
    for (i = 1; i + 3 <= n; i += 4) { sent += f[i]; acked += f[i + 1]; rate += f[i + 2]; cpu += f[i + 3] }
    w = t1 - t0
    printf "| %s | %s | %d | %d / %d | %.0f %% | %.1f | %.0f %% |\n", who, run, rate, acked, sent,
      100 * cpu / w, 1e6 * cpu / sent, 100 * m / hz / w }'
}
for run in 1 2; do
  for who in ioc-load ioc-sim ioc-sim-4; do
    m0=$(ticks "$broker_pid"); t0=$(date +%s.%N)
    res=$(publish "$who" "$run" "bench-$who-$run")
    m1=$(ticks "$broker_pid"); t1=$(date +%s.%N)
    row "$who" "$run" "$t0" "$t1" "$m0" "$m1" $res
  done
  # the reference: two ioc-load at once (what the broker takes from more than one publisher)
  m0=$(ticks "$broker_pid"); t0=$(date +%s.%N)
  publish ioc-load "$((run + 10))" "bench-par-a-$run" >"$tmp/par-a" & pa=$!
  publish ioc-load "$((run + 20))" "bench-par-b-$run" >"$tmp/par-b" & pb=$!
  wait "$pa" "$pb"
  m1=$(ticks "$broker_pid"); t1=$(date +%s.%N)
  row "2 × ioc-load in parallel (sum)" "$run" "$t0" "$t1" "$m0" "$m1" $(cat "$tmp/par-a") $(cat "$tmp/par-b")
done
stop_all
