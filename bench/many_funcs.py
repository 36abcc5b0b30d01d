#!/usr/bin/env python3
"""many_funcs.py: a module of many empty functions (a wasm binary, written to OUT).

    python3 bench/many_funcs.py K OUT [FUNCS] [--indirect]

FUNCS functions (default 65000) of type () -> () whose body is empty, plus `main`
(i32, i32) -> i32, which calls every one of them once and returns K (with --indirect:
through a table, by call_indirect in a loop, so no call site names its callee). At the
default size the binary is about 0.5 MB: a tier that maps every compiled function on
pages of its own spends a page per function (65000 x 4 KiB = 254 MiB for one module).
K goes into the code: a different K is a different module (another hash). Written as
a binary directly (no wat2wasm: the text of 65000 functions is slow to assemble). Used
by tests/node_code_memory.sh and lib/wasm/test_jit.c's figures (docs/wasm.md).
"""
import sys


def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def section(sid, body):
    return bytes([sid]) + leb(len(body)) + body


def vec(items):
    return leb(len(items)) + b''.join(items)


def name(s):
    return leb(len(s)) + s.encode()


def module(k, funcs, indirect):
    types = vec([b'\x60\x00\x00', b'\x60\x02\x7f\x7f\x01\x7f'])
    fsec = vec([b'\x00'] * funcs + [b'\x01'])
    parts = [section(1, types), section(3, fsec)]
    if indirect:   # table 0: funcref, exactly FUNCS entries
        parts.append(section(4, vec([b'\x70\x00' + leb(funcs)])))
    parts.append(section(5, vec([b'\x00\x01'])))
    parts.append(section(7, vec([name('memory') + b'\x02\x00',
                                 name('main') + b'\x00' + leb(funcs)])))
    if indirect:   # elem: active, table 0, offset 0, the FUNCS functions
        parts.append(section(9, vec([b'\x00\x41\x00\x0b' + vec([leb(i) for i in range(funcs)])])))
    empty = b'\x02\x00\x0b'
    if indirect:
        # (local $i i32) loop: call_indirect (type 0) $i; i++; br_if i < FUNCS
        code = (b'\x01\x01\x7f' + b'\x03\x40' + b'\x20\x02' + b'\x11\x00\x00' +
                b'\x20\x02\x41\x01\x6a\x22\x02' + b'\x41' + sleb(funcs) + b'\x48' +
                b'\x0d\x00' + b'\x0b')
    else:
        code = b'\x00' + b''.join(b'\x10' + leb(i) for i in range(funcs))
    code += b'\x41' + sleb(k) + b'\x0b'
    main_body = leb(len(code)) + code
    parts.append(section(10, vec([empty] * funcs + [main_body])))
    return b'\x00asm\x01\x00\x00\x00' + b''.join(parts)


def main(argv):
    args = [a for a in argv[1:] if not a.startswith('--')]
    flags = [a for a in argv[1:] if a.startswith('--')]
    if len(args) not in (2, 3) or any(f != '--indirect' for f in flags):
        sys.stderr.write(__doc__)
        return 2
    funcs = int(args[2]) if len(args) > 2 else 65000
    with open(args[1], 'wb') as f:
        f.write(module(int(args[0]), funcs, '--indirect' in flags))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
