// try.mjs: the Try it page: invokes a function on this node (by name or by module hash,
// text or file input, optionally sealed end to end) and checks the answer in the browser
// with sdk/js, one step at a time, each shown ok or failed with its reason:
//   network key   the key of a member whose attestation this browser verified
//   record        (by name) GET /functions/NAME, signed by its owner for this network
//   owner         (by name) the owner pinned for the name in this browser (first use pins)
//   call          POST /functions/NAME or /services/3 answered 200
//   output hash, tree, input_hash, signature   sdk/js verifyAnswer, in that order
//   open          (sealed) the output opens with this call's keys
import { h, put, field } from '../dom.mjs';
import { owners } from '../api.mjs';
import { verifyNetwork } from '../trust.mjs';
import { fetchRecord, checkOwner } from '../../../sdk/js/names.mjs';
import { prepareInvoke, verifyAnswer } from '../../../sdk/js/client.mjs';
import { openResponse } from '../../../sdk/js/seal.mjs';
import { fromHex } from '../attest.mjs';

const ANSWER_STEPS = [
  ['output hash', /^output hash mismatch/],
  ['tree', /^tree mismatch/],
  ['input_hash', /^input_hash mismatch/],
  ['signature', /^signature does not recover|^malformed answer: signature/],
];

export async function tryPage(root, params) {
  const byName = h('input', { type: 'radio', name: 'by', value: 'name', checked: !params.get('hash') });
  const byHash = h('input', { type: 'radio', name: 'by', value: 'hash', checked: !!params.get('hash') });
  const target = h('input', { type: 'text', id: 'try-target', required: true, autocomplete: 'off', spellcheck: 'false',
    value: params.get('name') || params.get('hash') || '' });
  const decrypt = h('input', { type: 'checkbox', id: 'try-decrypt' });
  const fn = h('input', { type: 'text', id: 'try-function', value: 'main', autocomplete: 'off' });
  const text = h('textarea', { id: 'try-input', rows: 3, spellcheck: 'false' });
  const file = h('input', { type: 'file', id: 'try-file' });
  const seal = h('input', { type: 'checkbox', id: 'try-seal' });
  const go = h('button', { type: 'submit', id: 'try-go' }, 'Invoke and verify');
  const steps = h('ol', { class: 'steps', id: 'steps', 'aria-live': 'polite' });
  const output = h('section', { id: 'try-output', 'aria-labelledby': 'out-h' });
  const hashOnly = h('div', { class: 'field check' }, decrypt, h('label', { for: 'try-decrypt' }, 'the module is encrypted (decrypt)'));
  const sync = () => { hashOnly.hidden = !byHash.checked; };
  byName.addEventListener('change', sync);
  byHash.addEventListener('change', sync);
  sync();

  put(root, h('h1', {}, 'Try it'),
    h('p', { class: 'lead' }, 'Invoke a function on this node; the answer is checked here, in this browser, before it is shown.'),
    h('form', { class: 'stack', id: 'try-form', onsubmit: (e) => { e.preventDefault(); run(); } },
      h('fieldset', {}, h('legend', {}, 'Function by'),
        h('label', { class: 'check' }, byName, ' name'), h('label', { class: 'check' }, byHash, ' module hash')),
      field('Name or module hash', target),
      hashOnly,
      field('Exported function', fn),
      field('Input (text)', text, 'Or choose a file below: a file, when chosen, is the input.'),
      field('Input file', file),
      h('div', { class: 'field check' }, seal, h('label', { for: 'try-seal' }, 'seal the input and output end to end')),
      go),
    h('section', { 'aria-labelledby': 'steps-h' }, h('h2', { id: 'steps-h' }, 'Verification'), steps),
    output);

  function step(name) {
    const li = h('li', { class: 'step pending', 'data-step': name }, `${name}: …`);
    steps.append(li);
    return {
      ok: (detail) => { li.className = 'step ok'; li.textContent = `${name}: ok${detail ? ` (${detail})` : ''}`; },
      fail: (why) => { li.className = 'step failed'; li.textContent = `${name}: failed: ${why}`; },
      skip: (why) => { li.className = 'step skipped'; li.textContent = `${name}: not checked (${why})`; },
    };
  }

  async function run() {
    go.disabled = true;
    put(steps);
    put(output);
    try { await verifyCall(); } finally { go.disabled = false; }
  }

  async function verifyCall() {
    const node = location.origin;
    const req = { function: fn.value.trim() || 'main' };
    if (byName.checked) req.name = target.value.trim();
    else { req.hash = target.value.trim().toLowerCase(); req.decrypt = decrypt.checked; }
    req.input = file.files?.[0] ? new Uint8Array(await file.files[0].arrayBuffer()) : text.value;

    const sKey = step('network key');
    const net = await verifyNetwork();
    if (!net.key) {
      sKey.fail('no member attestation verified in this browser: see Network (a sim network needs its root pinned)');
      return;
    }
    sKey.ok(`${net.key.fingerprint}, attested by ${net.key.self ? 'this node' : 'a member'}`);
    const networkKey = net.key.publicKey;

    let record;
    if (req.name !== undefined) {
      const sRec = step('record');
      try { record = await fetchRecord(node, req.name, networkKey); sRec.ok(`seq ${record.seq}, signed by its owner`); } catch (e) { sRec.fail(e.message); return; }
      const sOwn = step('owner');
      try {
        const how = await checkOwner(record, owners);
        sOwn.ok(`${record.owner.slice(0, 16)}…, ${how === 'pinned' ? 'pinned now (first use in this browser)' : how === 'same' ? 'as pinned' : 'followed its signed transfers'}`);
      } catch (e) { sOwn.fail(e.message); return; }
    }

    const sCall = step('call');
    let body, prep;
    try {
      prep = await prepareInvoke(node, req, { networkKey, seal: seal.checked, record });
      const r = await fetch(prep.url, prep.init);
      body = new Uint8Array(await r.arrayBuffer());
      if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${new TextDecoder().decode(body.subarray(0, 300))}`);
      sCall.ok(`${prep.url.pathname}, ${body.length} bytes`);
    } catch (e) { sCall.fail(e.message); return; }

    const shown = ANSWER_STEPS.map(([name]) => step(name));
    let v;
    try {
      v = verifyAnswer(body, prep.request, networkKey);
    } catch (e) {
      let at = ANSWER_STEPS.findIndex(([, re]) => re.test(e.message));
      if (at < 0) at = 0;   // a malformed answer fails before anything is compared
      shown.forEach((s, i) => (i < at ? s.ok() : i === at ? s.fail(e.message) : s.skip('an earlier step failed')));
      return;
    }
    shown.forEach((s, i) => s.ok(i === 3 ? `recovers to ${networkKey.slice(0, 16)}…` : ''));
    let out = v.output;
    if (seal.checked) {
      const sOpen = step('open');
      try {
        if (v.header.sealed !== true) throw new Error('input_hash mismatch: the answer is not sealed');
        out = openResponse(prep.keys, fromHex(v.header.input_hash), v.output);
        sOpen.ok('only this browser had the keys');
      } catch (e) { sOpen.fail(e.message); return; }
    }
    let textOut = null;
    try { textOut = new TextDecoder('utf-8', { fatal: true }).decode(out); } catch { /* binary */ }
    put(output, h('h2', { id: 'out-h' }, 'Verified output'),
      h('p', {}, `${out.length} bytes, fuel used ${v.header.fuel_used}`),
      h('pre', { class: 'mono wrap', id: 'try-result' }, textOut ?? Array.from(out.subarray(0, 512), (x) => x.toString(16).padStart(2, '0')).join(' ')));
  }
}
