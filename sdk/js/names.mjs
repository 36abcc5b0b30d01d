// names.mjs: owned, signed function names for the JavaScript client (docs/formats.md
// "Name records"): a name's record is signed by its owner's secp256k1 key for one
// network; a node stores and serves it (GET /functions/NAME) but cannot forge one.
// Before calling a function by name, client.mjs (invoke) uses this module to
//   - fetch the record and check it strictly: members and hex, the owner's signature over
//     record_digest, the network key you pinned, the name you asked for
//     ("record signature does not recover to its owner", "record is for another network");
//   - check its owner against the owner pinned for that name in a store you provide
//     (anything with get(key) and set(key, value), e.g. a Map you persist): the first use
//     pins it; another owner is accepted only along transfers the pinned owner signed
//     (ownerChain), a lower seq than seen is a rollback; { owner } demands one key;
//   - bind the call: the answer's header carries name, owner and seq and input_hash
//     covers them (recordBinding appended by inputHash).
// Only @noble/curves and @noble/hashes, as client.mjs.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';

const enc = new TextEncoder();
const HEX = /^[0-9a-f]*$/;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const SEQ_MAX = (1n << 63n) - 1n;
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (s) => Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));
const u64be = (v) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v)); return b; };
const cat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

function hexMember(o, key, len, where) {
  const v = o[key];
  if (typeof v !== 'string' || v.length !== len * 2 || !HEX.test(v))
    throw new Error(`name record: ${where}member '${key}' is not ${len * 2} lowercase hex characters`);
  return v;
}
function seqMember(o, key, where) {
  const v = o[key];
  if (!Number.isSafeInteger(v) || v < 1 || BigInt(v) > SEQ_MAX)
    throw new Error(`name record: ${where}member '${key}' is not an integer 1 .. 2^63-1`);
  return v;
}
function onlyMembers(o, allowed, where) {
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw new Error(`name record: ${where}not a JSON object`);
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw new Error(`name record: ${where}unknown member '${k}'`);
  for (const k of allowed)
    if (k !== 'transfers' && !(k in o)) throw new Error(`name record: ${where}member '${k}' is missing`);
}

/** One transfer object {seq, from, to, signature}, checked (not its signature). */
export function parseTransfer(t, where = '') {
  onlyMembers(t, ['seq', 'from', 'to', 'signature'], where);
  return { seq: seqMember(t, 'seq', where), from: hexMember(t, 'from', 33, where),
    to: hexMember(t, 'to', 33, where), signature: hexMember(t, 'signature', 65, where) };
}

/** A record's JSON text parsed as strictly as the C parser does (docs/formats.md). */
export function parseRecord(text) {
  let o;
  try { o = JSON.parse(text); } catch { throw new Error('name record: not JSON'); }
  onlyMembers(o, ['name', 'network', 'hash', 'encrypted', 'seq', 'owner', 'signature', 'transfers'], '');
  if (typeof o.name !== 'string' || !NAME.test(o.name))
    throw new Error("name record: member 'name' is not 1 to 64 characters of [A-Za-z0-9._-]");
  if (typeof o.encrypted !== 'boolean') throw new Error("name record: member 'encrypted' is not a boolean");
  const transfers = o.transfers ?? [];
  if (!Array.isArray(transfers) || transfers.length > 64)
    throw new Error("name record: member 'transfers' is not an array of at most 64 transfers");
  return { name: o.name, network: hexMember(o, 'network', 33, ''), hash: hexMember(o, 'hash', 32, ''),
    encrypted: o.encrypted, seq: seqMember(o, 'seq', ''), owner: hexMember(o, 'owner', 33, ''),
    signature: hexMember(o, 'signature', 65, ''),
    transfers: transfers.map((t, i) => parseTransfer(t, `transfers[${i}]: `)) };
}

/** record_digest (32 bytes). */
export function recordDigest(rec) {
  const nm = enc.encode(rec.name);
  return sha256(cat(enc.encode('ESGX_NAME_RECORD_V1'), enc.encode('NETWORK'), fromHex(rec.network),
    enc.encode('NAME'), Uint8Array.of(nm.length), nm, enc.encode('MODULE_HASH'), fromHex(rec.hash),
    enc.encode('ENCRYPTED'), Uint8Array.of(rec.encrypted ? 1 : 0), enc.encode('SEQUENCE'),
    u64be(rec.seq), enc.encode('OWNER'), fromHex(rec.owner)));
}

/** transfer_digest (32 bytes) of transfer t of name on network (hex). */
export function transferDigest(network, name, t) {
  const nm = enc.encode(name);
  return sha256(cat(enc.encode('ESGX_NAME_TRANSFER_V1'), enc.encode('NETWORK'), fromHex(network),
    enc.encode('NAME'), Uint8Array.of(nm.length), nm, enc.encode('SEQUENCE'), u64be(t.seq),
    enc.encode('FROM'), fromHex(t.from), enc.encode('TO'), fromHex(t.to)));
}

function recovers(sigHex, digest, keyHex) {
  const sig = fromHex(sigHex);
  try {   // noble's "recovered" format: the recovery id first, then r and s
    return toHex(secp256k1.recoverPublicKey(cat(sig.subarray(64), sig.subarray(0, 64)), digest,
      { prehash: false })) === keyHex;
  } catch { return false; }
}

/** Throws unless rec is for networkKey (hex; null: any) and signed by its owner. */
export function verifyRecord(rec, networkKey) {
  if (networkKey && rec.network !== networkKey.toLowerCase()) throw new Error('record is for another network');
  if (!recovers(rec.signature, recordDigest(rec), rec.owner))
    throw new Error('record signature does not recover to its owner');
}

/** Throws unless rec's owner is reachable from pinnedOwner by the transfers it carries
 *  (the checks of esgx_name_record_owner_chain, with its messages). */
export function ownerChain(rec, pinnedOwner) {
  verifyRecord(rec, null);
  let prev;
  rec.transfers.forEach((t, i) => {
    if (!recovers(t.signature, transferDigest(rec.network, rec.name, t), t.from))
      throw new Error(`transfer ${i}: transfer signature does not recover to its from key`);
    if (prev && t.from !== prev.to) throw new Error(`transfer ${i} does not continue the chain`);
    if (prev && t.seq <= prev.seq)
      throw new Error(`transfer ${i} seq ${t.seq} is not above the previous transfer's seq ${prev.seq}`);
    if (t.seq >= rec.seq) throw new Error(`transfer ${i} seq ${t.seq} is not below the record's seq ${rec.seq}`);
    prev = t;
  });
  if (prev && prev.to !== rec.owner) throw new Error("the last transfer does not go to the record's owner");
  if (pinnedOwner !== rec.owner && !rec.transfers.some((t) => t.from === pinnedOwner))
    throw new Error("the record's owner is not reachable from the pinned owner");
}

/** GET /functions/NAME: the record, parsed and verified for networkKey and name. */
export async function fetchRecord(node, name, networkKey) {
  const url = new URL(`/functions/${encodeURIComponent(name)}`, node);
  const r = await fetch(url);
  const text = await r.text();
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}: ${text.slice(0, 300)}`);
  const rec = parseRecord(text);
  if (rec.name !== name) throw new Error(`function '${name}': the node served the record of function '${rec.name}'`);
  try { verifyRecord(rec, networkKey); } catch (e) {
    throw new Error(`function '${name}': the record the node served does not verify: ${e.message}`);
  }
  return rec;
}

/**
 * Checks rec (verified) against the owner pinned for its name in store (get/set by the
 * key "NETWORK NAME", values {owner, seq}); pins on first use, follows signed transfers,
 * refuses another owner and rollbacks. owner (hex, optional) demands that key.
 * Returns 'pinned' | 'same' | 'moved' | 'demanded'; throws naming the function and why.
 */
export async function checkOwner(rec, store, { owner } = {}) {
  const key = `${rec.network} ${rec.name}`;
  if (owner && owner.toLowerCase() !== rec.owner)
    throw new Error(`function '${rec.name}' is owned by ${rec.owner}, not by ${owner} (owner)`);
  const pin = await store.get(key);
  let how;
  if (!pin) how = 'pinned';
  else if (pin.owner === rec.owner || owner) {
    if (pin.owner === rec.owner && rec.seq < pin.seq)
      throw new Error(`function '${rec.name}': the node serves record seq ${rec.seq}, older than seq ` +
        `${pin.seq} seen before (a rollback): refusing`);
    how = pin.owner === rec.owner ? 'same' : 'demanded';
  } else {
    try { ownerChain(rec, pin.owner); } catch (e) {
      throw new Error(`function '${rec.name}' is owned by ${rec.owner}, but ${pin.owner} was pinned ` +
        `for it: ${e.message}; refusing`);
    }
    if (rec.seq < pin.seq)
      throw new Error(`function '${rec.name}': the node serves record seq ${rec.seq}, older than seq ` +
        `${pin.seq} seen before (a rollback): refusing`);
    how = 'moved';
  }
  if (!pin || how !== 'same' || rec.seq > pin.seq) await store.set(key, { owner: rec.owner, seq: rec.seq });
  return how;
}

/** The by-name part of input_hash's preimage for a request carrying name, owner, seq
 *  (docs/formats.md#input_hash); empty for a request by hash. */
export function recordBinding(req) {
  if (req.name === undefined && req.owner === undefined && req.seq === undefined) return new Uint8Array();
  if (typeof req.name !== 'string' || !NAME.test(req.name) || typeof req.owner !== 'string' ||
      req.owner.length !== 66 || !HEX.test(req.owner) || !Number.isSafeInteger(req.seq) || req.seq < 1)
    throw new Error("a request by name needs 'name', 'owner' (66 hex) and 'seq' together");
  const nm = enc.encode(req.name);
  return cat(enc.encode('RECORD_NAME'), Uint8Array.of(nm.length), nm, enc.encode('RECORD_OWNER'),
    fromHex(req.owner), enc.encode('RECORD_SEQ'), u64be(req.seq));
}

/** Throws "input_hash mismatch: ..." when the header's name/owner/seq differ from req's. */
export function checkBinding(header, req) {
  const byName = req.name !== undefined, inHeader = header.name !== undefined;
  if (byName !== inHeader)
    throw new Error(`input_hash mismatch: the answer is ${inHeader ? 'for a name' : 'by hash'}, ` +
      `the request was ${byName ? 'by name' : 'by hash'}`);
  if (byName && (header.name !== req.name || header.owner !== req.owner || header.seq !== req.seq))
    throw new Error(`input_hash mismatch: the answer is for function '${header.name}' of owner ` +
      `${header.owner} at seq ${header.seq}, not '${req.name}' of owner ${req.owner} at seq ${req.seq}`);
}
