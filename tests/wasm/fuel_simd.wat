;; fuel_simd.wat: SIMD code for the fuel oracle (tests/wasm_fuel_oracle.sh): v128 locals,
;; blocks and branches carrying v128, select, loads and stores, and the ops that cost 2
;; (docs/wasm.md). Each export takes a size n and returns a checksum.
(module
  (memory 1)
  (func (export "lanes") (param $n i32) (result i32)
    (local $i i32) (local $v v128) (local $f v128)
    (local.set $f (f32x4.splat (f32.const 1.5)))
    (loop $l
      (v128.store (i32.and (i32.shl (local.get $i) (i32.const 4)) (i32.const 1008))
        (i32x4.add (local.get $v) (i32x4.splat (local.get $i))))
      (local.set $v (i32x4.mul (v128.load (i32.and (i32.shl (local.get $i) (i32.const 4))
                                                   (i32.const 1008)))
                               (v128.const i32x4 3 5 7 9)))
      (local.set $f (f32x4.sqrt (f32x4.div (f32x4.add (local.get $f) (local.get $f))
                                           (f32x4.splat (f32.const 1.25)))))
      (local.set $v (i32x4.add (local.get $v) (i32x4.trunc_sat_f32x4_s (f32x4.nearest (local.get $f)))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 3 (local.get $v))))
  (func (export "branches") (param $n i32) (result i32)
    (local $v v128)
    (local.set $v
      (block (result v128)
        (drop (br_if 0 (v128.const i64x2 7 8) (i32.and (local.get $n) (i32.const 1))))
        (select (v128.const i32x4 1 2 3 4) (i8x16.splat (local.get $n)) (local.get $n))))
    (i32.add (i8x16.bitmask (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))))
