// Exposure map: one importer's materials ranked (filters: group, band), or a heatmap importers x materials of a group.
import { api } from '../api.js';
import { h, fmt, band, select } from '../dom.js';
import { bar, BAND_COLOURS } from '../charts.js';

const BANDS = ['low', 'moderate', 'high', 'critical'];

export async function exposureView(root, args, params) {
  const importer = (params.get('importer') || 'JP').toUpperCase();
  const group = params.get('group') || '';
  const bandFilter = params.get('band') || '';
  const mode = params.get('mode') || 'ranked';
  const [importers, materials] = await Promise.all([api.importers(), api.materials()]);
  const groups = [...new Set(materials.items.flatMap((m) => m.groups))].sort();
  const go = (changes) => {
    const next = new URLSearchParams({ importer, group, band: bandFilter, mode, ...changes });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    location.hash = `#/exposure?${next}`;
  };
  root.append(h('h1', {}, mode === 'heatmap' ? `Exposure heatmap: ${group || 'choose a group'}` : `Exposure map: ${importer}`),
    h('div', { class: 'filters' },
      select('mode', 'View', [['ranked', 'One importer, ranked'], ['heatmap', 'Heatmap for a group']], mode, (e) => go({ mode: e.target.value })),
      select('importer', 'Importer', importers.items.map((i) => [i.code, `${i.name} (${i.code})`]), importer, (e) => go({ importer: e.target.value })),
      select('group', 'Material group', [['', 'all materials'], ...groups.map((g) => [g, g])], group, (e) => go({ group: e.target.value })),
      select('band', 'Band', [['', 'any band'], ...BANDS.map((b) => [b, b])], bandFilter, (e) => go({ band: e.target.value }))));

  if (mode === 'heatmap') {
    if (!group) { root.append(h('p', {}, 'Choose a material group for the heatmap.')); return; }
    const inGroup = materials.items.filter((m) => m.groups.includes(group)).map((m) => m.id).sort();
    const columns = await Promise.all(inGroup.map((m) => api.materialScores(m, { band: bandFilter })));
    const byImporter = new Map();
    columns.forEach((page, c) => page.items.forEach((s) => {
      if (!byImporter.has(s.importer)) byImporter.set(s.importer, new Array(inGroup.length).fill(null));
      byImporter.get(s.importer)[c] = s;
    }));
    const rows = [...byImporter.entries()].sort(([a], [b]) => a.localeCompare(b));
    root.append(h('table', { class: 'heat', 'aria-label': `Scores of ${group} materials by importer` },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Importer'), inGroup.map((m) => h('th', { scope: 'col' }, m)))),
      h('tbody', {}, rows.map(([code, cells]) => h('tr', {}, h('th', { scope: 'row' }, code), cells.map((s) => h('td', {},
        s ? h('a', { href: `#/score/${s.importer}/${s.material}`, class: `band-${s.band}`, 'data-cell': `${s.importer}/${s.material}`,
          'aria-label': `${s.importer} ${s.material}: ${fmt.score(s.score)} ${s.band}` }, fmt.score(s.score)) : '–')))))));
    return;
  }
  const scores = await api.importerScores(importer, { group, band: bandFilter });
  if (!scores.length) { root.append(h('p', {}, 'No scores match these filters.')); return; }
  root.append(h('ol', { class: 'bars', 'aria-label': `${importer}'s materials ranked by score` }, scores.map((s) => h('li', { 'data-material': s.material },
    h('span', {}, h('a', { href: `#/score/${s.importer}/${s.material}` }, s.material), ' ', band(s.band)),
    bar(s.score, 100, BAND_COLOURS[s.band], `${s.material}: ${fmt.score(s.score)} of 100`),
    h('span', { class: 'value', 'data-field': 'score' }, fmt.score(s.score))))));
}
