// scorecard-test.mjs — the 766 scorecard page and the monthly report in real
// headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core
// from dashboards/node_modules), against a real mosquitto and a real iochub
// started here on free ports, fed dossiers and ratings for 14 communes.
//
//   node scorecard-test.mjs --iochub BUILD/hub/iochub --iocctl BUILD/hub/iocctl --source-root SRC --out DIR
//
// Checks that every number the page and the report show is the API's
// (GET /api/v1/scorecard), rounded to 2 decimals the page's language's way;
// that nothing on the page overflows its box at 1920×1080 and 1366×768, in
// Vietnamese and English; that a late event reaches the page; that the
// report prints (PDF, A4 landscape, the appendix on its own pages).
// Screenshots go to DIR/screenshots/.  Prints TAP; exits non-zero on any
// failure (a missing chromium or playwright-core is a failure, not a skip).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf('--' + name); return i >= 0 ? argv[i + 1] : def; };
const iochub = opt('iochub');
const iocctl = opt('iocctl');
const src = opt('source-root');
const out = opt('out', process.cwd());
const CHROMIUM = process.env.IOC_CHROMIUM || '/usr/bin/chromium';
const TOKEN = 'score-test-token';

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

// ---- preconditions ----
if (!iochub || !iocctl || !src) bail('usage: --iochub PATH --iocctl PATH --source-root PATH [--out DIR]');
if (!fs.existsSync(CHROMIUM)) bail(`${CHROMIUM} is missing: run ops/setup-web.sh (apt-get install chromium)`);
const require = createRequire(path.join(src, 'dashboards', 'package.json'));
let chromium;
try { ({ chromium } = require('playwright-core')); }
catch { bail('playwright-core is not installed in dashboards/node_modules: run ops/setup-web.sh'); }
if (!fs.existsSync(path.join(src, 'dashboards', 'www', 'vendor', 'uPlot.iife.min.js')))
  bail('dashboards/www/vendor is empty: run ops/setup-web.sh');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioc-scorecard-'));
const shots = path.join(out, 'screenshots');
fs.mkdirSync(shots, { recursive: true });
const mqttPort = await freePort();
const httpPort = await freePort();
const base = `http://127.0.0.1:${httpPort}`;

fs.writeFileSync(path.join(dir, 'mosquitto.conf'),
  `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest file ${dir}/mosquitto.log\n`);
procs.push(spawn('mosquitto', ['-c', path.join(dir, 'mosquitto.conf')], { stdio: 'ignore' }));

/* The shipped weights, ranked from 3 dossiers up (the scenario is small). */
const shipped = fs.readFileSync(path.join(src, 'ops', 'score-766.conf'), 'utf8');
if (!shipped.includes('min_volume = 30')) bail('ops/score-766.conf has no "min_volume = 30" line to adapt');
fs.writeFileSync(path.join(dir, 'score-766.conf'), shipped.replace('min_volume = 30', 'min_volume = 3'));
fs.writeFileSync(path.join(dir, 'hub.conf'), `[hub]
province = 40
id = scorecard-test
units = ${src}/ops/units/nghe-an.csv
calendar = ${src}/ops/calendar/vn-2025.conf,${src}/ops/calendar/vn-2026.conf
state_dir = ${dir}/state
scorecard = ${dir}/score-766.conf
[mqtt]
url = tcp://127.0.0.1:${mqttPort}
client_id = iochub-scorecard-test
[http]
listen = 127.0.0.1:${httpPort}
dashboard_dir = ${src}/dashboards/www
display_tokens = ${TOKEN}
[journal]
snapshot_interval = 2s
`);
function hubLog() { try { return fs.readFileSync(path.join(dir, 'hub.log'), 'utf8').slice(-3000); } catch { return ''; } }
const log = fs.openSync(path.join(dir, 'hub.log'), 'a');
procs.push(spawn(iochub, ['--config', path.join(dir, 'hub.conf')], { stdio: ['ignore', log, log] }));
if (await waitFor(async () => (await httpGet(base + '/healthz')).status === 200, 15000) < 0)
  bail('iochub did not answer /healthz within 15 s\n' + hubLog());

// ---- the scenario: 14 communes, each with its own on-time share ----
const MIN = 60000;
const now = Date.now();
/* The last 40 minutes, in this local month (at a month's very start, wait). */
const vnNow = new Date(now + 7 * 3600000);
const monthStart = Date.UTC(vnNow.getUTCFullYear(), vnNow.getUTCMonth(), 1) - 7 * 3600000;
if (now - 40 * MIN < monthStart) await sleep(monthStart + 40 * MIN - now + 1000);
const B = Date.now() - 40 * MIN;
const AT = `${vnNow.getUTCFullYear()}-${String(vnNow.getUTCMonth() + 1).padStart(2, '0')}`;
const COMMUNES = ['xa-16681', 'xa-16690', 'xa-16702', 'xa-16708', 'xa-16732', 'xa-16738', 'xa-16744', 'xa-16750',
  'xa-16756', 'xa-16774', 'xa-16777', 'xa-16792', 'xa-16801', 'xa-16804'];
let seq = 0;
const byTopic = new Map();
function queue(unit, kind, device, payload) {
  const topic = `ioc/v1/40/${unit}/${kind}/${device}/event`;
  if (!byTopic.has(topic)) byTopic.set(topic, []);
  byTopic.get(topic).push(JSON.stringify(payload));
}
function flush() {
  for (const [topic, lines] of byTopic) {
    const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-q', '1', '-t', topic, '-l'],
      { input: lines.join('\n') + '\n', timeout: 10000 });
    if (r.status !== 0) throw new Error('mosquitto_pub failed: ' + (r.stderr || '').toString());
  }
  byTopic.clear();
}
function dossier(unit, id, state, ts, channel, received, due, extra = {}) {
  queue(unit, 'portal', 'portal-test', { v: 1, seq: ++seq, ts, type: 'dossier', dossier: id, procedure: '1.001234',
    state, channel, received_at: received, due_at: due, ...extra });
}
COMMUNES.forEach((unit, i) => {
  const total = 4 + (i % 5);            /* 4..8 dossiers */
  const late = i % 4;                   /* 0..3 of them late */
  for (let k = 0; k < total; k++) {
    const id = `${unit}-D${k}`;
    const recv = B + k * 20000;
    const flags = { digitized: k % 3 !== 2, ...(k % 2 === 0 ? { fee: true, paid_online: k % 4 === 0 } : {}) };
    dossier(unit, id, 2, recv, 1 + (k % 2), recv, B + 20 * MIN, flags);
    dossier(unit, id, 10, k < late ? B + 25 * MIN : B + 5 * MIN, 1 + (k % 2), recv, B + 20 * MIN, flags);
  }
  if (i % 3 === 0)
    for (const level of [5, 4, 2])
      queue(unit, 'kiosk', 'kiosk-test', { v: 1, seq: ++seq, ts: B + 30 * MIN, type: 'rating', level, scale: 5, channel: 'device' });
});
flush();

const api = async (q) => { const r = await httpGet(`${base}/api/v1/scorecard?token=${TOKEN}&${q}`); return r.status === 200 ? JSON.parse(r.body) : null; };
const expectUnits = COMMUNES.length;
const ready = await waitFor(async () => {
  const d = await api(`period=month&at=${AT}&unit=none`);
  return d && (d.ranking.xa || []).filter((r) => r.rank != null).length === expectUnits;
}, 20000, 250);
if (ready < 0) bail('the hub did not rank the 14 communes within 20 s\n' + hubLog());

const fmt = (locale) => (v) => v == null ? '–' : Number(v).toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const vi = fmt('vi-VN');

const t0 = Date.now();
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
const text = async (sel) => ((await page.locator(sel).first().textContent()) || '').trim();

/* In the page: every element that clips or holds text shows all of it, and
 * the page itself does not scroll. */
function overflows() {
  const bad = [];
  const shown = (el) => { const s = getComputedStyle(el); return s.display !== 'none' && s.visibility !== 'hidden' && el.getClientRects().length > 0; };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '');
  let texts = 0;
  for (const el of [document.documentElement, ...document.body.querySelectorAll('*')]) {
    if (el.closest('svg') || el.tagName === 'CANVAS' || el.tagName === 'SCRIPT' || el.closest('.uplot') || !shown(el)) continue;
    const s = getComputedStyle(el);
    const own = [...el.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (own) texts++;
    const clips = s.overflowX !== 'visible' || s.overflowY !== 'visible';
    if ((clips || (own && s.display !== 'inline')) && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
      bad.push(`${name(el)} ${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight}: «${el.textContent.trim().slice(0, 60)}»`);
    if (own && parseFloat(s.fontSize) < 9.5) bad.push(`${name(el)} text ${s.fontSize}: «${el.textContent.trim().slice(0, 40)}»`);
  }
  if (document.documentElement.scrollHeight > innerHeight + 1) bad.push('the page scrolls vertically');
  return { bad, texts };
}

/* The page's numbers against the API's, in the page's language. */
async function checkPage(what, locale, unit) {
  const f = fmt(locale);
  const d = await api(`period=ytd&at=${AT}&unit=none`);
  const u = (await api(`period=ytd&at=${AT}&unit=${unit}`)).units[0];
  const probs = [];
  const eq = (got, want, label) => { if (got !== want) probs.push(`${label}: page «${got}», API «${want}»`); };
  eq(await text('#score'), f(d.province.score), 'province score');
  for (const g of d.groups) {
    const card = d.province.groups.find((x) => x.id === g.id);
    const row = `.grp[data-group="${g.id}"]`;
    eq(await text(`${row} [data-k="points"]`), card.max > 0 ? f(card.points) : '–', `group ${g.id} points`);
    eq(await text(`${row} [data-k="max"]`), f(card.max), `group ${g.id} scored max`);
    eq(await text(`${row} [data-k="full_max"]`), f(g.max), `group ${g.id} max`);
  }
  const ranked = d.ranking.xa.filter((r) => r.rank != null);
  const top = await page.locator('#top li').evaluateAll((els) => els.map((e) => [e.dataset.unit, e.querySelector('[data-k="score"]').textContent]));
  const bottom = await page.locator('#bottom li').evaluateAll((els) => els.map((e) => [e.dataset.unit, e.querySelector('[data-k="score"]').textContent]));
  eq(JSON.stringify(top), JSON.stringify(ranked.slice(0, 5).map((r) => [r.unit, f(r.score)])), 'top 5');
  eq(JSON.stringify(bottom), JSON.stringify(ranked.slice(-5).map((r) => [r.unit, f(r.score)])), 'bottom 5');
  eq(await text('#unit-score'), f(u.score), `${unit} score`);
  for (const it of u.indicators) {
    const row = `#tables tr[data-ind="${it.id}"]`;
    const def = d.indicators.find((x) => x.id === it.id);
    if (it.status === 'scored') {
      eq(await text(`${row} [data-k="nd"]`), `${it.numerator.toLocaleString(locale)} / ${it.denominator.toLocaleString(locale)}`, `${it.id} num/den`);
      eq(await text(`${row} [data-k="rate"]`), f(it.rate), `${it.id} R`);
      eq(await text(`${row} [data-k="points"]`), `${f(it.points)} / ${f(def.max)}`, `${it.id} points`);
    } else if (it.status === 'na') {
      eq(await text(`${row} [data-k="rate"]`), 'N/A', `${it.id} N/A`);
    } else {
      eq(await text(`${row} [data-k="points"]`), `– / ${f(def.max)}`, `${it.id} not observed`);
    }
    eq(await text(`${row} [data-k="target"]`), def.target == null ? '' : f(def.target), `${it.id} T`);
  }
  ok(probs.length === 0, `${what}: the province, its groups, the top and bottom 5 and ${unit}'s ${u.indicators.length} indicators are the API's`, probs.join('\n'));
}

async function checkLayout(what) {
  await page.evaluate(() => document.fonts.ready);
  await sleep(300);
  const r = await page.evaluate(overflows);
  ok(r.bad.length === 0 && r.texts > 40, `${what}: no text overflows its box (${r.texts} text elements)`, r.bad.slice(0, 12).join('\n'));
}

const PIN = 'xa-16690'; /* digitisation below target, no e-result: N/A rows */
try {
  await page.goto(`${base}/scorecard.html?token=${TOKEN}&lang=vi&unit=${PIN}`);
  const loaded = await waitFor(async () => (await page.evaluate(() => document.body.dataset.loaded)) != null
    && (await page.locator('#tables tr[data-ind]').count()) > 0, 15000);
  ok(loaded >= 0, 'the scorecard page loads its numbers from the hub', hubLog());
  const fontOk = await page.evaluate(async () => { await document.fonts.ready; return document.fonts.check('700 20px "Be Vietnam Pro"', 'Điểm ữ'); });
  ok(fontOk, 'the Vietnamese font is loaded from the hub');
  await checkPage('1920×1080, Vietnamese', 'vi-VN', PIN);
  ok(Number(await page.locator('#trend').getAttribute('data-points')) >= 1 && await page.locator('#trend canvas').count() > 0,
     'the province\'s year is drawn (uPlot, served by the hub)');
  ok((await text('#moves [data-k="new"]')) === '14' && (await text('#moves [data-k="up"]')) === '▲ 0',
     'the rank movement counts the 14 ranked communes, all new this month', await text('#moves'));
  await checkLayout('1920×1080, Vietnamese');
  await page.screenshot({ path: path.join(shots, 'scorecard-1920-vi.png') });

  await page.click('#lang');
  await sleep(200);
  ok((await text('[data-i18n="groups"]')) === 'Points by group', 'the English switch works');
  await checkPage('1920×1080, English', 'en-GB', PIN);
  await checkLayout('1920×1080, English');
  await page.screenshot({ path: path.join(shots, 'scorecard-1920-en.png') });

  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(`${base}/scorecard.html?token=${TOKEN}&lang=vi&unit=${PIN}`);
  await waitFor(async () => (await page.locator('#tables tr[data-ind]').count()) > 0, 15000);
  await checkPage('1366×768, Vietnamese', 'vi-VN', PIN);
  await checkLayout('1366×768, Vietnamese');
  await page.screenshot({ path: path.join(shots, 'scorecard-1366-vi.png') });
  await page.goto(`${base}/scorecard.html?token=${TOKEN}&lang=en&unit=${PIN}`);
  await waitFor(async () => (await page.locator('#tables tr[data-ind]').count()) > 0, 15000);
  await checkLayout('1366×768, English');
  await page.screenshot({ path: path.join(shots, 'scorecard-1366-en.png') });

  /* Unpinned, the page shows the best commune first, then takes turns. */
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`${base}/scorecard.html?token=${TOKEN}&lang=vi&cycle=5`);
  await waitFor(async () => (await page.locator('#tables tr[data-ind]').count()) > 0, 15000);
  const first = (await api(`period=ytd&at=${AT}&unit=none`)).ranking.xa[0].unit;
  ok(await page.evaluate(() => window.iocScorecard.shown) === first, 'unpinned, the page first shows the best commune', first);
  const turned = await waitFor(async () => (await page.evaluate(() => window.iocScorecard.shown)) !== first, 12000, 250);
  ok(turned >= 0, 'and moves on to the next commune by itself');

  /* A late event: a late dossier of the best commune's turns out on time. */
  const late = COMMUNES[3]; /* 3 of 7 late */
  const beforeScore = (await api(`period=ytd&at=${AT}&unit=${late}`)).units[0].score;
  dossier(late, `${late}-D0`, 10, B + 4 * MIN, 1, B, B + 20 * MIN, { digitized: true, fee: true, paid_online: true });
  flush();
  await page.goto(`${base}/scorecard.html?token=${TOKEN}&lang=vi&unit=${late}`);
  const moved = await waitFor(async () => {
    const s = (await api(`period=ytd&at=${AT}&unit=${late}`)).units[0].score;
    return s !== beforeScore && (await text('#unit-score')) === vi(s);
  }, 40000, 500);
  ok(moved >= 0, `a late event moves ${late}'s score on the page (${vi(beforeScore)} → ${await text('#unit-score')})`);

  // ---- the monthly report ----
  const rdir = path.join(dir, 'report');
  // Run where the machine's zone is far from Vietnam's (a server kept on
  // UTC, or here): the report still says when it was made in Vietnam's time.
  const vnStamp = (d) => {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', hourCycle: 'h23', hour: '2-digit', minute: '2-digit',
      day: '2-digit', month: '2-digit', year: 'numeric' }).formatToParts(d);
    const g = (t) => parts.find((x) => x.type === t).value;
    return `${g('hour')}:${g('minute')} ngày ${g('day')}/${g('month')}/${g('year')}`;
  };
  const madeFrom = vnStamp(new Date());
  const r = spawnSync(iocctl, ['report', '--month', AT, '--out', rdir, '--url', base, '--token', TOKEN],
    { encoding: 'utf8', timeout: 30000, env: { ...process.env, TZ: 'America/Los_Angeles' } });
  const madeTo = vnStamp(new Date());
  ok(r.status === 0, 'iocctl report writes the report', r.stdout + r.stderr);
  const htmlPath = path.join(rdir, `scorecard-${AT}.html`);
  const csvPath = path.join(rdir, `scorecard-${AT}.csv`);
  ok(fs.existsSync(htmlPath) && fs.existsSync(csvPath), 'both the HTML and the CSV are there');
  const M = await api(`period=month&at=${AT}`);
  const Y = await api(`period=ytd&at=${AT}`);
  const rp = await ctx.newPage();
  await rp.setViewportSize({ width: 1400, height: 1000 });
  await rp.goto('file://' + htmlPath);
  const cell = async (sel) => ((await rp.locator(sel).first().textContent()) || '').trim();
  const probs = [];
  const eq = (got, want, label) => { if (got !== want) probs.push(`${label}: report «${got}», API «${want}»`); };
  const dash = (v) => v == null ? '—' : vi(v);
  const int = (v) => v == null ? '—' : Number(v).toLocaleString('vi-VN');
  eq(await cell('[data-k="m-score"]'), dash(M.province.score), 'province month score');
  eq(await cell('[data-k="y-score"]'), dash(Y.province.score), 'province ytd score');
  eq(await cell('[data-k="m-volume"]'), int(M.province.volume), 'province volume');
  for (const g of M.groups) {
    const gm = M.province.groups.find((x) => x.id === g.id);
    eq(await cell(`tr[data-group="${g.id}"] [data-k="m-points"]`), dash(gm.points), `group ${g.id} month points`);
  }
  let cells = 0;
  for (const card of [M.province, ...M.units.filter((u) => u.volume > 0)]) {
    const yc = card.unit === 'all' ? Y.province : null;
    for (const it of card.indicators) {
      const row = `tr[data-unit="${card.unit}"][data-ind="${it.id}"]`;
      eq(await cell(`${row} [data-k="num"]`), int(it.numerator), `${card.unit} ${it.id} numerator`);
      eq(await cell(`${row} [data-k="den"]`), int(it.denominator), `${card.unit} ${it.id} denominator`);
      eq(await cell(`${row} [data-k="rate"]`), dash(it.rate), `${card.unit} ${it.id} R`);
      eq(await cell(`${row} [data-k="points"]`), dash(it.points), `${card.unit} ${it.id} points`);
      cells += 4;
      if (yc) {
        const y = yc.indicators.find((x) => x.id === it.id);
        eq(await cell(`${row} [data-k="y-points"]`), dash(y.points), `all ${it.id} ytd points`);
      }
    }
  }
  for (const row of M.ranking.xa.filter((x) => x.rank != null)) {
    eq(await cell(`tr[data-rank-unit="${row.unit}"] [data-k="rank"]`), String(row.rank), `${row.unit} rank`);
    eq(await cell(`tr[data-rank-unit="${row.unit}"] [data-k="score"]`), dash(row.score), `${row.unit} ranked score`);
    eq(await cell(`tr[data-unit-row="${row.unit}"] [data-k="score"]`), dash(M.units.find((u) => u.unit === row.unit).score), `${row.unit} group table score`);
  }
  ok(probs.length === 0 && cells > 300, `the report's figures are the API's (${cells} indicator cells, the province, groups and ranking)`, probs.slice(0, 15).join('\n'));
  ok((await cell('h1')).toLowerCase().includes('bộ chỉ số phục vụ người dân'), 'the report is in Vietnamese', await cell('h1'));
  const made = (fs.readFileSync(htmlPath, 'utf8').match(/lập lúc (\d\d:\d\d ngày \d\d\/\d\d\/\d{4})/) || [])[1];
  ok(made === madeFrom || made === madeTo, `the report was made at ${made}: Vietnam's time (${madeFrom}), with TZ=America/Los_Angeles`);
  await rp.screenshot({ path: path.join(shots, 'report-screen.png') });

  const csv = fs.readFileSync(csvPath, 'utf8');
  const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
  const want = 2 * (1 + M.units.length) * M.indicators.length;
  const prov21 = rows.find((x) => x.period === 'month' && x.unit === 'all' && x.indicator === '2.1');
  const m21 = M.province.indicators.find((x) => x.id === '2.1');
  ok(csv.startsWith('\uFEFF') && rows.length === want && rows[0].unit === 'all'
     && prov21 && Number(prov21.numerator) === m21.numerator && Math.abs(Number(prov21.points) - m21.points) < 1e-6
     && Math.abs(Number(prov21.unit_score) - M.province.score) < 1e-6,
     `the CSV has one row per period × unit × indicator (${rows.length}), the province first, with the API's numbers`,
     `want ${want} rows; first ${JSON.stringify(rows[0])}; 2.1 ${JSON.stringify(prov21)}`);

  const pdf = await rp.pdf({ preferCSSPageSize: true, printBackground: true });
  fs.writeFileSync(path.join(shots, 'report.pdf'), pdf);
  const pdfText = pdf.toString('latin1');
  const pages = (pdfText.match(/\/Type\s*\/Page[^s]/g) || []).length;
  const box = pdfText.match(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/);
  ok(pdfText.startsWith('%PDF') && pages >= 2 && box && Number(box[1]) > Number(box[2]),
     `the report prints: ${pages} A4 landscape pages (the appendix on its own)`, `pages ${pages}, MediaBox ${box && box[0]}`);
  await rp.close();

  const noToken = await httpGet(`${base}/api/v1/scorecard`);
  ok(noToken.status === 401, 'the scorecard API refuses a request without a token', noToken.status);
  ok(consoleErrors.length === 0, 'no script errors on the page', consoleErrors.join('\n'));
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
