# simd_edges_gen.py: writes simd_edges.wat, a module whose export "run" applies the SIMD
# ops of the compiler's multi-instruction templates (jit_vec.h: NaN/zero handling of min/max,
# saturating truncations, unsigned conversions, q15mulr, shuffles, swizzle, i8 shifts, ...) to
# every pair of 18 edge vectors, storing each result to memory. Its binary
# (wat2wasm --enable-all) is the seed fuzz/corpus/fuzz_wasm_tiers/simd_edges.wasm, so the
# ctest wasm_tiers_diff compares both tiers on it bit for bit.
#   python3 lib/wasm/simd_edges_gen.py OUT.wat
import struct, sys
def f32(x): return struct.pack('<f', x)
def u32(x): return struct.pack('<I', x)
def f64(x): return struct.pack('<d', x)
def u64(x): return struct.pack('<Q', x)
vecs = [
 bytes(16), b'\xff'*16,
 u32(0x7FC01234)+f32(-0.0)+f32(float('inf'))+f32(float('-inf')),
 u32(0x7F800001)+f32(1.5)+f32(-2.5)+u32(0x4F000000),
 u32(0x4F800000)+u32(0xCF000000)+u32(0x7F7FFFFF)+u32(0xFFC00000),
 f32(0.0)+f32(-1.5)+f32(2.5)+f32(0.5),
 u64(0x7FF8000000001234)+f64(-0.0),
 u64(0xFFF0000000000001)+f64(2147483647.5),
 f64(4294967296.0)+f64(-2147483649.0),
 f64(-0.5)+f64(4294967295.9),
 b'\x00\x80'*8, b'\x80'*16, b'\x7f'*16,
 bytes(range(16)), bytes([0x0f,0x10,0x1f,0x20,0x70,0x7f,0x80,0x8f,0xf0,0xff,3,5,17,31,2,1]),
 u32(0x80000000)+u32(0x7FFFFFFF)+u32(0xFFFFFFFF)+u32(1),
 u64(0x8000000000000000)+u64(0x7FFFFFFFFFFFFFFF),
 u64(0x123456789abcdef0)+u64(0xfedcba9876543210),
]
N=len(vecs)
un = """i8x16.abs i8x16.neg i8x16.popcnt i16x8.abs i16x8.neg i32x4.abs i32x4.neg i64x2.abs i64x2.neg
f32x4.abs f32x4.neg f32x4.sqrt f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest
f64x2.abs f64x2.neg f64x2.sqrt f64x2.ceil f64x2.floor f64x2.trunc f64x2.nearest
i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u f32x4.convert_i32x4_s f32x4.convert_i32x4_u
i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero f64x2.convert_low_i32x4_s f64x2.convert_low_i32x4_u
f32x4.demote_f64x2_zero f64x2.promote_low_f32x4 v128.not
i16x8.extadd_pairwise_i8x16_s i16x8.extadd_pairwise_i8x16_u i32x4.extadd_pairwise_i16x8_s i32x4.extadd_pairwise_i16x8_u
i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_u i64x2.extend_high_i32x4_s""".split()
bi = """i8x16.swizzle i8x16.ne i8x16.lt_u i8x16.gt_u i8x16.le_s i8x16.le_u i8x16.ge_s i8x16.ge_u
i16x8.ne i16x8.lt_u i16x8.gt_u i16x8.le_s i16x8.le_u i16x8.ge_s i16x8.ge_u
i32x4.ne i32x4.lt_u i32x4.gt_u i32x4.le_s i32x4.le_u i32x4.ge_s i32x4.ge_u
i64x2.ne i64x2.le_s i64x2.ge_s i64x2.lt_s i64x2.gt_s i64x2.eq i64x2.mul
f32x4.min f32x4.max f64x2.min f64x2.max f32x4.pmin f32x4.pmax f32x4.add f64x2.sub f32x4.eq f32x4.lt f64x2.ge
i16x8.q15mulr_sat_s i32x4.dot_i16x8_s
i16x8.extmul_low_i8x16_s i16x8.extmul_high_i8x16_s i16x8.extmul_low_i8x16_u i16x8.extmul_high_i8x16_u
i32x4.extmul_low_i16x8_s i32x4.extmul_high_i16x8_s i32x4.extmul_low_i16x8_u i32x4.extmul_high_i16x8_u
i64x2.extmul_low_i32x4_s i64x2.extmul_high_i32x4_s i64x2.extmul_low_i32x4_u i64x2.extmul_high_i32x4_u
i8x16.narrow_i16x8_s i16x8.narrow_i32x4_u i8x16.add_sat_s i16x8.sub_sat_u i8x16.avgr_u""".split()
sh = "i8x16.shl i8x16.shr_s i8x16.shr_u i16x8.shr_s i64x2.shr_s i64x2.shl i32x4.shr_u".split()
tests = "v128.any_true i8x16.all_true i16x8.all_true i32x4.all_true i64x2.all_true i8x16.bitmask i16x8.bitmask i32x4.bitmask i64x2.bitmask".split()
shuf = ["0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", "16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31",
        "4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11", "1 2 3 0 5 6 7 4 9 10 11 8 13 14 15 12",
        "0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23", "31 30 29 28 27 26 25 24 7 6 5 4 3 2 1 0",
        "20 21 22 23 16 17 18 19 28 29 30 31 24 25 26 27", "2 3 0 1 6 7 4 5 10 11 8 9 14 15 12 13"]
def data(s): return ''.join('\\%02x' % c for c in s)
out=[]
out.append('(module (memory (export "mem") 40)')
out.append('  (data (i32.const 0) "%s")' % data(b''.join(vecs)))
# out(k): offset 4096 + k*N*N*16
out.append('''  (func $st (param $k i32) (param $i i32) (param $j i32) (param $v v128)
    (v128.store (i32.add (i32.const 4096) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $k) (i32.const %d)) (local.get $i)) (i32.const %d)) (local.get $j)) (i32.const 4))) (local.get $v)))''' % (N, N))
body=[]
k=0
def ld(x): return '(v128.load (i32.shl (local.get $%s) (i32.const 4)))' % x
for o in un: body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (%s %s))' % (k, o, ld('i'))); k+=1
for o in bi: body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (%s %s %s))' % (k, o, ld('i'), ld('j'))); k+=1
for o in sh: body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (%s %s (i32.mul (local.get $j) (i32.const 7))))' % (k, o, ld('i'))); k+=1
for o in tests: body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (i32x4.splat (%s %s)))' % (k, o, ld('i'))); k+=1
for m in shuf: body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (i8x16.shuffle %s %s %s))' % (k, m, ld('i'), ld('j'))); k+=1
body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (i8x16.shuffle 3 2 1 0 7 6 5 4 19 18 17 16 31 30 29 28 %s %s))' % (k, ld('i'), ld('i'))); k+=1
body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (v128.bitselect %s %s %s))' % (k, ld('i'), ld('j'), '(v128.load (i32.shl (i32.rem_u (i32.add (local.get $i) (local.get $j)) (i32.const %d)) (i32.const 4)))' % N)); k+=1
body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (select (result v128) %s %s (i32.and (local.get $j) (i32.const 1))))' % (k, ld('i'), ld('j'))); k+=1
body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (v128.load32_zero offset=3 (i32.add (local.get $i) (local.get $j))))' % k); k+=1
body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (v128.load64_zero offset=1 (i32.add (local.get $i) (local.get $j))))' % k); k+=1
body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (v128.load8x8_s (i32.add (local.get $i) (local.get $j))))' % k); k+=1
body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (v128.load16x4_u (i32.add (local.get $i) (local.get $j))))' % k); k+=1
body.append('(call $st (i32.const %d) (local.get $i) (local.get $j) (v128.load32x2_s (i32.add (local.get $i) (local.get $j))))' % k); k+=1
body.append('(global.set $g (v128.xor (global.get $g) %s))' % ld('i'))
assert 4096 + k*N*N*16 < 40*65536
out.append('  (global $g (export "g") (mut v128) (v128.const i64x2 1 2))')
out.append('''  (func (export "run")
    (local $i i32) (local $j i32)
    (loop $li
      (local.set $j (i32.const 0))
      (loop $lj
        %s
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $lj (i32.lt_u (local.get $j) (i32.const %d))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $li (i32.lt_u (local.get $i) (i32.const %d)))))''' % ('\n        '.join(body), N, N))
out.append(')')
open(sys.argv[1],'w').write('\n'.join(out)+'\n')
print(k, "ops")
