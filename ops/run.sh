#!/usr/bin/env bash
# The main job: a private broker and InfluxDB on loopback, the hub, and a
# simulated Nghệ An.  A few commune sites are played through the real path:
# ioc-sim serves their source systems (queue API, kiosk webhooks, RTSP/HTTP
# cameras and the NVR's status, the dossier back-end) and real ioc-connector
# processes of every kind read them and publish; ioc-sim's MQTT mode plays
# the rest of the province's devices.  Installs and builds what is missing
# first.  Ctrl-C stops everything it started (by PID), in order: the
# connectors and simulators, then the hub (it writes its last points and a
# final snapshot), then InfluxDB, then the broker.  A hub that dies is
# started again (as systemd would), one that exits 0 stops the run.
#   MQTT_PORT=18830 INFLUX_PORT=18086 HTTP_PORT=8080 SIM_PORT=18081 \
#   SITES=4 SPEED=60 RATE=100 DEVICES=1500 ops/run.sh
#   RUN_FOR=120 ops/run.sh   # run 120 s, check the hub heard every kind, stop
#   SKIP_SETUP=1 BUILD_DIR=… RUN_DIR=… ops/run.sh   # an existing build, another state dir
# Run again, it keeps what RUN_DIR (default .run/) holds: the hub's hub.conf
# and state, the connectors' configs (edit them, add your own *.conf: each
# is started) and their seq and buffers, the broker's and InfluxDB's data,
# and the ports and SITES it was made with (run.env).  RESET=1 starts from
# an empty RUN_DIR with newly generated files.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
[ "${SKIP_SETUP:-0}" = 1 ] || BUILD_DIR="$build" bash ops/setup.sh

run="${RUN_DIR:-$PWD/.run}"
if [ "${RESET:-0}" = 1 ] && [ -d "$run" ]; then
  echo "run: RESET=1: removing $run"
  rm -rf "$run"
fi
# A kept RUN_DIR's files name its ports: use them again, and refuse a
# different one rather than start a hub on one port and its broker on another.
kept=0
if [ -f "$run/run.env" ]; then
  kept=1
  while IFS='=' read -r name value; do
    case "$name" in MQTT_PORT|INFLUX_PORT|INFLUX_RPC_PORT|HTTP_PORT|SIM_PORT|KIOSK_PORT|SITES) ;; *) continue ;; esac
    given="${!name:-}"
    if [ -n "$given" ] && [ "$given" != "$value" ]; then
      echo "run: $run was made with $name=$value; run with that, or RESET=1 to start afresh with $name=$given"
      exit 2
    fi
    printf -v "$name" '%s' "$value"
  done < "$run/run.env"
  echo "run: keeping $run (hub.conf, connectors, state; RESET=1 starts afresh)"
fi
MQTT_PORT="${MQTT_PORT:-18830}"
INFLUX_PORT="${INFLUX_PORT:-18086}"
INFLUX_RPC_PORT="${INFLUX_RPC_PORT:-18088}"
HTTP_PORT="${HTTP_PORT:-8080}"
SIM_PORT="${SIM_PORT:-18081}"          # RTSP on SIM_PORT+1
KIOSK_PORT="${KIOSK_PORT:-18100}"      # kiosk webhooks on KIOSK_PORT+0 … +SITES-1
SITES="${SITES:-4}"                    # commune sites with real connectors
SPEED="${SPEED:-60}"                   # simulated seconds per second until the sim reaches now
START="${START:-07:30}"                # the simulated day starts here (local time)
RATE="${RATE:-100}"                    # ioc-sim MQTT mode: the rest of the province
DEVICES="${DEVICES:-1500}"
RUN_FOR="${RUN_FOR:-0}"                # 0: until Ctrl-C
mkdir -p "$run/mosquitto" "$run/influxdb" "$run/hub" "$run/connectors"
for name in MQTT_PORT INFLUX_PORT INFLUX_RPC_PORT HTTP_PORT SIM_PORT KIOSK_PORT SITES; do
  echo "$name=${!name}"
done > "$run/run.env"
# Started as root, mosquitto drops to its own user, which must write here.
chmod 0777 "$run/mosquitto"

# Every process runs in its own session (setsid), so a Ctrl-C at the
# terminal reaches this script only, and cleanup stops them in order.
mosquitto_pid=""; influxd_pid=""; hub_pid=""; feeders=()
stop() {  # what, seconds to wait before SIGKILL, pids…
  local what="$1" grace="$2"; shift 2
  local live=()
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && live+=("$pid"); done
  [ "${#live[@]}" -gt 0 ] || return 0
  echo "run: stopping $what"
  kill -TERM "${live[@]}" 2>/dev/null || true
  for ((t = 0; t < grace * 10; t++)); do
    local any=0
    for pid in "${live[@]}"; do kill -0 "$pid" 2>/dev/null && any=1; done
    [ "$any" = 0 ] && break
    sleep 0.1
  done
  for pid in "${live[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "run: $what: $pid did not stop in $grace s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}
cleanup() {
  trap - INT TERM
  stop "the connectors and simulators" 15 "${feeders[@]}"
  stop "the hub (last points, final snapshot)" 60 $hub_pid
  stop "InfluxDB" 30 $influxd_pid
  stop "mosquitto" 30 $mosquitto_pid
  echo "run: stopped; $run keeps the configs and state (RESET=1 starts afresh)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() {  # port, what
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "run: $2 did not listen on port $1"; exit 1
}

cat > "$run/mosquitto/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence_location $run/mosquitto/
log_dest file $run/mosquitto/mosquitto.log
$(cat ops/mosquitto/iochub.conf)
CONF
setsid mosquitto -c "$run/mosquitto/mosquitto.conf" & mosquitto_pid=$!
wait_port "$MQTT_PORT" mosquitto

cat > "$run/influxdb/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$INFLUX_RPC_PORT"
[meta]
  dir = "$run/influxdb/meta"
[data]
  dir = "$run/influxdb/data"
  wal-dir = "$run/influxdb/wal"
[http]
  bind-address = "127.0.0.1:$INFLUX_PORT"
  log-enabled = false
CONF
setsid influxd -config "$run/influxdb/influxdb.conf" >"$run/influxdb/influxd.log" 2>&1 & influxd_pid=$!
wait_port "$INFLUX_PORT" influxd

[ -f "$run/hub/hub.conf" ] || cat > "$run/hub/hub.conf" <<CONF
# Generated by ops/run.sh; see ops/hub.conf for the annotated production file.
[hub]
province = 40
id = demo-hub
units = $PWD/ops/units/nghe-an.csv
calendar = $PWD/ops/calendar/vn-2025.conf,$PWD/ops/calendar/vn-2026.conf
procedures = $PWD/ops/procedures.conf
scorecard = $PWD/ops/score-766.conf
state_dir = $run/hub/state
alerts = $PWD/ops/alerts.conf
[mqtt]
url = tcp://127.0.0.1:$MQTT_PORT
client_id = iochub-demo
[influx]
url = http://127.0.0.1:$INFLUX_PORT
database = ioc
[http]
listen = 127.0.0.1:$HTTP_PORT
dashboard_dir = $PWD/dashboards/www
CONF
"$build/hub/iochub" --check --config "$run/hub/hub.conf"
start_hub() {
  setsid "$build/hub/iochub" --config "$run/hub/hub.conf" >>"$run/hub/hub.log" 2>&1 & hub_pid=$!
}
start_hub
wait_port "$HTTP_PORT" iochub

# ---- the sites played through real connectors ----
mapfile -t sites < <("$build/connectors/ioc-sim" --list-sites --sites "$SITES")
conf_dir="$run/connectors"
common() {  # kind, device, unit, poll interval
  cat <<CONF
# Generated by ops/run.sh; annotated examples: ops/connectors/$1-example.conf
[connector]
kind = $1
province = 40
unit = $3
device = $2
state_dir = $conf_dir/state/$1-$2
poll_interval = $4
status_interval = 30s
[mqtt]
url = tcp://127.0.0.1:$MQTT_PORT
CONF
}
post_to=()
for i in "${!sites[@]}"; do
  post_to+=(--post-to "${sites[i]}=http://127.0.0.1:$((KIOSK_PORT + i))/kiosk/events")
done
# Generated once; a kept RUN_DIR's connectors (edited or added) stay as they are.
[ "$kept" = 1 ] || for i in "${!sites[@]}"; do
  u="${sites[i]}"
  { common desk "q-$u" "$u" 2s
    cat <<CONF
[desk]
url = http://127.0.0.1:$SIM_PORT/api/queue/events?unit=$u
cursor_param = after
CONF
  } > "$conf_dir/desk-$u.conf"
  port=$((KIOSK_PORT + i))
  { common kiosk "kiosk-$u" "$u" 2s
    cat <<CONF
[kiosk]
listen = 127.0.0.1:$port
path = /kiosk/events
CONF
  } > "$conf_dir/kiosk-$u.conf"
  { common camera "nvr-$u" "$u" 5s
    echo "[camera]"
    echo "cameras = cam-01, cam-02, cam-03, cam-04"
    echo "probe_timeout = 2s"
    echo "nvr_status = http://127.0.0.1:$SIM_PORT/nvr/$u/status"
    for c in 1 2 3 4; do
      echo "rtsp.cam-0$c = rtsp://127.0.0.1:$((SIM_PORT + 1))/$u-cam-0$c"
      echo "snapshot.cam-0$c = http://127.0.0.1:$SIM_PORT/snapshot/$u-cam-0$c.jpg"
      echo "channel.cam-0$c = $c"
      echo "counter.cam-0$c = q$c"
    done
  } > "$conf_dir/camera-$u.conf"
done
[ "$kept" = 1 ] || { common portal dvc-nghe-an tinh-40 2s
  cat <<CONF
[portal]
url = http://127.0.0.1:$SIM_PORT/api/dossiers/changes
cursor_param = since
unit_field = unit
CONF
} > "$conf_dir/portal-dvc.conf"
for conf in "$conf_dir"/*.conf; do
  "$build/connectors/ioc-connector" --check --config "$conf" >/dev/null
done

setsid "$build/connectors/ioc-sim" --port "$SIM_PORT" --sites "$SITES" --speed "$SPEED" --start "$START" \
  "${post_to[@]}" >"$run/sim-sources.log" 2>&1 & feeders+=($!)
wait_port "$SIM_PORT" ioc-sim
for conf in "$conf_dir"/*.conf; do
  setsid "$build/connectors/ioc-connector" --config "$conf" >>"${conf%.conf}.log" 2>&1 & feeders+=($!)
done

# ---- the rest of the province, straight onto MQTT ----
# A normal day's volumes; the open dossiers are carried on across restarts.
setsid "$build/connectors/ioc-sim" --mqtt "tcp://127.0.0.1:$MQTT_PORT" --connectors "$DEVICES" \
  --rate "$RATE" --seed 1 --mix province --state "$run/sim-mqtt.state" >"$run/sim-mqtt.log" 2>&1 & feeders+=($!)

n_conn=$(ls "$conf_dir"/*.conf | wc -l)
cat <<TXT

iochub is running with a simulated Nghệ An:
  $n_conn real connectors (desk, kiosk, camera per site; one portal) on ${#sites[@]} sites: ${sites[*]}
  fed by ioc-sim on 127.0.0.1:$SIM_PORT (simulated day from $START at ${SPEED}x, then real time),
  plus ioc-sim MQTT mode: $DEVICES devices, $RATE msg/s, a normal day's volumes (--mix province)
  wall display  http://127.0.0.1:$HTTP_PORT/
  health        http://127.0.0.1:$HTTP_PORT/healthz
  metrics       http://127.0.0.1:$HTTP_PORT/metrics
  connectors    http://127.0.0.1:$HTTP_PORT/api/v1/connectors
  InfluxDB      curl -G http://127.0.0.1:$INFLUX_PORT/query --data-urlencode db=ioc \\
                  --data-urlencode "q=SELECT sum(issued) FROM ioc_queue WHERE unit='all' AND time > now() - 1h GROUP BY time(1m)"
  broker        mosquitto_sub -p $MQTT_PORT -t 'ioc/v1/40/${sites[0]}/#' -v
                mosquitto_sub -p $MQTT_PORT -t 'ioc/v1/40/deadletter/#' -v
  logs          $run/hub/hub.log, $run/connectors/*.log, $run/sim-*.log,
                $run/mosquitto/, $run/influxdb/
Press Ctrl-C to stop.
TXT

if [ "$RUN_FOR" -gt 0 ]; then
  # Self-check: after RUN_FOR seconds the hub must have accepted messages
  # and heard every real connector's kind with a rising seq.
  sleep "$RUN_FOR"
  accepted=$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^iochub_messages_accepted_total/ {print $2}')
  conns=$(curl -s "http://127.0.0.1:$HTTP_PORT/api/v1/connectors")
  echo "run: hub accepted ${accepted:-0} messages; $(echo "$conns" | grep -o '"totals": *{[^}]*}')"
  ok=1
  [ "${accepted:-0}" != 0 ] || ok=0
  for kind in desk kiosk camera portal; do
    devs=$(echo "$conns" | grep -o "{\"kind\": *\"$kind\", *\"device\": *\"[^\"]*\"[^}]*\"last_seq\": *[0-9]*" \
      | grep -v '"device": *"sim-' | sed -E 's/.*"device": *"([^"]*)".*"last_seq": *([0-9]*)/\1 seq \2/' | sort)
    echo "run: real $kind connectors heard: $(echo "$devs" | grep -c . || true)"
    echo "$devs" | sed 's/^/       /'
    echo "$devs" | grep -q ' seq [1-9]' || ok=0
  done
  [ "$ok" = 1 ] && echo "run: self-check passed" || { echo "run: self-check FAILED"; exit 1; }
  exit 0
fi
# A hub that dies (a crash, or a SIGKILL to try recovery) is started again,
# as systemd's Restart=on-failure does on a server: it restores its snapshot,
# replays its journal and the broker hands it what came meanwhile.  One that
# exits 0 was stopped on purpose: then everything stops.
restarts=0
while true; do
  status=0
  wait "$hub_pid" 2>/dev/null || status=$?
  [ "$status" != 0 ] || { echo "run: the hub stopped (exit 0)"; exit 0; }
  restarts=$((restarts + 1))
  if [ "$restarts" -gt 5 ]; then
    echo "run: the hub died $restarts times; giving up (see $run/hub/hub.log)"
    exit 1
  fi
  echo "run: the hub died (status $status$( [ "$status" -gt 128 ] && echo ", signal $((status - 128))")); starting it again in 2 s"
  sleep 2
  start_hub
done
