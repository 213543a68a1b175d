// What-if: add a ban or lift a signal on a portfolio, see before and after side by side (computed, never stored).
import { api } from '../api.js';
import { h, fmt, band, select, input } from '../dom.js';
import { bar, BAND_COLOURS } from '../charts.js';

export async function whatifView(root) {
  const portfolios = await api.portfolios();
  root.append(h('h1', {}, 'What-if'));
  if (!portfolios.items.length) { root.append(h('p', {}, 'No portfolios for this caller yet.')); return; }
  const result = h('div', { id: 'whatif-result', 'aria-live': 'polite' });
  const kind = select('kind', 'Change', [['add_signal', 'Add an export ban'], ['lift_signal', 'Lift a signal']], 'add_signal', () => toggle());
  const banFields = h('div', { class: 'filters' },
    input('issuer', 'Issuer (ISO code)', { value: 'CN', maxlength: 2, size: 3 }),
    input('material', 'Material or group', { value: 'dysprosium' }),
    input('target', 'Target (ISO code or ALL)', { value: 'JP', size: 5 }));
  const liftFields = h('div', { class: 'filters', hidden: true }, input('signal_id', 'Signal id', { value: 'CN-2025-18' }));
  const toggle = () => {
    const lift = root.querySelector('#f-kind').value === 'lift_signal';
    banFields.hidden = lift;
    liftFields.hidden = !lift;
  };
  const form = h('form', { class: 'panel', 'aria-label': 'Scenario' },
    select('portfolio', 'Portfolio', portfolios.items.map((p) => [p.id, p.name]), portfolios.items[0].id), kind, banFields, liftFields,
    h('button', { type: 'submit' }, 'Run what-if'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (name) => form.querySelector(`[name=${name}]`).value.trim();
    const change = value('kind') === 'lift_signal'
      ? { type: 'lift_signal', signal_id: value('signal_id') }
      : { type: 'add_signal', signal: { issuer: value('issuer').toUpperCase(), measure: 'export_ban', materials: [value('material')], targets: [value('target').toUpperCase()], severity: 1 } };
    result.replaceChildren(h('p', {}, 'Computing…'));
    try {
      render(result, await api.scenario({ changes: [change], portfolio_id: value('portfolio') }));
    } catch (error) {
      result.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
    }
  });
  root.append(form, result);
}

function render(result, scenario) {
  const lines = [...scenario.items].sort((a, b) => b.delta - a.delta);
  const side = (which, title) => h('section', { 'aria-label': title }, h('h2', {}, title),
    h('ol', { class: 'bars' }, lines.map((l) => h('li', { 'data-pair': `${l.importer}/${l.material}`, 'data-side': which },
      h('span', {}, h('a', { href: `#/score/${l.importer}/${l.material}` }, `${l.material} · ${l.importer}`), ' ', band(l[which].band)),
      bar(l[which].score, 100, BAND_COLOURS[l[which].band], `${l.material} ${which}: ${fmt.score(l[which].score)}`),
      h('span', { class: 'value', 'data-field': 'score' }, fmt.score(l[which].score))))));
  result.replaceChildren(
    h('p', { 'data-field': 'changed' }, `${lines.filter((l) => l.delta !== 0).length} of ${lines.length} pairs change (as of ${scenario.as_of}).`),
    h('div', { class: 'side-by-side' }, side('baseline', 'Before'), side('scenario', 'After')),
    h('table', { 'aria-label': 'Score changes' },
      h('thead', {}, h('tr', {}, ['Pair', 'Before', 'After', 'Change'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, lines.map((l) => h('tr', { 'data-pair': `${l.importer}/${l.material}` },
        h('td', {}, `${l.importer} ${l.material}`), h('td', { class: 'num' }, fmt.score(l.baseline.score)),
        h('td', { class: 'num' }, fmt.score(l.scenario.score)), h('td', { class: 'num', 'data-field': 'delta' }, `${l.delta >= 0 ? '+' : ''}${fmt.score(l.delta)}`))))),
    companyLines(scenario));
}

// The portfolio's company-sourced lines, scored on their own sourcing, before and after (when the API returns any).
function companyLines(scenario) {
  if (!scenario.company_items || !scenario.company_items.length) {
    return h('p', { class: 'muted', 'data-field': 'company_none' }, 'No company-sourced line in this portfolio: the scores above are national.');
  }
  const lines = [...scenario.company_items].sort((a, b) => a.item_index - b.item_index);
  return h('section', { 'aria-labelledby': 'company-whatif' }, h('h2', { id: 'company-whatif' }, 'Company-specific sourcing: before and after'),
    h('table', { 'aria-label': 'Company-specific score changes' },
      h('thead', {}, h('tr', {}, ['Line', 'Pair', 'Before', 'After', 'Change'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, lines.map((l) => h('tr', { 'data-company-item': l.item_index },
        h('td', { class: 'num' }, `#${l.item_index + 1}`), h('td', {}, `${l.importer} ${l.material}`),
        h('td', { class: 'num', 'data-field': 'baseline' }, fmt.score(l.baseline.score), ' ', band(l.baseline.band)),
        h('td', { class: 'num', 'data-field': 'scenario' }, fmt.score(l.scenario.score), ' ', band(l.scenario.band)),
        h('td', { class: 'num', 'data-field': 'delta' }, `${l.delta >= 0 ? '+' : ''}${fmt.score(l.delta)}`))))));
}
