// crypto_common.mjs: shared helpers of the crypto_*.mjs interop tests: skip rules,
// running the C side as a child process, hex, and failure counting.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));

// Exit 77 (skip) with a message unless the npm packages (the common ones and `extra`)
// are installed.
export function requireNodeModules(extra = []) {
  for (const p of ['eciesjs', '@noble/curves', '@noble/hashes', '@scure/bip32', ...extra]) {
    if (!existsSync(join(here, 'node_modules', p))) {
      console.error(`SKIP: ${join(here, 'node_modules', p)} missing (run npm ci in tests/js)`);
      process.exit(77);
    }
  }
}

// Path of a binary in the build dir; fails (not skips) when it was not built.
export function buildBinary(name) {
  const dir = process.env.ESGX_BUILD_DIR;
  if (!dir) {
    console.error('FAIL: ESGX_BUILD_DIR is not set (run through ctest)');
    process.exit(1);
  }
  const p = join(dir, name);
  if (!existsSync(p)) {
    console.error(`FAIL: ${p} not built`);
    process.exit(1);
  }
  return p;
}

let failures = 0;
let checks = 0;
export function check(cond, what) {
  checks++;
  if (!cond) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
}
export function finish(name) {
  if (failures) {
    console.error(`${name}: ${failures} of ${checks} checks failed`);
    process.exit(1);
  }
  console.log(`${name}: all ${checks} checks passed`);
  process.exit(0);
}

// Runs a command; returns { status, stdout (Buffer), stderr (string) }.
export function run(cmd, args, input, opts = {}) {
  const r = spawnSync(cmd, args, {
    input: input ?? Buffer.alloc(0),
    maxBuffer: 256 * 1024 * 1024,
    ...opts,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

export const hex = (b) => Buffer.from(b).toString('hex');
export const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));
export const rand = (n) => new Uint8Array(randomBytes(n));
export const randInt = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));
export const eq = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
