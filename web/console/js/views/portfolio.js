// Portfolio: totals, lines ranked by risk x spend (bars in band colour, top driver), company-specific vs national
// score per line, the trend (spend-weighted and max score per day), CSV download.
import { api } from '../api.js';
import { h, fmt, band, field, select } from '../dom.js';
import { bar, seriesChart, BAND_COLOURS } from '../charts.js';

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
  root.append(companyVsNational(risk));
  root.append(h('h2', {}, 'Trend'), trend(await api.portfolioHistory(id)));
}

// Company-specific (the line's own sourcing) next to national (the importer's trade mix), with the difference.
function companyVsNational(risk) {
  const section = h('section', { 'aria-labelledby': 'company-title', 'data-section': 'company' },
    h('h2', { id: 'company-title' }, 'Company-specific vs national score'));
  if (!risk.company || !risk.items.some((line) => line.company_sourced)) {
    section.append(h('p', { class: 'muted', 'data-field': 'company_none' },
      'No line has company sourcing (supplier country or sourcing shares): every score is the national one.'));
    return section;
  }
  const diff = (v) => (v === null || v === undefined ? '–' : `${v >= 0 ? '+' : ''}${fmt.score(v)}`);
  section.append(
    h('dl', { class: 'totals' },
      field('national_total', 'National spend-weighted', fmt.score(risk.spend_weighted_score)),
      field('company_total', 'Company-specific spend-weighted', fmt.score(risk.company.spend_weighted_score)),
      field('company_difference', 'Difference', diff(risk.company_difference)),
      field('company_max', 'Company-specific max', fmt.score(risk.company.max_score)),
      field('company_band', 'Company-specific band', band(risk.company.band))),
    h('table', { 'aria-label': 'Company-specific vs national score per line' },
      h('thead', {}, h('tr', {}, ['Line', 'Supplier', 'National', 'Company-specific', 'Difference'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, risk.items.map((line) => h('tr', { 'data-company-line': `${line.importer}/${line.material}/${line.part || ''}` },
        h('th', { scope: 'row' }, `${line.material} · ${line.importer}${line.part ? ` · ${line.part}` : ''}`),
        h('td', {}, line.supplier || (line.company_sourced ? '(own sourcing)' : '–')),
        h('td', { class: 'num', 'data-field': 'national' }, fmt.score(line.score), ' ', band(line.band)),
        h('td', { class: 'num', 'data-field': 'company' }, fmt.score(line.company_score), ' ', line.company_band ? band(line.company_band) : null),
        h('td', { class: 'num', 'data-field': 'difference' }, diff(line.score_difference)))))));
  return section;
}

// Spend-weighted and max score per day (national scores: company sourcing has no stored history).
function trend(history) {
  if (!history.days.length) {
    return h('p', { class: 'muted', 'data-field': 'trend' }, `No scored day between ${history.from} and ${history.to}.`);
  }
  const series = [
    { key: 'spend_weighted_score', label: 'spend-weighted', colour: '#0969da' },
    { key: 'max_score', label: 'max', colour: '#b3261e', dash: '6 4' },
  ];
  const last = history.days[history.days.length - 1];
  return h('div', { 'data-field': 'trend' },
    seriesChart(history.days, series,
      `Spend-weighted and max score per day, ${history.from} to ${history.to}: last day ${last.day} ${fmt.score(last.spend_weighted_score)} and ${fmt.score(last.max_score)}`),
    h('p', { class: 'legend' }, h('span', { class: 'key key-weighted' }, 'solid: spend-weighted'), ' · ', h('span', { class: 'key key-max' }, 'dashed: max'),
      h('span', { class: 'muted' }, ` · ${history.days.length} day(s), ${history.basis} scores`)),
    h('table', { 'aria-label': 'Portfolio risk per day' },
      h('thead', {}, h('tr', {}, ['Day', 'Spend-weighted', 'Max', 'Band', 'Scored lines'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, history.days.map((d) => h('tr', { 'data-day': d.day },
        h('th', { scope: 'row' }, d.day), h('td', { class: 'num', 'data-field': 'spend_weighted_score' }, fmt.score(d.spend_weighted_score)),
        h('td', { class: 'num', 'data-field': 'max_score' }, fmt.score(d.max_score)), h('td', {}, band(d.band)),
        h('td', { class: 'num' }, String(d.scored_lines)))))));
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
