;; run_nomem.wat: a module without memory; every pointer-taking import returns -2.
(module
  (import "fn0" "input_data_copy" (func $c (param i32 i32 i32) (result i32)))
  (import "fn0" "output_data_append" (func $o (param i32 i32) (result i32)))
  (func (export "copy") (result i32) (call $c (i32.const 0) (i32.const 0) (i32.const 1)))
  (func (export "append") (result i32) (call $o (i32.const 0) (i32.const 1))))
