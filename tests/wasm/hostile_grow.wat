;; hostile_grow.wat: grows memory one page at a time until memory.grow fails, then
;; tries one 4 GiB grow; returns the final size in pages (bounded by the page limit).
(module
  (memory 1)
  (func (export "grow") (result i32)
    (block $done
      (loop $l
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $l)))
    (if (i32.ne (memory.grow (i32.const 65536)) (i32.const -1)) (then (unreachable)))
    (memory.size)))
