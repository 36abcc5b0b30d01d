// cli_client.mjs: tests sdk/js/client.mjs against a live esgxd (started by tests/cli_js.sh).
// usage: node cli_client.mjs CLIENT.mjs NODE_URL NETKEY HELLO_HASH ECHO_HASH ESGX_ANS ESGX_REQ OUTDIR
// Checks: verified invocations (one-block and a 600 KiB three-block output), each kind
// of tampering rejected with the named check, answers saved by `esgx invoke` verify in
// JS, and JS answers are written to OUTDIR for `esgx verify` (run by the shell script),
// and the client's command-line mode (exit 0 / exit 1).
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const [clientPath, node, netKey, helloHash, echoHash, esgxAns, esgxReq, outDir] = process.argv.slice(2);
const c = await import(pathToFileURL(clientPath).href);
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

// 2b. binary input (input_base64) by name: the public GET /functions/NAME resolves it
const bin = new Uint8Array(256).map((_, i) => i);
const b = await c.invoke(node, { name: 'echo', input: bin }, { networkKey: netKey });
if (b.request.input_base64 === undefined || b.request.hash !== echoHash) fail('binary request');
if (Buffer.compare(Buffer.from(b.output), Buffer.from(bin)) !== 0) fail('echo of 256 byte values');
ok('invoke by name with binary input (input_base64) verified');
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

// 4. interop with the C CLI: an answer saved by `esgx invoke --save --save-request`
const saved = c.verifyAnswer(new Uint8Array(readFileSync(esgxAns)), JSON.parse(readFileSync(esgxReq, 'utf8')), netKey);
if (saved.signer !== netKey) fail('esgx-saved answer signer');
ok('an answer saved by esgx invoke verifies in JS');

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
