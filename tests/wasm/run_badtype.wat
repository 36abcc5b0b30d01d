;; run_badtype.wat: a supported import name with the wrong type.
(module
  (import "fn0" "output_data_append" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "main") (param i32 i32) (result i32) (i32.const 0)))
