;; fuel_fusions.wat: the shapes the compiler fuses (tests/wasm_fuel.sh). Each export
;; takes a size n and returns a checksum; fuel_used and the result must not change when
;; the compiler's fusions do (docs/wasm.md: fuel depends only on the module bytes).
(module
  (memory 1)
  ;; i32 loop: mul feeding an add (MULADD), load/store, counter step + compare-branch
  (func (export "muladd") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (i32.store (i32.and (i32.shl (local.get $i) (i32.const 2)) (i32.const 1020))
        (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $s)))
      (local.set $s (i32.add (local.get $s)
        (i32.mul (i32.load (i32.and (i32.shl (local.get $i) (i32.const 2)) (i32.const 1020)))
                 (i32.const 7))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $s))
  ;; i64 and f64 multiply-add, and the loop's counter compared with a constant
  (func (export "muladd64") (param $n i32) (result i64)
    (local $i i32) (local $a i64) (local $x f64) (local $y f64)
    (local.set $x (f64.const 0.5))
    (loop $l
      (local.set $a (i64.add (i64.mul (local.get $a) (i64.extend_i32_u (local.get $i)))
                             (i64.const 12345)))
      (local.set $y (f64.add (f64.mul (local.get $x) (local.get $x)) (local.get $y)))
      (local.set $y (f64.add (local.get $y) (f64.mul (local.get $x) (f64.const 1.5))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 3))) (i32.const 300))))
    (i64.add (local.get $a) (i64.reinterpret_f64 (local.get $y))))
  ;; f64 compare-and-branch: constant and slot operands, through eqz, in if and br_if,
  ;; with a NaN in the mix
  (func (export "fcmp") (param $n i32) (result i32) (local $i i32) (local $c i32) (local $x f64)
    (loop $l
      (local.set $x (f64.sub (f64.convert_i32_s (local.get $i)) (f64.const 10)))
      (if (i32.eq (local.get $i) (i32.const 7)) (then (local.set $x (f64.const nan))))
      (if (f64.gt (local.get $x) (f64.const 4)) (then (local.set $c (i32.add (local.get $c) (i32.const 1)))))
      (if (i32.eqz (f64.le (local.get $x) (f64.const 2)))
        (then (local.set $c (i32.add (local.get $c) (i32.const 100)))))
      (block $b
        (br_if $b (i32.eqz (f64.lt (local.get $x) (f64.convert_i32_s (local.get $n)))))
        (local.set $c (i32.add (local.get $c) (i32.const 10000))))
      (local.set $c (i32.add (local.get $c) (f64.ne (local.get $x) (local.get $x))))
      (local.set $c (i32.add (local.get $c) (i32.eqz (i32.lt_s (local.get $i) (i32.const 5)))))
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $c))
  ;; copy chains (variables rotated every iteration) and a br_table whose arms move values
  (func (export "rotate") (param $n i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $t i32)
    (local.set $a (i32.const 1)) (local.set $b (i32.const 2)) (local.set $c (i32.const 3))
    (loop $l
      (local.set $t (i32.add (i32.rotl (local.get $a) (i32.const 5)) (local.get $d)))
      (local.set $d (local.get $c))
      (local.set $c (local.get $b))
      (local.set $b (local.get $a))
      (local.set $a (local.get $t))
      (local.set $t
        (block $x (result i32)
          (block $y (result i32)
            (br_table $x $y $x (local.get $b) (i32.and (local.get $a) (i32.const 3))))
          (i32.xor (i32.const 99))))
      (local.set $d (i32.add (local.get $d) (local.get $t)))
      (br_if $l (i32.gt_s (local.tee $n (i32.sub (local.get $n) (i32.const 1))) (i32.const 0))))
    (i32.xor (i32.xor (local.get $a) (local.get $b)) (i32.xor (local.get $c) (local.get $d))))
  ;; rotl / shr_u by a constant feeding an xor (the sigma functions of SHA-2)
  (func (export "sigma") (param $n i32) (result i32) (local $x i32)
    (local.set $x (i32.const 0x6a09e667))
    (loop $l
      (local.set $x (i32.add (local.get $n)
        (i32.xor (i32.xor (i32.rotl (local.get $x) (i32.const 25)) (i32.rotl (local.get $x) (i32.const 14)))
                 (i32.shr_u (local.get $x) (i32.const 3)))))
      (local.set $x (i32.xor (i32.shr_u (local.get $x) (i32.const 10)) (local.get $x)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $x))
  ;; f64 products feeding a sub (c - a*b) or another mul (a*b*c), from memory
  (func (export "fmul3") (param $n i32) (result i64) (local $v f64) (local $d f64)
    (f64.store (i32.const 8) (f64.const 1.25))
    (local.set $d (f64.const 0.001))
    (loop $l
      (f64.store (i32.const 8) (f64.sub (f64.load (i32.const 8))
        (f64.mul (f64.mul (local.get $d) (f64.load (i32.const 8))) (local.get $d))))
      (local.set $v (f64.sub (f64.mul (local.get $v) (local.get $d)) (f64.load (i32.const 8))))
      (local.set $v (f64.sub (f64.load (i32.const 8)) (f64.mul (local.get $v) (local.get $d))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i64.xor (i64.reinterpret_f64 (local.get $v)) (i64.load (i32.const 8))))
  ;; induction variables stepped by constants in a row, the last one the loop counter
  (func (export "steps") (param $n i32) (result i32)
    (local $p i32) (local $q i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (i32.add (local.get $s) (local.get $i))
        (i32.load (i32.and (local.get $p) (i32.const 4092)))))
      (i32.store (i32.and (local.get $q) (i32.const 4092)) (local.get $s))
      (local.set $p (i32.add (local.get $p) (i32.const 12)))
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i32.add (local.get $s) (local.get $p)))
  ;; explicit zeroing of locals at entry (nothing to do unless already set)
  (func (export "zinit") (param $n i32) (result i32)
    (local $a i32) (local $b i64) (local $c i32)
    (local.set $a (i32.add (local.get $n) (i32.const 7)))
    (local.set $a (i32.const 0))
    (local.set $b (i64.const 0))
    (local.set $c (i32.add (i32.wrap_i64 (local.tee $b (i64.const 0))) (local.get $n)))
    (local.set $c (i32.add (local.get $c) (local.tee $a (i32.const 0))))
    (i32.add (i32.add (local.get $a) (local.get $c)) (i32.wrap_i64 (local.get $b))))
)
