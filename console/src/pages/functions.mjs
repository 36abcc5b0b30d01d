// functions.mjs: the Functions page (GET /functions with the admin token the user typed,
// kept in sessionStorage and sent only to this node) and one function's page: its public
// record (GET /functions/NAME, its owner's signature checked here against the verified
// network key), recent invocations on this node and its logs when they are on.
import { h, put, field, short } from '../dom.mjs';
import { get, token } from '../api.mjs';
import { parseRecord, verifyRecord } from '../../../sdk/js/names.mjs';
import { verifyNetwork } from '../trust.mjs';

function tokenForm(onChange) {
  const input = h('input', { type: 'password', autocomplete: 'off', value: token.get() });
  return h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); token.set(input.value.trim()); onChange(); } },
    field('Admin token', input, 'Kept in this tab only (sessionStorage), sent only to this node.'),
    h('button', { type: 'submit' }, 'Use token'),
    token.get() ? h('button', { type: 'button', onclick: () => { token.set(''); onChange(); } }, 'Forget token') : null);
}

const when = (v) => {
  if (v === undefined || v === null || v === '') return '-';
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
};

export async function functionsPage(root) {
  const out = h('div', { id: 'functions' });
  const draw = async () => {
    put(root, h('h1', {}, 'Functions'), tokenForm(draw), out);
    if (!token.get()) { put(out, h('p', { class: 'status' }, 'Type the admin token to list the functions.')); return; }
    put(out, h('p', { class: 'status', role: 'status' }, 'Loading…'));
    const r = await get('/functions', { admin: true });
    if (!r.ok) { put(out, h('p', { class: 'verdict bad', role: 'alert' }, `GET /functions: ${r.error}`)); return; }
    const list = Array.isArray(r.json) ? r.json : [];
    if (!list.length) { put(out, h('p', {}, 'No function is deployed.')); return; }
    put(out, h('div', { class: 'scroll' }, h('table', {},
      h('caption', {}, `${list.length} function${list.length === 1 ? '' : 's'} (as this node lists them)`),
      h('thead', {}, h('tr', {}, ['name', 'module hash', 'owner', 'seq', 'logs', 'updated'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, list.map((f) => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/functions/${encodeURIComponent(f.name)}`, class: 'fn-link' }, f.name)),
        h('td', { class: 'mono', title: f.hash }, short(f.hash)),
        h('td', { class: 'mono', title: f.owner || '' }, f.owner ? short(f.owner) : '-'),
        h('td', {}, f.seq ?? '-'), h('td', {}, f.logs ? 'on' : 'off'), h('td', {}, when(f.created))))))));
  };
  await draw();
}

export async function functionPage(root, name) {
  const recBox = h('section', { 'aria-labelledby': 'rec-h' });
  const invBox = h('section', { 'aria-labelledby': 'inv-h' });
  const logBox = h('section', { 'aria-labelledby': 'log-h' });
  put(root, h('p', {}, h('a', { href: '#/functions' }, '← Functions')),
    h('h1', {}, 'Function ', h('span', { class: 'mono' }, name)),
    h('p', {}, h('a', { href: `#/try?name=${encodeURIComponent(name)}`, class: 'button' }, 'Try it')),
    recBox, invBox, logBox);
  const draw = async () => {
    const [rr, net] = await Promise.all([get(`/functions/${encodeURIComponent(name)}`), verifyNetwork()]);
    let rec = null, verdict;
    if (!rr.ok) verdict = h('p', { class: 'verdict bad' }, `GET /functions/${name}: ${rr.error}`);
    else {
      try {
        rec = parseRecord(rr.text);
        if (rec.name !== name) throw new Error(`the node served the record of '${rec.name}'`);
        if (!net.key) throw new Error('no network key verified in this browser (see Network)');
        verifyRecord(rec, net.key.publicKey);
        verdict = h('p', { class: 'verdict ok' }, 'verified: signed by its owner for this network');
      } catch (e) { verdict = h('p', { class: 'verdict bad' }, `not verified: ${e.message}`); }
    }
    put(recBox, h('h2', { id: 'rec-h' }, 'Record'), verdict,
      rec ? h('dl', { class: 'kv' },
        h('dt', {}, 'module hash'), h('dd', { class: 'mono wrap' }, rec.hash),
        h('dt', {}, 'encrypted'), h('dd', {}, rec.encrypted ? 'yes' : 'no'),
        h('dt', {}, 'owner'), h('dd', { class: 'mono wrap' }, rec.owner),
        h('dt', {}, 'seq'), h('dd', {}, String(rec.seq)),
        h('dt', {}, 'transfers'), h('dd', {}, String(rec.transfers.length))) : null,
      rr.ok ? h('details', {}, h('summary', {}, 'The record as served'), h('pre', { class: 'mono wrap' }, rr.text)) : null);

    if (!token.get()) {
      put(invBox, h('h2', { id: 'inv-h' }, 'Recent invocations'), tokenForm(draw));
      put(logBox);
      return;
    }
    const [ir, lr, fl] = await Promise.all([
      get(`/functions/${encodeURIComponent(name)}/invocations`, { admin: true }),
      get(`/functions/${encodeURIComponent(name)}/logs`, { admin: true }),
      get('/functions', { admin: true })]);
    const inv = ir.json?.invocations;
    put(invBox, h('h2', { id: 'inv-h' }, 'Recent invocations on this node'),
      !ir.ok ? h('p', { class: 'verdict bad' }, ir.error) : !inv?.length ? h('p', {}, 'None since this node started.') :
        h('div', { class: 'scroll' }, h('table', {},
          h('thead', {}, h('tr', {}, ['#', 'time', 'status', 'fuel', 'ms', 'sealed'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, inv.map((x) => h('tr', {}, h('td', {}, x.seq), h('td', {}, when(x.time)),
            h('td', { class: x.status === 'ok' ? 'ok' : 'bad' }, x.status), h('td', {}, x.fuel),
            h('td', {}, typeof x.ms === 'number' ? x.ms.toFixed(2) : '-'), h('td', {}, x.sealed ? 'yes' : 'no')))))));
    const entry = Array.isArray(fl.json) ? fl.json.find((f) => f.name === name) : null;
    put(logBox, h('h2', { id: 'log-h' }, 'Logs'),
      entry && !entry.logs ? h('p', {}, 'Logs are off for this function (deploy with logs on to capture its debug output).') :
        !lr.ok ? h('p', { class: 'verdict bad' }, lr.error) :
          lr.text ? h('pre', { class: 'mono wrap logs' }, lr.text) : h('p', {}, 'No lines yet.'));
  };
  await draw();
}
