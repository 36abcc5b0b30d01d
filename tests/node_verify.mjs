// node_verify.mjs: checks an esgxd /services/3 response offline with independent
// libraries (@noble/curves, @noble/hashes from tests/js/node_modules):
//   header keys and order, hash = BLAKE3(output), tree (for one block) = hash,
//   input_hash recomputed from the request (docs/formats.md#input_hash), and the signature
//   recovers to the network public key from /attestation.
//   A call by name (POST /functions/NAME) also gives the record's NAME OWNER_HEX SEQ: the
//   header must carry them and input_hash bind them (docs/formats.md#input_hash).
// usage: node node_verify.mjs RESPONSE_FILE MODULE_HASH DECRYPT FUEL FUNCTION INPUT_FILE PUBKEY_HEX
//                             [NAME OWNER_HEX SEQ]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const src = process.env.ESGX_SOURCE_DIR || join(import.meta.dirname, '..');
const mod = (p) => import(pathToFileURL(join(src, 'tests/js/node_modules', p)).href);
const { secp256k1 } = await mod('@noble/curves/secp256k1.js');
const { sha256 } = await mod('@noble/hashes/sha2.js');
const { blake3 } = await mod('@noble/hashes/blake3.js');

const [respFile, moduleHash, decrypt, fuel, fn, inputFile, pubHex, recName, recOwner, recSeq] =
  process.argv.slice(2);
const resp = readFileSync(respFile);
const input = readFileSync(inputFile);
const fail = (m) => { console.error('node_verify: ' + m); process.exit(1); };
const hex = (b) => Buffer.from(b).toString('hex');
const u64be = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); return b; };

const crlf = resp.indexOf('\r\n');
if (crlf < 0) fail('no CR LF after the header line');
const headerText = resp.subarray(0, crlf).toString();
const output = resp.subarray(crlf + 2);
const h = JSON.parse(headerText);
const keys = Object.keys(h).join(',');
const wantKeys = recName ? 'hash,tree,input_hash,fuel_used,name,owner,seq,signature'
  : 'hash,tree,input_hash,fuel_used,signature';
if (keys !== wantKeys) fail('header keys/order: ' + keys);
if (recName && (h.name !== recName || h.owner !== recOwner || String(h.seq) !== recSeq))
  fail(`header binds ${h.name} ${h.owner} ${h.seq}, not ${recName} ${recOwner} ${recSeq}`);
if (h.hash !== hex(blake3(output))) fail('hash is not BLAKE3(output)');
if (output.length <= 256 * 1024 && h.tree !== h.hash) fail('tree of a one-block output must equal hash');
if (h.tree.length % 64 !== 0 || !h.tree.endsWith(h.hash)) fail('tree must end with the root hash');

const fnb = Buffer.from(fn);
const ih = sha256(Buffer.concat([
  Buffer.from('MODULE_HASH'), Buffer.from(moduleHash), Buffer.from('MODULE_DECRYPT'),
  Buffer.from([Number(decrypt)]), Buffer.from('FUEL_LIMIT'), u64be(fuel),
  Buffer.from('FUNCTION_NAME'), Buffer.from([fnb.length]), fnb,
  Buffer.from('INPUT_DATA'), u64be(input.length), input,
  ...(recName ? [Buffer.from('RECORD_NAME'), Buffer.from([Buffer.from(recName).length]),
    Buffer.from(recName), Buffer.from('RECORD_OWNER'), Buffer.from(recOwner, 'hex'),
    Buffer.from('RECORD_SEQ'), u64be(recSeq)] : [])]));
if (h.input_hash !== hex(ih)) fail(`input_hash ${h.input_hash} != recomputed ${hex(ih)}`);

const digest = sha256(Buffer.concat([Buffer.from('INPUT_HASH'), ih, Buffer.from('FUEL_USED'),
  u64be(h.fuel_used), Buffer.from('OUTPUT_HASH'), Buffer.from(h.hash, 'hex')]));
const sig = Buffer.from(h.signature, 'hex');
if (sig.length !== 65) fail('signature is not 65 bytes');
const rec = secp256k1.recoverPublicKey(new Uint8Array([sig[64], ...sig.subarray(0, 64)]), digest,
  { prehash: false });
if (hex(rec) !== pubHex) fail(`signature recovers to ${hex(rec)}, network key is ${pubHex}`);
console.log('node_verify: ok (' + output.length + ' output bytes, fuel_used ' + h.fuel_used + ')');
