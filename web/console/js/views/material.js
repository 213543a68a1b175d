// Material: stage shares per country as bars (with governance and the trade-restriction factor), named sites,
// signals timeline.
import { api } from '../api.js';
import { h, fmt, sourceLink } from '../dom.js';
import { bar, timeline } from '../charts.js';

const STATUS_COLOURS = { in_force: '#b3261e', announced: '#c4470a', reported: '#9a6700', suspended: '#57606a', lifted: '#1a7f37' };

export async function materialView(root, args) {
  const material = await api.material(args[0] || 'neodymium');
  const governance = await governanceOf(Object.values(material.stages).flat().map((s) => s.country));
  root.append(h('h1', {}, `Material: ${material.name}`),
    h('p', {}, `Groups: ${material.groups.join(', ') || '–'} · recycling input rate ${fmt.pct(material.recycling_input_rate)}`),
    h('p', { class: 'muted' }, `Source: ${material.source}`));
  for (const [stage, shares] of Object.entries(material.stages)) {
    root.append(h('h2', {}, `Stage: ${stage}`),
      h('ol', { class: 'bars', 'aria-label': `${stage} shares by country`, 'data-stage': stage }, shares.map((s) => h('li', { 'data-country': s.country },
        h('span', {}, s.country),
        bar(s.share, 1, '#0969da', `${s.country}: ${fmt.pct(s.share)} of ${stage}`),
        h('span', { class: 'value' }, h('span', { 'data-field': 'share' }, fmt.pct(s.share)),
          h('span', { class: 'muted' }, ' · governance risk ', h('span', { 'data-field': 'governance' }, governanceText(governance.get(s.country))),
            ` · trade restriction ×${Number(s.trade_restriction).toFixed(2)}`))))));
  }
  root.append(h('h2', {}, 'Named sites'), material.sites.length
    ? h('ul', {}, material.sites.map((s) => h('li', { 'data-site': s.name },
      h('strong', {}, s.name), ` (${s.country}, ${s.stage}): ${fmt.pct(s.share)} of world ${s.stage}. `, h('span', { class: 'muted' }, s.source))))
    : h('p', {}, 'No named sites.'));
  const signals = [...material.active_signals].sort((a, b) => (a.effective || a.announced).localeCompare(b.effective || b.announced));
  root.append(h('h2', {}, 'Active signals'));
  if (!signals.length) { root.append(h('p', {}, 'No active signals.')); return; }
  root.append(
    timeline(signals.map((s) => ({ date: s.effective || s.announced, label: `${s.issuer} ${s.measure}`, status: s.status, colour: STATUS_COLOURS[s.status] || '#57606a' })),
      `Timeline of ${signals.length} active signals`),
    h('table', { 'aria-label': 'Active signals' },
      h('thead', {}, h('tr', {}, ['Date', 'Signal', 'Issuer', 'Measure', 'Status', 'Targets'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, signals.map((s) => h('tr', { 'data-signal': s.id },
        h('td', {}, fmt.date(s.effective || s.announced)), h('td', {}, sourceLink(s.source, s.id)),
        h('td', {}, s.issuer), h('td', {}, s.measure), h('td', {}, s.status), h('td', {}, s.targets.join(', ')))))));
}

// Each producing country's governance (GET /v1/countries/{c}/governance, in parallel); a 404 means none stored.
async function governanceOf(countries) {
  const unique = [...new Set(countries)];
  const found = await Promise.all(unique.map((c) => api.governance(c).catch((error) => {
    if (error.status === 404) return null;
    throw error;
  })));
  return new Map(unique.map((c, i) => [c, found[i]]));
}

function governanceText(g) {
  return g ? `${Number(g.governance_risk).toFixed(1)}/10 (${g.year})` : '–';
}
