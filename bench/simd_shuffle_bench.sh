#!/usr/bin/env bash
# simd_shuffle_bench.sh: a shuffle-heavy SIMD loop (bench/simd_shuffle.wat: BLAKE3-like
# rotations by i8x16.shuffle and i8x16.swizzle) under esgx's interpreter and compiler
# and under V8 (TurboFan, and --liftoff-only), wall-clock seconds of the whole process,
# best of REPS. The checksums must agree (exit 1 if not). Nothing is asserted on time.
#   bench/simd_shuffle_bench.sh          (N=20000000 REPS=3; ESGX=path/to/esgx)
set -euo pipefail
cd "$(dirname "$0")/.."
ESGX=${ESGX:-$PWD/build/esgx}
N=${N:-20000000}
REPS=${REPS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wat2wasm --enable-all bench/simd_shuffle.wat -o "$tmp/s.wasm"
cat > "$tmp/v8.mjs" <<'JS'
import fs from 'fs';
const m = await WebAssembly.instantiate(fs.readFileSync(process.argv[2]));
console.log(m.instance.exports.run(Number(process.argv[3])) | 0);
JS
# best_of NAME CMD...: prints NAME, the best time and the checksum
best_of() {
  local name=$1 best="" sum="" t0 t1 out dt
  shift
  for _ in $(seq "$REPS"); do
    t0=$(date +%s%N)
    out=$("$@" | tail -1)
    t1=$(date +%s%N)
    dt=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then best=$dt; fi
    sum=$out
  done
  printf '%-14s %8.3f s   checksum %s\n' "$name" "$(echo "$best / 1000" | bc -l)" "$sum"
  echo "$sum" >> "$tmp/sums"
}
run_esgx() { "$ESGX" run "$tmp/s.wasm" --function run --arg "$N" --tier "$1" --fuel 1000000000000000; }
best_of "esgx interp" run_esgx interp
best_of "esgx jit" run_esgx jit
if command -v node >/dev/null; then
  best_of "V8 TurboFan" node --no-liftoff "$tmp/v8.mjs" "$tmp/s.wasm" "$N"
  best_of "V8 Liftoff" node --liftoff-only "$tmp/v8.mjs" "$tmp/s.wasm" "$N"
fi
[ "$(sort -u "$tmp/sums" | wc -l)" = 1 ] || { echo "simd_shuffle_bench: checksums differ" >&2; exit 1; }
