#!/usr/bin/env bash
# wasm_fuel_oracle.sh (ctest: wasm_fuel_oracle): fuel_used checked against an
# independent count. tests/fuel_oracle.py rewrites a module so that it counts the
# static cost of each instruction it executes (docs/wasm.md's table, no metering
# blocks); the uninstrumented module run metered by `esgx run` must report exactly that
# count. Covers every export of tests/wasm/fuel_blocks.wat, fuel_fusions.wat and
# fuel_simd.wat at several arguments, and the benchmark kernels (clang-19; skipped
# without it).
set -uo pipefail
src=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${ESGX_BUILD_DIR:-$src/build}
esgx=$bld/esgx
for t in wat2wasm wasm2wat python3; do
  command -v $t >/dev/null || { echo "wasm_fuel_oracle: $t not installed; skipping" >&2; exit 77; }
done
[ -x "$esgx" ] || { echo "wasm_fuel_oracle: $esgx not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/cfg
fails=0 n=0

# check MODULE.wasm EXPORT ARG: metered fuel_used of EXPORT(ARG) = the oracle's count.
check() {
  local w=$1 fn=$2 arg=$3 base=${1%.wasm} entry got want
  [ -f "$base.flat.wat" ] || wasm2wat "$w" -o "$base.flat.wat" || return 1
  entry=$(grep -o "(export \"$fn\" (func [^) ]*" "$base.flat.wat" | sed 's/.*(func //')
  python3 "$src/tests/fuel_oracle.py" "$base.flat.wat" "$base.$fn.wat" "$entry" &&
    wat2wasm "$base.$fn.wat" -o "$base.$fn.wasm" || { echo "FAIL: instrumenting $w $fn"; fails=$((fails + 1)); return; }
  got=$("$esgx" run "$w" --function "$fn" --arg "$arg" --fuel 100000000000 --json 2>/dev/null |
        sed -n 's/.*"fuel_used": \([0-9]*\).*/\1/p')
  want=$("$esgx" run "$base.$fn.wasm" --function __fuel_run --arg "$arg" --fuel 0 --json 2>/dev/null |
         sed -n 's/.*"result": \[\([0-9]*\)\].*/\1/p')
  n=$((n + 1))
  if [ -z "$got" ] || [ "$got" != "$want" ]; then
    echo "FAIL: $(basename "$w") $fn($arg): fuel_used '$got', counted '$want'"
    fails=$((fails + 1))
  fi
}

for f in fuel_blocks fuel_fusions fuel_simd; do
  wat2wasm "$src/tests/wasm/$f.wat" -o "$tmp/$f.wasm" || { echo "wat2wasm $f failed" >&2; exit 1; }
done
for a in 0 1; do
  for fn in br_end if_empty nested; do check "$tmp/fuel_blocks.wasm" $fn $a; done
done
check "$tmp/fuel_blocks.wasm" loop 800
for fn in muladd muladd64 fcmp rotate sigma fmul3 steps zinit muli; do
  for a in 1 5 100; do check "$tmp/fuel_fusions.wasm" $fn $a; done
done
for fn in lanes branches; do
  for a in 1 2 50; do check "$tmp/fuel_simd.wasm" $fn $a; done
done

CC=${CC:-clang-19}
if command -v "$CC" >/dev/null && { command -v wasm-ld >/dev/null || command -v wasm-ld-19 >/dev/null; }; then
  for kv in fib:20 collatz:20000 matmul:40 nbody:2000 mandel:60 qsort:20000 sha256:4; do
    k=${kv%%:*} size=${kv#*:}
    CC=$CC "$src/bench/kernels/build_wasm.sh" "$src/bench/kernels/$k.c" "$tmp/$k.wasm" || { echo "FAIL: $k: build failed"; fails=$((fails + 1)); continue; }
    check "$tmp/$k.wasm" run "$size"
  done
else
  echo "wasm_fuel_oracle: $CC or wasm-ld missing; kernels skipped" >&2
fi
echo "wasm_fuel_oracle: $((n - fails))/$n agree"
[ $n -gt 0 ] && [ $fails -eq 0 ]
