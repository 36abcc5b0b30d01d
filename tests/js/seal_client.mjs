// seal_client.mjs: sealed calls of sdk/js (client.mjs invoke {seal: true}, seal.mjs)
// against a live esgxd (started by tests/seal_e2e.sh, reached through its recording proxy).
// usage: node seal_client.mjs CLIENT.mjs NODE_URL NETKEY HELLO_HASH RAND_HASH MARKER
// Every plaintext input starts with MARKER, which the shell script then looks for in the
// proxy's recording. Checks: sealed invocations by hash and by name (text and binary
// input) verify and open (JS seals what the enclave opens, opens what it sealed); a
// sealed body POSTed to /functions/NAME with X-Esgx-Sealed: 1 opens, and one sealed for
// another name is refused; a tampered sealed answer is rejected before it is opened and
// the output does not open under another input_hash; the command line's --seal.
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

const [clientPath, node, netKey, helloHash, randHash, marker] = process.argv.slice(2);
const c = await import(pathToFileURL(clientPath).href);
const s = await import(pathToFileURL(`${dirname(clientPath)}/seal.mjs`).href);
const dec = new TextDecoder();
let n = 0;
const ok = (m) => console.log(`ok ${++n} - ${m}`);
const fail = (m) => { console.error(`FAIL: ${m}`); process.exit(1); };
const throwsWith = (fn, start, what) => {
  try { fn(); } catch (e) {
    if (!e.message.startsWith(start)) fail(`${what}: expected "${start}", got "${e.message}"`);
    return ok(`${what}: ${start}`);
  }
  fail(`${what} was accepted`);
};

// 1. by hash, text input
const h = await c.invoke(node, { hash: helloHash, decrypt: true, input: `${marker}-hash` },
  { networkKey: netKey, seal: true });
if (dec.decode(h.output) !== `Hello, ${marker}-hash`) fail(`sealed by hash: ${dec.decode(h.output)}`);
if (h.header.sealed !== true || h.request.sealed_input === undefined || 'input' in h.request)
  fail('the request or the header is not sealed');
console.log(`printed: ${dec.decode(h.output)}`);
ok('invoke {seal: true} by hash: sealed in JS, opened by the enclave, sealed back, verified and opened in JS');

// 2. by name, and binary input through rand (32 random bytes + the input)
const m = await c.invoke(node, { name: 'hello', input: `${marker}-name` }, { networkKey: netKey, seal: true });
if (dec.decode(m.output) !== `Hello, ${marker}-name`) fail('sealed by name');
const bin = Uint8Array.from({ length: 300 }, (_, i) => i & 255);
const r = await c.invoke(node, { name: 'rand', input: bin, fuel: 100000 }, { networkKey: netKey, seal: true });
if (r.output.length !== 332 || Buffer.compare(Buffer.from(r.output.subarray(32)), Buffer.from(bin)))
  fail('sealed binary input did not come through');
ok('invoke {seal: true} by name, text and binary input');

// 3. the sealed answer checked before it is opened; the output bound to input_hash
const body = Uint8Array.from(h.body);
body[body.length - 1] ^= 1;
throwsWith(() => c.verifyAnswer(body, h.request, netKey), 'output hash mismatch', 'a flipped byte of the sealed output');
const plainReq = { ...h.request, input_base64: h.request.sealed_input };
delete plainReq.sealed_input;
throwsWith(() => c.verifyAnswer(h.body, plainReq, netKey), 'input_hash mismatch', 'the sealed bytes presented as a plain input');

// 4. POST /functions/NAME with X-Esgx-Sealed: 1 (the raw body is the sealed input; fuel
// is the node's limit, function main). With signed name records (GET /functions/NAME
// then has an "owner") the enclave binds the record's name; without, the call is bound
// like a call by hash (empty name).
const health = await (await fetch(new URL('/health', node))).json();
const rec = await (await fetch(new URL('/functions/hello', node))).json();
const byName = typeof rec.owner === 'string';
const bind = { hash: helloHash, function: 'main', fuel: health.fuel_limit };
const post = async (sealed) => {
  const res = await fetch(new URL('/functions/hello', node), { method: 'POST', body: sealed,
    headers: { 'x-esgx-sealed': '1', 'content-type': 'application/octet-stream' } });
  return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
};
const good = s.sealRequest(netKey, { ...bind, name: byName ? 'hello' : '' },
  new TextEncoder().encode(`${marker}-fn`));
const a = await post(good.sealed);
if (a.status !== 200) fail(`POST /functions/hello sealed: HTTP ${a.status} ${dec.decode(a.body)}`);
const { header, output } = c.parseAnswer(a.body);
if (header.sealed !== true) fail('the /functions answer is not marked sealed');
if (!byName) {   // by hash semantics: the whole answer verifies like one of /services/3
  c.verifyAnswer(a.body, { hash: helloHash, decrypt: true, function: 'main', fuel: health.fuel_limit,
    sealed_input: Buffer.from(good.sealed).toString('base64') }, netKey);
}
const ih = Uint8Array.from(Buffer.from(header.input_hash, 'hex'));
if (dec.decode(s.openResponse(good.keys, ih, output)) !== `Hello, ${marker}-fn`) fail('the /functions output');
const wrongIh = Uint8Array.from(ih);
wrongIh[0] ^= 1;
throwsWith(() => s.openResponse(good.keys, wrongIh, output), 'sealed output does not open', 'the sealed output under another input_hash');
const other = s.sealRequest(netKey, { ...bind, name: byName ? '' : 'hello' }, new TextEncoder().encode(`${marker}-x`));
const b = await post(other.sealed);
if (b.status !== 400 || !dec.decode(b.body).includes('"code":"bad_sealed_input"'))
  fail(`sealed for another name: HTTP ${b.status} ${dec.decode(b.body)}`);
ok(`POST /functions/hello with X-Esgx-Sealed: 1 opens (${byName ? 'bound to the record\'s name' : 'no signed records on this branch: bound with an empty name'}); sealed for another name: 400 bad_sealed_input`);

// 5. the command line
const out = execFileSync(process.execPath, [clientPath, '--node', node, '--name', 'hello', '--seal',
  '--input', `${marker}-cli`, '--network-key', netKey], { encoding: 'utf8' });
if (out !== `Hello, ${marker}-cli`) fail(`client.mjs --seal printed ${JSON.stringify(out)}`);
ok('node client.mjs --seal');
