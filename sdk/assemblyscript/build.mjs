// build.mjs: compiles AssemblyScript guests with the flags esgx needs.
//   node build.mjs OUT_DIR [FILE.ts ...]     (default: every examples/*.ts)
// Flags: -O3 (optimize), --runtime stub (a bump allocator: a guest runs once per fresh
// instance), --use abort=assembly/esgx/index/esgxAbort (no env.abort import: aborts
// become the output and a trap). The module exports `main` and `memory`.
import { readdirSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(process.argv[2] || join(here, 'build'));
let files = process.argv.slice(3).map((f) => resolve(f));
if (!files.length) files = readdirSync(join(here, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => join(here, 'examples', f));
let asc;
try {
  asc = (await import('assemblyscript/asc')).default;
} catch (e) {
  console.error('build: assemblyscript is not installed (npm ci in sdk/assemblyscript): ' + e.message);
  process.exit(77);
}
mkdirSync(outDir, { recursive: true });
process.chdir(here);   // --use abort= names the SDK by its path relative to here
let failed = 0;
for (const f of files) {
  const out = join(outDir, basename(f, '.ts') + '.wasm');
  const { error, stderr } = await asc.main([relative(here, f), '-o', out, '-O3', '--runtime', 'stub',
    '--use', 'abort=assembly/esgx/index/esgxAbort'], {});
  if (error) {
    failed++;
    console.error(`build: ${f}: ${error.message}\n${stderr.toString()}`);
  } else {
    console.log(`build: ${out}`);
  }
}
process.exit(failed ? 1 : 0);
