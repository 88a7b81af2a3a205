// display-bench.mjs — the wall display's speed (issue 5, docs/BENCHMARKS.md §5).
//
// Starts its own mosquitto, iochub and ioc-load on free 127.0.0.1 ports (and
// headless Debian chromium through playwright-core from dashboards/), then
// one of:
//
//   latency  publish → pixels.  ioc-load plays the province's nominal load
//            (--rate 100 msg/s, 5,000 devices) on every unit but one; marker
//            dossiers are published on that one (xa-16681) through a long-
//            lived `mosquitto_pub -l`, 1–2 s apart at random (so they do not
//            lock to the hub's 1 s tick or the feed's spacing).  The page pins the grid to
//            indicator=received; a MutationObserver on the grid stamps
//            Date.now() when that commune's text changed, in a task queued
//            from the next animation frame (i.e. after that frame's paint).
//            Latency = that stamp − the time the marker line was handed to
//            mosquitto_pub; split at the hub's now_ms of the feed event that
//            carried it (publish → feed event, event → pixels).
//            --samples N (default 200).
//   screens  the hub's CPU (utime+stime from /proc/PID/stat) at the same
//            load with 0, 1 and --screens N (50) raw SSE clients on
//            /api/v1/feed, plus --pages P (2) real chromium pages in the N
//            phase; windows of --window S seconds, interleaved (0,1,N then
//            N,1,0), --rounds R.
//   heap     JS heap of one page under accelerated traffic: --rate 1000
//            msg/s (10× nominal), page rotation every 2 s (15× the default
//            30 s), chart data refreshed every 5 s (12× / 60× the page's
//            timers); heap used after a forced GC (CDP HeapProfiler.
//            collectGarbage + Runtime.getHeapUsage) every minute; compares
//            the end with the sample at --baseline minutes.  Default: 60 min,
//            baseline at 5.  --short: 6 min, baseline at 1.  --warmup M: the
//            load runs M minutes before the page opens, so the page starts
//            with a day's content (communes past the ranking's minimum)
//            rather than growing into it during the measurement.
//
//   heapdiff where a page's heap grows: the heap bench's load and page, V8
//            heap snapshots (after a forced GC) at --from and --to minutes
//            (default 3 and 15), compared by (node type, constructor): the
//            --top N (25) groups whose self size grew most.
//
//   node bench/display-bench.mjs latency|screens|heap|heapdiff [--build build] [options]
//
// Prints one line per sample and a summary; kills everything it started by PID.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const mode = argv[0];
const opt = (name, def) => { const i = argv.indexOf('--' + name); return i >= 0 ? argv[i + 1] : def; };
const flag = (name) => argv.includes('--' + name);
const build = path.resolve(opt('build', path.join(src, 'build')));
const CHROMIUM = process.env.IOC_CHROMIUM || '/usr/bin/chromium';
const TOKEN = 'bench-token';
const MARKER_UNIT = 'xa-16681';

const procs = [];
function cleanup() {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
}
process.on('exit', cleanup);
process.on('SIGINT', () => { cleanup(); process.exit(130); });
process.on('SIGTERM', () => { cleanup(); process.exit(143); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (s) => console.log(s);
function die(msg) { console.error('display-bench: ' + msg); cleanup(); process.exit(1); }

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}
async function waitFor(fn, timeoutMs, stepMs = 100) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try { if (await fn()) return true; } catch { /* not yet */ }
    await sleep(stepMs);
  }
  return false;
}
async function status(url) { try { return (await fetch(url)).status; } catch { return 0; } }
function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (CLK_TCK 100)
}
function percentile(sorted, p) { return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)]; }

// ---- the stack: mosquitto, iochub, ioc-load ----
async function startStack({ rate, excludeUnit }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioc-display-bench-'));
  const mqttPort = await freePort(), httpPort = await freePort();
  fs.writeFileSync(path.join(dir, 'mosquitto.conf'),
    `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nmax_queued_messages 100000\n`);
  procs.push(spawn('mosquitto', ['-c', path.join(dir, 'mosquitto.conf')], { stdio: 'ignore' }));
  fs.writeFileSync(path.join(dir, 'hub.conf'), `[hub]
province = 40
id = display-bench
units = ${src}/ops/units/nghe-an.csv
calendar = ${src}/ops/calendar/vn-2025.conf,${src}/ops/calendar/vn-2026.conf
state_dir = ${dir}/state
[mqtt]
url = tcp://127.0.0.1:${mqttPort}
client_id = iochub-display-bench
[influx]
url =
[http]
listen = 127.0.0.1:${httpPort}
dashboard_dir = ${src}/dashboards/www
display_tokens = ${TOKEN}
`);
  const hubLog = fs.openSync(path.join(dir, 'hub.log'), 'a');
  const hub = spawn(path.join(build, 'hub', 'iochub'), ['--config', path.join(dir, 'hub.conf')], { stdio: ['ignore', hubLog, hubLog] });
  procs.push(hub);
  const base = `http://127.0.0.1:${httpPort}`;
  if (!await waitFor(async () => (await status(base + '/healthz')) === 200, 20000))
    die('iochub did not answer /healthz:\n' + fs.readFileSync(path.join(dir, 'hub.log'), 'utf8').slice(-2000));
  let units = path.join(src, 'ops', 'units', 'nghe-an.csv');
  if (excludeUnit) {
    const lines = fs.readFileSync(units, 'utf8').split('\n').filter((l) => !l.startsWith(excludeUnit + ','));
    units = path.join(dir, 'units-load.csv');
    fs.writeFileSync(units, lines.join('\n'));
  }
  let load = null;
  if (rate > 0) {
    load = spawn(path.join(build, 'bench', 'ioc-load'), ['--url', `tcp://127.0.0.1:${mqttPort}`, '--units', units,
      '--rate', String(rate), '--count', '0', '--devices', '5000', '--seed', '1', '--client-id', 'display-bench-load'],
    { stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'ioc-load.log'), 'a')] });
    procs.push(load);
  }
  return { dir, mqttPort, base, hub, load };
}
function stopStack(s) {
  cleanup();
  fs.rmSync(s.dir, { recursive: true, force: true });
}

async function launchChromium() {
  if (!fs.existsSync(CHROMIUM)) die(`${CHROMIUM} is missing: run ops/setup-web.sh`);
  const require = createRequire(path.join(src, 'dashboards', 'package.json'));
  let chromium;
  try { ({ chromium } = require('playwright-core')); } catch { die('playwright-core missing: run ops/setup-web.sh'); }
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'ioc-bench-chromium-'));
  const ctx = await chromium.launchPersistentContext(udd, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1920, height: 1080 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });
  return { ctx, close: async () => { await ctx.close().catch(() => {}); fs.rmSync(udd, { recursive: true, force: true }); } };
}

// ---- latency: publish → pixels ----
async function benchLatency() {
  const samples = Number(opt('samples', 200));
  const rate = Number(opt('rate', 100));
  const s = await startStack({ rate, excludeUnit: MARKER_UNIT });
  const pub = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(s.mqttPort), '-q', '1', '-l',
    '-t', `ioc/v1/40/${MARKER_UNIT}/portal/bench-marker/event`], { stdio: ['pipe', 'ignore', 'inherit'] });
  procs.push(pub);
  const browser = await launchChromium();
  const page = browser.ctx.pages()[0] || await browser.ctx.newPage();
  /* Where the time goes: every feed event's arrival in the page and the
   * hub's now_ms in it (our listener is added first, so it runs before the
   * page's own).  Bounded: the last 2,000 events. */
  await page.addInitScript(() => {
    const Orig = window.EventSource;
    window.__feed = [];
    window.EventSource = function (url, init) {
      const es = new Orig(url, init);
      const note = (e) => {
        const m = /"now_ms":(\d+)/.exec(e.data.slice(0, 64));
        window.__feed.push({ at: Date.now(), now_ms: m ? Number(m[1]) : null, bytes: e.data.length });
        if (window.__feed.length > 2000) window.__feed.shift();
      };
      es.addEventListener('snapshot', note);
      es.addEventListener('delta', note);
      return es;
    };
    window.EventSource.prototype = Orig.prototype;
    Object.assign(window.EventSource, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });
  });
  await page.goto(`${s.base}/?token=${TOKEN}&rotate=0&page=map&indicator=received`);
  const sel = `#grid [data-code="${MARKER_UNIT}"] b`;
  if (!await waitFor(async () => (await page.locator(sel).count()) > 0, 15000)) die('the marker commune has no cell on the page');
  await page.evaluate((sel) => {
    window.__marks = [];
    /* Observe the whole grid, not the cell: a snapshot after a reconnect
     * replaces the cells, and an observer on the old one would go deaf. */
    let last = document.querySelector(sel).textContent;
    new MutationObserver(() => {
      const el = document.querySelector(sel);
      const text = el ? el.textContent : last;
      if (text === last) return;
      last = text;
      /* The frame that shows the change: rAF runs before that frame's paint;
       * a task queued from it runs after the paint, so the stamp is when the
       * pixels were produced, not just scheduled. */
      requestAnimationFrame(() => setTimeout(() => window.__marks.push({ text, t: Date.now() }), 0));
    }).observe(document.getElementById('grid'), { subtree: true, childList: true, characterData: true });
  }, sel);
  const start = Number((await page.locator(sel).textContent()).replace(/\D/g, '')) || 0;
  log(`# latency: ${samples} markers on ${MARKER_UNIT}, background ${rate} msg/s from ioc-load on every other unit`);
  const sent = [];
  let seq = 0;
  await sleep(3000);
  for (let k = 1; k <= samples; k++) {
    const now = Date.now();
    const line = JSON.stringify({ v: 1, seq: ++seq, ts: now, type: 'dossier', dossier: `BENCH-${now}-${k}`,
      procedure: '1.001234', state: 2, channel: 2, received_at: now, due_at: now + 3 * 86400000 });
    sent.push(Date.now());
    pub.stdin.write(line + '\n');
    await sleep(1000 + Math.random() * 1000);
  }
  await sleep(3000);
  const marks = await page.evaluate(() => window.__marks);
  const feed = await page.evaluate(() => window.__feed);
  const lat = [], toTick = [], afterTick = [];
  let missing = 0;
  for (let k = 1; k <= samples; k++) {
    const m = marks.find((x) => Number(x.text.replace(/\D/g, '')) >= start + k);
    if (!m) { missing++; continue; }
    lat.push(m.t - sent[k - 1]);
    /* the feed event that carried it: the last one that arrived before the stamp */
    const ev = feed.filter((e) => e.at <= m.t).pop();
    if (ev && ev.now_ms != null) { toTick.push(ev.now_ms - sent[k - 1]); afterTick.push(m.t - ev.now_ms); }
  }
  const fmt = (v) => `${v} ms`;
  const dist = (a) => { a.sort((x, y) => x - y); return `min=${fmt(a[0])} p50=${fmt(percentile(a, 50))} ` +
      `p90=${fmt(percentile(a, 90))} p99=${fmt(percentile(a, 99))} max=${fmt(a[a.length - 1])}`; };
  log(`latency samples=${lat.length} missing=${missing} ${dist(lat)}`);
  log(`  publish → the hub's feed event (now_ms of the event that carried it): ${dist(toTick)}`);
  log(`  feed event → pixels (SSE, parse, render, paint): ${dist(afterTick)}`);
  const gaps = feed.slice(1).map((e, i) => e.now_ms - feed[i].now_ms).filter((g) => g > 0);
  log(`  feed events: ${feed.length}, spacing ${dist(gaps)}, mean ${(feed.reduce((a, e) => a + e.bytes, 0) / feed.length).toFixed(0)} B`);
  log(`hub: ${fs.readFileSync(`/proc/${s.hub.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]} kB RSS`);
  pub.stdin.end();
  await browser.close();
  stopStack(s);
  return missing === 0 && percentile(lat, 99) < 1000;
}

// ---- screens: the hub's CPU with 0, 1 and N screens ----
function openSse(base, n) {
  const reqs = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const req = http.get(`${base}/api/v1/feed?token=${TOKEN}`, (res) => { res.on('data', (d) => { bytes += d.length; }); });
    req.on('error', () => {});
    reqs.push(req);
  }
  return { close: () => reqs.forEach((r) => r.destroy()), bytes: () => bytes };
}
async function benchScreens() {
  const n = Number(opt('screens', 50)), pages = Number(opt('pages', 2));
  const windowS = Number(opt('window', 20)), rounds = Number(opt('rounds', 2));
  const rate = Number(opt('rate', 100));
  const s = await startStack({ rate });
  const browser = pages > 0 ? await launchChromium() : null;
  log(`# screens: hub CPU over ${windowS} s windows at ${rate} msg/s; phases 0, 1, ${n} raw SSE clients` +
      (pages ? ` + ${pages} chromium pages in the ${n} phase` : '') + `; ${rounds} rounds, interleaved`);
  await sleep(5000); // let the load settle
  const result = { 0: [], 1: [], [n]: [] };
  for (let r = 0; r < rounds; r++) {
    /* 0, 1, N then N, 1, 0: a drift of the machine's load (or of the hub's
     * state) over the run weighs on every phase alike. */
    for (const k of r % 2 ? [n, 1, 0] : [0, 1, n]) {
      const sse = openSse(s.base, k);
      const open = [];
      if (k === n && browser)
        for (let i = 0; i < pages; i++) {
          const p = await browser.ctx.newPage();
          await p.goto(`${s.base}/?token=${TOKEN}&rotate=30`);
          open.push(p);
        }
      await sleep(3000); // snapshots sent, steady deltas
      const c0 = cpuSeconds(s.hub.pid), t0 = Date.now(), b0 = sse.bytes();
      await sleep(windowS * 1000);
      const pct = 100 * (cpuSeconds(s.hub.pid) - c0) / ((Date.now() - t0) / 1000);
      const feedRate = (sse.bytes() - b0) / windowS / Math.max(1, k);
      result[k].push(pct);
      log(`round ${r + 1} screens=${k}${k === n && pages ? '+' + pages + ' pages' : ''}: hub ${pct.toFixed(2)} % of a core` +
          (k ? `, ${feedRate.toFixed(0)} B/s per raw screen` : ''));
      sse.close();
      for (const p of open) await p.close();
      await sleep(1000);
    }
  }
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  const base0 = mean(result[0]);
  log(`summary: 0 screens ${base0.toFixed(2)} %, 1 screen ${mean(result[1]).toFixed(2)} %, ${n} screens ${mean(result[n]).toFixed(2)} % of a core; ` +
      `cost of ${n} screens: ${(mean(result[n]) - base0).toFixed(2)} % of a core (target < 5); ` +
      `of which the first screen ${(mean(result[1]) - base0).toFixed(2)} %, the other ${n - 1} ${(mean(result[n]) - mean(result[1])).toFixed(2)} %; ` +
      `per round: ${result[0].map((v, i) => (result[n][i] - v).toFixed(2)).join(', ')} %`);
  if (browser) await browser.close();
  stopStack(s);
  return mean(result[n]) - base0 < 5;
}

// ---- heap after long accelerated traffic ----
async function benchHeap() {
  const short = flag('short');
  const minutes = Number(opt('minutes', short ? 6 : 60));
  const baseline = Number(opt('baseline', short ? 1 : 5));
  const rate = Number(opt('rate', 1000));
  const warmup = Number(opt('warmup', 0));
  const s = await startStack({ rate });
  if (warmup > 0) { log(`# warm-up: ${warmup} min of load before the page opens`); await sleep(warmup * 60000); }
  const browser = await launchChromium();
  const page = browser.ctx.pages()[0] || await browser.ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${s.base}/?token=${TOKEN}&rotate=2`);
  const cdp = await browser.ctx.newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  log(`# heap: ${minutes} min at ${rate} msg/s, rotation every 2 s, chart refresh every 5 s; baseline at ${baseline} min`);
  const refresher = setInterval(() => { page.evaluate(() => window.iocWall && window.iocWall.refresh()).catch(() => {}); }, 5000);
  const t0 = Date.now();
  let base = null, last = null, baseDom = null, lastDom = null;
  const all = [];
  const sample = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const h = await cdp.send('Runtime.getHeapUsage');
    const d = await cdp.send('Memory.getDOMCounters');
    /* received today (province) proves the feed is still flowing into the page */
    const w = await page.evaluate(() => ({ units: window.iocWall.units.size,
      received: window.iocWall.summary ? window.iocWall.summary.today.received.total : null,
      timings: performance.getEntriesByType('resource').length }));
    const rss = fs.readFileSync(`/proc/${s.hub.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1];
    const m = (Date.now() - t0) / 60000;
    log(`t=${m.toFixed(1)} min heap_used=${(h.usedSize / 1024).toFixed(0)} KiB heap_total=${(h.totalSize / 1024).toFixed(0)} KiB ` +
        (h.embedderHeapUsedSize != null ? `embedder_used=${(h.embedderHeapUsedSize / 1024).toFixed(0)} KiB ` : '') +
        `dom_nodes=${d.nodes} listeners=${d.jsEventListeners} resource_timings=${w.timings} units=${w.units} ` +
        `received_today=${w.received} hub_rss=${rss} kB`);
    lastDom = d.nodes;
    return h.usedSize;
  };
  for (let m = 1; m <= minutes; m++) {
    await sleep(t0 + m * 60000 - Date.now());
    last = await sample();
    all.push(last);
    if (m === baseline) { base = last; baseDom = lastDom; }
  }
  clearInterval(refresher);
  const ratio = last / base;
  /* One sample against one sample is at the mercy of what the page shows at
   * that minute; the median of the last 5 samples is reported beside it. */
  const tail = all.slice(-5).sort((a, b) => a - b), med = tail[Math.floor(tail.length / 2)];
  log(`summary: heap after ${minutes} min ${(last / 1024).toFixed(0)} KiB vs ${(base / 1024).toFixed(0)} KiB at ${baseline} min: ` +
      `${((ratio - 1) * 100).toFixed(1)} % (target within ±10 %); median of the last ${tail.length} samples ` +
      `${(med / 1024).toFixed(0)} KiB: ${((med / base - 1) * 100).toFixed(1)} %; max ${(Math.max(...all) / 1024).toFixed(0)} KiB; ` +
      `DOM nodes ${baseDom} → ${lastDom}${baseDom !== lastDom ? ' (the page shows more or less than at the baseline)' : ''}; page errors: ${errors.length}`);
  log(`hub: ${fs.readFileSync(`/proc/${s.hub.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]} kB RSS; ioc-load still running: ${s.load.exitCode === null}`);
  await browser.close();
  stopStack(s);
  return Math.abs(ratio - 1) <= 0.10 && errors.length === 0;
}

// ---- heapdiff: what grows in the page's heap ----
async function heapSnapshot(cdp) {
  const chunks = [];
  const onChunk = (e) => chunks.push(e.chunk);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  const snap = JSON.parse(chunks.join(''));
  const f = snap.snapshot.meta.node_fields, types = snap.snapshot.meta.node_types[0];
  const iType = f.indexOf('type'), iName = f.indexOf('name'), iSize = f.indexOf('self_size'), w = f.length;
  const groups = new Map();
  for (let i = 0; i < snap.nodes.length; i += w) {
    const type = types[snap.nodes[i + iType]];
    /* Strings, code and arrays are named by content or address: group by type alone. */
    const key = ['object', 'closure', 'native'].includes(type) ? type + ' ' + snap.strings[snap.nodes[i + iName]].slice(0, 60) : type;
    const g = groups.get(key) || { count: 0, size: 0 };
    g.count++; g.size += snap.nodes[i + iSize];
    groups.set(key, g);
  }
  return groups;
}
async function benchHeapDiff() {
  const from = Number(opt('from', 3)), to = Number(opt('to', 15)), top = Number(opt('top', 25));
  const rate = Number(opt('rate', 1000));
  const s = await startStack({ rate });
  const browser = await launchChromium();
  const page = browser.ctx.pages()[0] || await browser.ctx.newPage();
  await page.goto(`${s.base}/?token=${TOKEN}&rotate=2`);
  const cdp = await browser.ctx.newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  const refresher = setInterval(() => { page.evaluate(() => window.iocWall && window.iocWall.refresh()).catch(() => {}); }, 5000);
  const t0 = Date.now();
  await sleep(t0 + from * 60000 - Date.now());
  const a = await heapSnapshot(cdp);
  await sleep(t0 + to * 60000 - Date.now());
  const b = await heapSnapshot(cdp);
  clearInterval(refresher);
  const total = (g) => [...g.values()].reduce((x, y) => x + y.size, 0);
  log(`# heapdiff: ${rate} msg/s, snapshots at ${from} and ${to} min: ${(total(a) / 1024).toFixed(0)} → ${(total(b) / 1024).toFixed(0)} KiB`);
  const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => {
    const x = a.get(k) || { count: 0, size: 0 }, y = b.get(k) || { count: 0, size: 0 };
    return { k, dc: y.count - x.count, ds: y.size - x.size, size: y.size };
  }).sort((p, q) => q.ds - p.ds);
  for (const r of rows.slice(0, top))
    log(`${(r.ds >= 0 ? '+' : '') + (r.ds / 1024).toFixed(1)} KiB\t${(r.dc >= 0 ? '+' : '') + r.dc} objects\t(now ${(r.size / 1024).toFixed(1)} KiB)\t${r.k}`);
  await browser.close();
  stopStack(s);
  return true;
}

const benches = { latency: benchLatency, screens: benchScreens, heap: benchHeap, heapdiff: benchHeapDiff };
if (!benches[mode]) die('usage: display-bench.mjs latency|screens|heap [--build DIR] [--short] [--samples N] [--screens N] [--rate N]');
if (!fs.existsSync(path.join(build, 'hub', 'iochub'))) die(`${build}/hub/iochub missing: build first (--build DIR)`);
const started = Date.now();
const met = await benches[mode]();
log(`# ${mode}: target ${met ? 'met' : 'NOT met'}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(0);
