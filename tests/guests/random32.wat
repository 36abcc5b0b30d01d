;; random32.wat: test guest for deterministic guest randomness (tests/seal_*.sh).
;;   main  (i32, i32) -> i32   output = 32 bytes of random_get, taken as two calls of 16
;;                             bytes (the stream goes on across calls), followed by the
;;                             input (so a sealed call shows its plaintext came through)
(module
  (import "wasi_snapshot_preview1" "random_get" (func $rand (param i32 i32) (result i32)))
  (import "fn0" "input_data_size" (func $isz (result i32)))
  (import "fn0" "input_data_copy" (func $icopy (param i32 i32 i32) (result i32)))
  (import "fn0" "output_data_append" (func $out (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "main") (param i32 i32) (result i32)
    (local $n i32)
    (drop (call $rand (i32.const 0) (i32.const 16)))
    (drop (call $rand (i32.const 16) (i32.const 16)))
    (drop (call $out (i32.const 0) (i32.const 32)))
    (local.set $n (call $isz))
    (drop (call $icopy (i32.const 1024) (i32.const 0) (local.get $n)))
    (drop (call $out (i32.const 1024) (local.get $n)))
    (i32.const 0)))
