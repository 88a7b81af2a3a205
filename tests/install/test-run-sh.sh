#!/usr/bin/env bash
# test-run-sh.sh BUILD_DIR — ops/run.sh stopped and started again keeps what
# the user added, and stops in order:
#   1. RUN_FOR=… run: the self-check passes (every kind heard);
#   2. the user adds a connector file and a line to hub.conf;
#   3. a second run with other ports asked for is refused (RUN_DIR's files
#      name the first ones) and starts nothing;
#   4. a second run: its hub, killed with SIGKILL, is started again and
#      restores its state; then the run is stopped with Ctrl-C (SIGINT to its
#      process group, as a terminal sends it): the added connector was started, both additions
#      survived, the stop went connectors → hub → InfluxDB → mosquitto, the
#      hub disconnected before the broker went down, wrote its final
#      snapshot, and nothing run.sh started is left running.
# Free loopback ports; a temporary RUN_DIR, removed at the end.
set -euo pipefail
build="$(cd "$1" && pwd)"
src="$(cd "$(dirname "$0")/../.." && pwd)"
run="$(mktemp -d "${TMPDIR:-/tmp}/ioc-run-sh.XXXXXX")"
chmod 0755 "$run"
runner_pgid=""
cleanup() {
  # Only if a check failed half-way: run.sh's own group, by its id.
  [ -n "$runner_pgid" ] && kill -TERM -- "-$runner_pgid" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $run"; else rm -rf "$run"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$run"/out-*.log; do echo "--- $f"; tail -40 "$f"; done; exit 1; }

# Alive and not a zombie (run.sh is our child until we wait for it).
alive() { local st; st="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1; [[ "$st" != Z* ]]; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
base=""
for _ in $(seq 1 50); do
  b=$((10000 + RANDOM % 22000))  # below the ephemeral range (32768-)
  ok=1
  for p in $(seq "$b" $((b + 9))); do port_free "$p" || { ok=0; break; }; done
  [ "$ok" = 1 ] && { base=$b; break; }
done
[ -n "$base" ] || fail "no 10 free ports in a row"
export SKIP_SETUP=1 BUILD_DIR="$build" RUN_DIR="$run/demo" SITES=1 DEVICES=20 RATE=20
export MQTT_PORT=$base INFLUX_PORT=$((base + 1)) INFLUX_RPC_PORT=$((base + 2)) HTTP_PORT=$((base + 3))
export SIM_PORT=$((base + 4)) KIOSK_PORT=$((base + 6))
demo="$run/demo"

echo "# 1. first run, RUN_FOR=20"
RUN_FOR=20 bash "$src/ops/run.sh" >"$run/out-1.log" 2>&1 || fail "first run"
grep -q 'run: self-check passed' "$run/out-1.log" || fail "first run: no self-check"
[ -f "$demo/hub/hub.conf" ] || fail "no hub.conf in RUN_DIR"
ls "$demo/connectors/"*.conf >/dev/null || fail "no connectors in RUN_DIR"

echo "# 2. the user adds a connector and a line to hub.conf"
unit="$(grep -m1 '^unit = ' "$demo/connectors/desk-"*.conf | sed 's/.*= //')"
cat >"$demo/connectors/desk-added-by-hand.conf" <<CONF
# added by hand between two runs
[connector]
kind = desk
province = 40
unit = $unit
device = q-added-by-hand
state_dir = $demo/connectors/state/desk-added-by-hand
[mqtt]
url = tcp://127.0.0.1:$MQTT_PORT
[desk]
url = http://127.0.0.1:$SIM_PORT/api/queue/events?unit=$unit
cursor_param = after
CONF
echo "# the operator's own note" >>"$demo/hub/hub.conf"
hub_conf_sum="$(md5sum <"$demo/hub/hub.conf")"
added_sum="$(md5sum <"$demo/connectors/desk-added-by-hand.conf")"

echo "# 3. other ports on a kept RUN_DIR are refused"
rc=0
MQTT_PORT=$((base + 100)) RUN_FOR=5 bash "$src/ops/run.sh" >"$run/out-ports.log" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a different MQTT_PORT on a kept RUN_DIR: exit $rc, expected 2"
grep -q "made with MQTT_PORT=$MQTT_PORT" "$run/out-ports.log" || fail "the refusal does not name the kept port"
grep -q "RESET=1" "$run/out-ports.log" || fail "the refusal does not say RESET=1"

echo "# 4. second run, stopped with Ctrl-C"
# As from a terminal: its own process group, SIGINT not ignored (a shell
# starts background commands with SIGINT ignored, and bash cannot trap a
# signal ignored on entry).
setsid env --default-signal=INT bash "$src/ops/run.sh" >"$run/out-2.log" 2>&1 &
runner=$!
runner_pgid=$runner  # setsid made it a group (and session) leader
started=0
for _ in $(seq 1 600); do
  grep -q 'Press Ctrl-C to stop' "$run/out-2.log" 2>/dev/null \
    && grep -q 'connected' "$demo/connectors/desk-added-by-hand.log" 2>/dev/null && { started=1; break; }
  alive "$runner" || break
  sleep 0.1
done
[ "$started" = 1 ] || fail "second run: not up, or the added connector did not connect"
grep -q "keeping $demo" "$run/out-2.log" || fail "second run did not say it keeps RUN_DIR"

echo "# 4a. the hub killed (SIGKILL) is started again, as systemd would"
hub_pid="$(pgrep -f -- "hub/iochub --config $demo/hub/hub.conf" | head -1)"
[ -n "$hub_pid" ] || fail "second run: no hub running"
starts=$(grep -c 'state: restored' "$demo/hub/hub.log" || true)
kill -KILL "$hub_pid"
back=0
for _ in $(seq 1 300); do
  grep -q 'run: the hub died (status 137, signal 9)' "$run/out-2.log" \
    && [ "$(grep -c 'state: restored' "$demo/hub/hub.log")" -gt "$starts" ] \
    && ! port_free "$HTTP_PORT" && { back=1; break; }
  alive "$runner" || break
  sleep 0.1
done
[ "$back" = 1 ] || fail "the killed hub was not started again"
t_int=$(date +%s)
kill -INT -- "-$runner_pgid"
for _ in $(seq 1 1200); do alive "$runner" || break; sleep 0.1; done
alive "$runner" && fail "run.sh did not stop within 120 s of Ctrl-C"
wait "$runner" || true
runner_pgid=""

[ "$(md5sum <"$demo/hub/hub.conf")" = "$hub_conf_sum" ] || fail "hub.conf was rewritten"
[ "$(md5sum <"$demo/connectors/desk-added-by-hand.conf")" = "$added_sum" ] || fail "the added connector changed"

order="$(grep '^run: stopping ' "$run/out-2.log" | sed 's/^run: stopping //; s/ (.*//' | paste -sd '|')"
[ "$order" = "the connectors and simulators|the hub|InfluxDB|mosquitto" ] || fail "stop order: '$order'"
grep -q 'did not stop in' "$run/out-2.log" && fail "something had to be killed"

snap="$demo/hub/state/snapshot"
[ -f "$snap" ] || fail "no hub snapshot"
[ "$(stat -c %Y "$snap")" -ge "$t_int" ] || fail "the hub's final snapshot was not written at the stop"
grep -q 'snapshot at shutdown' "$demo/hub/hub.log" && fail "the final snapshot failed"
mlog="$demo/mosquitto/mosquitto.log"
start=$(grep -n 'starting' "$mlog" | tail -1 | cut -d: -f1)
disc=$(grep -n 'Client iochub-demo disconnected' "$mlog" | tail -1 | cut -d: -f1)
term=$(grep -n 'terminating' "$mlog" | tail -1 | cut -d: -f1)
[ -n "$start" ] && [ -n "$disc" ] && [ -n "$term" ] && [ "$start" -lt "$disc" ] && [ "$disc" -lt "$term" ] \
  || fail "the hub did not disconnect before the broker stopped (mosquitto.log lines $start, $disc, $term)"
if pgrep -f -- "$demo" >/dev/null; then
  pgrep -af -- "$demo"; fail "processes of the demo are still running"
fi
echo "ok: kept hub.conf and the added connector, stopped connectors → hub (final snapshot) → InfluxDB → mosquitto"
