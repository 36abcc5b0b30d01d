// network.mjs: the Network page: the network key (verified or not, and by which member),
// the sim root the browser trusts (pin it here or by #simroot=), and one card per member
// with what it announced (/nodes) and the browser's own verdict on its attestation.
import { h, put, field, short } from '../dom.mjs';
import { verifyNetwork, simRoot, checkPem, mrenclavePins } from '../trust.mjs';

export async function networkPage(root) {
  const status = h('p', { class: 'status', role: 'status' }, 'Verifying the members’ attestations in this browser…');
  const keyBox = h('section', { 'aria-labelledby': 'key-h' });
  const list = h('div', { class: 'members', id: 'members' });
  const refresh = h('button', { type: 'button', onclick: () => draw(true) }, 'Verify again');
  put(root,
    h('h1', {}, 'Network'),
    h('p', { class: 'lead' }, 'Every member’s attestation is fetched from the member itself and verified ',
      'by this browser (quote, certificate chain to the pinned root, policy, key binding).'),
    status, refresh, keyBox,
    h('section', { 'aria-labelledby': 'members-h' }, h('h2', { id: 'members-h' }, 'Members'), list),
    rootSection(() => draw(true)));

  async function draw(force) {
    refresh.disabled = true;
    status.textContent = 'Verifying the members’ attestations in this browser…';
    const net = await verifyNetwork(force);
    refresh.disabled = false;
    if (net.error) { status.textContent = `Cannot list the members: ${net.error}`; return; }
    const ok = net.members.filter((m) => m.att?.ok).length;
    status.textContent = `${ok} of ${net.members.length} members verified in this browser.`;
    put(keyBox, h('h2', { id: 'key-h' }, 'Network key'), keyView(net));
    put(list, net.members.map(memberCard));
  }
  await draw(false);
}

function keyView(net) {
  if (!net.key) {
    return h('p', { class: 'verdict bad' }, 'not verified: no member’s attestation verified in this browser',
      simRoot.get() ? '' : ' (a sim network needs its root pinned below)');
  }
  const k = net.key;
  return h('dl', { class: 'kv' },
    h('dt', {}, 'fingerprint'), h('dd', { class: 'fp', id: 'key-fp' }, k.fingerprint),
    h('dt', {}, 'public key'), h('dd', { class: 'mono wrap', id: 'key-pub' }, k.publicKey),
    h('dt', {}, 'xpub'), h('dd', { class: 'mono wrap' }, k.xpub),
    h('dt', {}, 'verified'), h('dd', { class: 'verdict ok' },
      `verified: the key of ${k.self ? 'this node' : `member ${short(k.from, 12)}`}, bound to its attested enclave`));
}

function memberCard(m) {
  const a = m.att || {};
  const verdict = a.ok ? 'verified' : `not verified: ${a.reason}`;
  return h('article', { class: `member ${a.ok ? 'good' : 'bad'}`, 'data-url': m.url, 'aria-label': `member ${m.id || m.url}` },
    h('h3', {}, m.self ? 'this node · ' : '', h('span', { class: 'mono' }, short(m.id, 12) || '(standalone)')),
    h('p', { class: `verdict ${a.ok ? 'ok' : 'bad'}` }, verdict),
    h('dl', { class: 'kv' },
      h('dt', {}, 'URL'), h('dd', { class: 'mono wrap' }, m.url || '-'),
      h('dt', {}, 'state'), h('dd', {}, m.state === 'up' ? 'up' : 'down'),
      h('dt', {}, 'platform'), h('dd', {}, m.platform || '-'),
      h('dt', {}, 'TCB status'), h('dd', {}, a.tcbStatus || '-'),
      h('dt', {}, 'MRENCLAVE'), h('dd', { class: 'mono wrap' }, (a.ok ? a.mrenclave : m.mrenclave) || '-',
        a.ok ? '' : ' (announced, not attested)'),
      h('dt', {}, 'key'), h('dd', {}, a.ok || m.has_key ? 'holds the network key' : 'no key yet'),
      h('dt', {}, 'version'), h('dd', {}, m.version || '-')));
}

function rootSection(changed) {
  const sec = h('section', { 'aria-labelledby': 'root-h' });
  const draw = () => {
    const pem = simRoot.get();
    const ta = h('textarea', { rows: 6, spellcheck: 'false', class: 'mono', placeholder: '-----BEGIN CERTIFICATE-----' });
    const msg = h('p', { class: 'hint', role: 'alert' });
    const pins = h('input', { type: 'text', class: 'mono', value: mrenclavePins.get().join(', '),
      autocomplete: 'off', spellcheck: 'false' });
    put(sec, h('h2', { id: 'root-h' }, 'Trust'),
      h('p', {}, pem ? ['Sim root pinned, fingerprint ', h('span', { class: 'fp', id: 'root-fp' }, simRoot.fingerprint(pem)), '. '] :
        'No sim root pinned: sim members cannot verify (SGX members verify to Intel’s root, built into this page). '),
      pem ? h('button', { type: 'button', onclick: () => { simRoot.set(null); draw(); changed(); } }, 'Forget the sim root') : null,
      h('form', { class: 'stack', onsubmit: (e) => {
        e.preventDefault();
        const r = checkPem(ta.value);
        if (r.error) { msg.textContent = r.error; ta.focus(); return; }
        simRoot.set(r.pem); draw(); changed();
      } },
      field('Sim root (PEM of esgx sim init’s sim_root.pem)', ta,
        'Or open the console as …/#simroot=<base64url of the PEM>: the fragment never reaches the node.'),
      msg, h('button', { type: 'submit' }, 'Pin this root')),
      h('form', { class: 'stack', onsubmit: (e) => {
        e.preventDefault();
        mrenclavePins.set(pins.value.split(/[\s,]+/).filter((x) => /^[0-9a-fA-F]{64}$/.test(x)));
        draw(); changed();
      } },
      field('MRENCLAVE pins (optional, comma-separated)', pins, 'When set, only enclaves with one of these MRENCLAVEs verify.'),
      h('button', { type: 'submit' }, 'Save pins')));
  };
  draw();
  return sec;
}
