/* national.js — the national wall display (issue 8, SPEC §9): one cell per
 * province instead of one per commune, and the country's totals on the tiles.
 *
 * Reads GET /api/v1/federation of a national hub ([federation] national =
 * true) every POLL_MS.  It only has what the rollups carry: today's summed
 * counters and latest gauges per province (SPEC §6 fields), so its rates are
 * ratios of sums computed here — never averages of the provinces' rates — and
 * the on-time rate is (early + on time + open not yet overdue) / (completed +
 * open), open dossiers counting as on time until their deadline passes.
 * A province whose hubs have all gone quiet for STALE_S is marked stale; one
 * with no hub current today shows no figures.  No live feed, no charts, no
 * alerts: those stay on each province's own wall.
 * URL options: token=, lang=vi|en. */
'use strict';
(function () {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || '';
  const POLL_MS = 5000;
  const STALE_S = 60;          /* rollups come every few seconds (publish_interval) */
  const QUIET_MS = 20000;      /* no answer from the hub for this long: connection lost */

  /* The 34 provinces since 1 July 2025 (GSO codes, SPEC §2). */
  const NAMES = {
    '01': 'Hà Nội', '04': 'Cao Bằng', '08': 'Tuyên Quang', '11': 'Điện Biên', '12': 'Lai Châu', '14': 'Sơn La',
    '15': 'Lào Cai', '19': 'Thái Nguyên', '20': 'Lạng Sơn', '22': 'Quảng Ninh', '24': 'Bắc Ninh', '25': 'Phú Thọ',
    '31': 'Hải Phòng', '33': 'Hưng Yên', '37': 'Ninh Bình', '38': 'Thanh Hóa', '40': 'Nghệ An', '42': 'Hà Tĩnh',
    '44': 'Quảng Trị', '46': 'Huế', '48': 'Đà Nẵng', '51': 'Quảng Ngãi', '52': 'Gia Lai', '56': 'Khánh Hòa',
    '66': 'Đắk Lắk', '68': 'Lâm Đồng', '75': 'Đồng Nai', '79': 'TP. Hồ Chí Minh', '80': 'Tây Ninh',
    '82': 'Đồng Tháp', '86': 'Vĩnh Long', '91': 'An Giang', '92': 'Cần Thơ', '96': 'Cà Mau',
  };

  const T = {
    vi: { title: 'Giám sát dịch vụ hành chính công', country: 'Toàn quốc', connecting: 'Đang kết nối…', live: 'Trực tiếp',
      lost: 'Mất kết nối', received: 'Tiếp nhận hôm nay', completed: 'Đã giải quyết (sớm / đúng / trễ)',
      open: 'Đang xử lý / quá hạn', ontime: 'Tỷ lệ đúng hạn', issued: 'Vé đã phát / đã phục vụ',
      satisfaction: 'Hài lòng hôm nay', cameras: 'Camera đang ghi', kiosks: 'Kiosk trực tuyến',
      connectors: 'Kết nối đang báo / dự kiến', provinces_reporting: 'Tỉnh, thành đang báo',
      provinces: 'Các tỉnh, thành phố', overdue: 'quá hạn', ratings: 'lượt đánh giá', served: 'đã phục vụ',
      received_short: 'tiếp nhận', hub: 'hub', hubs: 'hub', stale: 'cũ', no_data: 'chưa có dữ liệu', ago: 'trước', s: 'giây', m: 'phút',
      note: 'từ bản tổng hợp của các hub tỉnh', legend: ['≥ 95 %', '85–95 %', '< 85 %', 'chưa có dữ liệu'], lang: 'EN', locale: 'vi-VN' },
    en: { title: 'Public-service operations', country: 'Whole country', connecting: 'Connecting…', live: 'Live',
      lost: 'Connection lost', received: 'Received today', completed: 'Completed (early / on time / late)',
      open: 'Open / overdue', ontime: 'On-time rate', issued: 'Tickets issued / served',
      satisfaction: 'Satisfied today', cameras: 'Cameras recording', kiosks: 'Kiosks online',
      connectors: 'Connectors reporting / expected', provinces_reporting: 'Provinces reporting',
      provinces: 'Provinces', overdue: 'overdue', ratings: 'ratings', served: 'served',
      received_short: 'received', hub: 'hub', hubs: 'hubs', stale: 'stale', no_data: 'no data yet', ago: 'ago', s: 's', m: 'min',
      note: "from the province hubs' rollups", legend: ['≥ 95 %', '85–95 %', '< 85 %', 'no data'], lang: 'VI', locale: 'en-GB' },
  };
  let lang = params.get('lang') || localStorage.getItem('ioc.lang') || 'vi';
  if (!T[lang]) lang = 'vi';

  let fed = null;        /* the last answer of /api/v1/federation */
  let lastOkAt = 0;

  const $ = (id) => document.getElementById(id);
  const tr = () => T[lang];
  const withToken = (path) => token ? path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : path;
  function fmtInt(v) { return v == null ? '–' : Number(v).toLocaleString(tr().locale); }
  function fmtPct(v) { return v == null ? '–' : (v * 100).toLocaleString(tr().locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 }) + ' %'; }
  function fmtAge(s) { s = Math.max(0, Math.round(s)); return s < 120 ? s + ' ' + tr().s : Math.round(s / 60) + ' ' + tr().m; }
  function rateClass(v, good, warn) { return v == null ? '' : v >= good ? 'v-ok' : v >= warn ? 'v-warn' : 'v-bad'; }
  const ratio = (num, den) => den > 0 ? num / den : null;

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
    if (el.textContent !== text) el.textContent = text;
    el.className = el.className.split(' ').filter((c) => !c.startsWith('v-')).concat(cls ? [cls] : []).join(' ');
  }

  /* A province reports when at least one of its hubs is current today. */
  const reporting = (p) => p.hubs.some((h) => h.current);
  const ageOf = (p) => Math.min(...p.hubs.map((h) => h.age_s));

  function renderTiles() {
    const t = tr();
    const quiet = Date.now() - lastOkAt > QUIET_MS;
    const conn = $('conn');
    conn.textContent = fed == null ? t.connecting : quiet ? t.lost : t.live;
    conn.className = 'conn ' + (fed != null && !quiet ? 'conn-up' : 'conn-down');
    document.querySelectorAll('.tile').forEach((tile) => tile.classList.toggle('stale', fed == null || quiet));
    if (!fed) return;
    const c = indicators(fed.total);
    setTile('received', fmtInt(c.received));
    setTile('completed', fmtInt(c.completed));
    setTile('completed_split', fmtInt(c.early) + ' / ' + fmtInt(c.ontime) + ' / ' + fmtInt(c.late));
    setTile('open', fmtInt(c.open));
    setTile('open_overdue', fmtInt(c.open_overdue) + ' ' + t.overdue, c.open_overdue > 0 ? 'v-bad' : '');
    setTile('ontime_rate', fmtPct(c.ontime_rate), rateClass(c.ontime_rate, 0.95, 0.85));
    setTile('issued', fmtInt(c.issued));
    setTile('served', fmtInt(c.served) + ' ' + t.served);
    setTile('satisfied_rate', fmtPct(c.satisfied_rate), rateClass(c.satisfied_rate, 0.9, 0.8));
    setTile('ratings', fmtInt(c.ratings) + ' ' + t.ratings);
    /* The country's counts are too long for a tile as "8.630 / 9.112": the
     * share is the value, the counts go underneath. */
    const share = (tile, num, den, good, warn) => {
      const v = ratio(num, den);
      setTile(tile, fmtPct(v), rateClass(v, good, warn));
      setTile(tile + '_count', fmtInt(num) + ' / ' + fmtInt(den));
    };
    share('cameras', c.cameras_recording, c.cameras, 0.98, 0.9);
    share('kiosks', c.kiosks_online, c.kiosks, 0.98, 0.9);
    share('connectors', c.connectors_reporting, c.connectors_expected, 1, 0.9);
    const n = fed.provinces.filter(reporting).length;
    setTile('provinces', n + ' / ' + Math.max(34, fed.provinces.length), n >= 34 ? 'v-ok' : 'v-warn');
  }

  /* One cell per province, in code order; every known province has one,
   * listed or not, so a province that never reported is visible as such. */
  function renderGrid() {
    const t = tr(), grid = $('grid');
    const byCode = new Map((fed ? fed.provinces : []).map((p) => [p.province, p]));
    const codes = Array.from(new Set(Object.keys(NAMES).concat(Array.from(byCode.keys())))).sort();
    grid.textContent = '';
    for (const code of codes) {
      const p = byCode.get(code);
      const cell = document.createElement('div');
      cell.className = 'cell';
      cell.dataset.province = code;
      const name = document.createElement('b');
      name.textContent = (NAMES[code] || code);
      cell.append(name);
      const big = document.createElement('span'), sub = document.createElement('span'), meta = document.createElement('span');
      big.className = 'big';
      if (p && reporting(p)) {
        const v = indicators(p.today);
        big.textContent = fmtPct(v.ontime_rate);
        sub.textContent = fmtInt(v.received) + ' ' + t.received_short + ' · ' + fmtInt(v.open_overdue) + ' ' + t.overdue;
        const age = ageOf(p), stale = age > STALE_S;
        const nh = p.hubs.filter((h) => h.current).length;
        meta.textContent = nh + ' ' + (nh === 1 ? t.hub : t.hubs) + ' · ' + (stale ? t.stale + ' · ' : '') + fmtAge(age) + ' ' + t.ago;
        const cls = v.ontime_rate == null ? '' : v.ontime_rate >= 0.95 ? 'ok' : v.ontime_rate >= 0.85 ? 'warn' : 'bad';
        if (cls) cell.classList.add(cls);
        cell.classList.toggle('stale', stale);
        cell.dataset.received = String(v.received);
      } else {
        big.textContent = '–';
        meta.textContent = t.no_data;
        cell.classList.add('stale');
      }
      cell.append(big, sub, meta);
      grid.append(cell);
    }
    $('note').textContent = '· ' + t.note;
    const legend = $('legend');
    legend.textContent = '';
    ['ok', 'warn', 'bad', 'none'].forEach((k, i) => {
      const span = document.createElement('span'), sw = document.createElement('i');
      sw.style.background = { ok: '#17693f', warn: '#8a6410', bad: '#8f2326', none: 'var(--none)' }[k];
      span.append(sw, document.createTextNode(t.legend[i]));
      legend.append(span);
    });
  }

  function render() { renderTiles(); renderGrid(); }

  function applyLang() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-i18n]').forEach((el) => { const k = el.dataset.i18n; if (typeof tr()[k] === 'string') el.textContent = tr()[k]; });
    $('lang').textContent = tr().lang;
    render();
  }

  async function poll() {
    try {
      const r = await fetch(withToken('/api/v1/federation'), { cache: 'no-store' });
      if (r.ok) {
        fed = await r.json();
        lastOkAt = Date.now();
      }
    } catch (e) { /* the tiles turn stale after QUIET_MS */ }
    render();
  }

  $('lang').addEventListener('click', () => { lang = lang === 'vi' ? 'en' : 'vi'; localStorage.setItem('ioc.lang', lang); applyLang(); });
  setInterval(() => { $('clock').textContent = new Date().toLocaleTimeString(tr().locale, { hour12: false }); }, 1000);
  setInterval(poll, POLL_MS);
  applyLang();
  poll();
})();
