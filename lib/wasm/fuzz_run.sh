#!/usr/bin/env bash
# fuzz_run.sh: runs the libFuzzer target fuzz_wasm through scripts/fuzz.sh (which builds
# build-fuzz/ and reports executions and findings; docs/fuzzing.md) for SECONDS
# (default 60), with more seeds than the committed fuzz/corpus/fuzz_wasm/: the benchmark
# kernels compiled to wasm and the modules of the spec testsuite
# (../shared/wasm-testsuite, via wast2json) when present, generated into
# build-fuzz/fuzz/extra/fuzz_wasm/.
#   lib/wasm/fuzz_run.sh [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
secs=${1:-60}; shift || true
extra=$root/build-fuzz/fuzz/extra/fuzz_wasm
rm -rf "$extra"; mkdir -p "$extra"
for k in "$root"/bench/kernels/*.c; do
  case $k in */native_main.c) continue ;; esac
  "$root/bench/kernels/build_wasm.sh" "$k" "$extra/kernel_$(basename "${k%.c}").wasm" \
    2>/dev/null || true
done
suite=${ESGX_SHARED_DIR:-$root/../shared}/wasm-testsuite
if command -v wast2json >/dev/null && [ -d "$suite" ]; then
  for w in "$suite"/core/*.wast "$suite"/simd/*.wast; do
    [ -f "$w" ] || continue
    (cd "$extra" && wast2json --enable-all "$w" -o "spec_$(basename "${w%.wast}").json" \
      >/dev/null 2>&1) || true
  done
  rm -f "$extra"/*.json "$extra"/*.wat
fi
echo "fuzz_run: $(ls "$extra" | wc -l) extra seeds" >&2
FUZZ_FLAGS="$*" exec scripts/fuzz.sh "$secs" fuzz_wasm
