;; run_unsupported.wat: imports a function neither the enclave nor `esgx run` provides.
(module
  (import "fn0" "input_data_size" (func (result i32)))
  (import "fn0" "nope" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "main") (param i32 i32) (result i32) (i32.const 0)))
