#!/usr/bin/env bash
# soak.sh — hours of the realistic mix at 20x the province's peak through
# mosquitto into the hub and InfluxDB, with a hub SIGKILL and an InfluxDB
# restart in the middle: does memory stay flat, does CPU per message stay
# flat, is every message counted exactly once at the end?
#
#   bench/soak.sh [DURATION_S=7200] [RATE=2000] [OUT=docs/soak]
#     HUB_MQTT="k=v;k=v"           [mqtt] settings
#     HUB_CONF="[group];k=v;..."   more hub.conf lines (';' for newlines)
#     LOAD_ARGS="--new-dossiers 0.3"  more ioc-load options
# A run whose state the hub keeps by design reaches its steady size within
# the soak (a leak then shows as growth after it):
#   HUB_CONF="[hub];keep_finished_dossiers=10m;remember_dropped_dossiers=0;[windows];horizon=10m;[http];series_minutes=10" \
#   LOAD_ARGS="--new-dossiers 0.3" bench/soak.sh 7200 2000 docs/soak-bounded
#
# ioc-load plays RATE msg/s (5,000 devices over the province's units).  The
# hub runs with the shipped settings.  At 45 % of the run the hub is killed
# with SIGKILL and started again 10 s later; at 55 % InfluxDB is stopped for
# 60 s and started again (the hub spools meanwhile).  Every minute a row goes
# to OUT.csv: hub RSS, hub CPU per message over that minute, messages per
# second, spool and journal bytes, mosquitto's RSS, messages waiting for
# PUBREL, the load average.  At the end: OUT.svg (drawn by this script), the
# exact totals in InfluxDB against what ioc-load published, RSS drift after
# minute 10 and the CPU-per-message trend.
#   bench/soak.sh --analyse OUT   redraws OUT.svg and the figures from OUT.csv
#                                 (e.g. of a run that was stopped early).
set -euo pipefail

# RSS drift after minute 10 (each half: the kill restarts the process), CPU
# per message trend (least squares over minutes 10.. except the minutes of
# the kill and the outage), and the plot.
analyse() {
python3 - "$1" "$2" "$3" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def f(r, k):
    try: return float(r[k])
    except (ValueError, KeyError): return None
kill_min = next((int(r["minute"]) for r in rows if "SIGKILL" in r["event"]), None)
def drift(seg, label):
    seg = [r for r in seg if f(r, "hub_rss_kib")]
    if len(seg) < 2: return
    base = f(seg[0], "hub_rss_kib"); end = f(seg[-1], "hub_rss_kib"); top = max(f(r, "hub_rss_kib") for r in seg)
    print(f"RSS {label}: minute {seg[0]['minute']} {base/1024:.1f} MiB, minute {seg[-1]['minute']} {end/1024:.1f} MiB "
          f"({100*(end-base)/base:+.1f} %), highest {top/1024:.1f} MiB ({100*(top-base)/base:+.1f} %)")
first = [r for r in rows if 10 <= int(r["minute"]) < (kill_min or 10**9)]
second = [r for r in rows if kill_min and int(r["minute"]) >= kill_min + 10]
drift(first, "from minute 10 to the kill")
drift(second, "from 10 minutes after the restart to the end")
skip = set()
for r in rows:
    if r["event"]:
        m = int(r["minute"]); skip.update({m, m + 1, m + 2})
pts = [(int(r["minute"]), f(r, "hub_cpu_us_per_msg")) for r in rows
       if int(r["minute"]) >= 10 and int(r["minute"]) not in skip and f(r, "hub_cpu_us_per_msg")]
if len(pts) > 2:
    n = len(pts); mx = sum(p[0] for p in pts) / n; my = sum(p[1] for p in pts) / n
    sxx = sum((p[0] - mx) ** 2 for p in pts); sxy = sum((p[0] - mx) * (p[1] - my) for p in pts)
    slope = sxy / sxx if sxx else 0.0
    print(f"CPU per message (minutes 10.., {n} minutes): mean {my:.2f} us, trend {slope*60:+.2f} us/msg per hour "
          f"({100*slope*60/my:+.1f} % of the mean per hour); first 10 of them {sum(p[1] for p in pts[:10])/10:.2f}, "
          f"last 10 {sum(p[1] for p in pts[-10:])/10:.2f}")
# The plot: three panels sharing the minute axis.
W, H, L, R, T = 900, 660, 70, 20, 30
ph = (H - T - 3 * 40) // 3
mins = [int(r["minute"]) for r in rows] or [1]
xmax = max(mins)
def x(m): return L + (W - L - R) * m / xmax
panels = [("hub RSS, MiB", lambda r: (f(r, "hub_rss_kib") or 0) / 1024, "#1f77b4"),
          ("hub CPU per message, µs", lambda r: f(r, "hub_cpu_us_per_msg"), "#d62728"),
          ("spool (InfluxDB backlog), MiB", lambda r: (f(r, "spool_bytes") or 0) / 1048576, "#2ca02c")]
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{L}" y="18" font-size="14">iochub soak: {sys.argv[3]} s at the realistic mix, one sample a minute (bench/soak.sh)</text>']
for i, (title, get, colour) in enumerate(panels):
    top = T + i * (ph + 40) + 20
    vals = [get(r) for r in rows]
    good = [v for v in vals if v is not None]
    ymax = max(good) * 1.1 if good and max(good) > 0 else 1.0
    def y(v): return top + ph - ph * v / ymax
    out.append(f'<text x="{L}" y="{top - 6}">{title}</text>')
    out.append(f'<line x1="{L}" y1="{top + ph}" x2="{W - R}" y2="{top + ph}" stroke="#888"/>')
    out.append(f'<line x1="{L}" y1="{top}" x2="{L}" y2="{top + ph}" stroke="#888"/>')
    digits = 1 if ymax >= 4 else 2 if ymax >= 0.4 else 3  # ticks that read apart
    for k in range(5):
        v = ymax * k / 4
        out.append(f'<text x="{L - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#555">{v:.{digits}f}</text>')
        out.append(f'<line x1="{L}" y1="{y(v):.1f}" x2="{W - R}" y2="{y(v):.1f}" stroke="#eee"/>')
    n_event = 0
    for r in rows:
        if r["event"]:
            m = int(r["minute"])
            out.append(f'<line x1="{x(m):.1f}" y1="{top}" x2="{x(m):.1f}" y2="{top + ph}" stroke="#f90" stroke-dasharray="3,3"/>')
            if i == 0:  # one label a line, each a row lower: events minutes apart do not overwrite
                out.append(f'<text x="{x(m) + 3:.1f}" y="{top + 12 + 12 * n_event}" fill="#c60" font-size="10">{r["event"]}</text>')
            n_event += 1
    pts = " ".join(f"{x(m):.1f},{y(v):.1f}" for m, v in zip(mins, vals) if v is not None)
    out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{pts}"/>')
step = max(1, xmax // 12)
for m in range(0, xmax + 1, step):
    out.append(f'<text x="{x(m):.1f}" y="{H - 8}" text-anchor="middle" fill="#555">{m}</text>')
out.append(f'<text x="{W - R}" y="{H - 22}" text-anchor="end" fill="#555">minute</text></svg>')
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print(f"plot: {sys.argv[2]}")
PY
}
if [ "${1:-}" = --analyse ]; then
  analyse "$2.csv" "$2.svg" "$(tail -1 "$2.csv" | cut -d, -f2)"
  exit 0
fi

. "$(dirname "$0")/lib.sh"
lib_init
DURATION="${1:-7200}"
RATE="${2:-2000}"
OUT="${3:-docs/soak}"
mkdir -p "$(dirname "$OUT")"
csv="$OUT.csv"

lib_broker
lib_influx
lib_hub_conf soak "${HUB_MQTT:-}"
[ -n "${HUB_CONF:-}" ] && echo "$HUB_CONF" | tr ';' '\n' >> "$hub_dir/hub.conf"
lib_hub_start
echo "# soak: $DURATION s at $RATE msg/s${HUB_CONF:+, hub.conf + $HUB_CONF}${LOAD_ARGS:+, ioc-load $LOAD_ARGS}, hub SIGKILL at 45 %, InfluxDB down 60 s at 55 %; started $(date -u +%FT%TZ), load $(loadavg)"
# Not "soak-pub": that is the hub's own publishing connection (its client id
# + "-pub"), and two clients with one id take the connection from each other
# every few seconds, failing the publishes in flight each time.
"$B/bench/ioc-load" --url "$broker_url" --units "$units" --rate "$RATE" --count 0 --devices 5000 \
  --client-id soak-load --window 2000 --tally ${LOAD_ARGS:-} > "$work/ioc-load.out" 2>"$work/ioc-load.err" & load_pid=$!; lib_pids+=("$load_pid")

echo "minute,t_s,event,hub_rss_kib,hub_cpu_us_per_msg,msg_per_s,spool_bytes,journal_bytes,broker_rss_kib,awaiting_pubrel,load1" > "$csv"
t_start=$(date +%s)
kill_at=$((DURATION * 45 / 100)); influx_at=$((DURATION * 55 / 100))
killed=0; influx_down=0; event=""
prev_n=$(metric iochub_messages_received_total); prev_c=$(ticks "$hub_pid")
minute=0
while :; do
  now=$(( $(date +%s) - t_start ))
  if [ "$killed" = 0 ] && [ "$now" -ge "$kill_at" ]; then
    # Take the minute's figures up to the kill, then kill.
    n=$(metric iochub_messages_received_total); c=$(ticks "$hub_pid")
    prev_c=$((prev_c - c)); prev_n=$((prev_n - n))   # carried into the restarted hub's minute
    lib_hub_kill; event="${event}hub SIGKILL; "; killed=1
    sleep 10
    lib_hub_start
    c=$(ticks "$hub_pid"); n=$(metric iochub_messages_received_total)
    prev_c=$((prev_c + c)); prev_n=$((prev_n + n))
  fi
  if [ "$influx_down" = 0 ] && [ "$now" -ge "$influx_at" ]; then
    lib_influx_stop; event="${event}InfluxDB stopped; "; influx_down=1
  elif [ "$influx_down" = 1 ] && [ "$now" -ge $((influx_at + 60)) ]; then
    lib_influx_start; event="${event}InfluxDB started; "; influx_down=2
  fi
  if [ "$now" -ge $(( (minute + 1) * 60 )) ]; then
    minute=$((minute + 1))
    n=$(metric iochub_messages_received_total); c=$(ticks "$hub_pid")
    d=$((n - prev_n))
    printf '%d,%d,%s,%d,%s,%s,%s,%s,%d,%s,%s\n' "$minute" "$now" "${event%; }" "$(rss_kib "$hub_pid")" \
      "$(awk -v a="$prev_c" -v b="$c" -v d="$d" -v hz="$hz" 'BEGIN { if (d > 0) printf "%.2f", (b - a) / hz * 1e6 / d; else print "" }')" \
      "$(awk -v d="$d" 'BEGIN { printf "%.0f", d / 60 }')" "$(metric iochub_spool_bytes)" "$(metric iochub_journal_disk_bytes)" \
      "$(rss_kib "$broker_pid")" "$(metric iochub_mqtt_awaiting_pubrel)" "$(cut -d' ' -f1 /proc/loadavg)" >> "$csv"
    tail -1 "$csv"
    prev_n=$n; prev_c=$c; event=""
  fi
  [ "$now" -ge "$DURATION" ] && break
  sleep 1
done
kill -TERM "$load_pid"; wait "$load_pid" 2>/dev/null || true
[ "$influx_down" = 1 ] && lib_influx_start   # a run too short to reach the restart
grep -v tally "$work/ioc-load.out" || true
tally=$(grep tally "$work/ioc-load.out")
echo "$tally"
lib_tally "$tally"
sent=$(sed -nE 's/^ioc-load: ([0-9]+) sent, ([0-9]+) acknowledged.*/\1 \2/p' "$work/ioc-load.out")
verdict=0
lib_wait_exact soak 600 || verdict=1
echo "hub: received $(metric iochub_messages_received_total) since its restart, accepted $(metric iochub_messages_accepted_total), duplicates $(metric iochub_duplicates_total), seq missing $(metric iochub_seq_missing); ioc-load sent/acknowledged: $sent"

analyse "$csv" "$OUT.svg" "$DURATION"
echo "# ended $(date -u +%FT%TZ), load $(loadavg)"
exit $verdict
