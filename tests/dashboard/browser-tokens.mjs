// browser-tokens.mjs — which screens may read, for every combination of
// [http] tokens, in real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core from dashboards/node_modules) against a real
// mosquitto and a real iochub started here on free ports.
//
//   node browser-tokens.mjs --iochub BUILD/hub/iochub --source-root SRC --out DIR
//
// One alert is firing on every hub (a desk whose retained state is
// offline).  For no tokens, only operator tokens, only display tokens and
// both, the wall is opened without a token, with a display token, with an
// operator token and with a wrong one; it must either show the alert or
// say on its rail that it cannot read alerts (the HTTP status and the
// token it needs) and, in its connection badge, what to do — never "no
// alerts" while it cannot read them.  The API's own answers are checked
// alongside.  Prints TAP; exits non-zero on any failure (a missing chromium
// or playwright-core is a failure, not a skip).
import { spawn } from 'node:child_process';
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
const DISPLAY = 'wall-screen-1', OPERATOR = 'ops-desk-1';
const SUMMARY = 'Bàn một cửa mất kết nối';

let n = 0, failed = 0;
const procs = [];
function ok(cond, name, detail) {
  n++;
  if (cond) console.log(`ok ${n} - ${name}`);
  else { failed++; console.log(`not ok ${n} - ${name}`); if (detail) console.log('# ' + String(detail).split('\n').join('\n# ')); }
  return cond;
}
function cleanup() { for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); }
function bail(msg) {
  console.log(`1..${n + 1}`);
  console.log(`not ok ${n + 1} - ${msg}`);
  cleanup();
  process.exit(1);
}
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

if (!iochub || !src) bail('usage: --iochub PATH --source-root PATH [--out DIR]');
if (!fs.existsSync(CHROMIUM)) bail(`${CHROMIUM} is missing: run ops/setup-web.sh (apt-get install chromium)`);
const require = createRequire(path.join(src, 'dashboards', 'package.json'));
let chromium;
try { ({ chromium } = require('playwright-core')); }
catch { bail('playwright-core is not installed in dashboards/node_modules: run ops/setup-web.sh'); }

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioc-browser-tokens-'));
const shots = path.join(out, 'screenshots');
fs.mkdirSync(shots, { recursive: true });
const mqttPort = await freePort();
fs.writeFileSync(path.join(dir, 'mosquitto.conf'),
  `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest file ${dir}/mosquitto.log\n`);
procs.push(spawn('mosquitto', ['-c', path.join(dir, 'mosquitto.conf')], { stdio: 'ignore' }));
fs.writeFileSync(path.join(dir, 'alerts.conf'),
  `[rule desk-down]\nkind = dead_source\ncadence = 1h\nfor = 0s\nsummary = ${SUMMARY}\n`);
/* desk-1's link is down: its retained state says so to every hub started below. */
const pub = await waitFor(async () => {
  const p = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-q', '1', '-r',
    '-t', 'ioc/v1/40/xa-16681/desk/desk-1/state', '-m', 'offline'], { stdio: 'ignore' });
  return await new Promise((resolve) => p.on('exit', (code) => resolve(code === 0)));
}, 10000, 200);
if (pub < 0) bail('mosquitto did not take the retained state within 10 s');

let hub = null, hubDir = null, base = null;
function hubLog() { try { return fs.readFileSync(path.join(hubDir, 'hub.log'), 'utf8').slice(-3000); } catch { return ''; } }
async function startHub(name, tokens) {
  hubDir = path.join(dir, name);
  fs.mkdirSync(hubDir, { recursive: true });
  const httpPort = await freePort();
  base = `http://127.0.0.1:${httpPort}`;
  fs.writeFileSync(path.join(hubDir, 'hub.conf'), `[hub]
province = 40
id = browser-tokens
alerts = ${dir}/alerts.conf
units = ${src}/ops/units/nghe-an.csv
calendar = ${src}/ops/calendar/vn-2025.conf,${src}/ops/calendar/vn-2026.conf
state_dir = ${hubDir}/state
[mqtt]
url = tcp://127.0.0.1:${mqttPort}
client_id = iochub-browser-tokens-${name}
[http]
listen = 127.0.0.1:${httpPort}
dashboard_dir = ${src}/dashboards/www
${tokens}
`);
  const log = fs.openSync(path.join(hubDir, 'hub.log'), 'a');
  hub = spawn(iochub, ['--config', path.join(hubDir, 'hub.conf')], { stdio: ['ignore', log, log] });
  procs.push(hub);
  return await waitFor(async () => (await httpGet(base + '/healthz')).status === 200, 15000) >= 0;
}
async function stopHub() {
  hub.kill('SIGTERM');
  await waitFor(async () => hub.exitCode !== null || hub.signalCode !== null, 10000);
}

/* Each combination: the [http] lines, then the screens opened on it. */
const READS = 'reads', NO_TOKEN = 401, REFUSED = 403;
const combos = [
  { name: 'no-tokens', conf: '', screens: [['', READS], ['anything', READS]] },
  { name: 'only-operator', conf: `operator_tokens = ${OPERATOR}`, screens: [['', READS], [OPERATOR, READS]] },
  { name: 'only-display', conf: `display_tokens = ${DISPLAY}`,
    screens: [['', NO_TOKEN], [DISPLAY, READS], ['wrong-token', REFUSED]] },
  { name: 'both', conf: `display_tokens = ${DISPLAY}\noperator_tokens = ${OPERATOR}`,
    screens: [['', NO_TOKEN], [DISPLAY, READS], [OPERATOR, READS], ['wrong-token', REFUSED]] },
];

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
const text = async (sel) => (await page.locator(sel).first().textContent()) || '';
const t0 = Date.now();
try {
  for (const combo of combos) {
    if (!ok(await startHub(combo.name, combo.conf), `${combo.name}: iochub starts`, hubLog())) continue;
    for (const [token, want] of combo.screens) {
      const who = token ? `token ${token}` : 'no token';
      const q = token ? `?token=${encodeURIComponent(token)}&` : '?';
      let api = await httpGet(`${base}/api/v1/alerts${q}`);
      if (want === READS) {
        /* The hub fires once the retained state has come in: wait for it. */
        await waitFor(async () => (api = await httpGet(`${base}/api/v1/alerts${q}`)).body.includes('desk-down'), 10000);
        ok(api.status === 200 && api.body.includes('desk-down'), `${combo.name}, ${who}: GET /api/v1/alerts lists the alert`,
           `${api.status} ${api.body.slice(0, 300)}`);
        await page.goto(`${base}/${q}rotate=0&page=map&lang=en`);
        const shown = await waitFor(async () => (await page.locator('#alerts li.firing').count()) === 1
          && (await text('#alerts li.firing')).includes(SUMMARY)
          && (await page.locator('#conn').getAttribute('data-state')) === 'up', 15000);
        ok(shown >= 0, `${combo.name}, ${who}: the wall shows the firing alert and is live`,
           `rail: ${await text('#alerts')}; conn: ${await text('#conn')}\n${hubLog()}`);
      } else {
        let need = '';
        try { need = JSON.parse(api.body).need; } catch { /* checked below */ }
        ok(api.status === want && need === 'display',
           `${combo.name}, ${who}: GET /api/v1/alerts answers ${want} and names the display token`,
           `${api.status} ${api.body}`);
        await page.goto(`${base}/${q}rotate=0&page=map&lang=en`);
        const rail = `Cannot read alerts: ${want} — needs a display token`;
        const badge = token ? 'Screen token no longer valid'
          : 'This screen has no token: open it with ?token=<a display token from [http] display_tokens>';
        const said = await waitFor(async () => (await text('#alerts')) === rail
          && (await page.locator('#conn').getAttribute('data-state')) === 'denied'
          && (await text('#conn')) === badge, 15000);
        ok(said >= 0, `${combo.name}, ${who}: the wall says it cannot read alerts (${want}) and which token it needs`,
           `rail: ${await text('#alerts')}; conn: ${await text('#conn')}`);
        ok(!(await text('#alerts')).includes('No alerts'), `${combo.name}, ${who}: and never "No alerts"`);
      }
      await page.screenshot({ path: path.join(shots, `tokens-${combo.name}-${token || 'none'}.png`) });
    }
    /* Writes always need an operator token, whatever else is configured. */
    const ack = await fetch(`${base}/api/v1/silences`, { method: 'POST', body: '{"rule":"desk-down","duration":"1h","by":"t"}',
      headers: { 'Content-Type': 'application/json' } }).then((r) => r.status).catch(() => 0);
    ok(ack === 401, `${combo.name}: a write without a token is refused (401)`, ack);
    await stopHub();
  }
} catch (e) {
  ok(false, 'browser run', e.stack);
} finally {
  await ctx.close().catch(() => {});
  cleanup();
  fs.rmSync(udd, { recursive: true, force: true });
}
console.log(`1..${n}`);
console.log(`# ${n - failed}/${n} passed in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${shots}`);
if (failed) process.exit(1);
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
