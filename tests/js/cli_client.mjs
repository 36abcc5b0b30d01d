// cli_client.mjs: tests sdk/js/client.mjs against a live esgxd (started by tests/cli_js.sh).
// usage: node cli_client.mjs CLIENT.mjs NODE_URL NETKEY HELLO_HASH ECHO_HASH ESGX_ANS ESGX_REQ OUTDIR
//                            OWNER
// Checks: verified invocations (one-block and a 600 KiB three-block output), each kind
// of tampering rejected with the named check, answers saved by `esgx invoke` verify in
// JS, and JS answers are written to OUTDIR for `esgx verify` (run by the shell script),
// and the client's command-line mode (exit 0 / exit 1). Names (names.mjs): a call by name
// verifies the record, pins its owner in the caller's store and is bound to the record;
// another owner, a rollback, a demanded owner that differs, a changed record and an
// answer bound to another record are refused.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const [clientPath, node, netKey, helloHash, echoHash, esgxAns, esgxReq, outDir, owner] =
  process.argv.slice(2);
const c = await import(pathToFileURL(clientPath).href);
const names = await import(pathToFileURL(clientPath.replace(/client\.mjs$/, 'names.mjs')).href);
let n = 0;
const ok = (m) => console.log(`ok ${++n} - ${m}`);
const fail = (m) => { console.error(`FAIL: ${m}`); process.exit(1); };
const expectReject = (fn, check, what) => {
  try { fn(); } catch (e) {
    if (!e.message.startsWith(check)) fail(`${what}: expected "${check}", got "${e.message}"`);
    return ok(`${what} rejected: ${check}`);
  }
  fail(`${what} was accepted`);
};

// 1. hello, encrypted module
const h = await c.invoke(node, { hash: helloHash, decrypt: true, input: 'foo' }, { networkKey: netKey });
if (new TextDecoder().decode(h.output) !== 'Hello, world! From, SGX WASM <3') fail('hello output');
if (h.signer !== netKey) fail('hello signer');
if (h.request.fuel !== 1000000000) fail('the node limit from /health was not sent as fuel');
ok('invoke hello (decrypt) verified');

// 2. echo of 600 KiB: a 5-node tree recomputed in JS
const big = 'abcdefghijklmnopqrstuvwxyz0123456789\n'.repeat(17000).slice(0, 614400);
const e = await c.invoke(node, { hash: echoHash, input: big, fuel: 900000000 }, { networkKey: netKey });
if (new TextDecoder().decode(e.output) !== big) fail('echo output');
if (e.header.tree.length !== 5 * 64) fail('expected a 5-node tree');
ok('invoke echo 600 KiB verified, tree of 5 nodes recomputed');

// 2b. binary input (input_base64) by name: the signed record from GET /functions/NAME,
// its owner pinned in our store, the answer bound to it
const bin = new Uint8Array(256).map((_, i) => i);
const owners = new Map();
const b = await c.invoke(node, { name: 'echo', input: bin }, { networkKey: netKey, owners });
if (b.request.input_base64 === undefined || b.request.hash !== echoHash) fail('binary request');
if (Buffer.compare(Buffer.from(b.output), Buffer.from(bin)) !== 0) fail('echo of 256 byte values');
if (b.header.name !== 'echo' || b.header.owner !== owner || b.header.seq !== 1) fail('by-name header');
if (owners.get(`${netKey} echo`)?.owner !== owner) fail('the owner was not pinned in the store');
ok('invoke by name with binary input (input_base64) verified, owner pinned, answer bound to the record');

// 2c. names: refusals
const expectRejectAsync = async (p, text, what) => {
  try { await p; } catch (e) {
    if (!e.message.includes(text)) fail(`${what}: expected "${text}", got "${e.message}"`);
    return ok(`${what} refused: ${text}`);
  }
  fail(`${what} was accepted`);
};
const other = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
await expectRejectAsync(c.invoke(node, { name: 'echo', input: 'x' },
  { networkKey: netKey, owners: new Map([[`${netKey} echo`, { owner: other, seq: 1 }]]) }),
'is owned by ' + owner + ', but ' + other + ' was pinned', 'a record of another owner than the pinned one');
await expectRejectAsync(c.invoke(node, { name: 'echo', input: 'x' },
  { networkKey: netKey, owners: new Map([[`${netKey} echo`, { owner, seq: 5 }]]) }),
'older than seq 5 seen before (a rollback)', 'a record older than the one seen');
await expectRejectAsync(c.invoke(node, { name: 'echo', input: 'x' }, { networkKey: netKey, owners, owner: other }),
  `not by ${other} (owner)`, 'another owner than the one demanded');
await expectRejectAsync(c.invoke(node, { name: 'echo', input: 'x' }, { networkKey: other, owners }),
  'record is for another network', 'a record for another network key');
const recText = await (await fetch(new URL('/functions/hello', node))).text();
const rec = names.parseRecord(recText);
names.verifyRecord(rec, netKey);
expectReject(() => names.verifyRecord({ ...rec, hash: echoHash }, netKey),
  'record signature does not recover to its owner', 'a record whose hash was replaced');
expectReject(() => names.parseRecord(recText.replace('"seq":', '"extra":1,"seq":')),
  "name record: unknown member 'extra'", 'a record with an unknown member');
expectReject(() => c.verifyAnswer(b.body, { ...b.request, seq: 2 }, netKey),
  'input_hash mismatch', 'an answer bound to another seq');
expectReject(() => c.verifyAnswer(b.body, { ...b.request, name: undefined, owner: undefined, seq: undefined },
  netKey), 'input_hash mismatch', 'a by-name answer taken as by hash');
writeFileSync(`${outDir}/js.ans`, e.body);
writeFileSync(`${outDir}/js.req`, JSON.stringify(e.request));

// 3. tampering
const body = e.body, req = e.request;
const flipHexAt = (key, off) => {
  const b = Uint8Array.from(body);
  const text = new TextDecoder().decode(b.subarray(0, 4096));
  const i = text.indexOf(`"${key}":"`) + key.length + 4 + off;
  b[i] = b[i] === 0x30 ? 0x31 : 0x30;
  return b;
};
const flippedOut = Uint8Array.from(body); flippedOut[flippedOut.length - 1] ^= 1;
expectReject(() => c.verifyAnswer(flippedOut, req, netKey), 'output hash mismatch', 'flipped output byte');
expectReject(() => c.verifyAnswer(flipHexAt('signature', 9), req, netKey),
  'signature does not recover to the network key', 'flipped signature hex char');
expectReject(() => c.verifyAnswer(flipHexAt('tree', 70), req, netKey), 'tree mismatch', 'flipped tree node');
expectReject(() => c.verifyAnswer(body, { ...req, input: big + '!' }, netKey), 'input_hash mismatch', 'other input');
expectReject(() => c.verifyAnswer(body, { ...req, fuel: req.fuel + 1 }, netKey), 'input_hash mismatch', 'other fuel');
expectReject(() => c.verifyAnswer(body, req, '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'),
  'signature does not recover to the network key', 'wrong network key');
c.verifyAnswer(body, req, netKey);
ok('the untouched answer still verifies');

// 4. interop with the C CLI: an answer saved by `esgx invoke NAME --save --save-request`
// (a call by name: the request file carries name, owner and seq)
const savedReq = JSON.parse(readFileSync(esgxReq, 'utf8'));
const saved = c.verifyAnswer(new Uint8Array(readFileSync(esgxAns)), savedReq, netKey);
if (saved.signer !== netKey || savedReq.owner !== owner || saved.header.name !== 'hello') fail('esgx-saved answer');
ok('an answer by name saved by esgx invoke verifies in JS');
writeFileSync(`${outDir}/js-name.ans`, b.body);
writeFileSync(`${outDir}/js-name.req`, JSON.stringify(b.request));

// 5. the command-line mode
const cli = ['--node', node, '--hash', helloHash, '--decrypt', '--input', 'foo'];
const out = execFileSync(process.execPath, [clientPath, ...cli, '--network-key', netKey], { encoding: 'utf8' });
if (out !== 'Hello, world! From, SGX WASM <3') fail(`client.mjs output ${JSON.stringify(out)}`);
const bad = spawnSync(process.execPath, [clientPath, ...cli, '--network-key',
  '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'], { encoding: 'utf8' });
if (bad.status !== 1 || !bad.stderr.includes('signature does not recover to the network key') || bad.stdout)
  fail(`client.mjs with a wrong key: status ${bad.status}, stderr ${bad.stderr}`);
const noArgs = spawnSync(process.execPath, [clientPath], { encoding: 'utf8' });
if (noArgs.status !== 2) fail('client.mjs without arguments should exit 2');
ok('client.mjs command line: verified output, wrong key exits 1, usage exits 2');
