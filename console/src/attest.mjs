// attest.mjs: verifies a member's attestation document (GET /attestation) in the
// browser, with the same checks as `esgx attest NODE` / `esgx nodes --verify`
// (src/cli/cmd_attest.c, lib/attest/policy.c), nothing taken on the node's word:
//   1. the document: public_key is 33 hex bytes, xpub an extended public key whose key
//      is public_key (base58check, checksum verified here);
//   2. a root to trust: the sim root the user pinned for a "sim" member, Intel's SGX
//      root (built into dcap-qvl) otherwise; a sim member with none pinned fails;
//   3. the quote with the collateral the node sent, by @phala/dcap-qvl (certificate
//      chain to the root, CRLs, TCB info and QE identity signatures, QE report, quote
//      signature; it refuses debug enclaves);
//   4. policy: TCB status UpToDate or SWHardeningNeeded (the CLI's default), MRENCLAVE in
//      the pinned list when the user pinned any;
//   5. report data = SHA-256(xpub text) || 32 zero bytes;
//   6. the document's mrenclave/mrsigner are the quote's.
// The tcbInfo / enclaveIdentity signatures cover their exact text, so those objects are
// cut from the response text (memberSpan), never re-serialised.
import { QuoteVerifier } from '@phala/dcap-qvl/src/verify.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Buffer } from 'buffer';   // dcap-qvl's own dependency: it wants Buffers (asn1.js)

export const ACCEPTED_TCB = ['UpToDate', 'SWHardeningNeeded'];
const enc = new TextEncoder();
export const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
export function fromHex(s) {
  if (typeof s !== 'string' || s.length % 2 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The raw text of member `key` of the JSON object that `text` holds (top level
 *  only), or null. Strings are skipped whole, so a key inside a value never matches. */
export function memberSpan(text, key) {
  let i = text.indexOf('{');
  if (i < 0) return null;
  const str = (j) => {   // j at an opening quote: index after the closing one
    for (j++; j < text.length; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === '"') return j + 1;
    }
    return -1;
  };
  const value = (j) => {   // j at a value: index after it
    if (text[j] === '"') return str(j);
    if (text[j] !== '{' && text[j] !== '[') {
      while (j < text.length && !/[,}\]\s]/.test(text[j])) j++;
      return j;
    }
    let depth = 0;
    for (; j < text.length; j++) {
      const c = text[j];
      if (c === '"') { j = str(j) - 1; if (j < 0) return -1; }
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') { if (--depth === 0) return j + 1; }
    }
    return -1;
  };
  const ws = (j) => { while (j < text.length && /\s/.test(text[j])) j++; return j; };
  for (i = ws(i + 1); i < text.length && text[i] === '"';) {
    const kEnd = str(i);
    if (kEnd < 0) return null;
    const name = JSON.parse(text.slice(i, kEnd));
    let j = ws(kEnd);
    if (text[j] !== ':') return null;
    j = ws(j + 1);
    const vEnd = value(j);
    if (vEnd < 0) return null;
    if (name === key) return text.slice(j, vEnd);
    i = ws(vEnd);
    if (text[i] === ',') i = ws(i + 1);
  }
  return null;
}

export function pemToDer(pem) {
  const b64 = pem.replace(/-----[A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** Our collateral object (its text) in the shape dcap-qvl takes. Throws with a reason. */
export function collateralForQvl(collText) {
  const c = JSON.parse(collText);
  const need = (v, what) => {
    if (typeof v !== 'string' || !v) throw new Error(`the collateral has no ${what}`);
    return v;
  };
  const tcbText = memberSpan(collText, 'tcb_info');
  const qeText = memberSpan(collText, 'qe_identity');
  if (!tcbText || !qeText) throw new Error('the collateral has no tcb_info or qe_identity object');
  const tcbInfo = memberSpan(tcbText, 'tcbInfo');
  const qeIdentity = memberSpan(qeText, 'enclaveIdentity');
  if (!tcbInfo || !qeIdentity) throw new Error('the collateral has no tcbInfo or enclaveIdentity');
  return {
    pck_crl_issuer_chain: need(c.pck_crl_issuer_chain, 'pck_crl_issuer_chain'),
    root_ca_crl: toHex(pemToDer(need(c.root_ca_crl, 'root_ca_crl'))),
    pck_crl: toHex(pemToDer(need(c.pck_crl, 'pck_crl'))),
    tcb_info_issuer_chain: need(c.tcb_info_issuer_chain, 'tcb_info_issuer_chain'),
    tcb_info: tcbInfo,
    tcb_info_signature: need(c.tcb_info?.signature, 'tcb_info signature'),
    qe_identity_issuer_chain: need(c.qe_identity_issuer_chain, 'qe_identity_issuer_chain'),
    qe_identity: qeIdentity,
    qe_identity_signature: need(c.qe_identity?.signature, 'qe_identity signature'),
  };
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** The 33-byte public key of an extended public key (BIP-32 base58check), or null. */
export function xpubKey(xpub) {
  if (typeof xpub !== 'string' || !/^[1-9A-HJ-NP-Za-km-z]{100,120}$/.test(xpub)) return null;
  let n = 0n;
  for (const ch of xpub) n = n * 58n + BigInt(B58.indexOf(ch));
  const bytes = new Uint8Array(82);
  for (let i = 81; i >= 0; i--) { bytes[i] = Number(n & 255n); n >>= 8n; }
  if (n !== 0n) return null;
  const body = bytes.subarray(0, 78);
  const check = sha256(sha256(body)).subarray(0, 4);
  if (check.some((x, i) => x !== bytes[78 + i])) return null;
  const key = body.subarray(45, 78);
  return key[0] === 2 || key[0] === 3 ? key.slice() : null;   // 00 || k would be an xprv
}

/** A short, stable name of a 33-byte key: the first 16 hex digits of SHA-256(key), in
 *  groups of four (docs/console.md). */
export function fingerprint(keyHex) {
  const k = fromHex(keyHex);
  if (!k || k.length !== 33) return '?';
  return toHex(sha256(k)).slice(0, 16).replace(/(.{4})(?!$)/g, '$1 ');
}

/**
 * Verifies one attestation document. text: the response body as text; opts: { simRoot
 * (PEM or null), mrenclaves (hex list, empty: any), now (Unix seconds) }.
 * Returns { ok, reason, platform, tcbStatus, mrenclave, publicKey, xpub } - reason is
 * set exactly when ok is false.
 */
export function verifyAttestation(text, { simRoot = null, mrenclaves = [], now } = {}) {
  const r = { ok: false, reason: '', platform: '?', tcbStatus: null, mrenclave: null,
    publicKey: null, xpub: null };
  const fail = (why) => { r.reason = why; return r; };
  let doc;
  try { doc = JSON.parse(text); } catch { return fail('the answer is not a JSON attestation document'); }
  if (!doc || typeof doc !== 'object') return fail('the answer is not a JSON attestation document');
  r.platform = typeof doc.platform === 'string' ? doc.platform : '?';
  if (!doc.public_key) return fail('the node has no network key yet');
  const pk = fromHex(doc.public_key);
  if (!pk || pk.length !== 33) return fail("the document's public_key is not a 33-byte hex key");
  if (!doc.xpub) return fail('the document has no xpub, so no quote can bind its key');
  const xk = xpubKey(doc.xpub);
  if (!xk) return fail("the document's xpub is not an extended public key");
  if (toHex(xk) !== toHex(pk)) return fail("the document's public_key is not the key of its xpub");
  r.publicKey = toHex(pk);
  r.xpub = doc.xpub;
  if (!doc.quote) return fail(`the node sent no quote${doc.quote_error ? `: ${doc.quote_error}` : ''}`);
  const quote = fromHex(doc.quote);
  if (!quote) return fail("the document's quote is not hex");
  let root = null;
  if (r.platform === 'sim') {
    if (!simRoot) return fail('no sim root pinned');
    try { root = pemToDer(simRoot); } catch { return fail('the pinned sim root is not a PEM certificate'); }
  }
  const collText = memberSpan(text, 'collateral');
  if (!collText || collText[0] !== '{') return fail('the document carries no collateral object');
  let coll, rep;
  try { coll = collateralForQvl(collText); } catch (e) { return fail(`collateral: ${e.message}`); }
  try {
    const v = root ? QuoteVerifier.newWithRootCa(Buffer.from(root)) : QuoteVerifier.newProd();
    rep = v.verify(Buffer.from(quote), coll, Number(now ?? Math.floor(Date.now() / 1000)));
  } catch (e) {
    const cause = e.cause?.message ? ` (${e.cause.message})` : '';
    return fail(`quote: ${e.message}${cause}${root && /certif|chain|root|crl/i.test(e.message) ? ' (trusting the pinned sim root)' : ''}`);
  }
  r.tcbStatus = rep.status;
  const body = rep.report?.data ?? rep.report?.SgxEnclave ?? rep.report;
  const mre = body?.mrEnclave ?? body?.mrenclave;
  const mrs = body?.mrSigner ?? body?.mrsigner;
  const rd = body?.reportData ?? body?.report_data;
  if (!mre || !rd) return fail('quote: no SGX enclave report in it');
  r.mrenclave = toHex(mre);
  if (!ACCEPTED_TCB.includes(rep.status)) return fail(`policy: TCB status ${rep.status} not accepted`);
  if (mrenclaves.length && !mrenclaves.includes(r.mrenclave))
    return fail(`policy: MRENCLAVE ${r.mrenclave} not trusted`);
  const want = new Uint8Array(64);
  want.set(sha256(enc.encode(doc.xpub)));
  if (toHex(rd) !== toHex(want))
    return fail("the quote's report data does not bind the xpub (SHA-256 of the xpub text, then 32 zero bytes)");
  if (doc.mrenclave !== r.mrenclave || (mrs && doc.mrsigner !== toHex(mrs)))
    return fail("the document's mrenclave/mrsigner differ from the quote's");
  r.ok = true;
  return r;
}
