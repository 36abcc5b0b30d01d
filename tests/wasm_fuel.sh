#!/usr/bin/env bash
# wasm_fuel.sh (ctest: wasm_fuel): fuel is a contract (docs/wasm.md): fuel_used depends
# only on the module bytes and the executed path, never on how the compiler fuses
# instructions. Pins fuel_used (and the result) of fixed runs: the shapes the compiler
# fuses (tests/wasm/fuel_fusions.wat), functions of the run/hostile test modules, and
# the benchmark kernels at small sizes (compiled by clang-19; skipped without it), and
# the block shapes of tests/wasm/fuel_blocks.wat, whose costs are counted by hand. The
# values were recorded before the fusions existed, then once more after the fix of
# branches to an `end` that skipped the next block's charge (fuel_blocks.wat; it made
# fib, qsort, nbody... pay for code they ran free before); a change here is a contract
# break.
TEST=wasm_fuel
. "$(dirname "$0")/wasm_lib.sh"
fails=0 n=0

# pin NAME WANT_RESULT WANT_FUEL ESGX-RUN-ARGS...: runs `esgx run ARGS --json` and
# compares the result ('-' when the run traps) and fuel_used.
pin() {
  local name=$1 want_r=$2 want_f=$3; shift 3
  local out r f
  out=$(timeout 300 "$esgx" run "$@" --json 2>/dev/null | head -c 4096)
  r=$(sed -n 's/.*"result": \[\([^]]*\)\].*/\1/p' <<<"$out")
  f=$(sed -n 's/.*"fuel_used": \([0-9]*\).*/\1/p' <<<"$out")
  n=$((n + 1))
  if [ "${r:--}" != "$want_r" ] || [ "$f" != "$want_f" ]; then
    echo "FAIL: $name: result '${r:--}' fuel_used '$f', want '$want_r' and $want_f"
    fails=$((fails + 1))
  fi
}

for f in fuel_fusions fuel_blocks run_abi hostile_loop hostile_mutual hostile_unreachable \
         hostile_mem_oob hostile_grow; do
  wat2wasm "$src/tests/wasm/$f.wat" -o "$tmp/$f.wasm" || { echo "wat2wasm $f failed" >&2; exit 1; }
done
ff=$tmp/fuel_fusions.wasm
pin "muladd 1" 0 30 "$ff" --function muladd --arg 1
pin "muladd 5" 23380 146 "$ff" --function muladd --arg 5
pin "muladd 1000" -1228133656 29001 "$ff" --function muladd --arg 1000
pin "muladd64" 4610447503711632434 2606 "$ff" --function muladd64 --arg 0
pin "fcmp 1" 10000 49 "$ff" --function fcmp --arg 1
pin "fcmp 100" 998981 5491 "$ff" --function fcmp --arg 100
pin "fcmp 1000" 10090781 55891 "$ff" --function fcmp --arg 1000
pin "rotate 1" 39 44 "$ff" --function rotate --arg 1
pin "rotate 5" 33754444 172 "$ff" --function rotate --arg 5
pin "rotate 1000" 55414437 31535 "$ff" --function rotate --arg 1000
pin "sigma 1" -1172146498 28 "$ff" --function sigma --arg 1
pin "sigma 1000" -1760396314 25003 "$ff" --function sigma --arg 1000
pin "fmul3 1" 2246181325638606 40 "$ff" --function fmul3 --arg 1
pin "fmul3 1000" 5634587769376 30010 "$ff" --function fmul3 --arg 1000
pin "steps 1" 12 32 "$ff" --function steps --arg 1
pin "steps 1000" -147523276 29003 "$ff" --function steps --arg 1000
pin "zinit 5" 5 25 "$ff" --function zinit --arg 5
pin "muli 1" -4294967118 30 "$ff" --function muli --arg 1
pin "muli 1000" -7422381907373663505 24006 "$ff" --function muli --arg 1000
fb=$tmp/fuel_blocks.wasm
for a in 0 1; do
  pin "br_end $a" 3 5 "$fb" --function br_end --arg $a
  pin "if_empty $a" 3 5 "$fb" --function if_empty --arg $a
  pin "nested $a" 3 5 "$fb" --function nested --arg $a
done
pin "loop 800" 800 3801 "$fb" --function loop --arg 800
pin "loop 8000" 8000 38001 "$fb" --function loop --arg 8000
abi=$tmp/run_abi.wasm
# run_abi's host calls cost 300, plus 16 per started 64 bytes copied
# (docs/guest-abi.md#fuel): main makes 4 copies of one block each and 2 other calls,
# copy_all 1 copy and 1 other call, flood 257 copies of 1024 blocks (the last traps)
pin "abi main" 7 1904 "$abi" --input hello
pin "abi add" 7 3 "$abi" --function add --arg 3 --arg 4
pin "abi floats" '1.5, 2.5, "inf", "-inf", "nan:0x200000"' 9 "$abi" --function floats --arg 1.5 --arg 2.5
pin "abi copy_all" 0 626 "$abi" --function copy_all --input abcdefgh
pin "abi flood" - 4291643 "$abi" --function flood
pin "abi div0" - 3 "$abi" --function div0
pin "abi spin" - 100000 "$abi" --function spin --fuel 100000
pin "hostile loop" - 1000000 "$tmp/hostile_loop.wasm" --fuel 1000000
pin "hostile mutual" - 50000 "$tmp/hostile_mutual.wasm" --fuel 1000000
pin "hostile unreachable" - 1 "$tmp/hostile_unreachable.wasm"
pin "hostile mem_oob" - 2 "$tmp/hostile_mem_oob.wasm"
pin "hostile grow" 1024 71621 "$tmp/hostile_grow.wasm" --function grow --fuel 100000000

CC=${CC:-clang-19}
if command -v "$CC" >/dev/null && { command -v wasm-ld >/dev/null || command -v wasm-ld-19 >/dev/null; }; then
  for kv in fib:20:9349:520077 collatz:20000:1834639530167:39207336 \
            matmul:40:6250991383657131653:1419405 nbody:2000:-1702353344022490745:3031837 \
            mandel:60:-354370751614911441:5368470 qsort:20000:-1577863826660003384:9215144 \
            sha256:4:-3821621776856596396:37636846; do
    IFS=: read -r k size want_r want_f <<<"$kv"
    if ! CC=$CC "$src/bench/kernels/build_wasm.sh" "$src/bench/kernels/$k.c" "$tmp/$k.wasm"; then
      echo "FAIL: $k: build failed"; fails=$((fails + 1)); continue
    fi
    pin "kernel $k($size)" "$want_r" "$want_f" "$tmp/$k.wasm" --function run --arg "$size" \
      --fuel 100000000000
  done
else
  echo "wasm_fuel: $CC or wasm-ld missing; kernels skipped" >&2
fi
echo "wasm_fuel: $((n - fails))/$n ok"
[ $fails -eq 0 ]
