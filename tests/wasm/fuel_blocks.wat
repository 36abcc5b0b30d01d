;; fuel_blocks.wat: metering blocks around `end` (tests/wasm_fuel.sh). Each function
;; costs the same whichever way its branch goes (docs/wasm.md: a completed run pays the
;; sum of the static costs of the instructions it executed). These shapes once let a
;; branch to an `end` land past the FUEL of the block after it, so that block ran free.
(module
  ;; br_if to a block's end, then a block after it: 5 either way
  (func (export "br_end") (param i32) (result i32)
    (block (br_if 0 (local.get 0)))
    (i32.add (i32.const 1) (i32.const 2)))
  ;; an if with an empty then arm: 5 either way
  (func (export "if_empty") (param i32) (result i32)
    (if (local.get 0) (then))
    (i32.add (i32.const 1) (i32.const 2)))
  ;; a branch out of two nested blocks: 5 either way
  (func (export "nested") (param i32) (result i32)
    (block (block (br_if 1 (local.get 0))))
    (i32.add (i32.const 1) (i32.const 2)))
  ;; a loop whose every iteration takes such a branch and then does 36 more
  ;; instructions: 38 per iteration (8 increments each) + 1, so n = 800 costs 3801
  (func (export "loop") (param i32) (result i32)
    (local i32)
    (loop $l
      (block (br_if 0 (i32.const 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1)))
