// Elements built with textContent and attributes only: API text never becomes markup (no innerHTML anywhere).
const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_TAGS = new Set(['svg', 'rect', 'line', 'polyline', 'circle', 'text', 'g', 'title', 'path']);

export function h(tag, attrs = {}, ...children) {
  const el = SVG_TAGS.has(tag) ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const fmt = {
  score: (v) => (v === null || v === undefined ? '–' : Number(v).toFixed(1)),
  pct: (v) => (v === null || v === undefined ? '–' : `${(Number(v) * 100).toFixed(1)}%`),
  money: (v, currency) => `${Math.round(Number(v)).toLocaleString('en-US')}${currency ? ` ${currency}` : ''}`,
  date: (v) => (v ? String(v).slice(0, 10) : '–'),
};

export function band(name) {
  return h('span', { class: `band band-${name}`, 'data-band': name }, name);
}

export function field(name, label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', { 'data-field': name }, value));
}

export function select(name, label, options, current, onchange) {
  const el = h('select', { name, id: `f-${name}`, onchange },
    options.map(([value, text]) => h('option', { value, selected: value === current }, text)));
  return h('label', { for: `f-${name}` }, label, el);
}

export function input(name, label, attrs = {}) {
  return h('label', { for: `f-${name}` }, label, h('input', { name, id: `f-${name}`, ...attrs }));
}

export function showError(container, error) {
  container.replaceChildren(
    h('h1', {}, 'Something went wrong'),
    h('p', { class: 'error', role: 'alert', 'data-error': error.code || 'error' }, error.message),
  );
}

// A link only for http(s) sources (an admin-written source must never become a javascript: link).
export function sourceLink(url, text) {
  return /^https?:\/\//i.test(url || '') ? h('a', { href: url, rel: 'noreferrer noopener' }, text) : h('span', {}, text);
}
