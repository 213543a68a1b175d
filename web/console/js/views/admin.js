// Admin: PUT a signal (risk/admin), then watch the affected pairs' scores arrive as the stream rescores them.
import { api } from '../api.js';
import { h, fmt, band, select, input } from '../dom.js';

const MEASURES = ['export_ban', 'licensing', 'licence_slowdown', 'quota', 'end_user_ban', 'informal_embargo', 'technology_ban', 'export_tax', 'export_quota', 'other'];
const STATUSES = ['in_force', 'announced', 'reported', 'suspended', 'lifted'];
const WATCH_POLLS = 60;

export async function adminView(root) {
  const today = new Date().toISOString().slice(0, 10);
  const watch = h('div', { id: 'watch', 'aria-live': 'polite' });
  const form = h('form', { class: 'panel', 'aria-label': 'Signal' },
    input('id', 'Signal id', { value: `CONSOLE-${Date.now()}`, required: true }),
    input('issuer', 'Issuer', { value: 'CN', maxlength: 2, size: 3, required: true }),
    select('measure', 'Measure', MEASURES.map((m) => [m, m]), 'export_ban'),
    input('materials', 'Materials (comma-separated)', { value: 'dysprosium', required: true }),
    input('targets', 'Targets (comma-separated)', { value: 'US', required: true }),
    input('severity', 'Severity (0-1)', { type: 'number', min: 0, max: 1, step: 0.05, value: 1 }),
    input('announced', 'Announced', { type: 'date', value: today }),
    select('status', 'Status', STATUSES.map((s) => [s, s]), 'in_force'),
    input('source', 'Source URL', { type: 'url', value: 'https://example.org/console', required: true }),
    h('button', { type: 'submit' }, 'PUT signal'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (name) => form.querySelector(`[name=${name}]`).value.trim();
    const list = (name) => value(name).split(',').map((s) => s.trim()).filter(Boolean);
    const id = value('id');
    const body = {
      issuer: value('issuer').toUpperCase(), measure: value('measure'), materials: list('materials'),
      targets: list('targets').map((t) => t.toUpperCase()), severity: Number(value('severity')),
      announced: value('announced'), status: value('status'), source: value('source'),
    };
    const pairs = body.targets.filter((t) => t !== 'ALL').flatMap((importer) => body.materials.map((material) => ({ importer, material })));
    try {
      const before = pairs.length ? await api.batch(pairs) : { items: [] };
      const saved = await api.putSignal(id, body);
      watch.replaceChildren(h('p', { 'data-field': 'saved', role: 'status' }, `Saved ${saved.id} (version ${saved.version}). Watching ${pairs.length} pair(s) rescore…`));
      watchPairs(watch, pairs, before.items);
    } catch (error) {
      watch.replaceChildren(h('p', { class: 'error', role: 'alert', 'data-error': error.code || 'error' }, error.message));
    }
  });
  root.append(h('h1', {}, 'Admin: put a signal'),
    h('p', { class: 'muted' }, 'Needs the risk/admin scope (dev-admin locally). The table stream rescores the affected pairs; they appear below as they arrive.'),
    form, watch);
}

async function watchPairs(watch, pairs, beforeItems) {
  const before = new Map(beforeItems.map((s) => [`${s.importer}/${s.material}`, s.computed_at]));
  const list = h('ul', { 'aria-label': 'Rescored pairs' });
  watch.append(list);
  const done = new Set();
  for (let poll = 0; poll < WATCH_POLLS && done.size < pairs.length && watch.isConnected; poll += 1) {
    const now = await api.batch(pairs);
    for (const s of now.items) {
      const key = `${s.importer}/${s.material}`;
      if (done.has(key) || s.computed_at === before.get(key)) continue;
      done.add(key);
      list.append(h('li', { 'data-rescored': key }, `${key}: `, h('span', { 'data-field': 'score' }, fmt.score(s.score)), ' ', band(s.band), ` at ${s.computed_at}`));
    }
    if (done.size < pairs.length) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  watch.append(h('p', { 'data-field': 'watch_done' }, `${done.size} of ${pairs.length} pair(s) rescored.`));
}
