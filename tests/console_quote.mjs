// console_quote.mjs: the console's quote verification (console/src/attest.mjs with
// @phala/dcap-qvl), bundled with the same shims as the console (console/shims.mjs), run
// on a real Intel SGX DCAP quote and its collateral from the test vectors:
//   node tests/console_quote.mjs VECTOR_DIR OUT_DIR
// VECTOR_DIR holds quote.bin and full_collateral.json (vectors/dcap/fleek-sgx). Checks
// that, at the vectors' time and with Intel's root: the quote verifies up to dcap-qvl's
// refusal of its DEBUG enclave (every signature, chain and CRL before that passed), and
// that a byte flipped in the ISV report, in the QE report signature, in the tcbInfo text
// or in the PCK certificate each fails with a reason naming what broke; a year later the
// collateral has expired. Prints "ok - ..." lines; exit 1 on the first failure.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const [vec, out] = process.argv.slice(2);
const { shims } = await import(pathToFileURL(join(root, 'console/shims.mjs')).href);
const { build } = await import(pathToFileURL(join(root, 'console/node_modules/esbuild/lib/main.js')).href);

// the verifier as the browser gets it: dcap-qvl with its primitives swapped
const entry = join(out, 'entry.mjs');
const bundle = join(out, 'verifier.mjs');
(await import('node:fs')).writeFileSync(entry,
  `export { verifyAttestation } from ${JSON.stringify(join(root, 'console/src/attest.mjs'))};\n` +
  `export { QuoteVerifier } from '@phala/dcap-qvl/src/verify.js';\n` +
  `export { collateralForQvl } from ${JSON.stringify(join(root, 'console/src/attest.mjs'))};\n` +
  `export { Buffer } from 'buffer';\n`);
await build({ entryPoints: [entry], outfile: bundle, bundle: true, format: 'esm',
  platform: 'browser', nodePaths: [join(root, 'console/node_modules')], plugins: [shims],
  logLevel: 'error', external: ['node:*'] });
const { QuoteVerifier, collateralForQvl, Buffer } = await import(pathToFileURL(bundle).href);

const NOW = 1724962800;   // the vectors' README: all collateral valid then
const quote = readFileSync(join(vec, 'quote.bin'));
const collText = readFileSync(join(vec, 'full_collateral.json'), 'utf8');
const fail = (m) => { console.log(`not ok - ${m}`); process.exit(1); };
const ok = (m) => console.log(`ok - ${m}`);

function verify(q, text, now = NOW) {
  try {
    const r = QuoteVerifier.newProd().verify(Buffer.from(q), collateralForQvl(text), now);
    return { status: r.status };
  } catch (e) {
    return { error: `${e.message}${e.cause?.message ? ` (${e.cause.message})` : ''}` };
  }
}

let r = verify(quote, collText);
if (!r.error || !/debug/i.test(r.error)) fail(`the real quote: expected the debug refusal, got ${JSON.stringify(r)}`);
ok(`real Intel quote: every signature, chain and CRL passes, then "${r.error}"`);

// offsets in a v3 quote: header 48, ISV report body 384 (MRENCLAVE at 48+64), then the
// signature data: length 4, ISV signature 64, attestation key 64, QE report 384, QE
// report signature 64, ...
const flips = [
  [48 + 64, 'a byte of MRENCLAVE in the ISV report', /isv|enclave report|signature/i],
  [48 + 384 + 4 + 64 + 64 + 384 + 10, 'a byte of the QE report signature', /qe|signature/i],
];
for (const [at, what, want] of flips) {
  const q = Buffer.from(quote);
  q[at] ^= 1;
  const v = verify(q, collText);
  if (!v.error || /debug/i.test(v.error) || !want.test(v.error)) fail(`${what} flipped: got ${JSON.stringify(v)}`);
  ok(`${what} flipped: "${v.error}"`);
}
// a digit of the signed tcbInfo text (its tcbEvaluationDataNumber or any number)
const ti = collText.indexOf('"tcbInfo"');
const dig = collText.slice(ti).search(/[0-9]/) + ti;
const flipped = collText.slice(0, dig) + (collText[dig] === '1' ? '2' : '1') + collText.slice(dig + 1);
r = verify(quote, flipped);
if (!r.error || /debug/i.test(r.error)) fail(`tcbInfo text changed: got ${JSON.stringify(r)}`);
ok(`one digit of the signed tcbInfo changed: "${r.error}"`);
// a byte inside the PCK leaf certificate (in the quote's certification data, PEM text)
const pem = quote.indexOf('-----BEGIN CERTIFICATE-----');
if (pem < 0) fail('no PCK chain in the quote');
const q2 = Buffer.from(quote);
const at = pem + 28 + 200;   // inside the base64 body of the leaf
q2[at] = q2[at] === 0x41 ? 0x42 : 0x41;
r = verify(q2, collText);
if (!r.error || /debug/i.test(r.error)) fail(`PCK certificate changed: got ${JSON.stringify(r)}`);
ok(`one base64 digit of the PCK certificate changed: "${r.error}"`);
r = verify(quote, collText, NOW + 366 * 86400);
if (!r.error || /debug/i.test(r.error)) fail(`a year later: got ${JSON.stringify(r)}`);
ok(`a year later the collateral is refused: "${r.error}"`);
