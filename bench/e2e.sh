#!/usr/bin/env bash
# End-to-end benchmark through a real loopback mosquitto (ops/mosquitto/iochub.conf):
#   1. the broker's sustained QoS 1 rate into a bare Paho subscriber (MQTTAsync and MQTTClient)
#   2. the same stream into iochub: zero loss, and the hub's CPU per message as a
#      multiple of the bare subscriber's (same run, same stream, same machine)
#   3. a backlog of N messages queued while the hub is down, drained at restart,
#      against the same backlog drained by the bare subscriber
# Usage: bench/e2e.sh [N] [BACKLOG]      (build first: ops/setup.sh)
# Environment: BUILD=dir (default build), ROUNDS=r (default 1: the bare
# subscribers and the hub at QoS 2 and at QoS 1 take turns, r times, so noise
# from other jobs hits baseline and candidate alike), HUB_QOS="2 1" (which hub
# modes), HUB_BINS="a b" (hub binaries to compare, default the build's),
# BARE=0 (skip the bare subscribers), PERF=dir (perf record -g each hub run
# into dir), KEEP_LOG=file (copy of the last hub run's log), BACKLOG=0 skips 3.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200000}"
BACKLOG="${2:-1000000}"
B="${BUILD:-build}"
ROUNDS="${ROUNDS:-1}"
HUB_QOS="${HUB_QOS:-2 1}"
HUB_BINS="${HUB_BINS:-$B/hub/iochub}"
hub_bin="$B/hub/iochub"
work=$(mktemp -d)
chmod 0777 "$work"   # mosquitto run as root drops to its own user and must write its database here
port=$((20000 + RANDOM % 20000))
http=$((port + 1))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cat > "$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence_location $work/
log_dest none
$(cat ops/mosquitto/iochub.conf)
CONF
mosquitto -c "$work/mosquitto.conf" & pids+=($!)
broker_pid=$!
sleep 0.5

start_sub() {  # args for bare-sub → sets sub_pid, sub_out; returns once subscribed
  sub_out="$work/sub.$RANDOM.out"
  "$B/bench/bare-sub" --url "tcp://127.0.0.1:$port" "$@" >"$sub_out" 2>&1 &
  sub_pid=$!
  for _ in $(seq 1 200); do grep -q ready "$sub_out" 2>/dev/null && return 0; sleep 0.05; done
  echo "bare-sub did not subscribe"; cat "$sub_out"; exit 1
}
finish_sub() {  # waits (bounded) for the subscriber to count everything → its result line
  for _ in $(seq 1 3000); do grep -q "^bare-sub" "$sub_out" && break; sleep 0.1; done
  grep "^bare-sub" "$sub_out" || { echo "bare-sub did not receive everything:"; cat "$sub_out"; kill "$sub_pid"; }
}

cpu_of() {  # pid → user+system seconds
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

load() {  # count, client-id
  "$B/bench/ioc-load" --url "tcp://127.0.0.1:$port" --units ops/units/nghe-an.csv --rate 0 \
    --count "$1" --devices 5000 --client-id "$2" --window 2000 | tail -1
}

bare_round() {
  for api in async client; do
    for qos in 1 2; do
      [ "$api" = client ] && [ "$qos" = 2 ] && continue
      start_sub --api $api --qos $qos --count "$N" --client-id "bare-$api-$qos"
      b0=$(cpu_of "$broker_pid")
      echo "publisher: $(load "$N" "pub-bare-$api-$qos")"
      line=$(finish_sub)
      b1=$(cpu_of "$broker_pid")
      echo "$line; broker cpu $(awk -v a="$b0" -v b="$b1" -v n="$N" 'BEGIN{printf "%.2f us/msg", (b-a)*1e6/n}')"
      wait "$sub_pid" 2>/dev/null || true
    done
  done
}

# The hub, no InfluxDB (its writes are per minute).  QoS 2 subscription is
# the crash-exact mode; `[mqtt] qos = 1` the fast one.
hub_conf() {  # qos → writes $work/hub/hub.conf with a fresh state dir and session
  rm -rf "$work/hub/state"
  hub_id="iochub-bench-q$1-$RANDOM"
  cat > "$work/hub/hub.conf" <<CONF
[hub]
province = 40
units = $PWD/ops/units/nghe-an.csv
calendar = $PWD/ops/calendar/vn-2025.conf,$PWD/ops/calendar/vn-2026.conf
state_dir = $work/hub/state
[mqtt]
url = tcp://127.0.0.1:$port
client_id = $hub_id
qos = $1
[http]
listen = 127.0.0.1:$http
CONF
}
metric() { curl -s "http://127.0.0.1:$http/metrics" | awk -v m="$1" '$1==m {print $2}'; }
start_hub() {
  "$hub_bin" --config "$work/hub/hub.conf" >>"$work/hub/hub.log" 2>&1 &
  hub_pid=$!
  for _ in $(seq 1 100); do [ "$(metric iochub_mqtt_connected)" = 1 ] && return 0; sleep 0.1; done
  echo "hub did not subscribe"; cat "$work/hub/hub.log"; exit 1
}
wait_received() {  # count → seconds waited
  local t0; t0=$(date +%s.%N)
  for _ in $(seq 1 6000); do
    r=$(metric iochub_messages_received_total); [ "${r:-0}" -ge "$1" ] && break; sleep 0.05
  done
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}'
}
# The hub's stream ends when it has *processed* (not only journaled) them all.
wait_processed() {
  for _ in $(seq 1 6000); do
    r=$(metric iochub_messages_processed_total); [ "${r:-0}" -ge "$1" ] && break; sleep 0.05
  done
}

# A clean-session connect with the same id ends the hub's persistent session,
# or the broker would queue every later run's messages for it.
forget_session() { mosquitto_sub -h 127.0.0.1 -p "$port" -i "$1" -t ioc/bench/none -E >/dev/null 2>&1 || true; }

hub_round() {  # qos
  hub_conf "$1"
  start_hub
  # Subscribe once (a persistent session) before the measured stream.
  perf_pid=
  if [ -n "${PERF:-}" ]; then
    mkdir -p "$PERF"
    perf record -g -o "$PERF/hub-q$1.$RANDOM.data" -p "$hub_pid" >/dev/null 2>&1 & perf_pid=$!
    sleep 0.3
  fi
  # Retained messages arrive on top of the stream: CPU is divided by what
  # the hub received while it was measured.
  sleep 0.5
  r0=$(metric iochub_messages_received_total)
  h0=$(cpu_of "$hub_pid"); t0=$(date +%s.%N)
  echo "publisher: $(load "$N" "pub-hub-q$1")"
  wait_received "$((r0 + N))" >/dev/null
  wait_processed "$((r0 + N))"
  h1=$(cpu_of "$hub_pid"); t1=$(date +%s.%N)
  [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
  got=$(metric iochub_messages_received_total); acc=$(metric iochub_messages_accepted_total)
  echo "iochub qos$1 ($hub_bin): received $((got - r0)) of $N (+$r0 retained), accepted $acc, cpu $(awk -v a="$h0" -v b="$h1" -v n="$((got - r0))" 'BEGIN{printf "%.3f s (%.2f us/msg)", b-a, (b-a)*1e6/n}'), wall $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f s", b-a}')"
  kill -TERM "$hub_pid"; wait "$hub_pid" || true
  # A lost connection (keepalive under CPU starvation) is part of the story.
  echo "hub log: $(grep -c 'connection to .* lost' "$work/hub/hub.log" || true) connection(s) lost; $(grep -c 'reconnecting in' "$work/hub/hub.log" || true) reconnect(s)"
  [ -n "${KEEP_LOG:-}" ] && cp "$work/hub/hub.log" "$KEEP_LOG"
  : > "$work/hub/hub.log"
  forget_session "$hub_id"
}

echo "# e2e: $N messages, QoS 1 publisher (ioc-load, realistic mix), mosquitto on loopback, $ROUNDS round(s)"
mkdir -p "$work/hub"
for r in $(seq 1 "$ROUNDS"); do
  echo "## round $r"
  [ "${BARE:-1}" = 0 ] || bare_round
  for q in $HUB_QOS; do
    for hub_bin in $HUB_BINS; do hub_round "$q"; done
  done
done

[ "$BACKLOG" -gt 0 ] || exit 0
echo "# backlog: $BACKLOG messages queued while the hub (QoS 2) is stopped"
hub_bin="$B/hub/iochub"
hub_conf 2
start_hub
sleep 0.5
kill -TERM "$hub_pid"; wait "$hub_pid" || true
echo "publisher: $(load "$BACKLOG" pub-backlog)"
start_hub
c0=$(cpu_of "$hub_pid")
t=$(wait_received "$BACKLOG")
c1=$(cpu_of "$hub_pid")
echo "iochub drained backlog of $(metric iochub_messages_received_total) in $t s ($(awk -v n="$BACKLOG" -v t="$t" 'BEGIN{printf "%.0f", n/t}') msg/s), cpu $(awk -v a="$c0" -v b="$c1" -v n="$BACKLOG" 'BEGIN{printf "%.2f us/msg", (b-a)*1e6/n}'), awaiting PUBREL at the end: $(metric iochub_mqtt_awaiting_pubrel)"
kill -TERM "$hub_pid"; wait "$hub_pid" || true

# The same backlog into the bare subscriber: the broker's own drain rate.
start_sub --api async --qos 2 --count "$BACKLOG" --client-id bare-backlog --persistent
kill -TERM "$sub_pid" 2>/dev/null || true; wait "$sub_pid" 2>/dev/null || true
echo "publisher: $(load "$BACKLOG" pub-backlog-bare)"
start_sub --api async --qos 2 --count "$BACKLOG" --client-id bare-backlog --persistent
echo "bare backlog drain: $(finish_sub)"
