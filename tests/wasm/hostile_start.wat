;; hostile_start.wat: the start function traps before main can run.
(module
  (func $s unreachable)
  (start $s)
  (func (export "main") (param i32 i32) (result i32) (i32.const 0)))
