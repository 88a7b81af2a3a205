#!/usr/bin/env bash
# National scale on this machine (SPEC §1 and §9, issue 8), real processes on loopback:
#   1. the nation: PROVINCES province brokers (ops/mosquitto/iochub.conf plus the
#      shipped bridge ops/bridges/province-to-national.conf), one province hub
#      each ([federation] enabled), a national broker and a national hub
#      ([federation] national = true).  One ioc-load per province publishes the
#      realistic mix at RATE msg/s (34 × 90 ≈ 3,060 msg/s: the country's
#      sustained load).  Zero loss: every province hub received and accepted
#      every message its publisher had acknowledged; and the national hub's
#      totals of each province equal that province hub's own, field by field,
#      and the country's total their sum — what crossed the bridges.
#   2. one hub vs three hubs on the same stream: one broker, a hub owning every
#      unit ("solo") and three hubs splitting the units ([hub] units_owned)
#      all subscribed at once; one stream of SPLIT_N messages at SPLIT_RATE.
#      Zero loss on both sides, and the three hubs' CPU over the solo hub's.
# Usage: bench/national.sh [PER_PROVINCE] [SPLIT_N]   (build first: ops/setup.sh)
# Environment: BUILD=dir (default build), PROVINCES=n (default 34, at most 34),
# RATE=msg/s per province (default 90), DEVICES=per province (default 4400:
# 150,000 / 34), SPLIT_RATE=msg/s (default 1500), STAGES="1 2" (which parts).
# Needs jq (Debian's jq) to compare the JSON totals.
# Each province reuses Nghệ An's registry (ops/units/nghe-an.csv) under its
# own province code: a province's worth of units, not its real communes.
set -euo pipefail
cd "$(dirname "$0")/.."
PER_PROVINCE="${1:-2700}"
SPLIT_N="${2:-60000}"
B="${BUILD:-build}"
PROVINCES="${PROVINCES:-34}"
RATE="${RATE:-90}"
DEVICES="${DEVICES:-4400}"
SPLIT_RATE="${SPLIT_RATE:-1500}"
STAGES="${STAGES:-1 2}"
hub_bin="$B/hub/iochub"
load_bin="$B/bench/ioc-load"
for tool in jq curl mosquitto "$hub_bin" "$load_bin"; do
  command -v "$tool" >/dev/null || { echo "national.sh: $tool not found (ops/setup.sh installs jq and builds the binaries)"; exit 2; }
done
# The 34 provinces since 1 July 2025 (GSO codes).
all_codes=(01 04 08 11 12 14 15 19 20 22 24 25 31 33 37 38 40 42 44 46 48 51 52 56 66 68 75 79 80 82 86 91 92 96)
[ "$PROVINCES" -ge 1 ] && [ "$PROVINCES" -le 34 ] || { echo "PROVINCES: 1 to 34"; exit 2; }
codes=("${all_codes[@]:0:$PROVINCES}")

work=$(mktemp -d)
chmod 0777 "$work"   # mosquitto run as root drops to its own user and must write its database here
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

next_port=$((20000 + RANDOM % 30000))
free_port() {  # → a loopback port nothing listens on (checked by connecting)
  while (exec 3<>"/dev/tcp/127.0.0.1/$next_port") 2>/dev/null; do next_port=$((next_port + 1)); done
  port=$next_port; next_port=$((next_port + 1))
}
cpu_of() {  # pids… → their user+system seconds, summed
  local hz; hz=$(getconf CLK_TCK)
  for p in "$@"; do cat "/proc/$p/stat"; done | awk -v hz="$hz" '{ s += $14 + $15 } END { printf "%.3f", s / hz }'
}
metric() {  # http-port series → value (empty if absent)
  curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1==m {print $2}'
}
wait_metric_ge() {  # http-port series value seconds → 0 once reached
  for _ in $(seq 1 $(($4 * 10))); do
    v=$(metric "$1" "$2"); [ "${v%.*}" -ge "$3" ] 2>/dev/null && return 0; sleep 0.1
  done
  return 1
}

start_broker() {  # name extra-conf → sets broker_port, broker_pid
  free_port; broker_port=$port
  mkdir -p "$work/$1"; chmod 0777 "$work/$1"
  { echo "listener $broker_port 127.0.0.1"; echo "allow_anonymous true"
    echo "persistence_location $work/$1/"; echo "log_dest file $work/$1/mosquitto.log"
    echo "log_type error"; echo "log_type warning"
    cat ops/mosquitto/iochub.conf; echo; printf '%s\n' "$2"; } > "$work/$1/mosquitto.conf"
  mosquitto -c "$work/$1/mosquitto.conf" & broker_pid=$!; pids+=("$broker_pid")
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null && return 0; sleep 0.05; done
  echo "mosquitto $1 did not listen"; cat "$work/$1/mosquitto.log"; exit 1
}

start_hub() {  # name province mqtt-port extra-conf → sets hub_http, hub_pid
  free_port; hub_http=$port
  mkdir -p "$work/$1"
  cat > "$work/$1/hub.conf" <<CONF
[hub]
province = $2
id = $1
units = $PWD/ops/units/nghe-an.csv
calendar = $PWD/ops/calendar/vn-2025.conf,$PWD/ops/calendar/vn-2026.conf
state_dir = $work/$1/state
$4
[mqtt]
url = tcp://127.0.0.1:$3
client_id = iochub-$1
[http]
listen = 127.0.0.1:$hub_http
[windows]
lateness = 2s
CONF
  "$hub_bin" --config "$work/$1/hub.conf" >>"$work/$1/hub.log" 2>&1 & hub_pid=$!; pids+=("$hub_pid")
  wait_metric_ge "$hub_http" iochub_mqtt_connected 1 60 || { echo "hub $1 did not subscribe"; cat "$work/$1/hub.log"; exit 1; }
}

load() {  # port province count rate seed client-id → ioc-load's result line
  "$load_bin" --url "tcp://127.0.0.1:$1" --units ops/units/nghe-an.csv --province "$2" --count "$3" \
    --rate "$4" --devices "$DEVICES" --seed "$5" --client-id "$6" --window 1000 2>/dev/null | tail -1
}
acked_of() { awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "acknowledged") print $i }' "$1"; }

# Zero loss for one hub: received, processed and accepted all equal the
# publisher's acknowledged count (a fresh broker: no retained backlog).
check_hub() {  # name http-port expected → prints a line, returns 1 on loss
  wait_metric_ge "$2" iochub_messages_received_total "$3" 60 || true
  wait_metric_ge "$2" iochub_messages_processed_total "$3" 60 || true
  local rec acc dup dl
  rec=$(metric "$2" iochub_messages_received_total); acc=$(metric "$2" iochub_messages_accepted_total)
  dup=$(metric "$2" iochub_duplicates_total)
  dl=$(curl -s "http://127.0.0.1:$2/metrics" | awk '/^iochub_deadletters_total/ {s += $2} END {print s + 0}')
  echo "$1: published $3, received ${rec:-?}, accepted ${acc:-?}, duplicates ${dup:-?}, dead letters $dl"
  [ "${rec:-0}" = "$3" ] && [ "${acc:-0}" = "$3" ]
}

stage_nation() {
  echo "# 1. the nation: $PROVINCES provinces × $PER_PROVINCE messages at $RATE msg/s each ($((PROVINCES * RATE)) msg/s), $DEVICES devices each"
  start_broker national ""
  national_port=$broker_port; national_broker=$broker_pid
  start_hub national 40 "$national_port" $'[federation]\nenabled = true\nnational = true\n[http]\ndashboard_dir = '"$PWD/dashboards/www"
  national_http=$hub_http; national_hub=$hub_pid
  local p_brokers=() p_hubs=() p_http=()
  for c in "${codes[@]}"; do
    bridge=$(sed -e "s/@PROVINCE@/$c/g" -e "s/@NATIONAL_HOST@/127.0.0.1/" -e "s/@NATIONAL_PORT@/$national_port/" \
      ops/bridges/province-to-national.conf)
    start_broker "broker-$c" "$bridge"; p_brokers+=("$broker_pid"); eval "port_$c=$broker_port"
    start_hub "hub-$c" "$c" "$broker_port" $'[federation]\nenabled = true\npublish_interval = 2s'
    p_hubs+=("$hub_pid"); p_http+=("$hub_http")
  done
  # Every province's retained rollup reached the national hub over its bridge.
  for _ in $(seq 1 600); do
    n=$(curl -s "http://127.0.0.1:$national_http/api/v1/federation" | jq '[.provinces[] | select(.hubs[0].current)] | length')
    [ "${n:-0}" -ge "$PROVINCES" ] && break; sleep 0.1
  done
  echo "national hub: $n of $PROVINCES provinces over the bridges before the stream"
  [ "${n:-0}" -ge "$PROVINCES" ] || exit 1

  local c0 b0 n0 t0 c1 b1 n1 t1 i=0 lp=()
  # What the hubs cost doing nothing (ticks, rollups, the bridge): 10 s idle.
  c0=$(cpu_of "${p_hubs[@]}"); b0=$(cpu_of "${p_brokers[@]}"); n0=$(cpu_of "$national_broker" "$national_hub")
  sleep 10
  c1=$(cpu_of "${p_hubs[@]}"); b1=$(cpu_of "${p_brokers[@]}"); n1=$(cpu_of "$national_broker" "$national_hub")
  awk -v c="$c0" -v d="$c1" -v b="$b0" -v e="$b1" -v n="$n0" -v m="$n1" -v p="$PROVINCES" \
    'BEGIN { printf "idle 10 s: %d province hubs %.2f s (%.2f %% of a core each), %d province brokers %.2f s, national broker + hub %.2f s\n", p, d - c, (d - c) * 10 / p, p, e - b, m - n }'
  c0=$c1; b0=$b1; n0=$n1
  t0=$(date +%s.%N)
  for c in "${codes[@]}"; do
    i=$((i + 1)); pv="port_$c"
    load "${!pv}" "$c" "$PER_PROVINCE" "$RATE" "$i" "load-$c" > "$work/load-$c.out" & lp+=($!)
  done
  for p in "${lp[@]}"; do wait "$p"; done
  local sent=0 loss=0
  i=0
  for c in "${codes[@]}"; do
    a=$(acked_of "$work/load-$c.out"); sent=$((sent + ${a:-0}))
    check_hub "hub-$c" "${p_http[$i]}" "${a:--1}" > "$work/check-$c.out" || loss=1
    i=$((i + 1))
  done
  c1=$(cpu_of "${p_hubs[@]}"); b1=$(cpu_of "${p_brokers[@]}"); n1=$(cpu_of "$national_broker" "$national_hub")
  t1=$(date +%s.%N)
  cat "$work"/check-*.out | sed -n '1,3p'; echo "…"
  echo "published (acknowledged) $sent in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s;" \
    "$(cat "$work"/check-*.out | awk '{ gsub(",", ""); r += $5; a += $7 } END { print "received " r ", accepted " a }')"
  if [ "$loss" = 0 ]; then echo "zero loss: every province hub received and accepted every message"
  else echo "LOSS:"; cat "$work"/check-*.out | awk '{ gsub(",", "") } $3 != $5 || $3 != $7'; fi
  awk -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN{print b-a}')" -v br="$(awk -v a="$b0" -v b="$b1" 'BEGIN{print b-a}')" \
      -v nn="$(awk -v a="$n0" -v b="$n1" 'BEGIN{print b-a}')" -v n="$sent" -v p="$PROVINCES" \
      'BEGIN { printf "cpu while streaming: %d province hubs %.2f s (%.1f us/msg), %d province brokers %.2f s (%.1f us/msg), national broker + hub %.2f s\n", p, c, c * 1e6 / n, p, br, br * 1e6 / n, nn }'

  # The national view: each province as its hub counts it, the country as their sum.
  # Minutes close on the hubs' clock plus 2 s of lateness; then a rollup (every
  # 2 s) crosses the bridge: compare once the stream's last minute has closed.
  local t2 close ok=0; t2=$(date +%s.%N)
  close=$(( ($(date +%s) / 60 + 1) * 60 + 8 ))
  while [ "$(date +%s)" -lt "$close" ]; do sleep 1; done
  for _ in $(seq 1 60); do
    curl -s "http://127.0.0.1:$national_http/api/v1/federation" > "$work/national.json"
    i=0; ok=1
    for c in "${codes[@]}"; do
      curl -s "http://127.0.0.1:${p_http[$i]}/api/v1/federation" |
        jq -c --arg c "$c" '.provinces[] | select(.province == $c) | .today' > "$work/own-$c.json"
      nat=$(jq -c --arg c "$c" '.provinces[] | select(.province == $c) | .today' "$work/national.json")
      [ -s "$work/own-$c.json" ] && [ "$(cat "$work/own-$c.json")" = "$nat" ] || ok=0
      i=$((i + 1))
    done
    [ "$ok" = 1 ] && break
    sleep 1
  done
  sum=$(jq -s -c 'reduce .[] as $p ({}; reduce ($p | to_entries[]) as $m (.; reduce ($m.value | to_entries[]) as $f (.; .[$m.key][$f.key] += $f.value)))' "$work"/own-*.json)
  total=$(jq -c '.total' "$work/national.json")
  tot_ok=$(jq -n --argjson a "$sum" --argjson b "$total" '$a == $b')
  echo "national view: every province equal to its hub's own totals: $([ "$ok" = 1 ] && echo yes || echo NO);" \
    "country total equal to their sum: $tot_ok ($(awk -v a="$t2" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b-a}') s after the stream)"
  echo "country today: $(echo "$total" | jq -c '{dossiers_received: .ioc_dossier.received, tickets_issued: .ioc_queue.issued, served: .ioc_queue.served, ratings: .ioc_rating.ratings, satisfied: .ioc_rating.satisfied}')"
  echo "national hub rss $(awk '/VmRSS/ {print $2 " kB"}' "/proc/$national_hub/status"), a province hub's rss $(awk '/VmRSS/ {print $2 " kB"}' "/proc/${p_hubs[0]}/status")"
  if [ "${HOLD:-0}" -gt 0 ]; then
    echo "holding ${HOLD} s: http://127.0.0.1:$national_http/national.html (national broker on port $national_port, hub-${codes[0]} http ${p_http[0]})"
    sleep "$HOLD"
  fi
  for p in "${p_hubs[@]}" "$national_hub" "${p_brokers[@]}" "$national_broker"; do kill "$p" 2>/dev/null || true; done
  for p in "${p_hubs[@]}" "$national_hub" "${p_brokers[@]}" "$national_broker"; do wait "$p" 2>/dev/null || true; done
  [ "$loss" = 0 ] && [ "$ok" = 1 ] && [ "$tot_ok" = true ]
}

stage_split() {
  echo "# 2. one hub vs three hubs on the same stream: $SPLIT_N messages at $SPLIT_RATE msg/s into one broker"
  start_broker split ""
  local port_s=$broker_port split_broker=$broker_pid
  # The units ioc-load gives devices to (those in force today), dealt round robin.
  mapfile -t current < <(awk -F, 'NR > 1 && $(NF - 1) == "" { print $1 }' ops/units/nghe-an.csv)
  local parts=("" "" "")
  for j in "${!current[@]}"; do k=$((j % 3)); parts[$k]="${parts[$k]:+${parts[$k]},}${current[$j]}"; done
  start_hub solo 40 "$port_s" ""; local solo_pid=$hub_pid solo_http=$hub_http
  local part_pids=() part_http=()
  for k in 0 1 2; do
    start_hub "part-$k" 40 "$port_s" "units_owned = ${parts[$k]}"; part_pids+=("$hub_pid"); part_http+=("$hub_http")
  done
  sleep 1
  local s0 p0 b0 s1 p1 b1
  s0=$(cpu_of "$solo_pid"); p0=$(cpu_of "${part_pids[@]}"); b0=$(cpu_of "$split_broker")
  load "$port_s" 40 "$SPLIT_N" "$SPLIT_RATE" 7 load-split > "$work/load-split.out"
  local a; a=$(acked_of "$work/load-split.out")
  echo "publisher: $(cat "$work/load-split.out")"
  local loss=0
  check_hub solo "$solo_http" "$a" || loss=1
  # The parts together: their received and accepted add up to the stream.
  for k in 0 1 2; do
    wait_metric_ge "${part_http[$k]}" iochub_messages_processed_total 1 10 || true
  done
  local rsum=0 asum=0 prev=-1
  for _ in $(seq 1 600); do
    rsum=0; asum=0
    for k in 0 1 2; do
      rsum=$((rsum + $(metric "${part_http[$k]}" iochub_messages_received_total)))
      asum=$((asum + $(metric "${part_http[$k]}" iochub_messages_accepted_total)))
    done
    [ "$asum" -ge "$a" ] && break
    [ "$asum" = "$prev" ] && [ "$rsum" -ge "$a" ] && break
    prev=$asum; sleep 0.3
  done
  s1=$(cpu_of "$solo_pid"); p1=$(cpu_of "${part_pids[@]}"); b1=$(cpu_of "$split_broker")
  local each="" k2
  for k2 in 0 1 2; do each="$each${each:+ + }$(metric "${part_http[$k2]}" iochub_messages_received_total)"; done
  echo "three hubs: published $a, received $rsum ($each), accepted $asum"
  # A portal's seq runs across units (SPEC §4): a hub that owns only some
  # units sees gaps in it, which its loss gauge counts.
  local sm=""
  for k2 in 0 1 2; do sm="$sm${sm:+, }$(metric "${part_http[$k2]}" iochub_seq_missing)"; done
  echo "iochub_seq_missing: one hub $(metric "$solo_http" iochub_seq_missing); three hubs $sm"
  [ "$rsum" = "$a" ] && [ "$asum" = "$a" ] || loss=1
  awk -v s="$(awk -v a="$s0" -v b="$s1" 'BEGIN{print b-a}')" -v p="$(awk -v a="$p0" -v b="$p1" 'BEGIN{print b-a}')" \
      -v br="$(awk -v a="$b0" -v b="$b1" 'BEGIN{print b-a}')" -v n="$a" \
      'BEGIN { printf "cpu: one hub %.2f s (%.1f us/msg); three hubs %.2f s together (%.1f us/msg); ratio three/one %.2f; broker (delivering both) %.2f s\n", s, s * 1e6 / n, p, p * 1e6 / n, p / s, br }'
  [ "$loss" = 0 ] && echo "zero loss: the one hub and the three together each received and accepted every message"
  for p in "$solo_pid" "${part_pids[@]}" "$split_broker"; do kill "$p" 2>/dev/null || true; done
  for p in "$solo_pid" "${part_pids[@]}" "$split_broker"; do wait "$p" 2>/dev/null || true; done
  [ "$loss" = 0 ]
}

status=0
for s in $STAGES; do
  case "$s" in
    1) stage_nation || status=1 ;;
    2) stage_split || status=1 ;;
  esac
done
exit "$status"
