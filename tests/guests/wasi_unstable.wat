;; wasi_unstable.wat: the layouts in which WASI's older module name, wasi_unstable
;; (preview 0), differs from preview 1 (tests/wasi_programs.sh, run with --input hello):
;; fd_seek's whence (cur 0, end 1, set 2), fd_filestat_get's nlink (u32 at 20, size at
;; 24, 56 bytes) and poll_oneoff's clock subscription (a u64 identifier before the
;; clock id: 56 bytes). Each check writes "NAME ok" or "NAME bad" on a line of stdout.
(module
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "seek ok\n")
  (data (i32.const 32) "seek bad\n")
  (data (i32.const 48) "filestat ok\n")
  (data (i32.const 64) "filestat bad\n")
  (data (i32.const 80) "poll ok\n")
  (data (i32.const 96) "poll bad\n")
  ;; $say: writes len bytes at ptr to stdout (iovec at 256, nwritten at 264)
  (func $say (param $ptr i32) (param $len i32)
    (i32.store (i32.const 256) (local.get $ptr))
    (i32.store (i32.const 260) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 264))))
  (func $check (param $good i32) (param $ok i32) (param $ok_len i32) (param $bad i32) (param $bad_len i32)
    (if (local.get $good)
      (then (call $say (local.get $ok) (local.get $ok_len)))
      (else (call $say (local.get $bad) (local.get $bad_len)))))
  (func (export "_start")
    (local $t0 i64)
    ;; whence 1 is END in wasi_unstable: the new offset is the input's length (5);
    ;; then whence 2 (SET) to 1
    (call $check
      (i32.and
        (i32.and (i32.eqz (call $fd_seek (i32.const 0) (i64.const 0) (i32.const 1) (i32.const 512)))
                 (i64.eq (i64.load (i32.const 512)) (i64.const 5)))
        (i32.and (i32.eqz (call $fd_seek (i32.const 0) (i64.const 1) (i32.const 2) (i32.const 512)))
                 (i64.eq (i64.load (i32.const 512)) (i64.const 1))))
      (i32.const 16) (i32.const 8) (i32.const 32) (i32.const 9))
    ;; filestat of stdin: filetype 4 (regular file) at 16, nlink u32 1 at 20, size 5 at 24;
    ;; the byte after the 56 bytes (at 1024 + 56) is left alone
    (i32.store8 (i32.const 1080) (i32.const 0xAA))
    (call $check
      (i32.and
        (i32.and (i32.eqz (call $fd_filestat_get (i32.const 0) (i32.const 1024)))
                 (i32.eq (i32.load8_u (i32.const 1040)) (i32.const 4)))
        (i32.and
          (i32.and (i32.eq (i32.load (i32.const 1044)) (i32.const 1))
                   (i64.eq (i64.load (i32.const 1048)) (i64.const 5)))
          (i32.eq (i32.load8_u (i32.const 1080)) (i32.const 0xAA))))
      (i32.const 48) (i32.const 12) (i32.const 64) (i32.const 13))
    ;; poll_oneoff: one relative 1 ms monotonic subscription (userdata 7, identifier at
    ;; 16, clock id 1 at 24, timeout at 32, precision at 40, flags at 48): one clock
    ;; event for userdata 7, and the monotonic clock advanced by at least 1 ms
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 2048)))
    (local.set $t0 (i64.load (i32.const 2048)))
    (i64.store (i32.const 3072) (i64.const 7))
    (i32.store8 (i32.const 3080) (i32.const 0))
    (i64.store (i32.const 3088) (i64.const 99))
    (i32.store (i32.const 3096) (i32.const 1))
    (i64.store (i32.const 3104) (i64.const 1000000))
    (i64.store (i32.const 3112) (i64.const 0))
    (i32.store16 (i32.const 3120) (i32.const 0))
    (call $check
      (i32.and
        (i32.and (i32.eqz (call $poll_oneoff (i32.const 3072) (i32.const 3200) (i32.const 1) (i32.const 3300)))
                 (i32.eq (i32.load (i32.const 3300)) (i32.const 1)))
        (i32.and
          (i32.and (i64.eq (i64.load (i32.const 3200)) (i64.const 7))
                   (i32.eqz (i32.load16_u (i32.const 3208))))
          (i32.and
            (i32.eqz (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 2048)))
            (i64.ge_u (i64.sub (i64.load (i32.const 2048)) (local.get $t0)) (i64.const 1000000)))))
      (i32.const 80) (i32.const 8) (i32.const 96) (i32.const 9))))
