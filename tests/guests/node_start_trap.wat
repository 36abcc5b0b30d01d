;; node_start_trap.wat: a module whose start function traps (tests/node_hostile.sh).
(module
  (memory (export "memory") 1)
  (func $s unreachable)
  (start $s)
  (func (export "main") (param i32 i32) (result i32) (i32.const 0)))
