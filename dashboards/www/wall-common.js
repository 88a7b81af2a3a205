/* wall-common.js — what the province wall (app.js) and the national wall
 * (national.js) share: Vietnam time, number formats per language, the 34
 * provinces' names, text that must fit its box, and GeoJSON drawn as SVG.
 * Loaded before either page's script; defines window.IocWallCommon. */
'use strict';
(function () {
  /* Vietnam keeps UTC+7 all year; the wall shows its time whatever the zone
   * of the PC behind the screen. */
  const TZ = 'Asia/Ho_Chi_Minh';
  const LOCAL_OFFSET_MS = 7 * 3600e3;

  /* The 34 provinces since 1 July 2025 (GSO codes, SPEC §2). */
  const PROVINCES = {
    '01': 'Hà Nội', '04': 'Cao Bằng', '08': 'Tuyên Quang', '11': 'Điện Biên', '12': 'Lai Châu', '14': 'Sơn La',
    '15': 'Lào Cai', '19': 'Thái Nguyên', '20': 'Lạng Sơn', '22': 'Quảng Ninh', '24': 'Bắc Ninh', '25': 'Phú Thọ',
    '31': 'Hải Phòng', '33': 'Hưng Yên', '37': 'Ninh Bình', '38': 'Thanh Hóa', '40': 'Nghệ An', '42': 'Hà Tĩnh',
    '44': 'Quảng Trị', '46': 'Huế', '48': 'Đà Nẵng', '51': 'Quảng Ngãi', '52': 'Gia Lai', '56': 'Khánh Hòa',
    '66': 'Đắk Lắk', '68': 'Lâm Đồng', '75': 'Đồng Nai', '79': 'TP. Hồ Chí Minh', '80': 'Tây Ninh',
    '82': 'Đồng Tháp', '86': 'Vĩnh Long', '91': 'An Giang', '92': 'Cần Thơ', '96': 'Cà Mau',
  };
  /* Centrally governed cities are "Thành phố", the others "Tỉnh". */
  const CITIES = new Set(['01', '31', '46', '48', '79', '92']);
  function provinceTitle(code, lang) {
    const name = PROVINCES[code];
    if (!name) return '';
    if (lang === 'en') return CITIES.has(code) ? name.replace(/^TP\. /, '') + ' City' : name + ' Province';
    return CITIES.has(code) ? (name.startsWith('TP. ') ? 'Thành phố ' + name.slice(4) : 'Thành phố ' + name) : 'Tỉnh ' + name;
  }

  /* Formats of one language: Vietnamese 1.234,5 — English 1,234.5. */
  function formats(locale) {
    const int = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    const one = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    const time = new Intl.DateTimeFormat(locale, { timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    const hm = new Intl.DateTimeFormat(locale, { timeZone: TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const date = new Intl.DateTimeFormat(locale, { timeZone: TZ, weekday: 'short', day: '2-digit', month: '2-digit', year: 'numeric' });
    const dm = new Intl.DateTimeFormat(locale, { timeZone: TZ, day: 'numeric', month: 'numeric' });
    const wd = new Intl.DateTimeFormat(locale, { timeZone: TZ, weekday: 'short' });
    return {
      int: (v) => v == null || !isFinite(v) ? '–' : int.format(v),
      one: (v) => v == null || !isFinite(v) ? '–' : one.format(v),
      pct: (v) => v == null || !isFinite(v) ? '–' : one.format(v * 100) + '\u00a0%',  /* no line break before % */
      time: (ms) => time.format(ms),
      hm: (ms) => hm.format(ms),
      date: (ms) => date.format(ms),
      dm: (ms) => dm.format(ms),
      weekday: (ms) => wd.format(ms),
    };
  }

  /* Local (UTC+7) midnight before ms. */
  const localDayStart = (ms) => ms - ((ms + LOCAL_OFFSET_MS) % 86400e3);

  /* Shrinks an element's font until its text fits its box, never below
   * minPx; the stylesheet's size is the start, so a shorter text grows back.
   * Called when the text changed (or the screen's size did). */
  function fitText(el, minPx) {
    if (!el) return;
    el.style.fontSize = '';
    let size = parseFloat(getComputedStyle(el).fontSize);
    for (let i = 0; i < 8 && size > minPx && (el.scrollWidth > el.clientWidth + 0.5 || el.scrollHeight > el.clientHeight + 0.5); i++) {
      const ratio = Math.min(el.clientWidth / Math.max(1, el.scrollWidth), el.clientHeight / Math.max(1, el.scrollHeight));
      size = Math.max(minPx, Math.floor(size * Math.min(0.95, ratio)));
      el.style.fontSize = size + 'px';
    }
  }
  /* The same for every element whose text changed in this frame, batched
   * in the next animation frame (before its paint): all resets, then all
   * measurements (one layout), then the new sizes; a few rounds at most.
   * A screen updates a dozen values four times a second: one layout per
   * round, not one per value. */
  const pending = new Map();
  let scheduled = false;
  function fitLater(el, minPx) {
    if (!el) return;
    pending.set(el, minPx);
    if (!scheduled) { scheduled = true; requestAnimationFrame(flushFit); }
  }
  function flushFit() {
    scheduled = false;
    const items = [...pending];
    pending.clear();
    for (const [el] of items) el.style.fontSize = '';
    let work = items.map(([el, min]) => ({ el, min, size: parseFloat(getComputedStyle(el).fontSize) }));
    for (let round = 0; round < 8 && work.length; round++) {
      const over = [];
      for (const w of work) {
        const el = w.el;
        if (w.size <= w.min || !(el.scrollWidth > el.clientWidth + 0.5 || el.scrollHeight > el.clientHeight + 0.5)) continue;
        w.ratio = Math.min(el.clientWidth / Math.max(1, el.scrollWidth), el.clientHeight / Math.max(1, el.scrollHeight));
        over.push(w);
      }
      for (const w of over) { w.size = Math.max(w.min, Math.floor(w.size * Math.min(0.95, w.ratio))); w.el.style.fontSize = w.size + 'px'; }
      work = over;
    }
  }
  /* 1 vw in px, for minimums that scale with the wall. */
  const vw = () => document.documentElement.clientWidth / 100;

  /* GeoJSON (Polygon / MultiPolygon, WGS 84) to SVG path data in a plane
   * projected once (longitude scaled by the cosine of the mean latitude),
   * y downwards; the SVG's viewBox then scales it to any box.  Returns
   * { viewBox, shapes: [{ props, d, cx, cy, w, h }] } (centre and size of
   * each feature's largest ring, for a label). */
  function geoShapes(geojson, width) {
    const feats = (geojson && Array.isArray(geojson.features) ? geojson.features : [])
      .filter((f) => f && f.geometry && (f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon'));
    const polys = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const f of feats) for (const p of polys(f.geometry)) for (const r of p) for (const [x, y] of r) {
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    if (!feats.length || !isFinite(x0)) return { viewBox: '0 0 1 1', shapes: [] };
    const k = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
    const s = width / Math.max(1e-9, (x1 - x0) * k);
    const px = (x) => (x - x0) * k * s, py = (y) => (y1 - y) * s;
    const shapes = feats.map((f) => {
      let d = '', best = null;
      for (const p of polys(f.geometry)) for (let i = 0; i < p.length; i++) {
        const r = p[i];
        if (!Array.isArray(r) || r.length < 3) continue;
        d += 'M' + r.map(([x, y]) => px(x).toFixed(1) + ' ' + py(y).toFixed(1)).join('L') + 'Z';
        if (i === 0) {
          const xs = r.map((c) => px(c[0])), ys = r.map((c) => py(c[1]));
          const bx0 = Math.min(...xs), bx1 = Math.max(...xs), by0 = Math.min(...ys), by1 = Math.max(...ys);
          const area = (bx1 - bx0) * (by1 - by0);
          if (!best || area > best.area) best = { area, cx: (bx0 + bx1) / 2, cy: (by0 + by1) / 2, w: bx1 - bx0, h: by1 - by0 };
        }
      }
      return { props: f.properties || {}, d, cx: best ? best.cx : 0, cy: best ? best.cy : 0, w: best ? best.w : 0, h: best ? best.h : 0 };
    });
    return { viewBox: '0 0 ' + width.toFixed(1) + ' ' + ((y1 - y0) * s).toFixed(1), shapes };
  }

  window.IocWallCommon = { TZ, LOCAL_OFFSET_MS, PROVINCES, provinceTitle, formats, localDayStart, fitText, fitLater, vw, geoShapes };
})();
