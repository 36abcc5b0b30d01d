#!/usr/bin/env bash
# wasm_tiers_diff.sh ESGX_TIERS_DIFF (ctest: wasm_tiers_diff): the differential check of
# the interpreter and the compiler (lib/wasm/tiers_diff.c, the same code as the fuzzer
# fuzz_wasm_tiers) over the committed seeds fuzz/corpus/fuzz_wasm_tiers/, the benchmark
# kernels and 200 translate-to-fuzz modules made from the fixed seed 1 by
# fuzz/make_tiers_corpus.sh (those two parts are skipped with a note when clang-19 or
# wasm-opt is missing). Fails on any difference.
set -euo pipefail
src=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
diff=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$src/fuzz/make_tiers_corpus.sh" --no-spec --ttf "${ESGX_TIERS_TTF:-200}" --seed 1 "$tmp/gen"
"$diff" "$src/fuzz/corpus/fuzz_wasm_tiers" "$tmp/gen"
