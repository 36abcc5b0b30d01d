// api.mjs: what the console asks of nodes, and what it keeps in the browser.
// Requests go to the node that served the console (relative URLs, the admin token only
// there) and to the public GETs of the members /nodes lists (/attestation,
// /metrics/history): nothing else is ever fetched.
//   localStorage:   esgx.simroot (the pinned sim root PEM), esgx.mrenclave (pins),
//                   esgx.theme, esgx.owners (owners pinned per name, as the CLI pins)
//   sessionStorage: esgx.token (the admin token, typed by the user)

export const store = {
  get: (k) => { try { return localStorage.getItem(k); } catch { return null; } },
  set: (k, v) => { try { v === null ? localStorage.removeItem(k) : localStorage.setItem(k, v); } catch { /* private mode */ } },
};
export const token = {
  get: () => { try { return sessionStorage.getItem('esgx.token') || ''; } catch { return ''; } },
  set: (v) => { try { v ? sessionStorage.setItem('esgx.token', v) : sessionStorage.removeItem('esgx.token'); } catch { /* ignore */ } },
};

/** An error message for a failed request: the node's {"error":{"code","message"}} or
 *  the HTTP status. */
function describe(status, text) {
  try {
    const j = JSON.parse(text);
    if (j?.error?.code) return `HTTP ${status} ${j.error.code}: ${j.error.message ?? ''}`.trim();
  } catch { /* not JSON */ }
  return `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

/** GET url; { ok, status, text, json } - or ok false with error set (never throws). */
export async function get(url, { admin = false, timeoutMs = 8000 } = {}) {
  const headers = {};
  if (admin && token.get()) headers.authorization = `Bearer ${token.get()}`;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const r = await fetch(url, { headers, signal: ctl.signal, cache: 'no-store' });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* text routes */ }
    return { ok: r.ok, status: r.status, text, json, error: r.ok ? '' : describe(r.status, text) };
  } catch (e) {
    return { ok: false, status: 0, text: '', json: null,
      error: e.name === 'AbortError' ? `no answer within ${timeoutMs / 1000} s` : `cannot reach it (${e.message})` };
  } finally {
    clearTimeout(timer);
  }
}

/** The members of the network (GET /nodes on this node); a node alone lists itself with
 *  no URL: this node's. */
export async function members() {
  const r = await get('/nodes');
  if (!r.ok || !Array.isArray(r.json)) throw new Error(`GET /nodes: ${r.error || 'not a JSON list'}`);
  return r.json.map((m) => ({ ...m, url: m.url || (m.self ? location.origin : '') }));
}

/** A member URL joined with a path (members are named by their --advertise URL). */
export const at = (base, path) => new URL(path, base.endsWith('/') ? base : `${base}/`).href;

/** The owners pinned per name (names.mjs checkOwner's store), kept in localStorage. */
export const owners = {
  all() { try { return JSON.parse(store.get('esgx.owners') || '{}'); } catch { return {}; } },
  async get(k) { return this.all()[k]; },
  async set(k, v) { const a = this.all(); a[k] = v; store.set('esgx.owners', JSON.stringify(a)); },
};
