;; hostile_mem_oob.wat: loads at the very end of the 32-bit address space.
(module (memory 1)
  (func (export "main") (result i32) (i32.load offset=0xFFFFFFFF (i32.const 0xFFFFFFFF))))
