// app.mjs: the console's entry point. A hash router (#/network, #/functions,
// #/functions/NAME, #/try?name=..., #/load) over four pages, each a module of pages/;
// the theme (light/dark: prefers-color-scheme, or the toggle, remembered); and the sim
// root from the fragment: #simroot=<base64url of the PEM> is read once, remembered in
// localStorage and removed from the address bar (history.replaceState), so it is
// neither bookmarked with the page nor, being a fragment, ever sent to the node.
import { h, put } from './dom.mjs';
import { store } from './api.mjs';
import { simRoot, checkPem } from './trust.mjs';
import { networkPage } from './pages/network.mjs';
import { functionsPage, functionPage } from './pages/functions.mjs';
import { tryPage } from './pages/try.mjs';
import { loadPage } from './pages/load.mjs';

const PAGES = [['network', 'Network'], ['functions', 'Functions'], ['try', 'Try it'], ['load', 'Load']];

function takeSimRoot() {
  const m = /^#simroot=([A-Za-z0-9_-]+=*)$/.exec(location.hash);
  if (!m) return '';
  let note;
  try {
    const b64 = m[1].replace(/-/g, '+').replace(/_/g, '/');
    const pem = new TextDecoder().decode(Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0)));
    const r = checkPem(pem);
    if (r.error) note = `The #simroot in the address is ${r.error}: ignored.`;
    else { simRoot.set(r.pem); note = `Sim root pinned from the address (fingerprint ${simRoot.fingerprint()}).`; }
  } catch { note = 'The #simroot in the address is not base64url: ignored.'; }
  history.replaceState(null, '', `${location.pathname}${location.search}#/network`);
  return note;
}

function applyTheme() {
  const t = store.get('esgx.theme');
  if (t === 'dark' || t === 'light') document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
}
const darkNow = () => document.documentElement.dataset.theme === 'dark' ||
  (!document.documentElement.dataset.theme && matchMedia('(prefers-color-scheme: dark)').matches);

function shell() {
  const nav = h('nav', { 'aria-label': 'Pages' }, h('ul', {}, PAGES.map(([id, label]) =>
    h('li', {}, h('a', { href: `#/${id}`, 'data-page': id }, label)))));
  const toggle = h('button', { type: 'button', id: 'theme', class: 'theme' });
  const label = () => {
    toggle.textContent = darkNow() ? 'Light theme' : 'Dark theme';
    toggle.setAttribute('aria-pressed', String(darkNow()));
  };
  toggle.addEventListener('click', () => { store.set('esgx.theme', darkNow() ? 'light' : 'dark'); applyTheme(); label(); });
  matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', label);
  label();
  const main = h('main', { id: 'page', tabindex: '-1' });
  put(document.body,
    h('a', { href: '#page', class: 'skip', onclick: (e) => { e.preventDefault(); main.focus(); } }, 'Skip to the page'),
    h('header', { class: 'top' }, h('p', { class: 'brand' }, 'esgx console'), nav, toggle),
    h('div', { id: 'notice', role: 'status' }),
    main);
  return main;
}

let current = null;   // AbortController of the page shown
async function route(main) {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  const page = parts[0] || 'network';
  current?.abort();
  current = new AbortController();
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const params = new URLSearchParams(query);
  const title = PAGES.find(([id]) => id === page)?.[1] ?? 'Not found';
  document.title = `${title} · esgx console`;
  try {
    if (page === 'network') await networkPage(main, params, current.signal);
    else if (page === 'functions' && parts[1]) await functionPage(main, decodeURIComponent(parts[1]));
    else if (page === 'functions') await functionsPage(main);
    else if (page === 'try') await tryPage(main, params, current.signal);
    else if (page === 'load') await loadPage(main, params, current.signal);
    else put(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/network' }, 'Go to the network')));
  } catch (e) {
    put(main, h('h1', {}, title), h('p', { class: 'verdict bad', role: 'alert' }, `The page failed: ${e.message}`));
  }
}

applyTheme();
const note = takeSimRoot();
const main = shell();
if (note) document.getElementById('notice').textContent = note;
window.addEventListener('hashchange', () => route(main));
route(main);
