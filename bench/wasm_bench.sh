#!/usr/bin/env bash
# wasm_bench.sh: speed of the esgx interpreter against native code and Node's V8.
#
#   bench/wasm_bench.sh            (uses build/esgx; ESGX=path/to/esgx to override)
#   REPS=3 KERNELS="fib:38 qsort:1000000" bench/wasm_bench.sh
#
# Builds every kernel of bench/kernels/ three ways into bench/out/ (native clang-19
# -O2; wasm32 -O2 without libc; the same .wasm under node), runs each with its
# benchmark size, checks that the three checksums agree (exit 1 if not), and prints
# a table of wall-clock seconds (whole process, best of REPS runs) with geomeans.
# esgx runs metered (--fuel FUEL), as in production. V8 runs with --no-liftoff, i.e.
# its optimizing tier only. Timings on a shared machine are noisy; nothing here is
# asserted by the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
ESGX=${ESGX:-$root/build/esgx}
OUT=$root/bench/out
REPS=${REPS:-1}
FUEL=${FUEL:-1000000000000000}
KERNELS=${KERNELS:-"fib:40 collatz:3000000 matmul:1100 nbody:5000000 mandel:1500 qsort:4000000 sha256:1500"}
CC=${CC:-clang-19}

die() { echo "wasm_bench: $*" >&2; exit 1; }
command -v "$CC" >/dev/null || die "$CC not found"
command -v node >/dev/null || die "node not found"
[ -x "$ESGX" ] || die "$ESGX not built (scripts/build.sh release)"
mkdir -p "$OUT"

now() { date +%s%N; }

# best_time VAR CMD...: runs CMD REPS times; VAR gets the best time in ns, and
# $OUT/last.out the stdout of the last run.
best_time() {
  local var=$1; shift
  local best=0 s e
  for ((r = 0; r < REPS; r++)); do
    s=$(now)
    "$@" >"$OUT/last.out" || die "failed: $*"
    e=$(now)
    if [ $best -eq 0 ] || [ $((e - s)) -lt $best ]; then best=$((e - s)); fi
  done
  printf -v "$var" '%s' "$best"
}

printf '%-8s %10s %10s %10s %12s %10s %14s\n' kernel native_s esgx_s v8_s esgx/native \
  v8/native fuel_used
ratios=() v8ratios=()
for kn in $KERNELS; do
  k=${kn%%:*} n=${kn#*:}
  src=$root/bench/kernels/$k.c
  [ -f "$src" ] || die "no kernel $src"
  "$CC" -O2 -o "$OUT/$k" "$root/bench/kernels/native_main.c" "$src" -lm
  CC=$CC "$root/bench/kernels/build_wasm.sh" "$src" "$OUT/$k.wasm"

  best_time tn "$OUT/$k" "$n"
  rn=$(cat "$OUT/last.out")
  best_time te "$ESGX" run "$OUT/$k.wasm" --function run --arg "$n" --fuel "$FUEL" --json
  re=$(sed -n 's/.*"result": *\[\(-\{0,1\}[0-9]*\)\].*/\1/p' "$OUT/last.out")
  fu=$(sed -n 's/.*"fuel_used": *\([0-9]*\).*/\1/p' "$OUT/last.out")
  best_time tv node --no-liftoff "$root/bench/run_v8.mjs" "$OUT/$k.wasm" "$n"
  rv=$(cat "$OUT/last.out")
  if [ "$rn" != "$re" ] || [ "$rn" != "$rv" ]; then
    die "$k($n): results differ: native=$rn esgx=$re v8=$rv"
  fi
  ratio=$(awk -v a="$te" -v b="$tn" 'BEGIN { printf "%.2f", a / b }')
  v8ratio=$(awk -v a="$tv" -v b="$tn" 'BEGIN { printf "%.2f", a / b }')
  ratios+=("$ratio") v8ratios+=("$v8ratio")
  printf '%-8s %10.3f %10.3f %10.3f %12s %10s %14s\n' "$k" \
    "$(awk -v t="$tn" 'BEGIN { print t / 1e9 }')" "$(awk -v t="$te" 'BEGIN { print t / 1e9 }')" \
    "$(awk -v t="$tv" 'BEGIN { print t / 1e9 }')" "$ratio" "$v8ratio" "$fu"
done
geo() { printf '%s\n' "$@" | awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }'; }
printf 'geomean esgx/native: %s   geomean v8/native: %s   (all results equal)\n' \
  "$(geo "${ratios[@]}")" "$(geo "${v8ratios[@]}")"
