// Portfolio: totals, lines ranked by risk x spend (bars in band colour, top driver), trend, CSV download.
import { api } from '../api.js';
import { h, fmt, band, field, select } from '../dom.js';
import { bar, BAND_COLOURS } from '../charts.js';

export async function portfolioView(root, args) {
  const list = await api.portfolios();
  root.append(h('h1', {}, 'Portfolio risk'));
  if (!list.items.length) {
    root.append(h('p', {}, 'No portfolios for this caller yet: PUT /v1/portfolios/{id} creates one (see the API docs).'));
    return;
  }
  const id = args[0] || list.items[0].id;
  root.append(h('div', { class: 'filters' }, select('portfolio', 'Portfolio',
    list.items.map((p) => [p.id, `${p.name} (${p.id})`]), id, (e) => { location.hash = `#/portfolio/${encodeURIComponent(e.target.value)}`; })));
  const risk = await api.portfolioRisk(id);
  root.querySelector('h1').textContent = `Portfolio risk: ${risk.name}`;
  root.append(
    h('dl', { class: 'totals' },
      field('spend_weighted_score', 'Spend-weighted score', fmt.score(risk.spend_weighted_score)),
      field('max_score', 'Max score', fmt.score(risk.max_score)),
      field('band', 'Band', band(risk.band)),
      field('total_spend', 'Total spend', fmt.money(risk.total_spend, risk.currency)),
      field('at_risk_spend', 'Spend at high or critical risk', fmt.money(risk.at_risk_spend, risk.currency)),
      field('unscored_spend', 'Unscored spend', fmt.money(risk.unscored_spend, risk.currency))),
    h('p', {}, h('button', { type: 'button', id: 'csv', onclick: () => downloadCsv(id) }, 'Download CSV')),
  );

  const lines = [...risk.items].sort((a, b) => b.risk_spend - a.risk_spend);
  const max = Math.max(...lines.map((l) => l.risk_spend), 0);
  root.append(h('h2', {}, 'Lines ranked by risk × spend'),
    h('ol', { class: 'bars', 'aria-label': 'Portfolio lines ranked by risk times spend' }, lines.map((line) => h('li', { 'data-line': `${line.importer}/${line.material}/${line.part || ''}` },
      h('span', {},
        h('a', { href: `#/score/${line.importer}/${line.material}` }, `${line.material} · ${line.importer}`),
        line.part ? h('span', { class: 'muted' }, ` · ${line.part}`) : null,
        line.via_group ? h('span', { class: 'muted' }, ` (via ${line.via_group})`) : null, ' ', band(line.band)),
      bar(line.risk_spend, max, BAND_COLOURS[line.band], `${line.material}: score ${fmt.score(line.score)} × spend`),
      h('span', { class: 'value' }, h('span', { 'data-field': 'score' }, fmt.score(line.score)), ' pts'),
      h('p', { class: 'driver' }, `Risk × spend ${fmt.money(line.risk_spend, risk.currency)} · top driver: ${line.top_driver || '–'}`)))));

  if (risk.unscored_lines.length) {
    root.append(h('h2', {}, 'Unscored lines'), h('ul', {}, risk.unscored_lines.map((u) =>
      h('li', {}, `${u.material} · ${u.importer}: ${fmt.money(u.annual_spend, risk.currency)} (${u.reason})`))));
  }
  root.append(h('h2', {}, 'Trend'), h('p', { class: 'muted', 'data-field': 'trend' },
    'The API has no portfolio history route yet: each line\'s own history is on its score page.'));
}

async function downloadCsv(id) {
  const text = await api.portfolioCsv(id);
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const link = h('a', { href: url, download: `${id}-risk.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
