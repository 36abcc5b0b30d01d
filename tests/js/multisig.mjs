// multisig.mjs: requests for and checks of sdk/rust/examples/multisig.rs (sgxkit's
// multisig example), with independent libraries (@noble/curves, @noble/hashes,
// @scure/bip32).
//   node multisig.mjs request OUT_JSON PAYLOAD_FILE [SIGNER...]
//     signers: 1, 2, 3 (the secret keys [k; 32] the example approves) or 9 (not
//     approved), default 1 2 3; each signs Keccak-256(payload), Ethereum style
//     (0x + r || s || 27 + recovery id). First checks that the example's PUBLIC_SIGNERS
//     are those keys' Keccak-256(04 || x || y) "addresses", as sgxkit's example computes.
//   node multisig.mjs check XPUB MODULE_HASH PAYLOAD_FILE ANSWER_FILE
//     the answer's "signature" (sign_eth of the payload) recovers to the Ethereum address
//     of the module's root derived key (computed from the xpub alone) and verifies;
//     "account" is that key's Keccak-256(04 || x || y) form.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const src = process.env.ESGX_SOURCE_DIR || join(import.meta.dirname, '../..');
const mod = (p) => import(pathToFileURL(join(src, 'tests/js/node_modules', p)).href);
const fail = (m) => { console.error('multisig: ' + m); process.exit(1); };
let HDKey, secp256k1, keccak_256;
try {
  ({ HDKey } = await mod('@scure/bip32/index.js'));
  ({ secp256k1 } = await mod('@noble/curves/secp256k1.js'));
  ({ keccak_256 } = await mod('@noble/hashes/sha3.js'));
} catch (e) {
  console.error('multisig: tests/js/node_modules missing (scripts/setup.sh): ' + e.message);
  process.exit(77);
}
const hex = (b) => Buffer.from(b).toString('hex');
if (hex(keccak_256(new Uint8Array())) !== 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
  fail('@noble/hashes keccak_256 is not Keccak-256');
const full = (pub) => secp256k1.Point.fromHex(hex(pub)).toBytes(false);          // 65 bytes
const ethAddress = (pub) => '0x' + hex(keccak_256(full(pub).subarray(1)).subarray(12));
const sgxkitAddress = (pub) => '0x' + hex(keccak_256(full(pub)).subarray(12));

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'request') {
  const [out, payloadFile, ...signers] = args;
  const text = readFileSync(join(src, 'sdk/rust/examples/multisig.rs'), 'utf8');
  const listed = [...text.matchAll(/^\s*"(0x[0-9a-f]{40})",$/gm)].map((m) => m[1]);
  const keys = [1, 2, 3].map((k) => new Uint8Array(32).fill(k));
  const expect = keys.map((k) => sgxkitAddress(secp256k1.getPublicKey(k)));
  if (listed.join() !== expect.join()) fail(`PUBLIC_SIGNERS ${listed} are not ${expect}`);
  const payload = readFileSync(payloadFile);
  const digest = keccak_256(payload);
  const signatures = (signers.length ? signers : ['1', '2', '3']).map((k) => {
    const rec = secp256k1.sign(digest, new Uint8Array(32).fill(Number(k)), { prehash: false, format: 'recovered' });
    return '0x' + hex(rec.subarray(1)) + (27 + rec[0]).toString(16);
  });
  writeFileSync(out, JSON.stringify({ payload: payload.toString('base64'), signatures }));
} else if (cmd === 'check') {
  const [xpub, hashHex, payloadFile, answerFile] = args;
  let answer;
  try { answer = JSON.parse(readFileSync(answerFile, 'utf8')); } catch (e) { fail('answer is not JSON: ' + e.message); }
  let k = HDKey.fromExtendedKey(xpub).deriveChild(0);
  const h = Buffer.from(hashHex, 'hex');
  for (let i = 0; i < h.length; i += 2) k = k.deriveChild((h[i] << 8) | h[i + 1]);
  if (answer.account !== sgxkitAddress(k.publicKey))
    fail(`account ${answer.account}, derived key's ${sgxkitAddress(k.publicKey)}`);
  const m = /^0x([0-9a-f]{130})$/.exec(answer.signature || '');
  if (!m) fail(`signature ${answer.signature} is not 0x + 65 bytes of hex`);
  const sig = Buffer.from(m[1], 'hex');
  const v = sig[64];
  if (v !== 27 && v !== 28) fail(`v is ${v}`);
  const digest = keccak_256(readFileSync(payloadFile));
  const rec = secp256k1.recoverPublicKey(new Uint8Array([v - 27, ...sig.subarray(0, 64)]), digest, { prehash: false });
  if (ethAddress(rec) !== ethAddress(k.publicKey))
    fail(`signature recovers to ${ethAddress(rec)}, not ${ethAddress(k.publicKey)}`);
  if (!secp256k1.verify(sig.subarray(0, 64), digest, k.publicKey, { prehash: false }))
    fail('signature does not verify');
  console.log('multisig: ok ' + ethAddress(k.publicKey));
} else {
  fail('usage: multisig.mjs request OUT PAYLOAD [SIGNER...] | check XPUB HASH PAYLOAD ANSWER');
}
