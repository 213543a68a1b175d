// Who the console calls the API as. Tokens live in sessionStorage only (gone with the tab), never in URLs or
// localStorage. Locally: a picker over the development tokens. In AWS: Cognito hosted UI, authorization code + PKCE.
const KEY = 'risk-console-token';
const VERIFIER = 'risk-console-pkce';

export function token() { return sessionStorage.getItem(KEY); }
export function setToken(value) { if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY); }

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function redirectUri() { return `${location.origin}${location.pathname}`; }

export async function cognitoSignIn(config) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(VERIFIER, JSON.stringify({ verifier, state }));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const query = new URLSearchParams({
    response_type: 'code', client_id: config.client_id, redirect_uri: redirectUri(), scope: config.scopes.join(' '),
    state, code_challenge: challenge, code_challenge_method: 'S256',
  });
  location.assign(`${config.cognito_domain}/oauth2/authorize?${query}`);
}

// Back from the hosted UI with ?code=...&state=...: exchange the code (PKCE, public client: no secret), keep the
// access token in sessionStorage and drop the code from the address bar.
export async function completeCognitoSignIn(config) {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!code) return;
  const saved = JSON.parse(sessionStorage.getItem(VERIFIER) || '{}');
  sessionStorage.removeItem(VERIFIER);
  history.replaceState(null, '', redirectUri() + location.hash);
  if (!saved.verifier || saved.state !== params.get('state')) throw new Error('sign-in state mismatch: try again');
  const response = await fetch(`${config.cognito_domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', client_id: config.client_id, code, redirect_uri: redirectUri(),
      code_verifier: saved.verifier,
    }),
  });
  if (!response.ok) throw new Error(`sign-in failed (${response.status})`);
  setToken((await response.json()).access_token);
}
