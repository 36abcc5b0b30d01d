;; run_start_only.wat: exports _start but no main (the shape of a WASI command).
(module
  (import "fn0" "output_data_append" (func $out (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "from _start")
  (func (export "_start") (drop (call $out (i32.const 0) (i32.const 11)))))
