;; run_unit.wat: main of type () -> () that writes "unit" to the output.
(module
  (import "fn0" "output_data_append" (func $out (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "unit")
  (func (export "main") (drop (call $out (i32.const 8) (i32.const 4)))))
