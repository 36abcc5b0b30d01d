;; hostile_unreachable.wat: main traps at once.
(module (func (export "main") (param i32 i32) (result i32) unreachable))
