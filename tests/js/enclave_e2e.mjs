// enclave_e2e.mjs: the enclave's keys and signatures checked end to end with independent
// JavaScript libraries, through a real esgxd + esgx-enclave on 127.0.0.1 and the SDK
// examples (BUILD/examples/*.wasm):
//   - the network key: /attestation xpub (parsed by @scure/bip32) matches public_key;
//   - derived_key.wasm: the derived public key equals @scure/bip32's public derivation
//     xpub/0/<16 u16 of the module hash>/<path u16s>;
//   - signer.wasm: the derived-key signature recovers (@noble/curves) to that key;
//   - unseal.wasm: data encrypted with eciesjs under the approved-wasm header is
//     unsealed only when the header lists the module;
//   - a decrypt-mode module (hello.wasm encrypted with eciesjs) runs;
//   - wasi_printf.wasm prints its input;
//   - every 200 response: hash = BLAKE3(output), input_hash recomputed (for a call by
//     name with the record's name, owner and seq), and the response signature recovers
//     to the network key. Deploys are name records signed here with @noble/curves.
// Exit 77 (skip) if esgxd, esgx-enclave or the examples are not built.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const src = process.env.ESGX_SOURCE_DIR || join(import.meta.dirname, '../..');
const build = process.env.ESGX_BUILD_DIR || join(src, 'build');
const mod = (p) => import(pathToFileURL(join(src, 'tests/js/node_modules', p)).href);
const { secp256k1 } = await mod('@noble/curves/secp256k1.js');
const { sha256 } = await mod('@noble/hashes/sha2.js');
const { blake3 } = await mod('@noble/hashes/blake3.js');
const { HDKey } = await mod('@scure/bip32/index.js');
const ecies = await mod('eciesjs/dist/index.js');

const esgxd = join(build, 'esgxd');
const enclave = join(build, 'esgx-enclave');
const examples = join(build, 'examples');
for (const f of [esgxd, enclave, join(examples, 'signer.wasm')]) {
  if (!existsSync(f)) { console.error(`skip: ${f} not built`); process.exit(77); }
}

const hex = (b) => Buffer.from(b).toString('hex');
const u64be = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); return b; };
let failures = 0;
const check = (cond, what) => {
  if (cond) console.log('ok - ' + what);
  else { console.error('FAIL - ' + what); failures++; }
};

// ------------------------------------------------------------------ node process
const dir = mkdtempSync(join(tmpdir(), 'esgx-enclave-js-'));
const node = spawn(esgxd, ['--data-dir', dir, '--listen', '127.0.0.1:0', '--init',
  '--enclave', enclave, '--workers', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('esgxd did not start:\n' + log)), 60000);
  node.stderr.on('data', (d) => {
    log += d;
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
    if (m) { clearTimeout(timer); resolve(m[1]); }
  });
  node.on('exit', (c) => reject(new Error(`esgxd exited (${c}):\n` + log)));
});
const stopNode = async () => {
  if (node.exitCode !== null) return;
  const done = new Promise((r) => node.on('exit', r));
  node.kill('SIGTERM');
  await done;
};
process.on('uncaughtException', async (e) => {
  console.error(e); console.error(log); await stopNode(); rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
const token = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
const auth = { Authorization: 'Bearer ' + token };

async function upload(bytes) {
  const r = await fetch(url + '/content', { method: 'POST', headers: auth, body: bytes });
  if (r.status !== 200 && r.status !== 201) throw new Error('upload: ' + r.status + ' ' + await r.text());
  const j = await r.json();
  if (j.hash !== hex(blake3(bytes))) throw new Error('upload hash mismatch');
  return j.hash;
}
// A deploy is a name record (docs/formats.md "Name records") signed by a developer key.
const devKey = secp256k1.keygen();
const owner = hex(devKey.publicKey);
const records = {};   // name -> {seq}
async function deploy(name, hash, decrypt = false) {
  const seq = (records[name]?.seq ?? 0) + 1;
  const nm = Buffer.from(name);
  const digest = sha256(Buffer.concat([Buffer.from('ESGX_NAME_RECORD_V1'), Buffer.from('NETWORK'),
    Buffer.from(netKey, 'hex'), Buffer.from('NAME'), Buffer.from([nm.length]), nm,
    Buffer.from('MODULE_HASH'), Buffer.from(hash, 'hex'), Buffer.from('ENCRYPTED'),
    Buffer.from([decrypt ? 1 : 0]), Buffer.from('SEQUENCE'), u64be(seq), Buffer.from('OWNER'),
    Buffer.from(devKey.publicKey)]));
  const sig = secp256k1.sign(digest, devKey.secretKey, { prehash: false, format: 'recovered' });
  const record = { name, network: netKey, hash, encrypted: decrypt, seq, owner,
    signature: hex(Buffer.concat([sig.subarray(1), sig.subarray(0, 1)])) };
  const r = await fetch(url + '/functions/' + name, {
    method: 'PUT', headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ record }),
  });
  if (r.status >= 300) throw new Error('deploy: ' + r.status + ' ' + await r.text());
  records[name] = { seq };
}
// The by-name part of input_hash (docs/formats.md#input_hash).
function byName(name) {
  if (!name) return Buffer.alloc(0);
  const nm = Buffer.from(name);
  return Buffer.concat([Buffer.from('RECORD_NAME'), Buffer.from([nm.length]), nm,
    Buffer.from('RECORD_OWNER'), Buffer.from(owner, 'hex'), Buffer.from('RECORD_SEQ'),
    u64be(records[name].seq)]);
}

const att = await (await fetch(url + '/attestation')).json();
const netKey = att.public_key;

// Splits and verifies a 200 response; returns the output bytes.
function verify(body, { hash, decrypt, fuel, fn, input, name }) {
  const crlf = body.indexOf('\r\n');
  const h = JSON.parse(body.subarray(0, crlf).toString());
  const output = body.subarray(crlf + 2);
  const fnb = Buffer.from(fn);
  const ih = sha256(Buffer.concat([
    Buffer.from('MODULE_HASH'), Buffer.from(hash), Buffer.from('MODULE_DECRYPT'),
    Buffer.from([decrypt ? 1 : 0]), Buffer.from('FUEL_LIMIT'), u64be(fuel),
    Buffer.from('FUNCTION_NAME'), Buffer.from([fnb.length]), fnb,
    Buffer.from('INPUT_DATA'), u64be(input.length), input, byName(name)]));
  const digest = sha256(Buffer.concat([Buffer.from('INPUT_HASH'), ih, Buffer.from('FUEL_USED'),
    u64be(h.fuel_used), Buffer.from('OUTPUT_HASH'), Buffer.from(h.hash, 'hex')]));
  const sig = Buffer.from(h.signature, 'hex');
  const rec = secp256k1.recoverPublicKey(new Uint8Array([sig[64], ...sig.subarray(0, 64)]),
    digest, { prehash: false });
  const good = h.hash === hex(blake3(output)) && h.input_hash === hex(ih) && hex(rec) === netKey &&
    (!name || (h.name === name && h.owner === owner && h.seq === records[name].seq));
  if (!good) console.error('response check failed', h, hex(ih), hex(rec), netKey);
  return { output, good, fuel_used: h.fuel_used };
}

// Invokes a deployed function with a raw body; the node's default fuel enters input_hash.
let nodeFuel = null;
async function callNamed(name, hash, input, decrypt = false) {
  const r = await fetch(url + '/functions/' + name, { method: 'POST', body: input });
  const body = Buffer.from(await r.arrayBuffer());
  if (r.status !== 200) throw new Error(`${name}: HTTP ${r.status} ${body}`);
  if (nodeFuel === null) {
    // Find the node's fuel limit: the one value for which input_hash matches.
    const h = JSON.parse(body.subarray(0, body.indexOf('\r\n')).toString());
    for (const f of [1000000000n, 10000000000n, 100000000n]) {
      const fnb = Buffer.from('main');
      const ih = sha256(Buffer.concat([Buffer.from('MODULE_HASH'), Buffer.from(hash),
        Buffer.from('MODULE_DECRYPT'), Buffer.from([decrypt ? 1 : 0]), Buffer.from('FUEL_LIMIT'),
        u64be(f), Buffer.from('FUNCTION_NAME'), Buffer.from([fnb.length]), fnb,
        Buffer.from('INPUT_DATA'), u64be(input.length), input, byName(name)]));
      if (hex(ih) === h.input_hash) nodeFuel = f;
    }
  }
  return verify(body, { hash, decrypt, fuel: nodeFuel ?? 0n, fn: 'main', input, name });
}

async function callService(req) {
  const r = await fetch(url + '/services/3', { method: 'POST', body: JSON.stringify(req) });
  const body = Buffer.from(await r.arrayBuffer());
  if (r.status !== 200) throw new Error(`services/3: HTTP ${r.status} ${body}`);
  return verify(body, { hash: req.hash, decrypt: !!req.decrypt, fuel: BigInt(req.fuel),
    fn: req.function ?? 'main', input: Buffer.from(req.input ?? '') });
}

// ------------------------------------------------------------------ checks
const xpubKey = HDKey.fromExtendedKey(att.xpub);
check(hex(xpubKey.publicKey) === netKey, 'attestation xpub and public_key agree (@scure/bip32)');
check(att.xpub.length === 111 && att.xpub.startsWith('xpub'), 'xpub is 111 base58 characters');

function derivedPublic(moduleHashHex, path) {
  let k = xpubKey.deriveChild(0);
  const h = Buffer.from(moduleHashHex, 'hex');
  for (let i = 0; i < 32; i += 2) k = k.deriveChild(h.readUInt16BE(i));
  for (let i = 0; i < path.length; i += 2) k = k.deriveChild(path.readUInt16BE(i));
  return hex(k.publicKey);
}

// derived_key.wasm
const dkCode = readFileSync(join(examples, 'derived_key.wasm'));
const dkHash = await upload(dkCode);
await deploy('derived', dkHash);
for (const path of [Buffer.alloc(0), Buffer.from([0x12, 0x34, 0xab, 0xcd]),
  Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37) & 255))]) {
  const r = await callNamed('derived', dkHash, path);
  const [keyHex, xpub] = r.output.toString().split('\n');
  check(r.good, `derived_key response verifies (path ${path.length} bytes)`);
  check(keyHex === derivedPublic(dkHash, path), `derived key = @scure/bip32 derivation (path ${path.length} bytes)`);
  check(xpub === att.xpub, 'shared_key_public = attestation xpub');
}
{
  const r = await callNamed('derived', dkHash, Buffer.from('odd'));
  check(r.output.toString() === 'error: invalid path', 'odd path is refused (-3)');
}

// signer.wasm
const sgCode = readFileSync(join(examples, 'signer.wasm'));
const sgHash = await upload(sgCode);
await deploy('signer', sgHash);
for (const msg of ['hello from js', 'another message']) {
  const digest = sha256(Buffer.from(msg));
  const input = Buffer.from(hex(digest));
  const r = await callNamed('signer', sgHash, input);
  check(r.good, 'signer response verifies');
  const sig = Buffer.from(r.output.toString(), 'hex');
  const rec = secp256k1.recoverPublicKey(new Uint8Array([sig[64], ...sig.subarray(0, 64)]),
    digest, { prehash: false });
  check(hex(rec) === derivedPublic(sgHash, Buffer.alloc(0)),
    `derived_key_sign recovers to the derived key (@noble/curves): "${msg}"`);
  const s = BigInt('0x' + hex(sig.subarray(32, 64)));
  check(s <= secp256k1.Point.Fn.ORDER / 2n, 'signature is low-S');
}

// unseal.wasm with eciesjs
const unCode = readFileSync(join(examples, 'unseal.wasm'));
const unHash = await upload(unCode);
await deploy('unseal', unHash);
const approved = (hashes, data) => Buffer.concat([Buffer.from('FLEEK_ENCLAVE_APPROVED_WASM'),
  Buffer.from([hashes.length]), ...hashes.map((h) => Buffer.from(h, 'hex')), Buffer.from(data)]);
{
  const ct = Buffer.from(ecies.encrypt(netKey, approved([dkHash, unHash], 'eciesjs secret')));
  const r = await callNamed('unseal', unHash, ct);
  check(r.output.toString() === 'eciesjs secret', 'shared_key_unseal of eciesjs data (approved)');
  const ct2 = Buffer.from(ecies.encrypt(netKey, approved([dkHash], 'eciesjs secret')));
  const r2 = await callNamed('unseal', unHash, ct2);
  check(r2.output.toString() === 'error: -06', 'shared_key_unseal refuses unapproved data (-6)');
  const ct3 = Buffer.from(ecies.encrypt(netKey, Buffer.from('no header at all')));
  const r3 = await callNamed('unseal', unHash, ct3);
  check(r3.output.toString() === 'error: -05', 'shared_key_unseal refuses a missing header (-5)');
}

// decrypt-mode module: hello.wasm encrypted to the network key with eciesjs
{
  const hello = readFileSync(join(examples, 'hello.wasm'));
  const ct = Buffer.from(ecies.encrypt(netKey, hello));
  const h = await upload(ct);
  const fuel = Number(nodeFuel ?? 1000000000n);
  const r = await callService({ hash: h, decrypt: true, input: 'foo', fuel });
  check(r.good, 'decrypt-mode response verifies');
  check(r.output.toString() === 'Hello, world! From, SGX WASM <3', 'decrypt-mode hello runs');
  const r2 = await callService({ hash: h, decrypt: true, input: 'foo', fuel });
  check(r2.fuel_used === r.fuel_used, 'fuel_used is deterministic across calls');
}

// WASI printf
if (existsSync(join(examples, 'wasi_printf.wasm'))) {
  const code = readFileSync(join(examples, 'wasi_printf.wasm'));
  const h = await upload(code);
  const r = await callService({ hash: h, input: 'from js', fuel: 50000000 });
  check(r.good, 'wasi response verifies');
  check(r.output.toString() === 'Hello from WASI printf! You sent 7 bytes: "from js"\n',
    'WASI printf output');
}

await stopNode();
check(node.exitCode === 0, 'esgxd exits 0 on SIGTERM');
rmSync(dir, { recursive: true, force: true });
if (failures) { console.error(`${failures} check(s) failed`); process.exit(1); }
console.log('enclave_e2e: all checks passed');
