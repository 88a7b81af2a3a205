// layout-test.mjs — the wall at the three screen sizes it is used at, under a
// demo-like load, in Debian's headless Chromium (playwright-core from
// dashboards/node_modules), against a real mosquitto, influxd and iochub
// started here on free ports.
//
//   node layout-test.mjs --iochub BUILD/hub/iochub --sim BUILD/connectors/ioc-sim \
//                        --source-root SRC --out DIR
//
// The load: ioc-sim's MQTT mode (the demo's "rest of the province", 1,500
// devices) at 300 msg/s; a burst of dossiers that go overdue at once (the
// province-wide spike), dossiers earlier this month (the ranking's month
// fallback), InfluxDB history of the past weeks (trends, Δ against last
// week); one alert acknowledged and one rule silenced by an operator.
// Then every page (map, rank, trend; the commune map; the national page) at
// 1920×1080, 3840×2160 and 1366×768, in a browser whose own time zone and
// locale are not Vietnam's.  It fails when any element's text overflows its
// box (scrollWidth > clientWidth or scrollHeight > clientHeight on an element
// that clips or holds text), when text is smaller than the size's minimum,
// or a tile's value smaller than its minimum:
//
//   size        where                         tile value   any text
//   1920×1080   the room's 1080p wall, 3 m    ≥ 36 px      ≥ 12 px
//   3840×2160   a 4K wall read from 5 m       ≥ 72 px      ≥ 25 px
//   1366×768    an operator's laptop          ≥ 25 px      ≥ 9 px
//
// (72 px Be Vietnam Pro has a cap height of ~50 px: 25 mm on an 85" 4K
// panel, the 1:200 legibility rule at 5 m.)  And it checks what an operator
// reads: the province in the title, Vietnam's time, the language's number
// format, axis labels wider than nothing, firing alerts first and grouped,
// names instead of codes, the spike banner, who acknowledged, the ranking's
// cut and fallback, the queue tiles against the hub's figures.  Screenshots
// go to DIR/layout/ (wall-1920.png, wall-3840.png, wall-1366.png are the
// ones docs/ shows).  Prints TAP; exits non-zero on any failure.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf('--' + name); return i >= 0 ? argv[i + 1] : def; };
const iochub = opt('iochub'), sim = opt('sim'), src = opt('source-root') && path.resolve(opt('source-root'));
const out = path.join(opt('out', process.cwd()), 'layout');
const CHROMIUM = process.env.IOC_CHROMIUM || '/usr/bin/chromium';
const INFLUXD = process.env.IOC_TEST_INFLUXD || '/usr/bin/influxd';
const TOKEN = 'layout-wall', OPERATOR = 'layout-operator';
const SIZES = [
  { w: 1920, h: 1080, value: 36, text: 12 },
  { w: 3840, h: 2160, value: 72, text: 25 },
  { w: 1366, h: 768, value: 25, text: 9 },
];
const TZ = 'Asia/Ho_Chi_Minh', DAY = 86400e3, HOUR = 3600e3;

let n = 0, failed = 0;
const procs = [];
function ok(cond, name, detail) {
  n++;
  if (cond) console.log(`ok ${n} - ${name}`);
  else { failed++; console.log(`not ok ${n} - ${name}`); if (detail) console.log('# ' + String(detail).split('\n').join('\n# ')); }
  return cond;
}
const note = (s) => console.log('# ' + s);
function cleanup() { for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); }
function bail(msg) { console.log(`1..${n + 1}`); console.log(`not ok ${n + 1} - ${msg}`); cleanup(); process.exit(1); }
process.on('exit', cleanup);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(fn, timeoutMs, stepMs = 250) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try { if (await fn()) return Date.now() - t0; } catch { /* not yet */ }
    await sleep(stepMs);
  }
  return -1;
}
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}
async function http(url, init) {
  try { const r = await fetch(url, init); const body = await r.text(); let json = null; try { json = JSON.parse(body); } catch { /* text */ }
    return { status: r.status, body, json }; }
  catch { return { status: 0, body: '', json: null }; }
}

// ---- preconditions: fail loudly, they are part of the product's setup ----
if (!iochub || !sim || !src) bail('usage: --iochub PATH --sim PATH --source-root PATH [--out DIR]');
if (!fs.existsSync(CHROMIUM)) bail(`${CHROMIUM} is missing: run ops/setup-web.sh`);
if (!fs.existsSync(INFLUXD)) bail(`${INFLUXD} is missing: run ops/setup.sh`);
const require = createRequire(path.join(src, 'dashboards', 'package.json'));
let chromium;
try { ({ chromium } = require('playwright-core')); } catch { bail('playwright-core is not installed in dashboards/node_modules: run ops/setup-web.sh'); }
if (!fs.existsSync(path.join(src, 'dashboards', 'www', 'vendor', 'uPlot.iife.min.js'))) bail('dashboards/www/vendor is empty: run ops/setup-web.sh');

const t0 = Date.now();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioc-layout-'));
fs.mkdirSync(out, { recursive: true });
const log = (name) => fs.openSync(path.join(dir, name + '.log'), 'a');
const tail = (name) => { try { return fs.readFileSync(path.join(dir, name + '.log'), 'utf8').slice(-2500); } catch { return ''; } };

// ---- influxd with the past weeks ----
const influxPort = await freePort(), influxRpc = await freePort();
fs.mkdirSync(path.join(dir, 'influx'));
fs.writeFileSync(path.join(dir, 'influx', 'influxdb.conf'), `reporting-disabled = true
bind-address = "127.0.0.1:${influxRpc}"
[meta]
  dir = "${dir}/influx/meta"
[data]
  dir = "${dir}/influx/data"
  wal-dir = "${dir}/influx/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:${influxPort}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
`);
procs.push(spawn(INFLUXD, ['-config', path.join(dir, 'influx', 'influxdb.conf')], { stdio: ['ignore', log('influxd'), log('influxd')] }));
const influx = `http://127.0.0.1:${influxPort}`;
if (await waitFor(async () => (await http(influx + '/ping')).status === 204, 30000) < 0) bail('influxd did not answer /ping\n' + tail('influxd'));
await http(influx + '/query', { method: 'POST', body: 'q=CREATE DATABASE ioc', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
/* Every hour of the same weekday over the last 8 weeks (the usual curve and
 * last week's figures up to now), and one point a day for 30 days. */
const nowMs = Date.now();
const dayStart = nowMs - ((nowMs + 7 * HOUR) % DAY);
const lines = [];
const LW = { received: 40, completed_early: 30, completed_ontime: 2, completed_late: 3, issued: 60, served: 50, ratings: 20, satisfied: 17 };
for (let w = 1; w <= 8; w++)
  for (let h = 7; h < 17; h++) {
    const s = Math.floor((dayStart - w * 7 * DAY + h * HOUR + 1800e3) / 1000);
    lines.push(`ioc_dossier,channel=1,hub=old,province=40,unit=all received=${LW.received}i,completed_early=${LW.completed_early}i,` +
      `completed_ontime=${LW.completed_ontime}i,completed_late=${LW.completed_late}i ${s}`);
    lines.push(`ioc_queue,hub=old,province=40,unit=all issued=${LW.issued}i,served=${LW.served}i ${s}`);
    lines.push(`ioc_rating,hub=old,province=40,unit=all ratings=${LW.ratings}i,satisfied=${LW.satisfied}i ${s}`);
  }
for (let k = 1; k <= 29; k++) if (k % 7) lines.push(`ioc_dossier,channel=1,hub=old,province=40,unit=all received=${300 + 13 * k}i ${Math.floor((dayStart - k * DAY + 10 * HOUR) / 1000)}`);
const wrote = await http(influx + '/write?db=ioc&precision=s', { method: 'POST', body: lines.join('\n') + '\n' });
if (wrote.status !== 204) bail('could not write the history to InfluxDB: ' + wrote.status + ' ' + wrote.body);

// ---- mosquitto ----
const mqttPort = await freePort();
fs.writeFileSync(path.join(dir, 'mosquitto.conf'),
  `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nlog_dest file ${dir}/mosquitto.log\n`);
procs.push(spawn('mosquitto', ['-c', path.join(dir, 'mosquitto.conf')], { stdio: 'ignore' }));

// ---- the province hub: every day a working day, so the spike rules run today ----
const httpPort = await freePort();
const base = `http://127.0.0.1:${httpPort}`;
fs.writeFileSync(path.join(dir, 'calendar.conf'), '[calendar]\nweekend =\nhours = 00:00-23:59\n');
const ZERO_UNIT = 'xa-16702';
fs.writeFileSync(path.join(dir, 'alerts.conf'), `[rule overdue-spike-unit]
kind = overdue_spike_unit
severity = warning
summary = Số hồ sơ trễ hẹn mới của đơn vị tăng đột biến
min_count = 50
[rule overdue-spike-province]
kind = overdue_spike_province
severity = critical
summary = Trễ hẹn tăng đột biến toàn tỉnh: có thể do sự cố hệ thống
summary_en = Province-wide spike in overdue dossiers: possibly a system fault
unit_rule = overdue-spike-unit
min_count = 6
# The hourly count starts again at the next clock hour: without this, an
# hour turning during the test resolves the acknowledged spike.
keep_firing_for = 2h
[rule zero-tolerance-test]
kind = zero_tolerance
severity = info
summary = Hồ sơ trễ hẹn tại đơn vị không được phép trễ hẹn
units = ${ZERO_UNIT}
[rule cameras-recording-low]
kind = threshold
severity = warning
summary = Tỷ lệ camera đang ghi hình dưới 95%
summary_en = Cameras recording below 95 %
metric = ioc_device.cameras_recording
denominator = ioc_device.cameras
op = <
value = 0.95
clear = 0.97
for = 15s
`);
const units = fs.readFileSync(path.join(src, 'ops', 'units', 'nghe-an.csv'), 'utf8').split('\n').slice(1)
  .map((l) => l.split(',')).filter((c) => (c[2] === 'xa' || c[2] === 'phuong') && !c[5]).map((c) => ({ code: c[0], name: c[1] }));
/* A small synthetic map of nine communes (keyed by code or commune_code)
 * and one code not in the registry, served by the hub ([http] commune_map). */
const mapped = units.slice(0, 9);
{
  const square = (i) => { const x = 105 + (i % 3) * 0.2, y = 19 - Math.floor(i / 3) * 0.2;
    return [[[x, y], [x + 0.19, y], [x + 0.19, y - 0.19], [x, y - 0.19], [x, y]]]; };
  const geo = { type: 'FeatureCollection', features: mapped.map((u, i) => ({ type: 'Feature',
    properties: i % 2 ? { code: u.code } : { commune_code: u.code.slice(3) }, geometry: { type: 'Polygon', coordinates: square(i) } }))
    .concat([{ type: 'Feature', properties: { code: 'xa-99999' }, geometry: { type: 'Polygon', coordinates: square(9) } }]) };
  fs.writeFileSync(path.join(dir, 'communes.geojson'), JSON.stringify(geo));
}
fs.writeFileSync(path.join(dir, 'hub.conf'), `[hub]
province = 40
id = layout-test
units = ${src}/ops/units/nghe-an.csv
calendar = ${dir}/calendar.conf
alerts = ${dir}/alerts.conf
state_dir = ${dir}/state
[mqtt]
url = tcp://127.0.0.1:${mqttPort}
client_id = iochub-layout-test
[influx]
url = ${influx}
[http]
listen = 127.0.0.1:${httpPort}
dashboard_dir = ${src}/dashboards/www
display_tokens = ${TOKEN}
operator_tokens = ${OPERATOR}
commune_map = ${dir}/communes.geojson
[windows]
lateness = 1s
`);
const hub = spawn(iochub, ['--config', path.join(dir, 'hub.conf')], { stdio: ['ignore', log('hub'), log('hub')] });
procs.push(hub);
if (await waitFor(async () => (await http(base + '/healthz')).status === 200, 20000) < 0) bail('iochub did not answer /healthz\n' + tail('hub'));
const api = async (p) => (await http(base + p + (p.includes('?') ? '&' : '?') + 'token=' + TOKEN)).json;

// ---- the load ----
procs.push(spawn(sim, ['--mqtt', `tcp://127.0.0.1:${mqttPort}`, '--connectors', '1500', '--rate', '300', '--seed', '1'],
  { stdio: ['ignore', log('sim'), log('sim')] }));
/* One portal device of the test: dossiers through mosquitto_pub -l, one
 * process per unit topic. */
let seq = 0;
function publishDossiers(unit, list) {
  const body = list.map((d) => JSON.stringify(Object.assign({ v: 1, seq: ++seq, ts: Date.now(), type: 'dossier', procedure: '1.001234',
    channel: 2 }, d))).join('\n') + '\n';
  const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-q', '1', '-l', '-t', `ioc/v1/40/${unit}/portal/layout-portal/event`],
    { input: body, timeout: 20000 });
  if (r.status !== 0) throw new Error('mosquitto_pub: ' + String(r.stderr));
}
const nameOf = new Map(units.map((u) => [u.code, u.name]));
const firstOfMonth = new Intl.DateTimeFormat('en-GB', { timeZone: TZ, day: 'numeric' }).format(nowMs) === '1';
/* The month's ranking: 12 communes with 31 dossiers each received yesterday
 * (this month unless today is the 1st), all completed on time. */
const monthUnits = units.slice(20, 32);
if (!firstOfMonth)
  for (const u of monthUnits) {
    const at = dayStart - DAY + 9 * HOUR;
    publishDossiers(u.code, Array.from({ length: 31 }, (_, i) => ({ dossier: `M-${u.code}-${i}`, state: 9, received_at: at + i * 60e3,
      due_at: at + 3 * DAY })));
  }
/* The spike: 8 dossiers in 8 communes, due 2 s from now; 2 more in the
 * zero-tolerance commune. */
const due = Date.now() + 2000;
units.slice(40, 48).forEach((u, i) => publishDossiers(u.code, [{ dossier: `S-${i}`, state: 2, received_at: Date.now() - HOUR, due_at: due }]));
publishDossiers(ZERO_UNIT, [0, 1].map((i) => ({ dossier: `Z-${i}`, state: 2, received_at: Date.now() - HOUR, due_at: due })));

/* Until the hub has what the pages should show. */
let alertsNow = null;
const ready = await waitFor(async () => {
  alertsNow = (await api('/api/v1/alerts')) || { alerts: [] };
  const cams = alertsNow.alerts.filter((a) => a.rule === 'cameras-recording-low');
  return cams.some((a) => a.state === 'firing') && cams.filter((a) => a.scope !== 'all').length >= 3
    && alertsNow.alerts.some((a) => a.rule === 'overdue-spike-province' && a.state === 'firing')
    && alertsNow.alerts.some((a) => a.rule === 'zero-tolerance-test');
}, 150000, 1000);
ok(ready >= 0, `the hub has camera alerts (firing and pending), the province-wide spike and a zero-tolerance alert (${ready} ms)`,
  JSON.stringify(alertsNow && alertsNow.alerts.map((a) => [a.rule, a.scope, a.state])) + '\n' + tail('hub'));

// ---- an operator acknowledges and silences ----
const post = (p, body) => http(base + p, { method: 'POST', body: JSON.stringify(body),
  headers: { Authorization: 'Bearer ' + OPERATOR, 'Content-Type': 'application/json' } });
const spike = alertsNow.alerts.find((a) => a.rule === 'overdue-spike-province' && a.state === 'firing');
const cam = alertsNow.alerts.find((a) => a.rule === 'cameras-recording-low' && a.state === 'firing' && a.scope !== 'all')
  || alertsNow.alerts.find((a) => a.rule === 'cameras-recording-low' && a.scope !== 'all');
ok(spike && (await post(`/api/v1/alerts/${encodeURIComponent(spike.id)}/ack`, { by: 'Minh' })).status === 200, 'the spike is acknowledged by Minh');
ok(cam && (await post(`/api/v1/alerts/${encodeURIComponent(cam.id)}/ack`, { by: 'Lan' })).status === 200, `a camera alert (${cam && cam.scope}) is acknowledged by Lan`);
ok((await post('/api/v1/silences', { rule: 'zero-tolerance-test', scope: '*', duration: '1h', by: 'Lan', comment: 'layout test' })).status === 201,
  'the zero-tolerance rule is silenced');

// ---- the browser: not in Vietnam, not in Vietnamese ----
const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'ioc-layout-chromium-'));
let browser;
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--font-render-hinting=none'] });
} catch (e) { bail('chromium did not start: ' + e.message); }
const consoleErrors = [];
async function open(size, url, routes) {
  const ctx = await browser.newContext({ viewport: { width: size.w, height: size.h }, timezoneId: 'America/Los_Angeles', locale: 'en-US' });
  if (routes) await routes(ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => consoleErrors.push(url + ': ' + String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) consoleErrors.push(url + ': ' + m.text()); });
  await page.goto(url.startsWith('http') ? url : base + url);
  return { ctx, page };
}
const text = async (page, sel) => (await page.locator(sel).first().textContent()) || '';

/* In the page: every element that clips or holds text must show all of it;
 * text and tile values no smaller than the minimums. */
function layoutProblems(mins) {
  const bad = [];
  const name = (el) => {
    const p = [];
    for (let e = el; e && e !== document.body && p.length < 4; e = e.parentElement)
      p.unshift(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.classList.length ? '.' + [...e.classList].join('.') : '')
        + (e.dataset && e.dataset.testid ? `[${e.dataset.testid}]` : ''));
    return p.join(' > ');
  };
  const shown = (el) => { const s = getComputedStyle(el); return s.display !== 'none' && s.visibility !== 'hidden' && el.getClientRects().length > 0; };
  const quote = (el) => '«' + el.textContent.trim().replace(/\s+/g, ' ').slice(0, 70) + '»';
  let texts = 0, values = 0;
  for (const el of [document.documentElement, ...document.body.querySelectorAll('*')]) {
    if (el.closest('svg') || el.tagName === 'CANVAS' || el.tagName === 'SCRIPT' || !shown(el)) continue;
    const s = getComputedStyle(el);
    const own = [...el.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    const clips = s.overflowX !== 'visible' || s.overflowY !== 'visible';
    const boxed = s.display !== 'inline';
    if ((clips || (own && boxed)) && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
      bad.push(`overflows (${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight}): ${name(el)} ${quote(el)}`);
    if (own) {
      texts++;
      const fs = parseFloat(s.fontSize);
      if (fs < mins.text - 0.01) bad.push(`text ${fs.toFixed(1)} px < ${mins.text}: ${name(el)} ${quote(el)}`);
    }
  }
  for (const el of document.querySelectorAll('.t-value')) {
    if (!shown(el)) continue;
    values++;
    const fs = parseFloat(getComputedStyle(el).fontSize);
    if (fs < mins.value - 0.01) bad.push(`tile value ${fs.toFixed(1)} px < ${mins.value}: ${name(el)} ${quote(el)}`);
  }
  /* Text drawn on a chart's canvas and on the map. */
  for (const el of document.querySelectorAll('.chart[data-font-px], .grid[data-font-px]')) {
    if (!shown(el)) continue;
    if (Number(el.dataset.fontPx) < mins.text - 0.01) bad.push(`${name(el)} draws ${el.dataset.fontPx} px text < ${mins.text}`);
  }
  for (const el of document.querySelectorAll('svg text[font-size]')) {
    if (!el.textContent.trim()) continue;
    const px = el.getBoundingClientRect().height / 2.4;
    if (px && px < mins.text * 0.8) bad.push(`map label ~${px.toFixed(1)} px: ${quote(el)}`);
  }
  return { bad, texts, values };
}
async function checkLayout(page, size, what) {
  await page.evaluate(() => document.fonts.ready);
  await sleep(400); /* one more frame for the fitting */
  const r = await page.evaluate(layoutProblems, size);
  ok(r.bad.length === 0 && r.texts > 20, `${what} at ${size.w}×${size.h}: no text overflows its box, text ≥ ${size.text} px, tile values ≥ ${size.value} px (${r.texts} text elements, ${r.values} tile values)`,
    r.bad.slice(0, 15).join('\n'));
}
/* Generous: a loaded machine (load 20 on 2 cores was seen) can take a while to render a 4K frame. */
const shot = (page, file) => page.screenshot({ path: path.join(out, file), timeout: 120000 });
const pageReady = (page) => waitFor(async () => (await page.locator('#conn').getAttribute('data-state')) === 'up'
  && /\d/.test(await text(page, '[data-v="issued"]')) && (await page.locator('#banner').isVisible()), 20000);
const vnTime = (ms) => new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);

try {
  for (const size of SIZES) {
    const tag = String(size.w);
    // ---- the map page, with the tile grid most provinces see (no GeoJSON:
    // the map is asked where the hub has none); the commune map comes below ----
    const { ctx, page } = await open(size, `/?token=${TOKEN}&rotate=0&page=map&lang=vi&commune_map=/api/v1/no-such-map`);
    ok(await pageReady(page) >= 0, `${tag}: the wall is live, with queue figures and the spike banner`, await text(page, '#conn'));
    /* the Δ needs the history: wait for it once (a 5-minute refresh otherwise) */
    await waitFor(async () => (await text(page, '[data-delta="received"]')).length > 0, 20000);
    await checkLayout(page, size, 'map page (vi)');
    await shot(page, `wall-${tag}.png`);
    if (size.w === 1920) {
      // ---- what an operator reads ----
      const title = await text(page, '.title');
      ok(title.includes('Tỉnh Nghệ An'), 'the title names the province', title);
      const clock = await text(page, '#clock');
      const want = [vnTime(Date.now() - 60e3), vnTime(Date.now())];
      ok(want.some((w) => clock.startsWith(w)), `the clock shows Vietnam's time in a browser set to Los Angeles (${clock}; Vietnam ${want[1]})`);
      const rec = await text(page, '[data-v="received"]'), pct = await text(page, '[data-v="ontime_rate"]');
      ok(/^\d{1,3}(\.\d{3})*$/.test(rec) && /^\d{1,3},\d\u00a0%$/.test(pct), `Vietnamese number format on the vi page: "${rec}", "${pct}"`);
      /* The summary and the tiles read in one go (the desks' counts change
       * with every status), until they agree or 10 s have passed. */
      const vi = (v) => v.toLocaleString('vi-VN');
      let qt = null;
      const agree = await waitFor(async () => {
        qt = await page.evaluate(() => {
          const v = (k) => (document.querySelector(`[data-v="${k}"]`) || {}).textContent || '';
          return { q: window.iocWall.summary.queue_today, issued: v('issued'), waiting: v('waiting'), avg: v('wait_avg'),
            max: v('wait_max'), avgSub: v('wait_avg_sub'), maxSub: v('wait_max_sub') };
        });
        return qt.q.issued > 0 && qt.q.waiting != null && qt.issued === vi(qt.q.issued) && qt.waiting === vi(qt.q.waiting);
      }, 10000);
      qt = qt || {};
      const q = qt.q || {};
      ok(agree >= 0, `queue tiles show the hub's figures: issued ${qt.issued}, waiting ${qt.waiting} (the desks' count)`, JSON.stringify(q));
      ok(q.wait_avg_s > 0 && q.wait_max_s >= q.wait_avg_s && q.wait_max_unit && /\d/.test(qt.avg) && /\d/.test(qt.max)
        && !/chưa cung cấp/.test(qt.avgSub + qt.maxSub) && qt.maxSub.startsWith('tại ') && !qt.maxSub.includes(q.wait_max_unit),
        `wait tiles show the hub's waits: average ${qt.avg} (${qt.avgSub}), longest ${qt.max} (${qt.maxSub})`, JSON.stringify(q));
      const src = await page.evaluate(() => [...document.querySelectorAll('[data-testid^="tile-"]')].map((t) => [t.dataset.testid, t.dataset.src, t.dataset.stale]));
      ok(['tile-waiting', 'tile-issued', 'tile-served', 'tile-wait-avg', 'tile-wait-max'].every((id) => src.some(([i, s, st]) => i === id && s && st === '0')),
        'queue tiles follow the staleness rules of their source (desk, kiosk), fresh now', JSON.stringify(src));
      const delta = await text(page, '[data-delta="received"]');
      const elapsed = Math.min(Math.max(0, Date.now() - dayStart - 7 * HOUR), 10 * HOUR);
      const lw = LW.received * elapsed / HOUR, recN = Number(rec.replace(/\./g, ''));
      const arrow = recN > lw ? '▲' : '▼';
      ok(delta.startsWith(arrow) && delta.includes('so tuần trước'),
        `received today ${recN} against last week's ${Math.round(lw)} by this time: "${delta}"`);
      // ---- alerts ----
      const rail = await page.locator('#alerts li:not([hidden])').evaluateAll((lis) => lis.map((li) => ({ cls: li.className, count: Number(li.dataset.count),
        rule: li.dataset.rule, text: li.textContent })));
      const firstPending = rail.findIndex((a) => a.cls.includes('pending'));
      const lastFiring = rail.map((a) => a.cls.includes('firing')).lastIndexOf(true);
      ok(rail.length > 0 && (firstPending < 0 || lastFiring < firstPending), 'firing alerts come before pending ones',
        rail.map((a) => a.cls + ' ' + a.rule).join('\n'));
      const camGroup = rail.find((a) => a.rule === 'cameras-recording-low');
      ok(camGroup && camGroup.count >= 3 && /Tỷ lệ camera đang ghi hình dưới 95%: (toàn tỉnh và )?\d+ xã/.test(camGroup.text) && camGroup.text.includes('tệ nhất:')
        && camGroup.text.includes('Lan'), 'the camera alerts are one group: the count, the worst communes named, who acknowledged', camGroup && camGroup.text);
      const railText = await text(page, '#alerts');
      const short = new Set([...nameOf.values()].map((v) => v.replace(/^(Phường|Xã) /, '')));
      const worst = ((/tệ nhất: ([^\n]*?)(\d+ đang|\d+ chờ|$)/.exec(camGroup ? camGroup.text : '') || [])[1] || '').split(/ \([^)]*\),? ?/).filter(Boolean);
      ok(!/\b(xa|ca)-\d{5}\b/.test(railText) && worst.length === 3 && worst.every((w) => short.has(w)),
        `alerts name communes, not codes (worst: ${worst.join(', ')})`, railText);
      const zero = await waitFor(async () => (await text(page, '#alerts li[data-rule="zero-tolerance-test"]')).includes('đã tắt thông báo'), 25000);
      ok(zero >= 0, 'the silenced rule shows as silenced', await text(page, '#alerts li[data-rule="zero-tolerance-test"]'));
      const banner = await text(page, '#banner');
      ok(banner.includes('Trễ hẹn tăng đột biến toàn tỉnh') && banner.includes('Minh') && (await page.locator('#banner').getAttribute('data-state')) === 'firing'
        && await page.locator('header.bar.alarm').isVisible(), 'the province-wide spike turns the header red and says so, with who acknowledged it', banner);
      await checkLayout(page, size, 'map page after the silence');
      // ---- English ----
      await page.click('#lang');
      const recEn = await text(page, '[data-v="received"]'), pctEn = await text(page, '[data-v="ontime_rate"]');
      ok((await text(page, '.title')).includes('Nghe An') || (await text(page, '.title')).includes('Nghệ An Province'), 'the English title names the province', await text(page, '.title'));
      ok(/^\d{1,3}(,\d{3})*$/.test(recEn) && /^\d{1,3}\.\d\u00a0%$/.test(pctEn), `English number format on the en page: "${recEn}", "${pctEn}"`);
      /* The rules' English summaries; a rule without one keeps its Vietnamese text. */
      const bannerEn = await text(page, '#banner'), railEn = await text(page, '#alerts');
      ok(bannerEn.includes('Province-wide spike in overdue dossiers') && railEn.includes('Cameras recording below 95 %')
        && !railEn.includes('Tỷ lệ camera') && railEn.includes('Hồ sơ trễ hẹn tại đơn vị không được phép'),
        'in English the banner and the rail show the rules\' English summaries', bannerEn + '\n' + railEn);
      ok(/: 1 commune\b/.test(railEn) && !/\b1 communes\b/.test(railEn), 'English counts agree in number ("1 commune", not "1 communes")', railEn);
      await checkLayout(page, size, 'map page (en)');
      await page.click('#lang');
    }
    await ctx.close();

    // ---- the ranking ----
    {
      const { ctx, page } = await open(size, `/?token=${TOKEN}&rotate=0&page=rank&lang=vi`);
      await pageReady(page);
      const today = (await api('/api/v1/units')).ranking.filter((e) => nameOf.has(e.code)).length;
      const month = (await api('/api/v1/units?period=month')).ranking.filter((e) => nameOf.has(e.code)).length;
      const want = today >= 10 || month <= today ? 'today' : 'month';
      const period = await waitFor(async () => (await page.locator('#page-rank').getAttribute('data-period')) === want
        && (await page.locator('#rank-top li').count()) > 0, 15000);
      if (size.w === 1920) {
        if (firstOfMonth) note('the 1st of the month: no earlier day this month, the month fallback cannot be shown today');
        ok(period >= 0 && (firstOfMonth || want === 'month'), `ranked on ${want} (${today} communes today, ${month} this month, 10 needed)`,
          await page.locator('#page-rank').getAttribute('data-period'));
        const items = await page.locator('#rank-top li, #rank-bottom li').allTextContents();
        const cut = await text(page, '#rank-cut');
        ok(/^1\./.test(items[0] || '') && cut.includes('30') && (want === 'today' || cut.includes('tháng')),
          'numbered, the minimum volume and the period stated', items.slice(0, 3).join(' | ') + ' / ' + cut);
        ok(await page.locator('.rank-sep').isVisible() && await page.locator('#rank-bottom li').count() > 0,
          'best and worst apart, with a separator between', await text(page, '#rank-bottom'));
      }
      await checkLayout(page, size, 'ranking page');
      await shot(page, `rank-${tag}.png`);
      await ctx.close();
    }

    // ---- the trends ----
    {
      const { ctx, page } = await open(size, `/?token=${TOKEN}&rotate=0&page=trend&lang=vi`);
      await pageReady(page);
      const drawn = await waitFor(async () => Number(await page.locator('#chart30').getAttribute('data-points')) >= 20
        && await page.locator('#chart canvas').count() > 0 && await page.evaluate(() => window.iocWall.history.usualOk), 20000);
      ok(drawn >= 0, `${tag}: both charts drawn from InfluxDB`, await page.locator('#chart30').getAttribute('data-points'));
      await sleep(500);
      const axes = await page.evaluate(() => window.iocWall.charts.filter(Boolean).map((u) => {
        const y = u.axes[1], ctx = document.createElement('canvas').getContext('2d');
        ctx.font = y.font[0] || y.font;
        const widest = Math.max(...(y._values || []).map((v) => ctx.measureText(String(v)).width));
        return { size: y._size, widest, values: y._values, legend: u.root.querySelector('.u-legend').textContent };
      }));
      ok(axes.length === 2 && axes.every((a) => a.values && a.values.length && a.widest + 4 <= a.size),
        'the y-axes are wider than their widest label (no ",800")', JSON.stringify(axes));
      ok(axes.every((a) => !/--|Time/.test(a.legend)) && axes.every((a) => a.values.every((v) => !/,\d{3}/.test(v))),
        'legends name the series only (no "Time: --"), labels in Vietnamese format', axes.map((a) => a.legend + ' ' + a.values.join(' ')).join('\n'));
      await checkLayout(page, size, 'trend page');
      await shot(page, `trend-${tag}.png`);
      await ctx.close();
    }

    // ---- a map of the communes, served by the hub ([http] commune_map) ----
    {
      const { ctx, page } = await open(size, `/?token=${TOKEN}&rotate=0&page=map&lang=vi`);
      await pageReady(page);
      const shown = await waitFor(async () => await page.locator('#commune-map path.region').count() === mapped.length
        && !(await page.locator('#grid').isVisible()), 10000);
      if (size.w === 1920) {
        ok(shown >= 0, 'a GeoJSON of communes (keyed by code or commune_code) replaces the grid; an unknown code is left out',
          await page.locator('#commune-map path.region').count());
        const colours = await page.evaluate(() => [...document.querySelectorAll('#commune-map path.region')].map((p) => {
          const u = window.iocWall.units.get(p.dataset.code), v = u.ontime_rate;
          const want = v == null ? '' : v >= 0.95 ? 'ok' : v >= 0.85 ? 'warn' : 'bad';
          return [p.dataset.code, want, p.getAttribute('class')];
        }));
        ok(colours.every(([, want, cls]) => want === '' ? !/\b(ok|warn|bad)\b/.test(cls) : cls.split(' ').includes(want)),
          'each commune is coloured by its on-time rate', JSON.stringify(colours));
      }
      await checkLayout(page, size, 'map page with a commune map');
      await shot(page, `commune-map-${tag}.png`);
      await ctx.close();
    }
  }

  // ---- the hub's commune map needs a display token; without one (404) the grid ----
  {
    const served = await http(`${base}/api/v1/commune-map?token=${TOKEN}`), anon = await http(`${base}/api/v1/commune-map`);
    ok(served.status === 200 && served.json && served.json.type === 'FeatureCollection' && served.json.features.length === mapped.length + 1
      && anon.status === 401, `GET /api/v1/commune-map serves the configured file to a display token (${served.status}), not without one (${anon.status})`);
    const { ctx, page } = await open(SIZES[0], `/?token=${TOKEN}&rotate=0&page=map&commune_map=/api/v1/no-such-map`);
    await pageReady(page);
    ok((await http(`${base}/api/v1/no-such-map?token=${TOKEN}`)).status === 404 && await page.locator('#grid').isVisible()
      && await page.locator('#grid .cell').count() >= 100 && !(await page.locator('#commune-map').isVisible()), 'no commune map: the tile grid');
    await ctx.close();
  }

  // ---- the national page: on a hub without [federation], then on a national hub ----
  {
    const { ctx, page } = await open(SIZES[0], `/national.html?token=${TOKEN}`);
    const said = await waitFor(async () => (await page.locator('#conn').getAttribute('data-state')) === 'off'
      && (await text(page, '#explain')).includes('[federation]'), 15000);
    ok(said >= 0, `national.html on a hub without [federation] says so (after ${said} ms), not "Đang kết nối…" forever`, await text(page, '#conn'));
    ok(await page.locator('#map path.region').count() === 34, 'and still draws the 34 provinces', await page.locator('#map path.region').count());
    await checkLayout(page, SIZES[0], 'national page without federation');
    await shot(page, 'national-off-1920.png');
    await ctx.close();
  }
  const natPort = await freePort();
  fs.mkdirSync(path.join(dir, 'national'));
  fs.writeFileSync(path.join(dir, 'national', 'hub.conf'), `[hub]
province = 40
id = national
units = ${src}/ops/units/nghe-an.csv
state_dir = ${dir}/national/state
[mqtt]
url = tcp://127.0.0.1:${mqttPort}
client_id = iochub-layout-national
[http]
listen = 127.0.0.1:${natPort}
dashboard_dir = ${src}/dashboards/www
display_tokens = ${TOKEN}
[federation]
enabled = true
national = true
`);
  procs.push(spawn(iochub, ['--config', path.join(dir, 'national', 'hub.conf')], { stdio: ['ignore', log('national'), log('national')] }));
  const nat = `http://127.0.0.1:${natPort}`;
  ok(await waitFor(async () => (await http(nat + '/healthz')).status === 200, 20000) >= 0, 'a national hub starts', tail('national'));
  const codes = ['01', '04', '08', '11', '12', '14', '15', '19', '20', '22', '24', '25', '31', '33', '37', '38', '40', '42', '44', '46', '48',
    '51', '52', '56', '66', '68', '75', '79', '80', '82', '86', '91', '92', '96'];
  const rate = (i) => [0.99, 0.9, 0.7][i % 3];
  function rollups() {
    const now = Date.now(), start = now - ((now + 7 * HOUR) % DAY);
    codes.forEach((c, i) => {
      const big = c === '79' || c === '01';
      const received = big ? 123456 : 4000 + 37 * i, open = big ? 98765 : 3000;
      const overdue = Math.round(open * (1 - rate(i)));
      const body = { v: 1, province: c, hub: 'hub-' + c, sent_ms: now, day_start_ms: start, today: {
        ioc_dossier: { received, completed_early: 1000, completed_ontime: 200, completed_late: 0, overdue_entered: overdue, open, open_overdue: overdue },
        ioc_queue: { issued: big ? 234567 : 5000, called: 4000, served: 3900, no_show: 100 },
        ioc_rating: { ratings: 900, satisfied: 800 },
        ioc_device: { cameras: 9000, cameras_online: 8800, cameras_recording: 8700, kiosks: 400, kiosks_online: 390,
          connectors_expected: 3000, connectors_reporting: 2990 } } };
      spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-q', '1', '-r', '-t', `ioc/v1/${c}/rollup/hub-${c}`,
        '-m', JSON.stringify(body)], { timeout: 5000 });
    });
  }
  for (const size of SIZES) {
    rollups();
    const { ctx, page } = await open(size, `${nat}/national.html?token=${TOKEN}`);
    const live = await waitFor(async () => (await page.locator('#conn').getAttribute('data-state')) === 'up'
      && (await text(page, '[data-v="provinces"]')).startsWith('34'), 20000);
    if (size.w === 1920) {
      ok(live >= 0, 'the national page shows the 34 provinces\' rollups', await text(page, '[data-v="provinces"]'));
      const regions = await page.evaluate(() => [...document.querySelectorAll('#map path.region')].map((p) => [p.dataset.province, p.getAttribute('class')]));
      const wrong = regions.filter(([c, cls]) => !cls.split(' ').includes({ 0.99: 'ok', 0.9: 'warn', 0.7: 'bad' }[rate(codes.indexOf(c))]));
      ok(regions.length === 34 && wrong.length === 0, 'the map colours every province by its on-time rate', JSON.stringify(wrong));
    }
    await checkLayout(page, size, 'national page');
    await shot(page, `national-${size.w}.png`);
    await ctx.close();
  }

  // ---- the hub gone: every tile, the queue's too, turns stale ----
  {
    const { ctx, page } = await open(SIZES[0], `/?token=${TOKEN}&rotate=0&page=map`);
    await pageReady(page);
    hub.kill('SIGKILL');
    const stale = await waitFor(async () => (await page.locator('.tile[data-stale="0"]').count()) === 0, 15000);
    ok(stale >= 0, `with the hub gone every tile turns stale, queue tiles included (after ${stale} ms)`,
      await page.locator('.tile[data-stale="0"]').evaluateAll((t) => t.map((x) => x.dataset.testid).join(' ')));
    await checkLayout(page, SIZES[0], 'map page with the hub gone');
    await shot(page, 'wall-stale-1920.png');
    await ctx.close();
  }
  ok(consoleErrors.length === 0, 'no script errors on any page', consoleErrors.join('\n'));
} catch (e) {
  ok(false, 'browser run', e.stack);
} finally {
  await browser.close().catch(() => {});
  cleanup();
  fs.rmSync(udd, { recursive: true, force: true });
}
console.log(`1..${n}`);
console.log(`# ${n - failed}/${n} passed in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${out}`);
if (failed) { console.log('# hub log:\n# ' + tail('hub').split('\n').join('\n# ')); process.exit(1); }
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
