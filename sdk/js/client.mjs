// client.mjs: a JavaScript client for esgx nodes that invokes functions and verifies the
// signed answers, with no other dependencies than @noble/curves and @noble/hashes.
//
// A node answers POST /services/3 with one JSON header line, "\r\n", then the output.
// verifyAnswer() trusts nothing in it and checks, in this order (the same checks and
// messages as `esgx invoke` / `esgx verify`, docs/formats.md#signed-responses):
//   "output hash mismatch"  BLAKE3(output) = header.hash
//   "tree mismatch"         the BLAKE3 tree of the output (256 KiB blocks) = header.tree
//   "input_hash mismatch"   SHA-256 over the request we sent = header.input_hash
//   "signature does not recover to the network key"
//                           secp256k1 recovery of header.signature over
//                           SHA-256("INPUT_HASH" ih "FUEL_USED" u64 "OUTPUT_HASH" hash)
//
// Library use:
//   import { invoke, verifyAnswer, fetchNetworkKey } from './client.mjs';
//   const { output } = await invoke('http://127.0.0.1:8080', { hash, decrypt: true,
//                                   input: 'foo' }, { networkKey });
//   // by name: the name's signed record (names.mjs) is verified and its owner pinned in
//   // `owners` (a Map or any get/set store you keep), then POST /functions/NAME; binary input
//   await invoke(node, { name: 'echo', input: new Uint8Array([0, 1, 255]) }, { networkKey, owners });
// A string input travels as "input" (UTF-8), a Uint8Array as "input_base64" (any bytes);
// input_hash is over the bytes either way. With { seal: true } the input travels sealed
// to the network key ("sealed_input", seal.mjs) and the output, sealed by the enclave for
// this call, is opened only after the answer verified.
// Command line:
//   node client.mjs --node URL (--hash HEX [--decrypt] | --name NAME)
//                   [--input STR | --input-file FILE] [--function NAME] [--fuel N]
//                   [--network-key HEX] [--owner HEX] [--seal]
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { blake3 } from '@noble/hashes/blake3.js';
import { sealRequest, openResponse } from './seal.mjs';
import { checkBinding, checkOwner, fetchRecord, recordBinding } from './names.mjs';

const enc = new TextEncoder();
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
function fromHex(s, len, what) {
  if (typeof s !== 'string' || s.length !== len * 2 || !/^[0-9a-fA-F]*$/.test(s))
    throw new Error(`malformed answer: ${what} is not ${len} hex bytes`);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
function u64be(v) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v));
  return b;
}
function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
// base64 without Buffer, so the module also runs in a browser (the console bundles it)
function toBase64(b) {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}
const fromBase64 = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** esgxd's default fuel limit, assumed when a request leaves fuel to the node. */
export const DEFAULT_FUEL_LIMIT = 1000000000n;

// ------------------------------------------------------------------ BLAKE3 tree
// @noble/hashes gives the BLAKE3 hash; the output tree also needs the non-root chaining
// values of 256 KiB subtrees, so here is the compression function (BLAKE3 spec, 7 rounds).
const IV = Uint32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const PERM = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
const CHUNK_START = 1, CHUNK_END = 2, PARENT = 4, ROOT = 8;
const CHUNK_LEN = 1024, TREE_BLOCK = 256 * 1024;

function compress(cv, m, counter, blockLen, flags) {
  const s = new Uint32Array(16);
  s.set(cv); s.set(IV.subarray(0, 4), 8);
  s[12] = counter >>> 0; s[13] = Math.floor(counter / 2 ** 32); s[14] = blockLen; s[15] = flags;
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  const g = (a, b, c, d, x, y) => {
    s[a] = s[a] + s[b] + x; s[d] = rotr(s[d] ^ s[a], 16);
    s[c] = s[c] + s[d]; s[b] = rotr(s[b] ^ s[c], 12);
    s[a] = s[a] + s[b] + y; s[d] = rotr(s[d] ^ s[a], 8);
    s[c] = s[c] + s[d]; s[b] = rotr(s[b] ^ s[c], 7);
  };
  let w = Uint32Array.from(m);
  for (let r = 0; r < 7; r++) {
    g(0, 4, 8, 12, w[0], w[1]); g(1, 5, 9, 13, w[2], w[3]);
    g(2, 6, 10, 14, w[4], w[5]); g(3, 7, 11, 15, w[6], w[7]);
    g(0, 5, 10, 15, w[8], w[9]); g(1, 6, 11, 12, w[10], w[11]);
    g(2, 7, 8, 13, w[12], w[13]); g(3, 4, 9, 14, w[14], w[15]);
    w = Uint32Array.from(PERM, (p) => w[p]);
  }
  const out = new Uint32Array(8);
  for (let i = 0; i < 8; i++) out[i] = s[i] ^ s[i + 8];
  return out;
}
function words(bytes) { // 64 bytes (zero-padded) -> 16 little-endian words
  const b = new Uint8Array(64); b.set(bytes);
  const v = new DataView(b.buffer);
  return Uint32Array.from({ length: 16 }, (_, i) => v.getUint32(4 * i, true));
}
function cvBytes(cv) {
  const b = new Uint8Array(32), v = new DataView(b.buffer);
  cv.forEach((x, i) => v.setUint32(4 * i, x, true));
  return b;
}
function chunkCV(data, index) {
  const chunk = data.subarray(index * CHUNK_LEN, Math.min(data.length, (index + 1) * CHUNK_LEN));
  const blocks = Math.max(1, Math.ceil(chunk.length / 64));
  let cv = IV;
  for (let i = 0; i < blocks; i++) {
    const block = chunk.subarray(i * 64, Math.min(chunk.length, (i + 1) * 64));
    const flags = (i === 0 ? CHUNK_START : 0) | (i === blocks - 1 ? CHUNK_END : 0);
    cv = compress(cv, words(block), index, block.length, flags);
  }
  return cv;
}
function parentCV(l, r, flags) {
  const m = new Uint32Array(16);
  m.set(l); m.set(r, 8);
  return compress(IV, m, 0, 64, PARENT | flags);
}
const leftLen = (n) => 2 ** (31 - Math.clz32(n - 1)); // largest power of two < n
function subtreeCV(data, first, n) { // non-root CV of chunks [first, first + n)
  if (n === 1) return chunkCV(data, first);
  const l = leftLen(n);
  return parentCV(subtreeCV(data, first, l), subtreeCV(data, first + l, n - l), 0);
}

/** Node hashes of the output tree (docs/formats.md#output-tree) in post-order, root last. */
export function outputTree(data) {
  const blocks = Math.max(1, Math.ceil(data.length / TREE_BLOCK));
  if (blocks === 1) return [blake3(data)];
  const list = [];
  const chunksPerBlock = TREE_BLOCK / CHUNK_LEN;
  const nodes = (first, n, root) => {
    if (n === 1) {
      const chunks = Math.ceil(Math.min(TREE_BLOCK, data.length - first * TREE_BLOCK) / CHUNK_LEN);
      const cv = subtreeCV(data, first * chunksPerBlock, chunks);
      list.push(cvBytes(cv));
      return cv;
    }
    const l = leftLen(n);
    const cv = parentCV(nodes(first, l, false), nodes(first + l, n - l, false), root ? ROOT : 0);
    list.push(cvBytes(cv));
    return cv;
  };
  nodes(0, blocks, true);
  return list;
}

// ------------------------------------------------------------------ requests and answers

/** input_hash of a service request (fields as sent; fuel defaults to fuelLimit); a
 *  request by name also carries the record's name, owner and seq, which it binds. */
export function inputHash(req, fuelLimit = DEFAULT_FUEL_LIMIT) {
  const fn = enc.encode(req.function ?? 'main');
  const sealed = req.sealed_input !== undefined;   // the sealed bytes as they travel
  const input = sealed || req.input_base64 !== undefined
    ? fromBase64(sealed ? req.sealed_input : req.input_base64)
    : typeof req.input === 'string' ? enc.encode(req.input) : (req.input ?? new Uint8Array());
  if (fn.length < 1 || fn.length > 255) throw new Error('function name must be 1 to 255 bytes');
  return sha256(concat([enc.encode('MODULE_HASH'), enc.encode(req.hash),
    enc.encode('MODULE_DECRYPT'), Uint8Array.of(req.decrypt ? 1 : 0),
    enc.encode('FUEL_LIMIT'), u64be(req.fuel ?? fuelLimit),
    enc.encode('FUNCTION_NAME'), Uint8Array.of(fn.length), fn,
    enc.encode('INPUT_DATA'), u64be(input.length), input, recordBinding(req),
    ...(sealed ? [enc.encode('SEALED_INPUT'), Uint8Array.of(1)] : [])]));
}

/** Splits an answer body (Uint8Array) into its header object and output bytes. */
export function parseAnswer(body) {
  let i = 0;
  while (i + 1 < body.length && !(body[i] === 13 && body[i + 1] === 10)) i++;
  if (i + 1 >= body.length) throw new Error('malformed answer: no \\r\\n after the header line');
  let header;
  try { header = JSON.parse(new TextDecoder().decode(body.subarray(0, i))); } catch {
    throw new Error('malformed answer: the header line is not JSON');
  }
  if (typeof header !== 'object' || header === null || !Number.isSafeInteger(header.fuel_used))
    throw new Error('malformed answer: bad header');
  return { header, output: body.subarray(i + 2) };
}

/**
 * Verifies an answer body for request `req` against the network key (66 hex chars).
 * Returns { output, header, signer } or throws an Error naming the failed check.
 */
export function verifyAnswer(body, req, networkKey, { fuelLimit = DEFAULT_FUEL_LIMIT } = {}) {
  const { header, output } = parseAnswer(body);
  const hash = fromHex(header.hash, 32, 'hash');
  const ih = fromHex(header.input_hash, 32, 'input_hash');
  const sig = fromHex(header.signature, 65, 'signature');
  if (!equal(blake3(output), hash))
    throw new Error(`output hash mismatch: the header says ${header.hash.slice(0, 16)}..., ` +
      `the ${output.length} output bytes hash to ${toHex(blake3(output)).slice(0, 16)}...`);
  const tree = outputTree(output).map(toHex).join('');
  if (tree !== header.tree) throw new Error('tree mismatch: the header tree differs from the recomputed tree');
  checkBinding(header, req);
  if (!equal(inputHash(req, fuelLimit), ih))
    throw new Error('input_hash mismatch: the answer is not for this request');
  const digest = sha256(concat([enc.encode('INPUT_HASH'), ih, enc.encode('FUEL_USED'),
    u64be(header.fuel_used), enc.encode('OUTPUT_HASH'), hash]));
  let signer;
  try {
    // noble's "recovered" format is the recovery id first, then r and s
    signer = toHex(secp256k1.recoverPublicKey(concat([sig.subarray(64), sig.subarray(0, 64)]),
      digest, { prehash: false }));
  } catch (e) {
    throw new Error(`signature does not recover to the network key (${e.message})`);
  }
  if (signer !== networkKey.toLowerCase())
    throw new Error(`signature does not recover to the network key (signer ${signer}, ` +
      `network key ${networkKey})`);
  return { output, header, signer };
}

/** The network public key a node reports at /attestation (hex). Pin it; do not refetch. */
export async function fetchNetworkKey(node) {
  const r = await fetch(new URL('/attestation', node));
  if (!r.ok) throw new Error(`GET ${node}/attestation: HTTP ${r.status}`);
  const doc = await r.json();
  if (!/^0[23][0-9a-f]{64}$/.test(doc.public_key ?? '')) throw new Error(`${node} has no network key yet`);
  return doc.public_key;
}

/** A function's verified record (names.mjs fetchRecord): {hash, encrypted, seq, owner, ...}. */
export const resolveName = fetchRecord;

const defaultOwners = new Map();   // owners pinned in this process when the caller keeps none

/**
 * The HTTP call that invoke() makes, without making it: for req (as invoke's) and, for a
 * call by name, rec (the record, verified by the caller: fetchRecord and checkOwner).
 * Without req.fuel it asks the node's limit (GET /health). Returns { url, init, request,
 * keys }: fetch(url, init), then verifyAnswer(body, request, networkKey), then, when
 * sealed, openResponse(keys, header input_hash, output). The console (console/src) uses
 * it to show each check on its own.
 */
export async function prepareInvoke(node, req, { networkKey, seal = false, record: rec } = {}) {
  if (seal && !networkKey) throw new Error('a sealed call needs the pinned networkKey');
  if (req.name !== undefined && (!rec || rec.name !== req.name))
    throw new Error(`function '${req.name}': prepareInvoke needs its verified record`);
  const target = rec ? { hash: rec.hash, decrypt: rec.encrypted } : { hash: req.hash, decrypt: !!req.decrypt };
  const request = { hash: target.hash, decrypt: target.decrypt, function: req.function ?? 'main' };
  if (req.input instanceof Uint8Array) request.input_base64 = toBase64(req.input);
  else request.input = req.input ?? '';
  if (req.fuel !== undefined) request.fuel = Number(req.fuel);
  else {
    const h = await (await fetch(new URL('/health', node))).json();
    request.fuel = Number.isSafeInteger(h.fuel_limit) ? h.fuel_limit : Number(DEFAULT_FUEL_LIMIT);
  }
  if (rec) Object.assign(request, { name: rec.name, owner: rec.owner, seq: rec.seq });
  let keys;
  if (seal) {
    const pt = request.input_base64 !== undefined ? req.input : enc.encode(request.input);
    ({ sealed: request.sealed_input, keys } = sealRequest(networkKey,
      { ...request, name: rec ? rec.name : '' }, pt));
    request.sealed_input = toBase64(request.sealed_input);
    delete request.input;
    delete request.input_base64;
  }
  let url, init;
  if (rec) {   // by name: the input is the body; the answer must carry this record
    url = new URL(`/functions/${encodeURIComponent(rec.name)}?function=` +
      `${encodeURIComponent(request.function)}&fuel=${request.fuel}`, node);
    const body = seal ? fromBase64(request.sealed_input)
      : req.input instanceof Uint8Array ? req.input : enc.encode(request.input);
    init = { method: 'POST', body, headers: seal ? { 'x-esgx-sealed': '1' } : {} };
  } else {
    const { name: _n, owner: _o, seq: _s, ...wire } = request;
    url = new URL('/services/3', node);
    init = { method: 'POST', body: JSON.stringify(wire), headers: { 'content-type': 'application/json' } };
  }
  return { url, init, request, keys };
}

/**
 * Invokes a function and verifies the answer. req: { hash, decrypt | name, function,
 * input, fuel }; input is a string (sent as "input") or a Uint8Array (sent as
 * "input_base64"); without fuel, the node's limit (GET /health fuel_limit) is sent, so
 * the request alone determines input_hash. A name's signed record is fetched and
 * verified for networkKey, its owner checked against `owners` (pinned on first use;
 * `owner` demands a key; names.mjs checkOwner), and the call goes to
 * POST /functions/NAME bound to that record (name, owner, seq in the request).
 * seal: the input travels sealed (to /services/3 as "sealed_input", or as the body of
 * POST /functions/NAME with X-Esgx-Sealed: 1, bound to the name) and output is the
 * opened plaintext, opened only after the answer verified (seal.mjs).
 * Returns { output, header, signer, body, request }.
 */
export async function invoke(node, req, { networkKey, owners = defaultOwners, owner, seal = false } = {}) {
  if (!networkKey) throw new Error('invoke needs the pinned networkKey');
  let rec;
  if (req.name !== undefined) {
    rec = await fetchRecord(node, req.name, networkKey);
    await checkOwner(rec, owners, { owner });
  }
  const { url, init, request, keys } = await prepareInvoke(node, req, { networkKey, seal, record: rec });
  let r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    throw new Error(`POST ${url}: ${e.cause?.message ?? e.message}`);
  }
  const body = new Uint8Array(await r.arrayBuffer());
  if (r.status !== 200)
    throw new Error(`POST ${url}: HTTP ${r.status}: ${new TextDecoder().decode(body.subarray(0, 300))}`);
  const v = verifyAnswer(body, request, networkKey);
  if (seal) {
    if (v.header.sealed !== true) throw new Error('input_hash mismatch: the answer is not sealed');
    v.output = openResponse(keys, fromHex(v.header.input_hash, 32, 'input_hash'), v.output);
  }
  return { ...v, body, request };
}

// ------------------------------------------------------------------ command line
// node:* modules are imported only here, dynamically, so that a browser (the console,
// console/build.mjs) can load this module: it never takes this path.
async function main(argv) {
  const opt = { decrypt: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    if (a === '--node') opt.node = v();
    else if (a === '--hash') opt.hash = v();
    else if (a === '--input') opt.input = v();
    else if (a === '--input-file') opt.input = new Uint8Array((await import('node:fs')).readFileSync(v()));
    else if (a === '--name') opt.name = v();
    else if (a === '--function') opt.function = v();
    else if (a === '--fuel') opt.fuel = v();
    else if (a === '--network-key') opt.networkKey = v();
    else if (a === '--owner') opt.owner = v();
    else if (a === '--decrypt') opt.decrypt = true;
    else if (a === '--seal') opt.seal = true;
    else if (a === '-h' || a === '--help') { console.log(USAGE); return 0; }
    else usage(`unexpected argument ${a}`);
  }
  if (!opt.node || (!opt.hash === !opt.name)) usage('--node and one of --hash or --name are required');
  let key = opt.networkKey;
  if (!key) {
    key = await fetchNetworkKey(opt.node);
    console.error(`client: warning: trusting the network key ${key} the node reported; pass --network-key to pin it`);
  }
  const { output, header } = await invoke(opt.node, opt, { networkKey: key, owner: opt.owner, seal: !!opt.seal });
  process.stdout.write(output);
  console.error(`client: verified (fuel_used ${header.fuel_used}, signed by ${key})`);
  return 0;
}
const USAGE = 'usage: node client.mjs --node URL (--hash HEX [--decrypt] | --name NAME) ' +
  '[--input STR | --input-file FILE] [--function NAME] [--fuel N] [--network-key HEX] [--owner HEX] [--seal]';
function usage(msg) { console.error(`client: ${msg}\n${USAGE}`); process.exit(2); }

const argv1 = globalThis.process?.argv?.[1];
if (argv1 && import.meta.url === (await import('node:url')).pathToFileURL(argv1).href) {
  main(process.argv.slice(2)).then((c) => process.exit(c), (e) => {
    console.error(`client: ${e.message}`);
    process.exit(1);
  });
}
