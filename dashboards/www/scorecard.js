/* scorecard.js — the 766 scorecard page (docs/SCORECARD.md, docs/API.md).
 *
 * Reads GET /api/v1/scorecard twice a minute: once without units (the
 * province, the rankings, the year's trend) and once for the commune shown
 * (its indicators).  The hub recomputes as facts arrive, so a late event or
 * a reload shows here within the next poll.  Every number is the API's,
 * rounded to 2 decimals only when shown; nothing is computed from rounded
 * values.  Memory is flat: the last two answers and a 12-point chart.
 *
 * URL options: token=, lang=vi|en, period=ytd|quarter|month (default ytd,
 * the portal's headline), at=YYYY-MM (default this month), unit=CODE (pin
 * one commune; otherwise the top and bottom communes take turns every
 * cycle= seconds, default 15), next=PATH&stay=SECONDS (a rotating room:
 * after stay seconds, default 60, go to PATH on this hub, e.g. the index). */
'use strict';
(function () {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || '';
  const PERIOD = ['ytd', 'quarter', 'month'].includes(params.get('period')) ? params.get('period') : 'ytd';
  const AT = /^\d{4}-\d{2}$/.test(params.get('at') || '') ? params.get('at') : null;
  const PINNED = params.get('unit');
  const CYCLE_S = Math.max(5, Number(params.get('cycle') || 15));
  const POLL_MS = 30000;
  const N_SHOWN = 5;

  const T = {
    vi: { title: 'Bộ chỉ số phục vụ người dân, doanh nghiệp', connecting: 'Đang kết nối…', live: 'Trực tiếp',
      lost: 'Mất kết nối', denied: 'Mã màn hình không hợp lệ', lang: 'EN', locale: 'vi-VN',
      groups: 'Điểm theo nhóm chỉ số', groups_note: 'điểm đạt · tối đa đã chấm · tối đa',
      legend_points: 'điểm đạt', legend_scored: 'tối đa của các chỉ số đã chấm', legend_full: 'chưa quan sát / N/A',
      ranking: 'Xếp hạng xã, phường', top: 'Cao nhất', bottom: 'Thấp nhất',
      period: { ytd: (y, m) => `Lũy kế năm ${y} (đến tháng ${m})`, quarter: (y, m) => `Quý ${Math.ceil(m / 3)}/${y} (đến tháng ${m})`, month: (y, m) => `Tháng ${m}/${y}` },
      prev: { ytd: 'so với lũy kế tháng trước', quarter: 'so với tháng trước', month: 'so với tháng trước' },
      province: 'Điểm toàn tỉnh', coverage: (c) => `trên ${c} % điểm tối đa: các chỉ số quan sát được`,
      volume: (n) => `${n} hồ sơ làm căn cứ`, no_score: 'Chưa có điểm', min_volume: (n) => `từ ${n} hồ sơ`,
      mv_up: 'tăng hạng', mv_down: 'giảm hạng', mv_same: 'giữ hạng', mv_new: 'mới xếp hạng',
      rank_of: (r, n) => `hạng ${r}/${n}`, unranked: { low_volume: 'chưa đủ số hồ sơ để xếp hạng', no_score: 'chưa có điểm' },
      new: 'mới', none_ranked: 'Chưa có xã, phường nào đủ điều kiện xếp hạng',
      cols: ['Mã', 'Chỉ số', 'Tử số / mẫu số', 'R %', 'T %', 'Điểm / tối đa'], na: 'N/A', not_observed: 'chưa quan sát',
      no_scorecard: 'Hub chưa cấu hình bộ chỉ số ([hub] scorecard).',
      stock_none: 'Kỳ đã qua: hub không ghi nhận số hồ sơ tồn cuối kỳ, chỉ số 2.1 và 5.4 chỉ tính hồ sơ đã giải quyết.',
      months: (m) => 'T' + m, points: 'điểm' },
    en: { title: 'Citizen and business service index (766)', connecting: 'Connecting…', live: 'Live',
      lost: 'Connection lost', denied: 'Screen token not valid', lang: 'VI', locale: 'en-GB',
      groups: 'Points by group', groups_note: 'points · scored maximum · maximum',
      legend_points: 'points', legend_scored: 'maximum of the scored indicators', legend_full: 'not observed / N/A',
      ranking: 'Commune ranking', top: 'Highest', bottom: 'Lowest',
      period: { ytd: (y, m) => `Year to date ${y} (to month ${m})`, quarter: (y, m) => `Q${Math.ceil(m / 3)} ${y} (to month ${m})`, month: (y, m) => `Month ${m}/${y}` },
      prev: { ytd: 'against last month\'s year to date', quarter: 'against last month', month: 'against last month' },
      province: 'Province score', coverage: (c) => `over ${c} % of the maximum: the indicators observed`,
      volume: (n) => `${n} dossiers behind it`, no_score: 'No score yet', min_volume: (n) => `from ${n} dossiers`,
      mv_up: 'moved up', mv_down: 'moved down', mv_same: 'unchanged', mv_new: 'new',
      rank_of: (r, n) => `rank ${r}/${n}`, unranked: { low_volume: 'too few dossiers to rank', no_score: 'no score' },
      new: 'new', none_ranked: 'No commune qualifies for the ranking yet',
      cols: ['ID', 'Indicator', 'Num. / den.', 'R %', 'T %', 'Points / max'], na: 'N/A', not_observed: 'not observed',
      no_scorecard: 'The hub has no scorecard configured ([hub] scorecard).',
      stock_none: 'A past period: the hub did not record the open stock at its end; 2.1 and 5.4 count finished dossiers only.',
      months: (m) => 'M' + m, points: 'points' },
  };
  let lang = params.get('lang') || localStorage.getItem('ioc.lang') || 'vi';
  if (!T[lang]) lang = 'vi';
  const tr = () => T[lang];
  const $ = (id) => document.getElementById(id);
  const withToken = (path) => token ? path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : path;

  /* State: the last answers only. */
  let overview = null;     /* province, ranking, trend, definitions */
  let unitDoc = null;      /* the shown commune's card */
  let shown = PINNED;      /* the commune on screen */
  let turn = 0;
  let chart = null;

  /* 2 decimals, as the portal shows them (DOMAIN §1A). */
  const dec = (v) => v == null ? '–' : Number(v).toLocaleString(tr().locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const int = (v) => v == null ? '–' : Number(v).toLocaleString(tr().locale);
  const nameOf = (o) => (lang === 'en' && o.name_en) ? o.name_en : o.name;
  const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
  const scoreClass = (v) => v == null ? '' : v >= 80 ? 'v-ok' : v >= 60 ? 'v-warn' : 'v-bad';

  function setConn(state) {
    const el = $('conn');
    el.dataset.state = state;
    el.className = 'conn ' + (state === 'up' ? 'conn-up' : 'conn-down');
    el.textContent = state === 'up' ? tr().live : state === 'denied' ? tr().denied : state === 'connecting' ? tr().connecting : tr().lost;
  }

  function notice(text) {
    const n = $('notice');
    n.hidden = !text;
    n.textContent = text || '';
  }

  async function get(query) {
    const r = await fetch(withToken('api/v1/scorecard?' + query), { cache: 'no-store' });
    let body = null;
    try { body = await r.json(); } catch { /* not JSON */ }
    return { status: r.status, body };
  }

  function baseQuery() {
    return 'period=' + PERIOD + (AT ? '&at=' + AT : '');
  }

  /* ---- rendering ---- */

  function renderPeriod() {
    const p = overview.period;
    const [y, m] = p.at.split('-').map(Number);
    $('period').textContent = tr().period[p.kind](y, m);
    notice(p.stock === 'none' ? tr().stock_none : '');
  }

  function renderProvince() {
    const p = overview.province, t = tr();
    $('province-name').textContent = overview.config.version ? '· ' + overview.config.version : '';
    $('total').textContent = int(overview.config.total);
    const s = $('score');
    s.textContent = p.score == null ? t.no_score : dec(p.score);
    s.className = 'score-value ' + scoreClass(p.score);
    s.dataset.value = p.score == null ? '' : String(p.score);
    $('coverage').textContent = t.coverage(dec(p.coverage * 100));
    $('volume').textContent = t.volume(int(p.volume));
    /* The change against the same kind of period one month earlier. */
    const tr12 = overview.trend, d = $('delta');
    const cur = tr12.length ? tr12[tr12.length - 1].score : null;
    const prev = tr12.length > 1 ? tr12[tr12.length - 2].score : null;
    if (cur != null && prev != null) {
      const diff = cur - prev;
      d.textContent = (diff > 0.005 ? '▲ +' : diff < -0.005 ? '▼ ' : '= ') + dec(diff) + ' ' + t.prev[overview.period.kind];
      d.className = 'delta ' + (diff > 0.005 ? 'up' : diff < -0.005 ? 'down' : '');
    } else { d.textContent = ''; d.className = 'delta'; }
    /* How the communes moved in the ranking. */
    const rows = (overview.ranking.xa || []).filter((r) => r.rank != null);
    let up = 0, down = 0, same = 0, fresh = 0;
    for (const r of rows) {
      if (r.change == null) fresh++; else if (r.change > 0) up++; else if (r.change < 0) down++; else same++;
    }
    const counts = { up, down, same, new: fresh };
    for (const k of Object.keys(counts))
      $('moves').querySelector(`[data-k="${k}"]`).textContent = rows.length ? (k === 'up' ? '▲ ' : k === 'down' ? '▼ ' : '') + counts[k] : '–';
  }

  function renderTrend() {
    const el = $('trend');
    const pts = overview.trend;
    const xs = pts.map((p) => Number(p.at.slice(5)));
    const ys = pts.map((p) => p.score);
    el.dataset.points = String(ys.filter((v) => v != null).length);
    const w = el.clientWidth, h = el.clientHeight;
    if (w < 10 || h < 10 || typeof uPlot === 'undefined') return;
    const font = Math.max(10, Math.round(window.innerWidth * 0.0075));
    el.dataset.fontPx = String(font);
    const axisFont = `${font}px "Be Vietnam Pro", sans-serif`;
    const opts = {
      width: w, height: h, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false, range: [0.5, 12.5] }, y: { range: [0, 100] } },
      axes: [
        { stroke: '#9fb0ca', font: axisFont, grid: { show: false }, ticks: { show: false }, splits: () => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], values: (u, v) => v.map((m) => tr().months(m)), size: font * 2 },
        { stroke: '#9fb0ca', font: axisFont, grid: { stroke: '#22304a' }, splits: () => [0, 25, 50, 75, 100], size: font * 3.2 + 8 },
      ],
      series: [{}, { stroke: '#2fbf71', width: 3, points: { size: 7, fill: '#2fbf71' }, spanGaps: false }],
    };
    if (chart) chart.destroy();
    chart = new uPlot(opts, [xs, ys], el);
  }

  function renderGroups() {
    const defs = overview.groups, p = overview.province;
    const box = $('bars');
    box.textContent = '';
    for (const g of defs) {
      const card = p.groups.find((x) => x.id === g.id) || { points: 0, max: 0, full_max: g.max };
      const row = document.createElement('div');
      row.className = 'grp';
      row.dataset.group = g.id;
      const frac = card.max > 0 ? card.points / card.max : null;
      const cls = frac == null ? '' : frac >= 0.8 ? '' : frac >= 0.6 ? 'warn' : 'bad';
      row.innerHTML = `<div class="grp-name">${esc(nameOf(g))}</div>`
        + `<div class="grp-val"><span data-k="points">${card.max > 0 ? dec(card.points) : '–'}</span>`
        + ` <span class="muted">/ <span data-k="max">${dec(card.max)}</span> / <span data-k="full_max">${dec(g.max)}</span></span></div>`
        + `<div class="track"><div class="scored" style="width:${g.max > 0 ? (100 * card.max / g.max) : 0}%"></div>`
        + `<div class="points ${cls}" style="width:${g.max > 0 ? (100 * card.points / g.max) : 0}%"></div></div>`;
      box.appendChild(row);
    }
  }

  function rankItem(r, n) {
    const li = document.createElement('li');
    li.dataset.unit = r.unit;
    if (r.unit === shown) li.className = 'sel';
    const move = r.change == null ? `<span class="r-move">${tr().new}</span>`
      : r.change > 0 ? `<span class="r-move up">▲ ${r.change}</span>`
        : r.change < 0 ? `<span class="r-move down">▼ ${-r.change}</span>` : '<span class="r-move">=</span>';
    li.innerHTML = `<span class="r-no">${r.rank}</span><span class="r-name">${esc(r.name || r.unit)}</span>`
      + `<span class="r-score" data-k="score">${dec(r.score)}</span>${move}`;
    return li;
  }

  function ranked() { return (overview.ranking.xa || []).filter((r) => r.rank != null); }

  function renderRanks() {
    const rows = ranked();
    $('rank-note').textContent = tr().min_volume(int(overview.config.min_volume));
    const top = $('top'), bottom = $('bottom');
    top.textContent = ''; bottom.textContent = '';
    if (!rows.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = tr().none_ranked;
      top.appendChild(li);
      return;
    }
    rows.slice(0, N_SHOWN).forEach((r) => top.appendChild(rankItem(r, rows.length)));
    /* The bottom list never repeats a commune of the top one. */
    const rest = rows.slice(N_SHOWN);
    rest.slice(-N_SHOWN).forEach((r) => bottom.appendChild(rankItem(r, rows.length)));
  }

  function renderUnit() {
    const t = tr();
    const tables = $('tables');
    tables.textContent = '';
    const u = unitDoc && unitDoc.units && unitDoc.units[0];
    if (!u) { $('unit-name').textContent = ''; $('unit-score').textContent = ''; $('unit-meta').textContent = ''; return; }
    $('unit-name').textContent = u.name ? `${u.name} (${u.unit})` : u.unit;
    const us = $('unit-score');
    us.textContent = u.score == null ? t.no_score : dec(u.score);
    us.className = 'unit-score ' + scoreClass(u.score);
    const row = (overview.ranking.xa || []).find((r) => r.unit === u.unit);
    const n = ranked().length;
    const meta = [];
    if (row && row.rank != null) {
      meta.push(t.rank_of(row.rank, n) + (row.change == null ? ' · ' + t.new : row.change > 0 ? ` · ▲ ${row.change}` : row.change < 0 ? ` · ▼ ${-row.change}` : ' · ='));
    } else if (row) meta.push(t.unranked[row.state] || '');
    meta.push(`${dec(u.points)} / ${dec(u.max)} ${t.points}`);
    meta.push(t.volume(int(u.volume)));
    $('unit-meta').textContent = meta.join(' · ');
    const defs = overview.indicators;
    const half = Math.ceil(defs.length / 2);
    for (const part of [defs.slice(0, half), defs.slice(half)]) {
      const tbl = document.createElement('table');
      tbl.className = 'ind';
      tbl.innerHTML = '<colgroup><col class="c-id"><col><col class="c-nd"><col class="c-r"><col class="c-t"><col class="c-p"></colgroup>'
        + '<thead><tr>' + t.cols.map((c) => `<th>${esc(c)}</th>`).join('') + '</tr></thead>';
      const body = document.createElement('tbody');
      for (const d of part) {
        const it = u.indicators.find((x) => x.id === d.id);
        const tr_ = document.createElement('tr');
        tr_.className = it.status;
        tr_.dataset.ind = d.id;
        const nd = it.status === 'not_observed' ? t.not_observed : `${int(it.numerator)} / ${int(it.denominator)}`;
        const r = it.status === 'scored' ? dec(it.rate) : it.status === 'na' ? t.na : '–';
        const pts = it.status === 'scored' ? `${dec(it.points)} / ${dec(d.max)}` : `– / ${dec(d.max)}`;
        tr_.innerHTML = `<td class="i-id">${esc(d.id)}</td><td>${esc(nameOf(d))}</td><td data-k="nd">${nd}</td>`
          + `<td data-k="rate">${r}</td><td data-k="target">${d.target == null ? '' : dec(d.target)}</td><td data-k="points">${pts}</td>`;
        tr_.title = d.formula || '';
        body.appendChild(tr_);
      }
      tbl.appendChild(body);
      tables.appendChild(tbl);
    }
    document.querySelectorAll('.rank li').forEach((li) => li.classList.toggle('sel', li.dataset.unit === u.unit));
  }

  function renderAll() {
    if (!overview) return;
    renderPeriod();
    renderProvince();
    renderGroups();
    renderRanks();
    renderUnit();
    renderTrend();
  }

  /* ---- fetching ---- */

  /* The commune on screen: the pinned one, or the top and bottom communes in turn. */
  function nextUnit() {
    if (PINNED) return PINNED;
    const rows = ranked();
    const cands = rows.slice(0, N_SHOWN).concat(rows.slice(N_SHOWN).slice(-N_SHOWN));
    if (!cands.length) {
      const any = (overview.ranking.xa || []).find((r) => r.volume > 0) || (overview.ranking.xa || [])[0];
      return any ? any.unit : null;
    }
    return cands[turn++ % cands.length].unit;
  }

  async function loadUnit() {
    if (!shown) { unitDoc = null; return; }
    const r = await get(baseQuery() + '&unit=' + encodeURIComponent(shown));
    if (r.status === 200) unitDoc = r.body;
  }

  async function poll() {
    try {
      const r = await get(baseQuery() + '&unit=none');
      if (r.status === 401 || r.status === 403) { setConn('denied'); return; }
      if (r.status === 404) { setConn('up'); notice(tr().no_scorecard); return; }
      if (r.status !== 200 || !r.body) { setConn('down'); return; }
      overview = r.body;
      if (!shown) shown = nextUnit();
      await loadUnit();
      setConn('up');
      renderAll();
      document.body.dataset.loaded = String(Date.now());
    } catch {
      setConn('down');
    }
  }

  async function cycle() {
    if (!overview || PINNED) return;
    shown = nextUnit();
    try { await loadUnit(); renderUnit(); } catch { /* the next poll says so */ }
  }

  function clock() {
    $('clock').textContent = new Date().toLocaleTimeString(tr().locale, { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Ho_Chi_Minh' });
  }

  function applyLang() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-i18n]').forEach((el) => { const k = el.dataset.i18n; if (typeof tr()[k] === 'string') el.textContent = tr()[k]; });
    $('lang').textContent = tr().lang;
    const st = $('conn').dataset.state;
    if (st) setConn(st);
    clock();
    renderAll();
  }

  $('lang').addEventListener('click', () => {
    lang = lang === 'vi' ? 'en' : 'vi';
    localStorage.setItem('ioc.lang', lang);
    applyLang();
  });
  window.addEventListener('resize', () => renderAll());

  /* A rotating room: go on to the next page after a while (same hub only). */
  const next = params.get('next');
  if (next && next.startsWith('/') && !next.startsWith('//')) {
    const stay = Math.max(5, Number(params.get('stay') || 60));
    setTimeout(() => { location.href = next; }, stay * 1000);
  }

  /* For tests and the curious: what the page shows comes from here. */
  window.iocScorecard = { get overview() { return overview; }, get unit() { return unitDoc; }, get shown() { return shown; } };

  applyLang();
  setConn('connecting');
  poll();
  setInterval(poll, POLL_MS);
  setInterval(cycle, CYCLE_S * 1000);
  setInterval(clock, 10000);
})();
