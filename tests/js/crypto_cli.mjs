// crypto_cli.mjs: `esgx encrypt` checked with independent libraries on fresh keys:
//   module  eciesjs decrypts what the CLI wrote (hex key, xpub key, -o -, default FILE.cipher)
//   shared  eciesjs decrypts, then the approved-wasm header bytes are checked
//   wasm    @scure/bip32 derives the module key from the xprv; eciesjs decrypts
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireNodeModules, buildBinary, check, finish, run, hex, rand, eq }
  from './crypto_common.mjs';

requireNodeModules();
const { decrypt } = await import('eciesjs');
const { secp256k1 } = await import('@noble/curves/secp256k1.js');
const { HDKey } = await import('@scure/bip32');
const esgx = buildBinary('esgx');

const dir = mkdtempSync(join(tmpdir(), 'esgx-crypto-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function tryDecrypt(sk, ct) {
  try { return decrypt(sk, ct); } catch { return null; }
}

// the network key, made independently of esgx
const shared = HDKey.fromMasterSeed(rand(32)).derive("m/0'/0'");
const xpub = shared.publicExtendedKey;

// ------------------------------------------------------------------ module
for (const n of [1, 1000, 70000]) {
  const { secretKey, publicKey } = secp256k1.keygen();
  const file = join(dir, `m${n}.wasm`);
  const data = rand(n);
  writeFileSync(file, data);
  let r = run(esgx, ['encrypt', 'module', '--pubkey', hex(publicKey), file]);
  check(r.status === 0, `module: exit 0 (${r.stderr})`);
  check(existsSync(file + '.cipher'), 'module: default output FILE.cipher');
  if (existsSync(file + '.cipher')) {
    const ct = readFileSync(file + '.cipher');
    check(ct.length === n + 97, 'module: ciphertext length');
    const pt = tryDecrypt(secretKey, ct);
    check(pt !== null && eq(pt, data), `module: eciesjs decrypts ${n} bytes`);
  }
  // -o - to stdout, options after the file
  r = run(esgx, ['encrypt', 'module', file, '--pubkey', hex(publicKey), '-o', '-']);
  check(r.status === 0 && r.stdout.length === n + 97, 'module: -o - writes to stdout');
  const pt = tryDecrypt(secretKey, r.stdout);
  check(pt !== null && eq(pt, data), 'module: eciesjs decrypts stdout output');
}
{
  // an xpub as KEY: encrypted to its public key
  const file = join(dir, 'x.wasm');
  const data = rand(333);
  writeFileSync(file, data);
  const out = join(dir, 'x.out');
  const r = run(esgx, ['encrypt', 'module', '--pubkey', xpub, file, '-o', out]);
  check(r.status === 0, `module with xpub: exit 0 (${r.stderr})`);
  const pt = existsSync(out) ? tryDecrypt(shared.privateKey, readFileSync(out)) : null;
  check(pt !== null && eq(pt, data), 'module with xpub: the shared secret key decrypts');
  // stdin in, stdout out
  const s = run(esgx, ['encrypt', 'module', '--pubkey', hex(shared.publicKey), '-'], data);
  const pt2 = tryDecrypt(shared.privateKey, s.stdout);
  check(s.status === 0 && pt2 !== null && eq(pt2, data), 'module: FILE - reads stdin, writes stdout');
}

// ------------------------------------------------------------------ shared
for (const count of [1, 3]) {
  const file = join(dir, `s${count}.bin`);
  const data = rand(5000);
  writeFileSync(file, data);
  const hashes = Array.from({ length: count }, () => rand(32));
  const out = join(dir, `s${count}.cipher`);
  const r = run(esgx, ['encrypt', 'shared', '--pubkey', xpub, file, ...hashes.map(hex), '-o', out]);
  check(r.status === 0, `shared: exit 0 (${r.stderr})`);
  const pt = existsSync(out) ? tryDecrypt(shared.privateKey, readFileSync(out)) : null;
  check(pt !== null, 'shared: eciesjs decrypts');
  if (pt) {
    const magic = Buffer.from('FLEEK_ENCLAVE_APPROVED_WASM');
    check(pt.length === 27 + 1 + 32 * count + data.length, 'shared: plaintext length');
    check(eq(pt.subarray(0, 27), magic), 'shared: magic');
    check(pt[27] === count, 'shared: count byte');
    for (let i = 0; i < count; i++)
      check(eq(pt.subarray(28 + 32 * i, 60 + 32 * i), hashes[i]), `shared: hash ${i}`);
    check(eq(pt.subarray(28 + 32 * count), data), 'shared: data after the header');
  }
}

// ------------------------------------------------------------------ wasm
function scureModuleKey(k, hash, path) {
  k = k.deriveChild(0);
  const bytes = [...hash, ...path];
  for (let i = 0; i < bytes.length; i += 2) k = k.deriveChild((bytes[i] << 8) | bytes[i + 1]);
  return k;
}
for (const plen of [0, 2, 64, 256]) {
  const file = join(dir, `w${plen}.bin`);
  const data = rand(777);
  writeFileSync(file, data);
  const hash = rand(32), path = rand(plen);
  const args = ['encrypt', 'wasm', '--pubkey', xpub];
  if (plen) args.push('--path', hex(path));
  args.push(hex(hash), file, '-o', '-');
  const r = run(esgx, args);
  check(r.status === 0, `wasm (path ${plen}): exit 0 (${r.stderr})`);
  // the module's derived key, from the xprv, by @scure/bip32
  const d = scureModuleKey(HDKey.fromExtendedKey(shared.privateExtendedKey), hash, path);
  const pt = tryDecrypt(d.privateKey, r.stdout);
  check(pt !== null && eq(pt, data), `wasm (path ${plen}): derived key decrypts`);
  // and not the shared key, nor another module's key
  check(tryDecrypt(shared.privateKey, r.stdout) === null, 'wasm: shared key does not decrypt');
  const other = scureModuleKey(shared, rand(32), path);
  check(tryDecrypt(other.privateKey, r.stdout) === null, 'wasm: another module key does not decrypt');
}

finish('crypto_cli');
