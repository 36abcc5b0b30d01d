// build.mjs: bundles the console into a folder of static files that esgxd serves.
//
//   node console/build.mjs --out DIR
//
// Writes DIR/index.html, DIR/console.js (src/app.mjs and everything it imports, sdk/js
// and the quote verifier included, bundled and minified by esbuild from node_modules:
// nothing is fetched), DIR/console.css, and DIR/SHA256SUMS (one "sha256  name" line per
// file, sorted). The bundle's hash is SHA-256(SHA256SUMS) (docs/console.md).
// Two dependencies of @phala/dcap-qvl are swapped for small shims of ours over the
// audited @noble packages (src/shim/: "elliptic" over @noble/curves' P-256, "hash.js"
// over @noble/hashes): the verifier's logic stays dcap-qvl's, its primitives shrink by
// ~90 KB; and asn1.js's nested copy of bn.js is replaced by the top-level one. node:* imports (sdk/js's command-line path, never taken in a browser) are left
// external. ESGX_CONSOLE_ANALYZE=1 prints esbuild's per-input size analysis.
// Fails (exit 1, message on stderr) when a file is missing or the bundle passes the
// size budget.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shims } from './shims.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BUDGET = 300 * 1024;

function usage(msg) {
  process.stderr.write(`build.mjs: ${msg}\nusage: node console/build.mjs --out DIR\n`);
  process.exit(1);
}
const args = process.argv.slice(2);
if (args.length !== 2 || args[0] !== '--out') usage('expected --out DIR');
const out = args[1];
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: [join(here, 'src/app.mjs')],
  outfile: join(out, 'console.js'),
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  nodePaths: [join(here, 'node_modules')],
  legalComments: 'none',
  logLevel: 'error',
  plugins: [shims],
  external: ['node:*'],
  metafile: true,
});
if (process.env.ESGX_CONSOLE_ANALYZE === '1') {
  const { analyzeMetafile } = await import('esbuild');
  process.stderr.write(await analyzeMetafile(result.metafile));
}
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'src/console.css'), join(out, 'console.css'));

let total = 0;
const lines = [];
for (const name of readdirSync(out).sort()) {
  if (name === 'SHA256SUMS') continue;
  const data = readFileSync(join(out, name));
  if (!statSync(join(out, name)).isFile()) continue;
  total += data.length;
  lines.push(`${createHash('sha256').update(data).digest('hex')}  ${name}\n`);
}
for (const l of lines) {
  const name = l.slice(66, -1);
  process.stdout.write(`${String(statSync(join(out, name)).size).padStart(8)}  ${name}\n`);
}
process.stdout.write(`${String(total).padStart(8)}  total (budget ${BUDGET})\n`);
if (total > BUDGET) usage(`the console is ${total} bytes, over its budget of ${BUDGET}`);
writeFileSync(join(out, 'SHA256SUMS'), lines.join(''));
