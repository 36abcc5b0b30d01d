#!/bin/sh
# run_spec.sh: runs the WebAssembly spec tests with esgx-wast and prints a per-script
# table (passed / failed / skipped) followed by the totals.
#
#   tests/spec/run_spec.sh [--parse-only] [BUILD_DIR] [WAST_DIR]
#
# BUILD_DIR defaults to $ESGX_BUILD_DIR or ./build; WAST_DIR to
# $ESGX_SHARED_DIR/wasm-testsuite/core (or ../shared/wasm-testsuite/core beside the
# clone). --parse-only checks only decoding and validation. Exit status: esgx-wast's
# (1 if any assertion failed, 77 if the test data or the runner is missing).
set -u
opt=""
if [ "${1:-}" = "--parse-only" ]; then opt="--parse-only"; shift; fi
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${ESGX_BUILD_DIR:-$src/build}}
wast=${2:-${ESGX_SHARED_DIR:-$src/../shared}/wasm-testsuite/core}
runner=$build/esgx-wast
if [ ! -x "$runner" ]; then echo "run_spec: $runner not built" >&2; exit 77; fi
if [ ! -d "$wast" ]; then echo "run_spec: $wast missing; skipped" >&2; exit 77; fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$runner" $opt "$wast" > "$out"
rc=$?
grep -v ': [0-9]* passed, ' "$out" | grep -v '^[0-9]* passed, ' | head -200
printf '%-32s %7s %7s %7s\n' script passed failed skipped
sed -n 's|^.*/\([^/]*\)\.wast: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$|\1 \2 \3 \4|p' "$out" |
  while read -r name p f s; do printf '%-32s %7s %7s %7s\n' "$name" "$p" "$f" "$s"; done
tail -n 1 "$out"
exit $rc
