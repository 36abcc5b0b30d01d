;; node_logs.wat: guest for tests/node_logs.sh.
;;   main  (i32, i32) -> i32   debug_print "hello from the guest", then a line with a TAB
;;                             and ESC (escaped in the logs), writes "err line\n" to WASI
;;                             fd 2, and outputs the input unchanged (echo)
;;   boom  () -> ()            debug_print "about to trap", then unreachable
(module
  (import "fn0" "input_data_size" (func $isz (result i32)))
  (import "fn0" "input_data_copy" (func $icopy (param i32 i32 i32) (result i32)))
  (import "fn0" "output_data_append" (func $out (param i32 i32) (result i32)))
  (import "fn0" "debug_print" (func $dbg (param i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fdw (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 40)
  (data (i32.const 0) "hello from the guest\n")
  (data (i32.const 32) "tab\there esc\1b[31m")
  (data (i32.const 64) "about to trap")
  (data (i32.const 96) "err line\n")
  (func (export "main") (param i32 i32) (result i32)
    (local $n i32)
    (call $dbg (i32.const 0) (i32.const 21))
    (call $dbg (i32.const 32) (i32.const 17))
    ;; iovec at 128: {ptr 96, len 9}
    (i32.store (i32.const 128) (i32.const 96))
    (i32.store (i32.const 132) (i32.const 9))
    (drop (call $fdw (i32.const 2) (i32.const 128) (i32.const 1) (i32.const 136)))
    (local.set $n (call $isz))
    (drop (call $icopy (i32.const 4096) (i32.const 0) (local.get $n)))
    (drop (call $out (i32.const 4096) (local.get $n)))
    (i32.const 0))
  (func (export "boom")
    (call $dbg (i32.const 64) (i32.const 13))
    (unreachable)))
