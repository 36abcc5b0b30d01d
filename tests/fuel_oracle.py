#!/usr/bin/env python3
"""fuel_oracle.py IN.wat OUT.wat ENTRY: an independent count of fuel, for
tests/wasm_fuel_oracle.sh.

Instruments a flat module as wasm2wat prints it (one instruction per line) so that a
global adds up the static cost of every instruction as it executes, by the table of
docs/wasm.md: block, loop, else, end, nop 0; call, call_indirect 4; the SIMD float
div, sqrt, rounding and trunc_sat ops 2 (TWO below); anything else 1;
floor(declared locals / 64) on function entry. Adds an export __fuel_run(i32) -> i64
that calls ENTRY (one i32 parameter, one result) and returns the count. Dynamic costs
(memory.grow, bulk memory, tables, host calls) are not counted: use it on code
without them. Knows nothing of metering blocks, so it checks that cutting the code
into blocks charges exactly what runs."""
import re, sys

src, dst, entry = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(src).read().split('\n')
out = []
in_func = False
ZERO = {'block', 'loop', 'end', 'else', 'nop'}
INC = 'global.get $__f i64.const %d i64.add global.set $__f'
TWO = {s + '.' + o for s in ('f32x4', 'f64x2')
       for o in ('div', 'sqrt', 'ceil', 'floor', 'trunc', 'nearest')} | {
    'i32x4.trunc_sat_f32x4_s', 'i32x4.trunc_sat_f32x4_u', 'i32x4.trunc_sat_f64x2_s_zero',
    'i32x4.trunc_sat_f64x2_u_zero'}

def parens(s):
    s = re.sub(r'\(;.*?;\)', '', s)       # comments
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '', s) # strings
    return s.count('(') - s.count(')')

pending_locals = 0
for ln in lines:
    st = ln.strip()
    if ln.startswith('  (func'):
        in_func = True
        pending_locals = 0
        body_started = False
        out.append(ln)
        if parens(ln) <= 0:          # one-line func (empty body)
            in_func = False
        continue
    if in_func and st.startswith('(local'):
        pending_locals += len(re.findall(r'\b(i32|i64|f32|f64|v128|funcref|externref)\b', st))
        out.append(ln)
        continue
    if in_func and ln.startswith('    ') and not st.startswith('('):
        close = parens(ln) < 0
        body = ln.rstrip()
        if close:
            body = body[:-1]
        if not body_started:
            body_started = True
            if pending_locals // 64:
                out.append('    ' + INC % (pending_locals // 64))
        op = body.strip().split()[0]
        cost = 0 if op in ZERO else 4 if op in ('call', 'call_indirect') else 2 if op in TWO else 1
        if cost:
            out.append('    ' + INC % cost)
        out.append(body)
        if close:
            out.append('  )')
            in_func = False
        continue
    out.append(ln)
text = '\n'.join(out).rstrip()
assert text.endswith(')')
text = text[:-1] + '''
  (global $__f (mut i64) (i64.const 0))
  (func $__fuel_run (param i32) (result i64)
    local.get 0 call %s drop global.get $__f)
  (export "__fuel_run" (func $__fuel_run)))
''' % entry
open(dst, 'w').write(text)
