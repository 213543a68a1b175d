// Signals feed (read): filters on the /v1/signals query parameters.
import { api } from '../api.js';
import { h, fmt, select, input, sourceLink } from '../dom.js';

const STATUSES = ['in_force', 'announced', 'reported', 'suspended', 'lifted'];

export async function signalsView(root, args, params) {
  const filters = { target: params.get('target') || '', issuer: params.get('issuer') || '', material: params.get('material') || '', status: params.get('status') || '' };
  const form = h('form', { class: 'filters', 'aria-label': 'Filter signals' },
    input('target', 'Target', { value: filters.target, size: 4 }), input('issuer', 'Issuer', { value: filters.issuer, size: 4 }),
    input('material', 'Material', { value: filters.material }),
    select('status', 'Status', [['', 'any'], ...STATUSES.map((s) => [s, s])], filters.status),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of Object.keys(filters)) {
      const value = form.querySelector(`[name=${name}]`).value.trim();
      if (value) next.set(name, name === 'material' || name === 'status' ? value : value.toUpperCase());
    }
    location.hash = `#/signals?${next}`;
  });
  const feed = await api.signals(filters);
  const items = [...feed.items].sort((a, b) => b.announced.localeCompare(a.announced));
  root.append(h('h1', {}, 'Signals'), form, h('p', { 'data-field': 'count' }, `${items.length} signal(s)`),
    h('table', { 'aria-label': 'Policy signals' },
      h('thead', {}, h('tr', {}, ['Announced', 'Signal', 'Issuer', 'Measure', 'Materials', 'Targets', 'Status', 'Severity'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, items.map((s) => h('tr', { 'data-signal': s.id },
        h('td', {}, fmt.date(s.announced)), h('td', {}, sourceLink(s.source, s.id), h('br'), h('span', { class: 'muted' }, s.title)),
        h('td', {}, s.issuer), h('td', {}, s.measure), h('td', {}, s.materials.join(', ')), h('td', {}, s.targets.join(', ')),
        h('td', {}, s.status), h('td', { class: 'num' }, Number(s.severity).toFixed(2)))))));
}
