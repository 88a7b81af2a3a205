/* national.js — the national wall display (SPEC §9): one cell per province
 * instead of one per commune, the provinces on a map, and the country's
 * totals on the tiles.
 *
 * Reads GET /api/v1/federation of a national hub ([federation] national =
 * true) every POLL_MS.  It only has what the rollups carry: today's summed
 * counters and latest gauges per province (SPEC §6 fields), so its rates are
 * ratios of sums computed here — never averages of the provinces' rates — and
 * the on-time rate is (early + on time + open not yet overdue) / (completed +
 * open), open dossiers counting as on time until their deadline passes.
 * A province whose hubs have all gone quiet for STALE_S is marked stale; one
 * with no hub current today shows no figures.  A hub without [federation]
 * answers 404: the page says what it needs instead of waiting forever.  No
 * live feed, no charts, no alerts: those stay on each province's own wall.
 * The map is maps/vietnam-34-provinces-2025.geo.json (simplified from
 * ../shared/data/maps/, MIT licence beside it), keyed by province_code.
 * URL options: token=, lang=vi|en. */
'use strict';
(function () {
  const C = window.IocWallCommon;
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || '';
  const POLL_MS = 5000;
  const STALE_S = 60;          /* rollups come every few seconds (publish_interval) */
  const QUIET_MS = 20000;      /* no answer from the hub for this long: connection lost */
  const MAP_URL = 'maps/vietnam-34-provinces-2025.geo.json';
  const VALUE_MIN_VW = 1.9, TEXT_MIN_VW = 0.66;
  const NAMES = C.PROVINCES;

  const T = {
    vi: { title: 'Giám sát dịch vụ hành chính công', country: 'Toàn quốc', connecting: 'Đang kết nối…', live: 'Trực tiếp',
      lost: 'Mất kết nối', off: 'Chưa cấu hình liên thông', denied: 'Mã màn hình không hợp lệ',
      received: 'Tiếp nhận hôm nay', completed: 'Đã giải quyết (sớm / đúng / trễ hạn)',
      open: 'Đang xử lý / quá hạn', ontime: 'Tỷ lệ đúng hạn', issued: 'Vé đã phát / đã phục vụ',
      satisfaction: 'Hài lòng hôm nay', cameras: 'Camera đang ghi hình', kiosks: 'Kiosk trực tuyến',
      connectors: 'Kết nối đang báo', provinces_reporting: 'Tỉnh, thành đang báo', map: 'Bản đồ',
      provinces: 'Các tỉnh, thành phố', overdue: 'quá hạn', ratings: 'lượt đánh giá', served: 'đã phục vụ',
      received_short: 'hồ sơ hôm nay', hub: 'hub', hubs: 'hub', stale: 'cũ', no_data: 'chưa có dữ liệu', ago: 'trước', s: 'giây', m: 'phút',
      note: '· từ bản tổng hợp của các hub tỉnh', note_province: '· hub tỉnh: chỉ các hub của tỉnh này',
      explain_title: 'Hub này chưa bật liên thông ([federation])',
      explain: 'Trang toàn quốc đọc <code>GET /api/v1/federation</code> của một hub quốc gia ' +
        '(<code>[federation] enabled = true</code>, <code>national = true</code>) nhận bản tổng hợp của các hub tỉnh qua cầu nối MQTT ' +
        '(<code>ops/bridges/</code>, docs/SCALING.md). Mỗi hub tỉnh cần <code>[federation] enabled = true</code>. ' +
        'Trang của một tỉnh: <code>/</code>.',
      explain_denied: 'Hub không nhận mã màn hình này (<code>[http] display_tokens</code>).',
      legend: ['≥ 95 %', '85–95 %', '< 85 %', 'chưa có dữ liệu'], lang: 'EN', locale: 'vi-VN' },
    en: { title: 'Public-service operations', country: 'Whole country', connecting: 'Connecting…', live: 'Live',
      lost: 'Connection lost', off: 'No federation configured', denied: 'Screen token not accepted',
      received: 'Received today', completed: 'Completed (early / on time / late)',
      open: 'Open / overdue', ontime: 'On-time rate', issued: 'Tickets issued / served',
      satisfaction: 'Satisfied today', cameras: 'Cameras recording', kiosks: 'Kiosks online',
      connectors: 'Connectors reporting', provinces_reporting: 'Provinces reporting', map: 'Map',
      provinces: 'Provinces', overdue: 'overdue', ratings: 'ratings', served: 'served',
      received_short: 'dossiers today', hub: 'hub', hubs: 'hubs', stale: 'stale', no_data: 'no data yet', ago: 'ago', s: 's', m: 'min',
      note: "· from the province hubs' rollups", note_province: "· a province hub: this province's hubs only",
      explain_title: 'This hub has no federation ([federation])',
      explain: 'The national page reads <code>GET /api/v1/federation</code> of a national hub ' +
        '(<code>[federation] enabled = true</code>, <code>national = true</code>) that receives the province hubs\' rollups over MQTT bridges ' +
        '(<code>ops/bridges/</code>, docs/SCALING.md). Each province hub needs <code>[federation] enabled = true</code>. ' +
        "A province's own page: <code>/</code>.",
      explain_denied: 'The hub does not accept this screen token (<code>[http] display_tokens</code>).',
      legend: ['≥ 95 %', '85–95 %', '< 85 %', 'no data'], lang: 'VI', locale: 'en-GB' },
  };
  let lang = params.get('lang') || localStorage.getItem('ioc.lang') || 'vi';
  if (!T[lang]) lang = 'vi';
  let fmt = C.formats(T[lang].locale);

  let fed = null;        /* the last answer of /api/v1/federation */
  let lastOkAt = 0;
  let clockOffset = 0;
  /* 'wait' (no answer yet), 'ok', 'off' (404: no [federation]), 'denied' (401/403) */
  let status = 'wait';

  const $ = (id) => document.getElementById(id);
  const tr = () => T[lang];
  const withToken = (path) => token ? path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : path;
  const valueMin = () => VALUE_MIN_VW * C.vw(), textMin = () => TEXT_MIN_VW * C.vw();
  function fmtAge(s) { s = Math.max(0, Math.round(s)); return s < 120 ? s + ' ' + tr().s : Math.round(s / 60) + ' ' + tr().m; }
  function rateClass(v, good, warn) { return v == null ? '' : v >= good ? 'v-ok' : v >= warn ? 'v-warn' : 'v-bad'; }
  const ratio = (num, den) => den > 0 ? num / den : null;
  const cellClassOf = (v) => v == null ? '' : v >= 0.95 ? 'ok' : v >= 0.85 ? 'warn' : 'bad';

  /* Indicators of one "today" object (a province's or the country's). */
  function indicators(t) {
    const d = t.ioc_dossier, q = t.ioc_queue, r = t.ioc_rating, dev = t.ioc_device;
    const completed = d.completed_early + d.completed_ontime + d.completed_late;
    return {
      received: d.received, completed, early: d.completed_early, ontime: d.completed_ontime, late: d.completed_late,
      open: d.open, open_overdue: d.open_overdue,
      ontime_rate: ratio(d.completed_early + d.completed_ontime + Math.max(0, d.open - d.open_overdue), completed + d.open),
      issued: q.issued, served: q.served, ratings: r.ratings, satisfied_rate: ratio(r.satisfied, r.ratings),
      cameras: dev.cameras, cameras_recording: dev.cameras_recording, kiosks: dev.kiosks, kiosks_online: dev.kiosks_online,
      connectors_expected: dev.connectors_expected, connectors_reporting: dev.connectors_reporting,
    };
  }

  function setTile(key, text, cls) {
    const el = document.querySelector('[data-v="' + key + '"]');
    if (!el) return;
    if (el.textContent !== text) { el.textContent = text; C.fitLater(el, el.classList.contains('t-value') ? valueMin() : textMin()); }
    const want = el.className.split(' ').filter((c) => c && !c.startsWith('v-')).concat(cls ? [cls] : []).join(' ');
    if (el.className !== want) el.className = want;
  }

  /* A province reports when at least one of its hubs is current today. */
  const reporting = (p) => p.hubs.some((h) => h.current);
  const ageOf = (p) => Math.min(...p.hubs.map((h) => h.age_s));

  function renderTiles() {
    const t = tr();
    const quiet = Date.now() - lastOkAt > QUIET_MS;
    const conn = $('conn');
    const state = status === 'off' ? 'off' : status === 'denied' ? 'denied' : fed == null ? 'wait' : quiet ? 'down' : 'up';
    conn.textContent = { off: t.off, denied: t.denied, wait: t.connecting, down: t.lost, up: t.live }[state];
    conn.className = 'conn ' + (state === 'up' ? 'conn-up' : state === 'off' ? 'conn-off' : 'conn-down');
    conn.dataset.state = state;
    document.querySelectorAll('.tile').forEach((tile) => {
      const stale = state !== 'up';
      tile.classList.toggle('stale', stale);
      tile.dataset.stale = stale ? '1' : '0';
      const badge = tile.querySelector('.fresh');
      const text = state === 'up' ? '●' : state === 'down' ? t.lost : state === 'wait' ? t.connecting : '';
      if (badge && badge.textContent !== text) badge.textContent = text;
    });
    const explain = $('explain');
    explain.hidden = status !== 'off' && status !== 'denied';
    if ($('grid-panel').classList.contains('explaining') !== !explain.hidden) {
      $('grid-panel').classList.toggle('explaining', !explain.hidden);
      fitLabels();
    }
    const html = status === 'off' ? '<b>' + t.explain_title + '</b>' + t.explain : status === 'denied' ? '<b>' + t.denied + '</b>' + t.explain_denied : '';
    if (explain.innerHTML !== html) explain.innerHTML = html;
    if (!fed) return;
    const c = indicators(fed.total);
    setTile('received', fmt.int(c.received));
    setTile('completed', fmt.int(c.completed));
    setTile('completed_split', fmt.int(c.early) + ' / ' + fmt.int(c.ontime) + ' / ' + fmt.int(c.late));
    setTile('open', fmt.int(c.open));
    setTile('open_overdue', fmt.int(c.open_overdue) + ' ' + t.overdue, c.open_overdue > 0 ? 'v-bad' : '');
    setTile('ontime_rate', fmt.pct(c.ontime_rate), rateClass(c.ontime_rate, 0.95, 0.85));
    setTile('issued', fmt.int(c.issued));
    setTile('served', fmt.int(c.served) + ' ' + t.served);
    setTile('satisfied_rate', fmt.pct(c.satisfied_rate), rateClass(c.satisfied_rate, 0.9, 0.8));
    setTile('ratings', fmt.int(c.ratings) + ' ' + t.ratings);
    /* The country's counts are too long for a tile as "8.630 / 9.112": the
     * share is the value, the counts go underneath. */
    const share = (tile, num, den, good, warn) => {
      const v = ratio(num, den);
      setTile(tile, fmt.pct(v), rateClass(v, good, warn));
      setTile(tile + '_count', fmt.int(num) + ' / ' + fmt.int(den));
    };
    share('cameras', c.cameras_recording, c.cameras, 0.98, 0.9);
    share('kiosks', c.kiosks_online, c.kiosks, 0.98, 0.9);
    share('connectors', c.connectors_reporting, c.connectors_expected, 1, 0.9);
    const n = fed.provinces.filter(reporting).length;
    setTile('provinces', n + ' / ' + Math.max(34, fed.provinces.length), n >= 34 ? 'v-ok' : 'v-warn');
  }

  /* One cell per province, in code order; every known province has one,
   * listed or not, so a province that never reported is visible as such.
   * Cells are made once and updated in place; only changed text is fitted. */
  const cells = new Map();  /* code → { cell, name, big, sub, sub2, meta } */
  function cellOf(code) {
    let c = cells.get(code);
    if (c) return c;
    const cell = document.createElement('div');
    cell.dataset.province = code;
    const name = document.createElement('b'), big = document.createElement('span'), sub = document.createElement('span'),
      sub2 = document.createElement('span'), meta = document.createElement('span');
    big.className = 'big';
    cell.append(name, big, sub, sub2, meta);
    c = { cell, name, big, sub, sub2, meta };
    cells.set(code, c);
    return c;
  }
  function put(el, text, min) { if (el.textContent !== text) { el.textContent = text; C.fitLater(el, min); } }
  function renderGrid() {
    const t = tr(), grid = $('grid');
    const byCode = new Map((fed ? fed.provinces : []).map((p) => [p.province, p]));
    const codes = Array.from(new Set(Object.keys(NAMES).concat(Array.from(byCode.keys())))).sort();
    codes.forEach((code, i) => {
      const p = byCode.get(code), c = cellOf(code);
      if (grid.children[i] !== c.cell) grid.insertBefore(c.cell, grid.children[i] || null);
      let cls = 'cell';
      put(c.name, NAMES[code] || code, textMin());
      if (p && reporting(p)) {
        const v = indicators(p.today);
        put(c.big, fmt.pct(v.ontime_rate), valueMin() * 0.7);
        put(c.sub, fmt.int(v.received) + ' ' + t.received_short, textMin());
        put(c.sub2, fmt.int(v.open_overdue) + ' ' + t.overdue, textMin());
        const age = ageOf(p), stale = age > STALE_S;
        const nh = p.hubs.filter((h) => h.current).length;
        put(c.meta, nh + ' ' + (nh === 1 ? t.hub : t.hubs) + ' · ' + (stale ? t.stale + ' · ' : '') + fmtAge(age) + ' ' + t.ago, textMin());
        cls += (cellClassOf(v.ontime_rate) ? ' ' + cellClassOf(v.ontime_rate) : '') + (stale ? ' stale' : '');
        c.cell.dataset.received = String(v.received);
        c.cell.dataset.rate = v.ontime_rate == null ? '' : String(v.ontime_rate);
      } else {
        put(c.big, '–', valueMin() * 0.7);
        put(c.sub, '', textMin());
        put(c.sub2, '', textMin());
        put(c.meta, t.no_data, textMin());
        cls += ' stale';
      }
      if (c.cell.className !== cls) c.cell.className = cls;
    });
    $('note').textContent = fed ? (fed.mode === 'province' ? t.note_province : t.note) : '';
    const legend = $('legend');
    if (legend.dataset.lang !== lang) {
      legend.dataset.lang = lang;
      legend.textContent = '';
      ['ok', 'warn', 'bad', 'none'].forEach((k, i) => {
        const span = document.createElement('span'), sw = document.createElement('i');
        sw.style.background = 'var(--' + (k === 'none' ? 'none' : 'c-' + k) + ')';
        span.append(sw, document.createTextNode(t.legend[i]));
        legend.append(span);
      });
    }
    renderMap(byCode);
  }

  /* ---- the map: drawn once, coloured at every answer ---- */
  let map = null;  /* Map code → { path, title } */
  async function loadMap() {
    try {
      const r = await fetch(MAP_URL);
      if (!r.ok) return;
      const { viewBox, shapes } = C.geoShapes(await r.json(), 1000);
      const NS = 'http://www.w3.org/2000/svg';
      const svg = document.createElementNS(NS, 'svg');
      svg.setAttribute('viewBox', viewBox);
      svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
      map = new Map();
      for (const s of shapes) {
        const path = document.createElementNS(NS, 'path');
        path.setAttribute('d', s.d);
        path.setAttribute('class', 'region');
        path.dataset.province = s.props.province_code;
        const title = document.createElementNS(NS, 'title');
        path.appendChild(title);
        svg.appendChild(path);
        map.set(s.props.province_code, { path, title });
      }
      $('map').textContent = '';
      $('map').appendChild(svg);
      $('map').dataset.regions = String(map.size);
      renderGrid();
    } catch (e) { /* no map: the grid alone */ }
  }
  function renderMap(byCode) {
    if (!map) return;
    for (const [code, e] of map) {
      const p = byCode.get(code);
      let cls = 'region', text = NAMES[code] || code;
      if (p && reporting(p)) {
        const v = indicators(p.today);
        cls += ' ' + cellClassOf(v.ontime_rate) + (ageOf(p) > STALE_S ? ' stale' : '');
        text += ' · ' + fmt.pct(v.ontime_rate);
      }
      cls = cls.trim();
      if (e.path.getAttribute('class') !== cls) e.path.setAttribute('class', cls);
      if (e.title.textContent !== text) e.title.textContent = text;
    }
  }

  function render() { renderTiles(); renderGrid(); }
  /* After a change of size or fonts, every text is fitted again. */
  function fitLabels() { document.querySelectorAll('.t-label, .t-value, .t-sub, .grid .cell > *').forEach((el) => C.fitLater(el, el.classList.contains('t-value') ? valueMin() : el.classList.contains('big') ? valueMin() * 0.7 : textMin())); }

  function applyLang() {
    document.documentElement.lang = lang;
    fmt = C.formats(tr().locale);
    document.querySelectorAll('[data-i18n]').forEach((el) => { const k = el.dataset.i18n; if (typeof tr()[k] === 'string') el.textContent = tr()[k]; });
    $('lang').textContent = tr().lang;
    render();
    fitLabels();
  }

  async function poll() {
    try {
      const r = await fetch(withToken('/api/v1/federation'), { cache: 'no-store' });
      if (r.ok) {
        fed = await r.json();
        lastOkAt = Date.now();
        status = 'ok';
        if (fed.now_ms) clockOffset = fed.now_ms - Date.now();
      } else if (r.status === 404) {
        status = 'off';  /* no [federation] on this hub: keep asking, slowly (a reload may add it) */
      } else if (r.status === 401 || r.status === 403) {
        status = 'denied';
      }
    } catch (e) { /* the tiles turn stale after QUIET_MS */ }
    render();
  }
  function tickClock() {
    const now = Date.now() + clockOffset;
    $('clock').textContent = fmt.time(now);
    $('date').textContent = fmt.date(now);
  }

  $('lang').addEventListener('click', () => { lang = lang === 'vi' ? 'en' : 'vi'; localStorage.setItem('ioc.lang', lang); applyLang(); });
  setInterval(tickClock, 1000);
  setInterval(poll, POLL_MS);
  window.addEventListener('resize', () => { render(); fitLabels(); });
  applyLang();
  tickClock();
  loadMap();
  poll();
  document.fonts.ready.then(() => { render(); fitLabels(); });
})();
