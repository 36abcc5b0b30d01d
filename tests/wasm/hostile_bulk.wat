;; hostile_bulk.wat: bulk-memory and table storms. Each loop iteration is a few
;; instructions but moves 64 MiB or grows a table; fuel must still bound them.
(module
  (memory 1024)
  (table $t 0 funcref)
  (func (export "fill") (loop $l
    (memory.fill (i32.const 0) (i32.const 0xAB) (i32.const 0x4000000)) (br $l)))
  (func (export "copy") (loop $l
    (memory.copy (i32.const 1) (i32.const 0) (i32.const 0x3FFFFFF)) (br $l)))
  (func (export "grow_table") (result i32)
    (block $done (loop $l
      (br_if $done (i32.eq (table.grow $t (ref.null func) (i32.const 1000)) (i32.const -1)))
      (table.fill $t (i32.const 0) (ref.null func) (table.size $t))
      (br $l)))
    (table.size $t)))
