// browser-test.mjs — the wall display in real headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core from dashboards/node_modules),
// against a real mosquitto and a real iochub started here on free ports.
//
//   node browser-test.mjs --iochub BUILD/hub/iochub --source-root SRC --out DIR
//
// Checks: the page shows the published numbers; a new event changes the tile
// within 2 s; SIGKILL of the hub turns the tiles stale; the page recovers by
// itself when the hub is back; the English switch.  Screenshots go to
// DIR/screenshots/.  Prints TAP; exits non-zero on any failure (a missing
// chromium or playwright-core is a failure, not a skip).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf('--' + name); return i >= 0 ? argv[i + 1] : def; };
const iochub = opt('iochub');
const src = opt('source-root');
const out = opt('out', process.cwd());
const CHROMIUM = process.env.IOC_CHROMIUM || '/usr/bin/chromium';
const TOKEN = 'wall-test-token';

let n = 0, failed = 0;
const procs = [];
function ok(cond, name, detail) {
  n++;
  if (cond) console.log(`ok ${n} - ${name}`);
  else { failed++; console.log(`not ok ${n} - ${name}`); if (detail) console.log('# ' + String(detail).split('\n').join('\n# ')); }
  return cond;
}
function bail(msg) {
  console.log(`1..${n + 1}`);
  console.log(`not ok ${n + 1} - ${msg}`);
  cleanup();
  process.exit(1);
}
function cleanup() { for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); }
process.on('exit', cleanup);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

async function httpGet(url) {
  try { const r = await fetch(url); return { status: r.status, body: await r.text() }; }
  catch { return { status: 0, body: '' }; }
}

async function waitFor(fn, timeoutMs, stepMs = 100) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try { if (await fn()) return Date.now() - t0; } catch { /* not yet */ }
    await sleep(stepMs);
  }
  return -1;
}

// ---- preconditions: fail loudly, they are part of the product's setup ----
if (!iochub || !src) bail('usage: --iochub PATH --source-root PATH [--out DIR]');
if (!fs.existsSync(CHROMIUM)) bail(`${CHROMIUM} is missing: run ops/setup-web.sh (apt-get install chromium)`);
const require = createRequire(path.join(src, 'dashboards', 'package.json'));
let chromium;
try { ({ chromium } = require('playwright-core')); }
catch { bail('playwright-core is not installed in dashboards/node_modules: run ops/setup-web.sh'); }
if (!fs.existsSync(path.join(src, 'dashboards', 'www', 'vendor', 'uPlot.iife.min.js')))
  bail('dashboards/www/vendor is empty: run ops/setup-web.sh');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioc-browser-'));
const shots = path.join(out, 'screenshots');
fs.mkdirSync(shots, { recursive: true });
const mqttPort = await freePort();
const httpPort = await freePort();
const base = `http://127.0.0.1:${httpPort}`;

// ---- mosquitto ----
fs.writeFileSync(path.join(dir, 'mosquitto.conf'),
  `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest file ${dir}/mosquitto.log\n`);
const mosq = spawn('mosquitto', ['-c', path.join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
procs.push(mosq);

// ---- iochub ----
let federationConf = ''; /* [federation] and [windows], for the last part */
/* One zero-tolerance rule on a commune the other checks do not count, so a
 * dossier going overdue there puts one alert on the rail. */
const ALERT_UNIT = 'xa-16702';
fs.writeFileSync(path.join(dir, 'alerts.conf'), `[rule zero-tolerance-test]
kind = zero_tolerance
severity = info
summary = Hồ sơ trễ hẹn tại đơn vị thử nghiệm
units = ${ALERT_UNIT}
`);
const hubConf = (influx) => `[hub]
province = 40
id = browser-test
alerts = ${dir}/alerts.conf
units = ${src}/ops/units/nghe-an.csv
calendar = ${src}/ops/calendar/vn-2025.conf,${src}/ops/calendar/vn-2026.conf
state_dir = ${dir}/state
[mqtt]
url = tcp://127.0.0.1:${mqttPort}
client_id = iochub-browser-test
[influx]
url = ${influx}
[http]
listen = 127.0.0.1:${httpPort}
dashboard_dir = ${src}/dashboards/www
display_tokens = ${TOKEN}
[journal]
snapshot_interval = 2s
sync_interval = 20ms
${federationConf}`;
fs.writeFileSync(path.join(dir, 'hub.conf'), hubConf(''));
let hub = null;
async function startHub() {
  const log = fs.openSync(path.join(dir, 'hub.log'), 'a');
  hub = spawn(iochub, ['--config', path.join(dir, 'hub.conf')], { stdio: ['ignore', log, log] });
  procs.push(hub);
  return await waitFor(async () => (await httpGet(base + '/healthz')).status === 200, 15000) >= 0;
}
// ---- influxd (for the history charts), started only for the last part ----
const INFLUXD = process.env.IOC_TEST_INFLUXD || '/usr/bin/influxd';
let influxUrl = null;
async function startInflux() {
  const rpc = await freePort(), port = await freePort();
  const idir = path.join(dir, 'influx');
  fs.mkdirSync(idir, { recursive: true });
  fs.writeFileSync(path.join(idir, 'influxdb.conf'), `reporting-disabled = true
bind-address = "127.0.0.1:${rpc}"
[meta]
  dir = "${idir}/meta"
[data]
  dir = "${idir}/data"
  wal-dir = "${idir}/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
`);
  const log = fs.openSync(path.join(idir, 'influxd.log'), 'a');
  procs.push(spawn(INFLUXD, ['-config', path.join(idir, 'influxdb.conf')], { stdio: ['ignore', log, log] }));
  influxUrl = `http://127.0.0.1:${port}`;
  return await waitFor(async () => (await httpGet(influxUrl + '/ping')).status === 204, 30000) >= 0;
}
async function influxPost(pathAndQuery, body) {
  const r = await fetch(influxUrl + pathAndQuery, { method: 'POST', body,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  return r.status;
}

function hubLog() { try { return fs.readFileSync(path.join(dir, 'hub.log'), 'utf8').slice(-3000); } catch { return ''; } }

let seq = 0;
function publish(unit, kind, device, type, payload) {
  const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-q', '1',
    '-t', `ioc/v1/40/${unit}/${kind}/${device}/${type}`, '-m', JSON.stringify(payload)], { timeout: 5000 });
  if (r.status !== 0) throw new Error('mosquitto_pub failed: ' + (r.stderr || '').toString());
}
function dossier(code, channel) {
  const now = Date.now();
  publish('xa-16681', 'portal', 'portal-test', 'event', { v: 1, seq: ++seq, ts: now, type: 'dossier', dossier: code,
    procedure: '1.001234', state: 2, channel, received_at: now, due_at: now + 3 * 86400000 });
}

const t0 = Date.now();
if (!(await startHub())) bail('iochub did not answer /healthz within 15 s\n' + hubLog());
const probe = await httpGet(`${base}/api/v1/summary?token=${TOKEN}`);
if (probe.status === 404) bail('iochub does not serve /api/v1 (ioc_api_v1_attach missing from hub/main.c)');

// ---- the test proper ----
dossier('T-0001', 1); dossier('T-0002', 2); dossier('T-0003', 2);
const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'ioc-chromium-'));
let ctx;
try {
  ctx = await chromium.launchPersistentContext(udd, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1920, height: 1080 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
} catch (e) { bail('chromium did not start: ' + e.message); }
const page = ctx.pages()[0] || await ctx.newPage();
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));

const text = (sel) => page.locator(sel).first().textContent();
try {
  await page.goto(`${base}/?token=${TOKEN}&rotate=0&page=map`);
  const shown = await waitFor(async () => (await text('[data-v="received"]')) === '3', 10000);
  ok(shown >= 0, 'the page shows the 3 published dossiers', 'tile shows ' + (await text('[data-v="received"]')));
  ok((await text('[data-v="received_split"]')).includes('2'), 'received by channel is split (2 online)', await text('[data-v="received_split"]'));
  const fontOk = await page.evaluate(async () => { await document.fonts.ready; return document.fonts.check('700 20px "Be Vietnam Pro"', 'Đúng hạn ữ'); });
  ok(fontOk, 'the Vietnamese font is loaded from the hub');
  ok(await page.locator('#grid .cell').count() >= 100, 'the tile grid lists the communes', await page.locator('#grid .cell').count());
  await page.screenshot({ path: path.join(shots, 'wall-map.png') });

  dossier('T-0004', 3);
  const t = await waitFor(async () => (await text('[data-v="received"]')) === '4', 5000, 50);
  ok(t >= 0 && t <= 2000, `a new event changes the tile within 2 s (took ${t} ms)`);

  const fresh = await page.locator('[data-testid="tile-received"]').getAttribute('data-stale');
  ok(fresh === '0', 'the dossier tile is fresh while its source reports', 'data-stale=' + fresh);

  hub.kill('SIGKILL');
  const staleAfter = await waitFor(async () =>
    (await page.locator('[data-testid="tile-received"]').getAttribute('data-stale')) === '1'
    && (await page.locator('#conn').getAttribute('data-state')) === 'down', 12000);
  ok(staleAfter >= 0, `killing the hub shows stale badges (after ${staleAfter} ms)`);
  await page.screenshot({ path: path.join(shots, 'wall-stale.png') });

  ok(await startHub(), 'the hub restarts on the same state directory', hubLog());
  const back = await waitFor(async () =>
    (await page.locator('#conn').getAttribute('data-state')) === 'up'
    && (await page.locator('[data-testid="tile-received"]').getAttribute('data-stale')) === '0'
    && (await text('[data-v="received"]')) === '4', 20000);
  ok(back >= 0, `the page recovers by itself when the hub returns (after ${back} ms)`,
     `conn=${await page.locator('#conn').getAttribute('data-state')} received=${await text('[data-v="received"]')}`);
  await page.screenshot({ path: path.join(shots, 'wall-recovered.png') });

  ok((await text('#alerts')).length > 0 && await page.locator('#alerts li.empty').count() === 1,
     'the alert rail is shown (empty state)', await text('#alerts'));
  /* A dossier due in 2 s in the zero-tolerance commune: once its deadline
   * passes the hub fires, and the rail shows it without a reload. */
  const dueNow = Date.now();
  publish(ALERT_UNIT, 'portal', 'portal-alert', 'event', { v: 1, seq: 1, ts: dueNow, type: 'dossier', dossier: 'T-ALERT-1',
    procedure: '1.001234', state: 2, channel: 1, received_at: dueNow, due_at: dueNow + 2000 });
  const alerted = await waitFor(async () => (await page.locator('#alerts li.firing').count()) === 1
    && (await text('#alerts li.firing')).includes('Hồ sơ trễ hẹn tại đơn vị thử nghiệm')
    && (await text('#alerts li.firing')).includes('Phường Vinh Phú') /* ALERT_UNIT by its name */
    && (await text('#alerts li.firing')).includes('đang cảnh báo'), 20000);
  ok(alerted >= 0, `a new alert appears on the rail, firing, with its unit (${Date.now() - dueNow} ms after publishing a dossier due in 2 s)`,
     await text('#alerts') + '\n' + hubLog());
  await page.screenshot({ path: path.join(shots, 'wall-alert.png') });
  await page.click('#lang');
  ok((await text('[data-i18n="title"]')) === 'Public-service operations', 'the English switch works');
  await page.goto(`${base}/?token=${TOKEN}&rotate=0&page=trend&lang=en`);
  await page.waitForSelector('#chart canvas', { timeout: 5000 }).catch(() => {});
  ok(await page.locator('#chart canvas').count() > 0, 'the today-by-hour chart (uPlot, served by the hub) draws');
  const noHist = await waitFor(async () => (await page.locator('#chart30').getAttribute('class')).includes('no-data'), 5000);
  ok(noHist >= 0 && await page.locator('#chart30 .no-history').isVisible()
     && (await text('#chart30 .no-history')) === 'No history',
     'without InfluxDB the 30-day chart says "No history" instead of drawing zeros');
  ok((await text('#usual-note')).includes('no history'), 'and the usual-weekday curve says it has no history', await text('#usual-note'));
  await page.screenshot({ path: path.join(shots, 'wall-trend-no-history.png') });

  // ---- history from InfluxDB: 29 known past days, then the page ----
  if (!fs.existsSync(INFLUXD)) throw new Error(`${INFLUXD} is missing: run ops/setup.sh`);
  ok(await startInflux(), 'influxd answers /ping');
  ok(await influxPost('/query', 'q=CREATE DATABASE ioc') === 200, 'database ioc created');
  const DAY = 86400, nowS = Math.floor(Date.now() / 1000);
  const todayS = nowS - ((nowS + 7 * 3600) % DAY);
  const lines = [];
  const want = new Map(); // day start (ms) -> dossiers received that day
  for (let k = 1; k <= 29; k++) {
    const day = todayS - k * DAY;
    lines.push(`ioc_dossier,channel=1,hub=old,province=40,unit=all received=${100 + k}i ${day + 9 * 3600}`);
    lines.push(`ioc_dossier,channel=2,hub=old,province=40,unit=all received=${k}i ${day + 14 * 3600}`);
    want.set(day * 1000, 100 + 2 * k);
  }
  ok(await influxPost('/write?db=ioc&precision=s', lines.join('\n') + '\n') === 204, 'known history written to InfluxDB');
  hub.kill('SIGTERM');
  await waitFor(async () => hub.exitCode !== null || hub.signalCode !== null, 10000);
  fs.writeFileSync(path.join(dir, 'hub.conf'), hubConf(influxUrl));
  ok(await startHub(), 'the hub restarts with InfluxDB configured', hubLog());
  await page.goto(`${base}/?token=${TOKEN}&rotate=0&page=trend&lang=en`);
  const drawn = await waitFor(async () => Number(await page.locator('#chart30').getAttribute('data-points')) >= 29, 10000);
  ok(drawn >= 0, 'the 30-day chart has the points from InfluxDB', await page.locator('#chart30').getAttribute('data-points'));
  const d30 = await page.evaluate(() => ({ x: window.iocWall.history.d30x, y: window.iocWall.history.d30y }));
  const mismatches = [];
  for (const [ms, v] of want) {
    const i = d30.x.indexOf(ms / 1000);
    if (i < 0 || d30.y[i] !== v) mismatches.push(`${new Date(ms).toISOString()}: want ${v}, got ${i < 0 ? 'no point' : d30.y[i]}`);
  }
  ok(d30.x.length === 30 && mismatches.length === 0, 'every one of the 29 past days shows its InfluxDB total, at local midnight',
     `${d30.x.length} points; ` + mismatches.join('; '));
  ok(!(await page.locator('#chart30 .no-history').isVisible()) && await page.locator('#chart30 canvas').count() > 0,
     'the 30-day chart is drawn (no "No history" notice)');
  await page.screenshot({ path: path.join(shots, 'wall-trend.png') });

  // ---- two hubs splitting the province: the wall shows the province ----
  // This hub now owns xa-16681, a peer hub xa-16690; both publish their
  // rollups (SPEC §9) and the wall adds the peer's to its own.  This hub
  // keeps today's 5 dossiers (4 on xa-16681, 1 on the alert commune, taken
  // in before the split); the peer gets 2.
  const peerHttp = await freePort();
  const peerDir = path.join(dir, 'peer');
  fs.mkdirSync(peerDir, { recursive: true });
  const fed = () => '[federation]\nenabled = true\npublish_interval = 1s\n[windows]\nlateness = 1s\n';
  fs.writeFileSync(path.join(peerDir, 'hub.conf'), `[hub]
province = 40
id = browser-peer
units = ${src}/ops/units/nghe-an.csv
calendar = ${src}/ops/calendar/vn-2025.conf,${src}/ops/calendar/vn-2026.conf
state_dir = ${peerDir}/state
units_owned = xa-16690
[mqtt]
url = tcp://127.0.0.1:${mqttPort}
client_id = iochub-browser-peer
[http]
listen = 127.0.0.1:${peerHttp}
${fed()}`);
  const peerLog = fs.openSync(path.join(peerDir, 'hub.log'), 'a');
  procs.push(spawn(iochub, ['--config', path.join(peerDir, 'hub.conf')], { stdio: ['ignore', peerLog, peerLog] }));
  ok(await waitFor(async () => (await httpGet(`http://127.0.0.1:${peerHttp}/healthz`)).status === 200, 15000) >= 0,
     'a peer hub owning xa-16690 starts');
  hub.kill('SIGTERM');
  await waitFor(async () => hub.exitCode !== null || hub.signalCode !== null, 10000);
  federationConf = fed();
  fs.writeFileSync(path.join(dir, 'hub.conf'), hubConf(influxUrl).replace('[mqtt]', 'units_owned = xa-16681\n[mqtt]'));
  ok(await startHub(), 'this hub restarts owning xa-16681 only, with [federation]', hubLog());
  const now = Date.now();
  for (const code of ['P-0001', 'P-0002'])
    publish('xa-16690', 'portal', 'portal-peer', 'event', { v: 1, seq: ++seq, ts: now, type: 'dossier', dossier: code,
      procedure: '1.001234', state: 2, channel: 2, received_at: now, due_at: now + 3 * 86400000 });
  await page.goto(`${base}/?token=${TOKEN}&rotate=0&page=map`);
  const summed = await waitFor(async () => (await text('[data-v="received"]')) === '7', 100000, 250);
  ok(summed >= 0, `the received tile shows the province, 5 here + 2 on the peer (after ${summed} ms)`,
     'tile shows ' + (await text('[data-v="received"]')) + '; peers ' + JSON.stringify(await page.evaluate(() => window.iocWall.peers)));
  ok(await page.locator('#hubs').isVisible() && (await text('#hubs')).includes('2'), 'the header says the totals are of 2 hubs',
     await text('#hubs'));
  ok(await page.locator('[data-testid="tile-online"]').evaluate((el) => el.classList.contains('local-only')),
     'the online-rate tile, which rollups cannot add up, is marked as this hub\'s only');
  await page.screenshot({ path: path.join(shots, 'wall-two-hubs.png') });

  const noToken = await httpGet(`${base}/api/v1/summary`);
  ok(noToken.status === 401, 'the API refuses a request without a token', noToken.status);
  ok(consoleErrors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource|EventSource/.test(e)).length === 0,
     'no script errors on the page', consoleErrors.join('\n'));

  // ---- the screen's token revoked in the config: a reload (SIGHUP) ends its
  // stream, and the page says why instead of "connection lost" ----
  fs.writeFileSync(path.join(dir, 'hub.conf'), fs.readFileSync(path.join(dir, 'hub.conf'), 'utf8')
    .replace(`display_tokens = ${TOKEN}`, 'display_tokens = another-screen'));
  hub.kill('SIGHUP');
  const deniedAfter = await waitFor(async () => (await page.locator('#conn').getAttribute('data-state')) === 'denied'
    && ['Mã màn hình không còn hiệu lực', 'Screen token no longer valid'].includes(await text('#conn')), 20000);
  ok(deniedAfter >= 0, `a revoked screen token shows as such on the page (after ${deniedAfter} ms)`,
     `conn=${await page.locator('#conn').getAttribute('data-state')} ${await text('#conn')}\n${hubLog()}`);
  await page.screenshot({ path: path.join(shots, 'wall-token-revoked.png') });
} catch (e) {
  ok(false, 'browser run', e.stack);
} finally {
  await ctx.close().catch(() => {});
  cleanup();
  fs.rmSync(udd, { recursive: true, force: true });
}
console.log(`1..${n}`);
console.log(`# ${n - failed}/${n} passed in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${shots}`);
if (failed) { console.log('# hub log:\n# ' + hubLog().split('\n').join('\n# ')); process.exit(1); }
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
