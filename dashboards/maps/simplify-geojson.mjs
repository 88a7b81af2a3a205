// simplify-geojson.mjs — makes the national wall's province map small enough
// to serve to every screen: Douglas–Peucker on every ring (tolerance in
// degrees), coordinates rounded, properties kept as they are.  A ring that
// simplifies below 4 points keeps its bounding box instead (an island stays
// on the map, however small).
//
//   node dashboards/maps/simplify-geojson.mjs IN.geojson OUT.geo.json [--tolerance 0.006] [--decimals 3]
//
// The default tolerance (0.006°, about 650 m) is under a pixel on a 4K wall
// showing the whole country; rings are simplified one by one, so neighbours'
// shared borders can part by that much, which no screen shows.
import fs from 'node:fs';

const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf('--' + name); return i >= 0 ? Number(argv[i + 1]) : def; };
const [inPath, outPath] = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));
if (!inPath || !outPath) { console.error('usage: simplify-geojson.mjs IN OUT [--tolerance DEG] [--decimals N]'); process.exit(2); }
const tol = opt('tolerance', 0.006), decimals = opt('decimals', 3);
const q = 10 ** decimals;
const round = (v) => Math.round(v * q) / q;

/* Squared distance of p from the segment a–b. */
function segDist2(p, a, b) {
  let x = a[0], y = a[1], dx = b[0] - x, dy = b[1] - y;
  if (dx !== 0 || dy !== 0) {
    const t = ((p[0] - x) * dx + (p[1] - y) * dy) / (dx * dx + dy * dy);
    if (t > 1) { x = b[0]; y = b[1]; } else if (t > 0) { x += dx * t; y += dy * t; }
  }
  dx = p[0] - x; dy = p[1] - y;
  return dx * dx + dy * dy;
}
/* Douglas–Peucker, iterative (rings have thousands of points). */
function dp(points, tol2) {
  const keep = new Uint8Array(points.length);
  keep[0] = keep[points.length - 1] = 1;
  const stack = [[0, points.length - 1]];
  while (stack.length) {
    const [first, last] = stack.pop();
    let max = 0, index = -1;
    for (let i = first + 1; i < last; i++) {
      const d = segDist2(points[i], points[first], points[last]);
      if (d > max) { max = d; index = i; }
    }
    if (max > tol2) { keep[index] = 1; stack.push([first, index], [index, last]); }
  }
  return points.filter((_, i) => keep[i]);
}
function ring(r) {
  let out = dp(r, tol * tol).map(([x, y]) => [round(x), round(y)]);
  out = out.filter((p, i) => i === 0 || p[0] !== out[i - 1][0] || p[1] !== out[i - 1][1]);
  if (out.length < 4) {
    const xs = r.map((p) => p[0]), ys = r.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)].map(round);
    out = [[x0, y0], [x1 === x0 ? x0 + 1 / q : x1, y0], [x1 === x0 ? x0 + 1 / q : x1, y1 === y0 ? y0 + 1 / q : y1], [x0, y0]];
  }
  return out;
}
const polygon = (rings) => rings.map(ring);
const src = JSON.parse(fs.readFileSync(inPath, 'utf8'));
let before = 0, after = 0;
const count = (c) => (typeof c[0] === 'number' ? 1 : c.reduce((a, x) => a + count(x), 0));
for (const f of src.features) {
  const g = f.geometry;
  before += count(g.coordinates);
  if (g.type === 'Polygon') g.coordinates = polygon(g.coordinates);
  else if (g.type === 'MultiPolygon') g.coordinates = g.coordinates.map(polygon);
  else throw new Error(`${inPath}: feature ${JSON.stringify(f.properties)}: expected Polygon or MultiPolygon, got ${g.type}`);
  after += count(g.coordinates);
}
delete src.crs; /* GeoJSON (RFC 7946) is WGS 84 longitude/latitude, as the source's CRS84 */
fs.writeFileSync(outPath, JSON.stringify(src) + '\n');
console.log(`${inPath}: ${src.features.length} features, ${before} → ${after} points, ${fs.statSync(outPath).size} bytes`);
