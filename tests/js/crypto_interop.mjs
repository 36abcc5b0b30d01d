// crypto_interop.mjs: live interop of lib/crypto (through build/crypto_tool) with
// independent JavaScript libraries, on fresh random keys every run:
//   ECIES      eciesjs -> ours and ours -> eciesjs, sizes 0 .. > 64 KiB; tamper checks
//   BIP32      @scure/bip32 vs ours: shared = m/0'/0' from random seeds, module keys
//              from random hashes and paths, from the xprv and from the xpub alone
//   ECDSA      ours vs @noble/curves secp256k1: exact signature bytes, verify, recover
//   digests    input_hash / response digest vs an independent @noble/hashes sha256
//              computation written from docs/formats.md#signed-responses
import { requireNodeModules, buildBinary, check, finish, run, hex, unhex, rand, randInt, eq }
  from './crypto_common.mjs';

requireNodeModules();
const { encrypt, decrypt, PrivateKey } = await import('eciesjs');
const { secp256k1 } = await import('@noble/curves/secp256k1.js');
const { sha256 } = await import('@noble/hashes/sha2.js');
const { HDKey } = await import('@scure/bip32');
const tool = buildBinary('crypto_tool');

// ------------------------------------------------------------------ ECIES
const sizes = [0, 1, 15, 16, 31, 32, 33, 100, 1000, 65535, 65536, 65537, 70000, 300000];
for (const n of sizes) {
  const { secretKey, publicKey } = secp256k1.keygen();
  const pt = rand(n);
  // eciesjs encrypts, we decrypt
  const ct = encrypt(publicKey, pt);
  check(ct.length === n + 97, `eciesjs ciphertext length for ${n}`);
  let r = run(tool, ['decrypt', hex(secretKey)], ct);
  check(r.status === 0 && eq(r.stdout, pt), `ours decrypts eciesjs ciphertext of ${n} bytes (${r.stderr})`);
  // eciesjs to the uncompressed form of the key, too
  const unc = secp256k1.getPublicKey(secretKey, false);
  r = run(tool, ['decrypt', hex(secretKey)], encrypt(unc, pt));
  check(r.status === 0 && eq(r.stdout, pt), `ours decrypts eciesjs (uncompressed recipient) ${n}`);
  // we encrypt, eciesjs decrypts
  r = run(tool, ['encrypt', hex(publicKey)], pt);
  check(r.status === 0 && r.stdout.length === n + 97 && r.stdout[0] === 4,
        `ours encrypts ${n} bytes (${r.stderr})`);
  let back = null;
  try { back = decrypt(secretKey, r.stdout); } catch (e) { back = null; }
  check(back !== null && eq(back, pt), `eciesjs decrypts our ciphertext of ${n} bytes`);
  // eciesjs PrivateKey API gives the same public key bytes we use
  check(eq(new PrivateKey(secretKey).publicKey.toBytes(true), publicKey), 'eciesjs public key');
  // tampering: tag byte and (if any) body byte -> code -210 (ESGX_CRYPTO_E_AUTH); wrong key -> -210
  const t = Buffer.from(ct); t[65 + 16] ^= 1;
  r = run(tool, ['decrypt', hex(secretKey)], t);
  check(r.status === 1 && r.stderr.includes('-210:') && r.stdout.length === 0, `flipped tag rejected (${n})`);
  if (n) {
    const b = Buffer.from(ct); b[97 + randInt(0, n - 1)] ^= 0x80;
    r = run(tool, ['decrypt', hex(secretKey)], b);
    check(r.status === 1 && r.stderr.includes('-210:'), `flipped body byte rejected (${n})`);
  }
  r = run(tool, ['decrypt', hex(secp256k1.utils.randomSecretKey())], ct);
  check(r.status === 1 && r.stderr.includes('-210:'), `wrong key rejected (${n})`);
}
{
  // short ciphertext -> -9; bad ephemeral key -> -6
  const { secretKey, publicKey } = secp256k1.keygen();
  const ct = encrypt(publicKey, rand(10));
  let r = run(tool, ['decrypt', hex(secretKey)], ct.subarray(0, 96));
  check(r.status === 1 && r.stderr.includes('-209:'), 'short ciphertext gives CRYPTO_E_SHORT');
  const bad = Buffer.from(ct); bad[40] ^= 1;
  r = run(tool, ['decrypt', hex(secretKey)], bad);
  check(r.status === 1 && r.stderr.includes('-206:'), 'off-curve ephemeral key gives CRYPTO_E_KEY');
}

// ------------------------------------------------------------------ BIP32
function scureModuleKey(shared, hash, path) {
  let k = shared.deriveChild(0);
  const bytes = [...hash, ...path];
  for (let i = 0; i < bytes.length; i += 2) k = k.deriveChild((bytes[i] << 8) | bytes[i + 1]);
  return k;
}
const pathLens = [0, 2, 4, 32, 100, 254, 256];
for (let round = 0; round < 10; round++) {
  const seed = rand(round === 0 ? 16 : round === 1 ? 64 : 32);
  const hash = rand(32);
  const plen = round < pathLens.length ? pathLens[round] : 2 * randInt(0, 128);
  const path = rand(plen);
  const r = run(tool, ['bip32', hex(seed), hex(hash), hex(path)]);
  check(r.status === 0, `crypto_tool bip32 ran (${r.stderr})`);
  if (r.status !== 0) continue;
  const ours = JSON.parse(r.stdout.toString());
  const shared = HDKey.fromMasterSeed(seed).derive("m/0'/0'");
  check(ours.shared_xprv === shared.privateExtendedKey, `shared xprv (seed ${seed.length} bytes)`);
  check(ours.shared_xpub === shared.publicExtendedKey, 'shared xpub');
  const d = scureModuleKey(shared, hash, path);
  check(ours.derived_secret_key === hex(d.privateKey), `derived secret key (path ${plen} bytes)`);
  check(ours.derived_public_key === hex(d.publicKey), 'derived public key');
  check(ours.derived_xprv === d.privateExtendedKey, 'derived xprv');
  // the client's view: xpub only
  const pubShared = HDKey.fromExtendedKey(ours.shared_xpub);
  const dp = scureModuleKey(pubShared, hash, path);
  check(dp.privateKey === null, 'scure xpub derivation is public');
  check(ours.derived_public_key_from_xpub === hex(dp.publicKey), 'derived public key from xpub');
  check(ours.derived_xpub_from_xpub === dp.publicExtendedKey, 'derived xpub from xpub');
}

// ------------------------------------------------------------------ ECDSA
for (let round = 0; round < 12; round++) {
  const { secretKey, publicKey } = secp256k1.keygen();
  const digest = rand(32);
  const r = run(tool, ['sign', hex(secretKey), hex(digest)]);
  check(r.status === 0, `crypto_tool sign ran (${r.stderr})`);
  if (r.status !== 0) continue;
  const ours = JSON.parse(r.stdout.toString());
  const sig = unhex(ours.signature);
  check(ours.public_key === hex(publicKey), 'our public key of the secret key');
  // noble's 'recovered' format is recovery id first; ours is r + s + id
  const nobleRec = secp256k1.sign(digest, secretKey, { prehash: false, format: 'recovered' });
  const asNoble = new Uint8Array([sig[64], ...sig.subarray(0, 64)]);
  check(eq(nobleRec, asNoble), 'signature bytes equal @noble/curves RFC 6979 low-S');
  check(secp256k1.verify(sig.subarray(0, 64), digest, publicKey, { prehash: false }),
        '@noble/curves verifies our signature');
  const rec = secp256k1.recoverPublicKey(asNoble, digest, { prehash: false });
  check(eq(rec, publicKey), '@noble/curves recovers our public key');
  // and we recover from noble's signature
  const nobleOurs = new Uint8Array([...nobleRec.subarray(1), nobleRec[0]]);
  const rr = run(tool, ['recover', hex(digest), hex(nobleOurs)]);
  check(rr.status === 0 && rr.stdout.toString().trim() === hex(publicKey), 'ours recovers from noble signature');
  // a different digest does not verify
  const other = Uint8Array.from(digest); other[0] ^= 1;
  check(!secp256k1.verify(sig.subarray(0, 64), other, publicKey, { prehash: false }),
        'signature does not verify another digest');
}

// ------------------------------------------------------------------ digests
const te = new TextEncoder();
function u64be(v) { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v)); return b; }
function cat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
// docs/formats.md#input_hash, written independently of lib/crypto/digest.c
function jsInputHash(moduleHash, decryptFlag, fuel, fn, input) {
  const name = te.encode(fn);
  return sha256(cat(te.encode('MODULE_HASH'), te.encode(hex(moduleHash)),
                    te.encode('MODULE_DECRYPT'), Uint8Array.of(decryptFlag ? 1 : 0),
                    te.encode('FUEL_LIMIT'), u64be(fuel),
                    te.encode('FUNCTION_NAME'), Uint8Array.of(name.length), name,
                    te.encode('INPUT_DATA'), u64be(input.length), input));
}
function jsResponseDigest(inputHash, fuelUsed, outputHash) {
  return sha256(cat(te.encode('INPUT_HASH'), inputHash, te.encode('FUEL_USED'), u64be(fuelUsed),
                    te.encode('OUTPUT_HASH'), outputHash));
}
const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789';
const fuels = [0n, 1n, 1000000n, 0xffffffffn, 0x0123456789abcdefn, 0xffffffffffffffffn];
const inSizes = [0, 1, 255, 256, 65536, 70001];
for (let round = 0; round < 12; round++) {
  const mh = rand(32);
  const dec = round % 2;
  const fuel = round < fuels.length ? fuels[round] : BigInt(randInt(0, 2 ** 48));
  const nameLen = [0, 4, 255][round % 3];
  let fn = round % 3 === 1 ? 'main' : '';
  while (fn.length < nameLen) fn += letters[randInt(0, letters.length - 1)];
  const input = rand(inSizes[round % inSizes.length]);
  const r = run(tool, ['input-hash', hex(mh), String(dec), fuel.toString(), fn], input);
  check(r.status === 0 && r.stdout.toString().trim() === hex(jsInputHash(mh, dec, fuel, fn, input)),
        `input_hash matches (decrypt ${dec}, fuel ${fuel}, name ${fn.length}, input ${input.length}) ${r.stderr}`);
  const ih = unhex(r.stdout.toString().trim());
  const oh = rand(32);
  const used = BigInt(randInt(0, 2 ** 40));
  const rd = run(tool, ['response-digest', hex(ih), used.toString(), hex(oh)]);
  const want = jsResponseDigest(ih, used, oh);
  check(rd.status === 0 && rd.stdout.toString().trim() === hex(want), 'response digest matches');
  // the whole signature chain: we sign the digest, noble recovers the signer
  const { secretKey, publicKey } = secp256k1.keygen();
  const s = run(tool, ['sign', hex(secretKey), hex(want)]);
  const sig = unhex(JSON.parse(s.stdout.toString()).signature);
  check(eq(secp256k1.recoverPublicKey(new Uint8Array([sig[64], ...sig.subarray(0, 64)]), want,
                                      { prehash: false }), publicKey),
        'response signature recovers to the signer');
}
{
  const r = run(tool, ['input-hash', hex(rand(32)), '0', '1', 'x'.repeat(256)]);
  check(r.status === 1 && r.stderr.includes('-201:'), 'function name over 255 bytes is CRYPTO_E_ARG');
}

finish('crypto_interop');
