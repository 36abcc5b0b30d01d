// sdk_verify.mjs: checks a signer guest's answer with independent libraries: the public
// key it reports must be the module's derived key computed from the xpub alone
// (@scure/bip32: child 0, then the module hash as 16 u16be, then the path as u16be), and
// the signature must verify (and recover) over SHA-256 of the message (@noble/curves).
// usage: node sdk_verify.mjs XPUB MODULE_HASH_HEX PATH_HEX MESSAGE_FILE ANSWER_JSON_FILE
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const src = process.env.ESGX_SOURCE_DIR || join(import.meta.dirname, '../..');
const mod = (p) => import(pathToFileURL(join(src, 'tests/js/node_modules', p)).href);
const fail = (m) => { console.error('sdk_verify: ' + m); process.exit(1); };
const [xpub, hashHex, pathHex, msgFile, answerFile] = process.argv.slice(2);
if (!answerFile) fail('usage: sdk_verify.mjs XPUB MODULE_HASH PATH_HEX MESSAGE_FILE ANSWER_JSON');
let HDKey, secp256k1, sha256;
try {
  ({ HDKey } = await mod('@scure/bip32/index.js'));
  ({ secp256k1 } = await mod('@noble/curves/secp256k1.js'));
  ({ sha256 } = await mod('@noble/hashes/sha2.js'));
} catch (e) {
  console.error('sdk_verify: tests/js/node_modules missing (scripts/setup.sh): ' + e.message);
  process.exit(77);
}
const hex = (b) => Buffer.from(b).toString('hex');
let answer;
try { answer = JSON.parse(readFileSync(answerFile, 'utf8')); } catch (e) { fail('answer is not JSON: ' + e.message); }

let k = HDKey.fromExtendedKey(xpub).deriveChild(0);
for (const bytes of [Buffer.from(hashHex, 'hex'), Buffer.from(pathHex, 'hex')])
  for (let i = 0; i < bytes.length; i += 2) k = k.deriveChild((bytes[i] << 8) | bytes[i + 1]);
const want = hex(k.publicKey);
if (answer.public_key !== want) fail(`public_key ${answer.public_key}, derived from the xpub ${want}`);

const digest = sha256(readFileSync(msgFile));
if (answer.sha256 !== undefined && answer.sha256 !== hex(digest))
  fail(`guest sha256 ${answer.sha256}, expected ${hex(digest)}`);
const sig = Buffer.from(answer.signature || '', 'hex');
if (sig.length !== 65) fail('signature is not 65 bytes');
if (!secp256k1.verify(sig.subarray(0, 64), digest, k.publicKey, { prehash: false, lowS: true }))
  fail('signature does not verify');
const rec = secp256k1.recoverPublicKey(new Uint8Array([sig[64], ...sig.subarray(0, 64)]), digest,
  { prehash: false });
if (hex(rec) !== want) fail(`signature recovers to ${hex(rec)}, not ${want}`);
console.log('sdk_verify: ok');
