// cold_v8.mjs: the cold path of one module under Node's V8, in-process (the V8 half of
// bench/cold_bench.sh; the esgx half is bench/cold_bench.c, which works the same way).
//   node [--liftoff-only] bench/cold_v8.mjs FILE.wasm [EXPORT]
// Warms up on a tiny module of its own, then, from the module's bytes in memory:
// compile (new WebAssembly.Module), instantiate (the imports, new WebAssembly.Instance),
// call1 (the first call of EXPORT, default "main", with zero arguments) and call2 (the
// same again), each timed with performance.now(). Every function import is a stub
// returning 52 (WASI's ENOSYS; `proc_exit` throws, caught as an exit), like
// cold_bench.c's: a WASI command's `_start` then exits early.
// Prints one line of name=value pairs in ms.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [file, exp = 'main'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node [--liftoff-only] cold_v8.mjs FILE.wasm [EXPORT]\n');
  process.exit(2);
}
const bytes = readFileSync(file);

class Exit extends Error {}
function imports(mod) {
  const o = {};
  for (const { module, name, kind } of WebAssembly.Module.imports(mod)) {
    if (kind !== 'function') throw new Error(`import ${module}.${name} is a ${kind}`);
    o[module] ??= {};
    o[module][name] = name === 'proc_exit' ? () => { throw new Exit(); } : () => 52;
  }
  return o;
}
function call(inst) {
  const f = inst.exports[exp];
  try {
    return f(...new Array(f.length).fill(0));
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
  }
}

// warm-up: (func (export "main") (result i32) i32.const 7)
const tiny = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0,
  7, 8, 1, 4, 109, 97, 105, 110, 0, 0, 10, 6, 1, 4, 0, 65, 7, 11]);
const tm = new WebAssembly.Module(tiny);
if (new WebAssembly.Instance(tm, {}).exports.main() !== 7) throw new Error('warm-up');

const t0 = performance.now();
const mod = new WebAssembly.Module(bytes);
const t1 = performance.now();
const inst = new WebAssembly.Instance(mod, imports(mod));
const t2 = performance.now();
call(inst);
const t3 = performance.now();
call(inst);
const t4 = performance.now();
const f = (x) => x.toFixed(3);
process.stdout.write(`total=${f(t3 - t0)} compile=${f(t1 - t0)} instantiate=${f(t2 - t1)} ` +
                     `call1=${f(t3 - t2)} call2=${f(t4 - t3)}\n`);
