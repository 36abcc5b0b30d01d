// trust.mjs: the network as this browser verified it. verifyNetwork() fetches /nodes,
// then every live member's own GET /attestation (directly at the member's URL, never
// relayed by this node) and verifies each with attest.mjs; then one network, one key:
// the reference key is the one this node serves when its attestation verified (else
// the first member that verified), and a member serving another key is not verified.
// The Try it page signs answers off against that key only.
import { members, get, at, store } from './api.mjs';
import { verifyAttestation, pemToDer, toHex, fingerprint } from './attest.mjs';
import { sha256 } from '@noble/hashes/sha2.js';

export const simRoot = {
  get: () => store.get('esgx.simroot'),
  set: (pem) => store.set('esgx.simroot', pem),
  /** First 16 hex of SHA-256 of the root's DER, in groups of four (docs/console.md). */
  fingerprint(pem = this.get()) {
    try { return toHex(sha256(pemToDer(pem))).slice(0, 16).replace(/(.{4})(?!$)/g, '$1 '); } catch { return '?'; }
  },
};
/** A PEM certificate, or an error message. */
export function checkPem(text) {
  const t = (text || '').trim();
  if (!/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/.test(t))
    return { error: 'not a PEM certificate (-----BEGIN CERTIFICATE----- ...)' };
  try { if (pemToDer(t).length < 100) throw new Error(); } catch { return { error: 'the PEM does not decode' }; }
  return { pem: `${t}\n` };
}
export const mrenclavePins = {
  get: () => (store.get('esgx.mrenclave') || '').split(/[\s,]+/).filter(Boolean).map((x) => x.toLowerCase()),
  set: (list) => store.set('esgx.mrenclave', list.length ? list.join(',') : null),
};

let last = null;   // { at, promise }

/** { members: [...{...record, att}], key: {publicKey, xpub, fingerprint, from} | null,
 *  error }. att: { ok, reason, ... } (attest.mjs), or { checked: false } for a member
 *  that is down. Cached for 10 s unless force. */
export function verifyNetwork(force = false) {
  if (!force && last && Date.now() - last.at < 10000) return last.promise;
  last = { at: Date.now(), promise: run() };
  return last.promise;
}

async function run() {
  let list;
  try { list = await members(); } catch (e) { return { members: [], key: null, error: e.message }; }
  const opts = { simRoot: simRoot.get(), mrenclaves: mrenclavePins.get() };
  await Promise.all(list.map(async (m) => {
    if (m.state !== 'up') { m.att = { checked: false, ok: false, reason: 'not checked: the member is down' }; return; }
    if (!m.url) { m.att = { ok: false, reason: 'no URL in its record' }; return; }
    const r = await get(at(m.url, 'attestation'));
    if (!r.ok) { m.att = { ok: false, reason: `GET ${at(m.url, 'attestation')}: ${r.error}` }; return; }
    await new Promise((res) => setTimeout(res, 0));   // keep the page responsive between members
    m.att = verifyAttestation(r.text, opts);
  }));
  const self = list.find((m) => m.self && m.att?.ok);
  const ref = self ?? list.find((m) => m.att?.ok);
  let key = null;
  if (ref) {
    key = { publicKey: ref.att.publicKey, xpub: ref.att.xpub, fingerprint: fingerprint(ref.att.publicKey),
      from: ref.id || ref.url, self: ref === self };
    for (const m of list) {
      if (m.att?.ok && m.att.publicKey !== key.publicKey) {
        m.att = { ...m.att, ok: false,
          reason: `it serves another network key (${fingerprint(m.att.publicKey)}) than ${key.self ? 'this node' : 'the others'} (${key.fingerprint})` };
      }
    }
  }
  return { members: list, key, error: '' };
}
