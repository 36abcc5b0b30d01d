#!/usr/bin/env bash
# hostcall_bench.sh: does fuel bound CPU time for host calls? For plain wasm code and
# for every host call (fn0 and WASI, in their most expensive shapes), the CPU time per
# fuel unit and its ratio to plain wasm's. The rule (docs/guest-abi.md#fuel): no host
# call over 5x. The prices are HOSTFN_FUEL_* in lib/host/host_internal.h.
#
#   bench/hostcall_bench.sh                  (uses build/host_fuel_time)
#   REPS=5 MS=200 bench/hostcall_bench.sh    best of 5 runs of ~200 ms per call
#   DEBUG=1 bench/hostcall_bench.sh          guests log to stderr (sent to /dev/null)
#   ESGX_WASM_TIER=jit bench/hostcall_bench.sh   plain wasm on the compiler instead
#
# The reference is plain wasm on the interpreter (ESGX_WASM_TIER=interp unless set):
# the prices are set against the slower tier; compiled wasm takes less time per fuel,
# so against it the same host calls show larger ratios.
#
# It runs the program of the ctest host_fuel_time (lib/host/test_host_fuel_time.c) in
# its --bench mode: each guest calls one host function in a loop through esgx_host_run,
# metered as in production, with n iterations chosen so a run takes about MS ms; time
# is CLOCK_THREAD_CPUTIME_ID, so load from other processes counts little. Nothing is
# asserted here (the test asserts under 20x); exit 1 only if a guest fails to run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/host_fuel_time}
REPS=${REPS:-3}
MS=${MS:-100}
[ -x "$BIN" ] || { echo "hostcall_bench: $BIN not built (scripts/build.sh release)" >&2; exit 1; }
export ESGX_WASM_TIER=${ESGX_WASM_TIER:-interp}
echo "plain wasm on the $ESGX_WASM_TIER tier"
args=(--bench --reps "$REPS" --ms "$MS")
if [ -n "${DEBUG:-}" ]; then
  "$BIN" "${args[@]}" --debug 2>/dev/null
else
  "$BIN" "${args[@]}"
fi
