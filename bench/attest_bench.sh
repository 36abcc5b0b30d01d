#!/usr/bin/env bash
# attest_bench.sh: median time to verify the real fleek-sgx quote with its collateral
# (full verification: JSON + PEM parsing, 4 chains with CRLs, 5 ECDSA signatures; then
# the same with a collateral cache, where only the first parses: cached_* lines),
# over N runs (default 1000), through the hidden `esgx attest --bench N` flag.
#   bench/attest_bench.sh [BUILD_DIR] [N]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
n="${2:-1000}"
vec="${ESGX_SHARED_DIR:-$here/../shared}/vectors/dcap/fleek-sgx"
"$build/esgx" attest --quote "$vec/quote.bin" --collateral "$vec/full_collateral.json" \
  --at 1724962800 --bench "$n"
