;; hostile_recurse.wat: unbounded recursion with a few locals per frame.
(module
  (func $f (export "main") (param i64) (result i64)
    (local f64 f64 i64 i64)
    (i64.add (call $f (i64.add (local.get 0) (i64.const 1))) (i64.const 1))))
