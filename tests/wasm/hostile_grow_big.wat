;; hostile_grow_big.wat: asks for 4 GiB-1 page at once with a declared max of 65536.
(module
  (memory 1 65536)
  (func (export "grow") (result i32)
    (i32.add (memory.grow (i32.const 65535)) (i32.mul (memory.size) (i32.const 1000)))))
