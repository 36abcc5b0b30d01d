// eth_verify.mjs: checks the answer of tests/sgxkit_compat's eth_sign guest with
// independent libraries. The guest reports its root derived public key, sign_eth(MESSAGE)
// and sign(Keccak-256(MESSAGE)). Checked here: the key is the module's derived key computed
// from the xpub alone (@scure/bip32), the guest's Keccak-256 equals @noble/hashes'
// keccak_256 (itself checked against a published vector first), the Ethereum signature is
// 0x + 65 bytes with v = 27/28 and recovers (@noble/curves) to the Ethereum address of that
// key, and the raw signature is the same r, s with recovery id v - 27.
// usage: node eth_verify.mjs XPUB MODULE_HASH_HEX MESSAGE_FILE ANSWER_JSON_FILE
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const src = process.env.ESGX_SOURCE_DIR || join(import.meta.dirname, '../..');
const mod = (p) => import(pathToFileURL(join(src, 'tests/js/node_modules', p)).href);
const fail = (m) => { console.error('eth_verify: ' + m); process.exit(1); };
const [xpub, hashHex, msgFile, answerFile] = process.argv.slice(2);
if (!answerFile) fail('usage: eth_verify.mjs XPUB MODULE_HASH MESSAGE_FILE ANSWER_JSON');
let HDKey, secp256k1, keccak_256;
try {
  ({ HDKey } = await mod('@scure/bip32/index.js'));
  ({ secp256k1 } = await mod('@noble/curves/secp256k1.js'));
  ({ keccak_256 } = await mod('@noble/hashes/sha3.js'));
} catch (e) {
  console.error('eth_verify: tests/js/node_modules missing (scripts/setup.sh): ' + e.message);
  process.exit(77);
}
const hex = (b) => Buffer.from(b).toString('hex');
// Keccak-256 of the empty string, as Ethereum publishes it (KECCAK_EMPTY)
if (hex(keccak_256(new Uint8Array())) !== 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
  fail('@noble/hashes keccak_256 is not Keccak-256');
let answer;
try { answer = JSON.parse(readFileSync(answerFile, 'utf8')); } catch (e) { fail('answer is not JSON: ' + e.message); }

let k = HDKey.fromExtendedKey(xpub).deriveChild(0);
const h = Buffer.from(hashHex, 'hex');
for (let i = 0; i < h.length; i += 2) k = k.deriveChild((h[i] << 8) | h[i + 1]);
if (answer.public_key !== hex(k.publicKey)) fail(`public_key ${answer.public_key}, derived ${hex(k.publicKey)}`);
const address = (pub33) => '0x' + hex(keccak_256(secp256k1.Point.fromHex(hex(pub33)).toBytes(false).subarray(1)).subarray(12));
const want = address(k.publicKey);

const digest = keccak_256(readFileSync(msgFile));
if (answer.keccak !== hex(digest)) fail(`guest keccak ${answer.keccak}, @noble/hashes ${hex(digest)}`);
const m = /^0x([0-9a-f]{130})$/.exec(answer.signature_eth || '');
if (!m) fail(`signature_eth ${answer.signature_eth} is not 0x + 65 bytes of lower-case hex`);
const sig = Buffer.from(m[1], 'hex');
const v = sig[64];
if (v !== 27 && v !== 28) fail(`v is ${v}, not 27 or 28`);
const rec = secp256k1.recoverPublicKey(new Uint8Array([v - 27, ...sig.subarray(0, 64)]), digest, { prehash: false });
if (address(rec) !== want) fail(`signature recovers to ${address(rec)}, not ${want}`);
if (!secp256k1.verify(sig.subarray(0, 64), digest, k.publicKey, { prehash: false, lowS: true }))
  fail('signature_eth does not verify');
const raw = Buffer.from(answer.signature_raw || '', 'hex');
if (raw.length !== 65 || hex(raw.subarray(0, 64)) !== hex(sig.subarray(0, 64)) || raw[64] !== v - 27)
  fail(`signature_raw ${answer.signature_raw} is not r, s and recovery id ${v - 27}`);
console.log('eth_verify: ok ' + want);
