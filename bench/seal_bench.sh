#!/usr/bin/env bash
# seal_bench.sh: the cost a sealed call adds to a plain one (1 KiB input), and the cost
# of a call by name (the enclave verifies the signed name record on every call) over one
# by hash, through the enclave's executor directly (bench/seal_bench.c links the enclave
# core; no process, socket or HTTP in between), best of RUNS runs of N calls each.
# Also each piece alone: esgx_name_record_verify, the enclave's open + seal, the
# client's seal + open. Numbers only; nothing is asserted (targets: sealed < 300 us and
# by name < 100 us extra per call).
#   bench/seal_bench.sh [BUILD_DIR] [N] [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
n="${2:-2000}"
runs="${3:-7}"
command -v wat2wasm >/dev/null || { echo "seal_bench.sh: wat2wasm is needed" >&2; exit 1; }
if [ ! -x "$build/seal_bench" ]; then
  ninja -C "$build" seal_bench >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wat2wasm "$here/tests/guests/node_hello.wat" -o "$tmp/hello.wasm"
"$build/seal_bench" "$tmp/hello.wasm" "$n" "$runs"
