;; node_hello.wat: host-level test guest for esgxd (tests/node_*.sh).
;;   main  (i32, i32) -> i32   output = "Hello, " + input
;;   spin  () -> ()            loops forever (runs out of fuel)
;;   boom  () -> ()            traps with unreachable
;;   big   () -> i32           outputs 300000 bytes of 'x' (two output-tree blocks)
(module
  (import "fn0" "input_data_size" (func $isz (result i32)))
  (import "fn0" "input_data_copy" (func $icopy (param i32 i32 i32) (result i32)))
  (import "fn0" "output_data_append" (func $out (param i32 i32) (result i32)))
  (memory (export "memory") 8)
  (data (i32.const 0) "Hello, ")
  (func (export "main") (param i32 i32) (result i32)
    (local $n i32)
    (local.set $n (call $isz))
    (drop (call $out (i32.const 0) (i32.const 7)))
    (drop (call $icopy (i32.const 1024) (i32.const 0) (local.get $n)))
    (drop (call $out (i32.const 1024) (local.get $n)))
    (i32.const 0))
  (func (export "spin") (loop $l (br $l)))
  (func (export "boom") (unreachable))
  (func (export "big") (result i32)
    (local $i i32)
    (loop $l
      (i32.store8 (i32.add (i32.const 1024) (local.get $i)) (i32.const 120))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 300000))))
    (drop (call $out (i32.const 1024) (i32.const 300000)))
    (i32.const 0)))
