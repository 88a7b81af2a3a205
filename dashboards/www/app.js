/* app.js — the wall display's logic (issue 5; PEERS.md lessons 10, 11).
 *
 * One EventSource on /api/v1/feed: a full snapshot on (re)connect, then
 * deltas as things change (at most 4 a second, at least one every 2 s),
 * each with only what changed: the rows that moved, and the summary,
 * ranking and alerts when they are new.  Memory stays flat: the unit table is a Map keyed by
 * the registry's codes (bounded by the registry), alerts are capped, the
 * chart gets a fixed number of server-downsampled points and is redrawn in
 * place.  The page heals itself: EventSource reconnects, a watchdog builds a
 * new one when the stream goes quiet, and reloads the page when that does
 * not help for minutes.  URL options: token=, lang=vi|en, rotate=SECONDS
 * (0: off), page=map|trend, indicator=ontime_rate|open_overdue|satisfied_rate|online_rate|received. */
'use strict';
(function () {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || '';
  const ROTATE_S = Number(params.get('rotate') ?? 30);
  const QUIET_MS = 6000;          /* no event for this long: stale, reconnect */
  const RELOAD_AFTER_MS = 5 * 60000; /* still no feed: reload the page */
  const STALE_MS = 180000;        /* a source silent this long is stale (as the hub's device window) */
  const MAX_ALERTS = 12;

  const T = {
    vi: { title: 'Giám sát dịch vụ hành chính công', connecting: 'Đang kết nối…', live: 'Trực tiếp', lost: 'Mất kết nối',
      denied: 'Mã màn hình không còn hiệu lực',
      denied_none: 'Màn hình chưa có mã: mở với ?token=<mã hiển thị trong [http] display_tokens>',
      cannot_read_alerts: 'Không đọc được cảnh báo', need_display: 'cần mã hiển thị (display token)',
      need_operator: 'cần mã điều hành (operator token)',
      received: 'Tiếp nhận hôm nay', completed: 'Đã giải quyết (sớm / đúng / trễ)', open: 'Đang xử lý / quá hạn',
      due_soon: 'Đến hạn trong 1 ngày làm việc', ontime: 'Tỷ lệ đúng hạn', online: 'Tỷ lệ nộp trực tuyến',
      satisfaction: 'Hài lòng hôm nay', cameras: 'Camera đang ghi', kiosks: 'Kiosk trực tuyến',
      connectors: 'Kết nối đang báo / dự kiến', communes: 'Các xã, phường', ranking: 'Xếp hạng đúng hạn',
      trend_today: 'Hồ sơ tiếp nhận hôm nay theo giờ', trend_30d: 'Hồ sơ tiếp nhận 30 ngày qua', series_received: 'Hồ sơ tiếp nhận',
      series_today: 'Hôm nay', series_usual: 'Ngày thường (cùng thứ, 8 tuần)', usual_note: 'so với trung vị cùng thứ trong 8 tuần',
      usual_none: 'chưa có lịch sử để so sánh', no_history: 'Chưa có lịch sử', alerts: 'Cảnh báo', no_alerts: 'Không có cảnh báo',
      channels: ['trực tiếp', 'trực tuyến', 'bưu chính'], overdue: 'quá hạn', ratings: 'lượt đánh giá',
      no_data: 'chưa có dữ liệu', stale: 'cũ', ago: 'trước', s: 'giây', m: 'phút', h: 'giờ',
      min_volume: 'tối thiểu {n} hồ sơ', acked: 'đã xác nhận bởi',
      states: { pending: 'chờ xác định', firing: 'đang cảnh báo', resolved: 'đã hết' },
      ind: { ontime_rate: 'Tỷ lệ đúng hạn', open_overdue: 'Hồ sơ quá hạn', satisfied_rate: 'Tỷ lệ hài lòng', online_rate: 'Tỷ lệ trực tuyến', received: 'Hồ sơ tiếp nhận hôm nay' },
      legend: ['tốt', 'cần chú ý', 'kém', 'chưa có dữ liệu'], lang: 'EN', locale: 'vi-VN',
      hubs_note: (n) => 'Tổng tỉnh từ ' + n + ' hub', this_hub: 'chỉ các xã của hub này' },
    en: { title: 'Public-service operations', connecting: 'Connecting…', live: 'Live', lost: 'Connection lost',
      denied: 'Screen token no longer valid',
      denied_none: 'This screen has no token: open it with ?token=<a display token from [http] display_tokens>',
      cannot_read_alerts: 'Cannot read alerts', need_display: 'needs a display token',
      need_operator: 'needs an operator token',
      received: 'Received today', completed: 'Completed (early / on time / late)', open: 'Open / overdue',
      due_soon: 'Due within 1 working day', ontime: 'On-time rate', online: 'Online submission',
      satisfaction: 'Satisfied today', cameras: 'Cameras recording', kiosks: 'Kiosks online',
      connectors: 'Connectors reporting / expected', communes: 'Communes and wards', ranking: 'On-time ranking',
      trend_today: 'Dossiers received today by hour', trend_30d: 'Dossiers received, last 30 days', series_received: 'Dossiers received',
      series_today: 'Today', series_usual: 'Usual (same weekday, 8 weeks)', usual_note: 'against the median of the same weekday over 8 weeks',
      usual_none: 'no history to compare with', no_history: 'No history', alerts: 'Alerts', no_alerts: 'No alerts',
      channels: ['in person', 'online', 'postal'], overdue: 'overdue', ratings: 'ratings',
      no_data: 'no data yet', stale: 'stale', ago: 'ago', s: 's', m: 'min', h: 'h',
      min_volume: 'at least {n} dossiers', acked: 'acknowledged by',
      states: { pending: 'pending', firing: 'firing', resolved: 'resolved' },
      ind: { ontime_rate: 'On-time rate', open_overdue: 'Overdue dossiers', satisfied_rate: 'Satisfaction', online_rate: 'Online share', received: 'Dossiers received today' },
      legend: ['good', 'watch', 'poor', 'no data'], lang: 'VI', locale: 'en-GB',
      hubs_note: (n) => 'Province total of ' + n + ' hubs', this_hub: "this hub's communes only" },
  };
  let lang = params.get('lang') || localStorage.getItem('ioc.lang') || 'vi';
  if (!T[lang]) lang = 'vi';
  const INDICATORS = ['ontime_rate', 'open_overdue', 'satisfied_rate', 'online_rate'];
  /* "received" (today's volume per commune) is not in the rotation; a screen can pin it. */
  let indicator = INDICATORS.concat(['received']).includes(params.get('indicator')) ? params.get('indicator') : 'ontime_rate';

  /* State: bounded by the registry and MAX_ALERTS. */
  const units = new Map();
  let summary = null, ranking = [], alerts = [], minVolume = 30;
  let clockOffset = 0;      /* server now − local now */
  let lastEventAt = 0;      /* local ms of the last feed event */
  /* The hub refuses this screen (no token, or one not in its config): the
   * page says so rather than "connection lost", so nobody hunts a network
   * fault, and names the token it lacks.  null, or { status, need }. */
  let denied = null;
  let feedOkSince = 0;
  let es = null;

  const $ = (id) => document.getElementById(id);
  const tr = () => T[lang];
  const serverNow = () => Date.now() + clockOffset;
  const withToken = (path) => token ? path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : path;

  function fmtInt(v) { return v == null ? '–' : Number(v).toLocaleString(tr().locale); }
  function fmtPct(v) { return v == null ? '–' : (v * 100).toLocaleString(tr().locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 }) + ' %'; }
  function fmtAge(ms) {
    const t = tr(); const s = Math.max(0, Math.round(ms / 1000));
    if (s < 120) return s + ' ' + t.s;
    if (s < 7200) return Math.round(s / 60) + ' ' + t.m;
    return Math.round(s / 3600) + ' ' + t.h;
  }
  function rateClass(v, good, warn) { return v == null ? '' : v >= good ? 'v-ok' : v >= warn ? 'v-warn' : 'v-bad'; }

  function applyLang() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-i18n]').forEach((el) => { const k = el.dataset.i18n; if (typeof tr()[k] === 'string') el.textContent = tr()[k]; });
    $('lang').textContent = tr().lang;
    render();
  }

  function setTile(key, text, cls) {
    const el = document.querySelector('[data-v="' + key + '"]');
    if (!el) return;
    if (el.textContent !== text) el.textContent = text;
    el.className = el.className.split(' ').filter((c) => !c.startsWith('v-')).concat(cls ? [cls] : []).join(' ');
  }

  /* Several hubs splitting the province ([hub] units_owned, SPEC §9): the
   * tiles show the province, i.e. this hub's live figures plus the other
   * hubs' latest rollups from /api/v1/federation (at most a minute behind).
   * What the rollups cannot add up (the channel split, the online rate,
   * dossiers due soon) stays this hub's and says so.  peers: null with one
   * hub or without [federation]; else { n, today } with today the other
   * current hubs' summed totals. */
  let peers = null, peersOff = false;
  const addTotals = (a, b) => { for (const m in b) { a[m] = a[m] || {}; for (const f in b[m]) a[m][f] = (a[m][f] || 0) + b[m][f]; } return a; };
  async function loadPeers() {
    if (peersOff) return;
    try {
      const r = await getJson('/api/v1/federation');
      if (r.status === 404) { peersOff = true; peers = null; return; } /* no [federation] on this hub */
      if (!r.ok || !r.body || r.body.mode !== 'province' || !summary) return;
      const p = r.body.provinces.find((x) => x.hubs.some((h) => h.hub === r.body.hub));
      const others = p ? p.hubs.filter((h) => h.hub !== r.body.hub) : [];
      peers = others.length === 0 ? null
        : { n: others.length + 1, today: others.filter((h) => h.current && h.today).reduce((a, h) => addTotals(a, h.today), {}) };
      renderTiles();
    } catch (e) { /* the feed's watchdog reports a lost hub */ }
  }
  /* This hub's summary with the other hubs' rollups added (SPEC §6 fields). */
  function provinceView() {
    const d = summary.today, dev = summary.devices, r = summary.rating_today;
    if (!peers) return { d, dev, r };
    const o = peers.today, od = o.ioc_dossier || {}, orr = o.ioc_rating || {}, odev = o.ioc_device || {};
    const add = (x, k) => (x || 0) + (k || 0);
    const dd = Object.assign({}, d, {
      received: Object.assign({}, d.received, { total: add(d.received.total, od.received) }),
      completed_early: add(d.completed_early, od.completed_early), completed_ontime: add(d.completed_ontime, od.completed_ontime),
      completed_late: add(d.completed_late, od.completed_late), open: add(d.open, od.open), open_overdue: add(d.open_overdue, od.open_overdue) });
    dd.completed = dd.completed_early + dd.completed_ontime + dd.completed_late;
    /* As on the national wall: open dossiers are on time until their deadline passes. */
    const den = dd.completed + dd.open;
    dd.ontime_rate = den > 0 ? (dd.completed_early + dd.completed_ontime + Math.max(0, dd.open - dd.open_overdue)) / den : null;
    const ratings = add(r.ratings, orr.ratings), satisfied = add(r.satisfied, orr.satisfied);
    const rr = { ratings, satisfied, satisfied_rate: ratings > 0 ? satisfied / ratings : null };
    const dv = {};
    for (const k of ['cameras', 'cameras_recording', 'kiosks', 'kiosks_online', 'connectors_expected', 'connectors_reporting']) dv[k] = add(dev[k], odev[k]);
    dv.cameras_recording_rate = dv.cameras > 0 ? dv.cameras_recording / dv.cameras : null;
    dv.kiosks_online_rate = dv.kiosks > 0 ? dv.kiosks_online / dv.kiosks : null;
    return { d: dd, dev: dv, r: rr };
  }

  function renderTiles() {
    if (!summary) return;
    const { d, dev, r } = provinceView(), t = tr();
    const hubs = $('hubs');
    if (hubs) {
      hubs.hidden = !peers;
      hubs.textContent = peers ? t.hubs_note(peers.n) : '';
      document.querySelectorAll('[data-local-only]').forEach((el) => { el.title = peers ? t.this_hub : ''; el.classList.toggle('local-only', !!peers); });
    }
    setTile('received', fmtInt(d.received.total));
    setTile('received_split', t.channels.map((c, i) => c + ' ' + fmtInt([d.received.in_person, d.received.online, d.received.postal][i])).join(' · '));
    setTile('completed', fmtInt(d.completed));
    setTile('completed_split', fmtInt(d.completed_early) + ' / ' + fmtInt(d.completed_ontime) + ' / ' + fmtInt(d.completed_late));
    setTile('open', fmtInt(d.open));
    setTile('open_overdue', fmtInt(d.open_overdue) + ' ' + t.overdue, d.open_overdue > 0 ? 'v-bad' : '');
    setTile('due_soon', fmtInt(d.due_soon), d.due_soon > 0 ? 'v-warn' : '');
    setTile('ontime_rate', fmtPct(d.ontime_rate), rateClass(d.ontime_rate, 0.95, 0.85));
    setTile('online_rate', fmtPct(d.online_rate));
    setTile('satisfied_rate', fmtPct(r.satisfied_rate), rateClass(r.satisfied_rate, 0.9, 0.8));
    setTile('ratings', fmtInt(r.ratings) + ' ' + t.ratings);
    setTile('cameras', fmtInt(dev.cameras_recording) + ' / ' + fmtInt(dev.cameras), rateClass(dev.cameras_recording_rate, 0.98, 0.9));
    setTile('kiosks', fmtInt(dev.kiosks_online) + ' / ' + fmtInt(dev.kiosks), rateClass(dev.kiosks_online_rate, 0.98, 0.9));
    setTile('connectors', fmtInt(dev.connectors_reporting) + ' / ' + fmtInt(dev.connectors_expected),
      dev.connectors_expected > 0 ? rateClass(dev.connectors_reporting / dev.connectors_expected, 1, 0.9) : '');
  }

  /* Staleness: a tile is stale when its source kind went quiet at the hub,
   * or when the feed itself is quiet (hub gone): then every tile is. */
  function renderFreshness() {
    const feedQuiet = Date.now() - lastEventAt > QUIET_MS;
    const t = tr();
    document.querySelectorAll('.tile').forEach((tile) => {
      const badge = tile.querySelector('.fresh');
      let text, stale;
      const f = summary && summary.freshness[tile.dataset.src];
      if (feedQuiet) { stale = true; text = t.lost + (lastEventAt ? ' · ' + fmtAge(Date.now() - lastEventAt) : ''); }
      else if (!f || f.last_seen_ms == null) { stale = true; text = t.no_data; }
      else {
        const age = serverNow() - f.last_seen_ms;
        stale = age > STALE_MS;
        text = (stale ? t.stale + ' · ' : '') + fmtAge(age) + ' ' + t.ago;
      }
      tile.classList.toggle('stale', stale);
      tile.dataset.stale = stale ? '1' : '0';
      if (badge.textContent !== text) badge.textContent = text;
    });
    const conn = $('conn');
    conn.textContent = feedQuiet ? (denied ? (token ? t.denied : t.denied_none) : t.lost) : t.live;
    conn.className = 'conn ' + (feedQuiet ? 'conn-down' : 'conn-up');
    conn.dataset.state = feedQuiet ? (denied ? 'denied' : 'down') : 'up';
  }

  function cellClass(u) {
    const v = u[indicator];
    if (indicator === 'received') return v > 0 ? 'vol' : '';
    if (indicator === 'open_overdue') return u.open > 0 || v > 0 ? (v === 0 ? 'ok' : v <= 2 ? 'warn' : 'bad') : '';
    if (v == null) return '';
    if (indicator === 'online_rate') return v >= 0.8 ? 'ok' : v >= 0.5 ? 'warn' : 'bad';
    return v >= 0.95 ? 'ok' : v >= 0.85 ? 'warn' : 'bad';
  }
  function cellValue(u) { const v = u[indicator]; return indicator === 'open_overdue' || indicator === 'received' ? fmtInt(v) : fmtPct(v); }

  /* The grid's cells are created once per unit and updated in place. */
  function renderGrid() {
    const grid = $('grid');
    $('indicator-name').textContent = tr().ind[indicator];
    for (const u of units.values()) {
      if (u.kind !== 'xa' && u.kind !== 'phuong') continue;
      let cell = u._cell;
      if (!cell) {
        cell = document.createElement('div');
        cell.dataset.code = u.code;
        cell.innerHTML = '<span></span><b></b>';
        u._cell = cell;
        grid.appendChild(cell);
      }
      /* The hub judges a commune's staleness (its row carries "stale");
       * a commune never heard from is "no data", not stale. */
      const stale = u.last_seen_ms != null && u.stale === true;
      cell.className = 'cell ' + cellClass(u) + (stale ? ' stale' : '');
      const name = u.name.replace(/^(Phường|Xã) /, '');
      if (cell.firstChild.textContent !== name) cell.firstChild.textContent = name;
      const val = cellValue(u);
      if (cell.lastChild.textContent !== val) cell.lastChild.textContent = val;
    }
    const L = tr().legend;
    $('legend').innerHTML = '<span><i style="background:#17693f"></i>' + L[0] + '</span><span><i style="background:#8a6410"></i>' + L[1] +
      '</span><span><i style="background:#8f2326"></i>' + L[2] + '</span><span><i style="background:#2a3650"></i>' + L[3] + '</span>';
  }

  function renderRanking() {
    $('rank-cut').textContent = '(' + tr().min_volume.replace('{n}', minVolume) + ')';
    const list = ranking.slice(0, 10).concat(ranking.length > 15 ? ranking.slice(-5) : []);
    const ol = $('rank');
    const html = list.map((e) => {
      const u = units.get(e.code);
      return '<li><span>' + escapeHtml(u ? u.name : e.code) + '</span><span>' + fmtPct(e.value) + '</span></li>';
    }).join('');
    if (ol.innerHTML !== html) ol.innerHTML = html;
  }

  function escapeHtml(s) { return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c])); }

  function renderAlerts() {
    const ul = $('alerts');
    const t = tr();
    const html = denied || alerts.length === 0 ? alertsEmpty(t) : alerts.slice(0, MAX_ALERTS).map((a) =>
      '<li class="' + escapeHtml(a.state || '') + '" data-id="' + escapeHtml(a.id || '') + '"><div>' + escapeHtml(a.message || a.rule || '') +
      '</div><div class="a-meta">' + escapeHtml(t.states[a.state] || a.state || '') + ' · ' + escapeHtml(a.unit || a.scope || '') +
      (a.since_ms ? ' · ' + fmtAge(serverNow() - a.since_ms) + ' ' + t.ago : '') +
      (a.acked_by ? ' · ' + t.acked + ' ' + escapeHtml(a.acked_by) : '') + '</div></li>').join('');
    if (ul.innerHTML !== html) ul.innerHTML = html;
  }

  /* An empty rail says why: no alerts, not read yet, or refused (with the
   * hub's status and the token it wants) — never "no alerts" when it
   * cannot read them. */
  function alertsEmpty(t) {
    if (denied) return '<li class="empty error" data-error="' + denied.status + '">' + t.cannot_read_alerts + ': ' +
      denied.status + ' — ' + (denied.need === 'operator' ? t.need_operator : t.need_display) + '</li>';
    if (!feedOkSince) return '<li class="empty">' + t.connecting + '</li>';
    return '<li class="empty">' + t.no_alerts + '</li>';
  }

  function render() { renderTiles(); renderFreshness(); renderGrid(); renderRanking(); renderAlerts(); }

  function apply(ev, full) {
    clockOffset = ev.now_ms - Date.now();
    lastEventAt = Date.now();
    /* A delta carries the summary, ranking and alerts only when they changed. */
    if (ev.summary) summary = ev.summary;
    if (full) {
      for (const u of units.values()) if (u._cell) u._cell.remove();
      units.clear();
    }
    for (const row of ev.units) {
      const old = units.get(row.code);
      if (old) row._cell = old._cell;
      units.set(row.code, row);
    }
    if (ev.ranking) ranking = ev.ranking;
    if (ev.alerts) alerts = ev.alerts.slice(0, MAX_ALERTS);
    render();
  }

  /* ---- the feed, and what keeps it alive ---- */
  function connect() {
    if (es) es.close();
    es = new EventSource(withToken('/api/v1/feed'));
    es.addEventListener('snapshot', (e) => { feedOkSince = Date.now(); apply(JSON.parse(e.data), true); });
    es.addEventListener('delta', (e) => apply(JSON.parse(e.data), false));
    es.onerror = () => { renderFreshness(); /* EventSource retries by itself; the watchdog covers a closed one */ };
  }

  let quietSince = 0;
  async function checkDenied() {
    try {
      const r = await fetch(withToken('/api/v1/alerts'), { cache: 'no-store' });
      let need = 'display';
      if (r.status === 401 || r.status === 403) { try { need = (await r.json()).need || need; } catch (e) { /* keep */ } }
      denied = r.status === 401 || r.status === 403 ? { status: r.status, need } : null;
    } catch (e) { denied = null; /* the hub is not there at all */ }
    renderFreshness();
    renderAlerts();
  }
  function watchdog() {
    const quiet = Date.now() - lastEventAt > QUIET_MS;
    if (!quiet) { quietSince = 0; if (denied) { denied = null; renderAlerts(); } return; }
    if (!quietSince) quietSince = Date.now();
    checkDenied();
    /* A closed or silent stream: start a new one (the hub sends a snapshot). */
    if (!es || es.readyState === 2 || Date.now() - lastEventAt > 2 * QUIET_MS) connect();
    /* Still nothing after minutes: the page itself may be wedged. */
    if (Date.now() - quietSince > RELOAD_AFTER_MS) location.reload();
  }

  /* ---- the trend charts: fixed-size, server-downsampled, redrawn in place ----
   * Today by hour (the hub's memory) against the usual curve of this weekday
   * (median of the same weekday over the last 8 weeks), and the last 30 days,
   * both from /api/v1/history (InfluxDB).  Without history the charts say so
   * rather than draw a line of zeros. */
  const HOUR_MS = 3600e3, DAY_MS = 86400e3, LOCAL_OFFSET_MS = 7 * HOUR_MS; /* Vietnam: UTC+7, no DST */
  const localDayStart = (ms) => ms - ((ms + LOCAL_OFFSET_MS) % DAY_MS);
  const history = { today: new Array(24).fill(null), usual: new Array(24).fill(null), usualOk: false,
    d30x: [], d30y: [], d30Ok: false, d30Error: '' };
  let chart = null, chart30 = null;
  /* A hub without InfluxDB says so (503, "history": false); the page then
   * asks again only every half hour, not at every refresh. */
  const HISTORY_OFF_RETRY_MS = 30 * 60000;
  let historyOffUntil = 0;
  const historyOff = () => Date.now() < historyOffUntil;
  function noteHistoryAnswer(r) { if (r.status === 503 && r.body && r.body.history === false) historyOffUntil = Date.now() + HISTORY_OFF_RETRY_MS; }

  async function getJson(path) {
    const r = await fetch(withToken(path), { cache: 'no-store' });
    let body = null;
    try { body = await r.json(); } catch (e) { /* not JSON: treated as no answer */ }
    return { ok: r.ok, status: r.status, body };
  }
  function chartSize(el) { return { width: el.clientWidth || 900, height: Math.max(200, (el.clientHeight || 600) - 50) }; }
  function makeChart(el, series, data, xFormat) {
    const font = '16px "Be Vietnam Pro"';
    const axis = { stroke: '#8da0bd', grid: { stroke: '#22304a' }, font };
    const x = xFormat ? Object.assign({ values: xFormat }, axis) : axis;
    return new uPlot(Object.assign(chartSize(el), {
      scales: { x: { time: true } },
      /* The wall shows Vietnam's time whatever the screen PC's zone. */
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Asia/Ho_Chi_Minh'),
      axes: [x, axis], series: [{}].concat(series) }), data, el);
  }

  async function loadToday() {
    const t = tr(), now = serverNow(), start = localDayStart(now);
    const minutes = Math.max(1, Math.min(1440, Math.ceil((now - start) / 60000)));
    const today = new Array(24).fill(null);
    try {
      const r = await getJson('/api/v1/series?measurement=ioc_dossier&field=received&unit=all&step=3600&minutes=' + minutes);
      if (r.ok) for (const [ms, v] of r.body.points) {
        const h = Math.round((ms - start) / HOUR_MS);
        if (h >= 0 && h < 24) today[h] = v;
      }
    } catch (e) { /* the next round tries again */ }
    /* After a restart the hub's memory starts empty: the hours it lacks come
     * from InfluxDB when there is one (cached by the hub). */
    if (!historyOff() && today.some((v, h) => v == null && start + h * HOUR_MS < now)) {
      try {
        const r = await getJson('/api/v1/history?measurement=ioc_dossier&field=received&unit=all&step=3600&days=1');
        noteHistoryAnswer(r);
        if (r.ok) for (const [ms, v] of r.body.points) {
          const h = Math.round((ms - start) / HOUR_MS);
          if (h >= 0 && h < 24 && today[h] == null) today[h] = v;
        }
      } catch (e) { /* memory alone, then */ }
    }
    history.today = today;
    const xs = today.map((_, h) => (start + h * HOUR_MS) / 1000);
    const data = [xs, history.today, history.usual];
    const el = $('chart');
    const hourFmt = (u, splits) => splits.map((x) => uPlot.tzDate(new Date(x * 1e3), 'Asia/Ho_Chi_Minh').getHours() + ':00');
    if (!chart) chart = makeChart(el, [
      { label: t.series_today, stroke: '#4aa3ff', width: 3, fill: 'rgba(74,163,255,.15)' },
      { label: t.series_usual, stroke: '#f2b632', width: 2, dash: [10, 6] }], data, hourFmt);
    else chart.setData(data);
    $('usual-note').textContent = history.usualOk ? '· ' + t.usual_note : '· ' + t.usual_none;
  }

  async function loadHistory() {
    const t = tr();
    if (historyOff()) { loadToday(); return; }
    try {
      const r = await getJson('/api/v1/history?measurement=ioc_dossier&field=received&unit=all&profile=weekday&weeks=8&step=3600');
      noteHistoryAnswer(r);
      history.usualOk = r.ok && r.body.weeks_with_data > 0;
      history.usual = history.usualOk ? r.body.points.map((p) => p[1]) : new Array(24).fill(null);
    } catch (e) { history.usualOk = false; history.usual = new Array(24).fill(null); }
    try {
      const r = await getJson('/api/v1/history?measurement=ioc_dossier&field=received&unit=all&step=86400&days=30');
      history.d30Ok = r.ok && r.body.points.some((p) => p[1] != null);
      history.d30Error = r.ok ? '' : (r.body && r.body.error) || ('HTTP ' + r.status);
      history.d30x = history.d30Ok ? r.body.points.map((p) => p[0] / 1000) : [];
      history.d30y = history.d30Ok ? r.body.points.map((p) => p[1]) : [];
    } catch (e) { history.d30Ok = false; history.d30Error = String(e); }
    const el = $('chart30');
    el.classList.toggle('no-data', !history.d30Ok);
    el.dataset.points = String(history.d30y.filter((v) => v != null).length);
    el.title = history.d30Error;
    if (history.d30Ok) {
      const data = [history.d30x, history.d30y];
      const dayFmt = (u, splits) => splits.map((s) => uPlot.tzDate(new Date(s * 1e3), 'Asia/Ho_Chi_Minh').toLocaleDateString(tr().locale, { day: 'numeric', month: 'numeric' }));
      if (!chart30) chart30 = makeChart(el, [{ label: t.series_received, stroke: '#4aa3ff', width: 3,
        points: { show: true, size: 8 }, fill: 'rgba(74,163,255,.15)' }], data, dayFmt);
      else chart30.setData(data);
    }
    loadToday();
  }

  /* ---- pages ---- */
  const pages = params.get('page') ? ['page-' + params.get('page')] : ['page-map', 'page-trend'];
  let pageIdx = 0;
  function showPage() {
    document.querySelectorAll('.page').forEach((p) => p.classList.toggle('active', p.id === pages[pageIdx]));
    if (pages[pageIdx] === 'page-trend') {
      if (chart) chart.setSize(chartSize($('chart')));
      if (chart30) chart30.setSize(chartSize($('chart30')));
    }
  }
  function rotate() {
    pageIdx = (pageIdx + 1) % pages.length;
    if (pageIdx === 0 && INDICATORS.includes(indicator)) indicator = INDICATORS[(INDICATORS.indexOf(indicator) + 1) % INDICATORS.length];
    showPage();
    renderGrid();
  }

  $('lang').addEventListener('click', () => { lang = lang === 'vi' ? 'en' : 'vi'; localStorage.setItem('ioc.lang', lang); applyLang(); });
  setInterval(() => { $('clock').textContent = new Date().toLocaleTimeString(tr().locale, { hour12: false }); renderFreshness(); }, 1000);
  setInterval(watchdog, 2000);
  setInterval(loadToday, 60000);
  setInterval(loadHistory, 5 * 60000); /* the hub caches it a minute; days change slowly */
  if (ROTATE_S > 0 && pages.length > 1) setInterval(rotate, ROTATE_S * 1000);
  /* The browser keeps a record of every request for the Resource Timing API;
   * nobody reads it here, so it is kept short and emptied when full. */
  if (performance.setResourceTimingBufferSize) {
    performance.setResourceTimingBufferSize(100);
    performance.addEventListener('resourcetimingbufferfull', () => performance.clearResourceTimings());
  }
  showPage();
  applyLang();
  connect();
  loadHistory();
  loadPeers();
  setInterval(loadPeers, 5000);
  /* For the browser tests and bench/display-bench.mjs (refresh: the heap bench calls it faster than the timers). */
  window.iocWall = { units, history, refresh: loadHistory, get summary() { return summary; }, get peers() { return peers; } };
})();
