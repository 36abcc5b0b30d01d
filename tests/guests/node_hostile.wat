;; node_hostile.wat: hostile functions for tests/node_hostile.sh.
;;   spin   infinite loop (out of fuel)
;;   bomb   grows memory one page at a time until refused, then touches past the end
;;   deep   unbounded recursion (call stack exhausted)
;;   flood  appends output forever (output limit)
;;   main   "ok" (the request that must keep being served)
(module
  (import "fn0" "output_data_append" (func $out (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ok")
  (func (export "spin") (loop $l (br $l)))
  (func (export "bomb")
    (block $done (loop $l
      (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
      (br $l)))
    (i32.store (i32.mul (memory.size) (i32.const 65536)) (i32.const 1)))
  (func $deep (export "deep") (call $deep))
  (func (export "flood") (loop $l (drop (call $out (i32.const 0) (i32.const 65536))) (br $l)))
  (func (export "main") (param i32 i32) (result i32)
    (drop (call $out (i32.const 0) (i32.const 2)))
    (i32.const 0)))
