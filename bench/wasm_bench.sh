#!/usr/bin/env bash
# wasm_bench.sh: speed of esgx's two tiers (interpreter, compiler) against native code
# and Node's V8 (TurboFan and Liftoff), SIMD under the compiler and V8, compile time per
# MiB and cold start.
#
#   bench/wasm_bench.sh            (uses build/esgx; ESGX=path/to/esgx to override)
#   REPS=3 KERNELS="fib:38 qsort:1000000" bench/wasm_bench.sh
#   KERNELS="fib:20 qsort:1000" REPS=1 BIG=0 bench/wasm_bench.sh   (a quick check)
#
# Builds every kernel of bench/kernels/ four ways into bench/out/ (native clang-19 -O2;
# wasm32 -O2 without libc; the same with -msimd128, auto-vectorized; the scalar .wasm
# under node), runs each with its benchmark size: native, `esgx run --tier interp`,
# `esgx run --tier jit`, V8 TurboFan and V8 Liftoff, and the SIMD module under `esgx run
# --tier jit` and TurboFan. The
# checksums must agree, and fuel_used must be the same under both tiers (exit 1 if
# not). Prints wall-clock seconds (whole process, best of REPS runs), each time over
# native's of the same run, geomeans, and the SIMD speedup (jit scalar / jit SIMD). A
# SIMD module that esgx refuses to load (the runtime without SIMD) shows "n/a".
# esgx runs metered (--fuel FUEL), as in production. V8 runs twice: with --no-liftoff
# (its optimizing tier, TurboFan, only) and with --liftoff-only (its baseline compiler). Where this build or CPU has no compiler, --tier jit runs the
# interpreter: the script says so under the table.
#
# Then, unless BIG=0, for each tier (bench/big_module.py, the 1 MiB module of code of
# node_bench.sh):
#   compile ms/MiB: (esgx run of the module whose main calls all 1400 functions - esgx
#     run of a one-function module) / size in MiB: load, validate, compile every
#     function (a tier that compiles on first call included), best of REPS;
#   cold start: esgx run of the 1 MiB module whose main calls one function, process
#     start to answer, best of REPS.
# Timings on a shared machine are noisy; nothing here is asserted by the test suite.
# shellcheck disable=SC2154  # best_time sets the time variables with printf -v
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
ESGX=${ESGX:-$root/build/esgx}
OUT=$root/bench/out
REPS=${REPS:-1}
FUEL=${FUEL:-1000000000000000}
KERNELS=${KERNELS:-"fib:40 collatz:3000000 matmul:1100 nbody:5000000 mandel:1500 qsort:4000000 sha256:1500"}
CC=${CC:-clang-19}
BIG=${BIG:-1}

die() { echo "wasm_bench: $*" >&2; exit 1; }
command -v "$CC" >/dev/null || die "$CC not found"
command -v node >/dev/null || die "node not found"
[ -x "$ESGX" ] || die "$ESGX not built (scripts/build.sh release)"
if [ "$BIG" != 0 ]; then command -v wat2wasm >/dev/null || die "wat2wasm not found (or BIG=0)"; fi
mkdir -p "$OUT"
export XDG_CONFIG_HOME=${XDG_CONFIG_HOME:-$OUT/config}   # esgx run's development key
unset ESGX_WASM_TIER                                      # every run says its tier

now() { date +%s%N; }

# best_time VAR CMD...: runs CMD REPS times; VAR gets the best time in ns, and
# $OUT/last.out the stdout of the last run.
best_time() {
  local var=$1; shift
  local best=0 s e
  for ((r = 0; r < REPS; r++)); do
    s=$(now)
    "$@" >"$OUT/last.out" 2>"$OUT/last.err" || die "failed: $* ($(head -c 300 "$OUT/last.err"))"
    e=$(now)
    if [ $best -eq 0 ] || [ $((e - s)) -lt $best ]; then best=$((e - s)); fi
  done
  printf -v "$var" '%s' "$best"
}

# field NAME: a number or string of the JSON object in $OUT/last.out ("" if absent)
field() {
  sed -n 's/.*"'"$1"'": *\[\{0,1\}"\{0,1\}\(-\{0,1\}[0-9a-z]*\).*/\1/p' "$OUT/last.out"
}
secs() { awk -v t="$1" 'BEGIN { printf "%.3f", t / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
geo() {
  [ $# -gt 0 ] || { echo n/a; return; }
  printf '%s\n' "$@" | awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }'
}
# esgx_run TIER WASM N: esgx run --function run --arg N on TIER, metered, --json
esgx_run() { "$ESGX" run "$2" --function run --arg "$3" --fuel "$FUEL" --json --tier "$1"; }

fmt='%-8s %9s %9s %9s %9s %9s %9s | %7s %7s %7s %7s %7s %7s %7s | %12s\n'
# shellcheck disable=SC2059  # one format for the header and the rows
printf "$fmt" kernel native_s interp_s jit_s v8_s v8lo_s simd_s interp/n jit/n v8/n v8lo/n \
  simd/n v8simd/n simd_x fuel_used
ri=() rj=() rv=() rl=() rs=() rjs=() rvs=() jit_tier="" simd_why=""
for kn in $KERNELS; do
  k=${kn%%:*} n=${kn#*:}
  src=$root/bench/kernels/$k.c
  [ -f "$src" ] || die "no kernel $src"
  "$CC" -O2 -o "$OUT/$k" "$root/bench/kernels/native_main.c" "$src" -lm
  CC=$CC "$root/bench/kernels/build_wasm.sh" "$src" "$OUT/$k.wasm"
  CC=$CC "$root/bench/kernels/build_wasm.sh" --simd "$src" "$OUT/$k.simd.wasm"

  best_time tn "$OUT/$k" "$n"
  rn=$(cat "$OUT/last.out")
  best_time ti esgx_run interp "$OUT/$k.wasm" "$n"
  [ "$(field tier)" = interp ] || die "$k: --tier interp ran on '$(field tier)'"
  res_i=$(field result) fuel_i=$(field fuel_used)
  best_time tj esgx_run jit "$OUT/$k.wasm" "$n"
  jit_tier=$(field tier) res_j=$(field result) fuel_j=$(field fuel_used)
  best_time tv node --no-liftoff "$root/bench/run_v8.mjs" "$OUT/$k.wasm" "$n"
  res_v=$(cat "$OUT/last.out")
  best_time tl node --liftoff-only "$root/bench/run_v8.mjs" "$OUT/$k.wasm" "$n"
  [ "$(cat "$OUT/last.out")" = "$rn" ] || die "$k($n): V8 Liftoff result $(cat "$OUT/last.out"), native $rn"
  if [ "$rn" != "$res_i" ] || [ "$rn" != "$res_j" ] || [ "$rn" != "$res_v" ]; then
    die "$k($n): results differ: native=$rn interp=$res_i jit=$res_j v8=$res_v"
  fi
  [ "$fuel_i" = "$fuel_j" ] || die "$k($n): fuel_used differs: interp=$fuel_i jit=$fuel_j"

  # SIMD under the compiler: n/a while esgx refuses the module (a load error, no trap)
  simd_s=n/a simd_x=n/a simd_n=n/a v8simd_n=n/a
  if esgx_run jit "$OUT/$k.simd.wasm" "$n" >"$OUT/last.out" 2>"$OUT/last.err"; then
    best_time ts esgx_run jit "$OUT/$k.simd.wasm" "$n"
    [ "$(field result)" = "$rn" ] || die "$k($n): SIMD result $(field result), native $rn"
    simd_s=$(secs "$ts") simd_x=$(ratio "$tj" "$ts") simd_n=$(ratio "$ts" "$tn")
    best_time tvs node --no-liftoff "$root/bench/run_v8.mjs" "$OUT/$k.simd.wasm" "$n"
    [ "$(cat "$OUT/last.out")" = "$rn" ] || die "$k($n): V8 SIMD result $(cat "$OUT/last.out"), native $rn"
    v8simd_n=$(ratio "$tvs" "$tn")
    # a build with no v128 op (clang found nothing to vectorize) is the scalar code:
    # its ratio is shown in parentheses and left out of the SIMD geomean
    "$ESGX" run "$OUT/$k.simd.wasm" --dump-code >"$OUT/dump" 2>/dev/null || true
    if grep -Eq '^ +[0-9]+ +(V128|I8X16|I16X8|I32X4|I64X2|F32X4|F64X2)_' "$OUT/dump"; then
      rs+=("$simd_x") rjs+=("$simd_n") rvs+=("$v8simd_n")
    else
      simd_x="($simd_x)"
    fi
  elif grep -q '"trap"' "$OUT/last.out"; then
    die "$k($n): the SIMD module trapped: $(head -c 300 "$OUT/last.out")"
  else
    simd_why=$(sed -n 's/.*"error": *"\([^"]*\)".*/\1/p' "$OUT/last.out" | sed 's|^[^:]*: ||')
  fi

  ri+=("$(ratio "$ti" "$tn")") rj+=("$(ratio "$tj" "$tn")") rv+=("$(ratio "$tv" "$tn")")
  rl+=("$(ratio "$tl" "$tn")")
  # shellcheck disable=SC2059
  printf "$fmt" "$k" "$(secs "$tn")" "$(secs "$ti")" "$(secs "$tj")" "$(secs "$tv")" "$(secs "$tl")" \
    "$simd_s" "${ri[-1]}" "${rj[-1]}" "${rv[-1]}" "${rl[-1]}" "$simd_n" "$v8simd_n" "$simd_x" "$fuel_i"
done
# shellcheck disable=SC2059
printf "$fmt" geomean "" "" "" "" "" "" "$(geo "${ri[@]}")" "$(geo "${rj[@]}")" "$(geo "${rv[@]}")" \
  "$(geo "${rl[@]}")" "$(geo "${rjs[@]+"${rjs[@]}"}")" "$(geo "${rvs[@]+"${rvs[@]}"}")" \
  "$(geo "${rs[@]+"${rs[@]}"}")" ""
echo "(best of $REPS; X/n = time over native's; v8 = TurboFan (--no-liftoff), v8lo = Liftoff"
echo " only (--liftoff-only); simd/n, v8simd/n = the -msimd128 build under esgx jit and"
echo " TurboFan; simd_x = jit scalar time / jit SIMD time, in parentheses when clang"
echo " vectorized nothing and the SIMD geomeans leave it out; results equal everywhere,"
echo " fuel_used equal under both tiers)"
[ "$jit_tier" = jit ] ||
  echo "note: no compiler in this build or on this CPU: the jit column ran on the $jit_tier tier"
[ -z "$simd_why" ] || echo "note: simd n/a: esgx refuses the SIMD modules ($simd_why)"

[ "$BIG" != 0 ] || exit 0
# ---------------------------------------------------------------- the 1 MiB module
python3 "$root/bench/big_module.py" 1 --call-all >"$OUT/big_all.wat"
python3 "$root/bench/big_module.py" 1 >"$OUT/big.wat"
python3 "$root/bench/big_module.py" 1 1 >"$OUT/small.wat"
for m in big_all big small; do wat2wasm "$OUT/$m.wat" -o "$OUT/$m.wasm"; done
size=$(stat -c %s "$OUT/big_all.wasm")
echo
printf '%-8s %16s %20s   (module of code: %d bytes, bench/big_module.py)\n' tier \
  "compile_ms/MiB" "cold_start_ms" "$size"
for t in interp jit; do
  best_time t0 "$ESGX" run "$OUT/small.wasm" --json --tier "$t"
  best_time ta "$ESGX" run "$OUT/big_all.wasm" --json --tier "$t"
  ran=$(field tier)
  best_time tc "$ESGX" run "$OUT/big.wasm" --json --tier "$t"
  [ "$(field output)" = cold ] || die "big.wasm on $t: $(head -c 300 "$OUT/last.out")"
  printf '%-8s %16s %20s%s\n' "$t" \
    "$(awk -v a="$ta" -v b="$t0" -v s="$size" 'BEGIN { printf "%.1f", (a - b) / 1e6 / (s / 1048576) }')" \
    "$(awk -v t="$tc" 'BEGIN { printf "%.1f", t / 1e6 }')" \
    "$([ "$ran" = "$t" ] || echo "   (ran on $ran)")"
done
echo "(compile: whole-module run minus a one-function module's, per MiB; cold start: process"
echo " start to the answer of main, which calls one function; best of $REPS)"
