// Inline SVG charts: each is an image with a text alternative (role="img" + aria-label); the numbers are also
// printed beside or below it, so nothing is conveyed by colour or shape alone.
import { h, fmt } from './dom.js';

export const BAND_COLOURS = { low: '#1a7f37', moderate: '#9a6700', high: '#c4470a', critical: '#b3261e' };
export const COMPONENT_COLOURS = {
  supply_risk: '#0969da', import_reliance: '#8250df', site_concentration: '#bf8700', policy_pressure: '#cf222e',
};

// One horizontal bar, value / max of the width.
export function bar(value, max, colour, label) {
  const width = max > 0 ? Math.max(0, Math.min(100, (value / max) * 100)) : 0;
  return h('svg', { class: 'bar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', role: 'img', 'aria-label': label },
    h('rect', { x: 0, y: 0, width: 100, height: 10, fill: '#eaeef2' }),
    h('rect', { x: 0, y: 0, width: width.toFixed(2), height: 10, fill: colour }));
}

// Segments side by side on a 0..total axis (the score's contributions: they add up to the score).
export function stackedBar(segments, total, label) {
  let x = 0;
  const rects = segments.map((s) => {
    const w = total > 0 ? (s.value / 100) * 600 : 0;
    const rect = h('rect', { x: x.toFixed(2), y: 0, width: w.toFixed(2), height: 28, fill: s.colour, 'data-segment': s.name },
      h('title', {}, `${s.label}: ${fmt.score(s.value)} points`));
    x += w;
    return rect;
  });
  return h('svg', { class: 'chart', viewBox: '0 0 600 44', role: 'img', 'aria-label': label },
    h('rect', { x: 0, y: 0, width: 600, height: 28, fill: '#eaeef2' }), rects,
    [0, 25, 50, 75, 100].map((t) => h('text', { x: Math.min(590, t * 6), y: 42, 'text-anchor': t === 100 ? 'end' : 'start' }, String(t))));
}

// A step line of (date, value) points on a 0..100 axis (score history).
export function lineChart(points, label) {
  const W = 600, H = 180, L = 32, B = 20;
  const times = points.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const xOf = (t) => (t1 === t0 ? L + (W - L) / 2 : L + ((t - t0) / (t1 - t0)) * (W - L - 8));
  const yOf = (v) => (H - B) - (v / 100) * (H - B - 8);
  const coords = points.map((p, i) => `${xOf(times[i]).toFixed(1)},${yOf(p.score).toFixed(1)}`);
  return h('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
    [0, 25, 50, 75, 100].map((v) => [
      h('line', { x1: L, x2: W, y1: yOf(v), y2: yOf(v), stroke: '#d0d7de' }),
      h('text', { x: 2, y: yOf(v) + 4 }, String(v)),
    ]),
    h('polyline', { points: coords.join(' '), fill: 'none', stroke: '#0969da', 'stroke-width': 2 }),
    points.map((p, i) => h('circle', { cx: xOf(times[i]), cy: yOf(p.score), r: 3.5, fill: BAND_COLOURS[p.band] || '#0969da' },
      h('title', {}, `${fmt.date(p.at)}: ${fmt.score(p.score)} (${p.band})`))),
    h('text', { x: L, y: H - 4 }, fmt.date(points[0].at)),
    h('text', { x: W - 4, y: H - 4, 'text-anchor': 'end' }, fmt.date(points[points.length - 1].at)));
}

// Dated marks on a time axis (a material's signals).
export function timeline(events, label) {
  const W = 600, rowH = 22, L = 8;
  const times = events.map((e) => Date.parse(e.date));
  const t0 = Math.min(...times), t1 = Math.max(...times, t0 + 1);
  const xOf = (t) => L + ((t - t0) / (t1 - t0)) * (W - 2 * L - 150);
  const H = events.length * rowH + 24;
  return h('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
    h('line', { x1: L, x2: W - 150, y1: H - 18, y2: H - 18, stroke: '#57606a' }),
    h('text', { x: L, y: H - 4 }, fmt.date(events.length ? new Date(t0).toISOString() : '')),
    h('text', { x: W - 150, y: H - 4, 'text-anchor': 'end' }, fmt.date(events.length ? new Date(t1).toISOString() : '')),
    events.map((e, i) => h('g', {},
      h('circle', { cx: xOf(times[i]), cy: 12 + i * rowH, r: 5, fill: e.colour }),
      h('text', { x: xOf(times[i]) + 9, y: 16 + i * rowH }, `${e.label} (${e.status})`))));
}

// Several series of (day, value) points on a shared day axis, 0..100 (a portfolio's spend-weighted and max
// score per day). Each point carries data-series/data-day/data-value, and a legend names each series in words.
export function seriesChart(days, series, label) {
  const W = 600, H = 200, L = 32, B = 20, R = 8;
  const times = days.map((d) => Date.parse(`${d.day}T00:00:00Z`));
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const xOf = (t) => (t1 === t0 ? L + (W - L) / 2 : L + ((t - t0) / (t1 - t0)) * (W - L - R));
  const yOf = (v) => (H - B) - (v / 100) * (H - B - 8);
  return h('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
    [0, 25, 50, 75, 100].map((v) => [
      h('line', { x1: L, x2: W, y1: yOf(v), y2: yOf(v), stroke: '#d0d7de' }),
      h('text', { x: 2, y: yOf(v) + 4 }, String(v)),
    ]),
    series.map((s) => h('g', { 'data-series': s.key },
      h('polyline', { points: days.map((d, i) => `${xOf(times[i]).toFixed(1)},${yOf(d[s.key]).toFixed(1)}`).join(' '),
        fill: 'none', stroke: s.colour, 'stroke-width': 2, 'stroke-dasharray': s.dash || null }),
      days.map((d, i) => h('circle', { cx: xOf(times[i]).toFixed(1), cy: yOf(d[s.key]).toFixed(1), r: 3.5, fill: s.colour,
        'data-series': s.key, 'data-day': d.day, 'data-value': d[s.key] },
      h('title', {}, `${d.day}: ${s.label} ${fmt.score(d[s.key])}`))))),
    h('text', { x: L, y: H - 4 }, days[0].day),
    h('text', { x: W - 4, y: H - 4, 'text-anchor': 'end' }, days[days.length - 1].day));
}
