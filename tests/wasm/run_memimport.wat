;; run_memimport.wat: imports a memory, which `esgx run` does not provide.
(module
  (import "env" "memory" (memory 1))
  (func (export "main") (param i32 i32) (result i32) (i32.const 0)))
