#!/usr/bin/env bash
# hostcall_bench.sh: does fuel bound CPU time for host calls, on both tiers? For plain
# wasm code and for every host call (fn0 and WASI, in their most expensive shapes), per
# tier: the fuel charged and the CPU time per loop iteration (one call plus a few wasm
# instructions), the CPU time per fuel unit, and its ratio to plain wasm's on the same
# tier. The rule (docs/guest-abi.md#fuel): no host call over ~2x on either tier. The
# prices are HOSTFN_FUEL_* in lib/host/host_internal.h.
#
#   bench/hostcall_bench.sh                  both tiers (uses build/host_fuel_time)
#   TIERS=jit bench/hostcall_bench.sh        one tier
#   REPS=5 MS=200 bench/hostcall_bench.sh    best of 5 runs of ~200 ms per call
#   DEBUG=1 bench/hostcall_bench.sh          guests log to stderr (sent to /dev/null)
#
# A host call takes the same time from either tier, but compiled wasm runs plain code
# in ~6x less time per fuel than the interpreter: the compiler tier shows the larger
# ratios, and the prices are set against it (on the interpreter every call is then
# cheaper per fuel than plain wasm).
#
# It runs the program of the ctests host_fuel_time / host_fuel_time_jit
# (lib/host/test_host_fuel_time.c) in its --bench mode: each guest calls one host
# function in a loop through esgx_host_run, metered as in production, with n iterations
# chosen so a run takes about MS ms; time is CLOCK_THREAD_CPUTIME_ID, so load from other
# processes counts little. Columns: fuel/iter (the call's price + the loop's wasm),
# ns/iter, ns/fuel, ratio (ns/fuel of the call / ns/fuel of plain wasm, same tier).
# Nothing is asserted here (the tests assert under 20x / 5x); exit 1 only if a guest
# fails to run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/host_fuel_time}
REPS=${REPS:-3}
MS=${MS:-100}
TIERS=${TIERS:-interp jit}
[ -x "$BIN" ] || { echo "hostcall_bench: $BIN not built (scripts/build.sh release)" >&2; exit 1; }
args=(--bench --reps "$REPS" --ms "$MS")
for tier in $TIERS; do
  echo "== tier $tier (plain wasm and the guests' loops on the $tier tier)"
  if [ -n "${DEBUG:-}" ]; then
    ESGX_WASM_TIER=$tier "$BIN" "${args[@]}" --debug 2>/dev/null
  else
    ESGX_WASM_TIER=$tier "$BIN" "${args[@]}"
  fi
done
