# lib.sh — shared by the end-to-end benchmark scripts (drain.sh, starve.sh,
# soak.sh, peer-node-red.sh): a private mosquitto, influxd and iochub on free
# loopback ports in one work directory, all stopped by PID on exit.
#   . bench/lib.sh; lib_init     (then lib_broker, lib_influx, lib_hub_conf, …)
# Reads BUILD (default build).  Sets: work, B, units.
# shellcheck shell=bash

lib_init() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
  B="${BUILD:-build}"
  units=ops/units/nghe-an.csv
  for bin in bench/ioc-load hub/iochub; do
    [ -x "$B/$bin" ] || { echo "$0: $B/$bin missing (ninja -C $B)"; exit 1; }
  done
  work=$(mktemp -d "${TMPDIR:-/tmp}/iochub-bench.XXXXXX")
  chmod 0777 "$work"   # mosquitto run as root drops to its own user and must write here
  lib_pids=()
  trap lib_cleanup EXIT
  trap 'exit 130' INT TERM
}

lib_cleanup() {
  for p in "${lib_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}

# A free TCP port on 127.0.0.1 (the kernel's pick).
lib_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# mosquitto with the shipped settings (ops/mosquitto/iochub.conf) plus
# extra lines ($1, may be empty).  Sets broker_port, broker_pid, broker_url.
lib_broker() {
  broker_port=$(lib_port)
  { echo "listener $broker_port 127.0.0.1"; echo "allow_anonymous true"; echo "log_dest none"
    echo "persistence_location $work/"; cat ops/mosquitto/iochub.conf; printf '%b\n' "${1:-}"
  } > "$work/mosquitto.conf"
  mosquitto -c "$work/mosquitto.conf" & broker_pid=$!; lib_pids+=("$broker_pid")
  broker_url="tcp://127.0.0.1:$broker_port"
  for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null && return 0; sleep 0.05; done
  echo "mosquitto did not start"; exit 1
}
lib_broker_restart() {
  kill -TERM "$broker_pid"; wait "$broker_pid" 2>/dev/null || true
  mosquitto -c "$work/mosquitto.conf" & broker_pid=$!; lib_pids+=("$broker_pid")
  for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null && return 0; sleep 0.05; done
}

# influxd 1.x (Debian) in $work/influx.  Sets influx_url, influx_pid.
lib_influx() {
  local rpc http
  rpc=$(lib_port); http=$(lib_port)
  while [ "$rpc" = "$http" ]; do http=$(lib_port); done
  mkdir -p "$work/influx"
  cat > "$work/influx/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$work/influx/meta"
[data]
  dir = "$work/influx/data"
  wal-dir = "$work/influx/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$http"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
CONF
  influx_url="http://127.0.0.1:$http"
  lib_influx_start
}
lib_influx_start() {
  influxd -config "$work/influx/influxdb.conf" >>"$work/influx/influxd.log" 2>&1 & influx_pid=$!; lib_pids+=("$influx_pid")
  for _ in $(seq 1 200); do curl -sf "$influx_url/ping" >/dev/null && return 0; sleep 0.1; done
  echo "influxd did not start"; tail "$work/influx/influxd.log"; exit 1
}
lib_influx_stop() { kill -TERM "$influx_pid"; wait "$influx_pid" 2>/dev/null || true; }
# One integer from an InfluxQL query (first value of the first series), or 0.
influx_int() {
  curl -s -G "$influx_url/query" --data-urlencode "db=${2:-ioc}" --data-urlencode "q=$1" |
    python3 -c 'import json,sys
try: print(int(json.load(sys.stdin)["results"][0]["series"][0]["values"][0][1] or 0))
except Exception: print(0)'
}

# A hub config in $work/$1 (name = client id), [mqtt] extra "k=v;k=v" ($2),
# InfluxDB if influx_url is set.  Sets hub_dir, hub_http.
lib_hub_conf() {
  hub_dir="$work/$1"; mkdir -p "$hub_dir"
  hub_http=$(lib_port)
  { echo "[hub]"; echo "province = 40"; echo "id = $1"; echo "units = $PWD/$units"
    echo "calendar = $PWD/ops/calendar/vn-2025.conf,$PWD/ops/calendar/vn-2026.conf"
    echo "state_dir = $hub_dir/state"
    echo "[mqtt]"; echo "url = $broker_url"; echo "client_id = $1"; echo "${2:-}" | tr ';' '\n'
    echo "[influx]"; echo "url = ${influx_url:-}"
    echo "[http]"; echo "listen = 127.0.0.1:$hub_http"; } > "$hub_dir/hub.conf"
}
metric() { curl -s "http://127.0.0.1:${3:-$hub_http}/metrics" | awk -v m="$1" '$1==m {print $2; f=1} END {if (!f) print 0}'; }
# Starts the hub of hub_dir ($1 = a wrapper command, e.g. "nice -n 5", may be
# empty); returns once every session is subscribed.  Sets hub_pid.
lib_hub_start() {
  ${1:-} "$B/hub/iochub" --config "$hub_dir/hub.conf" >>"$hub_dir/hub.log" 2>&1 & hub_pid=$!; lib_pids+=("$hub_pid")
  for _ in $(seq 1 600); do [ "$(metric iochub_mqtt_connected)" = 1 ] && return 0; sleep 0.1; done
  echo "hub did not subscribe:"; tail -20 "$hub_dir/hub.log"; exit 1
}
lib_hub_stop() { kill -TERM "$hub_pid"; wait "$hub_pid" 2>/dev/null || true; }
lib_hub_kill() { kill -KILL "$hub_pid"; wait "$hub_pid" 2>/dev/null || true; }

# ioc-load's "--tally" line → the expected InfluxDB sums, as shell variables
# want_issued, want_called, want_served, want_no_show, want_ratings.
lib_tally() {
  local line=$1
  want_issued=$(echo "$line" | sed -nE 's/.* ticket.issued=([0-9]+).*/\1/p'); want_issued=${want_issued:-0}
  want_called=$(echo "$line" | sed -nE 's/.* ticket.called=([0-9]+).*/\1/p'); want_called=${want_called:-0}
  want_served=$(echo "$line" | sed -nE 's/.* service.done=([0-9]+).*/\1/p'); want_served=${want_served:-0}
  want_no_show=$(echo "$line" | sed -nE 's/.* ticket.no_show=([0-9]+).*/\1/p'); want_no_show=${want_no_show:-0}
  want_ratings=$(echo "$line" | sed -nE 's/.* rating=([0-9]+).*/\1/p'); want_ratings=${want_ratings:-0}
}
# The same sums in InfluxDB (unit=all of hub $1) → got_*.
lib_influx_sums() {
  local w="\"unit\"='all' AND \"hub\"='$1'"
  got_issued=$(influx_int "SELECT sum(\"issued\") FROM ioc_queue WHERE $w")
  got_called=$(influx_int "SELECT sum(\"called\") FROM ioc_queue WHERE $w")
  got_served=$(influx_int "SELECT sum(\"served\") FROM ioc_queue WHERE $w")
  got_no_show=$(influx_int "SELECT sum(\"no_show\") FROM ioc_queue WHERE $w")
  got_ratings=$(influx_int "SELECT sum(\"ratings\") FROM ioc_rating WHERE $w")
}
lib_sums_match() {
  [ "$got_issued" = "$want_issued" ] && [ "$got_called" = "$want_called" ] && [ "$got_served" = "$want_served" ] &&
    [ "$got_no_show" = "$want_no_show" ] && [ "$got_ratings" = "$want_ratings" ]
}
# Bounded wait ($2 s) for InfluxDB to hold exactly the tally; prints the comparison.
lib_wait_exact() {
  local deadline=$(( $(date +%s) + ${2:-300} ))
  while :; do
    lib_influx_sums "$1"
    lib_sums_match && break
    [ "$(date +%s)" -ge "$deadline" ] && break
    sleep 2
  done
  local verdict=EXACT; lib_sums_match || verdict=MISMATCH
  echo "InfluxDB totals ($verdict): issued $got_issued/$want_issued, called $got_called/$want_called, served $got_served/$want_served, no_show $got_no_show/$want_no_show, ratings $got_ratings/$want_ratings"
  [ "$verdict" = EXACT ]
}
