#!/usr/bin/env python3
"""big_module.py: the 1 MiB module of code the benchmarks load (WAT on stdout).

    python3 bench/big_module.py K [FUNCS] [--call-all] > big.wat; wat2wasm big.wat

FUNCS functions (default 1400, about 1 MiB once assembled) of 100 straight-line i32
additions each, plus `main` (i32, i32) -> i32, which appends "cold start ok" to the
output and calls $f0 (with --call-all: every function, so that a tier compiling each
function on its first call compiles them all). K goes into every constant: a different
K is a different module (another hash, nothing cached). Used by bench/node_bench.sh
(cold start on a node) and bench/wasm_bench.sh (compile time per MiB, cold start of
`esgx run`).
"""
import sys


def main(argv):
    args = [a for a in argv[1:] if not a.startswith('--')]
    flags = [a for a in argv[1:] if a.startswith('--')]
    if not args or len(args) > 2 or any(f != '--call-all' for f in flags):
        sys.stderr.write(__doc__)
        return 2
    k = int(args[0])
    funcs = int(args[1]) if len(args) > 1 else 1400
    call_all = '--call-all' in flags
    out = ['(module (import "fn0" "output_data_append" (func $out (param i32 i32) (result i32)))',
           '(memory (export "memory") 1) (data (i32.const 0) "cold start ok")']
    body = ''.join('(local.set 0 (i32.add (local.get 0) (i32.const %d)))' % (i * 7 + k)
                   for i in range(100))
    for f in range(funcs):
        out.append('(func $f%d (param i32) (result i32) %s (local.get 0))' % (f, body))
    calls = '(i32.const %d)' % k
    for f in (range(funcs) if call_all else range(1)):
        calls = '(call $f%d %s)' % (f, calls)
    out.append('(func (export "main") (param i32 i32) (result i32) '
               '(drop (call $out (i32.const 0) (i32.const 13))) %s)' % calls)
    out.append(')')
    print('\n'.join(out))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
