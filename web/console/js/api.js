// The public API, same origin (/v1/...), with the session's bearer token. Errors carry the API's error shape.
import { token } from './auth.js';

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? `${status}: ${body.message}` : `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.details = (body && body.details) || [];
  }
}

async function call(method, path, { body, accept, headers } = {}) {
  const h = { Accept: accept || 'application/json', ...(headers || {}) };
  const bearer = token();
  if (bearer) h.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const response = await fetch(`../v1${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  if (accept === 'text/csv' && response.ok) return response.text();
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

const q = (params) => {
  const s = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v !== null && v !== undefined));
  return s.toString() ? `?${s}` : '';
};
const seg = encodeURIComponent;

export const api = {
  get: (path) => call('GET', path),
  portfolios: () => call('GET', '/portfolios?limit=100'),
  portfolioRisk: (id) => call('GET', `/portfolios/${seg(id)}/risk`),
  portfolioCsv: (id) => call('GET', `/portfolios/${seg(id)}/risk`, { accept: 'text/csv' }),
  portfolioHistory: (id) => call('GET', `/portfolios/${seg(id)}/risk/history`),
  score: (i, m) => call('GET', `/scores/${seg(i)}/${seg(m)}`),
  history: (i, m) => call('GET', `/scores/${seg(i)}/${seg(m)}/history?limit=200`),
  dependency: (i, m) => call('GET', `/importers/${seg(i)}/dependencies/${seg(m)}`),
  importers: () => call('GET', '/importers?limit=200'),
  materials: () => call('GET', '/materials'),
  material: (m) => call('GET', `/materials/${seg(m)}`),
  governance: (country) => call('GET', `/countries/${seg(country)}/governance`),
  materialScores: (m, params) => call('GET', `/materials/${seg(m)}/scores${q({ limit: 200, ...params })}`),
  async importerScores(i, params) {
    const items = [];
    let cursor = null;
    do {
      const page = await call('GET', `/importers/${seg(i)}/scores${q({ limit: 200, ...params, cursor })}`);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  },
  signals: (params) => call('GET', `/signals${q(params)}`),
  scenario: (body) => call('POST', '/scenarios', { body }),
  batch: (pairs) => call('POST', '/scores/batch', { body: { pairs } }),
  putSignal: (id, body) => call('PUT', `/signals/${seg(id)}`, { body }),
};
