// chart.mjs: a line chart drawn as SVG by us (no library): time on x, one polyline per
// series (a gap where a value is null), the y range from 0 to the largest value, axis
// labels, a legend, and a text alternative (<title>, <desc> and aria-labelledby) that
// says what the picture shows in words: the latest and largest value of each series.
import { h, s, uid } from './dom.mjs';

const W = 600, H = 170, L = 66, R = 10, T = 10, B = 26;

function nice(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}
export const fmt = (v, unit = '') => {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  const t = a >= 1e9 ? `${(v / 1e9).toFixed(1)}G` : a >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : a >= 1e4 ? `${(v / 1e3).toFixed(1)}k`
    : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${t}${unit}`;
};

/** series: [{ name, points: [{t, v}] }]; opts: { title, unit, max (fixed y max) }.
 *  Returns a <figure>. */
export function lineChart(series, { title, unit = '', max } = {}) {
  const all = series.flatMap((x) => x.points).filter((p) => p.v !== null && Number.isFinite(p.v));
  const ts = series.flatMap((x) => x.points.map((p) => p.t));
  const t0 = Math.min(...ts), t1 = Math.max(...ts);
  const ymax = max ?? nice(Math.max(0, ...all.map((p) => p.v)));
  const x = (t) => L + (t1 > t0 ? ((t - t0) / (t1 - t0)) * (W - L - R) : (W - L - R));
  const y = (v) => T + (1 - Math.min(v, ymax) / ymax) * (H - T - B);
  const tid = uid('t'), did = uid('d');
  const summary = series.map((x) => {
    const vals = x.points.filter((p) => p.v !== null);
    if (!vals.length) return `${x.name}: no data yet`;
    return `${x.name}: latest ${fmt(vals[vals.length - 1].v, unit)}, highest ${fmt(Math.max(...vals.map((p) => p.v)), unit)}`;
  }).join('; ');
  const span = t1 > t0 ? Math.round((t1 - t0) / 60000 * 10) / 10 : 0;
  const desc = `${title} over the last ${span} minutes. ${summary}.`;

  const paths = series.map((sr, i) => {
    let d = '';
    let run = 0;   // points in the current stretch; a lone point is drawn as a dot
    const end = () => { if (run === 1) d += 'l0 0'; run = 0; };
    for (const p of sr.points) {
      if (p.v === null || !Number.isFinite(p.v)) { end(); continue; }
      d += `${run ? 'L' : 'M'}${x(p.t).toFixed(1)} ${y(p.v).toFixed(1)}`;
      run++;
    }
    end();
    return s('path', { d: d || 'M0 0', class: `line s${i}`, fill: 'none', 'data-series': sr.name });
  });
  const grid = [0, 0.5, 1].map((f) => [
    s('line', { x1: L, x2: W - R, y1: y(ymax * f), y2: y(ymax * f), class: 'grid' }),
    s('text', { x: L - 6, y: y(ymax * f) + 4, 'text-anchor': 'end', class: 'axis' }, fmt(ymax * f, unit)),
  ]);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${tid} ${did}`, class: 'chart' },
    s('title', { id: tid }, title), s('desc', { id: did }, desc),
    grid,
    s('text', { x: L, y: H - 6, class: 'axis' }, span ? `−${span} min` : ''),
    s('text', { x: W - R, y: H - 6, 'text-anchor': 'end', class: 'axis' }, 'now'),
    paths);
  return h('figure', { class: 'chart-box' },
    h('figcaption', {}, title,
      series.length > 1 ? h('span', { class: 'legend' }, series.map((sr, i) => h('span', { class: `key s${i}` }, sr.name))) : null),
    svg, h('p', { class: 'sr-only' }, desc));
}
