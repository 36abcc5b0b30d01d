#!/usr/bin/env bash
# wasm_run_kernels.sh (ctest: wasm_kernels): the benchmark kernels of bench/kernels/,
# at small sizes, must give the same checksum natively (clang-19 -O2), under
# `esgx run` (metered) and under Node's V8. Also checks that fuel_used is the same on
# two runs. Skips (77) when clang-19 or wasm-ld is missing.
set -uo pipefail
src=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${ESGX_BUILD_DIR:-$src/build}
esgx=$bld/esgx
CC=${CC:-clang-19}
command -v "$CC" >/dev/null || { echo "wasm_kernels: $CC not installed; skipping" >&2; exit 77; }
command -v wasm-ld >/dev/null || command -v wasm-ld-19 >/dev/null ||
  { echo "wasm_kernels: wasm-ld not installed; skipping" >&2; exit 77; }
[ -x "$esgx" ] || { echo "wasm_kernels: $esgx not built" >&2; exit 1; }
have_node=1
command -v node >/dev/null || { have_node=0; echo "wasm_kernels: node missing; V8 comparison skipped" >&2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
for kn in fib:20 collatz:20000 matmul:40 nbody:2000 mandel:60 qsort:20000 sha256:4; do
  k=${kn%%:*} n=${kn#*:}
  ksrc=$src/bench/kernels/$k.c
  if ! "$CC" -O2 -o "$tmp/$k" "$src/bench/kernels/native_main.c" "$ksrc" -lm ||
     ! CC=$CC "$src/bench/kernels/build_wasm.sh" "$ksrc" "$tmp/$k.wasm"; then
    echo "FAIL: $k: build failed"; fails=$((fails + 1)); continue
  fi
  rn=$("$tmp/$k" "$n")
  je=$(timeout 300 "$esgx" run "$tmp/$k.wasm" --function run --arg "$n" --fuel 100000000000 --json)
  rc=$?
  re=$(sed -n 's/.*"result": \[\(-\{0,1\}[0-9]*\)\].*/\1/p' <<<"$je")
  fu=$(sed -n 's/.*"fuel_used": \([0-9]*\).*/\1/p' <<<"$je")
  je2=$(timeout 300 "$esgx" run "$tmp/$k.wasm" --function run --arg "$n" --fuel 100000000000 --json)
  fu2=$(sed -n 's/.*"fuel_used": \([0-9]*\).*/\1/p' <<<"$je2")
  rv=$rn
  [ $have_node = 1 ] && rv=$(node "$src/bench/run_v8.mjs" "$tmp/$k.wasm" "$n")
  if [ $rc -ne 0 ] || [ -z "$rn" ] || [ "$rn" != "$re" ] || [ "$rn" != "$rv" ]; then
    echo "FAIL: $k($n): native=$rn esgx=$re (exit $rc: $je) v8=$rv"; fails=$((fails + 1))
  elif [ -z "$fu" ] || [ "$fu" != "$fu2" ]; then
    echo "FAIL: $k($n): fuel_used differs between runs: $fu vs $fu2"; fails=$((fails + 1))
  else
    echo "ok: $k($n) = $rn, fuel_used $fu"
  fi
done
[ $fails -eq 0 ]
