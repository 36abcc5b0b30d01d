#!/usr/bin/env bash
# fuzz_run.sh: builds the libFuzzer target fuzz_wasm (clang-19, ASan+UBSan, in
# build-fuzz/ as scripts/build.sh fuzz configures it) and runs it for SECONDS
# (default 60) on one core.
#   lib/wasm/fuzz_run.sh [SECONDS] [extra libFuzzer flags...]
# Seed corpus (rebuilt each time into build-fuzz/fuzz-seeds): the benchmark kernels
# compiled to wasm, the .wat modules of tests/wasm, and the modules of the spec
# testsuite (../shared/wasm-testsuite, via wast2json) when present. New inputs go to
# build-fuzz/fuzz-corpus; crashes to build-fuzz/fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
secs=${1:-60}; shift || true
bdir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
cmake -S . -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DESGX_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang-19 >/dev/null
cmake --build "$bdir" --target fuzz_wasm -j2

seeds=$bdir/fuzz-seeds corpus=$bdir/fuzz-corpus art=$bdir/fuzz-artifacts
rm -rf "$seeds"; mkdir -p "$seeds" "$corpus" "$art"
for k in "$root"/bench/kernels/*.c; do
  case $k in */native_main.c) continue ;; esac
  "$root/bench/kernels/build_wasm.sh" "$k" "$seeds/kernel_$(basename "${k%.c}").wasm" \
    2>/dev/null || true
done
if command -v wat2wasm >/dev/null; then
  for w in "$root"/tests/wasm/*.wat; do
    wat2wasm "$w" -o "$seeds/$(basename "${w%.wat}").wasm" 2>/dev/null || true
  done
fi
suite=${ESGX_SHARED_DIR:-$root/../shared}/wasm-testsuite
if command -v wast2json >/dev/null && [ -d "$suite" ]; then
  for w in "$suite"/core/*.wast; do
    [ -f "$w" ] || continue
    (cd "$seeds" && wast2json --enable-all "$w" -o "spec_$(basename "${w%.wast}").json" \
      >/dev/null 2>&1) || true
  done
  rm -f "$seeds"/*.json "$seeds"/*.wat
fi
echo "fuzz_run: $(ls "$seeds" | wc -l) seeds, running ${secs}s" >&2
# -rss_limit_mb: ASan plus 16-page memories stay far below; -timeout catches hangs.
exec "$bdir/fuzz_wasm" "$corpus" "$seeds" -max_total_time="$secs" -timeout=10 \
  -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$art/" -print_final_stats=1 "$@"
