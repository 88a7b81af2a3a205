#!/usr/bin/env bash
# sim-through-broker.sh — ioc-sim's MQTT mode through a loopback mosquitto
# (ops/mosquitto/iochub.conf, no persistence) into a QoS 1 bare-sub: the rate
# the subscriber receives everything at, for 1, 4 and 8 publishing
# connections, and mosquitto's CPU meanwhile (issue 4, docs/BENCHMARKS.md §6.2).
#   BUILD_DIR=build bash bench/sim-through-broker.sh [MESSAGES=200000] [CONNECTIONS="1 4 8"]
set -euo pipefail
cd "$(dirname "$0")/.."
B="${BUILD_DIR:-build}"
count="${1:-200000}"
conns_list="${2:-1 4 8}"
for bin in connectors/ioc-sim bench/bare-sub; do
  [ -x "$B/$bin" ] || { echo "sim-through-broker: $B/$bin missing (ninja -C $B)"; exit 1; }
done
work=$(mktemp -d)
chmod 0777 "$work"   # mosquitto run as root drops to its own user
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$((20000 + RANDOM % 20000))
{ echo "listener $port 127.0.0.1"; echo "allow_anonymous true"; echo "log_dest none"
  grep -v '^persistence\|^autosave' ops/mosquitto/iochub.conf; echo "persistence false"; } > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" & broker=$!; pids+=("$broker")
sleep 0.5
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
echo "| publishing connections | received by the subscriber | ioc-sim's own report | mosquitto CPU |"
echo "|---|---|---|---|"
for conns in $conns_list; do
  out="$work/sub.$conns"
  "$B/bench/bare-sub" --url "tcp://127.0.0.1:$port" --api async --qos 1 --count "$count" --client-id "sub-$conns" >"$out" 2>&1 &
  sub=$!; pids+=("$sub")
  for _ in $(seq 1 200); do grep -q ready "$out" && break; sleep 0.05; done
  m0=$(ticks "$broker"); t0=$(date +%s.%N)
  sim=$("$B/connectors/ioc-sim" --mqtt "tcp://127.0.0.1:$port" --connectors 3000 --rate 0 --count "$count" \
          --window 1000 --seed 9 --connections "$conns" 2>/dev/null | tail -1)
  for _ in $(seq 1 600); do grep -q '^bare-sub' "$out" && break; sleep 0.1; done
  m1=$(ticks "$broker"); t1=$(date +%s.%N)
  got=$(grep '^bare-sub' "$out" | sed -E 's/.*: ([0-9]+) messages.*\(([0-9]+) msg\/s\).*/\1 in full, \2 msg\/s/' || echo "NOT everything")
  echo "| $conns | $got | ${sim#ioc-sim: } | $(awk -v a="$m0" -v b="$m1" -v t0="$t0" -v t1="$t1" -v hz="$hz" 'BEGIN { printf "%.0f %% of a core", 100 * (b - a) / hz / (t1 - t0) }') |"
  kill "$sub" 2>/dev/null || true; wait "$sub" 2>/dev/null || true
done
