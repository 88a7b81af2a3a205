/* app.js — the province wall display's logic (PEERS.md lessons 10, 11).
 *
 * One EventSource on /api/v1/feed: a full snapshot on (re)connect, then
 * deltas as things change (at most 4 a second, at least one every 2 s),
 * each with only what changed: the rows that moved, and the summary,
 * ranking and alerts when they are new.  Memory stays flat: the unit table
 * is a Map keyed by the registry's codes (bounded by the registry), alerts
 * are capped, the charts get a fixed number of server-downsampled points
 * and are redrawn in place.  The page heals itself: EventSource reconnects,
 * a watchdog builds a new one when the stream goes quiet, and reloads the
 * page when that does not help for minutes.
 *
 * What it shows, and where from:
 *   tiles     the feed's summary (today), the queue's figures, devices; a
 *             Δ against the same weekday last week up to the same time of
 *             day from /api/v1/history (InfluxDB; none without it);
 *   pages     map (the communes as a grid, or a map when the hub serves a
 *             GeoJSON of them), rank (today's on-time ranking, this month's
 *             when too few communes reached the minimum volume today),
 *             trend (today by hour against the usual weekday, 30 days);
 *   alerts    the feed's active alerts, grouped by rule, firing first; the
 *             province-wide spike as a banner; who acked and what is
 *             silenced from /api/v1/alerts (polled).
 * Everything in Vietnam's time (Asia/Ho_Chi_Minh) and the page's language's
 * number format.  URL options: token=, lang=vi|en, rotate=SECONDS (0: off),
 * page=map|rank|trend, indicator=ontime_rate|open_overdue|satisfied_rate|
 * online_rate|received, commune_map=URL (default /api/v1/commune-map). */
'use strict';
(function () {
  const C = window.IocWallCommon;
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || '';
  const ROTATE_S = Number(params.get('rotate') ?? 30);
  const QUIET_MS = 6000;          /* no event for this long: stale, reconnect */
  const RELOAD_AFTER_MS = 5 * 60000; /* still no feed: reload the page */
  const STALE_MS = 180000;        /* a source silent this long is stale (as the hub's device window) */
  const MAX_ALERTS = 2000;        /* kept from the feed (the rail groups them) */
  const RANK_SHOW = 10;           /* entries per section of the ranking */
  const RANK_MIN_UNITS = 10;      /* fewer ranked today: this month's ranking instead */
  const COMMUNE_MAP_URL = params.get('commune_map') || '/api/v1/commune-map';
  /* Minimum type sizes, in vw, that fitting may shrink to (app.css). */
  const VALUE_MIN_VW = 1.9, TEXT_MIN_VW = 0.66;

  /* English plural "s" for a formatted count ("1" is the only singular the wall shows). */
  const plural = (n) => (String(n) === '1' ? '' : 's');
  const T = {
    vi: { title: 'Giám sát dịch vụ hành chính công', connecting: 'Đang kết nối…', live: 'Trực tiếp', lost: 'Mất kết nối',
      denied: 'Mã màn hình không còn hiệu lực',
      denied_none: 'Màn hình chưa có mã: mở với ?token=<mã hiển thị trong [http] display_tokens>',
      cannot_read_alerts: 'Không đọc được cảnh báo', need_display: 'cần mã hiển thị (display token)',
      need_operator: 'cần mã điều hành (operator token)',
      received: 'Tiếp nhận hôm nay', completed: 'Đã giải quyết (sớm / đúng / trễ hạn)', open: 'Đang xử lý / quá hạn',
      due_soon: 'Đến hạn trong 1 ngày làm việc', ontime: 'Tỷ lệ đúng hạn', online: 'Tỷ lệ nộp trực tuyến',
      satisfaction: 'Hài lòng hôm nay', cameras: 'Camera đang ghi hình', kiosks: 'Kiosk trực tuyến',
      connectors: 'Kết nối đang báo', waiting: 'Đang chờ tại quầy', issued: 'Vé đã phát hôm nay', served: 'Đã phục vụ hôm nay',
      wait_avg: 'Thời gian chờ trung bình', wait_max: 'Chờ lâu nhất hôm nay',
      communes: 'Các xã, phường', ranking: 'Xếp hạng tỷ lệ đúng hạn của xã, phường', rank_top: 'Tốt nhất', rank_bottom: 'Cần cải thiện',
      rank_cut_today: (n, k) => '· chỉ xếp xã có ít nhất ' + n + ' hồ sơ hôm nay (' + k + ' xã)',
      rank_cut_month: (n, k, m) => '· hôm nay mới có ' + k + ' xã đủ ' + n + ' hồ sơ: xếp theo tháng này (' + m + ' xã)',
      rank_none: (n) => 'Chưa có xã nào đủ ' + n + ' hồ sơ để xếp hạng', rank_vol: 'hs',
      trend_today: 'Tiếp nhận hôm nay theo giờ', trend_30d: 'Tiếp nhận 30 ngày qua', series_received: 'Hồ sơ tiếp nhận',
      series_today: 'Hôm nay', series_usual: 'Ngày thường (trung vị cùng thứ, 8 tuần)', usual_note: '· so với ngày thường',
      usual_none: '· chưa có lịch sử để so sánh', no_history: 'Chưa có lịch sử', alerts: 'Cảnh báo', no_alerts: 'Không có cảnh báo',
      channels: ['trực tiếp', 'trực tuyến', 'bưu chính'], overdue: 'quá hạn', ratings: 'lượt đánh giá',
      no_show: 'bỏ lượt', called: 'đã gọi', waiting_est: 'vé đã phát chưa được gọi', waiting_desks: 'theo các quầy',
      not_from_hub: 'hub chưa cung cấp', at: 'tại', of_den: 'trên', dossiers: 'hồ sơ',
      no_data: 'chưa có dữ liệu', stale: 'cũ', ago: 'trước', s: 'giây', m: 'phút', h: 'giờ', since: 'từ',
      vs_last_week: 'so tuần trước', pp: 'điểm',
      acked_by: 'đã xác nhận:', silenced: 'đã tắt thông báo', worst: 'tệ nhất',
      units_word: (n, communes) => n + (communes ? ' xã' : ' đơn vị'), n_alerts: (n) => '(' + n + ' cảnh báo)',
      more_alerts: (n) => '+ ' + n + ' nhóm cảnh báo khác', just_now: '< 1 phút',
      alerts_count: (f, p) => '· ' + f + ' đang cảnh báo, ' + p + ' chờ',
      states: { pending: 'chờ xác định', firing: 'đang cảnh báo', resolved: 'đã hết' },
      state_n: { pending: 'chờ', firing: 'đang cảnh báo' },
      spike_hourly: (v) => v + ' hồ sơ trễ hẹn mới trong giờ', spike_units: (v) => v + ' đơn vị tăng đột biến',
      province_wide: 'toàn tỉnh', and: 'và', connector: 'kết nối',
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
      connectors: 'Connectors reporting', waiting: 'Waiting at the desks', issued: 'Tickets issued today', served: 'Served today',
      wait_avg: 'Average wait', wait_max: 'Longest wait today',
      communes: 'Communes and wards', ranking: 'On-time ranking of communes', rank_top: 'Best', rank_bottom: 'Need attention',
      rank_cut_today: (n, k) => '· communes with at least ' + n + ' dossiers today only (' + k + ')',
      rank_cut_month: (n, k, m) => '· only ' + k + ' communes reached ' + n + ' dossiers today: ranked on this month (' + m + ')',
      rank_none: (n) => 'No commune has ' + n + ' dossiers to rank yet', rank_vol: 'doss.',
      trend_today: 'Received today by hour', trend_30d: 'Received, last 30 days', series_received: 'Dossiers received',
      series_today: 'Today', series_usual: 'Usual (median of the same weekday, 8 weeks)', usual_note: '· against a usual day',
      usual_none: '· no history to compare with', no_history: 'No history', alerts: 'Alerts', no_alerts: 'No alerts',
      channels: ['in person', 'online', 'postal'], overdue: 'overdue', ratings: 'ratings',
      no_show: 'no-shows', called: 'called', waiting_est: 'tickets issued, not yet called', waiting_desks: 'as the desks report',
      not_from_hub: 'not provided by the hub yet', at: 'at', of_den: 'of', dossiers: 'dossiers',
      no_data: 'no data yet', stale: 'stale', ago: 'ago', s: 's', m: 'min', h: 'h', since: 'since',
      vs_last_week: 'vs last week', pp: 'pts',
      acked_by: 'acknowledged:', silenced: 'silenced', worst: 'worst',
      units_word: (n, communes) => n + (communes ? ' commune' : ' unit') + plural(n), n_alerts: (n) => '(' + n + ' alert' + plural(n) + ')',
      more_alerts: (n) => '+ ' + n + ' more alert group' + plural(n), just_now: '< 1 min',
      alerts_count: (f, p) => '· ' + f + ' firing, ' + p + ' pending',
      states: { pending: 'pending', firing: 'firing', resolved: 'resolved' },
      state_n: { pending: 'pending', firing: 'firing' },
      spike_hourly: (v) => v + ' dossier' + plural(v) + ' newly overdue this hour', spike_units: (v) => v + ' unit' + plural(v) + ' in a spike',
      province_wide: 'province-wide', and: 'and', connector: 'connector',
      ind: { ontime_rate: 'On-time rate', open_overdue: 'Overdue dossiers', satisfied_rate: 'Satisfaction', online_rate: 'Online share', received: 'Dossiers received today' },
      legend: ['good', 'watch', 'poor', 'no data'], lang: 'VI', locale: 'en-GB',
      hubs_note: (n) => 'Province total of ' + n + ' hubs', this_hub: "this hub's communes only" },
  };
  let lang = params.get('lang') || localStorage.getItem('ioc.lang') || 'vi';
  if (!T[lang]) lang = 'vi';
  let fmt = C.formats(T[lang].locale);
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
  const valueMin = () => VALUE_MIN_VW * C.vw(), textMin = () => TEXT_MIN_VW * C.vw();
  const isCommune = (u) => u && (u.kind === 'xa' || u.kind === 'phuong');
  const shortName = (name) => String(name || '').replace(/^(Phường|Xã) /, '');
  const unitName = (code) => { const u = units.get(code); return u ? u.name : code; };

  function fmtAge(ms) {
    const t = tr(); const s = Math.max(0, Math.round(ms / 1000));
    if (s < 120) return s + ' ' + t.s;
    if (s < 7200) return Math.round(s / 60) + ' ' + t.m;
    return Math.round(s / 3600) + ' ' + t.h;
  }
  /* A wait in seconds: "45 giây", "12 phút", "1 giờ 05". */
  function fmtWait(s) {
    const t = tr();
    if (s == null || !isFinite(s)) return '–';
    s = Math.round(s);
    if (s < 60) return s + ' ' + t.s;
    if (s < 3600) return Math.round(s / 60) + ' ' + t.m;
    const m = Math.round(s / 60);
    return Math.floor(m / 60) + ' ' + t.h + ' ' + String(m % 60).padStart(2, '0');
  }
  function rateClass(v, good, warn) { return v == null ? '' : v >= good ? 'v-ok' : v >= warn ? 'v-warn' : 'v-bad'; }
  function escapeHtml(s) { return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c])); }

  async function getJson(path) {
    const r = await fetch(withToken(path), { cache: 'no-store' });
    let body = null;
    try { body = await r.json(); } catch (e) { /* not JSON: treated as no answer */ }
    return { ok: r.ok, status: r.status, body };
  }

  function applyLang() {
    document.documentElement.lang = lang;
    fmt = C.formats(tr().locale);
    document.querySelectorAll('[data-i18n]').forEach((el) => { const k = el.dataset.i18n; if (typeof tr()[k] === 'string') el.textContent = tr()[k]; });
    $('lang').textContent = tr().lang;
    rankHtml = alertsHtml = '';
    rebuildCharts();
    render();
    fitAll();
  }

  /* ---- the title: the province, from the registry's provincial unit ---- */
  function renderTitle() {
    let code = null, fallback = '';
    for (const u of units.values()) if (u.kind === 'tinh') { code = u.code.replace(/^tinh-/, ''); fallback = u.name; break; }
    let name = code ? C.provinceTitle(code, lang) : '';
    if (!name && fallback) { const m = /(tỉnh|thành phố)\s+(.+)$/i.exec(fallback); name = m ? m[0].replace(/^./, (c) => c.toUpperCase()) : fallback; }
    const el = $('province');
    if (el.textContent !== name) { el.textContent = name; document.title = 'IOC — ' + (name || tr().title); }
    $('title-sep').hidden = !name;
  }

  /* ---- tiles ---- */
  function setTile(key, text, cls) {
    const el = document.querySelector('[data-v="' + key + '"]');
    if (!el) return;
    if (el.textContent !== text) {
      el.textContent = text;
      C.fitLater(el, el.classList.contains('t-value') ? valueMin() : textMin());
    }
    const want = el.className.split(' ').filter((c) => c && !c.startsWith('v-')).concat(cls ? [cls] : []).join(' ');
    if (el.className !== want) el.className = want;
  }

  /* Several hubs splitting the province ([hub] units_owned, SPEC §9): the
   * tiles show the province, i.e. this hub's live figures plus the other
   * hubs' latest rollups from /api/v1/federation (at most a minute behind).
   * What the rollups cannot add up (the channel split, the online rate,
   * dossiers due soon, waits) stays this hub's and says so.  peers: null
   * with one hub or without [federation]; else { n, today } with today the
   * other current hubs' summed totals. */
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
    const d = summary.today, dev = summary.devices, r = summary.rating_today, q = summary.queue_today || {};
    if (!peers) return { d, dev, r, q };
    const o = peers.today, od = o.ioc_dossier || {}, orr = o.ioc_rating || {}, odev = o.ioc_device || {}, oq = o.ioc_queue || {};
    const add = (x, k) => (x || 0) + (k || 0);
    const dd = Object.assign({}, d, {
      received: Object.assign({}, d.received, { total: add(d.received.total, od.received) }),
      completed_early: add(d.completed_early, od.completed_early), completed_ontime: add(d.completed_ontime, od.completed_ontime),
      completed_late: add(d.completed_late, od.completed_late), open: add(d.open, od.open), open_overdue: add(d.open_overdue, od.open_overdue) });
    dd.completed = dd.completed_early + dd.completed_ontime + dd.completed_late;
    /* As on the national wall: open dossiers are on time until their deadline passes. */
    const den = dd.completed + dd.open;
    dd.ontime_den = den;
    dd.ontime_rate = den > 0 ? (dd.completed_early + dd.completed_ontime + Math.max(0, dd.open - dd.open_overdue)) / den : null;
    const ratings = add(r.ratings, orr.ratings), satisfied = add(r.satisfied, orr.satisfied);
    const rr = { ratings, satisfied, satisfied_rate: ratings > 0 ? satisfied / ratings : null };
    const qq = Object.assign({}, q);
    for (const k of ['issued', 'called', 'served', 'no_show']) qq[k] = add(q[k], oq[k]);
    const dv = {};
    for (const k of ['cameras', 'cameras_recording', 'kiosks', 'kiosks_online', 'connectors_expected', 'connectors_reporting']) dv[k] = add(dev[k], odev[k]);
    dv.cameras_recording_rate = dv.cameras > 0 ? dv.cameras_recording / dv.cameras : null;
    dv.kiosks_online_rate = dv.kiosks > 0 ? dv.kiosks_online / dv.kiosks : null;
    return { d: dd, dev: dv, r: rr, q: qq };
  }

  function renderTiles() {
    if (!summary) return;
    const { d, dev, r, q } = provinceView(), t = tr();
    const hubs = $('hubs');
    hubs.hidden = !peers;
    hubs.textContent = peers ? t.hubs_note(peers.n) : '';
    document.querySelectorAll('[data-local-only]').forEach((el) => { el.title = peers ? t.this_hub : ''; el.classList.toggle('local-only', !!peers); });
    setTile('received', fmt.int(d.received.total));
    setTile('received_split', t.channels.map((c, i) => c + ' ' + fmt.int([d.received.in_person, d.received.online, d.received.postal][i])).join(' · '));
    setTile('completed', fmt.int(d.completed));
    setTile('completed_split', fmt.int(d.completed_early) + ' / ' + fmt.int(d.completed_ontime) + ' / ' + fmt.int(d.completed_late),
      d.completed_late > 0 ? 'v-warn' : '');
    setTile('open', fmt.int(d.open));
    setTile('open_overdue', fmt.int(d.open_overdue) + ' ' + t.overdue, d.open_overdue > 0 ? 'v-bad' : '');
    setTile('due_soon', fmt.int(d.due_soon), d.due_soon > 0 ? 'v-warn' : '');
    setTile('ontime_rate', fmt.pct(d.ontime_rate), rateClass(d.ontime_rate, 0.95, 0.85));
    setTile('ontime_sub', d.ontime_den ? t.of_den + ' ' + fmt.int(d.ontime_den) + ' ' + t.dossiers : '');
    setTile('online_rate', fmt.pct(d.online_rate));
    setTile('satisfied_rate', fmt.pct(r.satisfied_rate), rateClass(r.satisfied_rate, 0.9, 0.8));
    setTile('ratings', fmt.int(r.ratings) + ' ' + t.ratings);
    /* Queues.  Waiting now: the desks' own count when the hub has it,
     * else the tickets issued today and neither called nor given up. */
    const estimated = q.waiting == null;
    const waiting = estimated ? (q.issued == null ? null : Math.max(0, q.issued - (q.called || 0) - (q.no_show || 0))) : q.waiting;
    setTile('waiting', fmt.int(waiting), waiting > 0 && q.wait_max_s > 3600 ? 'v-warn' : '');
    setTile('waiting_sub', estimated ? t.waiting_est : t.waiting_desks);
    setTile('issued', fmt.int(q.issued));
    setTile('no_show', fmt.int(q.no_show) + ' ' + t.no_show);
    setTile('served', fmt.int(q.served));
    setTile('called', t.called + ' ' + fmt.int(q.called));
    setTile('wait_avg', fmtWait(q.wait_avg_s));
    setTile('wait_avg_sub', q.wait_avg_s == null ? t.not_from_hub : '');
    setTile('wait_max', fmtWait(q.wait_max_s), q.wait_max_s > 3600 ? 'v-bad' : q.wait_max_s > 1800 ? 'v-warn' : '');
    setTile('wait_max_sub', q.wait_max_s == null ? t.not_from_hub : q.wait_max_unit ? t.at + ' ' + shortName(unitName(q.wait_max_unit)) : '');
    /* Devices: the share is the value (it fits), the counts go underneath. */
    const share = (key, num, den, good, warn) => {
      const v = den > 0 ? num / den : null;
      setTile(key, fmt.pct(v), rateClass(v, good, warn));
      setTile(key + '_count', fmt.int(num) + ' / ' + fmt.int(den));
    };
    share('cameras', dev.cameras_recording, dev.cameras, 0.98, 0.9);
    share('kiosks', dev.kiosks_online, dev.kiosks, 0.98, 0.9);
    share('connectors', dev.connectors_reporting, dev.connectors_expected, 1, 0.9);
    renderDeltas({ received: d.received.total, completed: d.completed, issued: q.issued, served: q.served,
      satisfied_rate: r.satisfied_rate });
  }

  /* Staleness: a tile is stale when its source kind went quiet at the hub,
   * or when the feed itself is quiet (hub gone): then every tile is.  A
   * fresh tile shows a dot (its age on hover); a stale one says since when. */
  function renderFreshness() {
    const feedQuiet = Date.now() - lastEventAt > QUIET_MS;
    const t = tr();
    document.querySelectorAll('.tile').forEach((tile) => {
      const badge = tile.querySelector('.fresh');
      let text, stale, age = null;
      const f = summary && summary.freshness[tile.dataset.src];
      if (feedQuiet) { stale = true; text = t.lost + (lastEventAt ? ' · ' + fmtAge(Date.now() - lastEventAt) : ''); }
      else if (!f || f.last_seen_ms == null) { stale = true; text = t.no_data; }
      else {
        age = serverNow() - f.last_seen_ms;
        stale = age > STALE_MS;
        text = stale ? t.stale + ' · ' + fmtAge(age) : '●';
      }
      tile.classList.toggle('stale', stale);
      tile.dataset.stale = stale ? '1' : '0';
      if (badge.textContent !== text) badge.textContent = text;
      const title = age == null ? '' : fmtAge(age) + ' ' + t.ago;
      if (badge.title !== title) badge.title = title;
    });
    const conn = $('conn');
    conn.textContent = feedQuiet ? (denied ? (token ? t.denied : t.denied_none) : t.lost) : t.live;
    conn.className = 'conn ' + (feedQuiet ? 'conn-down' : 'conn-up');
    conn.dataset.state = feedQuiet ? (denied ? 'denied' : 'down') : 'up';
  }

  /* ---- Δ against last week: the same weekday, up to the same time of day ----
   * /api/v1/history by hour over 8 days; last week's figure is the sum of
   * that day's hours up to now's time of day (the running hour pro rata).
   * Counters only, and the satisfaction rate (in points).  No InfluxDB, or
   * no point last week: no Δ. */
  const DELTA_FIELDS = {
    received: [['ioc_dossier', 'received']],
    completed: [['ioc_dossier', 'completed_early'], ['ioc_dossier', 'completed_ontime'], ['ioc_dossier', 'completed_late']],
    issued: [['ioc_queue', 'issued']],
    served: [['ioc_queue', 'served']],
    satisfied_rate: [['ioc_rating', 'satisfied'], ['ioc_rating', 'ratings']],
  };
  const deltaBase = {};   /* key → number (last week to the same time), or absent */
  async function lastWeekSum(m, field) {
    const r = await getJson('/api/v1/history?measurement=' + m + '&field=' + field + '&unit=all&step=3600&days=8');
    noteHistoryAnswer(r);
    if (!r.ok || !r.body || !Array.isArray(r.body.points)) return null;
    const now = serverNow(), start = C.localDayStart(now) - 7 * 86400e3, end = start + (now - C.localDayStart(now));
    let sum = 0, any = false;
    for (const [ms, v] of r.body.points) {
      if (ms < start || ms >= start + 86400e3) continue;
      if (v != null) any = true;
      if (v == null || ms >= end) continue;
      sum += ms + HOUR_MS <= end ? v : v * (end - ms) / HOUR_MS;
    }
    return any ? sum : null;
  }
  async function loadDeltas() {
    if (historyOff()) { for (const k in deltaBase) delete deltaBase[k]; renderTiles(); return; }
    for (const [key, fields] of Object.entries(DELTA_FIELDS)) {
      try {
        const vals = [];
        for (const [m, f] of fields) vals.push(await lastWeekSum(m, f));
        if (vals.some((v) => v == null)) delete deltaBase[key];
        else deltaBase[key] = key === 'satisfied_rate' ? (vals[1] > 0 ? vals[0] / vals[1] : null) : vals.reduce((a, b) => a + b, 0);
      } catch (e) { delete deltaBase[key]; }
      if (historyOff()) break;
    }
    renderTiles();
  }
  function renderDeltas(now) {
    const t = tr();
    for (const key of Object.keys(DELTA_FIELDS)) {
      const el = document.querySelector('[data-delta="' + key + '"]');
      if (!el) continue;
      const base = deltaBase[key], v = now[key];
      let text = '', cls = 'delta';
      if (base != null && v != null) {
        if (key === 'satisfied_rate') {
          const d = (v - base) * 100;
          text = (d >= 0.05 ? '▲ ' : d <= -0.05 ? '▼ ' : '= ') + fmt.one(Math.abs(d)) + ' ' + t.pp + ' ' + t.vs_last_week;
          cls += d >= 0.05 ? ' up' : d <= -0.05 ? ' down' : '';
        } else if (base > 0) {
          const d = (v - base) / base;
          text = (d >= 0.005 ? '▲ ' : d <= -0.005 ? '▼ ' : '= ') + fmt.int(Math.abs(d * 100)) + ' % ' + t.vs_last_week;
          cls += d >= 0.005 ? ' up' : d <= -0.005 ? ' down' : '';
        } else {
          text = (v > 0 ? '▲ +' : '= ') + fmt.int(v) + ' ' + t.vs_last_week;
          cls += v > 0 ? ' up' : '';
        }
      }
      if (el.textContent !== text) { el.textContent = text; C.fitLater(el, textMin()); }
      if (el.className !== cls) el.className = cls;
    }
  }

  /* ---- the communes: a grid of tiles, or the province's map ---- */
  function cellClass(u) {
    const v = u[indicator];
    if (indicator === 'received') return v > 0 ? 'vol' : '';
    if (indicator === 'open_overdue') return u.open > 0 || v > 0 ? (v === 0 ? 'ok' : v <= 2 ? 'warn' : 'bad') : '';
    if (v == null) return '';
    if (indicator === 'online_rate') return v >= 0.8 ? 'ok' : v >= 0.5 ? 'warn' : 'bad';
    return v >= 0.95 ? 'ok' : v >= 0.85 ? 'warn' : 'bad';
  }
  function cellValue(u) { const v = u[indicator]; return indicator === 'open_overdue' || indicator === 'received' ? fmt.int(v) : fmt.pct(v); }

  /* The grid's cells are created once per unit and updated in place. */
  let gridCount = 0;
  function renderGrid() {
    const grid = $('grid');
    $('indicator-name').textContent = tr().ind[indicator];
    let n = 0;
    for (const u of units.values()) {
      if (!isCommune(u)) continue;
      n++;
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
      const cls = 'cell ' + cellClass(u) + (stale ? ' stale' : '');
      if (cell.className !== cls) cell.className = cls;
      const name = shortName(u.name);
      if (cell.firstChild.textContent !== name) cell.firstChild.textContent = name;
      const val = cellValue(u);
      if (cell.lastChild.textContent !== val) cell.lastChild.textContent = val;
    }
    if (n !== gridCount) { gridCount = n; fitGrid(); }
    renderMap();
    const L = tr().legend;
    const legend = '<span><i style="background:var(--c-ok)"></i>' + L[0] + '</span><span><i style="background:var(--c-warn)"></i>' + L[1] +
      '</span><span><i style="background:var(--c-bad)"></i>' + L[2] + '</span><span><i style="background:var(--none)"></i>' + L[3] + '</span>';
    if ($('legend').innerHTML !== legend) $('legend').innerHTML = legend;
  }

  /* Picks the grid's columns, row height and type size so that every
   * commune fits with its whole name on one line: the largest size (up to
   * 1vw) at which the widest name and a "100,0 %" make a cell narrow enough
   * for the rows to fit the panel's height. */
  let measureCtx = null;
  function widest(texts, font) {
    measureCtx = measureCtx || document.createElement('canvas').getContext('2d');
    measureCtx.font = font;
    let w = 0;
    for (const s of texts) w = Math.max(w, measureCtx.measureText(s).width);
    return w;
  }
  function fitGrid() {
    const grid = $('grid');
    if (grid.hidden || !grid.clientWidth) return;
    const names = [];
    for (const u of units.values()) if (isCommune(u)) names.push(shortName(u.name));
    const n = Math.max(1, names.length), vw = C.vw(), gap = 0.2 * vw, pad = 0.6 * vw + 2;
    const W = grid.clientWidth, H = grid.clientHeight;
    const nameK = widest(names, '400 100px "Be Vietnam Pro"') / 100;
    const valK = widest(['100,0 %', '100.0 %', '–'], '700 100px "Be Vietnam Pro"') / 100 * 1.15;
    let pick = null;
    for (let f = Math.round(vw * 10) / 10; f >= TEXT_MIN_VW * vw - 0.01; f -= 0.25) {
      const cw = Math.max(nameK, valK) * f + pad;
      const cols = Math.max(1, Math.floor((W + gap) / (cw + gap)));
      const rows = Math.ceil(n / cols);
      const ch = Math.ceil(f * 1.2 + f * 1.15 * 1.15 + 2);
      if (rows * (ch + gap) - gap <= H) { pick = { f, cols, rows, ch }; break; }
    }
    if (!pick) { /* too many communes for the panel even at the smallest type: the layout test says so */
      const f = TEXT_MIN_VW * vw, cw = Math.max(nameK, valK) * f + pad, cols = Math.max(1, Math.floor((W + gap) / (cw + gap)));
      pick = { f, cols, rows: Math.ceil(n / cols), ch: Math.ceil(f * 1.2 + f * 1.15 * 1.15 + 2) };
    }
    /* Rows share the spare height, up to half as tall again. */
    const rowH = Math.min(Math.floor((H - (pick.rows - 1) * gap) / pick.rows), Math.ceil(pick.ch * 1.5));
    grid.style.setProperty('--cols', String(pick.cols));
    grid.style.setProperty('--row-h', Math.max(pick.ch, rowH) + 'px');
    grid.style.setProperty('--cell-fs', pick.f.toFixed(2) + 'px');
    grid.dataset.fontPx = pick.f.toFixed(2);
  }

  /* A GeoJSON of the province's communes (features keyed by
   * properties.code, a registry code such as "xa-16681", or
   * properties.commune_code, its 5 digits), served by the hub at
   * COMMUNE_MAP_URL when it has one ([http] commune_map): drawn in the
   * grid's place with the same colours.  None (404), or one that names no
   * commune of the registry: the grid stays. */
  let communeMap = null;  /* { svg, byCode: Map code → { path, label, value } } */
  let communeMapTried = false;
  async function loadCommuneMap() {
    if (communeMapTried) return;
    let geo = null;
    try {
      const r = await fetch(withToken(COMMUNE_MAP_URL), { cache: 'no-store' });
      if (!r.ok) { communeMapTried = r.status !== 0; return; }
      geo = await r.json();
    } catch (e) { return; /* the hub is away: try again with the next snapshot */ }
    communeMapTried = true;
    const codeOf = (p) => typeof p.code === 'string' ? p.code
      : p.commune_code != null ? 'xa-' + String(p.commune_code).padStart(5, '0') : null;
    const box = $('commune-map');
    const { viewBox, shapes } = C.geoShapes(geo, 1000);
    const known = shapes.filter((s) => units.has(codeOf(s.props)));
    if (!known.length) return;
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', viewBox);
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    const byCode = new Map();
    for (const s of known) {
      const code = codeOf(s.props);
      const path = document.createElementNS(NS, 'path');
      path.setAttribute('d', s.d);
      path.setAttribute('class', 'region');
      path.dataset.code = code;
      const title = document.createElementNS(NS, 'title');
      path.appendChild(title);
      svg.appendChild(path);
      byCode.set(code, { path, title, shape: s, label: null });
    }
    for (const e of byCode.values()) {  /* labels above every region */
      const label = document.createElementNS(NS, 'text');
      label.setAttribute('class', 'map-label');
      label.setAttribute('x', e.shape.cx.toFixed(1));
      label.setAttribute('y', e.shape.cy.toFixed(1));
      svg.appendChild(label);
      e.label = label;
    }
    box.textContent = '';
    box.appendChild(svg);
    communeMap = { svg, byCode };
    box.hidden = false;
    $('grid').hidden = true;
    box.dataset.regions = String(byCode.size);
    renderMap();
  }
  /* Colours and labels; a label only where the region is wide enough for
   * the commune's name at the smallest type size. */
  function renderMap() {
    if (!communeMap) return;
    const box = $('commune-map');
    const vb = communeMap.svg.viewBox.baseVal;
    const scale = vb && vb.width ? Math.min(box.clientWidth / vb.width, box.clientHeight / vb.height) : 0;
    const fpx = Math.max(textMin(), 0.75 * C.vw());
    for (const [code, e] of communeMap.byCode) {
      const u = units.get(code);
      if (!u) continue;
      const stale = u.last_seen_ms != null && u.stale === true;
      const cls = 'region ' + cellClass(u) + (stale ? ' stale' : '');
      if (e.path.getAttribute('class') !== cls) e.path.setAttribute('class', cls);
      const text = shortName(u.name) + ' ' + cellValue(u);
      if (e.title.textContent !== text) e.title.textContent = text;
      const fits = scale > 0 && widest([shortName(u.name)], '700 ' + fpx + 'px "Be Vietnam Pro"') <= e.shape.w * scale
        && fpx * 2.4 <= e.shape.h * scale;
      const want = fits ? shortName(u.name) : '';
      if (e.label.dataset.text !== want + cellValue(u)) {
        e.label.dataset.text = want + cellValue(u);
        e.label.textContent = '';
        if (fits) {
          const NS = 'http://www.w3.org/2000/svg';
          const a = document.createElementNS(NS, 'tspan'), b = document.createElementNS(NS, 'tspan');
          a.setAttribute('x', e.shape.cx.toFixed(1)); a.setAttribute('dy', '-0.2em'); a.textContent = shortName(u.name);
          b.setAttribute('x', e.shape.cx.toFixed(1)); b.setAttribute('dy', '1.15em'); b.textContent = cellValue(u);
          e.label.append(a, b);
        }
      }
      e.label.setAttribute('font-size', scale > 0 ? (fpx / scale).toFixed(2) : '0');
    }
  }

  /* ---- the ranking: numbered, best and worst apart, the cut stated ----
   * Today's ranking comes with the feed (communes with at least minVolume
   * dossiers today).  Early in the day few communes have that many: below
   * RANK_MIN_UNITS the page ranks on this month instead (/api/v1/units
   * ?period=month, asked once a minute while needed) and says so. */
  let monthRank = null, monthLoadedAt = 0;
  async function loadMonthRanking() {
    try {
      const r = await getJson('/api/v1/units?period=month&min_volume=' + minVolume);
      if (!r.ok || !r.body) return;
      const vol = new Map(r.body.units.map((u) => [u.code, u.received]));
      monthRank = r.body.ranking.map((e) => ({ code: e.code, value: e.value, volume: vol.get(e.code) }));
      monthLoadedAt = Date.now();
      renderRanking();
    } catch (e) { /* next minute */ }
  }
  let rankHtml = '';
  function renderRanking() {
    const t = tr();
    const today = ranking.filter((e) => isCommune(units.get(e.code))).map((e) => ({ code: e.code, value: e.value, volume: (units.get(e.code) || {}).received }));
    let list = today, cut;
    if (today.length >= RANK_MIN_UNITS) cut = t.rank_cut_today(fmt.int(minVolume), today.length);
    else {
      if (units.size && Date.now() - monthLoadedAt > 60000) { monthLoadedAt = Date.now(); loadMonthRanking(); }
      const month = (monthRank || []).filter((e) => isCommune(units.get(e.code)));
      if (month.length > today.length) { list = month; cut = t.rank_cut_month(fmt.int(minVolume), today.length, month.length); }
      else cut = t.rank_cut_today(fmt.int(minVolume), today.length);
    }
    const nTop = Math.min(RANK_SHOW, Math.ceil(list.length / 2));
    const nBottom = Math.min(RANK_SHOW, list.length - nTop);
    const row = (e, i) => '<li data-code="' + escapeHtml(e.code) + '"><span class="r-no">' + (i + 1) + '.</span><span class="r-name">' +
      escapeHtml(unitName(e.code)) + '</span><span class="r-vol">' + (e.volume != null ? fmt.int(e.volume) + ' ' + t.rank_vol : '') +
      '</span><span class="r-val ' + rateClass(e.value, 0.95, 0.85) + '">' + fmt.pct(e.value) + '</span></li>';
    const top = list.length ? list.slice(0, nTop).map(row).join('') : '<li class="empty">' + escapeHtml(t.rank_none(fmt.int(minVolume))) + '</li>';
    const bottom = list.slice(list.length - nBottom).map((e, i) => row(e, list.length - nBottom + i)).reverse().join('');
    const html = cut + '|' + top + '|' + bottom;
    if (html === rankHtml) return;
    rankHtml = html;
    $('rank-cut').textContent = cut;
    $('rank-top').innerHTML = top;
    $('rank-bottom').innerHTML = bottom;
    $('page-rank').dataset.period = list === today ? 'today' : 'month';
    document.querySelectorAll('#page-rank .r-name').forEach((el) => C.fitLater(el, textMin()));
    C.fitLater($('rank-cut'), textMin());
  }

  /* ---- alerts ----
   * The feed carries the active alerts (id, rule, unit, severity, state,
   * since_ms, value, message, acked_by).  What it lacks — the rule's kind,
   * its threshold, whether a silence covers it — comes from /api/v1/alerts,
   * polled.  The province-wide spike turns the header red and says so;
   * then one entry per rule, firing before pending, not yet handled (acked
   * or silenced) before handled, then by severity and by age (oldest
   * first); a rule with several units says how many and names the worst. */
  const alertInfo = new Map();  /* id → { kind, threshold, silenced, detail, group, ack } from /api/v1/alerts */
  async function loadAlertInfo() {
    try {
      const r = await getJson('/api/v1/alerts');
      if (!r.ok || !r.body || !Array.isArray(r.body.alerts)) return;
      alertInfo.clear();
      for (const a of r.body.alerts.slice(0, MAX_ALERTS))
        alertInfo.set(a.id, { kind: a.kind, threshold: a.threshold, silenced: !!a.silenced, detail: a.detail, group: a.group, ack: a.ack });
      renderAlerts();
    } catch (e) { /* the feed's alerts alone, then */ }
  }
  const SEV = { critical: 3, warning: 2, info: 1 };
  const isSpike = (a) => a.kind === 'overdue_spike_province'
    || (a.kind == null && a.severity === 'critical' && a.unit == null && (a.scope === 'hourly' || a.scope === 'units'));
  /* Lower is worse for a rate under its threshold; higher for counts. */
  const lowerIsWorse = (a) => a.kind === 'threshold' && (a.threshold == null || a.value < a.threshold);
  const isRate = (a) => a.kind === 'threshold' && a.value <= 1 && (a.threshold == null || a.threshold <= 1);
  const alertValue = (a) => isRate(a) ? fmt.pct(a.value) : fmt.int(a.value);
  function whereOf(a) {
    const t = tr();
    if (a.unit) return unitName(a.unit);
    if (a.scope === 'all') return t.province_wide;
    if (/^(desk|kiosk|camera|portal)\//.test(a.scope || '')) return t.connector + ' ' + a.scope;
    return a.scope || '';
  }
  /* "từ 14:25 (22 phút)": minutes only, so the rail changes once a minute, not with every event. */
  function sinceText(ms) {
    if (!ms) return '';
    const min = Math.max(0, Math.floor((serverNow() - ms) / 60000));
    return tr().since + '\u00a0' + fmt.hm(ms) + ' (' + (min < 1 ? tr().just_now : min < 120 ? min + ' ' + tr().m : Math.floor(min / 60) + ' ' + tr().h) + ')';
  }
  /* The rule's summary: its English one on the English wall, where the rule has it. */
  const alertText = (a) => (lang === 'en' && a.message_en) || a.message || a.rule;
  let alertsHtml = '', bannerHtml = '';
  function renderAlerts() {
    const t = tr(), now = serverNow();
    /* The feed's "unit" of a zero-tolerance alert is its scope, "xa-…/day/n". */
    const list = alerts.filter((a) => a.state === 'firing' || a.state === 'pending')
      .map((a) => Object.assign({}, a, alertInfo.get(a.id) || {}, { acked_by: a.acked_by, unit: a.unit ? String(a.unit).split('/')[0] : null }));
    const handled = (a) => !!a.acked_by || !!a.silenced;
    /* The banner: the province-wide spike, firing (or pending) first. */
    const spikes = list.filter(isSpike).sort((x, y) => (x.state === 'firing' ? 0 : 1) - (y.state === 'firing' ? 0 : 1) || x.since_ms - y.since_ms);
    let banner = '';
    if (spikes.length) {
      const a = spikes[0];
      const what = a.scope === 'hourly' ? t.spike_hourly(fmt.int(a.value)) : a.scope === 'units' ? t.spike_units(fmt.int(a.value)) : '';
      banner = '<span class="b-icon">⚠</span><div class="b-body"><div class="b-text">' + escapeHtml(alertText(a)) + '</div>' +
        '<div class="b-meta">' + escapeHtml([what, t.states[a.state] || a.state, sinceText(a.since_ms)].filter(Boolean).join(' · ')) +
        (a.acked_by ? ' · ✓ ' + escapeHtml(t.acked_by + ' ' + a.acked_by) : '') + (a.silenced ? ' · ' + escapeHtml(t.silenced) : '') +
        (spikes.length > 1 ? ' · +' + fmt.int(spikes.length - 1) : '') + '</div></div>';
    }
    if (banner !== bannerHtml) {
      const b = $('banner');
      bannerHtml = banner;
      b.innerHTML = banner;
      b.hidden = !banner;
      const bar = document.querySelector('.bar');
      bar.classList.toggle('alarm', !!banner);
      bar.classList.toggle('acked', !!(spikes[0] && handled(spikes[0])));
      b.dataset.state = spikes[0] ? spikes[0].state : '';
      b.querySelectorAll('.b-text, .b-meta').forEach((el) => C.fitLater(el, textMin()));
    }
    /* The rail: one group per rule. */
    const groups = new Map();
    for (const a of list) {
      if (isSpike(a)) continue;
      let g = groups.get(a.rule);
      if (!g) groups.set(a.rule, g = { rule: a.rule, members: [] });
      g.members.push(a);
    }
    const firingN = list.filter((a) => a.state === 'firing').length;
    const countText = list.length ? t.alerts_count(fmt.int(firingN), fmt.int(list.length - firingN)) : '';
    if ($('alerts-count').textContent !== countText) $('alerts-count').textContent = countText;
    const gs = [...groups.values()].map((g) => {
      const m = g.members;
      return Object.assign(g, {
        firing: m.some((a) => a.state === 'firing'),
        handled: m.every(handled),
        severity: Math.max(...m.map((a) => SEV[a.severity] || 0)),
        since: Math.min(...m.map((a) => a.since_ms || now)),
      });
    }).sort((x, y) => (y.firing - x.firing) || (x.handled - y.handled) || (y.severity - x.severity) || (x.since - y.since) || (x.rule < y.rule ? -1 : 1));
    const items = gs.map((g) => {
      const m = g.members, a0 = m[0];
      const sev = Object.keys(SEV).find((k) => SEV[k] === g.severity) || 'warning';
      const cls = [g.firing ? 'firing' : 'pending', 'sev-' + sev, g.handled ? 'handled' : ''].join(' ').trim();
      if (m.length === 1) {
        const a = a0;
        return '<li class="' + cls + '" data-id="' + escapeHtml(a.id) + '" data-rule="' + escapeHtml(a.rule) + '" data-count="1">' +
          '<div class="a-head">' + escapeHtml(alertText(a)) + '</div>' +
          '<div class="a-meta"><span class="badge ' + escapeHtml(a.state) + '">' + escapeHtml(t.states[a.state] || a.state) + '</span>' +
          escapeHtml(whereOf(a)) + (a.kind === 'threshold' ? ' · ' + escapeHtml(alertValue(a)) : '') + ' · ' + escapeHtml(sinceText(a.since_ms)) +
          (a.acked_by ? ' <span class="badge acked">✓ ' + escapeHtml(t.acked_by + ' ' + a.acked_by) + '</span>' : '') +
          (a.silenced ? ' <span class="badge silenced">' + escapeHtml(t.silenced) + '</span>' : '') + '</div></li>';
      }
      const province = m.some((a) => a.scope === 'all');
      const local = m.filter((a) => a.scope !== 'all');
      const allCommunes = local.every((a) => isCommune(units.get(a.unit)));
      const ackers = [...new Set(m.filter((a) => a.acked_by).map((a) => a.acked_by))];
      /* the worst alert of each unit, then the three worst units */
      const perUnit = new Map();
      for (const a of (local.length ? local : m).slice().sort((x, y) => (lowerIsWorse(x) ? x.value - y.value : y.value - x.value) || (x.since_ms - y.since_ms)))
        if (!perUnit.has(a.unit || a.scope)) perUnit.set(a.unit || a.scope, a);
      const worst = [...perUnit.values()].slice(0, 3);
      const nUnits = new Set(local.map((a) => a.unit || a.scope)).size;
      const byState = { firing: 0, pending: 0 };
      for (const a of m) byState[a.state] = (byState[a.state] || 0) + 1;
      const acked = m.filter((a) => a.acked_by).length, silenced = m.filter((a) => a.silenced).length;
      return '<li class="' + cls + '" data-rule="' + escapeHtml(g.rule) + '" data-count="' + m.length + '">' +
        '<div class="a-head">' + escapeHtml(alertText(a0) + ': ' + (province ? t.province_wide + (local.length ? ' ' + t.and + ' ' : '') : '') +
          (local.length ? t.units_word(fmt.int(nUnits), allCommunes) + (local.length > nUnits ? ' ' + t.n_alerts(fmt.int(local.length)) : '') : '')) + '</div>' +
        '<div class="a-worst">' + escapeHtml(t.worst + ': ' + worst.map((a) => shortName(whereOf(a)) + ' (' + alertValue(a) + ')').join(', ')) + '</div>' +
        '<div class="a-meta">' + ['firing', 'pending'].filter((s) => byState[s]).map((s) =>
          '<span class="badge ' + s + '">' + fmt.int(byState[s]) + ' ' + escapeHtml(t.state_n[s]) + '</span>').join('') +
        (acked ? '<span class="badge acked">✓ ' + escapeHtml(t.acked_by + ' ' + ackers.slice(0, 2).join(', ') + (ackers.length > 2 ? '…' : '')) +
          (acked > 1 ? ' (' + fmt.int(acked) + ')' : '') + '</span>' : '') +
        (silenced ? '<span class="badge silenced">' + escapeHtml(t.silenced) + ' ' + fmt.int(silenced) + '</span>' : '') +
        escapeHtml(sinceText(g.since)) + '</div></li>';
    });
    const html = !denied && items.length ? items.join('') : alertsEmpty(t);
    if (html === alertsHtml) return;
    alertsHtml = html;
    const ul = $('alerts');
    ul.innerHTML = html;
    /* What does not fit is counted, not cut. */
    const bottom = ul.getBoundingClientRect().bottom;
    let hidden = 0;
    for (const li of ul.children) if (hidden || li.getBoundingClientRect().bottom > bottom + 0.5) { li.hidden = true; hidden++; }
    const more = $('alerts-more');
    more.hidden = hidden === 0;
    more.textContent = hidden ? t.more_alerts(fmt.int(hidden)) : '';
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

  function render() { renderTitle(); renderTiles(); renderFreshness(); renderGrid(); renderRanking(); renderAlerts(); }

  function apply(ev, full) {
    clockOffset = ev.now_ms - Date.now();
    lastEventAt = Date.now();
    /* A delta carries the summary, ranking and alerts only when they changed. */
    if (ev.summary) summary = ev.summary;
    if (full) {
      for (const u of units.values()) if (u._cell) u._cell.remove();
      units.clear();
      gridCount = -1;
    }
    for (const row of ev.units) {
      const old = units.get(row.code);
      if (old) row._cell = old._cell;
      units.set(row.code, row);
    }
    if (ev.ranking) ranking = ev.ranking;
    if (ev.alerts) alerts = ev.alerts.slice(0, MAX_ALERTS);
    render();
    if (full) loadCommuneMap();
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
   * rather than draw a line of zeros.  Type scales with the screen; the
   * y-axis is as wide as its widest label; the legend names the series only. */
  const HOUR_MS = 3600e3;
  const history = { today: new Array(24).fill(null), usual: new Array(24).fill(null), usualOk: false,
    d30x: [], d30y: [], d30Ok: false, d30Error: '' };
  let chart = null, chart30 = null;
  /* A hub without InfluxDB says so (503, "history": false); the page then
   * asks again only every half hour, not at every refresh. */
  const HISTORY_OFF_RETRY_MS = 30 * 60000;
  let historyOffUntil = 0;
  const historyOff = () => Date.now() < historyOffUntil;
  function noteHistoryAnswer(r) { if (r.status === 503 && r.body && r.body.history === false) historyOffUntil = Date.now() + HISTORY_OFF_RETRY_MS; }

  const chartFontPx = () => Math.max(Math.round(0.8 * C.vw()), Math.ceil(textMin()));
  function chartSize(el, u) {
    const legend = u ? u.root.querySelector('.u-legend') : null;
    const lh = legend ? legend.offsetHeight : 2 * chartFontPx();
    return { width: el.clientWidth || 900, height: Math.max(120, (el.clientHeight || 600) - lh - 4) };
  }
  function makeChart(el, series, data, xValues) {
    const px = chartFontPx(), font = px + 'px "Be Vietnam Pro"';
    el.dataset.fontPx = String(px);
    const grid = { stroke: '#22304a', width: 1 };
    const ticks = { stroke: '#22304a', width: 1, size: Math.round(px * 0.4) };
    const yAxis = { stroke: '#9fb0ca', grid, ticks, font, gap: Math.round(px * 0.4), space: px * 2.5,
      values: (u, splits) => splits.map((v) => fmt.int(v)),
      /* as wide as the widest label, so none is cut ("1.800", not ",800") */
      size: (u, values) => Math.ceil(widest(values || ['0'], font) + px * 0.4 + Math.round(px * 0.4) + 6) };
    const xAxis = { stroke: '#9fb0ca', grid, ticks, font, gap: Math.round(px * 0.3), size: Math.ceil(px * 1.3 + px * 0.8), values: xValues,
      space: px * 5 };
    const u = new uPlot(Object.assign(chartSize(el), {
      scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(4, Math.ceil((hi || 0) * 1.1))] } },
      /* The wall shows Vietnam's time whatever the screen PC's zone. */
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), C.TZ),
      legend: { live: false },
      cursor: { show: false },
      axes: [xAxis, Object.assign(yAxis, { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000] })],
      series: [{ label: '' }].concat(series) }), data, el);
    /* The legend's height is known once it has been laid out at the chart's width. */
    requestAnimationFrame(() => u.setSize(chartSize(el, u)));
    return u;
  }
  const hourValues = (u, splits) => splits.map((x) => fmt.hm(x * 1e3));
  const dayValues = (u, splits) => splits.map((x) => fmt.dm(x * 1e3));
  function todayData() {
    const start = C.localDayStart(serverNow());
    return [history.today.map((_, h) => (start + h * HOUR_MS) / 1000), history.today, history.usual];
  }
  function drawToday() {
    const t = tr(), el = $('chart');
    if (!chart) chart = makeChart(el, [
      { label: t.series_today, stroke: '#4aa3ff', width: 3, fill: 'rgba(74,163,255,.15)' },
      { label: t.series_usual, stroke: '#f2b632', width: 2, dash: [10, 6] }], todayData(), hourValues);
    else chart.setData(todayData());
    $('usual-note').textContent = history.usualOk ? t.usual_note : t.usual_none;
  }
  function draw30() {
    const t = tr(), el = $('chart30');
    el.classList.toggle('no-data', !history.d30Ok);
    el.dataset.points = String(history.d30y.filter((v) => v != null).length);
    el.title = history.d30Error;
    if (!history.d30Ok) return;
    const data = [history.d30x, history.d30y];
    if (!chart30) chart30 = makeChart(el, [{ label: t.series_received, stroke: '#4aa3ff', width: 3,
      points: { show: true, size: Math.round(chartFontPx() / 2) }, fill: 'rgba(74,163,255,.15)' }], data, dayValues);
    else chart30.setData(data);
  }
  /* After a change of language or screen size: new charts, new type. */
  function rebuildCharts() {
    if (chart) { chart.destroy(); chart = null; }
    if (chart30) { chart30.destroy(); chart30 = null; }
    if (document.getElementById('page-trend').classList.contains('active') || !pages.includes('page-trend')) { drawToday(); draw30(); }
    else chartsDirty = true;
  }
  let chartsDirty = false;
  /* Charts, grid and map follow their panels (a banner appearing, the fonts arriving). */
  if (window.ResizeObserver) {
    const ro = new ResizeObserver(() => resizeCharts());
    ro.observe($('chart'));
    ro.observe($('chart30'));
    new ResizeObserver(() => fitGrid()).observe($('grid'));
    new ResizeObserver(() => renderMap()).observe($('commune-map'));
  }
  function resizeCharts() {
    if (chart) chart.setSize(chartSize($('chart'), chart));
    if (chart30) chart30.setSize(chartSize($('chart30'), chart30));
  }

  async function loadToday() {
    const now = serverNow(), start = C.localDayStart(now);
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
    drawToday();
  }

  async function loadHistory() {
    if (historyOff()) { loadToday(); loadDeltas(); return; }
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
    draw30();
    loadToday();
    loadDeltas();
  }

  /* ---- pages ---- */
  const PAGES = ['page-map', 'page-rank', 'page-trend'];
  const pages = params.get('page') && PAGES.includes('page-' + params.get('page')) ? ['page-' + params.get('page')] : PAGES;
  let pageIdx = 0;
  function showPage() {
    document.querySelectorAll('.page').forEach((p) => p.classList.toggle('active', p.id === pages[pageIdx]));
    if (pages[pageIdx] === 'page-trend') {
      if (chartsDirty) { chartsDirty = false; drawToday(); draw30(); }
      resizeCharts();
    }
    if (pages[pageIdx] === 'page-map') { fitGrid(); renderMap(); }
    /* text fitted while a page was hidden is fitted again once it shows */
    if (pages[pageIdx] === 'page-rank') document.querySelectorAll('#page-rank .r-name, #rank-cut').forEach((el) => C.fitLater(el, textMin()));
  }
  function rotate() {
    pageIdx = (pageIdx + 1) % pages.length;
    if (pageIdx === 0 && INDICATORS.includes(indicator)) indicator = INDICATORS[(INDICATORS.indexOf(indicator) + 1) % INDICATORS.length];
    showPage();
    renderGrid();
  }
  /* A fitted size is only right for one screen size. */
  function fitAll() {
    fitGrid();
    document.querySelectorAll('.t-value').forEach((el) => C.fitLater(el, valueMin()));
    document.querySelectorAll('.t-label, .t-sub, .delta').forEach((el) => C.fitLater(el, textMin()));
    rankHtml = alertsHtml = bannerHtml = '';
    renderRanking();
    renderAlerts();
    renderMap();
    resizeCharts();
  }
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { fitAll(); rebuildCharts(); }, 200);
  });

  function tickClock() {
    const now = serverNow();
    const time = fmt.time(now), date = fmt.date(now);
    if ($('clock').textContent !== time) $('clock').textContent = time;
    if ($('date').textContent !== date) $('date').textContent = date;
  }

  $('lang').addEventListener('click', () => { lang = lang === 'vi' ? 'en' : 'vi'; localStorage.setItem('ioc.lang', lang); applyLang(); });
  setInterval(() => { tickClock(); renderFreshness(); }, 1000);
  setInterval(watchdog, 2000);
  setInterval(loadToday, 60000);
  setInterval(loadHistory, 5 * 60000); /* the hub caches it a minute; days change slowly */
  setInterval(loadAlertInfo, 15000);
  setInterval(() => renderAlerts(), 30000); /* ages in the rail */
  if (ROTATE_S > 0 && pages.length > 1) setInterval(rotate, ROTATE_S * 1000);
  /* The browser keeps a record of every request for the Resource Timing API;
   * nobody reads it here, so it is kept short and emptied when full. */
  if (performance.setResourceTimingBufferSize) {
    performance.setResourceTimingBufferSize(100);
    performance.addEventListener('resourcetimingbufferfull', () => performance.clearResourceTimings());
  }
  showPage();
  applyLang();
  tickClock();
  connect();
  loadHistory();
  loadPeers();
  loadAlertInfo();
  setInterval(loadPeers, 5000);
  /* Names are measured in the wall's font: again once it is there. */
  document.fonts.ready.then(() => fitAll());
  /* For the browser tests and bench/display-bench.mjs (refresh: the heap bench calls it faster than the timers). */
  window.iocWall = { units, history, refresh: loadHistory, get summary() { return summary; }, get peers() { return peers; },
    get alertInfo() { return alertInfo; }, get deltaBase() { return deltaBase; }, get charts() { return [chart, chart30]; } };
})();
