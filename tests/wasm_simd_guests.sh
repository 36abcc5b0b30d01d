#!/usr/bin/env bash
# wasm_simd_guests.sh (ctest: wasm_simd_guests): SIMD as compilers emit it for
# ordinary loops. The benchmark kernels that clang-19 -O2 -msimd128 vectorizes
# (bench/kernels/build_wasm.sh --simd) and a Rust guest built with
# -C target-feature=+simd128 (tests/guests/simd_loop.rs) must contain v128 ops, and
# give the same answer as their scalar builds (and as native code / V8) on both tiers,
# with the same fuel_used on both tiers. Each toolchain's part skips when it is missing.
set -uo pipefail
src=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${ESGX_BUILD_DIR:-$src/build}
esgx=$bld/esgx
CC=${CC:-clang-19}
RUSTC=${RUSTC:-/usr/bin/rustc}
[ -x "$esgx" ] || { echo "wasm_simd_guests: $esgx not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 ran=0

field() { sed -n "s/.*\"$1\": \[\{0,1\}\(-\{0,1\}[0-9]*\).*/\1/p" <<<"$2"; }
has_v128() {   # (no grep -q on a pipe: with pipefail its early exit fails the writer)
  "$esgx" run "$1" --dump-code >"$tmp/dump" 2>/dev/null
  grep -Eq '^ +[0-9]+ +(V128|I8X16|I16X8|I32X4|I64X2|F32X4|F64X2)_' "$tmp/dump"
}
# check NAME SIMD.wasm SCALAR.wasm N WANT: the SIMD build on both tiers = the scalar one
check() {
  local name=$1 simd=$2 scalar=$3 n=$4 want=$5
  ran=$((ran + 1))
  if ! has_v128 "$simd"; then
    echo "FAIL: $name: the SIMD build has no v128 op"; fails=$((fails + 1)); return
  fi
  local ji jj js ri rj rs fi fj
  ji=$(ESGX_WASM_TIER=interp "$esgx" run "$simd" --function run --arg "$n" --fuel 100000000000 --json)
  jj=$(ESGX_WASM_TIER=jit "$esgx" run "$simd" --function run --arg "$n" --fuel 100000000000 --json)
  js=$("$esgx" run "$scalar" --function run --arg "$n" --fuel 100000000000 --json)
  ri=$(field result "$ji") rj=$(field result "$jj") rs=$(field result "$js")
  fi=$(field fuel_used "$ji") fj=$(field fuel_used "$jj")
  if [ -z "$ri" ] || [ "$ri" != "$rj" ] || [ "$ri" != "$rs" ] || [ "$ri" != "$want" ]; then
    echo "FAIL: $name($n): simd interp=$ri jit=$rj, scalar=$rs, reference=$want"
    echo "  $ji"; echo "  $jj"; fails=$((fails + 1))
  elif [ -z "$fi" ] || [ "$fi" != "$fj" ]; then
    echo "FAIL: $name($n): fuel_used interp=$fi jit=$fj"; fails=$((fails + 1))
  else
    echo "ok: $name($n) = $ri, fuel_used $fi on both tiers"
  fi
}

if command -v "$CC" >/dev/null && { command -v wasm-ld >/dev/null || command -v wasm-ld-19 >/dev/null; }; then
  for kn in matmul:40 nbody:2000 sha256:4; do
    k=${kn%%:*} n=${kn#*:} ksrc=$src/bench/kernels/$k.c
    if ! "$CC" -O2 -o "$tmp/$k" "$src/bench/kernels/native_main.c" "$ksrc" -lm ||
       ! CC=$CC "$src/bench/kernels/build_wasm.sh" "$ksrc" "$tmp/$k.wasm" ||
       ! CC=$CC "$src/bench/kernels/build_wasm.sh" --simd "$ksrc" "$tmp/$k.simd.wasm"; then
      echo "FAIL: $k: build failed"; fails=$((fails + 1)); continue
    fi
    check "clang $k" "$tmp/$k.simd.wasm" "$tmp/$k.wasm" "$n" "$("$tmp/$k" "$n")"
  done
else
  echo "wasm_simd_guests: $CC or wasm-ld missing: clang part skipped" >&2
fi

if [ -x "$RUSTC" ] && "$RUSTC" --print target-list 2>/dev/null >"$tmp/targets" &&
   grep -qx 'wasm32-unknown-unknown' "$tmp/targets" &&
   [ -d "$("$RUSTC" --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ]; then
  rs=$src/tests/guests/simd_loop.rs
  if "$RUSTC" --target wasm32-unknown-unknown -O -C target-feature=+simd128 \
       --crate-type cdylib "$rs" -o "$tmp/rs.simd.wasm" 2>"$tmp/rs.err" &&
     "$RUSTC" --target wasm32-unknown-unknown -O --crate-type cdylib "$rs" -o "$tmp/rs.wasm" 2>>"$tmp/rs.err"; then
    want=$("$esgx" run "$tmp/rs.wasm" --function run --arg 20 --fuel 100000000000 --json)
    want=$(field result "$want")
    if command -v node >/dev/null; then
      v8=$(node "$src/bench/run_v8.mjs" "$tmp/rs.simd.wasm" 20)
      [ "$v8" = "$want" ] || { echo "FAIL: rust: V8 gives $v8, esgx $want"; fails=$((fails + 1)); }
    fi
    check "rust simd_loop" "$tmp/rs.simd.wasm" "$tmp/rs.wasm" 20 "$want"
  else
    echo "FAIL: rust: build failed: $(head -c 400 "$tmp/rs.err")"; fails=$((fails + 1))
  fi
else
  echo "wasm_simd_guests: rustc with the wasm32 target missing: Rust part skipped" >&2
fi

[ $ran -gt 0 ] || { echo "wasm_simd_guests: no toolchain: skipped" >&2; exit 77; }
echo "wasm_simd_guests: $ran guests, $fails failed"
[ $fails -eq 0 ]
