;; run_ret.wat: main of type () -> i32.
(module
  (memory (export "memory") 1)
  (func (export "main") (result i32) (i32.const 5)))
