// grafana-test.mjs — every query of the Grafana dashboard
// (dashboards/grafana/iochub-overview.json) against a real influxd started
// here, on the points two hubs of a split province write, as Grafana would
// send it ($timeFilter, $__interval and $unit substituted).
//
//   node grafana-test.mjs --source-root SRC
//
// Fails when a query is refused by InfluxDB, when a "today" stat panel does
// not show the province's figure (both hubs summed; a gauge as the sum of
// each hub's latest value; yesterday left out), or when the on-time-rate
// panel does not compute the national index's rate.  Prints TAP.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf('--' + name); return i >= 0 ? argv[i + 1] : def; };
const src = path.resolve(opt('source-root', '.'));
const INFLUXD = process.env.IOC_TEST_INFLUXD || '/usr/bin/influxd';
const HOUR = 3600e3, DAY = 86400e3;

let n = 0, failed = 0;
const procs = [];
function ok(cond, name, detail) {
  n++;
  if (cond) console.log(`ok ${n} - ${name}`);
  else { failed++; console.log(`not ok ${n} - ${name}`); if (detail) console.log('# ' + String(detail).split('\n').join('\n# ')); }
  return cond;
}
function cleanup() { for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); }
process.on('exit', cleanup);
function bail(msg) { console.log(`1..${n + 1}`); console.log(`not ok ${n + 1} - ${msg}`); cleanup(); process.exit(1); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

if (!fs.existsSync(INFLUXD)) bail(`${INFLUXD} is missing: run ops/setup.sh`);
const dash = JSON.parse(fs.readFileSync(path.join(src, 'dashboards', 'grafana', 'iochub-overview.json'), 'utf8'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioc-grafana-'));
const port = await freePort(), rpc = await freePort();
fs.writeFileSync(path.join(dir, 'influxdb.conf'), `reporting-disabled = true
bind-address = "127.0.0.1:${rpc}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
[monitor]
  store-enabled = false
`);
procs.push(spawn(INFLUXD, ['-config', path.join(dir, 'influxdb.conf')], { stdio: 'ignore' }));
const influx = `http://127.0.0.1:${port}`;
async function post(p, body) {
  try { const r = await fetch(influx + p, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    return { status: r.status, json: r.status === 204 ? null : await r.json() }; }
  catch { return { status: 0, json: null }; }
}
let up = false;
for (let i = 0; i < 150 && !up; i++) { try { up = (await fetch(influx + '/ping')).status === 204; } catch { /* not yet */ } if (!up) await sleep(200); }
if (!up) bail('influxd did not answer /ping');
await post('/query', 'q=CREATE DATABASE ioc');

// ---- two hubs of province 40, two minutes today; noise yesterday ----
const now = Date.now();
const dayStart = now - ((now + 7 * HOUR) % DAY);
const t1 = dayStart + 60e3, t2 = dayStart + 120e3;
if (now < t2 + 5e3) await sleep(t2 + 5e3 - now); /* just after midnight: let the minutes pass */
const s = (ms) => Math.floor(ms / 1000);
const L = [];
const hubs = { a: { rec: 10, open: [50, 40], ov: [5, 4], q: [30, 20, 2, 18], r: [10, 9], cam: [100, 100, 90], k: [10, 9], c: [50, 50] },
  b: { rec: 20, open: [80, 70], ov: [8, 7], q: [50, 30, 4, 25], r: [20, 15], cam: [200, 200, 150], k: [20, 19], c: [60, 54] } };
for (const [h, v] of Object.entries(hubs))
  [t1, t2].forEach((t, i) => {
    for (const ch of [1, 2])
      L.push(`ioc_dossier,channel=${ch},hub=${h},province=40,unit=all received=${v.rec}i,completed_early=4i,completed_ontime=1i,completed_late=1i,` +
        `overdue_entered=0i,open=${v.open[i]}i,open_overdue=${v.ov[i]}i ${s(t)}`);
    L.push(`ioc_queue,hub=${h},province=40,unit=all issued=${v.q[0]}i,called=${v.q[1]}i,no_show=${v.q[2]}i,served=${v.q[3]}i,wait_p50_s=60,wait_p90_s=300,` +
      `service_p50_s=${h === 'a' ? 240 : 200},service_p90_s=${h === 'a' ? 600 : 900} ${s(t)}`);
    L.push(`ioc_rating,hub=${h},province=40,unit=all ratings=${v.r[0]}i,satisfied=${v.r[1]}i ${s(t)}`);
    L.push(`ioc_device,hub=${h},province=40,unit=all cameras=${v.cam[0]}i,cameras_online=${v.cam[0]}i,cameras_recording=${v.cam[i + 1]}i,` +
      `kiosks=${v.k[0]}i,kiosks_online=${v.k[1]}i,connectors_expected=${v.c[0]}i,connectors_reporting=${v.c[1]}i ${s(t)}`);
  });
/* Yesterday: hub a's evening, and a hub c that stopped then; neither is today's. */
const y = s(dayStart - HOUR);
L.push(`ioc_dossier,channel=1,hub=a,province=40,unit=all received=1000i,completed_early=1000i,open=999i,open_overdue=999i ${y}`);
L.push(`ioc_dossier,channel=1,hub=c,province=40,unit=all received=1000i,open=999i,open_overdue=999i ${y}`);
L.push(`ioc_device,hub=c,province=40,unit=all cameras=999i,cameras_recording=0i,kiosks=999i,kiosks_online=0i,connectors_expected=999i,connectors_reporting=0i ${y}`);
const w = await post('/write?db=ioc&precision=s', L.join('\n') + '\n');
if (w.status !== 204) bail('could not write the points: ' + w.status + ' ' + JSON.stringify(w.json));

// ---- the queries, as Grafana sends them ----
const expected = {
  101: 120,                                  // received: (10 + 20) × 2 channels × 2 minutes
  102: 48,                                   // completed: 6 × 2 channels × 2 minutes × 2 hubs
  103: 220,                                  // open: last per hub and channel: 40 × 2 + 70 × 2
  104: 22,                                   // overdue: 4 × 2 + 7 × 2
  105: (32 + 8 + 220 - 22) / (32 + 8 + 8 + 220), // on time: (early + on time + open not overdue) / (completed + open)
  106: 24 / 30,                              // satisfied: (9 + 15) × 2 / (10 + 20) × 2
  107: 160, 108: 86, 109: 160 - 100 - 12,    // issued, served, waiting = issued − called − no-show
  110: 240 / 300, 111: 28 / 30, 112: 104 / 110, // devices: each hub's latest, summed
};
async function run(query, interval, from) {
  const q = query.replace(/\$timeFilter/g, `time >= ${from}ms AND time <= now()`).replace(/\$__interval/g, interval)
    .replace(/\/\^\$unit\$\//g, '/^all$/');
  const r = await post('/query', 'db=ioc&epoch=ms&q=' + encodeURIComponent(q));
  const res = r.json && r.json.results && r.json.results[0];
  return { q, error: !r.json ? 'HTTP ' + r.status : (r.json.error || (res && res.error) || null), series: (res && res.series) || [] };
}
const near = (a, b) => a != null && Math.abs(a - b) < 1e-9;
let targets = 0;
for (const p of dash.panels) {
  for (const t of p.targets || []) {
    targets++;
    const today = p.timeFrom === 'now/d';
    const r = await run(t.query, today ? '1m' : '1h', today ? dayStart : dayStart - 2 * DAY);
    ok(!r.error, `panel ${p.id} "${p.title}" ${t.refId}: InfluxDB runs it`, r.error + '\n' + r.q);
    if (today && expected[p.id] != null) {
      const vals = r.series.flatMap((x) => x.values.map((v) => v[1])).filter((v) => v != null);
      ok(vals.length === 1 && near(vals[0], expected[p.id]), `panel ${p.id} "${p.title}": today's province figure over two hubs = ${+expected[p.id].toFixed(4)}`,
        JSON.stringify(vals) + '\n' + r.q);
    }
    /* gauges over time: each hub's (and channel's) latest in the hour, summed */
    const gauges = { 3: { A: 220, B: 22 }, 8: { A: 240, B: 28, C: 104, D: 110 } };
    if (gauges[p.id]) {
      const bucket = r.series.flatMap((x) => x.values).find((v) => v[0] <= t1 && v[0] + HOUR > t2);
      ok(bucket && near(bucket[1], gauges[p.id][t.refId]), `panel ${p.id} "${p.title}" ${t.refId}: the hour's value sums the two hubs (${gauges[p.id][t.refId]})`,
        JSON.stringify(r.series.map((x) => x.values.filter((v) => v[1] != null))) + '\n' + r.q);
    }
    /* percentiles of two hubs cannot be added: the panel shows the larger */
    const percentiles = { 6: { A: 60, B: 300 }, 9: { A: 240, B: 900 } };
    if (percentiles[p.id]) {
      const bucket = r.series.flatMap((x) => x.values).find((v) => v[0] <= t1 && v[0] + HOUR > t2);
      ok(bucket && near(bucket[1], percentiles[p.id][t.refId]), `panel ${p.id} "${p.title}" ${t.refId}: the hour's value is the larger hub's (${percentiles[p.id][t.refId]})`,
        JSON.stringify(r.series.map((x) => x.values.filter((v) => v[1] != null))) + '\n' + r.q);
    }
    if (p.id === 113) {
      const bucket = r.series.flatMap((x) => x.values).find((v) => v[0] <= t1 && v[0] + HOUR > t2);
      const want = t.refId === 'A' ? expected[105] : 40 / 48;
      ok(bucket && near(bucket[1], want), `on-time-rate panel ${t.refId}: the hour of the two minutes is ${+want.toFixed(4)}, at a local hour boundary`,
        JSON.stringify(r.series.map((x) => x.values.filter((v) => v[1] != null))));
    }
  }
}
ok(dash.panels.some((p) => p.id === 113 && p.type === 'timeseries') && Object.keys(expected).every((id) => dash.panels.some((p) => p.id === Number(id) && p.type === 'stat')),
  'the dashboard has the on-time-rate panel and the headline stat panels');
const v = await run(dash.templating.list[0].query, '1m', 0);
ok(!v.error && JSON.stringify(v.series).includes('"all"'), 'the unit variable lists "all"', v.error);
cleanup();
fs.rmSync(dir, { recursive: true, force: true });
console.log(`1..${n}`);
console.log(`# ${n - failed}/${n} passed; ${targets} queries`);
process.exit(failed ? 1 : 0);
