// run_v8.mjs: runs a benchmark kernel's .wasm under Node's V8 with no imports.
//   node bench/run_v8.mjs KERNEL.wasm N   -> prints run(N) as a signed decimal
import { readFileSync } from 'node:fs';

const [file, n] = process.argv.slice(2);
if (!file || n === undefined) {
  process.stderr.write('usage: node run_v8.mjs KERNEL.wasm N\n');
  process.exit(2);
}
const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
const r = instance.exports.run(Number.parseInt(n, 10));
process.stdout.write(`${BigInt.asIntN(64, BigInt(r))}\n`);
