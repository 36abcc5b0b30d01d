// seal.mjs: the client side of a sealed call (docs/formats.md "Sealed calls"), with
// @noble/curves (ECDH), @noble/hashes (HKDF-SHA256) and @noble/ciphers (AES-256-GCM).
//
// A sealed call keeps the input and the output away from the nodes: the input is
// encrypted to the network key N (only an enclave holding its secret opens it), bound to
// the module hash, function, fuel limit and name it is meant for; the enclave encrypts
// the output under a key of this call only. client.mjs uses these two functions in
// invoke(node, req, { networkKey, seal: true }).
//   sealRequest(networkKey, binding, plaintext) -> { sealed, keys }
//        sealed = u8 1 + E (33) + nonce (12) + AES-256-GCM(req_key, plaintext, aad) + tag
//   openResponse(keys, inputHash, sealedOutput) -> plaintext (after the answer verified)
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { gcm } from '@noble/ciphers/aes.js';

const enc = new TextEncoder();
export const SEAL_REQUEST_OVERHEAD = 62;
export const SEAL_RESPONSE_OVERHEAD = 28;

function cat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
function bytes(hex, len, what) {
  if (typeof hex !== 'string' || hex.length !== 2 * len || !/^[0-9a-fA-F]*$/.test(hex))
    throw new Error(`${what} must be ${len} bytes of hex`);
  return Uint8Array.from({ length: len }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}
function u64be(v) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v));
  return b;
}

/** The associated data of a sealed input: what it opens for. */
function requestAad({ hash, function: fn = 'main', fuel, name = '' }) {
  const f = enc.encode(fn), n = enc.encode(name);
  if (f.length < 1 || f.length > 255) throw new Error('function name must be 1 to 255 bytes');
  if (n.length > 64) throw new Error('name must be at most 64 bytes');
  if (fuel === undefined) throw new Error('a sealed call needs an explicit fuel limit');
  return cat(enc.encode('ESGX_SEALED_REQUEST'), Uint8Array.of(1), bytes(hash, 32, 'hash'),
    Uint8Array.of(f.length), f, u64be(fuel), Uint8Array.of(n.length), n);
}

/**
 * Seals plaintext (Uint8Array) for the network key (66 hex chars, compressed) and the
 * binding { hash (64 hex), function, fuel, name ('' for a call by hash) }, with a fresh
 * ephemeral key and nonce. Returns { sealed, keys }; keep keys to open the answer.
 */
export function sealRequest(networkKey, binding, plaintext) {
  const N = bytes(networkKey, 33, 'network key');
  const e = secp256k1.utils.randomSecretKey();
  const E = secp256k1.getPublicKey(e, true);
  const X = secp256k1.getSharedSecret(e, N, true).subarray(1);   // x-coordinate of e*N
  const salt = enc.encode('esgx-sealed-call-v1');
  const keys = {
    req: hkdf(sha256, X, salt, cat(enc.encode('request'), E, N), 32),
    resp: hkdf(sha256, X, salt, cat(enc.encode('response'), E, N), 32),
    E,
  };
  e.fill(0);
  X.fill(0);
  const nonce = randomBytes(12);
  const ct = gcm(keys.req, nonce, requestAad(binding)).encrypt(plaintext);
  return { sealed: cat(Uint8Array.of(1), E, nonce, ct), keys };
}

/**
 * Opens a sealed output (nonce' + C' + tag') with the call's keys and the answer's
 * input_hash (32 bytes; check the answer first). Throws "sealed output does not open"
 * for other keys, another input_hash or modified bytes.
 */
export function openResponse(keys, inputHash, sealed) {
  if (sealed.length < SEAL_RESPONSE_OVERHEAD)
    throw new Error(`sealed output of ${sealed.length} bytes is shorter than ${SEAL_RESPONSE_OVERHEAD}`);
  const aad = cat(enc.encode('ESGX_SEALED_RESPONSE'), inputHash);
  try {
    return gcm(keys.resp, sealed.subarray(0, 12), aad).decrypt(sealed.subarray(12));
  } catch {
    throw new Error('sealed output does not open (other keys, another input_hash or modified bytes)');
  }
}
