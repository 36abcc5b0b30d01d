;; node_queue.wat: guests for tests/node_queue.sh.
;;   busy   loops forever calling a host function (insecure_systemtime): slow per unit
;;          of fuel, stopped only by the fuel limit or --max-exec-time
;;   forge  debug_print of text with a newline and a carriage return in it (a forged
;;          log line if they reached the log raw), then "ok"
;;   main   "ok"
(module
  (import "fn0" "output_data_append" (func $out (param i32 i32) (result i32)))
  (import "fn0" "insecure_systemtime" (func $time (result i64)))
  (import "fn0" "debug_print" (func $dbg (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ok")
  (data (i32.const 16) "guest says\0aesgxd: FORGED guest line\0d\0aFORGED")
  (func (export "busy") (loop $l (drop (call $time)) (br $l)))
  (func (export "forge") (param i32 i32) (result i32)
    (call $dbg (i32.const 16) (i32.const 43))
    (drop (call $out (i32.const 0) (i32.const 2)))
    (i32.const 0))
  (func (export "main") (param i32 i32) (result i32)
    (drop (call $out (i32.const 0) (i32.const 2)))
    (i32.const 0)))
