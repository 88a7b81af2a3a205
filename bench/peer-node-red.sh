#!/usr/bin/env bash
# peer-node-red.sh — the hub against what an operator would otherwise build:
# Node-RED (from npm) doing the same job on the same stream in one run.
#
#   [PUBLISHERS=N] bench/peer-node-red.sh [RATES="1000 2000 4000 8000"] [STEP_S=60]
#
# Node-RED's flow: MQTT in (QoS 1, persistent session) → JSON parse →
# count per unit and minute (a function node keeping the counts, so that a
# late message rewrites its minute, as the hub does) → every 5 s the changed
# minutes to InfluxDB through node-red-contrib-influxdb's batch node, into
# the same InfluxDB as the hub (measurement nodered_count).  The hub runs
# with the shipped settings (QoS 2, crash-exact) and InfluxDB.  ioc-load
# plays the realistic mix at each rate for STEP_S seconds; after each step
# both get 15 s to catch up.  Per step and subscriber: messages counted of
# those published, CPU per message, whether it kept up (everything counted
# within 15 s of the step's end).  At the end both get 120 s more, and what
# is still missing is lost; InfluxDB's totals are compared with the counts.
# Node-RED 4.1 (5.x needs Node.js 22; Debian 12 has 20) is installed by npm
# into bench/node-red (ignored by git) on first
# use.  Environment: BUILD (default build); PUBLISHERS (default 1): ioc-load
# processes side by side, each with RATE/PUBLISHERS msg/s and its own 5,000
# devices (one Paho connection tops out at ~1,500–10,000 msg/s here,
# BENCHMARKS §6.2, below the ceilings this looks for).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lib_init
RATES="${1:-1000 2000 4000 8000}"
STEP_S="${2:-60}"
NR=bench/node-red
if [ ! -x "$NR/node_modules/.bin/node-red" ]; then
  mkdir -p "$NR"
  (cd "$NR" && npm install --no-audit --no-fund --loglevel=error node-red@4.1.15 node-red-contrib-influxdb@0.7.0)
fi

lib_broker
lib_influx
curl -s -XPOST "$influx_url/query" --data-urlencode "q=CREATE DATABASE ioc" >/dev/null

# Node-RED: its settings and flow in its own user dir.
nr_dir="$work/node-red"; mkdir -p "$nr_dir"
nr_port=$(lib_port)
influx_port=${influx_url##*:}
cat > "$nr_dir/settings.js" <<JS
module.exports = {
  uiPort: $nr_port, uiHost: "127.0.0.1", httpAdminRoot: false, httpNodeRoot: "/",
  flowFile: "flows.json", credentialSecret: false,
  logging: { console: { level: "warn", metrics: false, audit: false } },
};
JS
python3 - "$nr_dir/flows.json" "$broker_port" "$influx_port" <<'PY'
import json, sys
path, broker_port, influx_port = sys.argv[1], sys.argv[2], sys.argv[3]
count = r"""
const unit = msg.topic.split('/')[3];
const p = msg.payload;
const ts = (p && typeof p.ts === 'number') ? p.ts : Date.now();
const minute = Math.floor(ts / 60000) * 60000;
const counts = flow.get('counts') || new Map();
const dirty = flow.get('dirty') || new Set();
const k = unit + '|' + minute;
counts.set(k, (counts.get(k) || 0) + 1);
dirty.add(k);
flow.set('counts', counts);
flow.set('dirty', dirty);
global.set('n', (global.get('n') || 0) + 1);
return null;
"""
flush = r"""
const counts = flow.get('counts') || new Map();
const dirty = flow.get('dirty') || new Set();
if (dirty.size === 0) return null;
const points = [];
for (const k of dirty) {
  const [unit, minute] = k.split('|');
  points.push({ measurement: 'nodered_count', tags: { unit }, fields: { count: counts.get(k) },
                timestamp: new Date(Number(minute)) });
}
flow.set('dirty', new Set());
msg.payload = points;
return msg;
"""
report = "msg.payload = { n: global.get('n') || 0 }; return msg;"
flows = [
  {"id": "peer-tab", "type": "tab", "label": "iochub peer"},
  {"id": "peer-broker", "type": "mqtt-broker", "name": "mosquitto", "broker": "127.0.0.1", "port": broker_port,
   "clientid": "node-red-peer", "autoConnect": True, "usetls": False, "protocolVersion": "4", "keepalive": "60",
   "cleansession": False, "autoUnsubscribe": False},
  {"id": "peer-influx", "type": "influxdb", "hostname": "127.0.0.1", "port": influx_port, "protocol": "http",
   "database": "ioc", "name": "InfluxDB", "usetls": False, "tls": "", "influxdbVersion": "1.x"},
  {"id": "peer-in", "type": "mqtt in", "z": "peer-tab", "name": "", "topic": "ioc/v1/40/+/+/+/+", "qos": "1",
   "datatype": "utf8", "broker": "peer-broker", "nl": False, "rap": True, "rh": 0, "inputs": 0, "wires": [["peer-json"]]},
  {"id": "peer-json", "type": "json", "z": "peer-tab", "property": "payload", "action": "obj", "pretty": False,
   "wires": [["peer-count"]]},
  {"id": "peer-count", "type": "function", "z": "peer-tab", "name": "count per unit and minute", "func": count,
   "outputs": 1, "wires": [[]]},
  {"id": "peer-tick", "type": "inject", "z": "peer-tab", "name": "every 5 s", "repeat": "5", "once": False,
   "topic": "", "payload": "", "payloadType": "date", "wires": [["peer-flush"]]},
  {"id": "peer-flush", "type": "function", "z": "peer-tab", "name": "changed minutes", "func": flush, "outputs": 1,
   "wires": [["peer-out"]]},
  {"id": "peer-out", "type": "influxdb batch", "z": "peer-tab", "influxdb": "peer-influx", "precision": "", "retentionPolicy": "",
   "name": "", "database": "", "wires": []},
  {"id": "peer-hin", "type": "http in", "z": "peer-tab", "name": "", "url": "/count", "method": "get", "wires": [["peer-hfn"]]},
  {"id": "peer-hfn", "type": "function", "z": "peer-tab", "name": "", "func": report, "outputs": 1, "wires": [["peer-hout"]]},
  {"id": "peer-hout", "type": "http response", "z": "peer-tab", "name": "", "statusCode": "", "wires": []},
]
json.dump(flows, open(path, "w"), indent=1)
PY
node "$NR/node_modules/node-red/red.js" --userDir "$nr_dir" --settings "$nr_dir/settings.js" >"$nr_dir/node-red.log" 2>&1 &
nr_pid=$!; lib_pids+=("$nr_pid")
nr_count() { curl -s "http://127.0.0.1:$nr_port/count" | python3 -c 'import json,sys
try: print(json.load(sys.stdin)["n"])
except Exception: print(0)'; }
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$nr_port/count" >/dev/null && break; sleep 0.2; done

lib_hub_conf peer-hub ""
# The same job: count every device's messages.  Side-by-side publishers bring
# PUBLISHERS x 5,000 devices, over the shipped cap of 64 per unit and kind that stops
# forged ids (ops/hub.conf; Node-RED has none), so the cap is raised to fit.
{ echo "[hub]"; echo "max_devices_per_unit = $(( ${PUBLISHERS:-1} * 5000 ))"; } >> "$hub_dir/hub.conf"
lib_hub_start
sleep 5   # Node-RED's MQTT client connects and subscribes after its flows start
echo "# Node-RED $(node -e "console.log(require('./$NR/node_modules/node-red/package.json').version)") (node $(node --version)) vs iochub, one stream; load $(loadavg)"
echo "| rate msg/s | published | iochub counted | iochub µs/msg | iochub kept up | Node-RED counted | Node-RED µs/msg | Node-RED kept up | Node-RED RSS MiB | load |"
echo "|---|---|---|---|---|---|---|---|---|---|"
published=0; seed=1
for rate in $RATES; do
  h0=$(metric iochub_messages_received_total); n0=$(nr_count)
  hc0=$(ticks "$hub_pid"); nc0=$(ticks "$nr_pid")
  pubs=${PUBLISHERS:-1}; t0=$(date +%s.%N); pub_pids=()
  for p in $(seq 0 $((pubs - 1))); do
    "$B/bench/ioc-load" --url "$broker_url" --units "$units" --rate $((rate / pubs)) --count $((rate / pubs * STEP_S)) \
      --devices 5000 --first-device $((p * 5000)) --client-id "peer-pub-$rate-$p" --window 2000 --seed "$seed" \
      2>/dev/null | tail -1 > "$work/pub-$p.out" & pub_pids+=("$!")
    seed=$((seed + 1))
  done
  for j in "${pub_pids[@]}"; do wait "$j" 2>/dev/null || true; done
  step=$(cat "$work"/pub-*.out | sed -nE 's/^ioc-load: ([0-9]+) sent.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
  got_rate=$(awk -v n="$step" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", n / (b - a) }')
  rm -f "$work"/pub-*.out
  published=$((published + step))
  deadline=$(( $(date +%s) + 15 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ $(( $(metric iochub_messages_received_total) - h0 )) -ge "$step" ] && [ $(( $(nr_count) - n0 )) -ge "$step" ] && break
    sleep 0.5
  done
  h1=$(metric iochub_messages_received_total); n1=$(nr_count)
  hc1=$(ticks "$hub_pid"); nc1=$(ticks "$nr_pid")
  hd=$((h1 - h0)); nd=$((n1 - n0))
  us() { awk -v a="$1" -v b="$2" -v d="$3" -v hz="$hz" 'BEGIN { if (d > 0) printf "%.1f", (b - a) / hz * 1e6 / d; else print "-" }'; }
  echo "| $rate (got $got_rate) | $step | $hd | $(us "$hc0" "$hc1" "$hd") | $([ "$hd" -ge "$step" ] && echo yes || echo NO) | $nd | $(us "$nc0" "$nc1" "$nd") | $([ "$nd" -ge "$step" ] && echo yes || echo NO) | $(( $(rss_kib "$nr_pid") / 1024 )) | $(loadavg) |"
done
# Whatever is still missing after 120 s more is lost.
deadline=$(( $(date +%s) + 120 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  [ "$(metric iochub_messages_received_total)" -ge "$published" ] && [ "$(nr_count)" -ge "$published" ] && break
  sleep 1
done
hub_n=$(metric iochub_messages_received_total); nr_n=$(nr_count)
echo "after 120 s more: published $published; iochub received $hub_n (lost $((published - hub_n))), Node-RED counted $nr_n (lost $((published - nr_n)))"
sleep 75   # the last minutes close (hub: 60 s + 10 s lateness; Node-RED: next 5 s flush)
nr_influx=$(influx_int "SELECT sum(\"count\") FROM nodered_count")
echo "InfluxDB: Node-RED's per-unit-minute counts sum to $nr_influx; the hub's accepted $(metric iochub_messages_accepted_total), dead letters $(curl -s "http://127.0.0.1:$hub_http/metrics" | awk '/^iochub_deadletters_total/ { s += $2; if ($2 > 0) r = r " " $1 "=" $2 } END { print s + 0 (r ? " (" substr(r, 2) ")" : "") }')"
grep -ciE "error|warn" "$nr_dir/node-red.log" | sed 's/^/Node-RED log lines with error or warn: /'
