// The console's shell: sign-in (dev token picker locally, Cognito in AWS), hash routes -> views.
import { h, select, showError } from './dom.js';
import { token, setToken, cognitoSignIn, completeCognitoSignIn } from './auth.js';
import { portfolioView } from './views/portfolio.js';
import { exposureView } from './views/exposure.js';
import { scoreView } from './views/score.js';
import { materialView } from './views/material.js';
import { whatifView } from './views/whatif.js';
import { signalsView } from './views/signals.js';
import { adminView } from './views/admin.js';

const VIEWS = {
  portfolio: portfolioView, exposure: exposureView, score: scoreView, material: materialView,
  whatif: whatifView, signals: signalsView, admin: adminView,
};

const main = document.getElementById('view');
const status = document.getElementById('status');

export function say(message) { status.textContent = message; }

async function loadJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' } });
  return response.ok ? response.json() : null;
}

async function renderAuth(config) {
  const area = document.getElementById('auth');
  if (config.auth === 'cognito') {
    area.replaceChildren(token()
      ? h('button', { type: 'button', class: 'secondary', onclick: () => { setToken(null); route(); renderAuth(config); } }, 'Sign out')
      : h('button', { type: 'button', onclick: () => cognitoSignIn(config) }, 'Sign in'));
    return;
  }
  const list = (await loadJson('dev-tokens.json')) || { tokens: [] };
  const options = [['', 'choose a token…'], ...list.tokens.map((t) => [t.token, `${t.token} (${t.scopes.join(', ')})`])];
  area.replaceChildren(select('token', 'Local dev token', options, token() || '', (event) => {
    setToken(event.target.value || null);
    say(event.target.value ? `Calling the API as ${event.target.value}` : 'Signed out');
    route();
  }));
}

function parseHash() {
  const [path, query] = (location.hash.replace(/^#\/?/, '') || 'portfolio').split('?');
  const [name, ...args] = path.split('/').map(decodeURIComponent);
  return { name, args, params: new URLSearchParams(query || '') };
}

let generation = 0;
async function route() {
  const { name, args, params } = parseHash();
  const view = VIEWS[name] || portfolioView;
  const mine = ++generation;
  document.querySelectorAll('[data-nav]').forEach((a) => {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  if (!token()) {
    main.replaceChildren(h('h1', {}, 'Sign in'), h('p', {}, 'Choose who to call the API as (top right).'));
    main.dataset.ready = name;
    return;
  }
  main.dataset.ready = '';
  main.setAttribute('aria-busy', 'true');
  const container = h('div');
  try {
    await view(container, args, params);
  } catch (error) {
    showError(container, error);
  }
  if (mine !== generation) return; // a newer navigation won
  main.replaceChildren(...container.childNodes);
  main.removeAttribute('aria-busy');
  main.dataset.ready = name;
  const heading = main.querySelector('h1');
  if (heading) document.title = `${heading.textContent} · Materials risk console`;
}

// The skip link moves focus to the content without touching the hash (the hash is the page's route).
document.querySelector('.skip').addEventListener('click', (event) => { event.preventDefault(); main.focus(); });

async function start() {
  const config = (await loadJson('config.json')) || { auth: 'dev' };
  if (config.auth === 'cognito') {
    try { await completeCognitoSignIn(config); } catch (error) { say(error.message); }
  }
  await renderAuth(config);
  window.addEventListener('hashchange', () => { route().then(() => main.focus()); });
  await route();
}

start();
