;; simd_shuffle.wat (bench/simd_shuffle_bench.sh): a BLAKE3-like mixing loop whose
;; rotations are i8x16.shuffle (by 8 and 16 bits) and i8x16.swizzle, N rounds on four
;; v128 rows; returns a checksum of the rows.
(module
  (func (export "run") (param $n i32) (result i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $a (v128.const i32x4 0x6a09e667 0xbb67ae85 0x3c6ef372 0xa54ff53a))
    (local.set $b (v128.const i32x4 0x510e527f 0x9b05688c 0x1f83d9ab 0x5be0cd19))
    (local.set $c (v128.const i32x4 1 2 3 4))
    (local.set $d (v128.const i32x4 5 6 7 8))
    (loop $l
      (local.set $a (i32x4.add (i32x4.add (local.get $a) (local.get $b)) (local.get $c)))
      (local.set $d (i8x16.shuffle 2 3 0 1 6 7 4 5 10 11 8 9 14 15 12 13
                      (v128.xor (local.get $d) (local.get $a)) (local.get $d)))
      (local.set $c (i32x4.add (local.get $c) (local.get $d)))
      (local.set $b (v128.xor (local.get $b) (local.get $c)))
      (local.set $b (v128.or (i32x4.shr_u (local.get $b) (i32.const 12))
                             (i32x4.shl (local.get $b) (i32.const 20))))
      (local.set $a (i32x4.add (local.get $a) (local.get $b)))
      (local.set $d (i8x16.swizzle (v128.xor (local.get $d) (local.get $a))
                      (v128.const i8x16 1 2 3 0 5 6 7 4 9 10 11 8 13 14 15 12)))
      (local.set $c (i32x4.add (local.get $c) (local.get $d)))
      (local.set $b (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 0 1 2 3
                      (local.get $b) (local.get $b)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (i32x4.extract_lane 0 (v128.xor (v128.xor (local.get $a) (local.get $b))
                                    (v128.xor (local.get $c) (local.get $d))))))
