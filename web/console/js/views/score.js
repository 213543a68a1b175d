// Score: contributions as a stacked bar adding up to the score, drivers (sources, fallbacks, confidence), history,
// and the importer's top suppliers for the material.
import { api } from '../api.js';
import { h, fmt, band, field } from '../dom.js';
import { stackedBar, lineChart, COMPONENT_COLOURS } from '../charts.js';

const LABELS = {
  supply_risk: 'Supply risk', import_reliance: 'Import reliance', site_concentration: 'Site concentration',
  policy_pressure: 'Policy pressure',
};

export async function scoreView(root, args) {
  const [importer, material] = [(args[0] || 'JP').toUpperCase(), args[1] || 'dysprosium'];
  const [score, history, dependency] = await Promise.all([
    api.score(importer, material), api.history(importer, material),
    api.dependency(importer, material).catch(() => null),
  ]);
  const segments = Object.entries(score.contributions).map(([name, value]) => ({
    name, value, label: LABELS[name] || name, colour: COMPONENT_COLOURS[name] || '#57606a',
  }));
  const sum = segments.reduce((total, s) => total + s.value, 0);
  root.append(
    h('h1', {}, `Score: ${importer} · ${material}`),
    h('p', {}, h('a', { href: `#/material/${material}` }, `Material profile: ${material}`), ' · ',
      h('a', { href: `#/exposure?importer=${importer}` }, `${importer}'s exposure map`)),
    h('dl', { class: 'totals' },
      field('score', 'Score', fmt.score(score.score)), field('band', 'Band', band(score.band)),
      field('confidence', 'Confidence', fmt.pct(score.confidence)),
      field('bottleneck_stage', 'Bottleneck stage', score.bottleneck_stage || '–'),
      field('computed_at', 'Computed', fmt.date(score.computed_at)), field('model_version', 'Model', score.model_version)),
    h('h2', {}, 'Contributions'),
    stackedBar(segments, score.score, `Contributions adding up to ${fmt.score(sum)} of 100`),
    h('table', { 'aria-label': 'Contributions to the score' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Component'), h('th', { scope: 'col', class: 'num' }, 'Value'), h('th', { scope: 'col', class: 'num' }, 'Points'))),
      h('tbody', {}, segments.map((s) => h('tr', { 'data-component': s.name },
        h('td', {}, h('span', { class: `swatch sw-${s.name}` }), s.label),
        h('td', { class: 'num' }, score.components[s.name] === undefined ? '–' : Number(score.components[s.name]).toFixed(3)),
        h('td', { class: 'num', 'data-field': 'points' }, fmt.score(s.value))))),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'Total'), h('td', {}), h('td', { class: 'num', 'data-field': 'sum' }, fmt.score(sum))))),
    h('h2', {}, 'Drivers'),
    h('ol', { class: 'drivers' }, score.drivers.map((d) => h('li', { 'data-driver': d.component },
      h('strong', {}, `${fmt.score(d.points)} pts · ${LABELS[d.component] || d.component}: `), d.text,
      h('br'), h('span', { class: 'muted' }, `Source: ${d.source}`)))),
    h('h2', {}, 'Fallbacks'),
    score.fallbacks.length ? h('ul', { 'data-field': 'fallbacks' }, score.fallbacks.map((f) => h('li', {}, f)))
      : h('p', { 'data-field': 'fallbacks' }, 'None: every input was the preferred source.'),
  );
  root.append(h('h2', {}, 'History'));
  const points = [...history.items].sort((a, b) => a.at.localeCompare(b.at));
  if (points.length) {
    root.append(lineChart(points, `Score history: ${points.length} points from ${fmt.date(points[0].at)} to ${fmt.date(points[points.length - 1].at)}, latest ${fmt.score(points[points.length - 1].score)}`),
      h('p', { class: 'muted', 'data-field': 'history_points' }, `${points.length} point(s)`));
  } else {
    root.append(h('p', { 'data-field': 'history_points' }, 'No history yet.'));
  }
  root.append(h('h2', {}, `${importer}'s top suppliers of ${material}`));
  if (!dependency) { root.append(h('p', {}, 'No dependency data for this pair.')); return; }
  root.append(h('p', {}, `Import reliance ${fmt.pct(dependency.import_reliance)} (${dependency.method}). Source: ${dependency.source}`));
  for (const [stage, detail] of Object.entries(dependency.stages)) {
    const partners = [...detail.partners].sort((a, b) => b.share - a.share).slice(0, 5);
    root.append(h('table', { 'aria-label': `Top suppliers, ${stage}`, 'data-stage': stage },
      h('caption', {}, stage),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Supplier'), h('th', { scope: 'col', class: 'num' }, 'Share'))),
      h('tbody', {}, partners.map((p) => h('tr', { 'data-country': p.country },
        h('td', {}, `${p.name} (${p.country})${p.domestic ? ', domestic' : ''}`), h('td', { class: 'num' }, fmt.pct(p.share)))))));
  }
}
