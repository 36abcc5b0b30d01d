#!/usr/bin/env bash
# build_wasm.sh [--simd] KERNEL.c OUT.wasm [clang flags...]: the one way a benchmark
# kernel becomes a guest module (used by bench/wasm_bench.sh, the wasm tests and the
# fuzz seeds). Compiles with clang-19 (-O2) and links with wasm-ld-19 in two steps: in
# one step clang would also run binaryen's wasm-opt whenever it is installed, and the
# module (so the fuel it uses, which tests pin) would depend on what else is on the
# machine. --simd adds -msimd128: clang's auto-vectorizer (on at -O2) then emits the
# fixed-width SIMD proposal's v128 instructions where it can; without it the module
# has none.
set -euo pipefail
simd=()
if [ "${1:-}" = --simd ]; then simd=(-msimd128); shift; fi
src=$1 out=$2; shift 2
cc=${CC:-clang-19}
ld=$(command -v wasm-ld-19 || command -v wasm-ld)
obj=$(mktemp "${TMPDIR:-/tmp}/esgx-kernel.XXXXXX.o")
trap 'rm -f "$obj"' EXIT
"$cc" --target=wasm32 -O2 -nostdlib -fno-builtin "${simd[@]}" "$@" -c -o "$obj" "$src"
"$ld" -m wasm32 --no-entry --export=run --keep-section=target_features -o "$out" "$obj"
