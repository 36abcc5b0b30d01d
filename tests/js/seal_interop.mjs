// seal_interop.mjs: live interop of the sealed-call, name-record and key-derivation code
// of lib/crypto and lib/proto (through build/crypto_tool) with independent JavaScript
// libraries, written from docs/formats.md alone, on fresh random keys every run:
//   sealed calls   @noble/curves ECDH + @noble/hashes HKDF/HMAC + @noble/ciphers AES-GCM:
//                  requests sealed in JS and opened in C and the reverse, responses the
//                  same both ways (byte-identical: the response nonce is derived), keys
//                  equal on both sides, and refusals of modified or misbound inputs
//   name records   record and transfer digests, signatures both ways (exact RFC 6979
//                  bytes), the canonical JSON byte for byte, the owner chain, tampering
//   input_hash     by-name and sealed extensions, and the plain one unchanged
//   keys           guest randomness (k_rand, stream key, BLAKE3 stream, local variant)
//                  and the admin MACs
import { requireNodeModules, buildBinary, check, finish, run, hex, unhex, rand, randInt, eq }
  from './crypto_common.mjs';

requireNodeModules(['@noble/ciphers']);
const { secp256k1 } = await import('@noble/curves/secp256k1.js');
const { sha256 } = await import('@noble/hashes/sha2.js');
const { hkdf } = await import('@noble/hashes/hkdf.js');
const { hmac } = await import('@noble/hashes/hmac.js');
const { blake3 } = await import('@noble/hashes/blake3.js');
const { gcm } = await import('@noble/ciphers/aes.js');
const tool = buildBinary('crypto_tool');

const te = new TextEncoder();
const T = (s) => te.encode(s);
const empty = new Uint8Array(0);
function u64be(v) { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v)); return b; }
function cat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
const u8 = (v) => Uint8Array.of(v);
const json = (r) => JSON.parse(r.stdout.toString());
// ours is r + s + recovery id; noble's 'recovered' format is recovery id + r + s
const toNoble = (sig) => cat(sig.subarray(64), sig.subarray(0, 64));
const fromNoble = (sig) => cat(sig.subarray(1), sig.subarray(0, 1));
const signRec = (digest, sk) => fromNoble(secp256k1.sign(digest, sk, { prehash: false, format: 'recovered' }));
const recover = (digest, sig) => secp256k1.recoverPublicKey(toNoble(sig), digest, { prehash: false });

// ------------------------------------------------------------------ sealed calls
function sealKeys(X, E, N) {
  const salt = T('esgx-sealed-call-v1');
  return {
    req: hkdf(sha256, X, salt, cat(T('request'), E, N), 32),
    resp: hkdf(sha256, X, salt, cat(T('response'), E, N), 32),
    E,
  };
}
function requestAad(b) {
  const fn = T(b.fn), name = T(b.name);
  return cat(T('ESGX_SEALED_REQUEST'), u8(1), b.mh, u8(fn.length), fn, u64be(b.fuel), u8(name.length), name);
}
function jsSealRequest(N, b, pt) {
  const e = secp256k1.utils.randomSecretKey();
  const E = secp256k1.getPublicKey(e, true);
  const X = secp256k1.getSharedSecret(e, N, true).subarray(1);
  const keys = sealKeys(X, E, N);
  const nonce = rand(12);
  return { sealed: cat(u8(1), E, nonce, gcm(keys.req, nonce, requestAad(b)).encrypt(pt)), keys };
}
function jsOpenRequest(n, b, sealed) {
  const E = sealed.subarray(1, 34);
  const X = secp256k1.getSharedSecret(n, E, true).subarray(1);
  const keys = sealKeys(X, E, secp256k1.getPublicKey(n, true));
  const pt = gcm(keys.req, sealed.subarray(34, 46), requestAad(b)).decrypt(sealed.subarray(46));
  return { pt, keys };
}
const responseAad = (ih) => cat(T('ESGX_SEALED_RESPONSE'), ih);
function jsSealResponse(resp, ih, pt) {
  const nonce = hmac(sha256, resp, cat(T('ESGX_SEALED_NONCE'), pt)).subarray(0, 12);
  return cat(nonce, gcm(resp, nonce, responseAad(ih)).encrypt(pt));
}
const jsOpenResponse = (resp, ih, s) => gcm(resp, s.subarray(0, 12), responseAad(ih)).decrypt(s.subarray(12));
const sealArgs = (b) => [hex(b.mh), b.fn, String(b.fuel), b.name];
const keysEq = (c, k) => c.req_key === hex(k.req) && c.resp_key === hex(k.resp) && c.ephemeral === hex(k.E);

// input_hash with its extensions (docs/formats.md#input_hash)
function jsInputHash(mh, dec, fuel, fn, input, byName, sealed) {
  const f = T(fn);
  const parts = [T('MODULE_HASH'), T(hex(mh)), T('MODULE_DECRYPT'), u8(dec ? 1 : 0), T('FUEL_LIMIT'),
    u64be(fuel), T('FUNCTION_NAME'), u8(f.length), f, T('INPUT_DATA'), u64be(input.length), input];
  if (byName) {
    const nm = T(byName.name);
    parts.push(T('RECORD_NAME'), u8(nm.length), nm, T('RECORD_OWNER'), byName.owner, T('RECORD_SEQ'),
               u64be(byName.seq));
  }
  if (sealed) parts.push(T('SEALED_INPUT'), u8(1));
  return sha256(cat(...parts));
}
function cInputHash(mh, dec, fuel, fn, input, byName, sealed) {
  const r = run(tool, ['input-hash-ex', hex(mh), String(dec), String(fuel), fn, byName ? byName.name : '',
                       byName ? hex(byName.owner) : '', byName ? String(byName.seq) : '0',
                       sealed ? '1' : '0'], input);
  return r.status === 0 ? r.stdout.toString().trim() : `error ${r.stderr}`;
}

const { secretKey: nsk, publicKey: npk } = secp256k1.keygen();
const sizes = [0, 1, 15, 16, 100, 4096, 70001];
const names = ['', 'pay', 'fn.v2-x_', 'n'.repeat(64)];
for (let round = 0; round < sizes.length; round++) {
  const b = { mh: rand(32), fn: round === 3 ? 'f'.repeat(255) : 'main', fuel: BigInt(randInt(1, 2 ** 40)),
              name: names[round % names.length] };
  const pt = rand(sizes[round]);
  const what = `(${pt.length} bytes, name '${b.name.slice(0, 8)}')`;
  // JS seals, C opens
  const js = jsSealRequest(npk, b, pt);
  check(js.sealed.length === pt.length + 62, `JS sealed length ${what}`);
  let r = run(tool, ['seal-open-request', hex(nsk), ...sealArgs(b)], js.sealed);
  check(r.status === 0, `C opens a JS-sealed input ${what}: ${r.stderr}`);
  if (r.status === 0) {
    const c = json(r);
    check(c.data === hex(pt), `C opens to the plaintext ${what}`);
    check(keysEq(c, js.keys), `C derives the JS keys ${what}`);
  }
  // C seals, JS opens
  r = run(tool, ['seal-request', hex(npk), ...sealArgs(b)], pt);
  check(r.status === 0, `C seals ${what}: ${r.stderr}`);
  if (r.status !== 0) continue;
  const c = json(r);
  const sealed = unhex(c.data);
  check(sealed.length === pt.length + 62 && sealed[0] === 1 && c.ephemeral === hex(sealed.subarray(1, 34)),
        `C sealed layout ${what}`);
  let opened = null;
  try { opened = jsOpenRequest(nsk, b, sealed); } catch (e) { opened = null; }
  check(opened !== null && eq(opened.pt, pt), `JS opens a C-sealed input ${what}`);
  if (!opened) continue;
  check(keysEq(c, opened.keys), `JS derives the C keys ${what}`);

  // input_hash of the sealed call, by name when there is a name
  const byName = b.name ? { name: b.name, owner: secp256k1.getPublicKey(rand(32).fill(7), true),
                            seq: BigInt(randInt(1, 2 ** 40)) } : null;
  const ihHex = cInputHash(b.mh, 0, b.fuel, b.fn, sealed, byName, true);
  const ih = jsInputHash(b.mh, 0, b.fuel, b.fn, sealed, byName, true);
  check(ihHex === hex(ih), `sealed input_hash ${what}`);

  // responses: C seals, JS opens and makes the same bytes; JS seals, C opens
  const out = rand(sizes[(round + 3) % sizes.length]);
  r = run(tool, ['seal-response', c.resp_key, hex(ih)], out);
  check(r.status === 0 && r.stdout.length === out.length + 28, `C seals the output ${what}: ${r.stderr}`);
  let back = null;
  try { back = jsOpenResponse(opened.keys.resp, ih, new Uint8Array(r.stdout)); } catch (e) { back = null; }
  check(back !== null && eq(back, out), `JS opens the C-sealed output ${what}`);
  check(eq(r.stdout, jsSealResponse(opened.keys.resp, ih, out)), `sealed output bytes equal in JS and C ${what}`);
  const jsOut = jsSealResponse(js.keys.resp, ih, out);
  r = run(tool, ['seal-open-response', hex(js.keys.resp), hex(ih)], jsOut);
  check(r.status === 0 && eq(r.stdout, out), `C opens a JS-sealed output ${what}: ${r.stderr}`);
}
{
  // refusals in C of JS-sealed inputs, each with its code (esgx_common.h)
  const b = { mh: rand(32), fn: 'main', fuel: 1000n, name: 'pay' };
  const pt = rand(50);
  const { sealed, keys } = jsSealRequest(npk, b, pt);
  const refuse = (args, input, code, msg, what) => {
    const r = run(tool, ['seal-open-request', ...args], input);
    check(r.status === 1 && r.stderr.includes(`${code}:`) && r.stderr.includes(msg),
          `${what}: refused with ${code} '${msg}' (got ${r.status} ${r.stderr.trim()})`);
  };
  const bound = 'sealed input does not open for this module, function, fuel and name';
  const mh2 = Uint8Array.from(b.mh); mh2[5] ^= 1;
  refuse([hex(nsk), ...sealArgs({ ...b, mh: mh2 })], sealed, -210, bound, 'another module');
  refuse([hex(nsk), ...sealArgs({ ...b, fn: 'other' })], sealed, -210, bound, 'another function');
  refuse([hex(nsk), ...sealArgs({ ...b, fuel: 1001n })], sealed, -210, bound, 'another fuel');
  refuse([hex(nsk), ...sealArgs({ ...b, name: 'paz' })], sealed, -210, bound, 'another name');
  refuse([hex(nsk), ...sealArgs({ ...b, name: '' })], sealed, -210, bound, 'by hash instead of by name');
  refuse([hex(secp256k1.utils.randomSecretKey()), ...sealArgs(b)], sealed, -210, bound, 'another network key');
  for (const i of [34, 45, 46, 46 + 49, sealed.length - 1]) {
    const t = Uint8Array.from(sealed); t[i] ^= 0x10;
    refuse([hex(nsk), ...sealArgs(b)], t, -210, bound, `byte ${i} modified`);
  }
  const v = Uint8Array.from(sealed); v[0] = 2;
  refuse([hex(nsk), ...sealArgs(b)], v, -205, 'sealed input version 2', 'version 2');
  refuse([hex(nsk), ...sealArgs(b)], sealed.subarray(0, 61), -209, 'shorter than its 62-byte', 'short input');
  const off = Uint8Array.from(sealed); off.set(new Uint8Array(32).fill(0xff), 2);
  refuse([hex(nsk), ...sealArgs(b)], off, -206, 'ephemeral key is not', 'E not on the curve');
  // and JS refuses a C response bound to another input_hash
  const ih = rand(32);
  const r = run(tool, ['seal-response', hex(keys.resp), hex(ih)], pt);
  const ih2 = Uint8Array.from(ih); ih2[0] ^= 1;
  let threw = false;
  try { jsOpenResponse(keys.resp, ih2, new Uint8Array(r.stdout)); } catch (e) { threw = true; }
  check(threw, 'JS refuses a sealed output under another input_hash');
  const rr = run(tool, ['seal-open-response', hex(keys.resp), hex(ih2)], r.stdout);
  check(rr.status === 1 && rr.stderr.includes('-210:') && rr.stderr.includes('sealed output does not open'),
        `C refuses a sealed output under another input_hash (${rr.stderr.trim()})`);
}

// ------------------------------------------------------------------ input_hash
for (let round = 0; round < 8; round++) {
  const mh = rand(32), input = rand([0, 1, 300, 65537][round % 4]);
  const fuel = BigInt(randInt(0, 2 ** 48)), fn = round % 2 ? 'main' : 'f'.repeat(1 + round);
  const byName = round & 2 ? { name: names[1 + (round % 3)], owner: rand(33), seq: BigInt(randInt(1, 2 ** 48)) } : null;
  const sealed = (round & 4) !== 0;
  check(cInputHash(mh, round % 2, fuel, fn, input, byName, sealed) ===
        hex(jsInputHash(mh, round % 2, fuel, fn, input, byName, sealed)),
        `input_hash (by name ${!!byName}, sealed ${sealed}, input ${input.length})`);
  if (!byName && !sealed) {
    const r = run(tool, ['input-hash', hex(mh), String(round % 2), String(fuel), fn], input);
    check(r.stdout.toString().trim() === cInputHash(mh, round % 2, fuel, fn, input, null, false),
          'input_hash_ex with neither extension is the plain input_hash');
  }
}

// ------------------------------------------------------------------ name records
function recordDigest(rec) {
  const nm = T(rec.name);
  return sha256(cat(T('ESGX_NAME_RECORD_V1'), T('NETWORK'), rec.network, T('NAME'), u8(nm.length), nm,
                    T('MODULE_HASH'), rec.hash, T('ENCRYPTED'), u8(rec.encrypted ? 1 : 0),
                    T('SEQUENCE'), u64be(rec.seq), T('OWNER'), rec.owner));
}
function transferDigest(network, name, t) {
  const nm = T(name);
  return sha256(cat(T('ESGX_NAME_TRANSFER_V1'), T('NETWORK'), network, T('NAME'), u8(nm.length), nm,
                    T('SEQUENCE'), u64be(t.seq), T('FROM'), t.from, T('TO'), t.to));
}
// the canonical JSON, written from the format description
function recordJson(rec) {
  let s = `{"name":"${rec.name}","network":"${hex(rec.network)}","hash":"${hex(rec.hash)}",` +
          `"encrypted":${rec.encrypted},"seq":${rec.seq},"owner":"${hex(rec.owner)}",` +
          `"signature":"${hex(rec.signature)}"`;
  if (rec.transfers.length)
    s += ',"transfers":[' + rec.transfers.map((t) => `{"seq":${t.seq},"from":"${hex(t.from)}",` +
         `"to":"${hex(t.to)}","signature":"${hex(t.signature)}"}`).join(',') + ']';
  return s + '}';
}
const people = [0, 1, 2].map(() => secp256k1.keygen());
for (let round = 0; round < 6; round++) {
  const A = people[0], B = people[1];
  const name = names[1 + (round % 3)];
  const rec = { name, network: npk, hash: rand(32), encrypted: round % 2 === 1,
                seq: round < 2 ? [1n, (1n << 63n) - 1n][round] : BigInt(randInt(100, 2 ** 40)),
                owner: B.publicKey, transfers: [] };
  // a transfer A -> B below the record's seq, signed in JS
  const t = { seq: rec.seq > 1n ? rec.seq - 1n : 0n, from: A.publicKey, to: B.publicKey };
  if (t.seq > 0n) {
    t.signature = signRec(transferDigest(npk, name, t), A.secretKey);
    rec.transfers.push(t);
    // C agrees on the digest and the signature bytes, and verifies JS's
    let r = run(tool, ['name-transfer-sign', hex(npk), name, String(t.seq), hex(B.publicKey), hex(A.secretKey)]);
    const c = r.status === 0 ? json(r) : {};
    check(c.digest === hex(transferDigest(npk, name, t)), `transfer digest (${name}, seq ${t.seq}) ${r.stderr}`);
    check(c.from === hex(A.publicKey) && c.signature === hex(t.signature), 'transfer signature bytes equal');
    check(eq(recover(unhex(c.digest), unhex(c.signature)), A.publicKey), 'noble recovers the transfer signer');
    r = run(tool, ['name-transfer-verify', hex(npk), name, String(t.seq), hex(A.publicKey), hex(B.publicKey),
                   hex(t.signature)]);
    check(r.status === 0 && r.stdout.toString().trim() === 'valid', `C verifies a JS transfer ${r.stderr}`);
    r = run(tool, ['name-transfer-verify', hex(npk), name, String(t.seq + 1n), hex(A.publicKey),
                   hex(B.publicKey), hex(t.signature)]);
    check(r.status === 1 && r.stderr.includes('-211:') &&
          r.stderr.includes('transfer signature does not recover to its from key'), 'C refuses a changed transfer');
  }
  // JS signs the record; C verifies, gives the same digest and the same canonical bytes
  rec.signature = signRec(recordDigest(rec), B.secretKey);
  const text = recordJson(rec);
  let r = run(tool, ['name-record-verify', hex(npk)], T(text));
  check(r.status === 0, `C verifies a JS-signed record (round ${round}): ${r.stderr}`);
  if (r.status === 0) {
    const c = json(r);
    check(c.digest === hex(recordDigest(rec)), 'record digest equal');
    check(c.json === text, `canonical JSON byte for byte:\n${c.json}\n${text}`);
  }
  r = run(tool, ['name-record-verify', hex(people[2].publicKey)], T(text));
  check(r.status === 1 && r.stderr.includes('-210:') && r.stderr.includes('record is for another network'),
        'C refuses the record for another network');
  const changed = recordJson({ ...rec, seq: rec.seq === 1n ? 2n : rec.seq - 1n });
  r = run(tool, ['name-record-verify', '-'], T(changed));
  check(r.status === 1 && r.stderr.includes('-211:') &&
        r.stderr.includes('record signature does not recover to its owner'), 'C refuses a changed record');
  // the owner chain from A (through the transfer) and from a stranger
  r = run(tool, ['name-record-chain', hex(A.publicKey)], T(text));
  const reach = rec.transfers.length > 0;
  check(reach ? r.status === 0 && r.stdout.toString().trim() === 'reachable'
              : r.status === 1 && r.stderr.includes('-210:'), `owner chain from the first owner ${r.stderr}`);
  r = run(tool, ['name-record-chain', hex(people[2].publicKey)], T(text));
  check(r.status === 1 && r.stderr.includes('-210:') && r.stderr.includes('not reachable'),
        'owner chain from a stranger is refused');
  // C signs; noble recovers the owner and would have made the same bytes
  const unsigned = recordJson({ ...rec, owner: new Uint8Array(33), signature: new Uint8Array(65) });
  r = run(tool, ['name-record-sign', hex(B.secretKey)], T(unsigned));
  check(r.status === 0, `C signs a record ${r.stderr}`);
  if (r.status === 0) {
    const p = JSON.parse(r.stdout.toString());
    const sig = unhex(p.signature);
    check(p.owner === hex(B.publicKey), 'C sets the owner from the key');
    check(eq(recover(recordDigest(rec), sig), B.publicKey), 'noble recovers the owner from a C record signature');
    check(eq(sig, rec.signature), 'C record signature bytes equal noble (RFC 6979, low-S)');
    check(r.stdout.toString().trim() === text, 'C-signed record JSON equals the JS one');
  }
}

// ------------------------------------------------------------------ keys
for (let round = 0; round < 4; round++) {
  const n = secp256k1.utils.randomSecretKey(), mh = rand(32), ih = rand(32);
  const offset = [0, 1, 63, 1000][round], len = [32, 100, 1, 300][round];
  const r = run(tool, ['random-keys', hex(n), hex(mh), hex(ih), String(offset), String(len)]);
  check(r.status === 0, `random-keys ran ${r.stderr}`);
  if (r.status !== 0) continue;
  const c = json(r);
  const kRand = hkdf(sha256, n, T('esgx-guest-random-v1'), empty, 32);
  const sk = hmac(sha256, kRand, cat(mh, ih));
  const local = blake3(cat(mh, ih), { context: T('esgx local run random v1') });
  check(c.k_rand === hex(kRand), 'k_rand');
  check(c.stream_key === hex(sk), 'stream key');
  check(c.stream === hex(blake3(empty, { key: sk, dkLen: offset + len }).subarray(offset)),
        `stream bytes [${offset}, ${offset + len})`);
  check(c.local_stream_key === hex(local), 'local stream key');
  check(c.local_stream === hex(blake3(empty, { key: local, dkLen: offset + len }).subarray(offset)),
        'local stream bytes');
  const token = `tok-${hex(rand(8))}`, ch = rand(32);
  const a = run(tool, ['admin-macs', hex(n), token, hex(ch)]);
  check(a.status === 0, `admin-macs ran ${a.stderr}`);
  if (a.status !== 0) continue;
  const m = json(a);
  const kAdmin = hkdf(sha256, n, T('esgx-admin-v1'), empty, 32);
  check(m.k_admin === hex(kAdmin), 'k_admin');
  check(m.token_mac === hex(hmac(sha256, kAdmin, cat(T('ESGX_TOKEN'), sha256(T(token))))), 'token MAC');
  check(m.content_mac === hex(hmac(sha256, kAdmin, cat(T('ESGX_CONTENT'), ch))), 'content MAC');
}

finish('seal_interop');
